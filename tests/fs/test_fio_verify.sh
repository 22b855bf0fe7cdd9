#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fio with verify=crc32c through pinfs over a loop-mounted ext4, in each engine
# mode: engine={sync,uring} x splice={off,rw}. Per mode, three bounded jobs:
# O_DIRECT random writes of 512-byte-aligned odd sizes (psync, two jobs on
# their own files), O_DIRECT 1 MiB sequential writes through fio's io_uring
# with 4 in flight (several WRITEs of one file at once), and buffered random
# writes of unaligned sizes, and O_DIRECT 4 KiB random writes and reads with 32
# in flight through io_uring (the READs engine=uring batches); each writes, then
# reads back and verifies every block (the buffered job a second time in a new
# run, so that the reads come from the daemon rather than the page cache). fio
# must report no verify error, and the pin ledger must balance afterwards
# (lib_pin.sh ledger_check). engine=uring must have batched READs: some
# submission carried more than one (the control socket's "batches").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

command -v fio >/dev/null || pinfs_skip "fio is missing"
NTHREADS=4
backing=$WORK/ext4
backing_ext4 "$backing" 512
mnt=$(newdir mnt)
CTL_SOCK=$WORK/ctl.sock

# fio_job NAME ARGS...: one fio run in $mnt/NAME, bounded; fails on any error.
fio_job() {
	local name=$1 out=$WORK/fio.$1.out rc=0
	shift
	mkdir -p "$mnt/$name"
	# (in $WORK, and no verify state files: fio would leave them in the cwd)
	(cd "$WORK" && timeout 120 fio --name="$name" --directory="$mnt/$name" --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --verify_dump=0 --verify_state_save=0 --runtime=20 \
		--output="$out" "$@") || rc=$?
	if [ $rc != 0 ] || grep -qi "verify.*fail\|bad magic\|bad header\|crc32c: verify" "$out" ||
		! grep -q "err= 0" "$out"; then
		cat "$out"
		fail "fio $name ($*): exit status $rc, or a verify error (above)"
	fi
}

for engine in sync uring; do
	for splice in off rw; do
		mode=engine=$engine,splice=$splice
		pinfs_mount "$backing" "$mnt" \
			-o "control=$CTL_SOCK,pin_check=on,max_threads=$NTHREADS,$mode"
		fio_job direct --direct=1 --ioengine=psync --rw=randwrite --bsrange=512-192k \
			--blockalign=512 --size=48m --numjobs=2
		fio_job direct-uring --direct=1 --ioengine=io_uring --iodepth=4 --rw=write \
			--bs=1m --size=96m
		buffered=(--direct=0 --ioengine=psync --rw=randwrite --bsrange=1000-70000 --size=48m
			--randseed=$RANDOM)
		fio_job rand-qd32 --direct=1 --ioengine=io_uring --iodepth=32 --rw=randwrite \
			--bs=4k --size=32m
		fio_job buffered "${buffered[@]}"
		# again, verify only: a new open drops the FUSE page cache, so this
		# reads every block through the daemon
		fio_job buffered "${buffered[@]}" --verify_only=1
		ledger_check "fio $mode" "$engine" "$NTHREADS"
		[ $(($(jnum "$LEDGER_STATS" direct) + $(jnum "$LEDGER_STATS" bounced) +
			$(jnum "$LEDGER_STATS" spliced))) -gt 0 ] ||
			fail "fio $mode: O_DIRECT on the backing file was never used: $LEDGER_STATS"
		subs=$(jnum "$LEDGER_STATS" submissions)
		batched=$(jnum "$LEDGER_STATS" reads)
		# (over a FUSE io_uring ring a worker holds one request at a time: no batches)
		if [ $engine = uring ] && ! grep -q '"transport":{"name":"uring"' <<<"$LEDGER_STATS"; then
			[ "$batched" -gt "$subs" ] ||
				fail "fio $mode: no submission carried two READs: $LEDGER_STATS"
		else
			[ "$subs" = 0 ] || fail "fio $mode: engine=sync batched READs: $LEDGER_STATS"
		fi
		daemon_exit_clean "fio $mode" "$mnt"
		rm -rf "${backing:?}"/direct* "${backing:?}"/buffered "${backing:?}"/rand-qd32
		pass "fio verify=crc32c, $mode (READ batches: $batched in $subs submissions)"
	done
done
echo "passed"
