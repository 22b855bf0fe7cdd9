#!/usr/bin/env bash
# forkstress against holdfs (holdfs.c), a minimal FUSE passthrough with the control socket's
# hold hooks, over a loop-mounted ext4. This exercises what needs a daemon before pinfs has its
# control socket: the hold-based deterministic mode of every racing scenario, the FUSE pin probe,
# the daemon-side scenario 21, and the ledger check over a real socket.
#   holdfs.sh correct       no FAIL; the deterministic rows of the hold scenarios ran (PASS)
#   holdfs.sh reuse-reply   holdfs answers some READs from a reused reply buffer: scenarios 21
#                           and 23 must FAIL in both modes, each with garbage (another request's
#                           data) as the class of its first bad byte
#   holdfs.sh early-ack     holdfs acknowledges WRITEs before they are stable: scenarios 10 and
#                           21 must FAIL in both modes, each with stale data (the same place's
#                           previous generation)
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
no_fail()
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
	cat "$WORK/out.txt"
	# every row FAILs with the class of its first bad byte: reuse-reply hands out another
	# request's reply (garbage that decodes: valid data of another place), early-ack lets a
	# read overtake the write (stale: the same place's previous generation); holdfs counts no
	# pins, so no row's ledger changes
	json_assert "$json" "
scen = {'reuse-reply': (21, 23), 'early-ack': (10, 21)}['$mode']
problems = []
for n in scen:
    for m in ('deterministic', 'stress'):
        r = row(n, m)
        b = r.get('first_bad', {})
        o = b.get('origin', {})
        if '$mode' == 'reuse-reply':
            ok = b.get('class') == 'garbage' and 'fid' in o
        else:
            ok = b.get('class') == 'stale' and o.get('off') == b['file_off']
        if r['verdict'] != 'FAIL' or not ok or 'ledger_change' in r:
            problems.append('#%d %s: %s; first_bad %s' % (n, m, r['verdict_text'], b))
assert len(rows) == 4 and not problems, ' | '.join(problems)
" || fail "holdfs -o corrupt=$mode was not reported as expected"
	[ $rc = 1 ] || fail "exit status $rc, want 1"
	;;
esac
echo "PASS: holdfs $mode"
