#!/usr/bin/env python3
"""Render forkstress --json results as the markdown verdict table of docs/pinning.md.

  render-table.py LABEL=FILE.json [LABEL=FILE.json ...] [--update docs/pinning.md]
                  [--marker NAME]

One column per run (e.g. tmpfs=..., ext4=..., pinfs=...), each cell "deterministic / stress".
SKIP and XFAIL cells carry a footnote with the reason; an XFAIL or FAIL cell also names the
class of its first corrupted byte. With --update, the text between the markers
<!-- NAME:results:begin --> and <!-- NAME:results:end --> in the given file is replaced (NAME:
--marker, default forkstress); otherwise the table goes to stdout.
"""
import json
import re
import sys

FIRST_BAD = re.compile(r"first bad byte buf\+0x[0-9a-f]+ \(page off (0x[0-9a-f]+), "
                       r"file off 0x[0-9a-f]+\): ([^,;]+?)(?: \([^()]*\))?, run \d+")


def load(args):
    runs = []
    for a in args:
        label, _, path = a.partition("=")
        if not path:
            sys.exit("usage: render-table.py LABEL=FILE.json ... [--update FILE.md]")
        with open(path) as f:
            runs.append((label, json.load(f)))
    return runs


def kernel_lines(d):
    k = d["kernel"]
    mthp = ", ".join("%s %s" % (s, m) for s, m in k["thp"]["mthp"].items() if m != "never")
    return [
        "- kernel **%s**" % k["release"],
        "- FUSE O_DIRECT pins application pages: **%s** (%s)"
        % (k["fuse_dio_pins"]["value"], k["fuse_dio_pins"]["how"]),
        "- PageAnonExclusive semantics: **%s** (%s)"
        % (k["anon_exclusive"]["value"], k["anon_exclusive"]["how"]),
        "- block O_DIRECT pins: **%s**; vmsplice: **%s** (%s)"
        % (k["block_dio_pins"]["value"], k["vmsplice"]["mode"], k["vmsplice"]["how"]),
        "- io_uring: %s; THP: %s (PMD %s kB; mTHP enabled: %s); swap: %s kB; hugetlb pages free: %s;"
        " nr_foll_pin_* in vmstat: %s"
        % ("yes" if k["io_uring"] else "no", k["thp"]["enabled"], k["thp"]["pmd_kb"],
           mthp or "none", k["swap_kb"], k["hugetlb"]["free"],
           "yes" if k["foll_pin_vmstat"] else "no"),
    ]


def render(runs):
    notes = {}

    def note(text):
        if text not in notes:
            notes[text] = len(notes) + 1
        return notes[text]

    def cell(r):
        if r is None:
            return "-"
        v = r["verdict"]
        if v == "SKIP":
            return "SKIP[%d]" % note(r["reason"])
        m = FIRST_BAD.search(r["detail"]) if v in ("XFAIL", "FAIL") else None
        bad = " (%s +%s)" % (m.group(2), m.group(1)) if m else ""
        if v == "XFAIL":
            return "XFAIL[%d]%s" % (note("kernel: " + r["reason"]), bad)
        if v == "FAIL":
            return "**FAIL**[%d]%s" % (note(r["detail"]), bad)
        subs = r.get("subcases", [])
        ran = sum(1 for s in subs if s["verdict"] == "PASS")
        if v == "PASS" and ran < len(subs):
            return "PASS (%d of %d)" % (ran, len(subs))
        return v

    titles, index = {}, {}
    for label, d in runs:
        for r in d["results"]:
            titles[r["scenario"]] = r["title"]
            index[(label, r["scenario"], r["mode"])] = r
    out = []
    # the classification of a run that could probe FUSE pinning, if any
    probed = [d for _, d in runs if d["kernel"]["fuse_dio_pins"]["how"].startswith("probe")]
    out += kernel_lines(probed[0] if probed else runs[0][1])
    out.append("- runs: " + "; ".join(
        "%s = %s (%s s per stress run, seed %s, %s)"
        % (label, d["target"]["fstype"] + (" with --control" if d["target"]["control"] else ""),
           d["duration"], d["seed"], d["finished"]) for label, d in runs))
    out.append("")
    out.append("| # | scenario | " + " | ".join(
        "%s<br>det / stress" % label for label, _ in runs) + " |")
    out.append("|---|---|" + "---|" * len(runs))
    for n in sorted(titles):
        cells = []
        for label, _ in runs:
            det = index.get((label, n, "deterministic"))
            st = index.get((label, n, "stress"))
            cells.append("%s / %s" % (cell(det), cell(st)))
        out.append("| %d | %s | %s |" % (n, titles[n], " | ".join(cells)))
    ledgers = ["%s: %s (%s)" % (label, d["ledger"]["verdict"], d["ledger"]["detail"])
               for label, d in runs if "ledger" in d]
    if ledgers:
        out.append("")
        out.append("control-socket ledger after the run: " + "; ".join(ledgers))
    if notes:
        out.append("")
        for text, i in sorted(notes.items(), key=lambda x: x[1]):
            out.append("[%d] %s  " % (i, text))
    return "\n".join(out) + "\n"


def main():
    argv = sys.argv[1:]
    update, marker = None, "forkstress"
    if "--update" in argv:
        i = argv.index("--update")
        update = argv[i + 1]
        del argv[i:i + 2]
    if "--marker" in argv:
        i = argv.index("--marker")
        marker = argv[i + 1]
        del argv[i:i + 2]
    begin, end = "<!-- %s:results:begin -->" % marker, "<!-- %s:results:end -->" % marker
    if not argv:
        sys.exit(__doc__)
    table = render(load(argv))
    if not update:
        sys.stdout.write(table)
        return
    with open(update) as f:
        text = f.read()
    if begin not in text or end not in text:
        sys.exit("%s has no %s ... %s markers" % (update, begin, end))
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(update, "w") as f:
        f.write(head + begin + "\n" + table + end + tail)


if __name__ == "__main__":
    main()
