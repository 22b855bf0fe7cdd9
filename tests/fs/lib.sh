# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the mounted integration tests (tests/fs/test_*.sh), sourced, bash.
#
# Environment (set by tests/fs/meson.build):
#   PINFS     the pinfs binary
#   TESTBIN   directory of the helper programs (fsops, fsx, ...)
#   BUILD_ROOT, SOURCE_ROOT   the meson build and source trees
#   PINFS_TEST_OPTIONS        optional: mount options added to every pinfs mount,
#                             e.g. transport=uring to run a suite over the ring
#                             (not to mounts that test clone_fd, splice= or
#                             vmsplice, which only exist on /dev/fuse, nor to
#                             unsafe=early_ack or to mounts that name their
#                             transport=, see pinfs_test_options)
#
# Every test: skips with 77 without root or a usable /dev/fuse, works in its own
# temporary directory, bounds every daemon and client with timeout(1), and
# unmounts whatever it mounted in an EXIT trap, also when it fails.

set -u

: "${PINFS:?PINFS must name the pinfs binary}"
: "${TESTBIN:?TESTBIN must name the test helper directory}"

pinfs_skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

pass() {
	echo "ok   $*"
}

pinfs_require() {
	[ "$(id -u)" = 0 ] || pinfs_skip "needs root"
	[ -c /dev/fuse ] || pinfs_skip "no /dev/fuse"
	{ exec 9<>/dev/fuse; } 2>/dev/null || pinfs_skip "cannot open /dev/fuse"
	exec 9>&-
	command -v fusermount3 >/dev/null || pinfs_skip "fusermount3 is missing"
	command -v timeout >/dev/null || pinfs_skip "timeout is missing"
}

pinfs_require

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pinfs-fstest.XXXXXX") || exit 1
chmod 0755 "$WORK"	# other users reach the mounts in the ownership test
MOUNTS=()
DAEMONS=()
PINFS_PREFIX=()
CLEANUP_HOOKS=()

is_mounted() {
	grep -q " $(realpath -m "$1") " /proc/self/mountinfo
}

pinfs_cleanup() {
	local m p h
	for h in "${CLEANUP_HOOKS[@]}"; do
		eval "$h" || true
	done
	for m in "${MOUNTS[@]}"; do
		if is_mounted "$m"; then
			fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		fi
	done
	for p in "${DAEMONS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap pinfs_cleanup EXIT
trap 'exit 1' INT TERM HUP

# Wait up to 5 s for $1 to be (or, with "gone", to stop being) a mount point.
wait_mount() {
	local i
	for i in $(seq 100); do
		if [ "${2:-}" = gone ]; then
			is_mounted "$1" || return 0
		else
			is_mounted "$1" && return 0
		fi
		sleep 0.05
	done
	return 1
}

# The PINFS_TEST_OPTIONS for a mount with ARGS. unsafe=early_ack keeps /dev/fuse too: its
# test times a WRITE acknowledged before the backing write, and over the ring a reply reaches
# the kernel only with the worker's next io_uring_enter(), after the handler (and is written
# into the entry's payload, where the WRITE's data still lies). A mount that names its
# transport= keeps it.
pinfs_test_options() {
	case " $* " in
	*clone_fd* | *splice=r* | *splice=w* | *vmsplice* | *unsafe=early_ack* | *transport=*) ;;
	*) echo "${PINFS_TEST_OPTIONS:-}" ;;
	esac
}

# pinfs_mount SRC MNT [ARGS...]: a foreground daemon with a time bound; its
# stderr (with the exit statistics) goes to $WORK/daemon.<n>.log, its pid to
# $DAEMON_PID. Words in the array PINFS_PREFIX (e.g. a prlimit command) go before
# the daemon's command.
pinfs_mount() {
	local src=$1 mnt=$2 extra
	shift 2
	extra=$(pinfs_test_options "$@")
	DAEMON_LOG=$WORK/daemon.${#DAEMONS[@]}.log
	timeout -k 5 "${PINFS_DAEMON_TIMEOUT:-600}" "${PINFS_PREFIX[@]}" "$PINFS" "$src" "$mnt" -f "$@" \
		${extra:+-o "$extra"} 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	DAEMONS+=("$DAEMON_PID")
	MOUNTS+=("$mnt")
	if ! wait_mount "$mnt"; then
		cat "$DAEMON_LOG"
		fail "pinfs did not mount $mnt ($*)"
	fi
	case $extra in
	*transport=uring*)
		! grep -q "using /dev/fuse" "$DAEMON_LOG" ||
			fail "PINFS_TEST_OPTIONS=$extra, but pinfs fell back: $(cat "$DAEMON_LOG")" ;;
	esac
}

# pinfs_umount MNT: unmount and wait for the daemon; returns its exit status.
pinfs_umount() {
	local mnt=$1 pid=${DAEMON_PID:-}
	fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" || fail "cannot unmount $mnt"
	if [ -n "$pid" ]; then
		wait "$pid"
		return $?
	fi
}

# fuse_abort MNT: abort the FUSE connection mounted on MNT, so that a daemon
# stuck waiting on its own mount can exit and MNT can be unmounted.
fuse_abort() {
	local dev conns=/sys/fs/fuse/connections mounted=
	dev=$(awk -v m="$(realpath -m "$1")" '$5 == m { split($3, d, ":"); n = d[2] } END { print n }' \
		/proc/self/mountinfo)
	[ -n "$dev" ] || return 0
	if ! grep -q " $conns " /proc/self/mountinfo; then
		mount -t fusectl fusectl "$conns" 2>/dev/null && mounted=1
	fi
	echo 1 >"$conns/$dev/abort" 2>/dev/null
	[ -z "$mounted" ] || umount "$conns"
}

# A fresh directory under $WORK.
newdir() {
	mkdir -p "$WORK/$1"
	echo "$WORK/$1"
}

# mount_config NAME [ARGS...]: pinfs_mount ARGS on fresh directories src-NAME and mnt-NAME,
# the mount point left in $mnt: one configuration of a test that runs in several.
mount_config() {
	local name=$1 src
	shift
	src=$(newdir "src-$name")
	mnt=$(newdir "mnt-$name")
	pinfs_mount "$src" "$mnt" "$@"
}
