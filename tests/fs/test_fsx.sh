#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fsx-style random operations (buffered and O_DIRECT with unaligned offsets,
# lengths and buffers, truncate, fallocate, punch, zero, copy_file_range, mmap)
# against an in-memory model, in several daemon configurations. A failure
# prints the seed; rerun with FSX_SEED=<seed>.
. "$(dirname "$0")/lib.sh"

OPS=${FSX_OPS:-8000}
seed() {
	if [ -n "${FSX_SEED:-}" ]; then echo "$FSX_SEED"; else echo $((RANDOM * 32768 + RANDOM)); fi
}

# The model and the test itself, on the native file system (aligned O_DIRECT).
native=$(newdir native)
timeout 120 "$TESTBIN/fsx" -a -n 2000 -S "$(seed)" "$native/file" || fail "fsx on native"

run_config() {
	local name=$1
	shift
	local mnt rc=0
	mount_config "$name" "$@"
	timeout 120 "$TESTBIN/fsx" -n "$OPS" -S "$(seed)" "$mnt/a" || rc=1
	[ $rc = 0 ] && { timeout 120 "$TESTBIN/fsx" -a -n "$((OPS / 2))" -S "$(seed)" "$mnt/b" || rc=1; }
	pinfs_umount "$mnt" || fail "$name: daemon exit status"
	[ $rc = 0 ] || fail "$name: fsx reported a mismatch (seed above)"
	pass "$name"
}

run_config default
run_config single -s
run_config fd_cache_4 -o fd_cache=4
run_config writeback -o writeback_cache
run_config clone_fd -o clone_fd
run_config small_max_write -o max_write=4096
echo "passed"
