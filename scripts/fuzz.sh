#!/usr/bin/env bash
# Fuzzing campaign: builds the `fuzz` preset (clang, libFuzzer, ASan+UBSan) and runs every
# fuzz target (or the ones named) for a fixed time each, starting from the committed corpus.
#
#   scripts/fuzz.sh                      # every target, 600 s each, one after the other
#   scripts/fuzz.sh --time 60 decode     # one target, one minute
#   scripts/fuzz.sh --jobs 2             # two targets at a time
#
# New inputs go to build/fuzz/campaign/<target>/corpus (not into the repository: minimise
# and commit the interesting ones by hand, see docs/fuzzing.md). Crashes,
# leaks and timeouts are written next to them as crash-*, leak-*, timeout-*; the script exits
# 1 if any target found one. A summary line per target (executions, exec/s, coverage,
# corpus size, findings) is printed at the end and kept in build/fuzz/campaign/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

time_s=600
jobs=1
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) time_s="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(sed -n 's/^newswatch_fuzz_target(\([a-z_]*\).*/\1/p' tests/fuzz/targets.cmake)
fi

cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target "${targets[@]/%/_fuzzer}"

campaign=build/fuzz/campaign
mkdir -p "$campaign"

run_one() {
  local t="$1" dir="$campaign/$1"
  mkdir -p "$dir/corpus" "$dir/findings"
  # -fork=0 -jobs=0: one process; -rss_limit_mb bounds each input's memory; a slow input is a
  # finding after 25 s. The committed corpus seeds the run and is not written to.
  "build/fuzz/tests/fuzz/${t}_fuzzer" "$dir/corpus" "tests/fuzz/corpus/$t" \
    -max_total_time="$time_s" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$dir/findings/" >"$dir/log.txt" 2>&1 || true
  local execs rate cov ft size found
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log.txt" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log.txt" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$dir/log.txt" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$dir/log.txt" | tail -1 | cut -d' ' -f2)
  size=$(find "$dir/corpus" -type f | wc -l)
  found=$(find "$dir/findings" -type f | wc -l)
  printf '%-10s %6ss  execs %12s  %8s/s  cov %6s  ft %7s  corpus %6s  findings %s\n' \
    "$t" "$time_s" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$size" "$found"
}

summary="$campaign/summary.txt"
: >"$summary"
running=0
for t in "${targets[@]}"; do
  run_one "$t" >>"$summary" &
  running=$((running + 1))
  if [[ $running -ge $jobs ]]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
sort "$summary" -o "$summary"
cat "$summary"
if grep -q 'findings [1-9]' "$summary"; then
  echo "fuzz.sh: findings in $campaign/*/findings" >&2
  exit 1
fi
