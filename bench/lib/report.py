#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Result handling for bench/run: parse one fio run, then summarise a whole run.

  report.py record ...   parse one fio JSON file and append its rows to results.csv
  report.py summary DIR  write DIR/results.md and DIR/plot.dat from DIR/results.csv,
                         and exit 1 if a configuration produced no numbers where it must

results.csv has one row per (workload, config, rep, metric):
  workload,config,rep,metric,value,daemon_cpu_s_per_gib
value is a number, or "fails" (the workload failed in that configuration),
"unsupported" (the pinfs binary lacks an option the configuration needs) or
"skipped" (this kernel lacks what the configuration measures: FUSE over io_uring,
kernel passthrough).
daemon_cpu_s_per_gib is empty where there is no daemon (native) or no number.
"""

import argparse
import csv
import json
import math
import os
import re
import statistics
import sys

CSV_FIELDS = ["workload", "config", "rep", "metric", "value", "daemon_cpu_s_per_gib"]

# Primary metric per workload: MiB/s for the 1 MiB streams, IOPS for the rest.
PRIMARY = {"A": "bw_MiBps", "B": "bw_MiBps", "C": "iops", "D": "iops",
           "E": "iops", "F": "bw_MiBps", "G": "iops"}

# Targets from issue 6, as ratio to native (best pinfs mode must reach them).
NATIVE_TARGETS = {"A": 0.85, "B": 0.85, "C": 0.75, "D": 0.80, "E": 0.75}
PTLL_TARGET = 1.3

# passthrough_ll forwards the application's O_DIRECT to the backing file, and libfuse
# 3.14 hands it write payloads 80 bytes into a heap buffer: O_DIRECT writes fail with
# EINVAL. Those workloads may say "fails" for it; anything else must produce numbers.
PTLL_EXPECTED_FAILS = {"A", "E", "G"}

REFERENCE = "passthrough_ll"
NATIVE = "native"

# Issue 13: the io_uring transport (pinfs-ring-*, best of them) and kernel passthrough,
# as ratio to native on the memory-speed store (--loop-dio off).
RING_PREFIX = "pinfs-ring-"
PASSTHROUGH = ("pinfs-passthrough", "pinfs-passthrough-ring")
RING_TARGETS = {"B": 0.60, "C": 0.90, "D": 0.70, "E": 0.75}
PASSTHROUGH_TARGET = 0.95


def load_fio_json(path):
    """fio sometimes prints warnings before the JSON document; skip to the first '{'."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON in fio output")
    return json.loads(text[start:])


def fio_figures(doc):
    """Return (error, bw_MiBps, iops, lat_mean_us, io_bytes) summed over all jobs."""
    error = 0
    bw = iops = io_bytes = 0.0
    lat_weighted = 0.0
    ios = 0
    for job in doc.get("jobs", []):
        if job.get("error"):
            error = job["error"]
        for d in ("read", "write", "trim"):
            s = job.get(d, {})
            io_bytes += s.get("io_bytes", 0)
            bw += s.get("bw_bytes", 0) / 1048576.0
            iops += s.get("iops", 0.0)
            n = s.get("total_ios", 0)
            lat = s.get("lat_ns", {}).get("mean", 0.0)
            if n:
                lat_weighted += lat * n
                ios += n
    lat_us = lat_weighted / ios / 1000.0 if ios else float("nan")
    return error, bw, iops, lat_us, io_bytes


def append_rows(csv_path, rows):
    new = not os.path.exists(csv_path) or os.path.getsize(csv_path) == 0
    with open(csv_path, "a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if new:
            w.writerow(CSV_FIELDS)
        w.writerows(rows)


def append_note(notes_path, workload, config, rep, text):
    new = not os.path.exists(notes_path) or os.path.getsize(notes_path) == 0
    with open(notes_path, "a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["workload", "config", "rep", "note"])
        w.writerow([workload, config, rep, text])


def cmd_record(a):
    """Append the rows of one run; print a one-line summary for the progress display."""
    metric = PRIMARY[a.workload]
    key = (a.workload, a.config, a.rep)
    if a.status != "ran":
        append_rows(a.csv, [[*key, metric, a.status, ""]])
        if a.reason:
            append_note(a.notes, *key, a.reason)
        print(a.status)
        return 0

    reason = None
    try:
        doc = load_fio_json(a.json)
        error, bw, iops, lat_us, io_bytes = fio_figures(doc)
    except (OSError, ValueError) as e:
        error, bw, iops, lat_us, io_bytes = -1, 0, 0, float("nan"), 0
        reason = f"unreadable fio output: {e}"
    if error or a.rc != 0 or io_bytes <= 0:
        if reason is None:
            msg = os.strerror(error) if error > 0 else "no I/O completed"
            reason = f"fio exit {a.rc}, error {error} ({msg})"
            if a.errlog and os.path.exists(a.errlog):
                with open(a.errlog, encoding="utf-8", errors="replace") as f:
                    lines = [ln.strip() for ln in f if ln.strip()]
                if lines:
                    reason += ": " + lines[0][:200]
        append_rows(a.csv, [[*key, metric, "fails", ""]])
        append_note(a.notes, *key, reason)
        print(f"fails ({reason})")
        return 0

    cpu = ""
    if a.cpu_ticks != "":
        cpu_s = int(a.cpu_ticks) / float(a.clk_tck)
        cpu = f"{cpu_s / (io_bytes / 1073741824.0):.4f}"
    value = bw if metric == "bw_MiBps" else iops
    append_rows(a.csv, [[*key, metric, f"{value:.1f}", cpu],
                        [*key, "lat_mean_us", f"{lat_us:.1f}", cpu]])
    unit = "MiB/s" if metric == "bw_MiBps" else "IOPS"
    extra = f", daemon {cpu} CPU-s/GiB" if cpu else ""
    print(f"{value:.0f} {unit}, mean latency {lat_us:.0f} us{extra}")
    return 0


# ---------------------------------------------------------------- summary

def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt_value(metric, v):
    if metric == "bw_MiBps":
        return f"{v:,.0f} MiB/s"
    if metric == "iops":
        return f"{v:,.0f} IOPS"
    return f"{v:.1f}"


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}"


class Results:
    def __init__(self, d):
        self.dir = d
        with open(os.path.join(d, "meta.json"), encoding="utf-8") as f:
            self.meta = json.load(f)
        self.workloads = self.meta["workloads"]
        self.configs = self.meta["configs"]
        # cell[(w, c)] = {"values": {rep: float}, "status": set(), "cpu": {rep: float}}
        self.cell = {}
        path = os.path.join(d, "results.csv")
        if os.path.exists(path):
            with open(path, newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    if row["metric"] != PRIMARY.get(row["workload"]):
                        continue
                    c = self.cell.setdefault((row["workload"], row["config"]),
                                             {"values": {}, "status": set(), "cpu": {}})
                    v = num(row["value"])
                    if v is None:
                        c["status"].add(row["value"])
                    else:
                        c["values"][row["rep"]] = v
                        cpu = num(row["daemon_cpu_s_per_gib"])
                        if cpu is not None:
                            c["cpu"][row["rep"]] = cpu
        self.notes = []
        path = os.path.join(d, "notes.csv")
        if os.path.exists(path):
            with open(path, newline="", encoding="utf-8") as f:
                self.notes = list(csv.DictReader(f))

    def median(self, w, c):
        c = self.cell.get((w, c))
        if not c or not c["values"]:
            return None
        return statistics.median(c["values"].values())

    def spread(self, w, c):
        c = self.cell.get((w, c))
        if not c or not c["values"]:
            return None
        v = list(c["values"].values())
        return min(v), max(v)

    def cpu(self, w, c):
        c = self.cell.get((w, c))
        if not c or not c["cpu"]:
            return None
        return statistics.median(c["cpu"].values())

    def ratio(self, w, c, base):
        """Median over reps of (config / base) within the same rep: the reps are
        interleaved, so pairing them cancels slow drift of the machine."""
        a = self.cell.get((w, c))
        b = self.cell.get((w, base))
        if not a or not b:
            return None
        pairs = [a["values"][r] / b["values"][r] for r in a["values"]
                 if r in b["values"] and b["values"][r] > 0]
        return statistics.median(pairs) if pairs else None

    def status(self, w, c):
        """Text for a cell without numbers: fails, unsupported, or not run."""
        cell = self.cell.get((w, c))
        if cell and cell["values"] and cell["status"]:
            return "partly " + "/".join(sorted(cell["status"]))
        if not cell or not cell["status"]:
            return "not run"
        return "/".join(sorted(cell["status"]))


# pinfs-buffered does its backing I/O through the backing page cache
# (backing_dio=never). It is shown for reference; the targets are for the engine
# modes with backing O_DIRECT.
BASELINE = "pinfs-buffered"


def pinfs_modes(configs):
    """The modes with the daemon in the data path (kernel passthrough has it out)."""
    return [c for c in configs
            if c.startswith("pinfs-") and c != BASELINE and c not in PASSTHROUGH]


def target_row(r, w, label, base, t, modes):
    """One row of a targets table: each mode's ratio against @base, and the best."""
    cells = []
    best = None
    for c in modes:
        x = r.ratio(w, c, base)
        if x is None:
            cells.append(r.status(w, c))
            continue
        cells.append(f"{x:.2f} {'met' if x >= t else 'missed'}")
        if best is None or x > best[0]:
            best = (x, c)
    if best is None:
        btxt = "pending"
    else:
        btxt = f"{best[1]}: {best[0]:.2f} {'**met**' if best[0] >= t else '**missed**'}"
    return f"| {label} | " + " | ".join(cells) + f" | {btxt} |"


def transport_targets(r):
    """The targets of issue 13: transport=uring and passthrough against native."""
    out = []
    rings = [c for c in r.configs if c.startswith(RING_PREFIX)]
    passthroughs = [c for c in r.configs if c in PASSTHROUGH]
    if NATIVE not in r.configs or not (rings or passthroughs):
        return out
    out.append("## Targets (issue 13: FUSE over io_uring, kernel passthrough)\n")
    out.append("Ratio to native. The transport=uring targets are for the best ring mode, the "
               "passthrough target (every workload) for the best passthrough mode.\n")
    if rings:
        out.append("| target | " + " | ".join(rings) + " | best ring mode |")
        out.append("|---|" + "---|" * (len(rings) + 1))
        for w, t in RING_TARGETS.items():
            if w in r.workloads:
                out.append(target_row(r, w, f"{w} ≥ {t:.2f}× native", NATIVE, t, rings))
        out.append("")
    if passthroughs:
        out.append("| target | " + " | ".join(passthroughs) + " | best passthrough mode |")
        out.append("|---|" + "---|" * (len(passthroughs) + 1))
        for w in r.workloads:
            out.append(target_row(r, w, f"{w} ≥ {PASSTHROUGH_TARGET:.2f}× native", NATIVE,
                                  PASSTHROUGH_TARGET, passthroughs))
        out.append("")
    return out


def summary_markdown(r):
    m = r.meta
    out = []
    out.append(f"# pinfs benchmark, {m['date']}\n")
    out.append(f"- Host: {m['host']}; kernel {m['kernel']}; {m['cpus']} CPUs; {m['fio']}")
    out.append(f"- Backing store: {m['backing']}")
    out.append(f"- {m['reps']} repetition(s) of {m['runtime']} s per workload, data files of "
               f"{m['size']}; configurations interleaved within each repetition")
    out.append(f"- pinfs: `{m['pinfs']}`" + (f" ({m['pinfs_note']})" if m.get("pinfs_note") else ""))
    for c in r.configs:
        d = m["config_desc"].get(c, "")
        out.append(f"- `{c}`: {d}")
    out.append("")
    out.append("Values are medians over repetitions. Ratios are medians of the per-repetition "
               "ratios (each configuration against native, or passthrough_ll, in the same "
               "repetition). Daemon CPU is the daemon's utime+stime per GiB moved.\n")

    # Matrix of ratio to native.
    out.append("## Ratio to native\n")
    hdr = ["workload"] + [c for c in r.configs if c != NATIVE]
    out.append("| " + " | ".join(hdr) + " |")
    out.append("|" + "---|" * len(hdr))
    for w in r.workloads:
        cells = [f"{w} {m['workload_desc'][w]}"]
        for c in hdr[1:]:
            x = r.ratio(w, c, NATIVE)
            cells.append(fmt_ratio(x) if x is not None else r.status(w, c))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")

    # Long table.
    out.append("## All figures\n")
    out.append("| workload | configuration | median | min – max | × native | × passthrough_ll "
               "| daemon CPU s/GiB |")
    out.append("|---|---|---|---|---|---|---|")
    for w in r.workloads:
        metric = PRIMARY[w]
        for c in r.configs:
            med = r.median(w, c)
            if med is None:
                out.append(f"| {w} | {c} | {r.status(w, c)} | | | | |")
                continue
            lo, hi = r.spread(w, c)
            rn = r.ratio(w, c, NATIVE) if c != NATIVE else 1.0
            rp = None
            if c != REFERENCE and REFERENCE in r.configs and r.median(w, REFERENCE) is not None:
                rp = r.ratio(w, c, REFERENCE)
            cpu = r.cpu(w, c)
            stat = r.status(w, c)
            medtxt = fmt_value(metric, med) + (f" ({stat})" if stat.startswith("partly") else "")
            out.append(f"| {w} | {c} | {medtxt} | {fmt_value(metric, lo)} – "
                       f"{fmt_value(metric, hi)} | {fmt_ratio(rn)} | {fmt_ratio(rp)} | "
                       f"{'–' if cpu is None else f'{cpu:.3f}'} |")
    out.append("")

    # Targets.
    modes = pinfs_modes(r.configs)
    if modes and NATIVE in r.configs:
        out.append("## Targets (issue 6)\n")
        out.append("For the engine modes (backing O_DIRECT); the best engine mode must meet "
                   f"each. {BASELINE} is shown for reference only.\n")
        base_col = BASELINE in r.configs
        out.append("| target | " + " | ".join(modes) + " | best engine mode |"
                   + (f" {BASELINE} (not counted) |" if base_col else ""))
        out.append("|---|" + "---|" * (len(modes) + 1 + base_col))
        rows = [(w, f"{w} ≥ {t:.2f}× native", NATIVE, t) for w, t in NATIVE_TARGETS.items()
                if w in r.workloads]
        if REFERENCE in r.configs:
            rows += [(w, f"{w} ≥ {PTLL_TARGET}× passthrough_ll", REFERENCE, PTLL_TARGET)
                     for w in r.workloads if r.median(w, REFERENCE) is not None]
        for w, label, base, t in rows:
            line = target_row(r, w, label, base, t, modes)
            if base_col:
                x = r.ratio(w, BASELINE, base)
                line += f" {r.status(w, BASELINE) if x is None else f'{x:.2f}'} |"
            out.append(line)
        out.append("")
    out += transport_targets(r)

    if r.notes:
        out.append("## Notes\n")
        grouped = {}
        for n in r.notes:
            grouped.setdefault((n["config"], n["note"]), []).append(f"{n['workload']}/r{n['rep']}")
        for (c, note), where in grouped.items():
            out.append(f"- {c} ({', '.join(where)}): {note}")
        out.append("")
    return "\n".join(out)


def write_plot_data(r, path, gp_path):
    """plot.dat: workload label, then one ratio-to-native column per non-native config
    (0 where there is no number). plot.gp-vars: gnuplot commands that label those
    missing bars, mark each workload's target and set the y range."""
    cols = [c for c in r.configs if c != NATIVE]
    n = len(cols)
    width = 1.0 / (n + 1)
    cmds = []
    top = 1.0
    with open(path, "w", encoding="utf-8") as f:
        f.write("workload " + " ".join(f'"{c}"' for c in cols) + "\n")
        for i, w in enumerate(r.workloads):
            vals = []
            for j, c in enumerate(cols):
                x = r.ratio(w, c, NATIVE)
                if x is None or math.isnan(x):
                    vals.append("0")
                    xpos = i + (j - (n - 1) / 2.0) * width
                    cmds.append(f'set label "{r.status(w, c)}" at {xpos:.4f}, graph 0.02 '
                                f'rotate by 90 left font ",8" front')
                else:
                    vals.append(f"{x:.4f}")
                    top = max(top, x)
            f.write(f'"{w}" ' + " ".join(vals) + "\n")
            t = NATIVE_TARGETS.get(w)
            if t is not None and r.median(w, NATIVE) is not None:
                cmds.append(f"set arrow from {i - 0.46:.3f}, first {t} to {i + 0.46:.3f}, "
                            f"first {t} nohead dashtype 3 linewidth 2 linecolor rgb 'red' front")
    cmds.append(f"set yrange [0:{top * 1.12:.3f}]")
    cmds.append(f"set xrange [-0.6:{len(r.workloads) - 0.4}]")
    cmds.append("set xtics (" + ", ".join(f'"{w}" {i}' for i, w in enumerate(r.workloads)) + ")")
    cmds.append(f"ncols = {n}")
    cmds.append(f"barwidth = {width:.4f}")
    with open(gp_path, "w", encoding="utf-8") as f:
        f.write("\n".join(cmds) + "\n")
    return n


def check(r):
    """Every configuration must produce numbers for every workload, except that
    passthrough_ll may fail the O_DIRECT-write workloads, and a configuration this
    kernel cannot run is skipped."""
    problems = []
    for w in r.workloads:
        for c in r.configs:
            cell = r.cell.get((w, c))
            ok = cell is not None and cell["values"] and not cell["status"]
            if ok:
                continue
            if cell is not None and not cell["values"] and cell["status"] == {"skipped"}:
                continue
            if (c == REFERENCE and w in PTLL_EXPECTED_FAILS and cell is not None
                    and cell["status"] == {"fails"} and not cell["values"]):
                continue
            problems.append((c, r.status(w, c), w))
    grouped = {}
    for c, st, w in problems:
        grouped.setdefault((c, st), []).append(w)
    return [f"{c}: {st} on {','.join(ws)}" for (c, st), ws in grouped.items()]


def cmd_summary(a):
    r = Results(a.dir)
    with open(os.path.join(a.dir, "results.md"), "w", encoding="utf-8") as f:
        f.write(summary_markdown(r))
    write_plot_data(r, os.path.join(a.dir, "plot.dat"), os.path.join(a.dir, "plot-vars.gp"))
    problems = check(r)
    with open(os.path.join(a.dir, "check.txt"), "w", encoding="utf-8") as f:
        f.write("ok\n" if not problems else "\n".join(problems) + "\n")
    if problems:
        print("check: these cells have no numbers:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print("check: every configuration produced numbers "
          "(passthrough_ll failures only where expected; configurations this kernel "
          "cannot run skipped)", file=sys.stderr)
    return 0


NOTEWORTHY = re.compile(r"warn|error:|\bfail|fall(ing|s)? ?back|unsupported|ignor|cannot|can.t|not supported|lowered|raised",
                        re.IGNORECASE)


def cmd_note(a):
    """Keep what a daemon printed during a run that looks like a warning (an engine
    falling back, an option ignored) as a note; the whole log stays in raw/."""
    with open(a.file, encoding="utf-8", errors="replace") as f:
        lines = [ln.strip() for ln in f if NOTEWORTHY.search(ln)]
    if lines:
        append_note(a.notes, a.workload, a.config, a.rep,
                    "daemon said: " + " | ".join(lines[:3])[:300])
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("--csv", required=True)
    rec.add_argument("--notes", required=True)
    rec.add_argument("--workload", required=True, choices=sorted(PRIMARY))
    rec.add_argument("--config", required=True)
    rec.add_argument("--rep", required=True)
    rec.add_argument("--status", default="ran",
                     choices=["ran", "fails", "unsupported", "skipped"])
    rec.add_argument("--reason", default="")
    rec.add_argument("--json", default="")
    rec.add_argument("--errlog", default="")
    rec.add_argument("--rc", type=int, default=0)
    rec.add_argument("--cpu-ticks", default="")
    rec.add_argument("--clk-tck", default="100")
    n = sub.add_parser("note")
    n.add_argument("--notes", required=True)
    n.add_argument("--workload", required=True)
    n.add_argument("--config", required=True)
    n.add_argument("--rep", required=True)
    n.add_argument("--file", required=True)
    s = sub.add_parser("summary")
    s.add_argument("dir")
    a = p.parse_args()
    return {"record": cmd_record, "note": cmd_note, "summary": cmd_summary}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
