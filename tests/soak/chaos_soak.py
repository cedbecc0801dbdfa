#!/usr/bin/python3
"""Chaos soak for `newswatch run` on a real Kafka broker (not part of the quick CI run).

For --duration seconds (default 30 minutes) a steady stream of articles (--rate per second)
goes into a 6-partition input topic while the daemon runs with the shipped rules, and:

  * every --reload-every seconds (default 60) each running instance gets SIGHUP; the rule files
    alternate between two equivalent variants (a comment changes, so ruleset_version changes),
    and every fifth reload is attempted with a broken file added, which must be refused while
    the current set stays in use;
  * at 25% of the run the broker is restarted (scripts/kafka.sh restart: same ports and data);
  * from 40% to 60% a second instance joins the consumer group, then leaves (SIGTERM);
  * at 75% the first instance is SIGKILLed and started again 5 seconds later.

Then the producer stops, the script waits until every alert that `newswatch match` (same rules,
same decoder, matcher and encoder) predicts for the messages actually in the input topic is on
the alert topic, and reports:

  * alerts expected / found / missing / unexpected, and duplicated (at-least-once allows
    duplicates after the SIGKILL; each duplicate has the same alert_id);
  * resident memory of each daemon incarnation over time (VmRSS every 10 s, from
    /proc/PID/status) and the least-squares slope over the second half of each incarnation;
  * end-to-end latency: p50/p99/max from Kafka timestamps (alert CreateTime - article
    CreateTime, each alert joined to its input message by alert.input partition/offset), overall
    and outside the chaos windows, and p99 from the daemon's own
    newswatch_end_to_end_latency_seconds histogram (last scrape of each incarnation, summed).

Everything (broker state, topics dumps, daemon logs, report.json, report.md) goes to --workdir
(default: a new directory under /tmp). The broker is stopped at the end.

Usage:
  tests/soak/chaos_soak.py --build build/hardening [--duration 1800] [--rate 200]
  tests/soak/chaos_soak.py --build build/hardening --duration 300 --rate 100   # short run

Needs: Java 17 (for scripts/kafka.sh), kcat, a built `newswatch` (<build>/daemon/app/newswatch).
"""

import argparse
import atexit
import bisect
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KAFKA_SH = os.path.join(REPO, "scripts", "kafka.sh")


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


# ---- input producer ---------------------------------------------------------------------------


class Producer:
    """kcat -P fed through a pipe. kcat exits when every broker is down (the broker restart),
    so a write that finds the pipe closed starts a new kcat and writes again, retrying until
    the broker is back. What the dead kcat had buffered and not delivered is simply not in the
    topic: the expected alerts are computed from what the topic holds."""

    def __init__(self, bootstrap, topic, log_path):
        self.cmd = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-z", "lz4",
                    "-X", "enable.idempotence=true", "-X", "linger.ms=10",
                    "-X", "message.timeout.ms=600000"]
        self.log = open(log_path, "ab")
        self.restarts = 0
        self.proc = self._spawn()

    def _spawn(self):
        return subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stderr=self.log)

    def write(self, data):
        while True:
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
                return
            except (BrokenPipeError, OSError):
                self.proc.wait()
                self.restarts += 1
                log("input producer exited (broker down?); starting kcat again")
                time.sleep(1)
                self.proc = self._spawn()

    def close(self):
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait()


# ---- articles ---------------------------------------------------------------------------------


def load_templates():
    """Inline test articles of the shipped rules, their fixture files and the demo feed."""
    templates = []
    rules_dir = os.path.join(REPO, "rules")
    for root, _, files in os.walk(rules_dir):
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith(".json"):
                with open(path, encoding="utf-8") as f:
                    templates.append(json.load(f))
            if not name.endswith((".yaml", ".yml")):
                continue
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f) or {}
            for rule in doc.get("rules", []) or []:
                tests = rule.get("tests", {}) or {}
                for kind in ("match", "no_match"):
                    for art in tests.get(kind, []) or []:
                        if isinstance(art, dict) and "file" not in art:
                            templates.append(dict(art))
    with open(os.path.join(REPO, "deploy", "demo", "sample-feed.jsonl"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                templates.append(json.loads(line))
            except ValueError:
                pass  # the demo feed's deliberately bad lines
    return [t for t in templates if isinstance(t, dict) and (t.get("title") or t.get("body"))]


class ArticleFactory:
    """Unique articles from templates: unique id, url and title, so that no dedup window
    (keyed by article, url or title) can make two articles collide. About 0.5% of the messages
    are broken JSON, which must go to the dead-letter topic."""

    def __init__(self, templates, seed):
        self.templates = templates
        self.rng = random.Random(seed)
        self.seq = 0

    def next(self):
        self.seq += 1
        n = self.seq
        key = "soak-%d" % n
        if self.rng.random() < 0.005:
            return key, '{"id": "%s", "title": "truncated' % key
        t = self.rng.choice(self.templates)
        art = {
            "id": key,
            "url": "https://soak.example/%d/%s" % (n, t.get("id", "a")),
            "source": t.get("source", "Soak Wire"),
            "lang": t.get("lang", "fr"),
            "published_at": "2025-06-01T10:00:00Z",
            "title": "%s (#%d)" % (t.get("title", "") or "", n),
            "body": t.get("body", "") or "",
        }
        return key, json.dumps(art, ensure_ascii=False, separators=(",", ":"))


# ---- processes --------------------------------------------------------------------------------


class Daemon:
    """One incarnation of `newswatch run`."""

    def __init__(self, binary, config, workdir, name):
        self.name = name
        self.log_path = os.path.join(workdir, name + ".log")
        self.out = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "run", "--config", config, "--log-format", "json", "--no-print-alerts"],
            stdout=self.out, stderr=subprocess.STDOUT)
        self.started = time.time()
        self.rss = []  # (t, kB)
        self.last_metrics = ""
        self.metrics_address = None

    def alive(self):
        return self.proc.poll() is None

    def find_metrics_address(self):
        if self.metrics_address:
            return self.metrics_address
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if "serving /metrics" in line:
                        self.metrics_address = json.loads(line).get("address")
                        break
        except (OSError, ValueError):
            pass
        return self.metrics_address

    def sample(self, t0):
        if not self.alive():
            return
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        self.rss.append((round(time.time() - t0, 1), int(line.split()[1])))
        except OSError:
            pass
        addr = self.find_metrics_address()
        if addr:
            try:
                with urllib.request.urlopen("http://%s/metrics" % addr, timeout=5) as r:
                    self.last_metrics = r.read().decode("utf-8", "replace")
            except OSError:
                pass

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, timeout=60):
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def metric_samples(text, name):
    """{labels-string: value} for every sample of `name`."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, _, value = line.rpartition(" ")
            out[key[len(name):]] = float(value)
    return out


def histogram_buckets(text, name):
    buckets = {}
    for labels, value in metric_samples(text, name + "_bucket").items():
        m = re.search(r'le="([^"]+)"', labels)
        if m:
            buckets[float(m.group(1))] = value
    return buckets


def histogram_quantile(q, buckets):
    """Prometheus' histogram_quantile on cumulative buckets {upper bound: count}."""
    if not buckets:
        return None
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total == 0:
        return None
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for b in bounds:
        c = buckets[b]
        if c >= rank:
            if b == float("inf"):
                return prev_bound
            return prev_bound + (b - prev_bound) * (rank - prev_count) / max(c - prev_count, 1e-9)
        prev_bound, prev_count = b, c
    return bounds[-1]


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[i]


def slope_kb_per_min(samples):
    """Least-squares slope of RSS over the second half of the samples (after warm-up)."""
    s = samples[len(samples) // 2:]
    if len(s) < 3:
        return None
    n = len(s)
    mx = sum(t for t, _ in s) / n
    my = sum(v for _, v in s) / n
    den = sum((t - mx) ** 2 for t, _ in s)
    if den == 0:
        return None
    return sum((t - mx) * (v - my) for t, v in s) / den * 60.0


# ---- the soak ---------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(REPO, "build", "hardening"),
                    help="build directory holding daemon/app/newswatch")
    ap.add_argument("--duration", type=int, default=1800, help="seconds of load (default 1800)")
    ap.add_argument("--rate", type=int, default=200, help="articles per second (default 200)")
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reload-every", type=int, default=60)
    ap.add_argument("--drain-timeout", type=int, default=900,
                    help="seconds to wait for the last expected alerts after the load stops")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--seed", type=int, default=20250601)
    args = ap.parse_args()

    binary = os.path.join(os.path.abspath(args.build), "daemon", "app", "newswatch")
    if not os.access(binary, os.X_OK):
        sys.exit("no newswatch binary at %s (build the `newswatch` target)" % binary)
    workdir = args.workdir or tempfile.mkdtemp(prefix="newswatch-soak-")
    os.makedirs(workdir, exist_ok=True)
    log("workdir %s" % workdir)
    state = os.path.join(workdir, "kafka")

    # Rules: the shipped ones, in two equivalent variants.
    rules_dir = os.path.join(workdir, "rules")
    shutil.copytree(os.path.join(REPO, "rules"), rules_dir)
    variant_file = os.path.join(rules_dir, "soak-variant.yaml")
    broken_file = os.path.join(rules_dir, "soak-broken.yaml")

    def write_variant(i):
        with open(variant_file, "w") as f:
            f.write("# soak reload variant %d: no rules, only a different version\nrules: []\n" % i)

    write_variant(0)

    log("starting the broker")
    run([KAFKA_SH, "start", state], timeout=600)
    # The broker goes with the script, also when the script fails half-way.
    atexit.register(lambda: subprocess.run([KAFKA_SH, "stop", state], capture_output=True))
    bootstrap = open(os.path.join(state, "bootstrap")).read().strip()
    topics = {"input": "soak-articles", "alerts": "soak-alerts", "dlq": "soak-dlq"}
    run([KAFKA_SH, "topic", state, "create", topics["input"], str(args.partitions)], timeout=300)
    run([KAFKA_SH, "topic", state, "create", topics["alerts"], "3"], timeout=300)
    run([KAFKA_SH, "topic", state, "create", topics["dlq"], "1"], timeout=300)

    def config_for(name, port):
        path = os.path.join(workdir, name + ".yaml")
        with open(path, "w") as f:
            f.write(
                "kafka:\n  brokers: %s\n  group_id: soak\n  input_topics: [%s]\n  alert_topic: %s\n"
                "  dlq_topic: %s\n  consumer:\n    auto.offset.reset: earliest\n"
                "rules:\n  dir: %s\n  watch: false\n"
                "pipeline:\n  workers: %d\n  shutdown_timeout: 30s\n"
                "metrics:\n  listen: 127.0.0.1:%d\n"
                "log:\n  level: info\n  format: json\n"
                % (bootstrap, topics["input"], topics["alerts"], topics["dlq"], rules_dir,
                   args.workers, port))
        return path

    config_a = config_for("daemon-a", 0)
    config_b = config_for("daemon-b", 0)

    # The alert topic is read whole (kcat -e) whenever the script needs it: a following kcat
    # exits when every broker is down, i.e. at the broker restart.
    alerts_path = os.path.join(workdir, "alerts.tsv")

    producer = Producer(bootstrap, topics["input"], os.path.join(workdir, "producer.log"))

    t0 = time.time()
    incarnations = []
    a = Daemon(binary, config_a, workdir, "daemon-a1")
    incarnations.append(a)
    b = None
    events = []  # (t, what)

    def event(what):
        events.append((round(time.time() - t0, 1), what))
        log(what)

    # Sampler thread: RSS and metrics every 10 s.
    stop_sampling = threading.Event()

    def sampler():
        while not stop_sampling.wait(10):
            for d in list(incarnations):
                d.sample(t0)

    threading.Thread(target=sampler, daemon=True).start()

    factory = ArticleFactory(load_templates(), args.seed)
    produced = 0
    reloads = 0
    next_reload = args.reload_every
    chaos = {
        "broker_restart": 0.25 * args.duration,
        "b_join": 0.40 * args.duration,
        "b_leave": 0.60 * args.duration,
        "a_kill": 0.75 * args.duration,
    }
    done = set()
    lock = threading.Lock()
    chaos_threads = []
    broken_until = None
    restart_thread = None
    tick = 0.1
    next_tick = time.time()
    while True:
        now = time.time() - t0
        if now >= args.duration:
            break
        # Load.
        target = int(now * args.rate)
        lines = []
        while produced < target:
            key, value = factory.next()
            lines.append(key + "\t" + value + "\n")
            produced += 1
        if lines:
            producer.write("".join(lines).encode("utf-8"))
        # Reloads.
        if broken_until is not None and now >= broken_until:
            os.remove(broken_file)
            broken_until = None
        if now >= next_reload:
            next_reload += args.reload_every
            reloads += 1
            if reloads % 5 == 0:
                with open(broken_file, "w") as f:
                    f.write("rules:\n  - id: soak-broken\n    query: 'a AND OR b'\n")
                broken_until = now + 5
                event("SIGHUP %d (broken rule file: must be refused)" % reloads)
            else:
                write_variant(reloads)
                event("SIGHUP %d" % reloads)
            with lock:
                for d in (a, b):
                    if d is not None:
                        d.signal(signal.SIGHUP)
        # Chaos.
        if "broker_restart" not in done and now >= chaos["broker_restart"]:
            done.add("broker_restart")
            event("broker restart")

            def restart():
                r = subprocess.run([KAFKA_SH, "restart", state], capture_output=True, text=True)
                event("broker restarted (exit %d)" % r.returncode)

            restart_thread = threading.Thread(target=restart)
            restart_thread.start()
        if "b_join" not in done and now >= chaos["b_join"]:
            done.add("b_join")
            with lock:
                b = Daemon(binary, config_b, workdir, "daemon-b1")
                incarnations.append(b)
            event("second instance joins (pid %d)" % b.proc.pid)
        if "b_leave" not in done and now >= chaos["b_leave"]:
            done.add("b_leave")

            def leave():
                nonlocal b
                with lock:
                    leaving, b = b, None
                event("second instance leaves (SIGTERM)")
                leaving.sample(t0)
                event("second instance exited with %d" % leaving.stop())

            chaos_threads.append(threading.Thread(target=leave))
            chaos_threads[-1].start()
        if "a_kill" not in done and now >= chaos["a_kill"] and broken_until is None:
            done.add("a_kill")

            def kill_and_restart():
                nonlocal a
                with lock:
                    killed = a
                    killed.sample(t0)
                    event("SIGKILL first instance (pid %d)" % killed.proc.pid)
                    killed.proc.kill()
                    killed.proc.wait()
                time.sleep(5)
                with lock:
                    a = Daemon(binary, config_a, workdir, "daemon-a2")
                    incarnations.append(a)
                event("first instance restarted (pid %d)" % a.proc.pid)

            chaos_threads.append(threading.Thread(target=kill_and_restart))
            chaos_threads[-1].start()
        next_tick += tick
        time.sleep(max(0.0, next_tick - time.time()))

    event("load stops: %d messages sent" % produced)
    producer.close()
    if restart_thread:
        restart_thread.join()
    for th in chaos_threads:
        th.join()
    if broken_until is not None and os.path.exists(broken_file):
        os.remove(broken_file)

    # What is actually in the input topic (duplicates from producer retries included).
    input_path = os.path.join(workdir, "input.tsv")
    with open(input_path, "wb") as f:
        subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topics["input"], "-o", "beginning",
                        "-e", "-q", "-f", "%p\t%o\t%T\t%k\t%s\n"], stdout=f, check=True)
    input_ts = {}
    values_path = os.path.join(workdir, "input.jsonl")
    in_count = 0
    with open(input_path, encoding="utf-8", errors="surrogateescape") as f, \
            open(values_path, "w", encoding="utf-8", errors="surrogateescape") as v:
        for line in f:
            parts = line.rstrip("\n").split("\t", 4)
            if len(parts) < 5:
                continue
            input_ts[(int(parts[0]), int(parts[1]))] = int(parts[2])
            v.write(parts[4] + "\n")
            in_count += 1
    log("input topic holds %d messages" % in_count)

    expected_path = os.path.join(workdir, "expected.jsonl")
    with open(expected_path, "wb") as out:
        subprocess.run([binary, "match", "--rules", rules_dir, "--no-dedup", "-q", values_path],
                       stdout=out, stderr=open(os.path.join(workdir, "match.log"), "wb"))
    expected = {}
    with open(expected_path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("mode", "alert") == "alert":
                expected[(rec["rule_id"], rec["article"]["id"])] = rec["alert_id"]
    log("newswatch match predicts %d alerts" % len(expected))

    def read_alerts():
        with open(alerts_path + ".tmp", "wb") as out:
            subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topics["alerts"], "-o", "beginning",
                            "-e", "-q", "-f", "%p\t%o\t%T\t%s\n"], stdout=out,
                           stderr=subprocess.DEVNULL, timeout=600)
        os.replace(alerts_path + ".tmp", alerts_path)
        got = {}
        bad_ids = 0
        with open(alerts_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t", 3)
                if len(parts) < 4:
                    continue
                try:
                    rec = json.loads(parts[3])
                except ValueError:
                    continue  # a partial last line
                k = (rec["rule_id"], rec["article"]["id"])
                inp = rec.get("input") or {}
                got.setdefault(k, []).append(
                    (int(parts[2]), inp.get("partition"), inp.get("offset"), rec["alert_id"]))
        return got

    deadline = time.time() + args.drain_timeout
    while True:
        got = read_alerts()
        missing = [k for k in expected if k not in got]
        if not missing or time.time() > deadline:
            break
        time.sleep(15)
    event("drained: %d expected alerts still missing" % len(missing))
    for d in incarnations:
        d.sample(t0)
    stop_sampling.set()
    final_code = a.stop()
    event("first instance exited with %d" % final_code)
    got = read_alerts()

    # DLQ.
    dlq = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topics["dlq"], "-o", "beginning",
                          "-e", "-q", "-f", "%h\n"], capture_output=True, text=True,
                         errors="replace").stdout.splitlines()

    # ---- report ------------------------------------------------------------------------------
    missing = sorted(k for k in expected if k not in got)
    unexpected = sorted(k for k in got if k not in expected)
    dup_pairs = {k: len(v) - 1 for k, v in got.items() if len(v) > 1}
    wrong_ids = [k for k, v in got.items() if k in expected and any(x[3] != expected[k] for x in v)]
    latencies = []
    steady = []
    windows = []
    for t, what in events:
        if what.startswith(("broker restart", "second instance", "SIGKILL", "first instance")):
            windows.append((t - 30, t + 90))
    for k, copies in got.items():
        ts, part, off, _ = min(copies)
        src = input_ts.get((part, off))
        if src is None:
            continue
        lat = (ts - src) / 1000.0
        latencies.append(lat)
        rel = (src / 1000.0) - t0
        if not any(lo <= rel <= hi for lo, hi in windows):
            steady.append(lat)
    latencies.sort()
    steady.sort()
    hist = {}
    for d in incarnations:
        for bound, count in histogram_buckets(d.last_metrics, "newswatch_end_to_end_latency_seconds").items():
            hist[bound] = hist.get(bound, 0) + count
    reload_counts = {}
    for d in incarnations:
        for labels, v in metric_samples(d.last_metrics, "newswatch_ruleset_reloads_total").items():
            reload_counts[d.name + labels] = v

    report = {
        "command": " ".join(sys.argv),
        "workdir": workdir,
        "duration_s": args.duration,
        "rate_per_s": args.rate,
        "messages_sent": produced,
        "messages_in_input_topic": in_count,
        "dead_letters": len(dlq),
        "alerts_expected": len(expected),
        "alerts_found_distinct": len(expected) - len(missing),
        "alerts_missing": len(missing),
        "alerts_unexpected": len(unexpected),
        "alert_messages_total": sum(len(v) for v in got.values()),
        "duplicated_pairs": len(dup_pairs),
        "duplicate_copies": sum(dup_pairs.values()),
        "wrong_alert_ids": len(wrong_ids),
        "latency_from_timestamps_s": {
            "count": len(latencies), "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99), "max": latencies[-1] if latencies else None,
            "steady_p50": percentile(steady, 0.5), "steady_p99": percentile(steady, 0.99),
        },
        "latency_histogram_p99_s": histogram_quantile(0.99, hist),
        "latency_histogram_p50_s": histogram_quantile(0.5, hist),
        "reloads_signalled": reloads,
        "reload_metrics": reload_counts,
        "events": events,
        "rss_kb": {d.name: d.rss for d in incarnations},
        "rss_slope_kb_per_min_second_half": {d.name: slope_kb_per_min(d.rss) for d in incarnations},
        "exit_codes": {d.name: d.proc.returncode for d in incarnations},
        "missing_sample": missing[:20],
        "unexpected_sample": unexpected[:20],
    }
    with open(os.path.join(workdir, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    lines = ["# newswatch chaos soak", "", "command: `%s`" % report["command"], ""]
    for k in ("duration_s", "rate_per_s", "messages_sent", "messages_in_input_topic", "dead_letters",
              "alerts_expected", "alerts_found_distinct", "alerts_missing", "alerts_unexpected",
              "alert_messages_total", "duplicated_pairs", "duplicate_copies", "wrong_alert_ids",
              "latency_histogram_p50_s", "latency_histogram_p99_s", "reloads_signalled"):
        lines.append("- %s: %s" % (k, report[k]))
    lines.append("- latency from Kafka timestamps: %s" % report["latency_from_timestamps_s"])
    lines.append("- reload metrics: %s" % report["reload_metrics"])
    lines.append("- exit codes: %s" % report["exit_codes"])
    lines += ["", "## events", ""] + ["- t=%6.1fs %s" % e for e in events]
    lines += ["", "## RSS (kB), one sample per minute", ""]
    for d in incarnations:
        per_min = d.rss[::6]
        lines.append("- %s: %s (slope over the second half: %s kB/min)" % (
            d.name, " ".join("%d@%ds" % (v, t) for t, v in per_min),
            None if slope_kb_per_min(d.rss) is None else round(slope_kb_per_min(d.rss), 1)))
    with open(os.path.join(workdir, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    run([KAFKA_SH, "stop", state], timeout=120)
    ok = not missing and not unexpected and not wrong_ids
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
