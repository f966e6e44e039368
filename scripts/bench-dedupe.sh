#!/usr/bin/env bash
# Benchmark the dedupe stage on the labelled news corpora of ../shared/bench: generates the
# corpus if missing, runs the release newsmill binary with a dedupe-only pipeline (JSON Lines
# in, clusters.csv out), scores the clusters with score_dedupe.py and prints wall time, the
# dedupe stage's seconds from run.json, documents/s and peak RSS. With --peers it also installs
# datatrove (and text-dedup, if it installs) in a throwaway virtual environment and times
# datatrove's MinHash pipeline with its defaults on the same corpus, back to back. With --clean
# the pipeline is the whole read → clean → dedupe → CSV job (articles and clusters tables).
#
#   scripts/bench-dedupe.sh [--peers] [--clean] [20k|100k|1m]...      (default: 100k)
#
# Scratch files (corpora, outputs, the venv) go to $BENCH_SCRATCH, by default
# ${TMPDIR:-/tmp}/newsmill-bench-dedupe; they are kept between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bench=../shared/bench
corpora=../shared/corpora
peers=0
clean=0
sizes=()
for arg in "$@"; do
  case "$arg" in
    --peers) peers=1 ;;
    --clean) clean=1 ;;
    20k | 100k | 1m) sizes+=("$arg") ;;
    *) echo "usage: scripts/bench-dedupe.sh [--peers] [--clean] [20k|100k|1m]..." >&2; exit 2 ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(100k)
[ -f "$bench/make_corpus.py" ] || { echo "The benchmark tools are missing: no $bench/make_corpus.py." >&2; exit 2; }
[ -d "$corpora/bbc/news" ] || { echo "The source articles are missing: no $corpora/bbc/news." >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to make and score the corpora." >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed to measure peak memory." >&2; exit 2; }
scratch=${BENCH_SCRATCH:-${TMPDIR:-/tmp}/newsmill-bench-dedupe}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)

cargo build --release --quiet --bin newsmill
bin=$repo/target/release/newsmill
[ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/release/newsmill

corpus_args() {
  case "$1" in
    20k) echo "--docs 20000 --seed 2" ;;
    100k) echo "--docs 100000 --seed 1" ;;
    1m) echo "--docs 1000000 --seed 3" ;;
  esac
}

make_corpus() {
  local size=$1 jsonl=$scratch/news$1.jsonl labels=$scratch/news$1.labels.csv
  [ -s "$jsonl" ] && [ -s "$labels" ] && return
  local extra=()
  [ -d ../shared/eval/polnear/train/text ] && extra=(--extra-dir "$repo/../shared/eval/polnear/train/text")
  echo "Generating news$size in $scratch ..." >&2
  (cd "$bench" && python3 make_corpus.py --bbc-dir "$repo/$corpora/bbc/news" "${extra[@]}" \
    $(corpus_args "$size") --dup-fraction 0.3 --out "$jsonl" --labels "$labels")
}

run_newsmill() {
  local size=$1 work=$scratch/run-$1
  rm -rf "$work" && mkdir -p "$work"
  local stages='[[stage]]
type = "dedupe"' tables='["clusters"]' text=false
  if [ "$clean" = 1 ]; then
    stages='[[stage]]
type = "clean"

'"$stages"
    tables='["articles", "clusters", "removed", "rejected"]'
    text=true
  fi
  cat >"$work/pipeline.toml" <<EOF
[input]
paths = ["$scratch/news$size.jsonl"]
format = "jsonl"

[run]
work_dir = "work"

$stages

[[stage]]
type = "export"
dir = "out"
formats = ["csv"]
tables = $tables
text = $text
EOF
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$bin" --log-format json run --config "$work/pipeline.toml" \
    2>"$work/log" || { echo "newsmill failed; see $work/log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc >"$work/wall"
  python3 scripts/clusters-to-pred.py "$work/out/clusters.csv" "$scratch/news$size.jsonl" "$work/pred.csv"
  python3 "$bench/score_dedupe.py" "$scratch/news$size.labels.csv" "$work/pred.csv" | sed 's/^/  /'
  python3 - "$work" "$scratch/news$size.jsonl" <<'PY'
import json, os, sys
work, corpus = sys.argv[1], sys.argv[2]
run = json.load(open(f"{work}/out/run.json"))
wall = float(open(f"{work}/wall").read())
rss = int(open(f"{work}/rss").read().split()[-1])
d = next(s for s in run["stages"] if s["kind"] == "dedupe")
docs = run["documents"]
mb = os.path.getsize(corpus) / 1e6
print(f"  newsmill wall {wall:.2f} s, {docs / wall:,.0f} docs/s, {mb / wall:.1f} MB/s, peak RSS {rss / 1024:.0f} MiB, threads {run['threads']}")
for s in run["stages"]:
    if s["kind"] != "export":
        print(f"  {s['kind']} stage: observe {s['observe_seconds']:.2f} + decide {s['decide_seconds']:.2f} + apply {s['apply_seconds']:.2f} s (observe/apply summed over threads)")
print(f"  dedupe counters: " + ", ".join(f"{k}={v}" for k, v in sorted(d["counters"].items())))
PY
}

run_datatrove() {
  local size=$1 venv=$scratch/venv work=$scratch/datatrove-$1
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import datatrove.pipeline.dedup, orjson, spacy' 2>/dev/null; then
    echo "Installing datatrove into $venv ..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    # datatrove imports these at load time without declaring them all as dependencies; its
    # hashing passes str to xxhash, which xxhash 4 refuses.
    "$venv/bin/pip" install --quiet datatrove orjson regex spacy tokenizers "xxhash<4"
  fi
  rm -rf "$work" && mkdir -p "$work/in"
  ln -s "$scratch/news$size.jsonl" "$work/in/corpus.jsonl"
  cat >"$work/minhash.py" <<'PY'
import sys
from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter

work = sys.argv[1]
config = MinhashConfig()  # the defaults: 5-grams, 14 buckets x 8 hashes
workers = 2
if __name__ == "__main__":
    s1 = LocalPipelineExecutor(pipeline=[JsonlReader(f"{work}/in"),
        MinhashDedupSignature(output_folder=f"{work}/sigs", config=config)],
        tasks=workers, workers=workers, logging_dir=f"{work}/logs/1")
    s2 = LocalPipelineExecutor(pipeline=[MinhashDedupBuckets(input_folder=f"{work}/sigs",
        output_folder=f"{work}/buckets", config=config)],
        tasks=config.num_buckets, workers=workers, logging_dir=f"{work}/logs/2", depends=s1)
    s3 = LocalPipelineExecutor(pipeline=[MinhashDedupCluster(input_folder=f"{work}/buckets",
        output_folder=f"{work}/remove", config=config)],
        tasks=1, logging_dir=f"{work}/logs/3", depends=s2)
    s4 = LocalPipelineExecutor(pipeline=[JsonlReader(f"{work}/in"),
        MinhashDedupFilter(input_folder=f"{work}/remove"), JsonlWriter(f"{work}/out")],
        tasks=workers, workers=workers, logging_dir=f"{work}/logs/4", depends=s3)
    s4.run()
PY
  local start end
  start=$(date +%s.%N)
  "$venv/bin/python" "$work/minhash.py" "$work" >"$work/log" 2>&1 \
    || { echo "datatrove failed; see $work/log" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc >"$work/wall"
  printf '  datatrove %s MinHash (defaults, 2 workers): wall %.2f s\n' \
    "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("datatrove"))')" "$(cat "$work/wall")"
}

run_text_dedup() {
  local size=$1 venv=$scratch/venv work=$scratch/text-dedup-$1
  if ! "$venv/bin/python" -c 'import text_dedup' 2>/dev/null; then
    "$venv/bin/pip" install --quiet text-dedup 2>/dev/null \
      || { echo "  text-dedup: could not be installed; skipped"; return 0; }
  fi
  rm -rf "$work" && mkdir -p "$work"
  local start end
  start=$(date +%s.%N)
  if "$venv/bin/python" -m text_dedup.minhash --path json --data_files "$scratch/news$size.jsonl" \
    --split train --cache_dir "$work/cache" --output "$work/out" --column text \
    --batch_size 10000 --num_proc 2 >"$work/log" 2>&1; then
    end=$(date +%s.%N)
    printf '  text-dedup MinHash (defaults, 2 processes): wall %.2f s\n' "$(echo "$end - $start" | bc)"
  else
    echo "  text-dedup: failed to run (see $work/log); skipped"
  fi
}

for size in "${sizes[@]}"; do
  make_corpus "$size"
  echo "news$size:"
  run_newsmill "$size"
  if [ "$peers" = 1 ]; then
    if run_datatrove "$size"; then
      printf '  ratio datatrove / newsmill wall: %.1fx\n' \
        "$(echo "$(cat "$scratch/datatrove-$size/wall") / $(cat "$scratch/run-$size/wall")" | bc -l)"
    fi
    run_text_dedup "$size"
  fi
done
