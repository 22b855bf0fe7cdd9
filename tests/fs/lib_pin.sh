# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers of the direct-I/O tests (test_engines.sh, test_fio_verify.sh,
# test_control.sh, test_unsafe_*.sh, test_mmap_direct.sh; test_handles.sh and
# test_containment.sh use its ext4 for file handles), sourced after lib.sh:
# a loop-mounted ext4 backing store (real O_DIRECT alignment), the control
# socket (pinfs-ctl for one command, ctlconn for a connection that keeps its
# holds), and the pin ledger check (spec §2.6) read from `pinfs-ctl stats`.
#
# Cleanup: pin_cleanup runs first in lib.sh's EXIT trap. It closes control
# connections, unmounts the pinfs mounts in reverse order (an upper mount
# before the one it stands on), waits for the daemons, then unmounts the ext4
# images and detaches their loop devices.

: "${PINFS_CTL:=$(dirname "$PINFS")/pinfs-ctl}"
PINWL=$TESTBIN/pinwl
EXT4_MOUNTS=()
LOOPS=()
declare -A CTL_W=() CTL_R=() CTL_P=()

pin_cleanup() {
	local i m name
	for name in "${!CTL_W[@]}"; do
		m=${CTL_W[$name]}
		exec {m}>&-
		kill "${CTL_P[$name]}" 2>/dev/null
	done
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		m=${MOUNTS[i]}
		if is_mounted "$m"; then
			fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		fi
	done
	for m in "${DAEMONS[@]}"; do
		kill "$m" 2>/dev/null
	done
	wait 2>/dev/null
	for m in "${EXT4_MOUNTS[@]}"; do
		if is_mounted "$m"; then
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		fi
	done
	for m in "${LOOPS[@]}"; do
		losetup -d "$m" 2>/dev/null
	done
	return 0
}
CLEANUP_HOOKS+=(pin_cleanup)

[ -x "$PINFS_CTL" ] || pinfs_skip "pinfs-ctl not found at $PINFS_CTL"
[ -x "$PINWL" ] || pinfs_skip "pinwl not found at $PINWL"

# backing_ext4 DIR [MIB [SECTOR]]: a fresh ext4 (4 KiB blocks) on a loop device
# at DIR. Its O_DIRECT alignment is the loop device's logical block size,
# SECTOR (default 512).
backing_ext4() {
	local dir=$1 size=${2:-256} sector=${3:-512} img dev
	command -v mkfs.ext4 >/dev/null || pinfs_skip "mkfs.ext4 is missing"
	command -v losetup >/dev/null || pinfs_skip "losetup is missing"
	img=$WORK/ext4.${#LOOPS[@]}.img
	truncate -s "${size}M" "$img" || fail "cannot create $img"
	mkfs.ext4 -q -F -b 4096 -E nodiscard "$img" || fail "mkfs.ext4 $img"
	dev=$(losetup -f --show -b "$sector" "$img" 2>/dev/null) || pinfs_skip "no loop device available"
	LOOPS+=("$dev")
	mkdir -p "$dir"
	mount -t ext4 "$dev" "$dir" || fail "cannot mount $dev on $dir"
	EXT4_MOUNTS+=("$dir")
}

# ctl [pinfs-ctl arguments]: one command on $CTL_SOCK, bounded.
ctl() {
	timeout 30 "$PINFS_CTL" "$CTL_SOCK" "$@"
}

# jnum JSON KEY: the number after "KEY": (keys of the stats answer are unique
# apart from the per-engine ones, which this does not read).
jnum() {
	sed -n "s/.*\"$2\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" <<<"$1"
}

# ctl_unshare: in a subshell about to run a program, close the descriptors of
# the open control connections, so that ctl_close's end of input reaches
# ctlconn (a child holding the write end of its FIFO would keep it open).
ctl_unshare() {
	local f
	for f in "${CTL_W[@]}" "${CTL_R[@]}"; do
		exec {f}>&-
	done
}

# spawn COMMAND...: run COMMAND in the background without the control
# connections' descriptors; its pid is $!. (Redirections of the call apply to
# the background process; no FIFO: opening one would block here.)
spawn() {
	(
		ctl_unshare
		exec "$@"
	) &
}

# ctl_open NAME [SOCKET]: a connection kept open (ctlconn) to SOCKET (default
# $CTL_SOCK); holds armed on it live until ctl_close NAME (or the test's exit)
# closes it.
ctl_open() {
	local name=$1 sock=${2:-$CTL_SOCK} fifo=$WORK/ctl.$1 w r
	rm -f "$fifo.in" "$fifo.out"
	mkfifo "$fifo.in" "$fifo.out" || fail "mkfifo"
	(
		ctl_unshare
		exec timeout 600 "$TESTBIN/ctlconn" "$sock" <"$fifo.in" >"$fifo.out"
	) &
	CTL_P[$name]=$!
	exec {w}>"$fifo.in"
	exec {r}<"$fifo.out"
	CTL_W[$name]=$w
	CTL_R[$name]=$r
}

# ctl_send NAME COMMAND...: send on connection NAME; the answer goes to
# stdout and to $CTL_ANSWER. Fails the test if no answer comes in 30 s.
ctl_send() {
	local name=$1
	shift
	echo "$*" >&"${CTL_W[$name]}" || fail "control connection $name is gone"
	IFS= read -r -t 30 CTL_ANSWER <&"${CTL_R[$name]}" || fail "no answer to '$*' on $name"
	echo "$CTL_ANSWER"
}

# ctl_close NAME: close the connection (releasing its holds) and reap ctlconn.
ctl_close() {
	local name=$1 w=${CTL_W[$1]} r=${CTL_R[$1]}
	exec {w}>&-
	wait "${CTL_P[$name]}" 2>/dev/null
	exec {r}<&-
	unset "CTL_W[$name]" "CTL_R[$name]" "CTL_P[$name]"
}

# ledger_check NAME ENGINE [NTHREADS]: the pin ledger balances after a
# quiesced workload (spec §2.6 P-5): no short-term pin outstanding, no
# violation, no warning, every FOLL_GET reference dropped; where backing
# O_DIRECT moved bytes, pins (sync) or registered-buffer listings (uring) were
# really taken, so the balance is not vacuous; with engine=uring the long-term
# pins held are whole registrations of the buffer arena (NTHREADS x 1036
# pages) by at most NTHREADS rings. With transport=uring every ring entry's
# payload is held long-term too (fs/transport_uring.h); the stats' transport
# object says how many pages that is.
ARENA_PAGES_PER_THREAD=1036	# PINFS_IO_PAGES + PINFS_RX_PAGES + PINFS_SPARE_PAGES (fs/buffers.h)
ledger_check() {
	local name=$1 engine=$2 nthreads=${3:-} s acq rel out lt ga gr viol warn dio listed arena
	local ereq er ew ring tries=0
	# The workload's processes have exited, but requests they caused may not
	# have: the kernel's async readahead READs (and FUSE_RELEASE) are still
	# served after the reader is gone, each holding its short-term pins and
	# reply references for its duration. Those settle within moments; a leak
	# never does. So wait up to 10 s for the short-term counts to settle.
	while :; do
		s=$(ctl stats) || fail "$name: pinfs-ctl stats: $s"
		[ "$(jnum "$s" outstanding)" = 0 ] &&
			[ "$(jnum "$s" get_acquired)" = "$(jnum "$s" get_released)" ] && break
		tries=$((tries + 1))
		[ $tries -lt 100 ] || break
		sleep 0.1
	done
	[ $tries = 0 ] || echo "$name: waited $((tries * 100)) ms for in-flight requests to finish"
	# shellcheck disable=SC2034 # for the caller's own checks
	LEDGER_STATS=$s
	acq=$(jnum "$s" acquired)
	rel=$(jnum "$s" released)
	out=$(jnum "$s" outstanding)
	lt=$(jnum "$s" longterm_held)
	ga=$(jnum "$s" get_acquired)
	gr=$(jnum "$s" get_released)
	listed=$(jnum "$s" listed)
	viol=$(jnum "$s" total)
	warn=$(jnum "$s" warnings)
	dio=$(($(jnum "$s" direct) + $(jnum "$s" bounced)))
	if [ -z "$acq" ] || [ -z "$out" ] || [ -z "$viol" ]; then
		fail "$name: malformed stats: $s"
	fi
	[ "$out" = 0 ] || fail "$name: $out pins outstanding after the workload: $s"
	[ "$viol" = 0 ] || fail "$name: $viol ledger violations: $s"
	[ "$warn" = 0 ] || fail "$name: $warn warnings: $s"
	[ "$ga" = "$gr" ] || fail "$name: get_acquired $ga != get_released $gr: $s"
	[ $((acq - rel)) = "$lt" ] || fail "$name: acquired - released != longterm_held: $s"
	if grep -q '"transport":{"name":"uring"' <<<"$s"; then
		ring=$(($(jnum "$s" entries) * $(jnum "$s" payload_bytes) / 4096))
		[ "$lt" -ge "$ring" ] || fail "$name: the ring's entries hold fewer pins ($lt < $ring): $s"
		lt=$((lt - ring))
	fi
	if [ "$dio" -gt 0 ]; then
		if [ "$engine" = uring ]; then
			[ "$listed" -gt 0 ] || [ $((acq - lt)) -gt 0 ] ||
				fail "$name: O_DIRECT moved $dio bytes but nothing was pinned or listed: $s"
		else
			[ "$acq" -gt 0 ] || fail "$name: O_DIRECT moved $dio bytes but no page was pinned: $s"
		fi
	fi
	# the engine asked for served the requests (uring: unless it fell back to
	# sync, which the daemon says on stderr)
	ereq=$(sed -n "s/.*\"$engine\":{\"read\":\([0-9]*\),\"write\":\([0-9]*\).*/\1 \2/p" <<<"$s")
	read -r er ew <<<"$ereq"
	if [ $((${er:-0} + ${ew:-0})) = 0 ] &&
		! grep -q "engine=uring: .* failed" "${DAEMON_LOG:-/dev/null}"; then
		fail "$name: engine $engine served no request: $s"
	fi
	if [ "$engine" = uring ] && [ "$lt" = 0 ] && [ $((er + ew)) -gt 0 ]; then
		fail "$name: engine=uring served requests, but no ring registered the arena: $s"
	fi
	if [ "$engine" = uring ] && [ -n "$nthreads" ]; then
		arena=$((nthreads * ARENA_PAGES_PER_THREAD))
		if [ $((lt % arena)) != 0 ] || [ "$lt" -gt $((nthreads * arena)) ]; then
			fail "$name: longterm_held $lt is not k x $arena (k <= $nthreads rings): $s"
		fi
	elif [ "$engine" = sync ]; then
		[ "$lt" = 0 ] || fail "$name: engine=sync holds $lt long-term pins: $s"
	fi
}

# daemon_exit_clean NAME: unmount $MNT's daemon ($DAEMON_PID) and require exit
# status 0 and no pin ledger report or warning in its stderr ($DAEMON_LOG):
# long-term pins were all dropped, nothing leaked at unmount.
daemon_exit_clean() {
	local name=$1 mnt=$2 rc=0
	pinfs_umount "$mnt" || rc=$?
	if [ "$rc" != 0 ] || grep -q "pin ledger\|^pinit: \(WARNING\|BUG\)" "$DAEMON_LOG"; then
		cat "$DAEMON_LOG"
		fail "$name: daemon exit status $rc, or a ledger report at unmount (above)"
	fi
}
