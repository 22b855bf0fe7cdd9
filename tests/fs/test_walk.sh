#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Walk 100,000 files through the mount (find, then stat of every file) with a
# daemon whose open-file limit is far below the file count: the inode table
# must not keep a descriptor per inode (fd cache + file handles), and nothing
# may fail with EMFILE.
. "$(dirname "$0")/lib.sh"

DIRS=${WALK_DIRS:-100}
FILES=${WALK_FILES:-1000}
NOFILE=2048
total=$((DIRS * FILES))

src=$(newdir src)
mnt=$(newdir mnt)
start=$SECONDS
timeout 120 "$TESTBIN/mktree" "$src" "$DIRS" "$FILES" || fail "mktree"
echo "created $total files in $((SECONDS - start)) s"

# The daemon gets a soft limit of $NOFILE descriptors (its fd cache: $NOFILE/4).
(ulimit -n $NOFILE &&
	exec "$PINFS" "$src" "$mnt" -f ${PINFS_TEST_OPTIONS:+-o "$PINFS_TEST_OPTIONS"}) \
	2>"$WORK/daemon.log" &
DAEMON_PID=$!
DAEMONS+=("$DAEMON_PID")
MOUNTS+=("$mnt")
wait_mount "$mnt" || { cat "$WORK/daemon.log"; fail "mount"; }
pid=$(pgrep -f -n "^$PINFS $src $mnt") || pid=$DAEMON_PID

max_fds=0
sample_fds() {
	local n
	n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
	[ "$n" -gt "$max_fds" ] && max_fds=$n
	return 0
}

start=$SECONDS
n=$(timeout 120 find "$mnt" -type f | wc -l)
sample_fds
[ "$n" = "$total" ] || fail "find saw $n files, expected $total"
pass "find: $n files in $((SECONDS - start)) s"

start=$SECONDS
timeout 180 find "$mnt" -type f -print0 | timeout 180 xargs -0 stat -c '%s' >"$WORK/sizes" \
	2>"$WORK/stat.err" &
walker=$!
while kill -0 $walker 2>/dev/null; do
	sample_fds
	sleep 0.2
done
wait $walker
rc=$?
[ $rc = 0 ] || { head "$WORK/stat.err"; fail "stat walk exited with $rc"; }
[ -s "$WORK/stat.err" ] && { head "$WORK/stat.err"; fail "stat walk reported errors"; }
[ "$(wc -l <"$WORK/sizes")" = "$total" ] || fail "stat saw $(wc -l <"$WORK/sizes") files"
pass "stat of every file in $((SECONDS - start)) s"
[ "$max_fds" -lt "$NOFILE" ] || fail "the daemon had $max_fds descriptors open"
pass "daemon descriptors peaked at $max_fds (limit $NOFILE)"

# A second walk after the kernel forgot the inodes reopens by handle.
echo 2 >/proc/sys/vm/drop_caches
n=$(timeout 120 find "$mnt" -type f -name 'f0000*' | wc -l)
[ "$n" = "$((DIRS * (FILES < 10 ? FILES : 10)))" ] || fail "second walk saw $n files"
pinfs_umount "$mnt" || fail "daemon exit status"
grep -q "EMFILE\|Too many open files" "$WORK/daemon.log" && fail "EMFILE in the daemon log"
grep "fd evictions" "$WORK/daemon.log"
echo "passed"
