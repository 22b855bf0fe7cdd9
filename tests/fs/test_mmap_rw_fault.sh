#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Spec §5 scenario 11 (xfstests generic/647): I/O whose buffer is an mmap of
# the same file on the mount. Every run has a 20 s bound; a hang fails.
#
# The single-threaded daemon (-s) passes too: the kernel faults the buffer in
# (a separate FUSE_READ) before it sends the READ or WRITE itself, so one
# thread serving one request at a time is enough here. What -s cannot do is
# serve a second request while one is waiting (blocking locks get their own
# threads for that reason), so the default pool keeps several workers; the
# parallel run below has more simultaneous faulting clients than workers.
. "$(dirname "$0")/lib.sh"

run_config() {
	local name=$1
	shift
	local mnt mode rc=0
	mount_config "$name" "$@"
	for mode in "" -d; do
		if ! timeout 20 "$TESTBIN/mmap_rw_fault" $mode "$mnt/f$mode" >"$WORK/out" 2>&1; then
			cat "$WORK/out"
			rc=1
		fi
	done
	pinfs_umount "$mnt" || fail "$name: daemon exit status"
	[ $rc = 0 ] || fail "$name: scenario 11 failed or hung"
	pass "$name: buffered and O_DIRECT"
}

run_config default
run_config single -s
run_config one_worker -o max_threads=1
run_config no_fopen_direct_io -o direct_io=never
run_config always_direct_io -o direct_io=always
run_config clone_fd -o clone_fd

# 16 clients at once against the default pool.
mount_config parallel
pids=()
for i in $(seq 16); do
	mode=""
	[ $((i % 2)) = 0 ] && mode=-d
	timeout 30 "$TESTBIN/mmap_rw_fault" $mode "$mnt/p$i" >"$WORK/p$i.out" 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
pinfs_umount "$mnt"
[ $rc = 0 ] || { cat "$WORK"/p*.out; fail "parallel scenario 11"; }
pass "16 parallel clients"
echo "passed"
