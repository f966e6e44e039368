#!/usr/bin/env bash
# Benchmark a whole run on a corpus of text files (default: the BBC corpus beside the checkout).
# Prints documents/s, MB/s, peak memory and each stage's share of the time, as the median of
# RUNS back-to-back runs of a release build.
#
#   scripts/bench-corpus.sh [CORPUS_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpora/bbc/news}
runs=${2:-3}
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to summarise run.json" >&2; exit 2; }
cargo build --release --quiet
bin=target/release/newsmill
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bytes=$(find "$corpus" -type f -name '*.txt' -printf '%s\n' | awk '{s+=$1} END {print s}')
for i in $(seq 1 "$runs"); do
  /usr/bin/time -f '%M' -o "$work/rss-$i" "$bin" --log-format json run --config pipeline.toml \
    --out "$work/out-$i" "$corpus" 2>"$work/log-$i" || [ $? -eq 1 ]
  cp "$work/out-$i/run.json" "$work/run-$i.json"
done
python3 - "$work" "$runs" "$bytes" <<'PY'
import json, sys, statistics
work, runs, total_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
infos = [json.load(open(f"{work}/run-{i}.json")) for i in range(1, runs + 1)]
rss = [int(open(f"{work}/rss-{i}").read().split()[-1]) for i in range(1, runs + 1)]
secs = [r["seconds"] for r in infos]
med = statistics.median(secs)
docs = infos[0]["documents"]
print(f"documents: {docs}, input: {total_bytes / 1e6:.2f} MB, threads: {infos[0]['threads']}, runs: {runs}")
print(f"wall seconds (median): {med:.3f}  [all: {', '.join(f'{s:.3f}' for s in secs)}]")
print(f"documents/s: {docs / med:,.0f}")
print(f"MB/s: {total_bytes / 1e6 / med:.2f}")
print(f"peak RSS (median): {statistics.median(rss) / 1024:.1f} MiB")
print(f"articles: {infos[0]['articles']}, duplicates: {infos[0]['duplicates']}, rejected: {infos[0]['rejected']}")
# Share of worker time per stage (apply + observe + decide), and reading / work-file time.
best = min(infos, key=lambda r: abs(r["seconds"] - med))
parts = {}
for s in best["stages"]:
    parts[f"{s['index']}:{s['kind']}"] = s["apply_seconds"] + s["observe_seconds"] + s["decide_seconds"]
parts["reading (waiting on input)"] = sum(p["read_seconds"] for p in best["passes"])
parts["work file (spill)"] = sum(p["spill_seconds"] for p in best["passes"])
total = sum(parts.values()) or 1.0
print("time by stage (thread-seconds, share):")
for name, t in parts.items():
    print(f"  {name:<28} {t:8.3f} s  {100 * t / total:5.1f}%")
PY
