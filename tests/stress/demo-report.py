#!/usr/bin/env python3
"""The demo's report: the kernel ladder's verdict table, natively and through pinfs, on an old
kernel in a VM and on this machine's kernel.

  demo-report.py --host DIR [--vm DIR | --vm-skip REASON [--vm-kernel NAME]]
                 --json OUT.json --markdown OUT.md [--png OUT.png]

Each DIR holds what tests/vm/ladder wrote: NAME.json (forkstress --json) per run, and
NAME-stats.json (pinfs-ctl stats) for the pinfs runs. The table has a row per scenario and mode
and four columns: native and pinfs on the VM's kernel, native and pinfs on the host's. A cell
merges the runs of its kind (native, native-*; the pinfs runs: engine=sync, engine=uring with
splice=read, -o vmsplice): runs that did not use the scenario's path are left out, the worst
verdict shows, and when the runs disagree the cell names those that had it. An XFAIL or FAIL cell carries the class of the
first corrupted byte and its offset in the page (forkstress's pattern check).

Prints the table and the ledger figures, and writes the same as JSON (the forkstress documents
unchanged, the stats, "failures", "ledger_clean") and markdown, and the table as a heat map
(PNG, drawn by gnuplot) when --png is given.
"""
import argparse
import json
import os
import re
import subprocess
import sys

RUN_LABEL = {"sync": "sync", "uring": "uring+splice", "vmsplice": "vmsplice"}
LEVEL = {None: 0, "SKIP": 1, "PASS": 2, "XFAIL": 3, "FAIL": 4}
FIRST_BAD = re.compile(r"first bad byte buf\+0x[0-9a-f]+ \(page off (0x[0-9a-f]+), "
                       r"file off (0x[0-9a-f]+)\): ([^,;]+?)(?: \(([^()]*)\))?, run (\d+)")
PATH_SKIP = "the daemon does not use this path"


def is_native(run):
    return run == "native" or run.startswith("native-")


def load_dir(d):
    """{run: forkstress document} and {run: stats} of one ladder directory."""
    docs, stats = {}, {}
    if not d or not os.path.isdir(d):
        return docs, stats
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json"):
            continue
        run = name[:-len(".json")]
        with open(os.path.join(d, name)) as f:
            doc = json.load(f)
        if run.endswith("-stats"):
            stats[run[:-len("-stats")]] = doc
        elif doc.get("tool") == "forkstress":
            docs[run] = doc
    return docs, stats


def corruption(r):
    """The first bad byte of a failed row, classified, or None."""
    m = FIRST_BAD.search(r.get("detail", ""))
    if not m:
        return None
    return {"class": m.group(3), "origin": m.group(4) or "", "page_off": m.group(1),
            "file_off": m.group(2), "run": int(m.group(5))}


def short(r):
    """A row's verdict in a few words: PASS, SKIP, or XFAIL/FAIL with the first bad byte."""
    v = r["verdict"]
    c = corruption(r) if v in ("XFAIL", "FAIL") else None
    if c:
        cls = "leak to child" if c["class"].startswith("parent's data") else c["class"]
        return "%s: %s +%s" % (v, cls, c["page_off"])
    return v


def long_text(r, note):
    """The markdown cell of one row; @note(text) turns a reason into a footnote mark."""
    v = r["verdict"]
    if v in ("SKIP", "XFAIL"):
        text = "%s[%d]" % (v, note(("kernel: " if v == "XFAIL" else "") + r["reason"]))
    else:
        text = v
    c = corruption(r) if v in ("XFAIL", "FAIL") else None
    if c:
        text += ": %s at page off %s (file off %s%s), %d bytes" % (
            c["class"], c["page_off"], c["file_off"],
            "; " + c["origin"] if c["origin"] else "", c["run"])
    elif v == "FAIL":
        text += ": " + r["detail"]
    return text


def cell(results):
    """Merge {run: row} of one column into a cell: its verdict, short text and the rows."""
    ran = {k: r for k, r in results.items() if r}
    if not ran:
        return None
    useful = {k: r for k, r in ran.items()
              if not (r["verdict"] == "SKIP" and PATH_SKIP in r["reason"])}
    pick = useful or ran
    nonskip = {k: r for k, r in pick.items() if r["verdict"] != "SKIP"}
    pick = nonskip or pick
    worst = max(pick.values(), key=lambda r: LEVEL[r["verdict"]])
    out = {"verdict": worst["verdict"], "corruption": corruption(worst), "rows": pick,
           "agree": len({r["verdict"] for r in pick.values()}) == 1,
           "short": short(worst)}
    if not out["agree"]:
        out["short"] += " [%s]" % ", ".join(
            RUN_LABEL.get(k, k) for k, r in pick.items() if r["verdict"] == worst["verdict"])
    return out


def cell_markdown(c, note):
    if not c:
        return "-"
    if c["agree"]:
        return long_text(next(r for r in c["rows"].values()
                              if r["verdict"] == c["verdict"]), note)
    return "; ".join("%s: %s" % (RUN_LABEL.get(k, k), long_text(r, note))
                     for k, r in c["rows"].items())


def build_table(columns):
    """columns: [(label, {run: doc})] -> rows [(scenario, title, mode, [cell per column])]."""
    index, titles = {}, {}
    for ci, (_, docs) in enumerate(columns):
        for run, doc in docs.items():
            for r in doc["results"]:
                key = (r["scenario"], r["mode"])
                titles[r["scenario"]] = r["title"]
                index.setdefault(key, {}).setdefault(ci, {})[run] = r
    rows = []
    for (s, m) in sorted(index, key=lambda k: (k[0], k[1] != "deterministic")):
        cells = []
        for ci, (label, _) in enumerate(columns):
            runs = index[(s, m)].get(ci, {})
            cells.append(cell(runs))
        rows.append((s, titles[s], m, cells))
    return rows


def ledger_clean(stats):
    return (stats.get("ok") is True and stats["pins"]["outstanding"] == 0
            and stats["violations"]["total"] == 0 and stats["warnings"] == 0)


def stats_line(run, st):
    p, v, b = st["pins"], st["violations"], st["bytes"]
    return ("%s: pins acquired %d, released %d, outstanding %d, long-term held %d; references "
            "(FOLL_GET) %d/%d; violations %d, warnings %d; bytes O_DIRECT %d, bounced %d, "
            "page cache %d, spliced %d%s" % (
                RUN_LABEL.get(run, run), p["acquired"], p["released"], p["outstanding"],
                p.get("longterm_held", 0), p["get_acquired"], p["get_released"], v["total"],
                st["warnings"], b["direct"], b["bounced"], b["buffered"], b["spliced"],
                ", vmspliced %d" % b["vmspliced"] if "vmspliced" in b else ""))


def kernel_of(docs):
    for doc in docs.values():
        return doc["kernel"]
    return None


def short_release(k):
    return ".".join(str(x) for x in k["version"][:2]) if k else "?"


def text_table(heads, rows):
    head = ("#", "scenario", "mode") + tuple(heads)
    body = [(str(s), t[:36], "det" if m == "deterministic" else m)
            + tuple(c["short"][:34] if c else "-" for c in cells) for s, t, m, cells in rows]
    widths = [max(len(r[k]) for r in [head] + body) for k in range(len(head))]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    return [fmt % head, fmt % tuple("-" * w for w in widths)] + [fmt % r for r in body]


def markdown(heads, rows, kernels, notes, ledgers):
    md = ["# The kernel ladder: forkstress natively and through pinfs", ""]
    for label, k in kernels:
        if k:
            md.append("- **%s**: kernel %s; FUSE O_DIRECT pins application pages: %s; block "
                      "O_DIRECT pins: %s; vmsplice: %s" % (
                          label, k["release"], k["fuse_dio_pins"]["value"],
                          k["block_dio_pins"]["value"], k["vmsplice"]["mode"]))
    md += ["- " + n for n in notes]
    md += ["", "XFAIL: a failure this kernel is known for (spec §2.5), with the first corrupted "
           "byte's class and place; a pinfs cell whose runs (engine=sync, engine=uring with "
           "splice=read, -o vmsplice) disagree shows each.", "",
           "| # | scenario | mode | %s |" % " | ".join(heads),
           "|---|---|---|" + "---|" * len(heads)]
    footnotes = {}

    def note(text):
        return footnotes.setdefault(text, len(footnotes) + 1)

    for s, t, m, cells in rows:
        md.append("| %s | %s | %s | %s |" % (s, t, m, " | ".join(
            cell_markdown(c, note).replace("|", "\\|") for c in cells)))
    md.append("")
    md += ["[%d] %s  " % (i, text) for text, i in footnotes.items()]
    md += ["", "## pinfs's pin ledger after each run", ""]
    md += ["- " + line for line in ledgers]
    return "\n".join(md) + "\n"


def heat_map(path, heads, rows, title):
    """The verdict table as a PNG: one colored cell per row and column (gnuplot)."""
    data = path + ".dat"
    ylabels = ["#%d %s" % (s, "det" if m == "deterministic" else "stress")
               for s, _, m, _ in rows]
    n = len(rows)
    with open(data, "w") as f:
        for y, (_, _, _, cells) in enumerate(rows):
            for x, c in enumerate(cells):
                v = LEVEL[c["verdict"]] if c else 0
                label = re.sub(r" \+0x[0-9a-f]+", "", c["short"]) if c else "-"
                f.write('%d %d %d "%s"\n' % (x, n - 1 - y, v, label.replace('"', "'")))
    script = """
set terminal pngcairo size %d,%d font "sans,9"
set output '%s'
set title "%s"
set palette defined (0 "white", 1 "#c8c8c8", 2 "#4caf50", 3 "#ff9800", 4 "#e53935")
set cbrange [0:4]
unset colorbox
set xrange [-0.5:%f]
set yrange [-0.5:%f]
set tics scale 0
set x2tics nomirror (%s)
unset xtics
set ytics (%s)
set lmargin 14
plot '%s' using 1:2:3 with image notitle, \\
     '' using 1:2:4 with labels font "sans,8" notitle
""" % (260 + 190 * len(heads), 120 + 17 * n, path, title, len(heads) - 0.5, n - 0.5,
       ", ".join('"%s" %d' % (h, i) for i, h in enumerate(heads)),
       ", ".join('"%s" %d' % (l, n - 1 - i) for i, l in enumerate(ylabels)), data)
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.CalledProcessError) as e:
        print("demo-report: no heat map (gnuplot: %s)" % e, file=sys.stderr)
        return False
    finally:
        os.unlink(data)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", required=True)
    ap.add_argument("--vm")
    ap.add_argument("--vm-skip", default="")
    ap.add_argument("--vm-kernel", default="VM", help="the VM columns' name without results")
    ap.add_argument("--json", required=True)
    ap.add_argument("--markdown", required=True)
    ap.add_argument("--png")
    a = ap.parse_args()
    vm_docs, vm_stats = load_dir(a.vm)
    host_docs, host_stats = load_dir(a.host)
    vm_k, host_k = kernel_of(vm_docs), kernel_of(host_docs)
    vm_name = short_release(vm_k) if vm_k else a.vm_kernel
    host_name = "host %s" % short_release(host_k)
    heads = ["native %s" % vm_name, "pinfs %s" % vm_name,
             "native %s" % host_name, "pinfs %s" % host_name]
    columns = [(heads[0], {k: v for k, v in vm_docs.items() if is_native(k)}),
               (heads[1], {k: v for k, v in vm_docs.items() if not is_native(k)}),
               (heads[2], {k: v for k, v in host_docs.items() if is_native(k)}),
               (heads[3], {k: v for k, v in host_docs.items() if not is_native(k)})]
    rows = build_table(columns)
    notes = []
    if not vm_docs:
        notes.append("the VM columns are empty: %s" % (a.vm_skip or "no VM results"))
    failures = [{"scenario": s, "mode": m, "column": heads[i], "verdict": c["short"],
                 "detail": [r["detail"] for r in c["rows"].values() if r["verdict"] == "FAIL"]}
                for s, _, m, cells in rows for i, c in enumerate(cells)
                if c and c["verdict"] == "FAIL"]
    ledgers, clean = [], True
    for where, stats in ((vm_name, vm_stats), (host_name, host_stats)):
        for run, st in stats.items():
            ledgers.append("%s, %s" % (where, stats_line(run, st)))
            clean = clean and ledger_clean(st)
    print()
    print("\n".join(text_table(heads, rows)))
    print()
    print("XFAIL/FAIL: CLASS +OFF = the first corrupted byte's class and its offset in the page")
    for n in notes:
        print("note: " + n)
    print()
    print("pinfs's pin ledger after each run:")
    print("\n".join("  " + line for line in ledgers))
    kernels = [("VM", vm_k), ("host", host_k)]
    with open(a.json, "w") as f:
        json.dump({"columns": heads,
                   "rows": [{"scenario": s, "title": t, "mode": m,
                             "cells": {h: c and {"verdict": c["verdict"], "text": c["short"],
                                                 "corruption": c["corruption"],
                                                 "runs": {k: r["verdict"]
                                                          for k, r in c["rows"].items()}}
                                       for h, c in zip(heads, cells)}}
                            for s, t, m, cells in rows],
                   "vm": vm_docs, "vm_stats": vm_stats, "vm_skip": a.vm_skip if not vm_docs
                   else "", "host": host_docs, "host_stats": host_stats,
                   "failures": failures, "ledger_clean": clean}, f, indent=1)
    with open(a.markdown, "w") as f:
        f.write(markdown(heads, rows, kernels, notes, ledgers))
    if a.png and heat_map(a.png, heads, rows, "forkstress verdicts: kernel %s (VM) and %s"
                          % (vm_k["release"] if vm_k else "-", host_k["release"])):
        print("heat map: " + a.png)


if __name__ == "__main__":
    main()
