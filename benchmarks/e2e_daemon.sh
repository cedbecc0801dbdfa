#!/usr/bin/env bash
# End-to-end throughput of `newswatch run` on a real Kafka broker.
#
# Starts its own single-node Kafka 3.9.1 broker (scripts/kafka.sh) in a temporary directory,
# and for each worker count: creates a fresh input topic, produces the corpus into it with kcat
# (one message per line), runs the daemon with --exit-when-idle from start to exit, and reports
# the wall time and articles/s. The broker is stopped and the directory removed at the end.
#
#   benchmarks/e2e_daemon.sh --binary build/release/daemon/app/newswatch CORPUS.jsonl
#   benchmarks/e2e_daemon.sh --workers 1,2,4 --runs 3 --partitions 6 CORPUS.jsonl
#
# Options:
#   --binary PATH      newswatch executable (default: $NEWSWATCH_BIN or build/release/...)
#   --rules DIR        rules directory (default: rules/ of this repository)
#   --workers LIST     comma-separated worker counts (default: 1,2)
#   --runs N           runs per worker count, each on a fresh topic and group (default: 1)
#   --partitions N     input topic partitions (default: 4)
#   --repeat N         replay the corpus N times, copy k of an article with the id "<id>~k"
#                      (so dedup hides no alert; default: 1)
#   --consumer-prop K=V  a librdkafka consumer property for the daemon (repeatable), e.g.
#                      --consumer-prop fetch.wait.max.ms=10
#   --keep             keep the temporary directory (broker logs, daemon logs, configs)
#
# What the numbers include: "wall" is from starting the process to its exit (rule compile,
# group join, consuming, matching, delivering every alert, final commit, leaving the group);
# "active" is from the daemon's first "partitions assigned" log line to its "stopping" line,
# less the 0.5 s the daemon waits, idle, before --exit-when-idle stops it. "cpu_s" is the
# daemon's user+system CPU for the whole run (all its threads, librdkafka's included) and
# "cpu_us/art" that per article: what the daemon costs, apart from the broker and producer
# that share this machine's CPUs.
# Tools: java + maven (for the broker, see tests/integration/README.md), kcat, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${NEWSWATCH_BIN:-$ROOT/build/release/daemon/app/newswatch}
RULES=$ROOT/rules
WORKERS=1,2
RUNS=1
PARTITIONS=4
REPEAT=1
CONSUMER_PROPS=()
KEEP=0
CORPUS=

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BIN=$2; shift 2 ;;
    --rules) RULES=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --partitions) PARTITIONS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --consumer-prop) CONSUMER_PROPS+=("$2"); shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    -*) echo "e2e_daemon.sh: unknown option $1" >&2; usage ;;
    *) CORPUS=$1; shift ;;
  esac
done
[ -n "$CORPUS" ] || { echo "e2e_daemon.sh: give the corpus (JSON Lines) to replay" >&2; usage; }
[ -r "$CORPUS" ] || { echo "e2e_daemon.sh: cannot read $CORPUS" >&2; exit 2; }
[ -x "$BIN" ] || { echo "e2e_daemon.sh: no newswatch executable at $BIN (use --binary)" >&2; exit 2; }
command -v kcat >/dev/null || { echo "e2e_daemon.sh: kcat is needed" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/newswatch-e2e.XXXXXX")
STATE=$WORK/kafka
cleanup() {
  "$ROOT/scripts/kafka.sh" stop "$STATE" >/dev/null 2>&1 || true
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ "$REPEAT" -gt 1 ]; then
  /usr/bin/python3 - "$CORPUS" "$REPEAT" >"$WORK/replay.jsonl" <<'PY'
import json, sys
path, repeat = sys.argv[1], int(sys.argv[2])
lines = [l for l in open(path, "rb").read().split(b"\n") if l.strip()]
out = sys.stdout.buffer
for k in range(repeat):
    for line in lines:
        if k == 0:
            out.write(line + b"\n")
            continue
        try:
            doc = json.loads(line)
            doc["id"] = f"{doc.get('id', '')}~{k}"
            out.write(json.dumps(doc, ensure_ascii=False).encode() + b"\n")
        except (ValueError, AttributeError):
            out.write(line + b"\n")  # malformed lines stay as they are
PY
  CORPUS=$WORK/replay.jsonl
fi

"$ROOT/scripts/kafka.sh" start "$STATE" >&2
BROKER=$(cat "$STATE/bootstrap")
ARTICLES=$(grep -c . "$CORPUS")
BYTES=$(stat -c %s "$CORPUS")
echo "corpus $CORPUS: $ARTICLES articles, $BYTES bytes; rules $RULES; $PARTITIONS partitions" >&2
echo "binary $BIN ($("$BIN" --version 2>/dev/null || echo unknown)); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

printf '%-8s %-4s %9s %9s %10s %12s %14s %8s %7s %11s %8s\n' workers run articles wall_s active_s \
  articles/s active_art/s alerts cpu_s cpu_us/art rss_mb
CONSUMER_YAML=""
if [ ${#CONSUMER_PROPS[@]} -gt 0 ]; then
  CONSUMER_YAML="  consumer:"
  for kv in "${CONSUMER_PROPS[@]}"; do CONSUMER_YAML+=$'\n'"    \"${kv%%=*}\": \"${kv#*=}\""; done
fi
IFS=, read -r -a worker_counts <<<"$WORKERS"
for w in "${worker_counts[@]}"; do
  for run in $(seq 1 "$RUNS"); do
    tag=w$w-r$run
    input=e2e-in-$tag
    alerts=e2e-alerts-$tag
    "$ROOT/scripts/kafka.sh" topic "$STATE" create "$input" "$PARTITIONS" >/dev/null
    "$ROOT/scripts/kafka.sh" topic "$STATE" create "$alerts" 3 >/dev/null
    kcat -P -b "$BROKER" -t "$input" -X enable.idempotence=true -l "$CORPUS"
    cat >"$WORK/$tag.yaml" <<EOF
kafka:
  brokers: "$BROKER"
  group_id: "e2e-$tag"
  input_topics: ["$input"]
  alert_topic: "$alerts"
$CONSUMER_YAML
rules:
  dir: "$RULES"
  watch: false
pipeline:
  workers: $w
metrics:
  listen: ""
log:
  format: json
EOF
    start=$(date +%s.%N)
    /usr/bin/time -f "%U %S %M" -o "$WORK/$tag.time" \
      "$BIN" run --config "$WORK/$tag.yaml" --exit-when-idle --no-print-alerts 2>"$WORK/$tag.log"
    end=$(date +%s.%N)
    nalerts=$(kcat -C -b "$BROKER" -t "$alerts" -e -q -f 'x\n' | wc -l)
    python3 - "$WORK/$tag.log" "$start" "$end" "$w" "$run" "$nalerts" "$WORK/$tag.time" <<'PY'
import datetime, json, sys
log, start, end, workers, run, alerts, timing = sys.argv[1:]
user, system, rss_kb = open(timing).read().split()[-3:]
wall = float(end) - float(start)
assigned = stopping = None
consumed = 0
def ts(e):
    return datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
for line in open(log, encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "assign" and assigned is None:
        assigned = ts(e)
    if e.get("event") == "shutdown":
        stopping = ts(e)
        consumed = e.get("consumed", 0)
active = (stopping - assigned - 0.5) if assigned and stopping else float("nan")
cpu = float(user) + float(system)
print(f"{workers:<8} {run:<4} {consumed:>9} {wall:>9.2f} {active:>10.2f} {consumed / wall:>12.0f} "
      f"{consumed / active:>14.0f} {alerts:>8} {cpu:>7.2f} {cpu / max(consumed, 1) * 1e6:>11.0f} "
      f"{int(rss_kb) / 1024:>8.0f}")
PY
    if ! grep -q '"event":"exit"' "$WORK/$tag.log"; then
      echo "e2e_daemon.sh: the daemon did not exit cleanly; log: $WORK/$tag.log" >&2
      KEEP=1
      exit 1
    fi
  done
done
