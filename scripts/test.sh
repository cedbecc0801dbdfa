#!/usr/bin/env bash
# Quick start (2): install what is needed, build, and run every test.
#
#  1. ASan+UBSan build (-Werror): every unit test, the fuzz corpora, the benchmark smoke
#     runs, and the integration tests against a real Kafka 3.9.1 broker and a real
#     Prometheus server, both started and stopped by ctest (the Kafka jars are fetched once
#     from Maven Central and cached under ~/.cache/newswatch).
#  2. TSan build of the concurrency tests (label `concurrency`).
#  3. The rule files shipped in rules/ are checked and their tests run.
#
#   scripts/test.sh            everything (what CI runs: .ci/run)
#   scripts/test.sh --fast     one optimised build, no sanitizers (for a quick local loop)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${NEWSWATCH_JOBS:-$(nproc)}"
mode="${1:-full}"
scripts/install-deps.sh all

run_preset() {
  local preset=$1
  shift
  echo "==> [$preset] configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs" "$@"
}

if [[ "$mode" == "--fast" ]]; then
  run_preset release
  ctest --preset release -j "$jobs"
  build/release/daemon/app/newswatch check rules/
  build/release/daemon/app/newswatch test rules/
  exit 0
fi

run_preset asan-ubsan
echo "==> [asan-ubsan] ctest (unit, fuzz corpora, benchmark smoke, integration)" >&2
ctest --preset asan-ubsan -j "$jobs"
build/asan-ubsan/daemon/app/newswatch check --warnings-as-errors rules/
build/asan-ubsan/daemon/app/newswatch test rules/

run_preset tsan --target newswatch_concurrency_tests
echo "==> [tsan] ctest -L concurrency" >&2
ctest --preset tsan -L concurrency -j "$jobs"

echo "==> all tests passed" >&2
