#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Export support: file handles taken through the mount still open after the
# kernel forgot the inodes (LOOKUP of "." and ".." by node id), also when
# every O_PATH descriptor has to be reopened by handle (fd_cache=4).
. "$(dirname "$0")/lib.sh"

for opts in "" "-o fd_cache=4"; do
	src=$(newdir "src$RANDOM")
	mnt=$(newdir "mnt$RANDOM")
	pinfs_mount "$src" "$mnt" $opts
	timeout 60 "$TESTBIN/handles" "$mnt"
	rc=$?
	pinfs_umount "$mnt" || fail "daemon exit status"
	[ $rc = 77 ] && pinfs_skip "cannot drop caches"
	[ $rc = 0 ] || fail "handles ${opts:-(default)}"
	pass "handles ${opts:-(default)}"
done
echo "passed"
