#!/usr/bin/env bash
# Detector tests against pinfs's deliberately broken variants (meson -Dunsafe_modes=true;
# pinfs -o unsafe=MODE, fs/unsafe.h). Each mode breaks one thing, and the scenarios that watch it
# must say exactly that: every row named below FAILs, with the corruption class of its first bad
# byte or the ledger violation kind as the JSON's fields give them (first_bad, ledger_change);
# every other row PASSes or FAILs the same way; nothing is skipped. The correct build's PASS is
# asserted by stress-pinfs.
#   unsafe.sh MODE
# UNSAFE_MOUNT=OTHER (another mode, or "none" for the correct daemon) mounts that variant
# instead, under MODE's expectations: they must then fail, which shows they are specific.
# Skips (77) when pinfs lacks the control socket, when it was built without unsafe modes (its
# --help then says "(this build: no)"), or when it does not offer MODE.
source "$(dirname "$0")/lib.sh"
need_root
need_pinfs
mode=${1:?unsafe mode}
# MODE -> scenarios to run, mount options. pin_check stays off where the daemon's own traps would
# stop the run before the suite sees the breakage (with pin_check=on, vmsplice_reuse crashes
# pinfs and mismatch wedges it); it is on where the ledger is the detector.
case $mode in
early_release)	# READ pages back on the arena's free list before the backing read (#21's parked
		# reply is then overwritten by the other READs it makes meanwhile)
	scen=21 opts="" ;;
early_ack)	# WRITE acknowledged before the backing write: a read right after it is stale
	scen=10,21 opts="" ;;
no_dontfork)	# daemon buffers without MADV_DONTFORK while the daemon forks (#25: io_uring)
	scen=21,22,25 opts=pin_check=on,engine=uring ;;
vmsplice_reuse)	# vmspliced reply buffer overwritten (0xa5) before the pipe drained
	scen=23 opts=vmsplice ;;
leak)		# every 16th O_DIRECT syscall never unpins: outstanding pins grow
	scen=1,21 opts="" ;;
mismatch)	# pins released with put_page(): put_pinned
	scen=1,21 opts="" ;;
*) fail "unknown unsafe mode $mode" ;;
esac
mount_mode=${UNSAFE_MOUNT:-$mode}
grep -q "unsafe=" <<<"$PINFS_HELP" || skip "this pinfs has no -o unsafe= option"
grep -q "this build: no" <<<"$PINFS_HELP" &&
	skip "pinfs was built without -Dunsafe_modes=true (pinfs --help: \"this build: no\")"
grep -qw "$mode" <<<"$PINFS_HELP" || skip "this pinfs build has no unsafe mode '$mode'"

mount_ext4 "$WORK/backing"
all=$opts
if [ "$mount_mode" != none ]; then
	all="unsafe=$mount_mode${opts:+,$opts}"
fi
[ "$mount_mode" = "$mode" ] || echo "note: -o $all, judged as unsafe=$mode (UNSAFE_MOUNT)"
mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl.sock" "$all" ||
	fail "pinfs -o $all did not mount"
json="$WORK/unsafe.json"
run_fs 300 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/ctl.sock" --scenario "$scen" \
	--duration 2 --json "$json" --quiet >"$WORK/out.txt"
rc=$?
[ -s "$json" ] || { cat "$WORK/out.txt"; fail "no JSON (exit $rc)"; }
cat "$WORK/out.txt"
json_assert "$json" "
mode = '$mode'
D = 'deterministic'
S = 'stress'
may_skip = set()	# rows of a scenario without that mode

def bad(r):
    return r.get('first_bad', {})

def kinds(r):
    return {k: v for k, v in r.get('ledger_change', {}).get('violations', {}).items() if v}

def data_only(r):
    # a data failure with a clean pin ledger
    return 'ledger_change' not in r

# MODE -> (rows that must FAIL, what a FAIL must show, the final ledger's violation kinds)
if mode == 'early_release':
    # the parked reply (file 0) carries the bytes of file 1, which the other READs read
    must = [(21, D)]
    def shows(r):
        b = bad(r)
        return (b.get('class') == 'garbage' and b.get('origin', {}).get('fid') == 2 and
                data_only(r))
    final = set()
elif mode == 'early_ack':
    # the read right after an acknowledged write gets the block's previous generation
    must = [(10, S), (21, S)]
    def shows(r):
        b = bad(r)
        return (b.get('class') == 'stale' and b.get('origin', {}).get('off') == b['file_off']
                and data_only(r))
    final = set()
elif mode == 'no_dontfork':
    # the ledger's atfork check (spec §2.6 P-3): fork with pinned pages outside DONTFORK memory
    # #22 has no deterministic mode: the hooks act before and after the backing O_DIRECT
    must = [(n, m) for n in (21, 22, 25) for m in (D, S) if (n, m) != (22, D)]
    may_skip = {(22, D)}
    def shows(r):
        return kinds(r).keys() == {'fork_unprotected'} and bad(r).get('class', 'stale') == 'stale'
    final = {'fork_unprotected'}
elif mode == 'vmsplice_reuse':
    # the reply's pages were overwritten with 0xa5 while the pipe still referenced them
    must = [(23, D), (23, S)]
    def shows(r):
        b = bad(r)
        return (b.get('class') == 'garbage' and b.get('got') == 0xa5 and 'origin' not in b
                and data_only(r))
    final = set()
elif mode == 'leak':
    # pins never released: outstanding grows, and nothing else is counted (pin_check=off)
    must = [(1, S), (21, D), (21, S)]
    def shows(r):
        lc = r.get('ledger_change', {})
        return lc.get('outstanding', 0) > 0 and not kinds(r) and 'first_bad' not in r
    final = set()
elif mode == 'mismatch':
    # put_page() of a pinned page: put_pinned, and those pins stay outstanding
    must = [(1, D), (1, S), (21, D), (21, S)]
    def shows(r):
        return kinds(r).keys() == {'put_pinned'} and 'first_bad' not in r
    final = {'put_pinned'}

def name(r):
    return '#%d %s' % (r['scenario'], r['mode'])

problems = []
for n, m in must:
    r = row(n, m)
    if r['verdict'] != 'FAIL':
        problems.append('%s must FAIL: %s' % (name(r), r['verdict_text']))
for r in rows:
    if r['verdict'] == 'FAIL' and not shows(r):
        problems.append('%s failed otherwise: first_bad %s, ledger %s: %s'
                        % (name(r), r.get('first_bad'), r.get('ledger_change'), r['detail']))
    elif r['verdict'] not in ('PASS', 'FAIL') and (r['scenario'], r['mode']) not in may_skip:
        problems.append('%s: %s' % (name(r), r['verdict_text']))
lk = {k for k, v in d['ledger']['violation_kinds'].items() if v}
if lk != final:
    problems.append('final ledger: violation kinds %s, want %s' % (sorted(lk), sorted(final)))
if mode == 'leak' and d['ledger']['pins_outstanding'] <= 0:
    problems.append('final ledger: no outstanding pins after unsafe=leak')
if mode not in ('leak', 'mismatch', 'no_dontfork') and d['ledger']['verdict'] != 'PASS':
    problems.append('final ledger: ' + d['ledger']['detail'])
assert not problems, 'unsafe=$mode: ' + ' | '.join(problems)
" || fail "unsafe=$mode was not reported as expected (-o $all)"
[ $rc = 1 ] || fail "exit status $rc, want 1"
echo "PASS: unsafe=$mode detected by each expected row, and only as expected"
