#!/usr/bin/env bash
# forkstress against holdfs (holdfs.c), a minimal FUSE passthrough with the control socket's
# hold hooks, over a loop-mounted ext4. This exercises what needs a daemon before pinfs has its
# control socket: the hold-based deterministic mode of every racing scenario, the FUSE pin probe,
# the daemon-side scenario 21, and the ledger check over a real socket.
#   holdfs.sh correct       no FAIL; the deterministic rows of the hold scenarios ran (PASS)
#   holdfs.sh reuse-reply   holdfs answers some READs from a reused reply buffer: scenarios 21
#                           and 23 must FAIL with garbage (another request's data)
#   holdfs.sh early-ack     holdfs acknowledges WRITEs before they are stable: scenarios 10 and
#                           21 must FAIL with stale data
source "$(dirname "$0")/lib.sh"
need_root
command -v fusermount3 >/dev/null || skip "fusermount3 missing (fuse3)"
[ -e /dev/fuse ] || skip "no /dev/fuse"
mode=${1:?correct, reuse-reply or early-ack}
mount_ext4 "$WORK/backing"
case $mode in
correct) opts='' scen=all dur=0.3 ;;
reuse-reply) opts=corrupt=reuse-reply scen=21,23 dur=1 ;;
early-ack) opts=corrupt=early-ack scen=10,21 dur=1 ;;
*) fail "unknown mode $mode" ;;
esac
mount_holdfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl.sock" "$opts" || fail "holdfs did not mount"

json="$WORK/holdfs.json"
run_fs 600 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/ctl.sock" --scenario "$scen" \
	--duration "$dur" \
	--json "$json" --quiet >"$WORK/out.txt"
rc=$?
[ -s "$json" ] || { cat "$WORK/out.txt"; fail "no JSON (exit $rc)"; }
case $mode in
correct)
	[ -n "${FORKSTRESS_RESULTS:-}" ] && cp "$json" "$FORKSTRESS_RESULTS/holdfs.json"
	json_assert "$json" '
fails = ["#%d %s: %s" % (r["scenario"], r["mode"], r["detail"]) for r in rows if r["verdict"] == "FAIL"]
assert not fails, "FAIL rows: " + " | ".join(fails)
assert d["target"]["pinfs"] and d["ledger"]["verdict"] == "PASS"
assert d["kernel"]["fuse_dio_pins"]["how"].startswith("probe"), d["kernel"]["fuse_dio_pins"]
for n in [1, 2, 3, 4, 5, 8, 9, 10, 16, 18, 19, 20, 21]:
    r = row(n, "deterministic")
    assert r["verdict"] in ("PASS", "XFAIL"), "#%d deterministic: %s" % (n, r["verdict_text"])
assert row(21, "stress")["verdict"] == "PASS", row(21, "stress")["verdict_text"]
' || { cat "$WORK/out.txt"; fail "unexpected verdicts against holdfs"; }
	[ $rc = 0 ] || fail "exit status $rc"
	;;
reuse-reply | early-ack)
	cls=garbage
	want="21 23"
	if [ "$mode" = early-ack ]; then
		cls=stale
		want="10 21"
	fi
	cat "$WORK/out.txt"
	json_assert "$json" "
want = [int(x) for x in '$want'.split()]
failed = [r for r in rows if r['verdict'] == 'FAIL']
names = sorted({r['scenario'] for r in failed})
assert names and set(names) <= set(want), 'failed: %s, want a subset of %s' % (names, want)
assert all('$cls' in r['detail'] for r in failed), [r['detail'] for r in failed]
" || fail "holdfs -o corrupt=$mode was not reported as expected"
	[ $rc = 1 ] || fail "exit status $rc, want 1"
	;;
esac
echo "PASS: holdfs $mode"
