# shellcheck shell=bash
# Shared helpers for the stress suite's tests (sourced). Every mount and loop device made here is
# undone by the EXIT trap, also on failure; every command that could hang runs under timeout(1).
# Exit codes: 0 pass, 1 fail, 77 skip (meson's convention), with the reason on stdout.

set -uo pipefail

FORKSTRESS=${FORKSTRESS:?FORKSTRESS must name the forkstress binary}
export STRESS_SRC
STRESS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/forkstress-test.XXXXXX)
declare -a CLEANUPS=()

cleanup() {
	local i
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[i]}" >/dev/null 2>&1 || true
	done
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

on_exit() { CLEANUPS+=("$*"); }
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	# a daemon's last words explain most failures against a mount
	for log in "$WORK"/pinfs.log "$WORK"/holdfs.log; do
		[ -s "$log" ] && { echo "--- last lines of $(basename "$log"):"; tail -n 15 "$log"; }
	done
	exit 1
}
need_root() { [ "$(id -u)" = 0 ] || skip "needs root (mount, loop devices, /proc/kpageflags)"; }

# mount_tmpfs DIR: a private tmpfs, unmounted at exit.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o size=768m forkstress-test "$1" || skip "cannot mount tmpfs"
	on_exit "umount -l '$1'"
}

# mount_ext4 DIR: a loop-mounted ext4 image (real O_DIRECT alignment), unmounted at exit.
mount_ext4() {
	local img="$WORK/ext4.img"
	command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing (e2fsprogs)"
	if ! truncate -s 1G "$img" || ! mkfs.ext4 -q -F "$img"; then
		fail "mkfs.ext4 failed"
	fi
	mkdir -p "$1"
	mount -o loop "$img" "$1" || skip "cannot loop-mount ext4 (no loop devices?)"
	on_exit "umount -l '$1'"
}

# run_fs SECONDS ARGS...: forkstress under a time bound; its exit status is returned.
run_fs() {
	local limit=$1
	shift
	timeout -k 10 "$limit" "$FORKSTRESS" "$@"
}

# run_json NAME SECONDS ARGS...: run_fs SECONDS ARGS... --json $WORK/NAME.json --quiet, its report
# in $WORK/NAME.txt; fails, showing the report, when forkstress wrote no JSON. A copy of the JSON
# goes to $FORKSTRESS_RESULTS/NAME.json when that is set (tests/stress/update-docs). Sets JSON
# (the file), OUT (the report) and RC (forkstress's exit status).
run_json() {
	local name=$1 limit=$2
	shift 2
	JSON="$WORK/$name.json"
	OUT="$WORK/$name.txt"
	run_fs "$limit" "$@" --json "$JSON" --quiet >"$OUT"
	RC=$?
	[ -s "$JSON" ] || { cat "$OUT"; fail "no JSON (exit $RC)"; }
	if [ -n "${FORKSTRESS_RESULTS:-}" ]; then
		cp "$JSON" "$FORKSTRESS_RESULTS/$name.json"
	fi
}

# The pin-balance mode for runs that test something else: the counters are global, so on a
# shared machine another process's long-held pins can look like a leak; such runs only report
# it unless FORKSTRESS_PIN_BALANCE=strict (a dedicated CI machine). stress-detect-pinbalance
# always checks strictly.
# shellcheck disable=SC2034  # used by the scripts that source this file
PIN_BALANCE="--pin-balance=${FORKSTRESS_PIN_BALANCE:-report}"

# json_assert FILE PYTHON: evaluate PYTHON with `d` = the parsed JSON, `rows` = d["results"],
# row(N, MODE) the row of scenario N in MODE and no_fail() asserting that no row is a FAIL; the
# snippet raises AssertionError (with a message) to fail.
json_assert() {
	python3 - "$1" "$2" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
rows = d["results"]
def row(n, mode):
    for r in rows:
        if r["scenario"] == n and r["mode"] == mode:
            return r
    raise AssertionError("no row for scenario %d %s" % (n, mode))
def no_fail():
    fails = ["#%d %s: %s" % (r["scenario"], r["mode"], r["detail"]) for r in rows if r["verdict"] == "FAIL"]
    assert not fails, "FAIL rows: " + " | ".join(fails)
try:
    exec(sys.argv[2])
except AssertionError as e:
    print("assertion failed:", e)
    sys.exit(1)
PY
}

# need_pinfs: PINFS must be an executable whose --help offers `control=` (docs/control.md).
need_pinfs() {
	PINFS=${PINFS:-}
	if [ -z "$PINFS" ] || [ ! -x "$PINFS" ]; then
		skip "pinfs is not built (${PINFS:-PINFS unset})"
	fi
	PINFS_HELP=$("$PINFS" --help 2>&1)
	grep -q "control=" <<<"$PINFS_HELP" ||
		skip "this pinfs has no -o control= option yet (pinfs --help does not mention control=)"
	command -v fusermount3 >/dev/null || skip "fusermount3 missing (fuse3)"
}

# mount_pinfs BACKING MNT SOCKET [OPTIONS]: pinfs in the foreground (so we own its pid) with a
# control socket, or none when SOCKET is ""; unmounted and stopped at exit. Fails when it does
# not come up in 10 s.
# PINFS_TEST_OPTIONS (e.g. transport=uring) is added to every pinfs mount but those with
# splice= or vmsplice, which only exist on /dev/fuse, and unsafe=early_ack: over the ring the
# acknowledgement leaves only after the handler, and is written into the entry's payload, where
# the WRITE's data still lies (tests/fs/lib.sh keeps it on /dev/fuse too).
mount_pinfs() {
	local backing=$1 mnt=$2 sock=$3 opts=${4:-}
	case ",$opts," in
	*,splice=r* | *,splice=w* | *,vmsplice,* | *unsafe=early_ack*) ;;
	*) opts+=${PINFS_TEST_OPTIONS:+${opts:+,}$PINFS_TEST_OPTIONS} ;;
	esac
	[ -n "$sock" ] && opts="control=$sock${opts:+,$opts}"
	mkdir -p "$mnt"
	"$PINFS" "$backing" "$mnt" -f ${opts:+-o "$opts"} >"$WORK/pinfs.log" 2>&1 &
	PINFS_PID=$!
	on_exit "kill $PINFS_PID; wait $PINFS_PID"
	on_exit "fusermount3 -u -z '$mnt' || umount -l '$mnt'"
	for _ in $(seq 100); do
		if { [ -z "$sock" ] || [ -S "$sock" ]; } && grep -q " $mnt fuse" /proc/mounts; then
			case $opts in
			*transport=uring*)
				! grep -q "using /dev/fuse" "$WORK/pinfs.log" ||
					fail "pinfs -o $opts fell back: $(cat "$WORK/pinfs.log")" ;;
			esac
			return 0
		fi
		kill -0 "$PINFS_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/pinfs.log"
	return 1
}

# mount_holdfs BACKING MNT SOCKET [OPTIONS]: the test fixture daemon (holdfs.c) with a control
# socket; unmounted and stopped at exit.
mount_holdfs() {
	local backing=$1 mnt=$2 sock=$3 opts=${4:-}
	HOLDFS=${HOLDFS:?HOLDFS must name the holdfs binary}
	mkdir -p "$mnt"
	"$HOLDFS" "$backing" "$mnt" -o "control=$sock${opts:+,$opts}" >"$WORK/holdfs.log" 2>&1 &
	local pid=$!
	on_exit "kill $pid; wait $pid"
	on_exit "fusermount3 -u -z '$mnt' || umount -l '$mnt'"
	for _ in $(seq 100); do
		if [ -S "$sock" ] && grep -q " $mnt fuse" /proc/mounts; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/holdfs.log"
	return 1
}
