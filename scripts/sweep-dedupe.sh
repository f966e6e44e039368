#!/usr/bin/env bash
# Sweeps the dedupe stage's hashing and threshold settings on a labelled benchmark corpus of
# ../shared/bench and prints, per setting, pairwise precision / recall / F1, ARI and wall time:
# the measurements behind the stage's defaults. Each line is one run of the release binary
# with a dedupe-only pipeline (stories off, they do not affect the duplicate level).
#
#   scripts/sweep-dedupe.sh [20k|100k] [SETTING...]
#
# A SETTING is a comma-separated list of dedupe keys, e.g. "shingle_size=3,bands=30,rows=5";
# without any, a standard grid runs. Corpora are shared with scripts/bench-dedupe.sh
# ($BENCH_SCRATCH, by default ${TMPDIR:-/tmp}/newsmill-bench-dedupe).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bench=../shared/bench
size=${1:-20k}
case "$size" in
  20k) args="--docs 20000 --seed 2" ;;
  100k) args="--docs 100000 --seed 1" ;;
  *) echo "usage: scripts/sweep-dedupe.sh [20k|100k] [SETTING...]" >&2; exit 2 ;;
esac
shift || true
settings=("$@")
if [ ${#settings[@]} -eq 0 ]; then
  settings=(
    "shingle_size=1"
    "shingle_size=2"
    "shingle_size=3"
    "shingle_size=5"
    "shingle_size=2,bands=30,rows=5"
    "shingle_size=2,bands=20,rows=5,num_hashes=100"
    "shingle_size=2,bands=14,rows=8,num_hashes=112"
    "shingle_size=2,threshold=0.5"
    "shingle_size=2,threshold=0.25"
    "shingle_size=2,containment_threshold=0.5"
    "shingle_size=2,min_shingles=100000000"
  )
fi
[ -f "$bench/make_corpus.py" ] || { echo "The benchmark tools are missing: no $bench/make_corpus.py." >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to make and score the corpora." >&2; exit 2; }
scratch=${BENCH_SCRATCH:-${TMPDIR:-/tmp}/newsmill-bench-dedupe}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
jsonl=$scratch/news$size.jsonl
labels=$scratch/news$size.labels.csv
if [ ! -s "$jsonl" ] || [ ! -s "$labels" ]; then
  extra=()
  [ -d ../shared/eval/polnear/train/text ] && extra=(--extra-dir "$repo/../shared/eval/polnear/train/text")
  echo "Generating news$size in $scratch ..." >&2
  (cd "$bench" && python3 make_corpus.py --bbc-dir "$repo/../shared/corpora/bbc/news" "${extra[@]}" \
    $args --dup-fraction 0.3 --out "$jsonl" --labels "$labels")
fi

cargo build --release --quiet --bin newsmill
bin=$repo/target/release/newsmill
[ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/release/newsmill

printf '%-52s %9s %7s %7s %7s %8s\n' setting precision recall F1 ARI wall_s
for setting in "${settings[@]}"; do
  work=$scratch/sweep-$size
  rm -rf "$work" && mkdir -p "$work"
  keys=$(echo "$setting" | tr ',' '\n' | sed 's/=/ = /')
  cat >"$work/pipeline.toml" <<TOML
[input]
paths = ["$jsonl"]
format = "jsonl"

[[stage]]
type = "dedupe"
story = false
index = false
$keys

[[stage]]
type = "export"
dir = "out"
formats = ["csv"]
tables = ["clusters"]
text = false
TOML
  start=$(date +%s.%N)
  "$bin" run --config "$work/pipeline.toml" 2>"$work/log" \
    || { echo "newsmill failed on $setting; see $work/log" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 - "$work" "$jsonl" "$labels" "$setting" "$(echo "$end - $start" | bc)" "$bench" <<'PY'
import subprocess, sys
work, corpus, labels, setting, wall, bench = sys.argv[1:]
subprocess.run([sys.executable, "scripts/clusters-to-pred.py", f"{work}/out/clusters.csv", corpus,
                f"{work}/pred.csv"], check=True)
report = subprocess.run([sys.executable, f"{bench}/score_dedupe.py", labels, f"{work}/pred.csv"],
                        capture_output=True, text=True, check=True).stdout
p = r = f1 = ari = float("nan")
for line in report.splitlines():
    parts = line.split()
    if line.strip().startswith("pairwise precision"):
        p, r, f1 = float(parts[2]), float(parts[4]), float(parts[6])
    elif line.strip().startswith("ARI"):
        ari = float(parts[1])
print(f"{setting:<52} {p:9.4f} {r:7.4f} {f1:7.4f} {ari:7.4f} {float(wall):8.2f}")
PY
done
