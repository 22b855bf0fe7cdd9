#!/usr/bin/env bash
# The scenarios that need machine features this box lacks by default, with the features set up
# for the duration of the test and restored afterwards: a 256 MiB swap file (#15's swapped
# layouts, #17), a few hugetlb pages (#12/#13 on hugetlb, where cow.c expects a failure), and
# every mTHP size set to 'madvise' (#15's mTHP layouts, via forkstress --mthp-enable).
# Asserted: no FAIL; the swap-out and mTHP subcases actually ran.
source "$(dirname "$0")/lib.sh"
need_root
mount_tmpfs "$WORK/mnt"

swap="$WORK/swapfile"
swap_on=0
if fallocate -l 256M "$swap" 2>/dev/null && chmod 600 "$swap" && mkswap -q "$swap" >/dev/null &&
	swapon "$swap" 2>/dev/null; then
	swap_on=1
	on_exit "swapoff '$swap'"
fi
# forkstress --mthp-enable restores the mTHP settings itself; this is the net if it is killed
mthp_mode() { sed 's/.*\[\(.*\)\].*/\1/' "$1"; }
declare -A saved_mthp=()
for f in /sys/kernel/mm/transparent_hugepage/hugepages-*kB/enabled; do
	[ -w "$f" ] || continue
	saved_mthp[$f]=$(mthp_mode "$f")
	on_exit "echo ${saved_mthp[$f]} > $f"
done
old_huge=$(cat /proc/sys/vm/nr_hugepages)
on_exit "echo $old_huge > /proc/sys/vm/nr_hugepages"
echo $((old_huge + 8)) >/proc/sys/vm/nr_hugepages
[ "$swap_on" = 1 ] || [ "$(cat /proc/sys/vm/nr_hugepages)" -gt "$old_huge" ] ||
	skip "could neither enable swap nor reserve hugetlb pages here"

run_json features 300 "$PIN_BALANCE" --dir "$WORK/mnt" --scenario 12,13,15,17 --mthp-enable \
	--duration 1
cat "$OUT"
json_assert "$JSON" "
no_fail()
subs = {s['name']: s['verdict'] for r in rows if r['scenario'] == 15 and r['mode'] == 'stress' for s in r['subcases']}
assert any(k.startswith('mthp-') and v == 'PASS' for k, v in subs.items()), 'no mTHP layout ran'
if $swap_on:
    assert row(17, 'stress')['verdict'] == 'PASS', row(17, 'stress')['verdict_text']
    assert any(k.endswith('-swapped/#6') and v == 'PASS' for k, v in subs.items()), 'no swapped layout ran'
hs = [s for r in rows if r['scenario'] in (12, 13) for s in r['subcases'] if 'hugetlb' in s['name']]
assert hs and all(s['verdict'] in ('PASS', 'XFAIL') for s in hs), hs
" || fail "unexpected verdicts"
for f in "${!saved_mthp[@]}"; do
	[ "$(mthp_mode "$f")" = "${saved_mthp[$f]}" ] || fail "--mthp-enable did not restore $f"
done
[ $RC = 0 ] || fail "exit status $RC"
echo "PASS: swap-out, hugetlb and mTHP subcases ran without a FAIL"
