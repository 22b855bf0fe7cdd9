#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xfstests-style: a MAP_SHARED mmap of a file opened with O_DIRECT works. Such
# an open gets FOPEN_DIRECT_IO (direct_io=auto), and the kernel refuses shared
# writable mappings of those files unless the daemon answered INIT with
# FUSE_DIRECT_IO_ALLOW_MMAP (kernel 6.6+), which pinfs sets itself
# (fs/init_ext.c: libfuse 3.14 does not know the flag). pinwl mmap checks that
# stores through the mapping reach O_DIRECT and buffered reads and the backing
# file, and that O_DIRECT writes show through the mapping; in several
# configurations, over a loop-mounted ext4.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

read -r major minor _ <<<"$(uname -r | tr '.-' '  ')"
[ "$major" -gt 6 ] || { [ "$major" = 6 ] && [ "$minor" -ge 6 ]; } ||
	pinfs_skip "kernel $(uname -r) has no FUSE_DIRECT_IO_ALLOW_MMAP (6.6+)"
backing=$WORK/ext4
backing_ext4 "$backing" 64
mnt=$(newdir mnt)
CTL_SOCK=$WORK/ctl.sock

for opts in direct_io=auto direct_io=always,backing_dio=always engine=uring,splice=rw \
	direct_io=auto,-s; do
	args=(-o "control=$CTL_SOCK,pin_check=on,${opts%,-s}")
	[ "${opts%,-s}" != "$opts" ] && args+=(-s)
	pinfs_mount "$backing" "$mnt" "${args[@]}"
	grep -q "cannot hook the INIT reply" "$DAEMON_LOG" && fail "$opts: $(cat "$DAEMON_LOG")"
	timeout 60 "$PINWL" mmap "$mnt/m" || fail "$opts: mmap of an O_DIRECT file"
	cmp "$mnt/m" "$backing/m" || fail "$opts: the backing file differs from the mount"
	engine=sync
	[[ $opts == *engine=uring* ]] && engine=uring
	ledger_check "mmap $opts" $engine
	daemon_exit_clean "mmap $opts" "$mnt"
	pass "MAP_SHARED mmap of an O_DIRECT file ($opts)"
done
echo "passed"
