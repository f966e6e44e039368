#!/usr/bin/env bash
# A sharded run against one run on the same corpus: splits a labelled news corpus of
# ../shared/bench (made by bench-dedupe.sh, or generated here) into input files, runs the
# default pipeline (clean → dedupe → extract → export to CSV and JSON Lines) once, then as N
# shards plus the merge, one process at a time, and prints every step's wall time and peak RSS,
# the totals, and whether every table is byte-identical to the single run's.
#
#   scripts/bench-sharded.sh [--shards N] [--files F] [--resume] [20k|100k|1m]   (default: 4, 40, 20k)
#
# The single run's tables are kept only as SHA-256 digests (at 1M documents they take 16 GB).
# --resume goes on with an interrupted sharded run (its markers say what is done) instead of
# starting again.
#
# Scratch files go to $BENCH_SCRATCH (default ${TMPDIR:-/tmp}/newsmill-bench-dedupe), shared
# with bench-dedupe.sh so the corpora are made once.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
shards=4
files=40
size=20k
resume=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift ;;
    --files) files=$2; shift ;;
    --resume) resume=1 ;;
    20k | 100k | 1m) size=$1 ;;
    *) echo "usage: scripts/bench-sharded.sh [--shards N] [--files F] [--resume] [20k|100k|1m]" >&2; exit 2 ;;
  esac
  shift
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed to measure peak memory." >&2; exit 2; }
scratch=${BENCH_SCRATCH:-${TMPDIR:-/tmp}/newsmill-bench-dedupe}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
corpus=$scratch/news$size.jsonl
if [ ! -s "$corpus" ]; then
  # bench-dedupe.sh knows how to make the corpora; its one-size run makes this one.
  scripts/bench-dedupe.sh "$size" >/dev/null
fi

cargo build --release --quiet --bin newsmill
bin=$repo/target/release/newsmill
[ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/release/newsmill

work=$scratch/sharded-$size
lines=$(wc -l <"$corpus")
if [ "$resume" -eq 0 ] || [ ! -s "$work/single.sha256" ]; then
  resume=0
  rm -rf "$work"
  mkdir -p "$work/input"
  split -d -a 4 -l $(((lines + files - 1) / files)) --additional-suffix=.jsonl "$corpus" "$work/input/part-"
fi
cat >"$work/pipeline.toml" <<'EOF'
[input]
paths = ["input"]

[run]
work_dir = "work"

[[stage]]
type = "clean"

[[stage]]
type = "dedupe"

[[stage]]
type = "extract"

[[stage]]
type = "export"
dir = "out"
formats = ["csv", "jsonl"]
EOF
cd "$work"

# Runs a command under /usr/bin/time; prints "label seconds peak-MiB" and adds the figures to
# $work/KIND.times (KIND: single, shard or merge).
measure() {
  local kind=$1 label=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>>"$work/log.txt" || {
    local code=$?
    # 1 means "some inputs rejected": the run finished.
    [ "$code" -eq 1 ] || { echo "$label failed with exit code $code; see $work/log.txt" >&2; exit 2; }
  }
  read -r seconds kib <"$work/time.txt"
  printf '%-22s %8.1f s %8.0f MiB\n' "$label" "$seconds" "$((kib / 1024))"
  echo "$seconds $kib" >>"$work/$kind.times"
}

echo "Corpus: news$size, $lines documents in $(ls input | wc -l) files; $shards shards." >&2
if [ "$resume" -eq 0 ]; then
  echo "One run:"
  measure single "run" "$bin" run --out single
  (cd single && sha256sum $(ls | grep -v -e '^run.json$' -e '^report.html$')) >single.sha256
  rm -rf single
fi
echo "Sharded ($shards shards, one process at a time):"
round=0
while [ ! -f shards/complete.json ]; do
  round=$((round + 1))
  [ "$round" -le 12 ] || { echo "the sharded run did not complete" >&2; exit 2; }
  for i in $(seq 0 $((shards - 1))); do
    measure shard "step $round shard $i" "$bin" run --shard "$i/$shards"
  done
  measure merge "step $round merge" "$bin" merge
done
identical=0
differ=0
while read -r digest name; do
  if [ "$(sha256sum <"out/$name" | cut -d' ' -f1)" = "$digest" ]; then
    identical=$((identical + 1))
  else
    differ=$((differ + 1))
    echo "differs: $name"
  fi
done <single.sha256
echo "Tables identical to the single run: $identical; differing: $differ."
summary() {
  awk -v what="$1" '{s+=$1; if ($2>m) m=$2} END {printf "%-13s %8.1f s in all, largest peak %5.0f MiB\n", what, s, m/1024}' "$work/$2.times"
}
summary "Single run:" single
summary "Shard steps:" shard
summary "Merge steps:" merge
[ "$differ" -eq 0 ]
