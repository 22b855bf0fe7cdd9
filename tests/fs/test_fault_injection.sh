#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failures no client can cause, injected with LD_PRELOAD (fail_inject.so):
# - each strdup() of the option parser failing: pinfs says "out of memory"
#   and exits 1, without crashing and without mounting;
# - a worker unable to return to the daemon's credentials after a request
#   made as a user (capset failing in creds_leave()): the daemon stops with a
#   message instead of serving further requests with the caller's.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || pinfs_skip "setpriv missing"
INJECT=$TESTBIN/fail_inject.so
[ -e "$INJECT" ] || pinfs_skip "fail_inject.so not built"
# A sanitizer runtime must come first in the library list: no LD_PRELOAD then.
ldd "$PINFS" | grep -q 'lib[at]san' && pinfs_skip "a sanitized pinfs cannot take LD_PRELOAD"

src=$(newdir src)
mnt=$(newdir mnt)
ln -s "$PINFS" "$WORK/mount.fuse.pinfs"

# oom_case NAME FAIL_STRDUP COMMAND...: the command must fail cleanly.
oom_case() {
	local name=$1 spec=$2 rc=0
	shift 2
	MOUNTS+=("$mnt")
	FAIL_STRDUP=$spec LD_PRELOAD=$INJECT timeout 20 "$@" >"$WORK/oom.out" 2>&1 || rc=$?
	if [ "$rc" != 1 ] || ! grep -q "^pinfs: out of memory$" "$WORK/oom.out" || is_mounted "$mnt"; then
		cat "$WORK/oom.out"
		fail "$name: exit status $rc; wanted 1 with 'pinfs: out of memory' and no mount"
	fi
	pass "$name: strdup($spec) failing: out of memory, exit 1"
}

# The subtype, and in mount-helper form (-f: fake, nothing is mounted) the
# device, the mount point and the fsname. (engine= is an enum: no copy.)
oom_case subtype pinfs "$PINFS" "$src" "$mnt" -f
oom_case "helper device" "$src" "$WORK/mount.fuse.pinfs" "$src" "$mnt" -f
oom_case "helper mountpoint" "$mnt" "$WORK/mount.fuse.pinfs" "$src" "$mnt" -f
oom_case "helper fsname" "$src:2" "$WORK/mount.fuse.pinfs" "$src" "$mnt" -f

# A mkdir as a user: creds_enter_creator() raises the capabilities (capset 1),
# creds_leave() restores them (capset 2), which fails.
chmod 0777 "$src"
export FAIL_SYSCALL=capset:2 LD_PRELOAD=$INJECT
pinfs_mount "$src" "$mnt" -o allow_other
unset FAIL_SYSCALL LD_PRELOAD
rc=0
timeout 20 setpriv --reuid=4242 --regid=4242 --clear-groups -- mkdir "$mnt/d" 2>"$WORK/mkdir.err" ||
	rc=$?
for _ in $(seq 100); do
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$DAEMON_PID" 2>/dev/null &&
	{ cat "$DAEMON_LOG"; fail "the daemon still serves after a failed credential restore"; }
wait "$DAEMON_PID"
status=$?
grep -q "cannot return a worker to the daemon's credentials (capset" "$DAEMON_LOG" &&
	[ "$status" = 134 ] ||
	{ cat "$DAEMON_LOG" "$WORK/mkdir.err"; fail "daemon went on after a failed restore (status $status, mkdir $rc)"; }
pass "a failed credential restore stops the daemon (status $status, with its reason)"
echo "passed"
