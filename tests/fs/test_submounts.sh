#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mounts beneath SOURCE: pinfs shows the tree a process walking SOURCE sees,
# whether a mount was there before pinfs started or came (or went) while it
# runs, and files created through pinfs land on the mounted file system, not
# in the directory underneath it (docs/usage.md, "Mounts beneath SOURCE, and
# atime").
. "$(dirname "$0")/lib.sh"

src=$(newdir src)
mnt=$(newdir mnt)
under=$(newdir under)	# SOURCE without its submounts: what lies underneath them
mkdir "$src/sub" "$src/late"
echo underneath >"$src/sub/under_sub"
echo underneath >"$src/late/under_late"
CLEANUP_HOOKS+=("umount -l '$src/sub' 2>/dev/null" "umount -l '$src/late' 2>/dev/null"
		"umount -l '$under' 2>/dev/null")
mount --bind "$src" "$under" || fail "bind mount of SOURCE"
mount -t tmpfs -o size=4m pinfs-test-sub "$src/sub" || fail "tmpfs on sub"
echo on-tmpfs >"$src/sub/on_sub"
sub_dev=$(stat -c %d "$src/sub")

# wait_for CMD...: up to 5 s for CMD to succeed (the kernel's entry cache
# holds what pinfs answered before for up to timeout= seconds).
wait_for() {
	local i
	for i in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
listing() { ls "$1" 2>/dev/null | tr '\n' ' '; }
lists() { [ "$(listing "$1")" = "$2 " ]; }

pinfs_mount "$src" "$mnt" -o timeout=0.2

# (1) A mount that was there when pinfs started.
lists "$mnt/sub" on_sub || fail "sub through pinfs lists '$(listing "$mnt/sub")', expected on_sub"
[ "$(cat "$mnt/sub/on_sub")" = on-tmpfs ] || fail "file on the submount not readable"
pass "a mount present at start is visible"
echo created >"$mnt/sub/created" || fail "create in sub through pinfs"
[ "$(stat -c %d "$src/sub/created" 2>/dev/null)" = "$sub_dev" ] ||
	fail "file created through pinfs is not on the submount"
[ ! -e "$under/sub/created" ] || fail "file created through pinfs landed underneath the submount"
mkdir "$mnt/sub/newdir" && [ -d "$src/sub/newdir" ] && [ ! -e "$under/sub/newdir" ] ||
	fail "mkdir through pinfs did not land on the submount"
pass "files created in it land on the submount"

# (2) A mount that comes while pinfs runs, after pinfs looked at its directory.
lists "$mnt/late" under_late || fail "late before the mount: '$(listing "$mnt/late")'"
mount -t tmpfs -o size=4m pinfs-test-late "$src/late" || fail "tmpfs on late"
echo on-late >"$src/late/on_late"
wait_for lists "$mnt/late" on_late ||
	fail "a mount made while pinfs runs: late lists '$(listing "$mnt/late")', expected on_late"
[ "$(cat "$mnt/late/on_late")" = on-late ] || fail "file on the late mount not readable"
echo created >"$mnt/late/created" || fail "create in late through pinfs"
[ "$(stat -c %d "$src/late/created" 2>/dev/null)" = "$(stat -c %d "$src/late")" ] &&
	[ ! -e "$under/late/created" ] || fail "file created in late is not on its mount"
pass "a mount made while pinfs runs is visible"

# (3) A mount that goes while pinfs runs: the directory underneath shows again.
# The daemon may hold descriptors in it, as any process may: detach it.
umount -l "$src/late" || fail "unmount late"
wait_for lists "$mnt/late" under_late ||
	fail "after unmounting late it lists '$(listing "$mnt/late")', expected under_late"
[ "$(cat "$mnt/late/under_late")" = underneath ] || fail "file underneath late not readable"
pass "an unmounted submount shows the directory underneath again"

pinfs_umount "$mnt" || fail "daemon exit status"
echo "passed"
