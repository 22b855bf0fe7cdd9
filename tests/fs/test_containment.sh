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

# File handles (fs/containment.h). On ext4 a node id is the backing file
# handle, and a handle names any inode of the filesystem: one built by hand
# for an inode outside SOURCE (a subdirectory of a loop-mounted ext4) gives
# ESTALE, and pinfs never answers a LOOKUP for it.
. "$(dirname "$0")/lib_pin.sh"
ext=$WORK/ext4
backing_ext4 "$ext" 64
mkdir "$ext/src" "$ext/outside" "$ext/outside/dir" "$ext/src/dir"
echo secret >"$ext/outside/victim"
echo inside >"$ext/src/inside"
echo moving >"$ext/src/moving"
forge() {
	"$TESTBIN/handles" --forge "$1" || fail "no handle for $1"
}
h_dir=$(forge "$ext/outside/dir")
h_victim=$(forge "$ext/outside/victim")
h_inside=$(forge "$ext/src/inside")
h_indir=$(forge "$ext/src/dir")
h_moving=$(forge "$ext/src/moving")
hmnt=$(newdir hmnt)

# The kernel reconnects a directory through "..", and that alone would refuse
# it; so the daemon's statistics tell whether pinfs answered for it.
pinfs_mount "$ext/src" "$hmnt"
out=$("$TESTBIN/handles" --open "$hmnt" "$h_dir") && fail "a directory outside SOURCE opened"
[ "$out" = ESTALE ] || fail "a directory outside SOURCE: $out, not ESTALE"
pinfs_umount "$hmnt" || fail "daemon exit status"
answered=$(awk '$2 == "lookup" { print $3 - $4 }' "$DAEMON_LOG")
[ "${answered:-0}" = 0 ] || fail "pinfs answered $answered LOOKUPs for a directory outside SOURCE"
pass "a hand-made handle of a directory outside SOURCE: ESTALE, no LOOKUP answered"

pinfs_mount "$ext/src" "$hmnt"
out=$("$TESTBIN/handles" --open "$hmnt" "$h_victim") && fail "a file outside SOURCE opened: $out"
[ "$out" = ESTALE ] || fail "a file outside SOURCE: $out, not ESTALE"
out=$("$TESTBIN/handles" --open "$hmnt" "$h_inside") || fail "a file inside SOURCE: $out"
[ "$(tail -1 <<<"$out")" = inside ] || fail "a file inside SOURCE reads '$out'"
pass "a hand-made handle of a file outside SOURCE: ESTALE; inside, it opens"

# Whether an inode is beneath SOURCE is decided when its id is revived: a
# file moved out (on the backing store) before that is stale.
mv "$ext/src/moving" "$ext/outside/moved"
out=$("$TESTBIN/handles" --open "$hmnt" "$h_moving") && fail "a file moved out of SOURCE opened"
[ "$out" = ESTALE ] || fail "a file moved out of SOURCE: $out, not ESTALE"
pass "a file moved out of SOURCE: ESTALE"

# With nothing cached, the kernel still reconnects a directory to its path.
echo 3 >/proc/sys/vm/drop_caches
out=$("$TESTBIN/handles" --open "$hmnt" "$h_indir") || fail "a directory inside SOURCE, uncached: $out"
out=$("$TESTBIN/handles" --open "$hmnt" "$h_victim") && fail "a file outside SOURCE opened uncached"
[ "$out" = ESTALE ] || fail "a file outside SOURCE, uncached: $out, not ESTALE"
pinfs_umount "$hmnt" || fail "daemon exit status"
[ "$(cat "$ext/outside/victim")" = secret ] || fail "the outside file changed"
pass "uncached: a directory inside SOURCE opens, a file outside is ESTALE"
echo "passed"
