#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The atime options of a pinfs mount hold for reads through it: the daemon
# reaches SOURCE through a bind mount carrying them (fs/mount_helper.h), since
# the FUSE kernel module never updates atime itself (xfstests generic/003).
. "$(dirname "$0")/lib.sh"

# read_moves OPTS: prints "FIRST SECOND": whether the first and a later read moved atime.
read_moves() {
	local src mnt a0 a1 a2
	src=$(newdir "src$RANDOM")
	mnt=$(newdir "mnt$RANDOM")
	echo data >"$src/f"
	touch -a -d "2020-01-01" "$src/f"
	pinfs_mount "$src" "$mnt" ${1:+-o "$1"}
	a0=$(stat -c %X "$src/f")
	cat "$mnt/f" >/dev/null
	a1=$(stat -c %X "$src/f")
	sleep 1.1
	cat "$mnt/f" >/dev/null
	a2=$(stat -c %X "$src/f")
	pinfs_umount "$mnt" || fail "daemon exit status"
	echo "$([ "$a1" != "$a0" ] && echo y || echo n) $([ "$a2" != "$a1" ] && echo y || echo n)"
}

check_mode() {
	local got
	got=$(read_moves "$1")
	[ "$got" = "$2" ] || fail "${1:-default}: atime moved on first/second read: $got, expected $2"
	pass "${1:-default (relatime)}: $2"
}

check_mode "" "y n"
check_mode relatime "y n"
check_mode strictatime "y y"
check_mode noatime "n n"
check_mode "strictatime,nodiratime" "y y"
echo "passed"
