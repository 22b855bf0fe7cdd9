#!/usr/bin/env bash
# Detector tests against pinfs's deliberately broken variants (meson -Dunsafe_modes=true,
# issue 4; pinfs -o unsafe=MODE). Each mode breaks one thing that a scenario or the ledger check
# watches. forkstress must FAIL and name that scenario. The correct build's PASS is asserted by
# stress-pinfs.
#   unsafe.sh MODE
# Skips (77) when pinfs lacks the control socket, when it was built without unsafe modes (its
# --help then says "(this build: no)"), or when it does not offer MODE.
source "$(dirname "$0")/lib.sh"
need_root
need_pinfs
mode=${1:?unsafe mode}
# MODE -> scenarios to run, scenarios allowed to FAIL, what a FAIL must mention, mount options.
# pin_check stays off where the daemon's own traps would stop the run before the suite sees the
# breakage (with pin_check=on, vmsplice_reuse crashes pinfs and mismatch wedges it).
case $mode in
early_release)	# arena page back on the free list while its READ is in flight
	scen=21,22 want="21 22" says="garbage" opts=backing_dio=always ;;
early_ack)	# WRITE acknowledged before the backing write
	scen=10,21 want="10 21" says="" opts=pin_check=on ;;
no_dontfork)	# daemon buffers without MADV_DONTFORK while the daemon forks
	scen=21,22,25 want="21 22 25" says="" opts=pin_check=on ;;
vmsplice_reuse)	# vmspliced reply buffer overwritten before the pipe drained
	scen=23,24 want="23 24" says="" opts=vmsplice ;;
leak)		# every 16th direct write never unpins: the ledger
	scen=1,21 want="1 21" says="pinfs ledger" opts="" ;;
mismatch)	# pins released with put_page(): the ledger
	scen=1,21 want="1 21" says="pinfs ledger" opts="" ;;
*) fail "unknown unsafe mode $mode" ;;
esac
grep -q "unsafe=" <<<"$PINFS_HELP" || skip "this pinfs has no -o unsafe= option"
grep -q "this build: no" <<<"$PINFS_HELP" &&
	skip "pinfs was built without -Dunsafe_modes=true (pinfs --help: \"this build: no\")"
grep -qw "$mode" <<<"$PINFS_HELP" || skip "this pinfs build has no unsafe mode '$mode'"

mount_ext4 "$WORK/backing"
all="unsafe=$mode${opts:+,$opts}"
mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl.sock" "$all" ||
	fail "pinfs -o $all did not mount"
json="$WORK/unsafe.json"
run_fs 300 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/ctl.sock" --scenario "$scen" \
	--duration 2 \
	--json "$json" --quiet >"$WORK/out.txt"
rc=$?
[ -s "$json" ] || { cat "$WORK/out.txt"; fail "no JSON (exit $rc)"; }
cat "$WORK/out.txt"
json_assert "$json" "
want = [int(x) for x in '$want'.split()]
failed = [r for r in rows if r['verdict'] == 'FAIL']
names = sorted({r['scenario'] for r in failed})
assert names, 'unsafe=$mode: no scenario FAILed'
assert set(names) <= set(want), 'unsafe=$mode: unexpected scenarios failed: %s' % names
assert any('$says' in r['detail'] for r in failed), [r['detail'] for r in failed]
" || fail "unsafe=$mode was not detected by scenario(s) $want"
[ $rc = 1 ] || fail "exit status $rc, want 1"
echo "PASS: unsafe=$mode detected"
