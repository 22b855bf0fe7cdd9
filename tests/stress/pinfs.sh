#!/usr/bin/env bash
# forkstress against a real pinfs mount over a loop-mounted ext4 backing directory.
#   pinfs.sh           with the control socket and pin_check=on: the hold-based deterministic
#                      mode, the FUSE pin probe, the daemon-side scenarios and the ledger check
#                      all run. First every scenario on the default data paths, then 1, 10 and
#                      21-25 with -o splice=rw,vmsplice,engine=uring (without engine=uring if
#                      that does not mount). Asserted: no FAIL, the application-side scenarios
#                      PASS, #23/#24 ran, and pinfs's ledger is clean (0 outstanding pins, 0
#                      violations, 0 warnings). Skips (77) while pinfs is not built or has no
#                      -o control= option.
#   pinfs.sh plain     without the control socket (any pinfs build): the stress mode of every
#                      application-side scenario through the real daemon; no FAIL.
source "$(dirname "$0")/lib.sh"
need_root
if [ "${1:-}" = plain ]; then
	PINFS=${PINFS:-}
	if [ -z "$PINFS" ] || [ ! -x "$PINFS" ]; then
		skip "pinfs is not built (${PINFS:-PINFS unset})"
	fi
	command -v fusermount3 >/dev/null || skip "fusermount3 missing (fuse3)"
	mount_ext4 "$WORK/backing"
	mount_pinfs "$WORK/backing" "$WORK/mnt" "" || fail "pinfs did not mount"
	run_json pinfs-plain 600 "$PIN_BALANCE" --dir "$WORK/mnt" --scenario all --duration 0.3
	json_assert "$JSON" '
no_fail()
assert d["target"]["fuse"], "the target is not a FUSE mount"
for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 19, 20]:
    assert row(n, "stress")["verdict"] in ("PASS", "XFAIL"), "#%d: %s" % (n, row(n, "stress")["verdict_text"])
' || { cat "$OUT"; fail "unexpected verdicts against pinfs"; }
	[ $RC = 0 ] || fail "forkstress exit status $RC"
	echo "PASS: pinfs without --control: no FAIL"
	exit 0
fi
need_pinfs
mount_ext4 "$WORK/backing"

# 1. every scenario on the default data paths, with the ledger's checks on
mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl.sock" pin_check=on || fail "pinfs did not mount"
run_json pinfs 600 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/ctl.sock" --scenario all \
	--duration 0.3
json_assert "$JSON" '
no_fail()
assert d["target"]["pinfs"], "the target was not recognised as pinfs"
assert d["ledger"]["verdict"] == "PASS", "ledger: " + d["ledger"]["detail"]
for n in [1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 18, 19, 20]:
    for mode in ("deterministic", "stress"):
        r = row(n, mode)
        assert r["verdict"] in ("PASS", "XFAIL"), "#%d %s: %s" % (n, mode, r["verdict_text"])
assert row(21, "stress")["verdict"] == "PASS", row(21, "stress")["verdict_text"]
' || { cat "$OUT"; fail "unexpected verdicts against pinfs"; }
[ $RC = 0 ] || fail "forkstress exit status $RC"
fusermount3 -u "$WORK/mnt" || fail "unmount failed"

# 2. the daemon-side scenarios on the other data paths: io_uring engine, splice, vmsplice
opts=pin_check=on,splice=rw,vmsplice,engine=uring
if ! mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl2.sock" "$opts"; then
	echo "note: pinfs -o $opts did not mount; trying without engine=uring"
	opts=pin_check=on,splice=rw,vmsplice
	mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl2.sock" "$opts" ||
		fail "pinfs -o $opts did not mount"
fi
run_json pinfs-paths 600 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/ctl2.sock" \
	--scenario 1,10,21-25 --duration 0.3
json_assert "$JSON" '
no_fail()
assert d["ledger"]["verdict"] == "PASS", "ledger: " + d["ledger"]["detail"]
for n in (23, 24):
    assert row(n, "stress")["verdict"] == "PASS", "#%d: %s" % (n, row(n, "stress")["verdict_text"])
' || { cat "$OUT"; fail "unexpected verdicts against pinfs -o $opts"; }
[ $RC = 0 ] || fail "forkstress exit status $RC (-o $opts)"
echo "PASS: pinfs with --control: no FAIL, ledger clean (default paths and -o $opts)"
