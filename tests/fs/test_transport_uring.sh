#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -o transport=uring: FUSE over io_uring (fs/transport_uring.h). The fuse module's
# enable_uring is set for the test's duration and put back after (tests/fuse_uring.sh).
#  1. with the kernel's offer off, the mount says so in one line and /dev/fuse serves;
#     With the kernel offering it but its buffers unmappable when INIT is answered
#     (fail_inject.so), the ring is not granted: one line, and /dev/fuse serves;
#     a worker that cannot set up its ring after the grant, or whose thread cannot
#     start, stops the daemon (the kernel would hold every request for the ring);
#  2. the options it excludes are refused;
#  3. the payload buffers in use: O_DIRECT WRITE payloads arrive page-aligned and go to the
#     backing file from where they lie, aligned O_DIRECT READs are read straight into the
#     payload (no bounce), and the ledger holds one long-term pin per payload page;
#  4. more blocking flock and then fcntl waiters than ring entries: while they wait every
#     queue is still served (a stat and a read succeed), each waiter gets its lock in turn,
#     and the daemon registered entries for them;
#  5. a representative part of the fs suite over the ring (PINFS_TEST_OPTIONS).
# Skips (77) on a kernel without FUSE over io_uring.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../fuse_uring.sh"

wait_sock() { # the control socket comes up just after the mount
	local i
	for i in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	fail "no control socket at $1"
}

fuse_uring_enable || pinfs_skip "$FUSE_URING_WHY"
CLEANUP_HOOKS+=(fuse_uring_restore)
: "${PINFS_CTL:=$(dirname "$PINFS")/pinfs-ctl}"
[ -x "$PINFS_CTL" ] || pinfs_skip "pinfs-ctl not found at $PINFS_CTL"
src=$(newdir src)
echo data >"$src/g"
touch "$src/f"

stat_of() { # stat_of SOCK KEY: a number of the "transport" object
	wait_sock "$1"
	timeout 10 "$PINFS_CTL" "$1" stats |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["transport"].get(sys.argv[1], ""))' "$2"
}

# ---- 1. the kernel does not offer the ring ----
echo N >"$FUSE_URING_PARAM"
mnt=$(newdir mnt-off)
pinfs_mount "$src" "$mnt" -o transport=uring,control="$WORK/off.sock"
echo Y >"$FUSE_URING_PARAM"
[ "$(grep -c "transport=uring" "$DAEMON_LOG")" = 1 ] &&
	grep -q "enable_uring.*using /dev/fuse" "$DAEMON_LOG" ||
	{ cat "$DAEMON_LOG"; fail "no single fallback line with enable_uring off"; }
[ "$(cat "$mnt/g")" = data ] || fail "no data over /dev/fuse after the fallback"
[ "$(stat_of "$WORK/off.sock" name)" = dev ] || fail "stats do not say /dev/fuse"
pinfs_umount "$mnt" || fail "daemon exit status after the fallback"
pass "enable_uring off: one line, /dev/fuse serves"

INJECT=$TESTBIN/fail_inject.so
if [ ! -e "$INJECT" ] || ldd "$PINFS" | grep -q 'lib[at]san'; then
	echo "skip: no fail_inject.so, or a sanitized pinfs (no LD_PRELOAD): ring setup failures"
else
	# The entries' arena of a -s daemon: 2 x max(workers, queues) runs of a header page
	# and the payload (fs/transport_uring.c).
	mnt=$(newdir mnt-size)
	pinfs_mount "$src" "$mnt" -s -o transport=uring,control="$WORK/size.sock"
	read -r q w p <<<"$(stat_of "$WORK/size.sock" queues) $(stat_of "$WORK/size.sock" workers) \
		$(stat_of "$WORK/size.sock" payload_bytes)"
	pinfs_umount "$mnt" || fail "daemon exit status (sizing mount)"
	[ -n "$p" ] && [ "$p" -gt 0 ] || fail "no ring numbers in stats: queues '$q' payload '$p'"
	arena=$((2 * (w > q ? w : q) * (p + 4096)))

	mnt=$(newdir mnt-nomap)
	FAIL_MMAP=$arena LD_PRELOAD=$INJECT \
		pinfs_mount "$src" "$mnt" -s -o transport=uring,control="$WORK/nomap.sock"
	[ "$(grep -c "transport=uring" "$DAEMON_LOG")" = 1 ] &&
		grep -q "cannot map .* for ring entries.*using /dev/fuse" "$DAEMON_LOG" ||
		{ cat "$DAEMON_LOG"; fail "no single fallback line with the entries unmappable"; }
	[ "$(timeout 10 cat "$mnt/g")" = data ] ||
		fail "no data over /dev/fuse with the entries unmappable"
	[ "$(stat_of "$WORK/nomap.sock" name)" = dev ] || fail "stats do not say /dev/fuse"
	pinfs_umount "$mnt" || fail "daemon exit status after the entries failed"
	pass "ring offered, entries unmappable: not granted, one line, /dev/fuse serves"

	# stops_daemon NAME FAILURE MESSAGE PINFS-ARGS...: with FAILURE (VAR=SPEC for
	# fail_inject.so) the ring is granted but cannot serve: the daemon must say
	# MESSAGE, exit 1 within 30 s and leave no mount.
	stops_daemon() {
		local name=$1 failure=$2 message=$3 rc=0 pid
		shift 3
		mnt=$(newdir "mnt-$name")
		env "$failure" LD_PRELOAD="$INJECT" timeout -k 5 30 \
			"$PINFS" "$src" "$mnt" -f "$@" 2>"$WORK/$name.log" &
		pid=$!
		MOUNTS+=("$mnt")
		timeout 10 cat "$mnt/g" >/dev/null 2>&1
		wait "$pid" || rc=$?
		[ "$rc" = 1 ] && grep -q "$message" "$WORK/$name.log" ||
			{ cat "$WORK/$name.log"; fail "$name: exit status $rc"; }
		wait_mount "$mnt" gone || fail "$name: the mount stayed after the daemon stopped"
	}

	# eventfd 1 is the loop's stop eventfd, 2 the worker's wake eventfd (no control socket)
	stops_daemon noring FAIL_EVENTFD=eventfd:2 "setting up a ring failed.*stopping" \
		-s -o transport=uring
	pass "a worker that cannot set up its ring after the grant stops the daemon, exit 1"

	# Worker 0 starts, worker 1's thread cannot be made (no control socket: the
	# workers are the daemon's only threads): worker 0 must not wait for it.
	stops_daemon nothread FAIL_PTHREAD_CREATE=pthread_create:2 "cannot start worker 1" \
		-o transport=uring,max_threads=2
	pass "a worker thread that cannot start stops the daemon, exit 1"
fi

# ---- 2. what the ring excludes ----
for bad in clone_fd splice=rw splice=read vmsplice; do
	if timeout 20 "$PINFS" "$src" "$(newdir mnt-bad)" -f -o "transport=uring,$bad" \
		2>"$WORK/bad.log"; then
		fail "transport=uring,$bad mounted"
	fi
	grep -q "transport=uring' excludes" "$WORK/bad.log" || fail "$bad: $(cat "$WORK/bad.log")"
done
pass "clone_fd, splice= and vmsplice refused with transport=uring"

# ---- 3. the payload buffers: WRITE data used in place, READs read into them ----
stats_num() { # stats_num SOCK PATH: one number of `stats` (a.b)
	wait_sock "$1"
	timeout 10 "$PINFS_CTL" "$1" stats | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$2"
}
mnt=$(newdir mnt-data)
sock=$WORK/data.sock
pinfs_mount "$src" "$mnt" -o transport=uring,control="$sock"
head -c 8388608 /dev/urandom >"$WORK/ref"
dd if="$WORK/ref" of="$mnt/data" bs=1M oflag=direct status=none || fail "O_DIRECT write"
direct0=$(stats_num "$sock" bytes.direct)
bounced0=$(stats_num "$sock" bytes.bounced)
inplace0=$(stats_num "$sock" transport.reply_bytes.in_place)
copied0=$(stats_num "$sock" transport.reply_bytes.copied)
dd if="$mnt/data" of="$WORK/back" bs=1M iflag=direct status=none || fail "O_DIRECT read"
cmp "$WORK/ref" "$WORK/back" || fail "O_DIRECT read back differs"
[ $(($(stats_num "$sock" bytes.direct) - direct0)) -ge 8388608 ] ||
	fail "aligned O_DIRECT READs did not go to the backing file with O_DIRECT"
[ "$(stats_num "$sock" bytes.bounced)" = "$bounced0" ] || fail "aligned O_DIRECT READs bounced"
[ $(($(stats_num "$sock" transport.reply_bytes.in_place) - inplace0)) -ge 8388608 ] ||
	fail "READ replies were not read into the ring payload"
[ $(($(stats_num "$sock" transport.reply_bytes.copied) - copied0)) -lt 65536 ] ||
	fail "READ replies were copied into the ring payload"
[ "$(stats_num "$sock" pins.longterm_held)" = \
	$(($(stat_of "$sock" entries) * $(stat_of "$sock" payload_bytes) / 4096)) ] ||
	fail "the long-term pins are not the entries' payload pages"
pinfs_umount "$mnt" || fail "daemon exit status"
grep -q "write payloads page-aligned [1-9][0-9]*, unaligned 0" "$DAEMON_LOG" ||
	fail "WRITE payloads not page-aligned: $(grep "write payloads" "$DAEMON_LOG")"
pass "payloads: O_DIRECT WRITEs page-aligned in place, READs straight into them, pinned long-term"

# ---- 4. more blocking lock waiters than ring entries ----
mnt=$(newdir mnt-locks)
sock=$WORK/locks.sock
pinfs_mount "$src" "$mnt" -o transport=uring,max_threads=2,control="$sock"
grep -q "using /dev/fuse" "$DAEMON_LOG" && fail "transport=uring fell back: $(cat "$DAEMON_LOG")"
# The workers register their entries once they run, which may be after the mount is up: wait
# for a request served over the ring, then until the count holds still.
timeout 10 stat "$mnt/g" >/dev/null || fail "the first request over the ring hung"
entries=$(stat_of "$sock" entries)
for _ in $(seq 50); do
	sleep 0.1
	now=$(stat_of "$sock" entries)
	[ "$now" = "$entries" ] && break
	entries=$now
done
[ "${entries:-0}" -ge 1 ] || fail "no ring entries in stats"
nwait=$((3 * entries + 4))

# waiters KIND N: N processes block on $mnt/f's lock (flock or fcntl) while a holder keeps it
waiters() {
	local kind=$1 n=$2 i parked=0 base rc=0 pids=()
	rm -f "$WORK/go" "$WORK/held"
	python3 - "$mnt/f" "$kind" "$WORK/held" "$WORK/go" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "r+")
(fcntl.flock if sys.argv[2] == "flock" else fcntl.lockf)(f, fcntl.LOCK_EX)
open(sys.argv[3], "w").close()
for _ in range(1200):
    if os.path.exists(sys.argv[4]):
        break
    time.sleep(0.05)
PY
	local holder=$!
	for _ in $(seq 200); do [ -e "$WORK/held" ] && break; sleep 0.05; done
	[ -e "$WORK/held" ] || fail "$kind: the holder did not get the lock"
	base=$(stat_of "$sock" parked)
	for i in $(seq "$n"); do
		timeout 120 python3 -c '
import fcntl, sys
f = open(sys.argv[1], "r+")
(fcntl.flock if sys.argv[2] == "flock" else fcntl.lockf)(f, fcntl.LOCK_EX)
' "$mnt/f" "$kind" &
		pids+=($!)
	done
	for _ in $(seq 300); do
		parked=$(($(stat_of "$sock" parked) - base))
		[ "$parked" -ge "$n" ] && break
		sleep 0.1
	done
	[ "$parked" -ge "$n" ] || fail "$kind: $parked of $n waiters reached the daemon"
	# every queue is still served while the waiters hold their entries
	for i in 1 2 3 4; do
		timeout 10 stat "$mnt/f" >/dev/null || fail "$kind: stat hung with $n waiters"
		[ "$(timeout 10 taskset -c $((i % 2)) cat "$mnt/g")" = data ] ||
			fail "$kind: a read hung with $n waiters"
	done
	touch "$WORK/go"
	wait "$holder" || fail "$kind: the holder failed"
	for i in "${pids[@]}"; do
		wait "$i" || rc=$?
	done
	[ "$rc" = 0 ] || fail "$kind: a waiter failed or timed out (status $rc)"
	pass "$kind: $n waiters on $entries ring entries, each served, the mount usable meanwhile"
}
command -v taskset >/dev/null || pinfs_skip "taskset is missing (util-linux)"
waiters flock "$nwait"
waiters fcntl "$nwait"
[ "$(stat_of "$sock" entries)" -gt "$entries" ] || fail "no entry was added for the waiters"
pinfs_umount "$mnt" || fail "daemon exit status after the lock waiters"

# ---- 5. the fs suite's data paths, holds and locks over the ring ----
fuse_uring_tests=(differential fsx mmap_rw_fault fio_verify control "engines sync")
for t in "${fuse_uring_tests[@]}"; do
	read -r script arg <<<"$t"
	rc=0
	PINFS_TEST_OPTIONS=transport=uring bash "$(dirname "$0")/test_$script.sh" $arg \
		>"$WORK/sub.log" 2>&1 || rc=$?
	case $rc in
	0) pass "test_$script.sh $arg over the ring" ;;
	77) echo "skip test_$script.sh $arg over the ring: $(tail -n 1 "$WORK/sub.log")" ;;
	*) cat "$WORK/sub.log"; fail "test_$script.sh $arg over the ring (exit $rc)" ;;
	esac
done
echo "PASS: transport=uring"
