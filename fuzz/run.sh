#!/bin/sh
# Runs fuzz targets one after another, one job each: ./run.sh SECONDS [TARGET...]
# New inputs go to corpus/<target>/, crashes to artifacts/<target>/; seeds/<target>/ is read only.
set -u
cd "$(dirname "$0")"
seconds=${1:-300}
shift 2>/dev/null || true
targets=${*:-"jsonl csv decode html config"}
for target in $targets; do
    mkdir -p "corpus/$target"
    # The HTML target also starts from the ingest tests' page fixtures.
    extra=""
    [ "$target" = html ] && extra=../crates/ingest/tests/fixtures
    # shellcheck disable=SC2086 # $extra is one directory or nothing
    cargo fuzz run -s none "$target" "corpus/$target" "seeds/$target" $extra -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=16384 -timeout=10 \
        -print_final_stats=1
    echo "$target exited with $?"
done
