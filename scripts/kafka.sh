#!/usr/bin/env bash
# A real single-node Apache Kafka 3.9.1 broker (KRaft, broker+controller in one JVM) for the
# integration tests. See tests/integration/README.md.
#
#   scripts/kafka.sh fetch
#       Resolve the broker jars from Maven Central once into the cache (idempotent, safe to
#       interrupt) and print the lib directory.
#   scripts/kafka.sh start STATE_DIR
#       Start a FRESH broker whose state lives in STATE_DIR (previous data there is wiped; a
#       broker still running from STATE_DIR is stopped first). Listeners are loopback-only on
#       free ephemeral ports. Returns once the broker answers metadata requests on both client
#       listeners. Writes STATE_DIR/{bootstrap,sasl_bootstrap,pid,ports,cluster_id}.
#   scripts/kafka.sh stop STATE_DIR
#       SIGTERM, wait, SIGKILL after KAFKA_STOP_TIMEOUT seconds. Keeps data and logs.
#   scripts/kafka.sh restart STATE_DIR
#       stop + start on the SAME ports and data directory (data survives).
#   scripts/kafka.sh status STATE_DIR
#       Exit 0 if the broker of STATE_DIR runs and answers.
#   scripts/kafka.sh topic STATE_DIR create NAME PARTITIONS [kafka-topics args...]
#   scripts/kafka.sh topic STATE_DIR describe|delete NAME
#   scripts/kafka.sh topic STATE_DIR list
#       kafka-topics (org.apache.kafka.tools.TopicCommand) against the PLAINTEXT listener.
#
# Client listeners:
#   PLAINTEXT       STATE_DIR/bootstrap       no authentication
#   SASL_PLAINTEXT  STATE_DIR/sasl_bootstrap  PLAIN and SCRAM-SHA-256,
#                                             user newswatch / password newswatch-secret
# The controller and inter-broker listeners are plaintext.
#
# Environment:
#   NEWSWATCH_CACHE        cache root (default $HOME/.cache/newswatch); jars go to
#                          $NEWSWATCH_CACHE/kafka-3.9.1/lib, the Maven repo to .../m2
#   KAFKA_HEAP             JVM max heap (default 512m)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 90)
#   KAFKA_STOP_TIMEOUT     seconds between SIGTERM and SIGKILL (default 30)
set -euo pipefail

readonly KAFKA_VERSION=3.9.1
readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly POM="${SCRIPT_DIR}/../tests/integration/kafka/pom.xml"
readonly CACHE_ROOT="${NEWSWATCH_CACHE:-${HOME}/.cache/newswatch}"
readonly KAFKA_HOME_DIR="${CACHE_ROOT}/kafka-${KAFKA_VERSION}"
readonly LIB_DIR="${KAFKA_HOME_DIR}/lib"
readonly HEAP="${KAFKA_HEAP:-512m}"
readonly JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
readonly START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
readonly STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
readonly SASL_USER=newswatch
readonly SASL_PASSWORD=newswatch-secret
readonly START_ATTEMPTS=3

log() { echo "kafka.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# fetch: resolve the jars once. A completed lib/ holds .pom-sha256 = sha256 of the pom it was
# resolved from; a different pom triggers a new fetch. Jars are copied into a temporary
# directory that is renamed into place only when complete, so an interrupted fetch never leaves
# a half-filled lib/. A lock serialises concurrent fetches (e.g. two build trees).
# ---------------------------------------------------------------------------------------------
pom_sha() { sha256sum "${POM}" | cut -d' ' -f1; }

lib_is_current() {
  [[ -f "${LIB_DIR}/.pom-sha256" && "$(cat "${LIB_DIR}/.pom-sha256")" == "$(pom_sha)" ]]
}

cmd_fetch() {
  [[ -f "${POM}" ]] || die "missing ${POM}"
  if lib_is_current; then
    echo "${LIB_DIR}"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (scripts/install-deps.sh installs maven)"
  command -v java >/dev/null || die "java not found (scripts/install-deps.sh installs openjdk-17)"
  mkdir -p "${KAFKA_HOME_DIR}"
  exec 9>"${KAFKA_HOME_DIR}/.lock"
  flock 9
  if lib_is_current; then # another process fetched while we waited for the lock
    exec 9>&-
    echo "${LIB_DIR}"
    return 0
  fi
  rm -rf "${KAFKA_HOME_DIR}"/lib.tmp.* "${KAFKA_HOME_DIR}"/lib.old.*
  local tmp="${KAFKA_HOME_DIR}/lib.tmp.$$"
  trap 'rm -rf "'"${tmp}"'"' EXIT
  log "fetching Kafka ${KAFKA_VERSION} jars from Maven Central into ${LIB_DIR} (once)"
  # (Maven 3.8 prints colour resets even in batch mode: strip them.)
  if ! mvn -B -q -f "${POM}" -Dmaven.repo.local="${KAFKA_HOME_DIR}/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="${tmp}" 2>&1 |
    sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2; then
    die "maven could not resolve the Kafka jars (network access to Maven Central?)"
  fi
  [[ -f "${tmp}/kafka_2.13-${KAFKA_VERSION}.jar" ]] || die "fetch incomplete: no kafka_2.13 jar"
  pom_sha >"${tmp}/.pom-sha256"
  if [[ -d "${LIB_DIR}" ]]; then mv "${LIB_DIR}" "${KAFKA_HOME_DIR}/lib.old.$$"; fi
  mv "${tmp}" "${LIB_DIR}"
  rm -rf "${KAFKA_HOME_DIR}/lib.old.$$"
  trap - EXIT
  exec 9>&-
  echo "${LIB_DIR}"
}

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

# free_ports N: N distinct free loopback TCP ports, bound simultaneously (so they differ) and
# released before returning. Another process may take one before the broker binds it; start
# detects that and retries with new ports.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

java_tool() { # java_tool STATE_DIR CLASS ARGS...: run a Kafka command-line class quietly
  local state="$1" cls="$2"
  shift 2
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:${state}/tools-log4j.properties" \
    -cp "${LIB_DIR}/*" "${cls}" "$@"
}

# The pid recorded in STATE_DIR/pid if that process is still our broker (guards against pid
# reuse: the command line must name this state dir's server.properties).
broker_pid() {
  local state="$1" pid
  [[ -f "${state}/pid" ]] || return 1
  pid="$(cat "${state}/pid")"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)" || return 1
  [[ "${cmdline}" == *"kafka.Kafka ${state}/server.properties"* ]] || return 1
  echo "${pid}"
}

# Does the broker answer a metadata request on both client listeners, and list itself as an
# alive (registered, unfenced) broker? The SASL check uses SCRAM, which also proves the
# credentials created at format time are loaded.
broker_answers() {
  local state="$1" bootstrap sasl out
  bootstrap="$(cat "${state}/bootstrap")"
  sasl="$(cat "${state}/sasl_bootstrap")"
  out="$(kcat -L -b "${bootstrap}" -m 5 -X topic.metadata.refresh.interval.ms=-1 2>/dev/null)" ||
    return 1
  grep -qF "broker 1 at ${bootstrap}" <<<"${out}" || return 1
  kcat -L -b "${sasl}" -m 5 -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=SCRAM-SHA-256 \
    -X sasl.username="${SASL_USER}" -X sasl.password="${SASL_PASSWORD}" >/dev/null 2>&1
}

write_configs() { # write_configs STATE_DIR PLAINTEXT_PORT SASL_PORT CONTROLLER_PORT
  local state="$1" p="$2" s="$3" c="$4"
  cat >"${state}/server.properties" <<EOF
# Generated by scripts/kafka.sh: single-node KRaft broker for integration tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${c}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${p},SASL_PLAINTEXT://127.0.0.1:${s},CONTROLLER://127.0.0.1:${c}
advertised.listeners=PLAINTEXT://127.0.0.1:${p},SASL_PLAINTEXT://127.0.0.1:${s}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT

# SASL on the SASL_PLAINTEXT listener only. PLAIN users are declared in the JAAS line; SCRAM
# credentials live in the metadata log (created by 'StorageTool format --add-scram').
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${SASL_USER}="${SASL_PASSWORD}";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;

log.dirs=${state}/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0
# Allocated eagerly at startup (default 128 MiB).
log.cleaner.dedupe.buffer.size=4194304
# A small machine: few threads.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
  cat >"${state}/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${state}/logs/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  cat >"${state}/tools-log4j.properties" <<EOF
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  cat >"${state}/ports" <<EOF
PLAINTEXT_PORT=${p}
SASL_PORT=${s}
CONTROLLER_PORT=${c}
EOF
  echo "127.0.0.1:${p}" >"${state}/bootstrap"
  echo "127.0.0.1:${s}" >"${state}/sasl_bootstrap"
}

format_storage() {
  local state="$1" id
  id="$(java_tool "${state}" kafka.tools.StorageTool random-uuid)"
  [[ -n "${id}" ]] || die "StorageTool random-uuid printed nothing"
  echo "${id}" >"${state}/cluster_id"
  java_tool "${state}" kafka.tools.StorageTool format -t "${id}" -c "${state}/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=${SASL_USER},password=${SASL_PASSWORD}]" >"${state}/logs/format.log" 2>&1 ||
    {
      cat "${state}/logs/format.log" >&2
      die "StorageTool format failed"
    }
}

# launch STATE_DIR: start the JVM in its own session (so it outlives this script and is not
# tied to the caller's terminal or ctest's process group) with all standard streams redirected
# (so a caller reading our output, like ctest, is not kept waiting by the broker).
LOG_MARK=0
launch() {
  local state="$1"
  : >"${state}/logs/kafka.out"
  LOG_MARK="$(stat -c %s "${state}/logs/server.log" 2>/dev/null || echo 0)"
  (
    cd "${state}"
    # shellcheck disable=SC2086 # KAFKA_JVM_OPTS is a list of options
    exec setsid java "-Xmx${HEAP}" ${JVM_OPTS} -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dlog4j.configuration="file:${state}/log4j.properties" -Dkafka.logs.dir="${state}/logs" \
      -cp "${LIB_DIR}/*" kafka.Kafka "${state}/server.properties" \
      </dev/null >>"${state}/logs/kafka.out" 2>&1
  ) &
  echo $! >"${state}/pid"
}

# wait_ready STATE_DIR: 0 when the broker answers, 1 if it died, 2 on timeout.
wait_ready() {
  local state="$1" pid deadline
  pid="$(cat "${state}/pid")"
  deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "${pid}" 2>/dev/null; then return 1; fi
    if bind_failed "${state}"; then # it will exit by itself, but only after a full startup
      stop_broker "${state}"
      return 1
    fi
    # A refused connection is cheap to detect: only then ask for metadata (kcat would spend its
    # whole metadata timeout on a port that is not listening yet).
    if port_open "$(cat "${state}/bootstrap")" && broker_answers "${state}"; then return 0; fi
    sleep 0.1
  done
  return 2
}

port_open() { # port_open HOST:PORT
  (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

# Did the last launch fail to bind a listener? Only the log written since that launch counts
# (server.log is appended to across restarts).
bind_failed() {
  { tail -c "+$((LOG_MARK + 1))" "$1/logs/server.log" 2>/dev/null; cat "$1/logs/kafka.out"; } |
    grep -E "Address already in use|failed to bind" >/dev/null
}

show_logs() {
  local state="$1"
  log "---- errors in ${state}/logs/server.log ----"
  grep -E "^\[[^]]*\] (ERROR|FATAL)" "${state}/logs/server.log" 2>/dev/null | tail -n 20 >&2 || true
  log "---- tail of ${state}/logs/server.log ----"
  tail -n 30 "${state}/logs/server.log" >&2 2>/dev/null || true
  log "---- tail of ${state}/logs/kafka.out ----"
  tail -n 20 "${state}/logs/kafka.out" >&2 2>/dev/null || true
}

# run_broker STATE_DIR: launch + wait; 0 ready, 1 died, 2 timeout (broker killed).
run_broker() {
  local state="$1" rc=0 pid
  launch "${state}"
  pid="$(cat "${state}/pid")"
  wait_ready "${state}" || rc=$?
  if ((rc == 2)); then stop_broker "${state}"; fi
  if ((rc != 0)); then
    wait "${pid}" 2>/dev/null || true # reap it
    rm -f "${state}/pid"
  fi
  return "${rc}"
}

stop_broker() {
  local state="$1" pid deadline
  pid="$(broker_pid "${state}")" || {
    rm -f "${state}/pid"
    return 0
  }
  kill -TERM "${pid}" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "${pid}" 2>/dev/null; then
    log "broker ${pid} still running after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "${state}/pid"
}

abs_state() {
  [[ -n "${1:-}" ]] || usage
  mkdir -p "$1"
  (cd "$1" && pwd)
}

# ---------------------------------------------------------------------------------------------
# subcommands
# ---------------------------------------------------------------------------------------------
cmd_start() {
  local state t0 attempt rc ports
  state="$(abs_state "${1:-}")"
  t0=${SECONDS}
  cmd_fetch >/dev/null
  command -v kcat >/dev/null || die "kcat not found (scripts/install-deps.sh installs it)"
  stop_broker "${state}"
  for ((attempt = 1; attempt <= START_ATTEMPTS; attempt++)); do
    rm -rf "${state}/data" "${state}/logs"
    rm -f "${state}"/{bootstrap,sasl_bootstrap,ports,cluster_id,pid}
    mkdir -p "${state}/data" "${state}/logs"
    read -r -a ports <<<"$(free_ports 3)"
    write_configs "${state}" "${ports[0]}" "${ports[1]}" "${ports[2]}"
    format_storage "${state}"
    rc=0
    run_broker "${state}" || rc=$?
    if ((rc == 0)); then
      log "broker ready at $(cat "${state}/bootstrap") (SASL $(cat "${state}/sasl_bootstrap")," \
        "pid $(cat "${state}/pid")) in $((SECONDS - t0))s"
      return 0
    fi
    if ((rc == 1)) && bind_failed "${state}"; then
      log "a listener port was taken before the broker bound it; retrying with new ports"
      continue
    fi
    break
  done
  show_logs "${state}"
  die "broker did not become ready (state dir ${state})"
}

cmd_restart() {
  local state t0 attempt rc
  state="$(abs_state "${1:-}")"
  [[ -f "${state}/server.properties" && -f "${state}/bootstrap" ]] ||
    die "${state} holds no broker configuration: use start first"
  t0=${SECONDS}
  stop_broker "${state}"
  # Same ports and data. The ports were ours a moment ago; if another process grabbed one in
  # between, retrying after a short pause is all we can do without changing the address.
  for ((attempt = 1; attempt <= START_ATTEMPTS; attempt++)); do
    rc=0
    run_broker "${state}" || rc=$?
    if ((rc == 0)); then
      log "broker restarted at $(cat "${state}/bootstrap") (pid $(cat "${state}/pid"))" \
        "in $((SECONDS - t0))s"
      return 0
    fi
    if ((rc == 1)) && bind_failed "${state}"; then
      log "listener port busy; retrying"
      sleep 1
      continue
    fi
    break
  done
  show_logs "${state}"
  die "broker did not come back (state dir ${state})"
}

cmd_stop() {
  local state
  state="$(abs_state "${1:-}")"
  stop_broker "${state}"
}

cmd_status() {
  local state pid
  state="$(abs_state "${1:-}")"
  pid="$(broker_pid "${state}")" || {
    echo "not running"
    return 1
  }
  if broker_answers "${state}"; then
    echo "running (pid ${pid}) at $(cat "${state}/bootstrap")"
  else
    echo "running (pid ${pid}) but not answering"
    return 1
  fi
}

cmd_topic() {
  local state op
  state="$(abs_state "${1:-}")"
  op="${2:-}"
  [[ -f "${state}/bootstrap" ]] || die "no broker in ${state}"
  cmd_fetch >/dev/null
  local common=(--bootstrap-server "$(cat "${state}/bootstrap")")
  case "${op}" in
    create)
      [[ $# -ge 4 ]] || usage
      java_tool "${state}" org.apache.kafka.tools.TopicCommand "${common[@]}" --create \
        --topic "$3" --partitions "$4" --replication-factor 1 "${@:5}"
      ;;
    describe | delete)
      [[ $# -ge 3 ]] || usage
      java_tool "${state}" org.apache.kafka.tools.TopicCommand "${common[@]}" "--${op}" \
        --topic "$3" "${@:4}"
      ;;
    list) java_tool "${state}" org.apache.kafka.tools.TopicCommand "${common[@]}" --list ;;
    *) usage ;;
  esac
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start "${@:2}" ;;
  stop) cmd_stop "${@:2}" ;;
  restart) cmd_restart "${@:2}" ;;
  status) cmd_status "${@:2}" ;;
  topic) cmd_topic "${@:2}" ;;
  *) usage ;;
esac
