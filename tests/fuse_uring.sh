# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# FUSE over io_uring for a test's duration (sourced by the tests that mount with
# -o transport=uring). The kernel offers it only while the fuse module's
# enable_uring parameter is on; pinfs never sets it, the test does and puts the
# old value back. Tests that set it hold a lock, so one cannot switch it off
# under another.
#
#   fuse_uring_enable   0, or 1 with the reason in FUSE_URING_WHY (the caller skips)
#   fuse_uring_restore  the old value back, the lock released (call it at exit)

FUSE_URING_PARAM=/sys/module/fuse/parameters/enable_uring
FUSE_URING_LOCK=/run/lock/pinfs-fuse-enable-uring.lock
FUSE_URING_OLD=""
FUSE_URING_FD=""
FUSE_URING_WHY=""

fuse_uring_enable() {
	# a modular fuse has no parameters until loaded (a fresh machine before its first mount)
	[ -e "$FUSE_URING_PARAM" ] || modprobe -q fuse 2>/dev/null
	if [ ! -e "$FUSE_URING_PARAM" ]; then
		FUSE_URING_WHY="this kernel has no FUSE over io_uring ($FUSE_URING_PARAM is missing: Linux 6.14 or later with CONFIG_FUSE_IO_URING)"
		return 1
	fi
	command -v flock >/dev/null || { FUSE_URING_WHY="flock(1) is missing"; return 1; }
	exec {FUSE_URING_FD}>"$FUSE_URING_LOCK" || { FUSE_URING_WHY="cannot open $FUSE_URING_LOCK"; return 1; }
	if ! flock -w 900 "$FUSE_URING_FD"; then
		FUSE_URING_WHY="another test held $FUSE_URING_LOCK for 15 minutes"
		return 1
	fi
	FUSE_URING_OLD=$(cat "$FUSE_URING_PARAM")
	if ! echo Y >"$FUSE_URING_PARAM" 2>/dev/null; then
		FUSE_URING_WHY="cannot set $FUSE_URING_PARAM to Y"
		FUSE_URING_OLD=""
		return 1
	fi
	return 0
}

fuse_uring_restore() {
	[ -n "$FUSE_URING_OLD" ] && echo "$FUSE_URING_OLD" >"$FUSE_URING_PARAM"
	FUSE_URING_OLD=""
	if [ -n "$FUSE_URING_FD" ]; then
		exec {FUSE_URING_FD}>&-
		FUSE_URING_FD=""
	fi
	return 0
}
