#!/usr/bin/env python3
"""The demo's report: two forkstress runs side by side, plus pinfs's pin statistics.

  demo-report.py --native N.json --pinfs P.json --stats S.json
                 --uring U.json --uring-stats US.json --json OUT.json --markdown OUT.md

Prints the coherence table (one row per scenario and mode: the native verdict, the pinfs
verdict with its default data paths, and the verdict with engine=uring,splice=read for the
scenarios run that way) and pinfs's ledger figures on stdout, and writes the same as JSON and
markdown. The JSON carries the forkstress documents unchanged, the stats, and "ledger_clean"
(true when both pinfs runs ended with no pin outstanding, no violation and no warning).
"""
import argparse
import json


LABELS = ("native", "pinfs", "uring")
HEADS = ("native", "pinfs", "pinfs uring+splice")


def rows(docs):
    """(scenario, title, mode, [result per label]) in scenario order."""
    table = {}
    for label, doc in zip(LABELS, docs):
        for r in doc["results"]:
            key = (r["scenario"], r["mode"])
            table.setdefault(key, {"title": r["title"]})[label] = r
    return [(s, v["title"], m, [v.get(label) for label in LABELS])
            for (s, m), v in sorted(table.items(), key=lambda kv: (str(kv[0][0]).zfill(3),
                                                                  kv[0][1]))]


def verdict(r, width=None):
    text = r["verdict_text"] if r else "-"
    if width and len(text) > width:
        text = text[:width - 3] + "..."
    return text


def ledger_clean(stats):
    return (stats.get("ok") is True and stats["pins"]["outstanding"] == 0
            and stats["violations"]["total"] == 0 and stats["warnings"] == 0)


def stats_lines(stats):
    """A few lines of figures from one control-socket "stats" answer."""
    p, v, b = stats["pins"], stats["violations"], stats["bytes"]
    lines = [
        "pins acquired %d, released %d, outstanding %d; long-term held %d"
        % (p["acquired"], p["released"], p["outstanding"], p.get("longterm_held", 0)),
        "references (FOLL_GET) taken %d, dropped %d; pages listed %d; pages dirtied %d"
        % (p["get_acquired"], p["get_released"], p["listed"], p["dirtied"]),
        "ledger violations %d, warnings %d" % (v["total"], stats["warnings"]),
        "bytes: O_DIRECT %d, bounced %d, page cache %d, spliced %d"
        % (b["direct"], b["bounced"], b["buffered"], b["spliced"]),
    ]
    for name, e in stats["engines"].items():
        if e["read"] or e["write"]:
            lat = e["latency_us"]
            lines.append("engine %s: %d reads, %d writes; latency p50 %d us, p99 %d us"
                         % (name, e["read"], e["write"], lat["p50"], lat["p99"]))
    return lines


def text_table(table):
    head = ("#", "scenario") + ("mode",) + HEADS
    body = [(str(s), t[:40], m) + tuple(verdict(r, 36) for r in results)
            for s, t, m, results in table]
    widths = [max(len(r[k]) for r in [head] + body) for k in range(len(head))]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    return [fmt % head, fmt % tuple("-" * w for w in widths)] + [fmt % r for r in body]


def markdown(docs, table, stats, uring_stats):
    k = docs[1]["kernel"]
    md = ["# forkstress: the native backing directory and pinfs", "",
          "Kernel %s; FUSE O_DIRECT pins application pages: %s; vmsplice: %s."
          % (k["release"], k["fuse_dio_pins"]["value"], k["vmsplice"]["mode"]), "",
          "| # | scenario | mode | %s |" % " | ".join(HEADS), "|---|---|---|---|---|---|"]
    md += ["| %s | %s | %s | %s |" % (s, t, m, " | ".join(verdict(r) for r in results))
           for s, t, m, results in table]
    for title, st in (("default data paths", stats), ("engine=uring, splice=read", uring_stats)):
        md += ["", "## pinfs's pin ledger after the run (%s)" % title, ""]
        md += ["- " + line for line in stats_lines(st)]
        md += ["", "Ledger clean: **%s**." % ("yes" if ledger_clean(st) else "NO")]
    return "\n".join(md) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("native", "pinfs", "stats", "uring", "uring-stats", "json", "markdown"):
        ap.add_argument("--" + name, required=True)
    a = ap.parse_args()
    docs = []
    for path in (a.native, a.pinfs, a.uring):
        with open(path) as f:
            docs.append(json.load(f))
    with open(a.stats) as f:
        stats = json.load(f)
    with open(a.uring_stats) as f:
        uring_stats = json.load(f)
    table = rows(docs)
    failures = [{"scenario": s, "mode": m, "target": label, "verdict": r["verdict_text"]}
                for s, _, m, results in table for label, r in zip(LABELS, results)
                if r and r["verdict"] == "FAIL"]
    clean = ledger_clean(stats) and ledger_clean(uring_stats)
    print()
    print("\n".join(text_table(table)))
    for title, st in (("default data paths", stats), ("engine=uring, splice=read", uring_stats)):
        print()
        print("pinfs's pin ledger after the run (%s):" % title)
        print("\n".join("  " + line for line in stats_lines(st)))
    with open(a.json, "w") as f:
        json.dump({"native": docs[0], "pinfs": docs[1], "pinfs_uring": docs[2],
                   "pinfs_stats": stats, "pinfs_uring_stats": uring_stats,
                   "failures": failures, "ledger_clean": clean}, f, indent=1)
    with open(a.markdown, "w") as f:
        f.write(markdown(docs, table, stats, uring_stats))


if __name__ == "__main__":
    main()
