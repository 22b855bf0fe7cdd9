#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Export support: file handles taken through the mount still open after the
# kernel forgot the inodes (LOOKUP of "." and ".." by node id), also when
# every O_PATH descriptor has to be reopened by handle (fd_cache=4); and, over
# a loop-mounted ext4 (8-byte FILEID_INO32_GEN handles, stable node ids,
# fs/inode.h), handles taken before an unmount still open on the next mount.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

H=$TESTBIN/handles

for opts in "" "-o fd_cache=4"; do
	src=$(newdir "src$RANDOM")
	mnt=$(newdir "mnt$RANDOM")
	pinfs_mount "$src" "$mnt" $opts
	timeout 60 "$H" "$mnt"
	rc=$?
	pinfs_umount "$mnt" || fail "daemon exit status"
	[ $rc = 77 ] && pinfs_skip "cannot drop caches"
	[ $rc = 0 ] || fail "handles ${opts:-(default)}"
	pass "handles ${opts:-(default)}"
done

# open_ok WHAT MNT HANDLE [FIRST-LINE]: the handle opens through MNT (and a
# regular file starts with FIRST-LINE).
open_ok() {
	local out
	out=$(timeout 30 "$H" --open "$2" "$3") || fail "$1: $out"
	[ -z "${4:-}" ] || [ "$(tail -1 <<<"$out")" = "$4" ] || fail "$1: reads '$out'"
}

# Handles across a remount, with SOURCE the filesystem's root and a
# subdirectory; then after dropping every cache, as xfstests generic/477 does.
ext=$WORK/ext4
backing_ext4 "$ext" 64
mkdir "$ext/sub"
mnt=$(newdir mnt-ext4)
for src in "$ext" "$ext/sub"; do
	what=$([ "$src" = "$ext" ] && echo "SOURCE the fs root" || echo "SOURCE a subdirectory")
	pinfs_mount "$src" "$mnt"
	mkdir -p "$mnt/d/e/f"
	echo kept >"$mnt/kept"
	h_file=$("$H" --handle "$mnt/kept") || fail "$what: handle of a file"
	h_deep=$("$H" --handle "$mnt/d/e/f") || fail "$what: handle of a directory"
	pinfs_umount "$mnt" || fail "daemon exit status"

	pinfs_mount "$src" "$mnt"
	open_ok "$what: a file after a remount" "$mnt" "$h_file" kept
	open_ok "$what: a directory after a remount" "$mnt" "$h_deep"
	pinfs_umount "$mnt" || fail "daemon exit status"

	mv "$src/d" "$src/d.renamed"	# the directory's path changes too
	pinfs_mount "$src" "$mnt"
	echo 3 >/proc/sys/vm/drop_caches
	open_ok "$what: a directory after a remount, renamed, uncached" "$mnt" "$h_deep"
	[ -d "$mnt/d.renamed/e/f" ] || fail "$what: the reconnected directory's path"
	echo 3 >/proc/sys/vm/drop_caches
	open_ok "$what: a file after a remount, uncached" "$mnt" "$h_file" kept
	pinfs_umount "$mnt" || fail "daemon exit status"
	pass "handles across a remount, $what"
done

echo "passed"
