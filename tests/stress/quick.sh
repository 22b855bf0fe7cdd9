#!/usr/bin/env bash
# Quick run of every scenario against a private tmpfs or a loop-mounted ext4 (the native
# baselines): short bounds, and no scenario may FAIL. On this kernel class (FUSE and block
# O_DIRECT pin, PageAnonExclusive) application-side scenarios must PASS; SKIPs name what is
# missing (hold hooks, swap, hugetlb pages, mTHP sizes, pinfs).
#   quick.sh tmpfs|ext4
source "$(dirname "$0")/lib.sh"
need_root
kind=${1:?tmpfs or ext4}
dir="$WORK/mnt"
case $kind in
tmpfs) mount_tmpfs "$dir" ;;
ext4) mount_ext4 "$dir" ;;
*) fail "unknown target kind $kind" ;;
esac

# its JSON is kept for docs/pinning.md's table (tests/stress/render-table)
run_json "$kind" 300 "$PIN_BALANCE" --dir "$dir" --scenario all --duration 0.3
cat "$OUT"
json_assert "$JSON" '
no_fail()
assert len(rows) == 52, "expected 26 scenarios x 2 modes, got %d rows" % len(rows)
for r in rows:
    if r["verdict"] == "SKIP":
        assert r["reason"], "SKIP without a reason: #%d %s" % (r["scenario"], r["mode"])
    pb = r["pin_balance"]
    if os.environ.get("FORKSTRESS_PIN_BALANCE") == "strict":
        assert pb.get("outcome") != "leak", "pin leak in #%d" % r["scenario"]
# what must have run here (a kernel older than the fixes may turn PASS into XFAIL, never FAIL)
ran = ("PASS", "XFAIL")
for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20]:
    assert row(n, "stress")["verdict"] in ran, "#%d stress is %s" % (n, row(n, "stress")["verdict_text"])
for n in [6, 7, 11, 12, 13, 14, 20]:
    assert row(n, "deterministic")["verdict"] in ran, "#%d deterministic is %s" % (n, row(n, "deterministic")["verdict_text"])
for n in range(21, 27):
    assert row(n, "stress")["verdict"] == "SKIP" and "pinfs" in row(n, "stress")["reason"]
' || fail "unexpected verdicts"
[ $RC = 0 ] || fail "forkstress exit status $RC"
echo "PASS: quick run against $kind"
