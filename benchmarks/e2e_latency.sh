#!/usr/bin/env bash
# End-to-end latency of `newswatch run` on a real Kafka broker at a fixed input rate.
#
# Starts its own single-node Kafka 3.9.1 broker (scripts/kafka.sh), starts the daemon, then
# produces articles at --rate articles/s for --seconds (the corpus is replayed as many times
# as needed, each copy with new article ids so that dedup never suppresses an alert), waits
# until everything is consumed, and reads the daemon's own histogram
# newswatch_end_to_end_latency_seconds (Kafka message timestamp -> alert acknowledged by the
# broker) from /metrics. Prints one JSON object: rate achieved, alerts, p50/p90/p99 (linear
# interpolation inside the histogram buckets 1, 2.5, 5, 10, 25, 50, 100, 250 ms ...), and the
# share of alerts delivered within 100 ms.
#
#   benchmarks/e2e_latency.sh --binary build/bench/daemon/app/newswatch --rules DIR CORPUS.jsonl
#
# Options:
#   --binary PATH    newswatch executable (default: $NEWSWATCH_BIN or build/bench/daemon/app/newswatch)
#   --rules DIR      rules directory (default: rules/ of this repository)
#   --workers N      pipeline workers (default: 2)
#   --rate R         articles per second to produce (default: 15000)
#   --seconds S      how long to produce (default: 10)
#   --warmup S       produce at the same rate for S seconds first, and leave those articles
#                    out of the histogram (default: 5)
#   --partitions N   input topic partitions (default: 4)
#   --keep           keep the temporary directory
# Complements benchmarks/e2e_daemon.sh (throughput: the corpus produced first, then consumed
# as fast as possible). Tools: java + maven (broker), kcat, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${NEWSWATCH_BIN:-$ROOT/build/bench/daemon/app/newswatch}
RULES=$ROOT/rules
WORKERS=2
RATE=15000
SECONDS_=10
WARMUP=5
PARTITIONS=4
KEEP=0
CORPUS=

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BIN=$2; shift 2 ;;
    --rules) RULES=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --partitions) PARTITIONS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    -*) echo "e2e_latency.sh: unknown option $1" >&2; usage ;;
    *) CORPUS=$1; shift ;;
  esac
done
[ -n "$CORPUS" ] && [ -r "$CORPUS" ] || { echo "e2e_latency.sh: give a readable corpus" >&2; usage; }
[ -x "$BIN" ] || { echo "e2e_latency.sh: no newswatch executable at $BIN" >&2; exit 2; }
command -v kcat >/dev/null || { echo "e2e_latency.sh: kcat is needed" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/newswatch-lat.XXXXXX")
STATE=$WORK/kafka
DAEMON_PID=
cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  "$ROOT/scripts/kafka.sh" stop "$STATE" >/dev/null 2>&1 || true
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

"$ROOT/scripts/kafka.sh" start "$STATE" >&2
BROKER=$(cat "$STATE/bootstrap")
"$ROOT/scripts/kafka.sh" topic "$STATE" create lat-in "$PARTITIONS" >/dev/null
"$ROOT/scripts/kafka.sh" topic "$STATE" create lat-alerts 3 >/dev/null
TOTAL=$((RATE * SECONDS_))

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/config.yaml" <<EOF
kafka:
  brokers: "$BROKER"
  group_id: "lat"
  input_topics: ["lat-in"]
  alert_topic: "lat-alerts"
rules:
  dir: "$RULES"
  watch: false
pipeline:
  workers: $WORKERS
dedup:
  max_entries: 0
metrics:
  listen: "127.0.0.1:$PORT"
log:
  format: json
EOF
"$BIN" run --config "$WORK/config.yaml" --no-print-alerts 2>"$WORK/daemon.log" &
DAEMON_PID=$!

# Wait for the partition assignment before producing.
for _ in $(seq 1 120); do
  grep -q '"event":"assign"' "$WORK/daemon.log" 2>/dev/null && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }
  sleep 0.5
done
grep -q '"event":"assign"' "$WORK/daemon.log" || { echo "e2e_latency.sh: daemon never got partitions" >&2; exit 1; }

# A fresh broker answers the first idempotent producer's InitProducerId with "coordinator load
# in progress" for about a second; the articles produced meanwhile would carry that wait in
# their timestamps. One message to another topic absorbs it before the clock starts.
echo warm-up | kcat -P -b "$BROKER" -t lat-warmup -X enable.idempotence=true 2>/dev/null || true

# Paced producer: every 10 ms, hand kcat the lines due by then. The corpus is replayed as
# often as needed; copy k of an article gets the id "<id>~k" (dedup is off anyway).
produce() {  # produce RATE COUNT FIRST_COPY
  /usr/bin/python3 - "$CORPUS" "$1" "$2" "$3" <<'PY' | kcat -P -b "$BROKER" -t lat-in -X linger.ms=1 -X enable.idempotence=true
import sys, time
path, rate, total, first = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
split = []  # (bytes before the end of the id value, bytes after)
for line in open(path, "rb"):
    if not line.strip():
        continue
    if not line.endswith(b"\n"):
        line += b"\n"
    i = line.find(b'"id"')
    j = line.find(b'"', line.find(b":", i) + 1) if i >= 0 else -1
    k = line.find(b'"', j + 1) if j >= 0 else -1
    if k < 0:
        continue
    split.append((line[:k], line[k:]))
out = sys.stdout.buffer
start = time.monotonic()
sent = 0
while sent < total:
    due = min(total, int((time.monotonic() - start) * rate) + 1)
    chunk = []
    while sent < due:
        head, tail = split[sent % len(split)]
        chunk.append(head + b"~%d" % (first + sent // len(split)) + tail)
        sent += 1
    if chunk:
        out.write(b"".join(chunk))
        out.flush()
    time.sleep(0.01)
PY
}

metric() {  # metric NAME: the value of an unlabelled sample on /metrics
  curl -s "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {if (NR) print s}'
}
wait_consumed() {  # wait_consumed N: until the daemon has consumed N articles (at most 120 s)
  for _ in $(seq 1 240); do
    consumed=$(metric newswatch_articles_consumed_total)
    [ -n "$consumed" ] && [ "${consumed%.*}" -ge "$1" ] && break
    sleep 0.5
  done
  sleep 1  # let the last acknowledgements arrive
}

# Warm-up at the same rate (a fresh broker JVM and daemon are slower for their first seconds);
# its latencies are subtracted from the histogram.
WARM_TOTAL=$(/usr/bin/python3 -c "print(int($RATE * $WARMUP))")
if [ "$WARM_TOTAL" -gt 0 ]; then
  produce "$RATE" "$WARM_TOTAL" 1000
  wait_consumed "$WARM_TOTAL"
fi
curl -s "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics-before.txt"

START=$(date +%s.%N)
produce "$RATE" "$TOTAL" 0
END=$(date +%s.%N)
wait_consumed $((WARM_TOTAL + TOTAL))
curl -s "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"

/usr/bin/python3 - "$WORK/metrics.txt" "$START" "$END" "$TOTAL" "$RATE" "$WORKERS" "$WORK/metrics-before.txt" "$WARMUP" <<'PY'
import json, re, sys
path, start, end, total, rate, workers, before_path, warmup = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7], float(sys.argv[8])
def scrape(p):
    buckets, count, consumed = {}, 0.0, 0.0
    for line in open(p):
        m = re.match(r'newswatch_end_to_end_latency_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            buckets[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = float(m.group(2))
        elif line.startswith("newswatch_end_to_end_latency_seconds_count"):
            count = float(line.split()[1])
        elif line.startswith("newswatch_articles_consumed_total"):
            consumed = float(line.split()[1])
    return buckets, count, consumed
after_b, count, consumed = scrape(path)
before_b, before_count, before_consumed = scrape(before_path)
buckets = sorted((le, c - before_b.get(le, 0.0)) for le, c in after_b.items())
count -= before_count
consumed -= before_consumed
def quantile(q):
    if count == 0:
        return None
    target = q * count
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= target:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((target - prev_c) / max(c - prev_c, 1e-9))
        prev_le, prev_c = le, c
    return prev_le
within = next((c for le, c in buckets if abs(le - 0.1) < 1e-9), 0.0)
print(json.dumps({
    "workers": workers, "target_rate": rate, "warmup_seconds": warmup, "produced": total,
    "produce_seconds": end - start, "achieved_rate": total / (end - start),
    "consumed": consumed, "alerts": count,
    "p50_ms": None if count == 0 else 1000 * quantile(0.5),
    "p90_ms": None if count == 0 else 1000 * quantile(0.9),
    "p99_ms": None if count == 0 else 1000 * quantile(0.99),
    "share_within_100ms": within / count if count else None,
    "buckets": [[le if le != float("inf") else "+Inf", c] for le, c in buckets],
}))
PY
