#!/usr/bin/env bash
# Installs what newswatch needs, from Debian 12 packages only (no vendored code, nothing
# downloaded at build time). Idempotent: installs only what is missing. Run as root (or with
# sudo available).
#
#   scripts/install-deps.sh build   # compilers and libraries: enough to build and run newswatch
#   scripts/install-deps.sh all     # + tests, integration (Java, Maven, kcat, Prometheus),
#                                   #   benchmarks (Hyperscan), fuzzing and tooling (clang)
#
# NEWSWATCH_SKIP_APT=1 skips everything (for machines provisioned otherwise).
set -euo pipefail

if [[ "${NEWSWATCH_SKIP_APT:-0}" == 1 ]]; then exit 0; fi
group="${1:-all}"

build=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  librdkafka-dev libsimdjson-dev libre2-dev prometheus-cpp-dev libcivetweb-dev libspdlog-dev
  libfmt-dev libyaml-cpp-dev libcli11-dev libutf8proc-dev libssl-dev
)
extra=(
  libgtest-dev libgmock-dev libbenchmark-dev libhyperscan-dev python3 python3-jsonschema
  kcat prometheus openjdk-17-jdk-headless maven
  clang libclang-rt-14-dev clang-format clang-tidy linux-perf valgrind procps
)
case "$group" in
  build) packages=("${build[@]}") ;;
  all) packages=("${build[@]}" "${extra[@]}") ;;
  *) echo "usage: $0 [build|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then exit 0; fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
