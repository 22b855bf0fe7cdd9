#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# POSIX ACLs with the Debian acl tools: the same setfacl/getfacl sequence on
# the backing store and through the mount prints the same thing.
. "$(dirname "$0")/lib.sh"

command -v setfacl >/dev/null && command -v getfacl >/dev/null || pinfs_skip "acl tools missing"

sequence() {
	cd "$1" || exit 1
	umask 022
	touch f
	mkdir d
	setfacl -m u:1000:rwx,g:100:r-x f && echo "setfacl f: ok"
	getfacl -n f
	ls -l f | cut -c1-10
	setfacl -m m::r-- f && getfacl -n f
	setfacl -d -m u::rwx,g::rwx,o::rwx,u:1001:r-x d && echo "setfacl -d d: ok"
	getfacl -n d
	touch d/inherit
	mkdir d/subdir
	getfacl -n d/inherit d/subdir
	ls -ld d/inherit d/subdir | cut -c1-10
	setfacl -b f && getfacl -n f
	setfacl -m u:nosuchuser:rwx f 2>&1 | sed 's/^setfacl: //'
	chmod 0750 d/inherit && getfacl -n d/inherit
	setfacl -k d && getfacl -n d
	cd /
}

native=$(newdir native)
(sequence "$native") >"$WORK/native.out" 2>&1
src=$(newdir src)
mnt=$(newdir mnt)
pinfs_mount "$src" "$mnt"
(sequence "$mnt") >"$WORK/mnt.out" 2>&1
pinfs_umount "$mnt"
diff -u "$WORK/native.out" "$WORK/mnt.out" || fail "getfacl output differs"
pass "$(wc -l <"$WORK/mnt.out") lines of getfacl output identical"
# And the backing store holds exactly what the mount showed.
(cd "$src" && getfacl -Rn . 2>/dev/null) >"$WORK/backing.acl"
(cd "$native" && getfacl -Rn . 2>/dev/null) >"$WORK/native.acl"
diff -u "$WORK/native.acl" "$WORK/backing.acl" || fail "backing store ACLs differ"
pass "backing store ACLs identical"
echo "passed"
