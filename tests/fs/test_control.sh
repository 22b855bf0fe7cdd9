#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket against a live mount (docs/control.md): ping, stats,
# malformed commands, a hold at=reply on a READ whose data is checked after
# release (the daemon read it before the hold: a change to the backing file
# while it is parked must not show), the receive gate (at=receive) with a READ
# and a WRITE queued behind it, a hold whose timeout expires, a hold released
# because the connection that armed it closed, release all, and wait's timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

src=$(newdir src)
mnt=$(newdir mnt)
CTL_SOCK=$WORK/ctl.sock
NTHREADS=2
"$PINWL" fill "$src/f1" 0 65536 1 || fail "fill"
"$PINWL" fill "$src/f2" 0 200000 2 || fail "fill"
pinfs_mount "$src" "$mnt" -o "control=$CTL_SOCK,pin_check=on,max_threads=$NTHREADS"
ino1=$(stat -c %i "$mnt/f1")
ino2=$(stat -c %i "$mnt/f2")

# bg NAME COMMAND...: run COMMAND in the background, bounded; its pid in BG[NAME].
declare -A BG=()
bg() {
	local name=$1
	shift
	spawn timeout 60 "$@" >"$WORK/bg.$name.out" 2>&1
	BG[$name]=$!
}
running() {
	kill -0 "${BG[$1]}" 2>/dev/null
}
# finish NAME SECONDS: wait up to SECONDS for NAME to end; its exit status.
finish() {
	local name=$1 i
	for ((i = 0; i < $2 * 20; i++)); do
		running "$name" || break
		sleep 0.05
	done
	running "$name" && fail "$name did not finish in $2 s"
	wait "${BG[$name]}"
}
must_block() {	# must_block NAME: still parked after a moment
	sleep 0.5
	running "$1" || { cat "$WORK/bg.$1.out"; fail "$1 finished although it was held"; }
}
field() {	# field JSON KEY: a string or number value
	sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$1"
}

# ---- ping, stats, errors ----
a=$(ctl ping) || fail "ping: $a"
pid=$(field "$a" pid)
[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pinfs ] || fail "ping names pid $pid, not pinfs: $a"
[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$DAEMON_PID" ] || fail "ping's pid is not our daemon"
pass "ping ($a)"
s=$(ctl stats) || fail "stats: $s"
for k in acquired released outstanding longterm_held get_acquired get_released listed total \
	warnings direct bounced buffered spliced armed held; do
	[ -n "$(jnum "$s" $k)" ] || fail "stats has no $k: $s"
done
grep -q '"engines":{"sync":{' <<<"$s" || fail "stats has no engines: $s"
pass "stats"
for bad in "bogus" "hold" "hold at=nowhere" "hold at=data op=frob" "hold at=data count=x" \
	"wait" "wait id=999" "release id=999" "release"; do
	rc=0
	# shellcheck disable=SC2086 # the words are the command
	a=$(ctl $bad) || rc=$?
	if [ $rc != 1 ] || ! grep -q '"ok":false,"error":"' <<<"$a"; then
		fail "'$bad' answered $a (exit $rc)"
	fi
done
pass "malformed commands answer ok:false"

# ---- hold at=reply: the data read before the hold is what the reader gets ----
ctl_open c
ctl_send c hold at=reply op=read ino="$ino1" off=0 len=4096
grep -q '"ok":true,"id":' <<<"$CTL_ANSWER" || fail "hold at=reply: $CTL_ANSWER"
id=$(field "$CTL_ANSWER" id)
bg r1 "$PINWL" check "$mnt/f1" 0 65536 1 -d
ctl_send c wait id="$id"
grep -q "\"held\":1,\"requests\":\[{\"op\":\"read\",\"ino\":$ino1,\"off\":0," <<<"$CTL_ANSWER" ||
	fail "wait: $CTL_ANSWER"
must_block r1
[ "$(jnum "$(ctl stats)" held)" = 1 ] || fail "stats does not count the parked request"
"$PINWL" fill "$src/f1" 0 65536 3	# the backing file changes while the reply is parked
ctl_send c release id="$id"
grep -q '"ok":true,"released":1' <<<"$CTL_ANSWER" || fail "release: $CTL_ANSWER"
finish r1 10 || { cat "$WORK/bg.r1.out"; fail "the held READ returned other data than it read"; }
"$PINWL" check "$mnt/f1" 0 65536 3 -d || fail "a new READ does not see the new data"
pass "hold at=reply on a READ: parked, released, its data intact"

# ---- hold at=receive: the gate, with a READ and a WRITE queued behind it ----
ctl_send c hold at=receive
grep -q '"ok":true,"id":' <<<"$CTL_ANSWER" || fail "hold at=receive: $CTL_ANSWER"
id=$(field "$CTL_ANSWER" id)
bg r2 "$PINWL" check "$mnt/f2" 1000 100000 2 -d
bg w2 "$PINWL" fill "$mnt/f3" 0 70000 4 -d
ctl_send c wait id="$id"
[ "$(field "$CTL_ANSWER" held)" = "$NTHREADS" ] || fail "wait at=receive: $CTL_ANSWER"
# the requests are still in the kernel: none to list (not stale memory)
grep -q '"requests":\[\]}' <<<"$CTL_ANSWER" || fail "wait at=receive lists requests: $CTL_ANSWER"
must_block r2
running w2 || fail "a WRITE went past the receive gate"
[ "$(jnum "$(ctl stats)" held)" = "$NTHREADS" ] || fail "stats: workers not parked at the gate"
[ -e "$src/f3" ] && fail "the CREATE behind the gate reached the backing store"
ctl_send c release id="$id"
grep -q '"ok":true' <<<"$CTL_ANSWER" || fail "release: $CTL_ANSWER"
finish r2 10 || fail "the READ queued behind the gate failed: $(cat "$WORK/bg.r2.out")"
finish w2 10 || fail "the WRITE queued behind the gate failed: $(cat "$WORK/bg.w2.out")"
"$PINWL" check "$src/f3" 0 70000 4 || fail "the WRITE queued behind the gate lost data"
pass "hold at=receive: requests queue in the kernel until release"

# ---- a hold whose timeout expires ----
start=$(date +%s%N)	# the timeout runs from arming
ctl_send c hold at=data op=read ino="$ino2" timeout_ms=1500
id=$(field "$CTL_ANSWER" id)
bg r3 "$PINWL" check "$mnt/f2" 5 4096 2 -d
ctl_send c wait id="$id"
[ "$(field "$CTL_ANSWER" held)" = 1 ] || fail "wait (timeout hold): $CTL_ANSWER"
finish r3 10 || fail "the READ of an expired hold failed"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 1490 ] || fail "the hold let go after $ms ms, before its timeout_ms=1500"
ctl_send c release id="$id"
grep -q '"ok":false' <<<"$CTL_ANSWER" || fail "an expired hold can still be released: $CTL_ANSWER"
[ "$(jnum "$(ctl stats)" armed)" = 0 ] || fail "an expired hold is still armed"
pass "hold timeout_ms=1500 expired after $ms ms"

# ---- a hold dies with its connection ----
ctl_open c2
ctl_send c2 hold at=reply op=read ino="$ino2"
id=$(field "$CTL_ANSWER" id)
bg r4 "$PINWL" check "$mnt/f2" 4096 8192 2 -d
ctl_send c wait id="$id"	# another connection can wait on it
[ "$(field "$CTL_ANSWER" held)" = 1 ] || fail "wait from another connection: $CTL_ANSWER"
must_block r4
ctl_close c2
finish r4 5 || fail "the READ held by a closed connection failed: $(cat "$WORK/bg.r4.out")"
[ "$(jnum "$(ctl stats)" armed)" = 0 ] || fail "the closed connection's hold is still armed"
pass "a hold is released when its connection closes"

# ---- release all; wait's timeout ----
ctl_send c hold at=data op=write
ctl_send c hold at=reply op=read ino="$ino1" count=3
id=$(field "$CTL_ANSWER" id)
ctl_send c wait id="$id" timeout_ms=200
grep -q '"ok":false,"error":"timeout"' <<<"$CTL_ANSWER" || fail "wait timeout: $CTL_ANSWER"
[ "$(jnum "$(ctl stats)" armed)" = 2 ] || fail "two holds should be armed"
a=$(ctl release all) || fail "release all: $a"
[ "$(jnum "$(ctl stats)" armed)" = 0 ] || fail "release all left holds armed"
"$PINWL" check "$mnt/f1" 0 65536 3 -d || fail "READ after release all"
pass "release all, wait timeout_ms"
ctl_close c

ledger_check "control" sync "$NTHREADS"
daemon_exit_clean "control" "$mnt"
[ -e "$CTL_SOCK" ] && fail "the control socket was not removed at unmount"

# ---- the socket's path: a live socket is not taken, a stale one is ----
mnt2=$(newdir mnt2)
pinfs_mount "$src" "$mnt" -o "control=$CTL_SOCK"
pid_a=$(field "$(ctl ping)" pid)
daemon_a=$DAEMON_PID
log_a=$DAEMON_LOG
rc=0
timeout 20 "$PINFS" "$src" "$mnt2" -o "control=$CTL_SOCK" 2>"$WORK/err" || rc=$?
MOUNTS+=("$mnt2")
[ $rc != 0 ] || fail "a second daemon started on a live control socket"
is_mounted "$mnt2" && fail "mounted although the control socket is in use"
grep -q "in use" "$WORK/err" || fail "no clear error for a live socket: $(cat "$WORK/err")"
[ "$(field "$(ctl ping)" pid)" = "$pid_a" ] || fail "the live socket was taken over"
pass "a live control socket is refused: $(cat "$WORK/err")"

# A daemon removes only the socket it bound: here its path names another daemon's.
rm "$CTL_SOCK"
pinfs_mount "$src" "$mnt2" -o "control=$CTL_SOCK"
pid_b=$(field "$(ctl ping)" pid)
daemon_b=$DAEMON_PID
[ "$pid_b" != "$pid_a" ] || fail "ping answered by the first daemon"
DAEMON_PID=$daemon_a DAEMON_LOG=$log_a daemon_exit_clean "first daemon" "$mnt"
[ -S "$CTL_SOCK" ] || fail "the first daemon's exit removed the second daemon's socket"
[ "$(field "$(ctl ping)" pid)" = "$pid_b" ] || fail "the socket no longer reaches the second daemon"
pass "an exiting daemon leaves a socket it did not bind"

# A stale socket (its daemon killed) is replaced.
kill -KILL "$pid_b"
# Until it has exited, the killed daemon's socket still accepts connections
# and is rightly "in use"; its timeout wrapper ends only after it.
wait "$daemon_b" 2>/dev/null
fusermount3 -u "$mnt2" 2>/dev/null || umount -l "$mnt2"
[ -S "$CTL_SOCK" ] || fail "no stale socket left by SIGKILL"
pinfs_mount "$src" "$mnt" -o "control=$CTL_SOCK"
pid_c=$(field "$(ctl ping)" pid)
[ -n "$pid_c" ] && [ "$pid_c" != "$pid_b" ] || fail "the stale socket was not replaced"
daemon_exit_clean "after a stale socket" "$mnt"
pass "a stale control socket is replaced"

# ---- with strace: the socket's mode, and what runs when the buffers go ----
if ! command -v strace >/dev/null; then
	echo "skip: strace missing (socket mode at creation, shutdown order)"
	echo "passed"
	exit 0
fi
# Stopped for 1 s right after bind(): the socket must have its final mode 0600
# already, whatever the umask, with no chmod() still to come.
(
	umask 000
	exec timeout -k 5 60 strace -f -qq -o /dev/null -e trace=bind \
		-e inject=bind:delay_exit=1000000 "$PINFS" "$src" "$mnt" -f -o "control=$CTL_SOCK" \
		2>"$WORK/mode.log"
) &
DAEMON_PID=$!
DAEMONS+=("$DAEMON_PID")
for _ in $(seq 500); do
	[ -S "$CTL_SOCK" ] && break
	sleep 0.01
done
mode=$(stat -c %a "$CTL_SOCK") || fail "no control socket under strace"
wait_mount "$mnt" || fail "no mount under strace: $(cat "$WORK/mode.log")"
pinfs_umount "$mnt" || fail "daemon under strace exited with an error: $(cat "$WORK/mode.log")"
[ "$mode" = 600 ] || fail "the control socket was created with mode $mode under umask 000"
pass "the control socket has mode 0600 from the moment it exists (umask 000)"

# Unmount with the forker on, a connection open and one of its commands blocked
# in wait: every thread but the main one (control's accept, connection and
# forker threads, the workers) has ended before the buffer arena is unmapped
# (a fork then would walk freed pages, spec §2.6 P-3), and the daemon exits 0.
timeout -k 5 120 strace -f -qq -o "$WORK/strace.log" -e trace=clone3,exit,munmap \
	"$PINFS" "$src" "$mnt" -f -o "control=$CTL_SOCK,pin_check=on,max_threads=2" \
	2>"$WORK/order.log" &
DAEMON_PID=$!
DAEMONS+=("$DAEMON_PID")
MOUNTS+=("$mnt")
for _ in $(seq 200); do
	[ -S "$CTL_SOCK" ] && is_mounted "$mnt" && break
	sleep 0.05
done
ctl_open c3
ctl_send c3 hold at=data op=read timeout_ms=600000
id=$(field "$CTL_ANSWER" id)
echo "wait id=$id timeout_ms=600000" >&"${CTL_W[c3]}"
ctl forker on interval_us=1000 | grep -q '"ok":true' || fail "forker on"
sleep 0.3
start=$(date +%s)
pinfs_umount "$mnt" || { cat "$WORK/order.log"; fail "daemon exit status under strace"; }
[ $(($(date +%s) - start)) -le 20 ] || fail "the daemon took more than 20 s to stop"
ctl_close c3
arena_bytes=$((2 * ARENA_PAGES_PER_THREAD * 4096))
late=$(awk -v arena="$arena_bytes" '
	NR == 1 { main = $1 }
	/clone3/ && match($0, /\) = [0-9]+$/) { thread[substr($0, RSTART + 4)] = 1; next }
	$2 ~ /^exit\(/ { ended[$1] = 1; next }
	$1 == main && index($0, "munmap(") && index($0, ", " arena) {
		found = 1
		for (t in thread)
			if (!(t in ended))
				printf "%s ", t
		exit
	}
	END { if (!found) print "no-arena-munmap" }' "$WORK/strace.log")
[ "$late" != no-arena-munmap ] || fail "no munmap of the $arena_bytes-byte arena in the trace"
[ -z "$late" ] || fail "threads still running when the arena was unmapped: $late"
pass "shutdown: control threads, forker and workers end before the arena goes"
echo "passed"
