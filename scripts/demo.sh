#!/usr/bin/env bash
# Quick start (1): install what is needed, build newswatch, and run the daemon on its embedded
# default — an in-process Kafka broker (librdkafka's mock cluster), the starter rules in
# rules/, and the sample feed deploy/demo/sample-feed.jsonl produced into the input topic.
# Alerts are printed on stdout as the broker acknowledges them; logs go to stderr; metrics
# and health are served on http://127.0.0.1:9464 (/metrics, /healthz, /readyz). Ctrl-C stops
# it cleanly. Extra arguments go to `newswatch run` (e.g. --exit-when-idle, --log-format json).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build
cmake --preset demo >/dev/null
cmake --build --preset demo --target newswatch
exec build/demo/daemon/app/newswatch run \
  --config deploy/config/newswatch-embedded.yaml \
  --demo-feed deploy/demo/sample-feed.jsonl "$@"
