#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mount(8) integration through /sbin/mount.fuse.pinfs: the plain form, the
# xfstests form (fsname = DEV, type "fuse"), fstab lines, remount ro/rw without
# a second daemon, dev_suid, errors, and what "meson install" puts where.
#
# mount(8) looks for helpers in /sbin only. If /sbin/mount.fuse.pinfs exists
# (an installed pinfs) the test uses it; otherwise it links the build's pinfs
# there for its duration and removes the link at exit (CI runs on a fresh
# machine as root).
. "$(dirname "$0")/lib.sh"

HELPER=/sbin/mount.fuse.pinfs
command -v mount >/dev/null || pinfs_skip "mount(8) missing"
if [ -e "$HELPER" ] || [ -L "$HELPER" ]; then
	echo "using the installed helper: $HELPER -> $(readlink -f "$HELPER")"
	[ -x "$(readlink -f "$HELPER")" ] || pinfs_skip "$HELPER is dangling"
else
	[ -w /sbin ] || pinfs_skip "cannot place $HELPER"
	ln -s "$PINFS" "$HELPER" || pinfs_skip "cannot place $HELPER"
	CLEANUP_HOOKS+=("rm -f $HELPER")
	echo "linked $HELPER -> $PINFS for this test"
fi

src=$(newdir src)
mnt=$(newdir mnt)
echo hello >"$src/hello"

# mountinfo fields of $1: "fstype source per-mount-options"
mount_fields() {
	awk -v m="$(realpath "$1")" '$5 == m { for (i = 7; $i != "-"; i++); print $(i+1), $(i+2), $6 }' \
		/proc/self/mountinfo | tail -1
}
# pids of daemons serving $1 (their command line names the mountpoint)
daemons_of() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- " $1\( \|$\)" && echo "${p#/proc/}"
	done
}
umount_wait() {
	umount "$1" || fail "umount $1"
	wait_mount "$1" gone || fail "$1 still mounted"
	local i
	for i in $(seq 100); do
		[ -z "$(daemons_of "$1")" ] && return 0
		sleep 0.05
	done
	fail "daemon for $1 did not exit"
}
MOUNTS+=("$mnt")

# 1. The plain form: DEV is the source directory.
timeout 20 mount -t fuse.pinfs "$src" "$mnt" || fail "mount -t fuse.pinfs SRC MNT"
read -r fstype source opts <<<"$(mount_fields "$mnt")"
[ "$fstype" = fuse ] && [ "$source" = "$src" ] || fail "plain form: type '$fstype' source '$source'"
[ "$(cat "$mnt/hello")" = hello ] || fail "plain form: contents"
umount_wait "$mnt"
pass "mount -t fuse.pinfs SRC MNT"

# 2. The xfstests form.
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" \
	-o rw,source="$src",allow_other,default_permissions || fail "xfstests-style mount"
read -r fstype source opts <<<"$(mount_fields "$mnt")"
[ "$fstype" = fuse ] || fail "type is '$fstype', expected fuse"
[ "$source" = pinfs_test ] || fail "fsname is '$source', expected pinfs_test"
grep -q allow_other <<<"$(grep " $(realpath "$mnt") " /proc/self/mountinfo)" || fail "allow_other missing"
[ "$(cat "$mnt/hello")" = hello ] || fail "contents"
pids=$(daemons_of "$mnt")
[ "$(wc -w <<<"$pids")" = 1 ] || fail "expected one daemon, found: $pids"
pass "xfstests form: fsname pinfs_test, type fuse, one daemon ($pids)"

# 3. Remount ro and back: same daemon, no second one.
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o remount,ro,source="$src" || fail "remount ro"
read -r fstype source opts <<<"$(mount_fields "$mnt")"
[[ ",$opts," == *,ro,* ]] || fail "not read-only after remount: $opts"
touch "$mnt/x" 2>/dev/null && fail "write succeeded on a read-only remount"
[ "$(daemons_of "$mnt")" = "$pids" ] || fail "remount ro changed the daemons: $(daemons_of "$mnt")"
pass "remount ro ($opts)"
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o remount,rw,source="$src" || fail "remount rw"
read -r fstype source opts <<<"$(mount_fields "$mnt")"
[[ ",$opts," == *,rw,* ]] || fail "not read-write after remount: $opts"
[[ ",$opts," == *,nosuid,* ]] || fail "remount dropped nosuid: $opts"
echo new >"$mnt/x" || fail "write after remount rw"
[ "$(cat "$src/x")" = new ] || fail "backing store after remount rw"
[ "$(daemons_of "$mnt")" = "$pids" ] || fail "remount rw changed the daemons"
# mount(8) merges the kernel's options (user_id=0,...) into this form.
timeout 20 mount -t fuse.pinfs -o remount,ro "$mnt" || fail "mount -t fuse.pinfs -o remount,ro MNT"
read -r fstype source opts <<<"$(mount_fields "$mnt")"
[[ ",$opts," == *,ro,* ]] || fail "not read-only after remount without DEV: $opts"
timeout 20 mount -t fuse.pinfs -o remount,rw "$mnt" || fail "mount -t fuse.pinfs -o remount,rw MNT"
timeout 20 mount -i -o remount,ro "$mnt" || fail "mount -i -o remount,ro"
timeout 20 mount -i -o remount,rw "$mnt" || fail "mount -i -o remount,rw"
[ "$(daemons_of "$mnt")" = "$pids" ] || fail "mount -i remount changed the daemons"
umount_wait "$mnt"
pass "remount rw, same daemon"

# 4. dev_suid: mount(8) strips dev,suid; pinfs has its own option.
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o source="$src",dev_suid || fail "dev_suid mount"
read -r fstype source opts <<<"$(mount_fields "$mnt")"
[[ ",$opts," != *,nodev,* && ",$opts," != *,nosuid,* ]] || fail "dev_suid: still $opts"
mknod "$mnt/null" c 1 3 || fail "mknod"
echo discard >"$mnt/null" || fail "device node unusable with dev_suid"
umount_wait "$mnt"
pass "dev_suid ($opts)"

# 4b. dev_suid changes only the default: an explicit nosuid or nodev wins, at the
# first mount and at a remount, in either order (xfstests generic/128 mounts
# "-o source=...,dev_suid -o nosuid" and runs a setuid binary there).
# expect_flags WHAT WANT-NOSUID WANT-NODEV: the mount's nosuid/nodev are as wanted.
expect_flags() {
	read -r fstype source opts <<<"$(mount_fields "$mnt")"
	local has_nosuid=no has_nodev=no
	[[ ",$opts," == *,nosuid,* ]] && has_nosuid=yes
	[[ ",$opts," == *,nodev,* ]] && has_nodev=yes
	[ "$has_nosuid $has_nodev" = "$2 $3" ] ||
		fail "$1: flags $opts, expected nosuid=$2 nodev=$3"
}
for order in "dev_suid first" "nosuid first"; do
	if [ "$order" = "dev_suid first" ]; then
		set -- -o source="$src",dev_suid -o nosuid
	else
		set -- -o nosuid -o source="$src",dev_suid
	fi
	timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" "$@" || fail "mount $*"
	expect_flags "mount $*" yes no
	umount_wait "$mnt"
done
# the helper called directly: its own option order, and the atime remount after mounting
for o in dev_suid,nosuid nosuid,dev_suid dev_suid,nodev,nodiratime nodiratime,nodev,dev_suid; do
	timeout 20 "$HELPER" pinfs_test "$mnt" -o source="$src",$o || fail "$HELPER -o $o"
	case $o in
	*nosuid*) expect_flags "first mount -o $o" yes no ;;
	*) expect_flags "first mount -o $o" no yes ;;
	esac
	umount_wait "$mnt"
done
pass "first mount: an explicit nosuid or nodev wins over dev_suid"
# what nosuid is for: a setuid-root program run by another user stays that user
cp "$(command -v id)" "$src/suid_id" && chmod 4755 "$src/suid_id" || fail "setuid copy of id"
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o source="$src",allow_other,dev_suid -o nosuid ||
	fail "mount for the setuid check"
euid=$(timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$mnt/suid_id" -u) ||
	fail "running the setuid program"
[ "$euid" = 65534 ] || fail "a setuid program ran as uid $euid on a nosuid mount"
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o remount,source="$src",dev_suid ||
	fail "remount with dev_suid"
expect_flags "remount -o dev_suid" no no
euid=$(timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$mnt/suid_id" -u)
[ "$euid" = 0 ] || fail "dev_suid: the setuid program ran as uid $euid"
pass "setuid: ignored on the nosuid mount, honoured after remount with dev_suid"
for order in "dev_suid first" "nosuid first"; do
	if [ "$order" = "dev_suid first" ]; then
		set -- -o remount,source="$src",dev_suid -o nosuid
	else
		set -- -o remount,nosuid -o source="$src",dev_suid
	fi
	timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" "$@" || fail "mount $*"
	expect_flags "mount $*" yes no
	timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o remount,source="$src",dev_suid ||
		fail "remount with dev_suid"
	expect_flags "remount -o dev_suid" no no
done
for o in remount,dev_suid,nodev remount,nodev,dev_suid; do
	timeout 20 "$HELPER" pinfs_test "$mnt" -o "$o" || fail "$HELPER -o $o"
	expect_flags "$HELPER -o $o" no yes
done
umount_wait "$mnt"
pass "remount: an explicit nosuid or nodev wins over dev_suid"

# 5. fstab lines.
fstab=$WORK/fstab
printf '%s %s fuse.pinfs source=%s,allow_other,noatime 0 0\n' pinfs_fstab "$mnt" "$src" >"$fstab"
timeout 20 mount -T "$fstab" "$mnt" || fail "mount from fstab"
read -r fstype source opts <<<"$(mount_fields "$mnt")"
[ "$source" = pinfs_fstab ] || fail "fstab: source '$source'"
[[ ",$opts," == *,noatime,* ]] || fail "fstab: noatime missing ($opts)"
[ "$(cat "$mnt/hello")" = hello ] || fail "fstab: contents"
umount_wait "$mnt"
pass "fstab line"

# 6. Errors: non-zero exit, nothing mounted, no daemon left.
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o source="$WORK/nope" 2>"$WORK/err" \
	&& fail "mount with a missing source succeeded"
is_mounted "$mnt" && fail "mounted despite the error"
[ -z "$(daemons_of "$mnt")" ] || fail "daemon left behind"
grep -q nope "$WORK/err" || fail "error message: $(cat "$WORK/err")"
timeout 20 mount -t fuse.pinfs pinfs_test "$mnt" -o source="$src",bogus 2>"$WORK/err" \
	&& fail "mount with an unknown option succeeded"
is_mounted "$mnt" && fail "mounted despite the unknown option"
pass "errors: $(head -1 "$WORK/err")"

# 7. meson install puts the binary, the /sbin helper and the man page in place.
if [ -n "${BUILD_ROOT:-}" ] && command -v meson >/dev/null; then
	dest=$WORK/dest
	if meson install -C "$BUILD_ROOT" --no-rebuild --destdir "$dest" >"$WORK/install.log" 2>&1; then
		link=$dest/sbin/mount.fuse.pinfs
		[ -L "$link" ] || fail "install: no $link"
		target=$(readlink "$link")
		[ -x "$dest$target" ] || fail "install: $link -> $target, not installed"
		find "$dest" -name pinfs.1 | grep -q . || fail "install: no man page"
		pass "meson install: $target, /sbin/mount.fuse.pinfs, pinfs.1"
	else
		tail -5 "$WORK/install.log"
		fail "meson install --destdir"
	fi
fi
echo "passed"
