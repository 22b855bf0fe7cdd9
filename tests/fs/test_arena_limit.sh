#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The buffer arena cannot be mapped: the daemon must say so and exit 1, never
# crash or serve from memory it has no page descriptors for (every READ reply
# is built on arena pages, fs/ops_data.c).
#
# The condition is real: RLIMIT_AS set 1 MiB below what a single-threaded (-s)
# daemon uses once it serves, which leaves room for everything but the arena
# (about 4 MiB per thread). Then a READ through the mount is tried, in case the
# daemon serves anyway; it must then return the right data and exit cleanly.
. "$(dirname "$0")/lib.sh"

src=$(newdir src)
mnt=$(newdir mnt)
printf 'arena limit test data\n' >"$src/f"

# The address space a serving -s daemon uses.
pinfs_mount "$src" "$mnt" -s
cat "$mnt/f" >/dev/null || fail "a READ on the unconstrained mount failed"
pid=$(cat "/proc/$DAEMON_PID/task/$DAEMON_PID/children")	# pinfs, under timeout(1)
vm_kib=$(sed -n 's/^VmSize:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${pid// /}/status")
pinfs_umount "$mnt" || fail "the unconstrained daemon did not exit cleanly"
[ -n "$vm_kib" ] || fail "no VmSize for the daemon"
# A sanitizer reserves terabytes of shadow: RLIMIT_AS cannot single out the arena.
[ "$vm_kib" -lt $((1024 * 1024)) ] ||
	pinfs_skip "the daemon maps $vm_kib KiB (a sanitized build?): RLIMIT_AS cannot limit its arena"
limit=$(((vm_kib - 1024) * 1024))

log=$WORK/limited.log
extra=$(pinfs_test_options -s)	# as pinfs_mount measured it (the ring's entries map more)
timeout -k 5 60 prlimit --as="$limit" "$PINFS" "$src" "$mnt" -f -s ${extra:+-o "$extra"} \
	2>"$log" &
pid=$!
DAEMONS+=("$pid")
MOUNTS+=("$mnt")
# Mounted first, then the arena: wait for either the mount or the exit.
for _ in $(seq 100); do
	is_mounted "$mnt" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
data=$(timeout 10 cat "$mnt/f" 2>/dev/null) || data=
if is_mounted "$mnt"; then
	fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"
fi
rc=0
wait "$pid" || rc=$?
echo "daemon under RLIMIT_AS=$limit (VmSize $vm_kib KiB when serving): exit status $rc"
cat "$log"

[ "$rc" -lt 124 ] || fail "the daemon was killed (status $rc: a crash or a hang)"
grep -q "cannot map the buffer arena" "$log" ||
	fail "the arena was mapped under RLIMIT_AS=$limit: the condition this test needs was not made"
[ "$rc" = 1 ] || fail "no arena, yet exit status $rc (data read: '$data')"
grep -q "max_threads" "$log" || fail "the error does not say what to change"
is_mounted "$mnt" && fail "the mount is left behind"
pass "without its buffer arena the daemon refuses to serve, exit status 1"
