#!/usr/bin/env bash
# Instructions per request of each benchmarked operation, ours and the baseline, counted by
# valgrind's callgrind: deterministic on a given machine, unlike CPU time on a shared VM.
# Each side runs alone twice (128 and 1088 requests after the same warm-up); the difference
# divided by 960 is the cost of one request, start-up excluded.
#
#   bash benches/instructions.sh          (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$(cargo bench -p benches --bench cost --no-run 2>&1 | grep -o 'target/release/deps/cost-[a-z0-9]*' | head -1)
count() { # mode case side requests
  AUTH_CLIENT_BENCH_ONLY=$1 AUTH_CLIENT_BENCH_CASE=$2 AUTH_CLIENT_BENCH_SIDE=$3 AUTH_CLIENT_BENCH_REQUESTS=$4 \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" 2>&1 |
    awk '/refs:/ {gsub(",", "", $NF); print $NF}'
}
printf '%-14s %-36s %12s %12s %7s\n' mode case baseline ours ratio
for mode in sequential 64; do
  # Each case alone, named exactly as the benchmark names it.
  for case in "emnify authenticate" "Dintero token (client credentials)" "Plex token details" \
      "Plex sign-in answering 401" "emnify authenticate answering 429" \
      "Plex token details after a 503" "emnify 401, token refreshed, replayed"; do
    # These two are sequential only: the server alternates its answers per request.
    if [ "$mode" = 64 ] && [[ "$case" == *"after a 503"* || "$case" == *"replayed"* ]]; then
      continue
    fi
    ours=$(( ($(count "$mode" "$case" ours 1088) - $(count "$mode" "$case" ours 128)) / 960 ))
    base=$(( ($(count "$mode" "$case" baseline 1088) - $(count "$mode" "$case" baseline 128)) / 960 ))
    printf '%-14s %-36s %12d %12d %7s\n' "$mode" "$case" "$base" "$ours" "$(python3 -c "print(f'{$ours/$base:.3f}')")"
  done
done
