#!/usr/bin/env bash
# forkstress against pinfs -o transport=uring (FUSE over io_uring, spec §5 scenario 26), with
# the fuse module's enable_uring set for the test's duration and put back after.
#   ring.sh correct  every scenario with the control socket and pin_check=on over the ring: no
#                    FAIL, the ledger clean, #21 and #26 PASS in both modes; then the
#                    daemon-side ones with engine=uring too (#25 and #26 PASS)
#   ring.sh unsafe   a -Dunsafe_modes=true pinfs with unsafe=ring_fork_shared (ring payload
#                    buffers without MADV_DONTFORK): #26 must FAIL, and only #26, with the
#                    application's data found in the daemon's forked child (a leak)
# Skips (77) without FUSE over io_uring in the kernel, and (unsafe) without unsafe modes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../fuse_uring.sh"
need_root
need_pinfs
mode=${1:?correct or unsafe}
case $mode in
correct) opts=transport=uring,pin_check=on scen=all ;;
unsafe)
	grep -q "ring_fork_shared" <<<"$PINFS_HELP" && ! grep -q "this build: no" <<<"$PINFS_HELP" ||
		skip "pinfs was built without -Dunsafe_modes=true or has no unsafe=ring_fork_shared"
	opts=transport=uring,unsafe=ring_fork_shared scen=26 ;;
*) fail "unknown mode $mode" ;;
esac
fuse_uring_enable || skip "$FUSE_URING_WHY"
on_exit fuse_uring_restore

mount_ext4 "$WORK/backing"
mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl.sock" "$opts" || fail "pinfs -o $opts did not mount"
json="$WORK/ring-$mode.json"
run_fs 900 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/ctl.sock" --scenario "$scen" \
	--duration 0.5 --json "$json" --quiet >"$WORK/out.txt"
rc=$?
[ -s "$json" ] || { cat "$WORK/out.txt"; fail "no JSON (exit $rc)"; }
cat "$WORK/out.txt"
if [ "$mode" = correct ]; then
	json_assert "$json" '
no_fail()
assert d["ledger"]["verdict"] == "PASS", "ledger: " + d["ledger"]["detail"]
for n in (21, 26):
    for m in ("deterministic", "stress"):
        assert row(n, m)["verdict"] == "PASS", "#%d %s: %s" % (n, m, row(n, m)["verdict_text"])
' || fail "unexpected verdicts over the ring"
	[ $rc = 0 ] || fail "forkstress exit status $rc"
	# the daemon-side scenarios again with the io_uring engine beside the ring
	fusermount3 -u "$WORK/mnt" || fail "unmount failed"
	mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl2.sock" "$opts,engine=uring" ||
		fail "pinfs -o $opts,engine=uring did not mount"
	run_fs 900 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/ctl2.sock" \
		--scenario 1,10,21,22,25,26 --duration 0.5 --json "$WORK/ring-engine.json" --quiet \
		>"$WORK/out2.txt"
	rc=$?
	[ -s "$WORK/ring-engine.json" ] || { cat "$WORK/out2.txt"; fail "no JSON (exit $rc)"; }
	cat "$WORK/out2.txt"
	json_assert "$WORK/ring-engine.json" '
no_fail()
assert d["ledger"]["verdict"] == "PASS", "ledger: " + d["ledger"]["detail"]
for n in (25, 26):
    assert row(n, "stress")["verdict"] == "PASS", "#%d: %s" % (n, row(n, "stress")["verdict_text"])
' || fail "unexpected verdicts over the ring with engine=uring"
	[ $rc = 0 ] || fail "forkstress exit status $rc (engine=uring)"
	echo "PASS: forkstress over FUSE io_uring: no FAIL, #26 PASS, ledger clean (sync and uring engines)"
else
	json_assert "$json" '
failed = [r for r in rows if r["verdict"] == "FAIL"]
assert [r["scenario"] for r in failed] == [26], "want only #26 to FAIL: %s" % [(r["scenario"], r["mode"]) for r in failed]
r = row(26, "deterministic")
assert r["verdict"] == "FAIL" and "leak" in r["detail"], r["verdict_text"] + ": " + r["detail"]
' || fail "unsafe=ring_fork_shared was not detected by scenario 26 as a leak"
	[ $rc = 1 ] || fail "forkstress exit status $rc, want 1"
	echo "PASS: unsafe=ring_fork_shared detected: #26 finds the payload in the daemon's child"
fi
