#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The engine matrix (docs/usage.md, "Options that matter in practice"): every combination of
#   engine={sync,uring} x backing_dio={auto,always,never} x
#   splice={off,read,write,rw} x direct_io={auto,always,never}
# mounted over a loop-mounted ext4 (real O_DIRECT alignment, 512/512), each
# running pinwl's data-verifying workload (aligned, misaligned and sub-block
# writes with and without O_DIRECT, reads at and across EOF and holes, punch,
# and concurrent writers whose segments share 512-byte blocks, their O_DIRECT
# writes submitted through io_uring so that several WRITEs of the file are in
# the daemon at once: a lost update shows) and then the pin ledger check of
# lib_pin.sh; the backing files must equal what the mount shows, and the daemon
# must exit 0 with no ledger report at unmount. A few combinations run the
# full workload (more writers and passes, a dense-writers run, fsx) with
# pin_check=strict; a few add vmsplice, -s, clone_fd, and max_write=1048576
# (where one aligned 1 MiB O_DIRECT write must be one WRITE request).
#
#   test_engines.sh [ENGINE...]   (default: sync uring)
# Seeds: PINWL_SEED (default: random, printed); rerun a failure with it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(sync uring)
SEED=${PINWL_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "seed $SEED (PINWL_SEED=$SEED to repeat)"
NTHREADS=4

backing=$WORK/ext4
backing_ext4 "$backing" 320
mnt=$(newdir mnt)
CTL_SOCK=$WORK/ctl.sock
n=0

# engine_writes ENGINE: WRITE requests the engine served so far.
engine_writes() {
	ctl stats | sed -n "s/.*\"$1\":{\"read\":[0-9]*,\"write\":\([0-9]*\).*/\1/p"
}

# combo NAME FULL OPTIONS...: one mount, one workload, one ledger check; the
# full workload with pin_check=strict (a correct daemon never trips it).
combo() {
	local name=$1 full=$2 engine threads=$NTHREADS sub seed mixed check w0 w1
	shift 2
	n=$((n + 1))
	seed=$((SEED + n))
	sub=c$n
	engine=$(sed -n 's/.*engine=\([a-z]*\).*/\1/p' <<<"$*")
	case " $* " in
	*" -s "*) threads=1 ;;
	*clone_fd*) threads="" ;;	# libfuse's threads: registrations not counted
	esac
	mkdir -p "$backing/$sub"
	check=on
	[ "$full" = full ] && check=strict
	pinfs_mount "$backing" "$mnt" -o "control=$CTL_SOCK,pin_check=$check" "$@"
	if [ "$full" = full ]; then
		timeout 120 "$PINWL" basic "$mnt/$sub" "$seed" 600 ||
			fail "$name: pinwl basic (seed $seed)"
		timeout 120 "$PINWL" writers "$mnt/$sub/writers" -p 6 -r 6 -s 2097152 -S "$seed" \
			-a 8 -b || fail "$name: concurrent writers (seed $seed)"
		timeout 120 "$PINWL" writers "$mnt/$sub/dense" -p 4 -r 20 -s 32768 -m 700 \
			-S "$seed" -a 8 || fail "$name: dense concurrent writers (seed $seed)"
		timeout 120 "$TESTBIN/fsx" -n 1500 -S "$seed" "$mnt/$sub/fsx" >/dev/null ||
			fail "$name: fsx (seed $seed)"
	else
		timeout 60 "$PINWL" basic "$mnt/$sub" "$seed" 80 ||
			fail "$name: pinwl basic (seed $seed)"
		# io_uring O_DIRECT writers (several WRITEs of the file in flight), on every
		# other combination mixed with buffered ones
		mixed=()
		[ $((n % 2)) = 0 ] && mixed=(-b)
		timeout 60 "$PINWL" writers "$mnt/$sub/writers" -p 4 -r 3 -s 262144 -S "$seed" -a 8 \
			"${mixed[@]}" || fail "$name: concurrent writers (seed $seed)"
	fi
	case " $* " in
	*max_write=1048576*)	# one aligned 1 MiB O_DIRECT write is one WRITE request
		w0=$(engine_writes "$engine")
		"$PINWL" fill "$mnt/$sub/onewrite" 0 1048576 9 -d || fail "$name: 1 MiB write"
		w1=$(engine_writes "$engine")
		[ $((w1 - w0)) = 1 ] || fail "$name: a 1 MiB write took $((w1 - w0)) WRITE requests"
		"$PINWL" check "$mnt/$sub/onewrite" 0 1048576 9 -d || fail "$name: 1 MiB read"
		;;
	esac
	# What the application saw is what the backing file holds.
	cmp "$mnt/$sub/writers" "$backing/$sub/writers" || fail "$name: backing file differs"
	cmp "$mnt/$sub/misaligned" "$backing/$sub/misaligned" || fail "$name: backing file differs"
	ledger_check "$name" "$engine" "$threads"
	case " $* " in
	*backing_dio=never*) ;;
	*) [ $(($(jnum "$LEDGER_STATS" direct) + $(jnum "$LEDGER_STATS" bounced) +
		$(jnum "$LEDGER_STATS" spliced))) -gt 0 ] ||
		fail "$name: backing O_DIRECT was never used: $LEDGER_STATS" ;;
	esac
	daemon_exit_clean "$name" "$mnt"
	rm -rf "${backing:?}/$sub"
	pass "$name: pins $(jnum "$LEDGER_STATS" acquired), listed $(jnum "$LEDGER_STATS" listed), bytes direct $(jnum "$LEDGER_STATS" direct) bounced $(jnum "$LEDGER_STATS" bounced) spliced $(jnum "$LEDGER_STATS" spliced) buffered $(jnum "$LEDGER_STATS" buffered)"
}

for engine in "${engines[@]}"; do
	for bdio in auto always never; do
		for splice in off read write rw; do
			for dio in auto always never; do
				opts=engine=$engine,backing_dio=$bdio,splice=$splice,direct_io=$dio,max_threads=$NTHREADS
				full=short
				# the full workload for a representative few
				case $bdio/$splice/$dio in
				auto/off/auto | always/rw/always | never/read/never | always/write/auto) full=full ;;
				esac
				combo "$opts ($full)" $full -o "$opts"
			done
		done
	done
	# vmsplice replies, single-threaded, libfuse's clone_fd loop, 1 MiB writes
	combo "$engine vmsplice" short \
		-o "engine=$engine,vmsplice,backing_dio=auto,direct_io=auto,max_threads=$NTHREADS"
	combo "$engine vmsplice always" short \
		-o "engine=$engine,vmsplice,backing_dio=always,splice=write,direct_io=never,max_threads=$NTHREADS"
	combo "$engine -s" full -s -o "engine=$engine,backing_dio=always,splice=rw,direct_io=auto"
	combo "$engine -s vmsplice" short -s -o "engine=$engine,vmsplice,backing_dio=auto"
	combo "$engine max_write=1M" short \
		-o "engine=$engine,max_write=1048576,backing_dio=always,direct_io=always,max_threads=$NTHREADS"
	combo "$engine clone_fd" short -o "engine=$engine,clone_fd,backing_dio=auto,splice=rw"
done
echo "passed ($n combinations)"
