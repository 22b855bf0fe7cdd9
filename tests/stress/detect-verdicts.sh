#!/usr/bin/env bash
# Detector test for every scenario's verdict logic (spec §5 "broken implementation shows").
# This kernel pins FUSE and block O_DIRECT pages and has PageAnonExclusive, so no application-side
# scenario can be broken from userspace here. Instead --simulate-broken makes each scenario's I/O
# end the way the pre-fix kernel ends it (the data lands in the child's page, the secret reaches
# the file, the mapped file loses its data...). Asserted:
#   1. against tmpfs on the real classification, each scenario reports FAIL with the class the
#      spec predicts (stale, child's data, zero, the parent's write);
#   2. against a loop-mounted ext4 with --assume-kernel 5.4, the same failures become
#      XFAIL(kernel: ...) exactly where the version ladder (spec §2.5) predicts them, and stay
#      FAIL where no kernel excuses them (#10, #14, #19, #20).
# The daemon-side scenarios (21-25) need pinfs; their detector tests are stress-unsafe-*.
source "$(dirname "$0")/lib.sh"
need_root

mount_tmpfs "$WORK/tmpfs"
run_fs 300 "$PIN_BALANCE" --dir "$WORK/tmpfs" --scenario 1-20 --duration 0.2 --simulate-broken \
	--json "$WORK/sim.json" --quiet >"$WORK/sim.txt"
[ $? = 1 ] || { cat "$WORK/sim.txt"; fail "forkstress --simulate-broken should exit 1"; }
json_assert "$WORK/sim.json" '
# the class of the first bad byte (first_bad.class); #12: the bytes are the parent'"'"'s write
want = {1: "stale", 2: "stale", 3: "stale", 4: "stale", 5: "child", 6: "stale",
        7: "stale", 8: "stale", 9: "stale", 10: "stale", 11: "zero", 12: "parent write",
        13: "child", 14: "child", 15: "stale", 16: "stale", 17: "stale",
        18: "stale", 19: "stale", 20: "stale"}
swap = d["kernel"]["swap_kb"] > 0
for n, cls in want.items():
    r = row(n, "stress")
    if n == 17 and not swap:
        assert r["verdict"] == "SKIP" and "swap" in r["reason"], "#17 without swap: " + r["verdict_text"]
        continue
    assert r["verdict"] == "FAIL", "#%d stress: %s, want FAIL" % (n, r["verdict_text"])
    b = r.get("first_bad", {})
    got = b.get("origin", {}).get("name") if cls == "parent write" else b.get("class")
    assert got == cls, "#%d stress: first bad byte %s, want %r: %s" % (n, b, cls, r["detail"])
for n in [6, 7, 11, 12, 13, 14, 20]:      # deterministic without hold hooks
    r = row(n, "deterministic")
    assert r["verdict"] == "FAIL", "#%d deterministic: %s, want FAIL" % (n, r["verdict_text"])
assert "SIGSEGV" in row(20, "deterministic")["detail"]
' || fail "simulated breakage not reported as expected (see $WORK/sim.txt)"

mount_ext4 "$WORK/ext4"
run_fs 300 "$PIN_BALANCE" --dir "$WORK/ext4" --scenario 1-20 --mode stress --duration 0.2 \
	--simulate-broken \
	--assume-kernel 5.4 --json "$WORK/old.json" --quiet >"$WORK/old.txt"
[ $? = 1 ] || { cat "$WORK/old.txt"; fail "FAILs expected even on an assumed 5.4"; }
json_assert "$WORK/old.json" '
assert d["kernel"]["assumed"] and d["kernel"]["fuse_dio_pins"]["value"] == "no"
swap = d["kernel"]["swap_kb"] > 0
xfail = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 15, 16, 18] + ([17] if swap else [])
fail = [10, 11, 14, 19, 20]   # 11: the fault-in protocol matters for FUSE, not ext4
for n in xfail:
    r = row(n, "stress")
    assert r["verdict"] == "XFAIL", "#%d: %s, want XFAIL" % (n, r["verdict_text"])
    assert r["verdict_text"].startswith("XFAIL(kernel: "), r["verdict_text"]
for n in fail:
    r = row(n, "stress")
    assert r["verdict"] == "FAIL", "#%d: %s, want FAIL" % (n, r["verdict_text"])
assert "6.3" in row(1, "stress")["reason"], row(1, "stress")["reason"]
assert "5.19" in row(6, "stress")["reason"], row(6, "stress")["reason"]
assert "5.9" in row(12, "stress")["reason"], row(12, "stress")["reason"]
' || fail "expected outcomes not chosen from the assumed kernel (see $WORK/old.txt)"
echo "PASS: every application-side scenario reports its simulated breakage, and XFAIL follows the kernel"
