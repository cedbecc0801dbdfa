#!/usr/bin/env bash
# The newswatch benchmark suite: newswatch and its three peers side by side — same rules, same
# articles, one run — and the issue's targets as PASS/FAIL. See benchmarks/README.md.
#
#   benchmarks/run.sh --corpus /work/shared/corpus/news_fr_en.jsonl [--rules 1000,10000]
#
# Options:
#   --corpus PATH          JSON Lines articles (required; read in place, never copied)
#   --rules LIST           rule counts to generate and measure (default 1000,10000)
#   --seed N               generator seed (default 42)
#   --build-dir DIR        CMake build directory (default build/bench; RelWithDebInfo -O2 -g,
#                          the flags of the `release` preset)
#   --out DIR              results directory (default <build-dir>/results/<date>)
#   --passes N             passes over the corpus for newswatch and Hyperscan (default 3)
#   --naive-articles N     articles for the naive baseline (default 300; it runs ~20 art/s)
#   --naive-rules LIST     rule counts for the naive baseline (default 1000)
#   --lucene-articles N    articles for Lucene Monitor (default 600; 0 = all; ~5 art/s at 10k rules)
#   --daemon-rules N       rule count for the daemon runs (default 1000)
#   --latency-rates LIST   articles/s for the latency runs (default 15000,5000,500: half of the
#                          30,000 target, and rates this 2-CPU machine sustains; each run
#                          has a 5 s warm-up left out of its histogram)
#   --skip-naive, --skip-lucene, --skip-daemon, --skip-agreement
#   --profile              perf record newswatch at each rule count (perf-N.txt)
# Environment: NEWSWATCH_CACHE (default ~/.cache/newswatch) for the Lucene peer's Maven
# repository and build; the Kafka broker jars (scripts/kafka.sh) live there too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORPUS=
RULES=1000,10000
SEED=42
BUILD=$ROOT/build/bench
OUT=
PASSES=3
NAIVE_ARTICLES=300
NAIVE_RULES=1000
LUCENE_ARTICLES=600
DAEMON_RULES=1000
LATENCY_RATES=15000,5000,500
SKIP_NAIVE=0
SKIP_LUCENE=0
SKIP_DAEMON=0
SKIP_AGREEMENT=0
PROFILE=0
CACHE=${NEWSWATCH_CACHE:-$HOME/.cache/newswatch}

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS=$2; shift 2 ;;
    --rules) RULES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --build-dir) BUILD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --passes) PASSES=$2; shift 2 ;;
    --naive-articles) NAIVE_ARTICLES=$2; shift 2 ;;
    --naive-rules) NAIVE_RULES=$2; shift 2 ;;
    --lucene-articles) LUCENE_ARTICLES=$2; shift 2 ;;
    --daemon-rules) DAEMON_RULES=$2; shift 2 ;;
    --latency-rates) LATENCY_RATES=$2; shift 2 ;;
    --skip-naive) SKIP_NAIVE=1; shift ;;
    --skip-lucene) SKIP_LUCENE=1; shift ;;
    --skip-daemon) SKIP_DAEMON=1; shift ;;
    --skip-agreement) SKIP_AGREEMENT=1; shift ;;
    --profile) PROFILE=1; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done
[ -n "$CORPUS" ] || { echo "run.sh: --corpus PATH is required" >&2; usage; }
[ -r "$CORPUS" ] || { echo "run.sh: cannot read $CORPUS" >&2; exit 2; }
CORPUS=$(cd "$(dirname "$CORPUS")" && pwd)/$(basename "$CORPUS")
OUT=${OUT:-$BUILD/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
log() { echo "run.sh: $*" >&2; }

# ---- build --------------------------------------------------------------------------------
log "building in $BUILD (RelWithDebInfo, -O2 -g)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g -DNDEBUG" -DNEWSWATCH_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j2 --target newswatch nw_gen nw_e2e nw_translate nw_agree nw_micro >&2
B=$BUILD/benchmarks
NEWSWATCH=$BUILD/daemon/app/newswatch

LUCENE_TARGET=$CACHE/lucene-monitor/target
if [ "$SKIP_LUCENE" = 0 ]; then
  PEER=$ROOT/benchmarks/peers/lucene-monitor
  STAMP=$(cat "$PEER/pom.xml" "$PEER"/src/main/java/io/newswatch/bench/*.java | sha256sum | cut -d' ' -f1)
  if [ ! -f "$LUCENE_TARGET/.stamp" ] || [ "$(cat "$LUCENE_TARGET/.stamp")" != "$STAMP" ]; then
    log "building the Lucene Monitor peer (Maven) into $LUCENE_TARGET"
    mvn -q -B -f "$PEER/pom.xml" package -Dmaven.repo.local="$CACHE/lucene-monitor/m2" \
      -Dpeer.build.dir="$LUCENE_TARGET" 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2
    echo "$STAMP" >"$LUCENE_TARGET/.stamp"
  fi
fi
lucene() {
  java -Xms1g -Xmx3g -XX:+UseParallelGC -cp "$LUCENE_TARGET/lucene-monitor-peer.jar:$LUCENE_TARGET/lib/*" \
    io.newswatch.bench.LuceneMonitorPeer "$@"
}

/usr/bin/python3 - "$OUT/machine.json" "$CORPUS" "$ROOT" <<'PY'
import json, os, subprocess, sys, datetime
out, corpus, root = sys.argv[1:]
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
rev = rev or os.environ.get("NEWSWATCH_REVISION", "unknown (not a git checkout)")
dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "daemon"], capture_output=True, text=True).stdout.strip()
json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu, "cpus": os.cpu_count(),
           "load_start": " ".join(open("/proc/loadavg").read().split()[:3]), "corpus": corpus,
           "revision": rev + (" + uncommitted daemon/ changes" if dirty else "")}, open(out, "w"))
PY

# ---- per rule count ---------------------------------------------------------------------------
IFS=, read -r -a counts <<<"$RULES"
for n in "${counts[@]}"; do
  R=$OUT/rules-$n
  log "== $n rules: generating (seed $SEED) into $R"
  "$B/nw_gen" rules --count "$n" --seed "$SEED" --out "$R"
  "$NEWSWATCH" check -q "$R"

  log "$n rules: newswatch (nw_e2e, $PASSES passes)"
  "$B/nw_e2e" --engine newswatch --rules "$R" --corpus "$CORPUS" --passes "$PASSES" --breakdown >"$OUT/nw-$n.json"

  log "$n rules: newswatch match CLI"
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/cli-$n.time" \
    "$NEWSWATCH" match --no-dedup --rules "$R" "$CORPUS" >/dev/null 2>"$OUT/cli-$n.err"
  /usr/bin/python3 - "$OUT/cli-$n.time" "$OUT/cli-$n.err" "$OUT/nw-$n.json" >"$OUT/cli-$n.json" <<'PY'
import json, re, sys
wall, user, sys_, rss_kb = open(sys.argv[1]).read().split()[-4:]
summary = [l for l in open(sys.argv[2]) if l.startswith("newswatch match:")][-1]
articles = int(re.search(r"(\d+) articles", summary).group(1))
nw = json.load(open(sys.argv[3]))
text_mb = nw["text_mb"] / len(nw["pass_mb_per_s_cpu"])
cpu = float(user) + float(sys_)
print(json.dumps({"articles": articles, "wall_s": float(wall), "cpu_s": cpu, "max_rss_mb": int(rss_kb) / 1000,
                  "articles_per_s_cpu": articles / cpu, "mb_per_s_cpu": text_mb / cpu,
                  "mb_per_s_wall": text_mb / float(wall), "summary": summary.strip()}))
PY

  log "$n rules: Hyperscan literals"
  "$B/nw_e2e" --engine hyperscan --rules "$R" --corpus "$CORPUS" --passes "$PASSES" >"$OUT/hs-$n.json"

  if [ "$SKIP_NAIVE" = 0 ] && [[ ",$NAIVE_RULES," == *",$n,"* ]]; then
    log "$n rules: naive RE2 baseline on $NAIVE_ARTICLES articles"
    "$B/nw_e2e" --engine naive --rules "$R" --corpus "$CORPUS" --limit "$NAIVE_ARTICLES" >"$OUT/naive-$n.json"
    "$B/nw_e2e" --engine newswatch --rules "$R" --corpus "$CORPUS" --limit "$NAIVE_ARTICLES" --passes "$PASSES" \
      >"$OUT/nw-naive-$n.json"
  fi

  if [ "$SKIP_LUCENE" = 0 ]; then
    log "$n rules: Lucene Monitor on ${LUCENE_ARTICLES/#0/all} articles"
    "$B/nw_translate" --rules "$R" --out "$OUT/rules-$n.lucene.json"
    "$B/nw_e2e" --engine newswatch --rules "$R" --corpus "$CORPUS" --limit "$LUCENE_ARTICLES" --passes "$PASSES" \
      --pairs "$OUT/pairs-newswatch-$n.tsv" >"$OUT/nw-lucene-$n.json"
    probe=()
    [ "$SKIP_AGREEMENT" = 1 ] || probe=(--nw-pairs "$OUT/pairs-newswatch-$n.tsv" --probe-out "$OUT/probes-$n.jsonl")
    lucene --rules-json "$OUT/rules-$n.lucene.json" --corpus "$CORPUS" --limit "$LUCENE_ARTICLES" --passes 2 \
      --pairs "$OUT/pairs-lucene-$n.tsv" "${probe[@]}" >"$OUT/lucene-$n.json"
    if [ "$SKIP_AGREEMENT" = 0 ]; then
      log "$n rules: agreement newswatch / Lucene Monitor"
      "$B/nw_agree" --rules "$R" --corpus "$CORPUS" --newswatch "$OUT/pairs-newswatch-$n.tsv" \
        --lucene "$OUT/pairs-lucene-$n.tsv" --probes "$OUT/probes-$n.jsonl" >"$OUT/agree-$n.json"
    fi
  fi

  if [ "$PROFILE" = 1 ]; then
    log "$n rules: perf profile of newswatch"
    perf record -F 999 -g -o "$OUT/perf-$n.data" \
      "$B/nw_e2e" --engine newswatch --rules "$R" --corpus "$CORPUS" --passes "$PASSES" >/dev/null 2>&1 || true
    perf report -i "$OUT/perf-$n.data" --no-children --percent-limit 1 --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' >"$OUT/perf-$n.txt" || true
  fi
done

# ---- daemon on the real broker ------------------------------------------------------------------
if [ "$SKIP_DAEMON" = 0 ]; then
  DR=$OUT/rules-$DAEMON_RULES
  [ -d "$DR" ] || "$B/nw_gen" rules --count "$DAEMON_RULES" --seed "$SEED" --out "$DR"
  log "daemon throughput on a real broker (benchmarks/e2e_daemon.sh, 1 and 2 workers, $DAEMON_RULES rules, corpus x4)"
  "$ROOT/benchmarks/e2e_daemon.sh" --binary "$NEWSWATCH" --rules "$DR" --workers 1,2 --runs 2 --repeat 4 "$CORPUS" \
    >"$OUT/daemon.txt" 2>"$OUT/daemon.err" || log "e2e_daemon.sh failed (see $OUT/daemon.err)"
  IFS=, read -r -a rates <<<"$LATENCY_RATES"
  for rate in "${rates[@]}"; do
    log "daemon latency at $rate articles/s (benchmarks/e2e_latency.sh, 2 workers, 6 s)"
    "$ROOT/benchmarks/e2e_latency.sh" --binary "$NEWSWATCH" --rules "$DR" --workers 2 --rate "$rate" --seconds 6 \
      "$CORPUS" >"$OUT/latency-$rate.json" 2>"$OUT/latency-$rate.err" || log "e2e_latency.sh failed (see $OUT/latency-$rate.err)"
  done
fi

/usr/bin/python3 - "$OUT/machine.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["load_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
json.dump(m, open(sys.argv[1], "w"))
PY
/usr/bin/python3 "$ROOT/benchmarks/report.py" "$OUT"
log "results in $OUT (report.md)"
