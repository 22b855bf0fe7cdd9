#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# allow_other as root: what a user creates through the mount belongs to that
# user and group in the backing store, setgid directories and default ACLs and
# the user's umask apply, and writes by the user clear setuid/setgid bits
# (buffered, O_DIRECT, truncate, fallocate, punch hole, zero range).
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || pinfs_skip "setpriv missing"
command -v xfs_io >/dev/null && HAVE_XFS_IO=1 || HAVE_XFS_IO=0

U=4242
G=4343
G2=4444
as_user() { setpriv --reuid=$U --regid=$G --groups=$G2 -- "$@"; }
owner() { stat -c '%u:%g %a' "$1"; }

src=$(newdir src)
mnt=$(newdir mnt)
chmod 0777 "$src"
mkdir "$src/sgid"
chgrp 100 "$src/sgid"
chmod 2777 "$src/sgid"
mkdir "$src/rootonly"
chmod 0755 "$src/rootonly"
mkdir "$src/g2dir"
chgrp $G2 "$src/g2dir"
chmod 0770 "$src/g2dir"
pinfs_mount "$src" "$mnt" -o allow_other

as_user sh -c "umask 027; touch '$mnt/file'; mkdir '$mnt/dir'; ln -s target '$mnt/link'; mkfifo '$mnt/fifo'" \
	|| fail "creating as user $U"
[ "$(owner "$src/file")" = "$U:$G 640" ] || fail "file: $(owner "$src/file")"
[ "$(owner "$src/dir")" = "$U:$G 750" ] || fail "dir: $(owner "$src/dir")"
[ "$(stat -c %u:%g "$src/link")" = "$U:$G" ] || fail "symlink: $(stat -c %u:%g "$src/link")"
[ "$(owner "$src/fifo")" = "$U:$G 640" ] || fail "fifo: $(owner "$src/fifo")"
pass "created as $U:$G with the user's umask"

as_user sh -c "umask 022; touch '$mnt/sgid/f'; mkdir '$mnt/sgid/d'" || fail "create in setgid dir"
[ "$(owner "$src/sgid/f")" = "$U:100 644" ] || fail "setgid dir file: $(owner "$src/sgid/f")"
[ "$(owner "$src/sgid/d")" = "$U:100 2755" ] || fail "setgid dir subdir: $(owner "$src/sgid/d")"
pass "setgid directory: group inherited, setgid propagated to subdirectories"

as_user touch "$mnt/rootonly/x" 2>/dev/null && fail "user wrote into a root-only directory"
[ -e "$src/rootonly/x" ] && fail "backing store changed"
as_user touch "$mnt/g2dir/x" || fail "supplementary group member denied"
[ "$(stat -c %u:%g "$src/g2dir/x")" = "$U:$G" ] || fail "g2dir file owner"
pass "the kernel checks permissions with the caller's groups"

if command -v setfacl >/dev/null; then
	mkdir "$src/acl"
	chmod 0777 "$src/acl"
	setfacl -d -m u::rwx,g::rwx,o::rwx "$src/acl"
	as_user sh -c "umask 077; touch '$mnt/acl/f'; mkdir '$mnt/acl/d'" || fail "create in ACL dir"
	[ "$(owner "$src/acl/f")" = "$U:$G 666" ] || fail "default ACL file: $(owner "$src/acl/f")"
	[ "$(owner "$src/acl/d")" = "$U:$G 777" ] || fail "default ACL dir: $(owner "$src/acl/d")"
	pass "default ACL replaces the umask"
fi

# setuid/setgid are cleared by an unprivileged writer.
suid_case() {
	local name=$1
	shift
	local f="$mnt/suid-$name"
	rm -f "$f"
	as_user sh -c "head -c 65536 /dev/zero > '$f'; chmod 06775 '$f'" || fail "$name: setup"
	[ "$(stat -c %a "$src/suid-$name")" = 6775 ] || fail "$name: setup mode $(stat -c %a "$src/suid-$name")"
	as_user "$@" "$f" || fail "$name: the write failed"
	local mode
	mode=$(stat -c %a "$src/suid-$name")
	[ "$mode" = 775 ] || fail "$name: mode $mode in the backing store, expected 775"
	[ "$(stat -c %a "$f")" = 775 ] || fail "$name: mode $(stat -c %a "$f") on the mount"
	pass "$name clears setuid/setgid"
}
suid_case buffered-write sh -c 'echo x >> "$0"'
suid_case truncate truncate -s 1000
if [ $HAVE_XFS_IO = 1 ]; then
	suid_case direct-write xfs_io -d -c "pwrite -q 0 4096"
	suid_case unaligned-direct-write xfs_io -d -c "pwrite -q 100 1000"
	suid_case fallocate xfs_io -c "falloc 0 131072"
	suid_case punch-hole xfs_io -c "fpunch 0 4096"
	suid_case zero-range xfs_io -c "fzero 0 4096"
else
	suid_case direct-write sh -c 'dd if=/dev/zero of="$0" bs=4096 count=1 conv=notrunc oflag=direct status=none'
fi
# Root keeps them (CAP_FSETID).
echo x >"$mnt/rootfile"
chmod 06755 "$mnt/rootfile"
echo y >>"$mnt/rootfile"
[ "$(stat -c %a "$src/rootfile")" = 6755 ] || fail "root write cleared setuid"
pass "a root writer keeps setuid/setgid"

# chmod g+s by the owner outside the file's group drops setgid.
as_user touch "$mnt/chmodme"
chgrp 100 "$src/chmodme"
as_user chmod 2755 "$mnt/chmodme" || fail "chmod by owner"
[ "$(stat -c %a "$src/chmodme")" = 755 ] || fail "chmod kept setgid: $(stat -c %a "$src/chmodme")"
pass "chmod by a non-member drops setgid"

# chown(f, -1, -1) changes nothing but ctime, natively and through the mount.
echo c >"$mnt/ctimefile"
mkdir "$mnt/ctimedir"
ln -s ctimefile "$mnt/ctimelink"
for f in ctimefile ctimedir ctimelink; do
	before=$(stat -c %Z.%z "$src/$f")
	sleep 0.02
	python3 -c 'import os, sys; os.lchown(sys.argv[1], -1, -1)' "$mnt/$f" ||
		fail "$f: lchown -1 -1"
	after=$(stat -c %Z.%z "$src/$f")
	[ "$before" != "$after" ] || fail "$f: chown(-1, -1) left ctime at $before"
	[ "$(stat -c %z "$mnt/$f")" = "$(stat -c %z "$src/$f")" ] ||
		fail "$f: the mount shows ctime $(stat -c %z "$mnt/$f"), the backing store $(stat -c %z "$src/$f")"
done
pass "chown(-1, -1) updates ctime, as the backing filesystem does"

pinfs_umount "$mnt"
echo "passed"
