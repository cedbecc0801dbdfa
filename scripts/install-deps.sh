#!/usr/bin/env bash
# Installs everything newswatch needs to build, test and run, from Debian 12 packages only.
# Idempotent; run as root (or with sudo available). Set NEWSWATCH_SKIP_APT=1 to skip.
set -euo pipefail

if [[ "${NEWSWATCH_SKIP_APT:-0}" == 1 ]]; then exit 0; fi

packages=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries
  librdkafka-dev libsimdjson-dev libre2-dev prometheus-cpp-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev libcli11-dev libutf8proc-dev libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-jsonschema
  kcat prometheus openjdk-17-jre-headless maven libhyperscan-dev
  # fuzzing and tooling
  clang libclang-rt-14-dev clang-format clang-tidy
)

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
