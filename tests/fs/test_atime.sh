#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The atime options of a pinfs mount hold for reads through it, of files,
# directories and symlinks, on SOURCE's mount and on mounts beneath SOURCE:
# the daemon opens them through views of their mounts that carry the options
# (fs/mount_helper.h), since the FUSE kernel module never updates atime
# itself (xfstests generic/003, 120).
. "$(dirname "$0")/lib.sh"

# access KIND PATH: read a file, list a directory or read a symlink.
access() {
	case $1 in
	dir) ls "$2" >/dev/null ;;
	link) readlink "$2" >/dev/null ;;
	*) cat "$2" >/dev/null ;;
	esac || fail "$1 $2 not accessible through pinfs"
}

# moves OPTS KIND: mounts pinfs with OPTS over a fresh SOURCE holding one
# object of KIND (file, dir, link, or sub:TMPFS_OPTS: a file on a tmpfs
# mounted beneath SOURCE with those options) whose atime is old, accesses it
# through pinfs twice, and sets MOVED to "FIRST SECOND": whether each access
# moved its atime in the backing store. Runs in the test's shell, so that its
# failures and cleanup hooks reach the EXIT trap.
moves() {
	local opts=$1 kind=$2 src mnt path a0 a1 a2
	RUNS=$((${RUNS:-0} + 1))
	src=$(newdir "src$RUNS")
	mnt=$(newdir "mnt$RUNS")
	case $kind in
	file) path=f; echo data >"$src/f" ;;
	dir) path=d; mkdir "$src/d"; touch "$src/d/x" ;;
	link) path=l; ln -s target "$src/l" ;;
	sub:*)
		path=sub/f
		mkdir "$src/sub"
		CLEANUP_HOOKS+=("umount -l '$src/sub' 2>/dev/null")
		mount -t tmpfs -o "size=1m,${kind#sub:}" pinfs-test-atime "$src/sub" ||
			fail "tmpfs beneath SOURCE"
		echo data >"$src/sub/f"
		;;
	esac
	touch -h -a -d "2020-01-01" "$src/$path"
	pinfs_mount "$src" "$mnt" ${opts:+-o "$opts"}
	a0=$(stat -c %X "$src/$path")
	access "${kind%%:*}" "$mnt/$path"
	a1=$(stat -c %X "$src/$path")
	sleep 1.1
	access "${kind%%:*}" "$mnt/$path"
	a2=$(stat -c %X "$src/$path")
	pinfs_umount "$mnt" || fail "daemon exit status"
	[ "$path" != sub/f ] || umount "$src/sub" || fail "cannot unmount the tmpfs"
	MOVED="$([ "$a1" != "$a0" ] && echo y || echo n) $([ "$a2" != "$a1" ] && echo y || echo n)"
}

check_mode() {
	moves "$1" "$2"
	[ "$MOVED" = "$3" ] ||
		fail "${1:-default}, $2: atime moved on first/second access: $MOVED, expected $3"
	pass "${1:-default (relatime)}, $2: $3"
}

check_mode "" file "y n"
check_mode relatime file "y n"
check_mode strictatime file "y y"
check_mode noatime file "n n"
check_mode "strictatime,nodiratime" file "y y"
check_mode relatime dir "y n"
check_mode strictatime dir "y y"
check_mode noatime dir "n n"
check_mode "strictatime,nodiratime" dir "n n"
check_mode relatime link "y n"
check_mode strictatime link "y y"
# A mount beneath SOURCE follows the pinfs mount's options, not its own.
check_mode strictatime sub:relatime "y y"
check_mode relatime sub:strictatime "y n"
check_mode "strictatime,nodiratime" sub:noatime "y y"
echo "passed"
