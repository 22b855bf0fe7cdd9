#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon of a sanitized build, mounted over a loop-mounted ext4 (real
# O_DIRECT alignment), a workload on each engine (sync, uring), unmounted, then
# mounted again and ended by SIGTERM: each time the daemon must exit 0 with no
# sanitizer report in its stderr. Under ASan the leak check runs at exit
# (detect_leaks=1), so every buffer, handle and thread must be gone by then; a
# daemon that dies at shutdown never gets there.
#
#   test_sanitized_mount.sh mixed   writes, O_DIRECT reads and writes (pinwl
#                                   basic, io_uring writers), renames, xattrs,
#                                   unlink: ASan + UBSan (-Dsanitize=true)
#   test_sanitized_mount.sh race    concurrent O_DIRECT verify (fio, pinwl
#                                   writers) while files are renamed in the same
#                                   directory and receive holds close and open
#                                   the workers' gate: ThreadSanitizer
#                                   (-Db_sanitize=thread)
#
# Skips (77) in a build without a sanitizer ($PINFS_SANITIZER empty, set by
# tests/fs/meson.build). The sanitizer options come from the test environment
# (tests/meson.build).
# Seeds: PINWL_SEED (default: random, printed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

workload=${1:?usage: test_sanitized_mount.sh mixed|race}
[ -n "${PINFS_SANITIZER:-}" ] || pinfs_skip "not a sanitized build (meson -Dsanitize=true or -Db_sanitize=thread)"
case $workload in
mixed | race) ;;
*) fail "unknown workload '$workload'" ;;
esac
[ "$workload" = mixed ] || command -v fio >/dev/null || pinfs_skip "fio is missing"
command -v setfattr >/dev/null || pinfs_skip "setfattr (attr) is missing"
# The workload's own programs (pinwl, fio's children, this build's helpers) are
# sanitized too and report errors, but their leaks at exit are not the daemon's.
DAEMON_ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
SEED=${PINWL_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "$PINFS_SANITIZER build, workload $workload, seed $SEED (PINWL_SEED=$SEED to repeat)"

backing=$WORK/ext4
backing_ext4 "$backing" 256
mnt=$(newdir mnt)
CTL_SOCK=$WORK/ctl.sock

# Renames, xattrs, unlink and small buffered I/O in directory $1, $2 rounds.
namespace_ops() {
	local d=$1 rounds=$2 i
	mkdir -p "$d"
	for i in $(seq "$rounds"); do
		echo "file $i" >"$d/a$i" || return 1
		setfattr -n user.round -v "r$i" "$d/a$i" || return 1
		mv "$d/a$i" "$d/b$i" || return 1
		[ "$(getfattr --absolute-names --only-values -n user.round "$d/b$i")" = "r$i" ] || return 1
		[ "$(cat "$d/b$i")" = "file $i" ] || return 1
		setfattr -x user.round "$d/b$i" || return 1
		mv "$d/b$i" "$d/c" || return 1	# over the previous round's file
	done
	rm -f "$d/c"
}

fio_verify() {
	local name=$1 out=$WORK/fio.$1.out rc=0
	shift
	(cd "$WORK" && timeout 240 fio --name="$name" --directory="$mnt/race" --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --verify_dump=0 --verify_state_save=0 \
		--output="$out" "$@") || rc=$?
	if [ $rc != 0 ] || ! grep -q "err= 0" "$out"; then
		cat "$out"
		return 1
	fi
}

mixed() {
	local d=$mnt/mixed seed=$1
	mkdir -p "$d/basic" || fail "mkdir"
	timeout 240 "$PINWL" basic "$d/basic" "$seed" 40 || fail "pinwl basic (seed $seed)"
	timeout 240 "$PINWL" writers "$d/writers" -p 3 -r 2 -s 262144 -S "$seed" -a 4 -b ||
		fail "io_uring O_DIRECT writers (seed $seed)"
	"$PINWL" fill "$d/big" 4096 1048576 5 -d || fail "O_DIRECT write"
	"$PINWL" check "$d/big" 4096 1048576 5 -d || fail "O_DIRECT read"
	mv "$d/big" "$d/moved" || fail "rename"
	"$PINWL" check "$d/moved" 4096 1048576 5 || fail "buffered read after rename"
	namespace_ops "$d/ns" 20 || fail "renames, xattrs, unlink"
	rm -rf "$d" || fail "unlink"
}

race() {
	local d=$mnt/race seed=$1 pids=() p bad=0
	mkdir "$d" || fail "mkdir"
	namespace_ops "$d/ns" 100 &
	pids+=($!)
	# receive holds: each closes the gate until every worker is parked, and
	# opens it again when pinfs-ctl's connection closes
	(for _ in $(seq 10); do
		ctl hold at=receive timeout_ms=5000 >/dev/null || exit 1
		sleep 0.2
	done) &
	pids+=($!)
	fio_verify direct --direct=1 --ioengine=psync --rw=randwrite --bsrange=512-64k \
		--blockalign=512 --size=8m --numjobs=2 &
	pids+=($!)
	fio_verify qd8 --direct=1 --ioengine=io_uring --iodepth=8 --rw=randwrite --bs=4k \
		--size=8m &
	pids+=($!)
	timeout 240 "$PINWL" writers "$d/writers" -p 4 -r 3 -s 262144 -S "$seed" -a 8 -b &
	pids+=($!)
	for p in "${pids[@]}"; do
		wait "$p" || bad=$((bad + 1))
	done
	[ $bad = 0 ] || fail "$bad of the concurrent workloads failed (seed $seed)"
	rm -rf "$d" || fail "unlink"
}

# daemon_clean WHAT STATUS: the daemon ($DAEMON_LOG) exited 0 with no sanitizer report.
daemon_clean() {
	if [ "$2" != 0 ] || grep -q "Sanitizer\|runtime error:\|CHECK failed" "$DAEMON_LOG"; then
		cat "$DAEMON_LOG"
		fail "$1: daemon exit status $2, or a sanitizer report (above)"
	fi
}

n=0
for engine in sync uring; do
	n=$((n + 1))
	opts=engine=$engine,max_threads=4
	[ "$workload" = race ] && opts=$opts,control=$CTL_SOCK
	start=$SECONDS
	ASAN_OPTIONS=$DAEMON_ASAN_OPTIONS pinfs_mount "$backing" "$mnt" -o "$opts"
	"$workload" $((SEED + n))
	rc=0
	pinfs_umount "$mnt" || rc=$?
	daemon_clean "$workload, $opts, unmounted" $rc
	# Ended by a signal instead: every worker is idle, none sees the unmount.
	ASAN_OPTIONS=$DAEMON_ASAN_OPTIONS pinfs_mount "$backing" "$mnt" -o "$opts"
	ls -l "$mnt" >/dev/null || fail "ls"
	rc=0
	kill -TERM "$DAEMON_PID"	# timeout(1) passes it on to pinfs
	wait "$DAEMON_PID" || rc=$?
	daemon_clean "$workload, $opts, SIGTERM" $rc
	wait_mount "$mnt" gone || fail "$opts: still mounted after SIGTERM"
	pass "$workload, $opts: clean exits under $PINFS_SANITIZER in $((SECONDS - start)) s"
done
