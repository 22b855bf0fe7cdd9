#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The connection limits pinfs sets in INIT reach the kernel: the FUSE control
# filesystem (/sys/fs/fuse/connections/MINOR) shows max_background at pinfs's
# default of 64 (not the kernel's 12), at the value -o max_background= asks
# for, and congestion_threshold at libfuse's three quarters of it.
. "$(dirname "$0")/lib.sh"

ctl=/sys/fs/fuse/connections
if ! mountpoint -q "$ctl"; then
	[ -d "$ctl" ] || pinfs_skip "$ctl is missing (no fusectl)"
	mount -t fusectl fusectl "$ctl" || pinfs_skip "cannot mount fusectl on $ctl"
	CLEANUP_HOOKS+=("umount $ctl")
fi

src=$(newdir src)
mnt=$(newdir mnt)

# conn_value MNT FILE: FILE of the FUSE connection mounted at MNT.
conn_value() {
	local minor
	minor=$(awk -v m="$1" '$5 == m { split($3, d, ":"); print d[2]; exit }' /proc/self/mountinfo)
	[ -n "$minor" ] || fail "no mountinfo line for $1"
	cat "$ctl/$minor/$2" || fail "cannot read $ctl/$minor/$2"
}

# limits NAME WANT [OPTIONS...]: mount, compare, unmount.
limits() {
	local name=$1 want=$2 bg ct
	shift 2
	pinfs_mount "$src" "$mnt" "$@"
	# the limits arrive with the INIT reply, which the first request waits for
	stat "$mnt/." >/dev/null || fail "$name: stat of the mount"
	bg=$(conn_value "$mnt" max_background)
	ct=$(conn_value "$mnt" congestion_threshold)
	[ "$bg" = "$want" ] || fail "$name: max_background $bg, expected $want"
	[ "$ct" = $((want * 3 / 4)) ] || fail "$name: congestion_threshold $ct, expected $((want * 3 / 4))"
	pinfs_umount "$mnt" || fail "$name: daemon exit status"
	pass "$name: max_background $bg, congestion_threshold $ct"
}

limits default 64
limits "max_background=20" 20 -o max_background=20
limits "max_background=200 with engine=uring" 200 -o max_background=200,engine=uring
echo "passed"
