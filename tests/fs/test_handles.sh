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

# Handles across a remount, with SOURCE the filesystem's root (every inode of
# the device is beneath it: no check) and a subdirectory (each revival proven
# beneath SOURCE, fs/containment.h). Then after dropping every cache, as
# xfstests generic/477 does: directories still open in both cases, regular
# files where SOURCE is the root (elsewhere an evicted non-directory cannot be
# proven beneath SOURCE and is stale, docs/usage.md).
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
	if [ "$src" = "$ext" ]; then
		echo 3 >/proc/sys/vm/drop_caches
		open_ok "$what: a file after a remount, uncached" "$mnt" "$h_file" kept
	fi
	pinfs_umount "$mnt" || fail "daemon exit status"
	pass "handles across a remount, $what"
done

# Revival opens by handle on SOURCE's own mount, whatever other mounts the
# table met before: here the mountpoint lies inside SOURCE on a tmpfs, and a
# lookup of the mountpoint's name (the directory underneath) brings that
# tmpfs into the table first. A handle of a file this daemon never looked up
# must still open.
src=$ext/sub
mkdir "$src/mp"
mount -t tmpfs -o size=1m pinfs-handles "$src/mp" || fail "cannot mount a tmpfs"
EXT4_MOUNTS=("$src/mp" "${EXT4_MOUNTS[@]}")	# unmounted before the ext4
touch "$src/mp/on-tmpfs"
echo never >"$src/never"
h_never=$("$H" --forge "$src/never") || fail "no handle for $src/never"
pinfs_mount "$src" "$src/mp"
[ -e "$src/mp/mp/on-tmpfs" ] || fail "the mountpoint's name does not show the tmpfs underneath"
open_ok "a file never looked up, after a lookup on another mount" "$src/mp" "$h_never" never
pinfs_umount "$src/mp" || fail "daemon exit status"
umount "$src/mp" || fail "cannot unmount the tmpfs"
pass "revival after a lookup on another mount"
echo "passed"
