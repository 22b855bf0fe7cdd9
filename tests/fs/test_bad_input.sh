#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: one line on stderr naming the problem, a non-zero exit status,
# and nothing mounted afterwards.
. "$(dirname "$0")/lib.sh"

src=$(newdir src)
mnt=$(newdir mnt)
MOUNTS+=("$mnt")	# unmounted at exit if a case mounted after all
file=$WORK/file
touch "$file"

# expect_error DESCRIPTION WORD-IN-MESSAGE PROGRAM ARGS...
expect_error() {
	local what=$1 word=$2 rc lines
	shift 2
	timeout 20 "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
	rc=$?
	lines=$(wc -l <"$WORK/err")
	if [ $rc = 0 ] || [ $rc = 124 ]; then
		cat "$WORK/err"
		fail "$what: exit status $rc"
	fi
	[ "$lines" = 1 ] || { cat "$WORK/err"; fail "$what: $lines lines on stderr, expected one"; }
	grep -qi -- "$word" "$WORK/err" || fail "$what: message does not mention '$word': $(cat "$WORK/err")"
	[ -s "$WORK/out" ] && fail "$what: printed on stdout"
	is_mounted "$mnt" && fail "$what: left a mount behind"
	grep -q "$WORK" /proc/self/mountinfo && fail "$what: something under $WORK is mounted"
	pass "$what: $(cat "$WORK/err")"
}

expect_error "no arguments" "SOURCE" "$PINFS"
expect_error "no mountpoint" "MOUNTPOINT" "$PINFS" "$src"
expect_error "-o source without mountpoint" "MOUNTPOINT" "$PINFS" -o source="$src"
expect_error "missing source" "$WORK/nope" "$PINFS" "$WORK/nope" "$mnt"
expect_error "source is a file" "not a directory" "$PINFS" "$file" "$mnt"
expect_error "missing mountpoint" "$WORK/nope" "$PINFS" "$src" "$WORK/nope"
expect_error "mountpoint is a file" "not a directory" "$PINFS" "$src" "$file"
expect_error "source equals mountpoint" "mountpoint" "$PINFS" "$src" "$src"
mkdir -p "$mnt/inner"
expect_error "source inside mountpoint" "inside" "$PINFS" "$mnt/inner" "$mnt"
expect_error "source given twice" "unexpected" "$PINFS" "$src" "$mnt" -o source="$src"
expect_error "extra argument" "unexpected" "$PINFS" "$src" "$mnt" extra
expect_error "unknown option" "bogus" "$PINFS" "$src" "$mnt" -o bogus
expect_error "unknown option with value" "bogus=1" "$PINFS" "$src" "$mnt" -o rw,bogus=1
expect_error "unknown flag" "--frobnicate" "$PINFS" "$src" "$mnt" --frobnicate
expect_error "malformed max_write" "max_write" "$PINFS" "$src" "$mnt" -o max_write=abc
expect_error "max_write too small" "range" "$PINFS" "$src" "$mnt" -o max_write=1024
expect_error "max_write too large" "range" "$PINFS" "$src" "$mnt" -o max_write=2097152
expect_error "negative max_write" "max_write" "$PINFS" "$src" "$mnt" -o max_write=-4096
expect_error "empty max_write" "max_write" "$PINFS" "$src" "$mnt" -o max_write=
expect_error "max_background zero" "range" "$PINFS" "$src" "$mnt" -o max_background=0
expect_error "max_background too large" "range" "$PINFS" "$src" "$mnt" -o max_background=65536
expect_error "max_threads zero" "max_threads" "$PINFS" "$src" "$mnt" -o max_threads=0
expect_error "bad direct_io" "direct_io" "$PINFS" "$src" "$mnt" -o direct_io=sometimes
expect_error "bad locks" "locks" "$PINFS" "$src" "$mnt" -o locks=none
expect_error "bad engine lists the engines" "one of sync, uring" "$PINFS" "$src" "$mnt" -o engine=aio
expect_error "bad timeout" "timeout" "$PINFS" "$src" "$mnt" -o timeout=-1
expect_error "bad fd_cache" "fd_cache" "$PINFS" "$src" "$mnt" -o fd_cache=1
expect_error "empty source=" "source" "$PINFS" "$mnt" -o source=
expect_error "clone_fd with -s" "clone_fd" "$PINFS" "$src" "$mnt" -o clone_fd -s
expect_error "helper-only option in program mode" "nofail" "$PINFS" "$src" "$mnt" -o nofail
expect_error "helper-only x-* in program mode" "x-foo" "$PINFS" "$src" "$mnt" -o x-foo

# A bad control socket path, in the background (no -f): the error and the exit
# status reach the caller before the daemon detaches; nothing at PATH is removed.
echo keep >"$file"
expect_error "control= in a missing directory" "No such file" \
	"$PINFS" "$src" "$mnt" -o control="$WORK/nope/ctl.sock"
expect_error "control= names a file" "not a socket" "$PINFS" "$src" "$mnt" -o control="$file"
[ "$(cat "$file")" = keep ] || fail "control= replaced a regular file"
expect_error "control= names a directory" "not a socket" "$PINFS" "$src" "$mnt" -o control="$src"
ln -s "$file" "$WORK/link"
expect_error "control= names a symbolic link" "not a socket" \
	"$PINFS" "$src" "$mnt" -o control="$WORK/link"
[ -L "$WORK/link" ] && [ "$(cat "$file")" = keep ] || fail "control= replaced a symbolic link"

# A failure after the fork (the workers' buffers do not fit under RLIMIT_AS)
# still reaches the caller: its message, a non-zero status, nothing mounted.
rc=0
(ulimit -v 120000 && exec timeout 20 "$PINFS" "$src" "$mnt" -o max_threads=64) \
	>"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || { cat "$WORK/err"; fail "failure after the fork: exit status $rc"; }
grep -qi "memory" "$WORK/err" || fail "failure after the fork: no message: $(cat "$WORK/err")"
is_mounted "$mnt" && fail "failure after the fork: left a mount behind"
pass "failure after the fork: exit status $rc, $(tail -1 "$WORK/err")"

# The mount(8) helper syntax (argv[0] decides), without installing anything.
ln -s "$PINFS" "$WORK/mount.fuse.pinfs"
helper=$WORK/mount.fuse.pinfs
expect_error "helper: no arguments" "usage" "$helper"
expect_error "helper: missing source" "$WORK/nope" "$helper" pinfs_dev "$mnt" -o source="$WORK/nope"
expect_error "helper: device is no directory" "pinfs_dev" "$helper" pinfs_dev "$mnt" -o rw
expect_error "helper: unknown option" "bogus" "$helper" "$src" "$mnt" -o rw,bogus
# fstab's x-* options are ignored (--help): the error is the missing source's.
expect_error "helper: x-* ignored" "$WORK/nope" \
	"$helper" pinfs_dev "$mnt" -o x-systemd.automount,source="$WORK/nope"
expect_error "helper: missing mountpoint" "$WORK/nope" "$helper" "$src" "$WORK/nope"
expect_error "helper: remount of a non-mount" "not a FUSE mount" "$helper" "$src" "$mnt" -o remount,ro

# Help and version succeed and say what they should.
"$PINFS" --help >"$WORK/help" || fail "--help exit status"
for word in max_write max_threads clone_fd allow_other direct_io dev_suid fd_cache timeout \
	default_permissions writeback_cache locks source= remount default:; do
	grep -q -- "$word" "$WORK/help" || fail "--help does not mention $word"
done
pass "--help lists the options"
"$PINFS" --version | grep -q "^pinfs " || fail "--version"
pass "--version"
echo "passed"
