#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nothing reaches outside SOURCE: the daemon works on O_PATH handles with
# *at() calls and never follows a symlink in the backing store, whatever the
# backing store holds or becomes between two requests.
. "$(dirname "$0")/lib.sh"

command -v setfattr >/dev/null || pinfs_skip "attr tools missing"
command -v perl >/dev/null || pinfs_skip "perl missing"

outside=$(newdir outside)
echo secret >"$outside/victim"
touch -d @1000000 "$outside/victim"
src=$(newdir src)
mnt=$(newdir mnt)
ln -s "$outside" "$src/esc_dir"
ln -s "$outside/victim" "$src/esc_file"
mkdir "$src/d"
snapshot() { (cd "$outside" && find . -printf '%p %m %U %T@\n' | sort; getfattr -Rd . 2>/dev/null); }
before=$(snapshot)

# Long caches, so the kernel keeps using what it looked up before the swaps.
pinfs_mount "$src" "$mnt" -o timeout=60,negative_timeout=60

[ -L "$mnt/esc_dir" ] && [ -L "$mnt/esc_file" ] || fail "backing symlinks are not symlinks on the mount"
pass "backing symlinks stay symlinks"

setfattr -h -n trusted.pinfs -v 1 "$mnt/esc_file" || fail "lsetxattr on a symlink"
getfattr -h -n trusted.pinfs "$src/esc_file" >/dev/null 2>&1 || fail "xattr not on the link"
pass "lsetxattr acts on the link"
touch -h -d @2000000 "$mnt/esc_file" || fail "touch -h"
[ "$(stat -c %Y "$src/esc_file")" = 2000000 ] || fail "link time not set"
pass "utimensat(AT_SYMLINK_NOFOLLOW) acts on the link"
chown -h 1234:1234 "$mnt/esc_file" || fail "chown -h"
[ "$(stat -c %u "$src/esc_file")" = 1234 ] || fail "link owner not set"
pass "lchown acts on the link"
ln "$mnt/esc_dir" "$mnt/hard" || fail "link to a symlink"
[ -L "$src/hard" ] || fail "hard link is not the symlink itself"
pass "link() of a symlink links the symlink"
rm "$mnt/esc_file" "$mnt/hard" || fail "unlink symlinks"
pass "unlink removes the links only"

# A name the kernel believes absent becomes a symlink to the outside in the
# backing store; creating it through the mount must not follow it.
for name in newfile newdir newfifo newlink newnod; do
	stat "$mnt/$name" >/dev/null 2>&1 && fail "$name exists"
	ln -s "$outside/created-$name" "$src/$name"
done
(echo data >"$mnt/newfile") 2>/dev/null && fail "create followed a backing symlink"
mkdir "$mnt/newdir" 2>/dev/null && fail "mkdir over a backing symlink"
mkfifo "$mnt/newfifo" 2>/dev/null && fail "mkfifo over a backing symlink"
ln -s x "$mnt/newlink" 2>/dev/null && fail "symlink over a backing symlink"
mknod "$mnt/newnod" c 1 3 2>/dev/null && fail "mknod over a backing symlink"
ls "$outside" | grep -q created && fail "something was created outside"
pass "create/mkdir/mknod/symlink never follow a backing symlink"

# The kernel keeps using a directory it looked up; the backing store swaps it
# for a symlink to the outside. Requests go to the original directory.
stat "$mnt/d" >/dev/null
mv "$src/d" "$src/d.moved"
ln -s "$outside" "$src/d"
echo inside >"$mnt/d/made-after-swap" || fail "create in a cached directory"
[ -f "$src/d.moved/made-after-swap" ] || fail "file not in the original directory"
[ -e "$outside/made-after-swap" ] && fail "file created outside"
mkdir "$mnt/d/subdir-after-swap" && [ -d "$src/d.moved/subdir-after-swap" ] || fail "mkdir"
pass "requests follow the directory by handle, not by path"

# rename() cannot leave the mount.
echo x >"$mnt/moveme"
err=$(perl -e 'rename($ARGV[0], $ARGV[1]) or print "$!"' "$mnt/moveme" "$outside/moved")
[ -e "$outside/moved" ] && fail "rename reached outside"
[ -n "$err" ] || fail "rename out of the mount succeeded"
pass "rename out of the mount fails ($err)"

# ".." of the root is the root (the handles test covers ".." lookups by node id).
[ "$(stat -c %i "$mnt/d.moved/..")" = "$(stat -c %i "$mnt")" ] || fail "\"..\" of a subdirectory"

pinfs_umount "$mnt"
after=$(snapshot)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "the outside changed"; }
pass "the outside directory is untouched"

# The mountpoint may lie inside SOURCE: the daemon answers for the directory
# underneath its mount, and never walks into the mount itself (it would wait
# on its own request).
inner=$src/inner
mkdir "$inner" && touch "$inner/underneath"
pinfs_mount "$src" "$inner"
ls "$inner/inner" >"$WORK/listing" 2>&1 &
lister=$!
for _ in $(seq 100); do
	kill -0 $lister 2>/dev/null || break
	sleep 0.1
done
if kill -0 $lister 2>/dev/null; then
	fuse_abort "$inner"	# a request waiting on its own daemon waits for ever
	wait $lister
	fail "listing the mountpoint's directory through the mount hung"
fi
wait $lister || fail "listing the mountpoint's directory: $(cat "$WORK/listing")"
[ "$(cat "$WORK/listing")" = underneath ] || fail "the mountpoint's directory shows '$(cat "$WORK/listing")'"
pinfs_umount "$inner"
pass "a mountpoint inside SOURCE shows the directory underneath"

echo "passed"
