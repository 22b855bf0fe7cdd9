#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's open-file limit is shared by every user of the mount
# (docs/usage.md, "Open-file limits"):
#  - close() never fails with EMFILE/ENFILE, even when the daemon has no free
#    descriptor at all (FLUSH cannot duplicate the file), and the data is intact;
#  - opens stop at the budget the limit leaves for open files, with ENFILE,
#    while closes keep working and no data is lost;
#  - with allow_other, one user at the per-user cap leaves room for others.
# The daemon's limit is lowered for the test (256), so it is fast.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || pinfs_skip "setpriv missing"
command -v prlimit >/dev/null || pinfs_skip "prlimit missing"

LIMIT=256
# The documented policy for LIMIT (docs/usage.md): fd_cache = LIMIT/4, the
# reserve is fd_cache + LIMIT/4, the budget the rest, a user's cap half of it.
BUDGET=$((LIMIT - LIMIT / 4 - LIMIT / 4))
CAP=$((BUDGET / 2))
U1=40001
U2=40002
FDHOG=$TESTBIN/fdhog

# The pinfs process (pinfs_mount runs it under timeout(1)).
pinfs_pid() {
	local p
	read -r p _ <"/proc/$DAEMON_PID/task/$DAEMON_PID/children"
	[ -n "$p" ] || fail "no pinfs process under $DAEMON_PID"
	echo "$p"
}

# mount_limited SRC MNT [ARGS...]: a daemon whose RLIMIT_NOFILE is LIMIT, soft and
# hard (the daemon raises its soft limit to the hard one).
mount_limited() {
	PINFS_PREFIX=(prlimit --nofile=$LIMIT:$LIMIT --)
	pinfs_mount "$@"
	PINFS_PREFIX=()
}

# The lowest descriptor number free in process $1.
lowest_free_fd() {
	ls "/proc/$1/fd" | sort -n | awk 'BEGIN { n = 0 } $1 == n { n++ } END { print n }'
}

# wait_line FILE PATTERN: up to 60 s for a line matching PATTERN.
wait_line() {
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# expect FILE LINE: FILE has exactly LINE.
expect() {
	grep -qx "$2" "$1" || fail "expected '$2', got: $(tr '\n' ';' <"$1")"
}

# data_intact OUT DIR: fdhog's report OUT says its data file closed without an error, and the
# data it wrote in DIR reads back intact.
data_intact() {
	expect "$1" "close data errno none"
	timeout 60 "$FDHOG" "$2" --verify data >"$1.verify"
	expect "$1.verify" "verify ok"
}

# opened FILE: the number of hogs fdhog reported, and why the next open failed.
opened_count() { awk '$1 == "opened" { print $2 }' "$1"; }
opened_errno() { awk '$1 == "opened" { print $4 }' "$1"; }

# opens_stopped OUT LIMIT WHAT: fdhog's opens (its report OUT) stopped with ENFILE after more
# than half of LIMIT files and at most LIMIT, WHAT naming the limit; sets n to how many it opened.
opens_stopped() {
	n=$(opened_count "$1")
	[ "$(opened_errno "$1")" = ENFILE ] || fail "opens past $3: $(cat "$1")"
	[ "$n" -gt $(($2 / 2)) ] && [ "$n" -le "$2" ] ||
		fail "$n files opened, $3 is $2 descriptors"
}

# 1. No descriptor left at all: the close still returns 0.
src=$(newdir src1)
mnt=$(newdir mnt1)
pinfs_mount "$src" "$mnt"
pid=$(pinfs_pid)
mkfifo "$WORK/hold1"
timeout 120 "$FDHOG" "$mnt" --data data --max 0 --hold <"$WORK/hold1" >"$WORK/out1" &
hog=$!
exec 7>"$WORK/hold1"
wait_line "$WORK/out1" '^opened'
hard=$(prlimit --pid "$pid" --nofile --noheadings --raw --output HARD)
soft=$(prlimit --pid "$pid" --nofile --noheadings --raw --output SOFT)
prlimit --pid "$pid" --nofile="$(lowest_free_fd "$pid"):$hard" || fail "prlimit"
exec 7>&-
wait $hog || fail "fdhog at the limit: status $?"
prlimit --pid "$pid" --nofile="$soft:$hard" || fail "prlimit restore"
data_intact "$WORK/out1" "$mnt"
pinfs_umount "$mnt" || fail "daemon exit status after the close at the limit"
pass "close() with no descriptor left in the daemon returns 0, data intact"

# 2. One process opens until it cannot: ENFILE at the budget, closes succeed.
src=$(newdir src2)
mnt=$(newdir mnt2)
mount_limited "$src" "$mnt"
timeout 120 "$FDHOG" "$mnt" --data data >"$WORK/out2" || fail "fdhog: status $?"
opens_stopped "$WORK/out2" "$BUDGET" "the budget"
expect "$WORK/out2" "close hogs failed 0 errno none"
data_intact "$WORK/out2" "$mnt"
timeout 60 "$FDHOG" "$mnt" --max 8 >"$WORK/out2b" || fail "fdhog after the closes"
expect "$WORK/out2b" "opened 8 errno none"
pinfs_umount "$mnt" || fail "daemon exit status after the budget run"
pass "opens stop at the budget ($n) with ENFILE; every close returns 0, data intact"

# 3. allow_other: one user at its cap, another user still opens files.
src=$(newdir src3)
mnt=$(newdir mnt3)
mkdir "$src/u1" "$src/u2"
chown $U1:$U1 "$src/u1"
chown $U2:$U2 "$src/u2"
mount_limited "$src" "$mnt" -o allow_other
mkfifo "$WORK/hold3"
timeout 120 setpriv --reuid=$U1 --regid=$U1 --clear-groups -- \
	"$FDHOG" "$mnt/u1" --data data --hold <"$WORK/hold3" >"$WORK/out3" &
hog=$!
exec 7>"$WORK/hold3"
wait_line "$WORK/out3" '^opened'
opens_stopped "$WORK/out3" "$CAP" "user $U1's cap"
timeout 60 setpriv --reuid=$U2 --regid=$U2 --clear-groups -- \
	"$FDHOG" "$mnt/u2" --max 16 >"$WORK/out3b" || fail "fdhog as $U2"
expect "$WORK/out3b" "opened 16 errno none"
expect "$WORK/out3b" "close hogs failed 0 errno none"
exec 7>&-
wait $hog || fail "fdhog as $U1: status $?"
expect "$WORK/out3" "close hogs failed 0 errno none"
data_intact "$WORK/out3" "$mnt/u1"
pinfs_umount "$mnt" || fail "daemon exit status after the per-user run"
pass "user $U1 stops at $n files (ENFILE), user $U2 still opens files"

# 4. The daemon raises its soft limit to the hard one.
src=$(newdir src4)
mnt=$(newdir mnt4)
PINFS_PREFIX=(prlimit --nofile=$LIMIT:$((LIMIT * 2)) --)
pinfs_mount "$src" "$mnt"
PINFS_PREFIX=()
soft=$(prlimit --pid "$(pinfs_pid)" --nofile --noheadings --raw --output SOFT)
[ "$soft" = $((LIMIT * 2)) ] || fail "soft open-file limit $soft, the hard limit is $((LIMIT * 2))"
pinfs_umount "$mnt" || fail "daemon exit status"
pass "the soft open-file limit is raised to the hard one"
echo "passed"
