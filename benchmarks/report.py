#!/usr/bin/python3
"""Prints the comparison table and the targets of a benchmarks/run.sh results directory.

    benchmarks/report.py RESULTS_DIR        (also writes RESULTS_DIR/report.md)

Reads the JSON files run.sh leaves there (nw_e2e, the Lucene peer, nw_agree, e2e_latency.sh)
and daemon.txt (e2e_daemon.sh). Python 3 standard library only.
"""
import json
import os
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(v, digits=0):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |")
    return "\n".join(out)


def daemon_rows(path):
    rows = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                p = line.split()
                if len(p) >= 8 and p[0].isdigit():
                    w = int(p[0])
                    row = {"articles": int(p[2]), "wall_s": float(p[3]), "active_s": float(p[4]),
                           "rate": float(p[5]), "active_rate": float(p[6]), "alerts": int(p[7]),
                           "cpu_s": None, "cpu_us": None, "rss_mb": None}
                    if len(p) >= 11:
                        row.update(cpu_s=float(p[8]), cpu_us=float(p[9]), rss_mb=float(p[10]))
                    rows.setdefault(w, []).append(row)
    except OSError:
        pass
    # The best run per worker count (least disturbed by the other processes on the machine).
    return {w: max(r, key=lambda x: x["rate"]) for w, r in rows.items()}


def main():
    out_dir = sys.argv[1]
    lines = []
    say = lines.append
    machine = load(os.path.join(out_dir, "machine.json")) or {}
    counts = sorted(int(f[3:-5]) for f in os.listdir(out_dir) if f.startswith("nw-") and f[3:-5].isdigit())
    say(f"# newswatch benchmarks — {machine.get('date', '')}")
    say("")
    say(f"Machine: {machine.get('cpu', '?')}, {machine.get('cpus', '?')} CPUs; load average at start "
        f"{machine.get('load_start', '?')}, at end {machine.get('load_end', '?')}. Corpus: {machine.get('corpus', '?')}. "
        f"Revision {machine.get('revision', '?')}.")
    say("Throughputs are per CPU-second of the measuring thread (user+sys), so they hold under "
        "contention; wall-clock MB/s is shown next to them. MB = 10^6 bytes of article text "
        "(title + body after decoding).")
    say("")
    targets = []

    def target(name, measured, required, ok, note=""):
        targets.append([name, measured, required, "PASS" if ok else ("FAIL" if ok is not None else "n/a"), note])

    for n in counts:
        nw = load(os.path.join(out_dir, f"nw-{n}.json"))
        cli = load(os.path.join(out_dir, f"cli-{n}.json"))
        hs = load(os.path.join(out_dir, f"hs-{n}.json"))
        naive = load(os.path.join(out_dir, f"naive-{n}.json"))
        nw_naive = load(os.path.join(out_dir, f"nw-naive-{n}.json"))
        lm = load(os.path.join(out_dir, f"lucene-{n}.json"))
        nw_lm = load(os.path.join(out_dir, f"nw-lucene-{n}.json"))
        say(f"## {n:,} rules")
        say("")
        if nw:
            say(f"{nw.get('leaves', 0):,} distinct leaves, {nw.get('words_indexed', 0):,} indexed words, "
                f"{nw.get('regexes', 0)} regexes; {nw.get('rules_evaluated_per_article', 0):.0f} rules evaluated "
                f"and {nw.get('matches', 0) / max(1, nw.get('articles', 1)) / max(1, len(nw.get('pass_mb_per_s_cpu', [1]))):.2f} "
                f"matches per article.")
            say("")
        rows = []

        def row(name, d, articles=None, compile_s=None, rss=None, note=""):
            if not d:
                rows.append([name] + ["–"] * 8 + [note or "not run"])
                return
            rows.append([name, fmt(articles if articles is not None else d.get("articles")),
                         fmt(d.get("articles_per_s_cpu")), fmt(d.get("mb_per_s_cpu"), 1), fmt(d.get("mb_per_s_wall"), 1),
                         fmt(d.get("p50_us")), fmt(d.get("p99_us")),
                         fmt(rss if rss is not None else d.get("peak_rss_mb")),
                         fmt(compile_s if compile_s is not None else d.get("compile_s"), 2), note])

        row("newswatch (decode+fold+match)", nw, compile_s=nw and nw.get("load_s_cpu"),
            note="nw_e2e; compile = YAML load + compile, CPU s")
        if cli:
            rows.append(["newswatch match CLI (1 thread)", fmt(cli.get("articles")), fmt(cli.get("articles_per_s_cpu")),
                         fmt(cli.get("mb_per_s_cpu"), 1), fmt(cli.get("mb_per_s_wall"), 1), "–", "–",
                         fmt(cli.get("max_rss_mb")), "–", "incl. load, alert JSON to /dev/null; RSS from /usr/bin/time"])
        row("Hyperscan literals (decode+fold+scan)", hs, compile_s=hs and hs.get("hs_compile_s"),
            note=hs and f"scan only: {hs.get('scan_only_mb_per_s_wall', 0):.0f} MB/s wall")
        row("naive RE2 per operand", naive, note=naive and f"{naive.get('articles')} first articles; newswatch on them: "
            f"{nw_naive.get('articles_per_s_cpu', 0):,.0f} art/s" if nw_naive else "")
        row("Lucene Monitor", lm, note=lm and (f"{lm.get('articles')} first articles, last of {len(lm.get('passes', []))} passes; "
            f"compile = register {lm.get('compile_s', 0):.1f} s (+ building the queries {lm.get('translate_s', 0):.1f} s); "
            f"{lm.get('queries_run_per_article', 0):.0f} queries run/article; newswatch on them: "
            f"{nw_lm.get('articles_per_s_cpu', 0):,.0f} art/s" if nw_lm else ""))
        say(table(["engine", "articles", "articles/s", "MB/s", "MB/s wall", "p50 µs", "p99 µs", "peak RSS MB",
                   "compile s", "notes"], rows))
        say("")
        if nw and nw.get("breakdown"):
            b = nw["breakdown"]
            say(f"newswatch stages (CPU): decode {b['decode_mb_per_s_cpu']:.0f} MB/s ({100 * b['decode_share']:.0f}%), "
                f"fold {b['fold_mb_per_s_cpu']:.0f} MB/s ({100 * b['fold_share']:.0f}%), match after fold "
                f"{b['match_after_fold_mb_per_s_cpu']:.0f} MB/s ({100 * b['match_share']:.0f}%). Cold start: first "
                f"article {nw.get('first_article_us', 0):.0f} µs ({nw.get('cold_ratio_first_article', 0):.1f}× the median "
                f"ns/byte), first 100 articles {nw.get('cold_ratio_first100', 0):.2f}× the median ns/byte.")
            say("")

        # Targets for this rule count.
        if nw:
            mbps = nw.get("mb_per_s_cpu")
            if n == 10000:
                target("10k rules: decode+fold+match MB/s", fmt(mbps, 1), "≥ 250", mbps >= 250, f"{mbps / 250:.2f}× the target")
            if n == 1000:
                target("1k rules: decode+fold+match MB/s", fmt(mbps, 1), "≥ 500", mbps >= 500, f"{mbps / 500:.2f}× the target")
            cold = nw.get("cold_ratio_first100")
            target(f"{n // 1000}k rules: no warm-up cliff (first 100 articles ns/byte ÷ median)", fmt(cold, 2), "≤ 1.5",
                   cold is not None and cold <= 1.5, f"first article {nw.get('cold_ratio_first_article', 0):.1f}× median")
            if hs:
                ratio = hs["mb_per_s_cpu"] / mbps if mbps else None
                target(f"{n // 1000}k rules: within 2× of Hyperscan (decode+fold+scan)", f"{ratio:.2f}× slower" if ratio >= 1 else f"{1 / ratio:.2f}× faster",
                       "≤ 2× slower", ratio <= 2, f"Hyperscan {hs['mb_per_s_cpu']:.1f} MB/s; scan only {hs.get('scan_only_mb_per_s_wall', 0):.0f} MB/s wall")
            if n == 10000:
                target("10k rules: compile (YAML load + compile, CPU)", f"{nw.get('load_s_cpu', 0):.2f} s", "< 2 s",
                       nw.get("load_s_cpu", 99) < 2, f"compile alone {nw.get('compile_s', 0):.2f} s; wall {nw.get('load_s_wall', 0):.2f} s")
                if cli:
                    target("10k rules: peak RSS (newswatch match)", f"{cli['max_rss_mb']:.0f} MB", "< 300 MB", cli["max_rss_mb"] < 300)
        if n == 10000 and lm and nw_lm:
            ratio = nw_lm["articles_per_s_cpu"] / lm["articles_per_s_cpu"]
            target("10k rules: × Lucene Monitor articles/s", f"{ratio:,.0f}×", "≥ 20×", ratio >= 20,
                   f"same {lm['articles']} articles")
        elif n == 1000 and lm and nw_lm:
            ratio = nw_lm["articles_per_s_cpu"] / lm["articles_per_s_cpu"]
            target("1k rules: × Lucene Monitor articles/s (no target)", f"{ratio:,.0f}×", "–", None, f"same {lm['articles']} articles")
        if n == 1000 and naive and nw_naive:
            ratio = nw_naive["articles_per_s_cpu"] / naive["articles_per_s_cpu"]
            target("1k rules: × naive baseline articles/s", f"{ratio:,.0f}×", "≥ 500×", ratio >= 500, f"same {naive['articles']} articles")

    daemon = daemon_rows(os.path.join(out_dir, "daemon.txt"))
    latencies = sorted((load(os.path.join(out_dir, f)) for f in os.listdir(out_dir)
                        if f.startswith("latency-") and f.endswith(".json")),
                       key=lambda d: -(d or {}).get("target_rate", 0))
    latencies = [d for d in latencies if d]
    if daemon or latencies:
        say("## Daemon on the real broker (newswatch run, 1,000 rules)")
        say("")
        rows = [[w, fmt(d["articles"]), fmt(d["wall_s"], 2), fmt(d["active_s"], 2), fmt(d["rate"]), fmt(d["active_rate"]),
                 fmt(d["alerts"]), fmt(d["cpu_s"], 2), fmt(d["cpu_us"]), fmt(d["rss_mb"])] for w, d in sorted(daemon.items())]
        say(table(["workers", "articles", "wall s", "active s", "articles/s (wall)", "articles/s (active)", "alerts",
                   "daemon CPU s", "daemon CPU µs/article", "peak RSS MB"], rows))
        say("")
        if 2 in daemon and daemon[2]["cpu_us"]:
            say(f"The daemon's own CPU (all threads, librdkafka's included) is {daemon[2]['cpu_us']:,.0f} µs per article "
                f"with 2 workers: {1e6 / daemon[2]['cpu_us']:,.0f} articles/s per fully used core, before the broker "
                "and the producer that share this machine's CPUs.")
            say("")
        if 2 in daemon:
            r = daemon[2]["active_rate"]
            target("daemon, 2 workers, 1k rules: articles/s end to end (active)", fmt(r), "≥ 30,000", r >= 30000,
                   f"{r / 30000:.2f}× the target; wall incl. startup {daemon[2]['rate']:,.0f}/s")
        if 1 in daemon and 2 in daemon:
            s = daemon[2]["active_rate"] / daemon[1]["active_rate"]
            target("daemon: 1 → 2 workers scaling", f"{s:.2f}×", "≥ 1.7×", s >= 1.7, "2 CPUs shared with the broker and the producer")
        for latency in latencies:
            say(f"Latency run: {latency['produced']:,} articles produced at {latency['achieved_rate']:,.0f}/s "
                f"(target {latency['target_rate']:,.0f}/s), {latency['alerts']:,.0f} alerts; end-to-end p50 "
                f"{fmt(latency['p50_ms'], 1)} ms, p90 {fmt(latency['p90_ms'], 1)} ms, p99 {fmt(latency['p99_ms'], 1)} ms; "
                f"{100 * (latency['share_within_100ms'] or 0):.1f}% within 100 ms.")
            say("")
            p99 = latency.get("p99_ms")
            required = "< 100 ms" if latency["target_rate"] >= 15000 else "– (no target at this rate)"
            target(f"daemon: p99 end-to-end latency at {latency['target_rate']:,.0f} articles/s offered",
                   f"{fmt(p99, 1)} ms", required,
                   (p99 is not None and p99 < 100) if latency["target_rate"] >= 15000 else None,
                   f"achieved {latency['achieved_rate']:,.0f}/s; {100 * (latency['share_within_100ms'] or 0):.1f}% of alerts within 100 ms")

    agree_rows = []
    for n in counts:
        a = load(os.path.join(out_dir, f"agree-{n}.json"))
        if not a:
            continue
        say(f"## Agreement with Lucene Monitor, {n:,} rules")
        say("")
        say(f"(rule, article) pairs: newswatch {a['pairs_newswatch']:,}, Lucene {a['pairs_lucene']:,}, both "
            f"{a['common']:,}; newswatch only {a['newswatch_only']:,}, Lucene only {a['lucene_only']:,}; agreement "
            f"{100 * a['agreement']:.1f}% (Jaccard). Probed: {a['probed_pairs']:,} differing pairs.")
        say("")
        rows = []
        for c in a["causes"]:
            ex = c["examples"][0] if c["examples"] else {}
            sample = f"{ex.get('rule', '')} / {ex.get('article', '')}: {ex.get('leaf', '')}"
            if ex.get("context"):
                sample += " … " + ex["context"].replace("\n", " ").replace("|", "/")[:90] + " …"
            rows.append([c["cause"], c["newswatch_only"], c["lucene_only"], sample])
        say(table(["cause", "newswatch only", "Lucene only", "example"], rows))
        say("")

    say("## Targets")
    say("")
    say(table(["target", "measured", "required", "result", "notes"], targets))
    say("")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
