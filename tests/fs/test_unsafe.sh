#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pin_check's detectors against pinfs's deliberately broken variants (docs/pinning.md;
# meson -Dunsafe_modes=true, pinfs -o unsafe=MODE). Per MODE:
#   strict  the daemon aborts (the leak: exits non-zero at unmount) with a
#           pin ledger report that names the violation;
#   on      the violation is counted (pinfs-ctl stats) and the daemon goes on;
#   off     nothing is checked, and where the variant can corrupt data, a
#           reader sees it (made deterministic with the control socket's holds
#           where a race would decide);
# and, first, the same workload without unsafe= passes (the test can pass).
#
#   test_unsafe.sh vmsplice_reuse|early_release|mismatch|leak|early_ack
# Exits 77 in a build without unsafe modes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

mode=${1:?usage: test_unsafe.sh MODE}
"$PINFS" --help | grep -q "this build: yes" ||
	pinfs_skip "this pinfs was built without -Dunsafe_modes=true, so -o unsafe=$mode" \
		"does not exist (configure a build with -Dunsafe_modes=true to run this test)"
ulimit -c 0	# the strict aborts are expected: no core files
backing=$WORK/ext4
backing_ext4 "$backing" 128
mnt=$(newdir mnt)
CTL_SOCK=$WORK/ctl.sock

# stop MNT: unmount MNT if it still is a mount; wait for $DAEMON_PID and return
# its exit status (a daemon killed by SIGABRT: 134).
stop() {
	local rc=0
	if is_mounted "$1"; then
		fusermount3 -u "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
	fi
	wait "$DAEMON_PID" || rc=$?
	return $rc
}

# expect_abort NAME MNT REPORT: the daemon died of SIGABRT after a pin ledger
# report containing REPORT.
expect_abort() {
	local rc=0
	stop "$2" || rc=$?
	if [ "$rc" != 134 ] || ! grep -q "pinit: pin ledger: $3" "$DAEMON_LOG"; then
		cat "$DAEMON_LOG"
		fail "$1: exit status $rc (want 134, SIGABRT) or no report \"$3\" (log above)"
	fi
	pass "$1: aborted: $(grep -m1 -o "pin ledger: $3[^:]*" "$DAEMON_LOG")"
}

# expect_counted NAME KEY [ALSO...]: stats count KEY > 0, and no violation of a
# kind other than KEY and the ALSO kinds (violations.total is their sum).
expect_counted() {
	local s n sum=0 k name=$1 key=$2
	shift
	s=$(ctl stats) || fail "$name: stats: $s"
	n=$(jnum "$s" "$key")
	for k in "$@"; do
		sum=$((sum + $(jnum "$s" "$k")))
	done
	if [ "${n:-0}" -le 0 ] || [ "$(jnum "$s" total)" != "$sum" ]; then
		fail "$name: pin_check=on did not count $key, or counted other kinds than $*: $s"
	fi
	pass "$name: counted $key=$n, nothing but $*"
}

# mount_at CHECK [OPTIONS]: pinfs on $backing at $mnt, with pin_check=CHECK and
# the control socket.
mount_at() {
	pinfs_mount "$backing" "$mnt" -o "control=$CTL_SOCK,pin_check=$1${2:+,$2}"
}

# expect_corrupt NAME WHAT COMMAND...: a reader that must see corruption of one
# kind: pinwl check exits 1, and what it found instead of the expected bytes
# matches the extended regex WHAT (pinwl's "byte N is 0x.., expected 0x..; the
# M bytes from there: ORIGIN").
expect_corrupt() {
	local name=$1 what=$2 out=$WORK/corrupt.out rc=0
	shift 2
	timeout 30 "$@" >"$out" 2>&1 || rc=$?
	if [ $rc != 1 ] || ! grep -qE "$what" "$out"; then
		cat "$out"
		fail "$name: the reader did not see the corruption /$what/ (exit $rc)"
	fi
	pass "$name: a reader got wrong data: $(grep -o "byte .*" "$out")"
}

case $mode in
vmsplice_reuse)
	# The READ reply is vmspliced from the daemon's pages, which are then
	# overwritten before the pipe drained (spec §4.3 V-1).
	"$PINWL" fill "$backing/v" 0 262144 7 || fail "fill"
	mount_at strict vmsplice
	"$PINWL" check "$mnt/v" 0 262144 7 -d || fail "vmsplice without unsafe: wrong data"
	stop "$mnt" || fail "vmsplice without unsafe: daemon exit status"
	pass "baseline: vmsplice replies with pin_check=strict are correct"

	mount_at strict unsafe=vmsplice_reuse,vmsplice
	timeout 20 "$PINWL" check "$mnt/v" 0 65536 7 -d 2>/dev/null &&
		fail "strict: the READ succeeded"
	expect_abort strict "$mnt" "write to a page pinned as an I/O source"

	mount_at on unsafe=vmsplice_reuse,vmsplice
	timeout 20 "$PINWL" check "$mnt/v" 0 65536 7 -d 2>/dev/null	# counted, then let through
	expect_counted on write_source_pinned
	stop "$mnt" || fail "on: daemon exit status"

	# the reply's pages were overwritten with 0xa5 while the pipe held them
	mount_at off unsafe=vmsplice_reuse,vmsplice
	expect_corrupt off ": all 0xa5$" "$PINWL" check "$mnt/v" 4096 65536 7 -d
	[ "$(jnum "$(ctl stats)" total)" = 0 ] || fail "off: violations were counted"
	stop "$mnt" || fail "off: daemon exit status"
	;;

early_release)
	# READ pages go back to the arena before the backing read fills them.
	"$PINWL" fill "$backing/A" 0 131072 1 || fail "fill"
	"$PINWL" fill "$backing/B" 0 131072 2 || fail "fill"
	# Over FUSE io_uring a request goes to the queue of the CPU that sent it,
	# and a worker parked at a hold serves no other request meanwhile: A's
	# reader runs on one CPU and B's readers on another, so that B's READs
	# reach another worker (on /dev/fuse any idle worker takes them).
	read -r cpu_a cpu_b < <(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
	if [ -z "$cpu_b" ]; then
		[[ ${PINFS_TEST_OPTIONS:-} != *transport=uring* ]] ||
			pinfs_skip "one CPU: over FUSE io_uring a parked READ stops the only queue"
		cpu_b=$cpu_a
	fi

	# off: A's reply is parked (hold at=reply) with A's data in pages the
	# arena already counts as free; B's READs cycle through the arena and
	# land on them; released, A's reply carries B's bytes.
	for variant in baseline off; do
		opts=max_threads=2,backing_dio=never
		[ $variant = off ] && opts=$opts,unsafe=early_release
		mount_at off "$opts"
		ctl_open c
		ctl_send c hold at=reply op=read ino="$(stat -c %i "$mnt/A")" >/dev/null
		id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$CTL_ANSWER")
		spawn timeout 60 taskset -c "$cpu_a" "$PINWL" check "$mnt/A" 0 131072 1 -d -o 2 \
			>"$WORK/A.out" 2>&1
		reader=$!
		ctl_send c wait id="$id" >/dev/null
		grep -q '"held":1' <<<"$CTL_ANSWER" || fail "$variant: A's READ was not parked"
		for ((k = 0; k < 70; k++)); do	# > 2 cycles of the 1040 spare pages
			taskset -c "$cpu_b" "$PINWL" check "$mnt/B" 0 131072 2 -d ||
				fail "$variant: B's READ $k"
		done
		ctl_send c release id="$id" >/dev/null
		rc=0
		wait "$reader" || rc=$?
		ctl_close c
		if [ $variant = baseline ]; then
			[ $rc = 0 ] || { cat "$WORK/A.out"; fail "baseline: A's parked READ got wrong data"; }
			pass "baseline: a parked READ keeps its pages while 70 others come and go"
		else
			if [ $rc != 1 ] || ! grep -q ": tag 2's of offset [0-9]*$" "$WORK/A.out"; then
				cat "$WORK/A.out"
				fail "off: A's READ did not get B's bytes (exit $rc)"
			fi
			pass "off: A's reply carried another READ's bytes: $(grep -o "byte .*" "$WORK/A.out")"
		fi
		stop "$mnt" || fail "$variant: daemon exit status"
	done

	# strict and on: A's pages must be pinned when B's READs reach them. A
	# lower pinfs (no unsafe mode) holds the upper daemon's O_DIRECT read of A
	# (hold at=data), so the upper daemon sits in that read with A's
	# early-released pages pinned while B's READs cycle its arena. The lower
	# pinfs keeps /dev/fuse: over the ring, its worker parked at the hold
	# would stop the queue of whichever CPU the upper daemon's B reads run on.
	lower=$(newdir lower)
	upper=$(newdir upper)
	LOWER_SOCK=$WORK/lower.sock
	pinfs_mount "$backing" "$lower" -o "control=$LOWER_SOCK,max_threads=2,transport=dev"
	lower_pid=$DAEMON_PID
	for check in strict on; do
		pinfs_mount "$lower" "$upper" -o "control=$CTL_SOCK,pin_check=$check,unsafe=early_release,backing_dio=always,max_threads=2"
		ctl_open l "$LOWER_SOCK"
		# off=4096: not the one-byte O_DIRECT probe at offset 1 (fs/dio.c) that
		# the upper daemon's first open of a file on the lower mount sends
		ctl_send l hold at=data op=read ino="$(stat -c %i "$lower/A")" off=4096 len=4096 \
			>/dev/null
		id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$CTL_ANSWER")
		spawn timeout 60 taskset -c "$cpu_a" "$PINWL" check "$upper/A" 0 131072 1 -d \
			>"$WORK/A.out" 2>&1
		reader=$!
		ctl_send l wait id="$id" >/dev/null
		grep -q '"held":1' <<<"$CTL_ANSWER" || fail "$check: A's backing read was not held"
		for ((k = 0; k < 70; k++)); do
			# The dying daemon cannot finish while its thread waits in the
			# held backing read: once strict reported, stop and release.
			spawn timeout 30 taskset -c "$cpu_b" "$PINWL" check "$upper/B" 0 131072 2 -d \
				2>/dev/null
			b=$!
			while kill -0 "$b" 2>/dev/null &&
				! { [ $check = strict ] && grep -q "pin ledger" "$DAEMON_LOG"; }; do
				sleep 0.02
			done
			kill -0 "$b" 2>/dev/null && break
			wait "$b" || break
		done
		if [ $check = on ]; then
			expect_counted on reuse_pinned
			ctl_send l release id="$id" >/dev/null
			wait "$reader" || { cat "$WORK/A.out"; fail "on: A's READ failed"; }
			pass "on: the pinned pages were kept out of use: A's READ is intact"
			ctl_close l
			stop "$upper" || fail "on: daemon exit status"
		else
			ctl_close l	# lets the dying daemon's read go
			wait "$b"
			wait "$reader" && fail "strict: A's READ succeeded"
			expect_abort strict "$upper" "pinned page handed out again"
		fi
	done
	DAEMON_PID=$lower_pid
	stop "$lower" || fail "the lower pinfs: exit status"
	;;

mismatch)
	# O_DIRECT pins released with put_page() instead of unpin_user_page().
	mount_at strict engine=sync
	"$PINWL" fill "$mnt/m" 0 65536 1 -d || fail "baseline write"
	"$PINWL" check "$mnt/m" 0 65536 1 -d || fail "baseline read"
	ledger_check baseline sync
	stop "$mnt" || fail "baseline: daemon exit status"
	pass "baseline: O_DIRECT writes with pin_check=strict"

	mount_at strict unsafe=mismatch,engine=sync
	timeout 20 "$PINWL" fill "$mnt/m" 0 65536 2 -d 2>/dev/null && fail "strict: the write succeeded"
	expect_abort strict "$mnt" "put_page of a pinned page (release does not match acquisition)"

	mount_at on unsafe=mismatch,engine=sync
	"$PINWL" fill "$mnt/m" 100 65536 3 -d || fail "on: the write failed"
	# the bounce page whose pin was "released" with put_page() is then freed
	# pinned: free_pinned follows from the same mistake
	expect_counted on put_pinned free_pinned
	stop "$mnt" || true	# its pages stay pinned: the exit status says so
	;;

leak)
	# Every 16th O_DIRECT syscall never unpins.
	mount_at strict engine=sync
	for ((k = 0; k < 20; k++)); do
		"$PINWL" fill "$mnt/l" $((k * 4096)) 4096 1 -d || fail "baseline write $k"
	done
	ledger_check baseline sync
	stop "$mnt" || fail "baseline: daemon exit status"
	pass "baseline: 20 O_DIRECT writes with pin_check=strict, no leak at unmount"

	# strict: page-aligned payloads are written from the receive buffer, whose
	# leaked pin is found when the daemon ends; over FUSE io_uring they are
	# written from the ring entry's payload, and the leak is found at once,
	# when the 16th write's reply goes into its still-pinned payload
	ring=no
	[[ $(pinfs_test_options unsafe=leak) == *transport=uring* ]] && ring=yes
	mount_at strict unsafe=leak,engine=sync
	for ((k = 0; k < 16; k++)); do
		"$PINWL" fill "$mnt/l" $((k * 4096)) 4096 1 -d 2>/dev/null && continue
		[ $ring = yes ] && [ $k = 15 ] || fail "strict: write $k"
	done
	if [ $ring = yes ]; then
		expect_abort strict "$mnt" "write to a page pinned as an I/O source"
	else
		expect_abort strict "$mnt" "reference or pin leaked"
	fi

	# on: misaligned payloads are bounced through arena pages; the leaked pin
	# is counted (outstanding, and the bounce page freed while pinned), and
	# reported at unmount with a non-zero exit status
	mount_at on unsafe=leak,engine=sync
	for ((k = 0; k < 16; k++)); do
		"$PINWL" fill "$mnt/l" $((k * 9000 + 100)) 8192 1 -d || fail "on: write $k"
	done
	s=$(ctl stats)
	[ "$(jnum "$s" outstanding)" -gt 0 ] || fail "on: no pin outstanding after the leak: $s"
	expect_counted on free_pinned
	rc=0
	stop "$mnt" || rc=$?
	if [ $rc != 1 ] || ! grep -q "pin ledger: reference or pin leaked" "$DAEMON_LOG"; then
		cat "$DAEMON_LOG"
		fail "on: exit status $rc (want 1) or no leak report at unmount"
	fi
	pass "on: the leak is reported at unmount, exit status 1"
	;;

early_ack)
	# The WRITE is acknowledged before its data reaches the backing file. No
	# pin is involved (no ledger detector): the data path itself is wrong.
	# Deterministic: hold at=data parks the write after the early ack, and
	# the application's immediate read-back sees the old bytes. The writer
	# keeps its file open until the end (-w), so its handle outlives the write.
	"$PINWL" fill "$backing/e" 0 65536 1 || fail "fill"
	for variant in baseline off; do
		opts=
		[ $variant = off ] && opts=unsafe=early_ack
		mount_at off "$opts"
		ctl_open c
		ctl_send c hold at=data op=write ino="$(stat -c %i "$mnt/e")" >/dev/null
		id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$CTL_ANSWER")
		spawn timeout 60 "$PINWL" fill "$mnt/e" 0 65536 2 -d -w 1500 >"$WORK/w.out"
		writer=$!
		ctl_send c wait id="$id" >/dev/null
		grep -q '"held":1' <<<"$CTL_ANSWER" || fail "$variant: the WRITE was not parked"
		sleep 0.3
		if [ $variant = baseline ]; then
			grep -q written "$WORK/w.out" &&
				fail "baseline: the WRITE returned before its data was written"
			"$PINWL" check "$mnt/e" 0 65536 1 -d || fail "baseline: read during the held WRITE"
		else
			grep -q written "$WORK/w.out" || fail "off: the WRITE did not return early"
			# the previous contents (tag 1) at the same offset: stale
			expect_corrupt "off (read-back right after the acknowledged write)" \
				"byte ([0-9]+) is .*: tag 1's of offset \1$" \
				"$PINWL" check "$mnt/e" 0 65536 2 -d -o 1
		fi
		ctl_send c release id="$id" >/dev/null
		wait "$writer" || fail "$variant: the writer failed"
		"$PINWL" check "$mnt/e" 0 65536 2 -d || fail "$variant: the data never arrived"
		ctl_close c
		stop "$mnt" || fail "$variant: daemon exit status"
		[ $variant = baseline ] && pass "baseline: a parked WRITE is not acknowledged"
		"$PINWL" fill "$backing/e" 0 65536 1 || fail "fill"
	done
	;;
*)
	fail "unknown mode $mode"
	;;
esac
echo "passed"
