#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -o passthrough: kernel FUSE passthrough (fs/passthrough.h).
#  1. refused with writeback_cache;
#  2. reads, writes and mmap of regular files never reach the daemon (its stats count no
#     READ, no WRITE, no byte), yet the data is the backing file's; one backing id per
#     inode, shared by its open handles and closed with the last of them;
#  3. the backing file system's O_DIRECT rules apply: an aligned O_DIRECT read works, a
#     misaligned one fails with EINVAL (pinfs would have bounced it); the daemon opens no
#     O_DIRECT descriptor of its own for an O_DIRECT handle;
#  4. fsx with aligned O_DIRECT;
#  5. refused with one clear line (exit status 1, nothing left mounted) where the kernel does
#     not grant it: here a daemon in a user namespace, which lacks CAP_SYS_ADMIN.
# Skips (77) on a kernel without FUSE passthrough.
source "$(dirname "$0")/lib.sh"

: "${PINFS_CTL:=$(dirname "$PINFS")/pinfs-ctl}"
[ -x "$PINFS_CTL" ] || pinfs_skip "pinfs-ctl not found at $PINFS_CTL"
src=$(newdir src)
mnt=$(newdir mnt)
sock=$WORK/ctl.sock

stats_get() { # stats_get PATH...: numbers from `stats`, by JSON path (a.b)
	local i
	for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	timeout 10 "$PINFS_CTL" "$sock" stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in sys.argv[1:]:
    v = d
    for k in p.split("."):
        v = v[k]
    print(v)' "$@"
}

# ---- 1. refused with writeback_cache; skip where the kernel has no passthrough ----
timeout 20 "$PINFS" "$src" "$mnt" -f -o passthrough,writeback_cache 2>"$WORK/wb.log" &&
	fail "passthrough,writeback_cache mounted"
grep -q "exclude each other" "$WORK/wb.log" || fail "writeback_cache: $(cat "$WORK/wb.log")"
timeout 20 "$PINFS" "$src" "$mnt" -f -o passthrough 2>"$WORK/probe.log" &
probe=$!
if ! wait_mount "$mnt"; then
	wait "$probe"
	grep -q "offers no FUSE passthrough" "$WORK/probe.log" &&
		pinfs_skip "$(cat "$WORK/probe.log")"
	fail "pinfs -o passthrough did not mount: $(cat "$WORK/probe.log")"
fi
fusermount3 -u "$mnt" || fail "cannot unmount the probe mount"
wait "$probe" || fail "the probe mount's daemon failed"
pass "refused with writeback_cache"

# ---- 2. the kernel does the I/O ----
head -c 4194304 /dev/urandom >"$WORK/ref"
pinfs_mount "$src" "$mnt" -o passthrough,control="$sock"
cp "$WORK/ref" "$mnt/big" || fail "write through the mount"
cmp "$WORK/ref" "$src/big" || fail "the backing file differs from what was written"
cmp "$WORK/ref" "$mnt/big" || fail "read back differs"
python3 - "$mnt/big" "$src/big" <<'PY' || fail "mmap through the mount"
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 8192)
m[4096:4101] = b"HELLO"
m.flush()
m.close()
os.close(fd)
assert open(sys.argv[2], "rb").read()[4096:4101] == b"HELLO"
PY
# two handles of one inode share its backing id, and it goes with the last one
exec 7<"$mnt/big" 8<>"$mnt/big"
[ "$(stats_get passthrough.backing_ids)" = 1 ] || fail "two handles of one inode: not one backing id"
head -c 100 <&7 >/dev/null && head -c 100 <&8 >/dev/null || fail "reading through two handles"
exec 7<&- 8>&-
for _ in $(seq 50); do
	[ "$(stats_get passthrough.backing_ids)" = 0 ] && break
	sleep 0.1
done
[ "$(stats_get passthrough.backing_ids)" = 0 ] || fail "a backing id outlived its last handle"
read -r opens reads writes b1 b2 b3 <<<"$(stats_get passthrough.opens engines.sync.read \
	engines.sync.write bytes.direct bytes.bounced bytes.buffered | tr '\n' ' ')"
bytes=$((b1 + b2 + b3))
[ "$opens" -ge 4 ] || fail "only $opens passthrough opens"
[ "$reads" = 0 ] && [ "$writes" = 0 ] && [ "$bytes" = 0 ] ||
	fail "the daemon served data: $reads READs, $writes WRITEs, $bytes bytes"
pass "data, mmap and shared backing ids through the kernel ($opens opens, no READ or WRITE in the daemon)"

# ---- 3. the backing file system's O_DIRECT rules ----
dd if="$mnt/big" of=/dev/null bs=4096 count=4 iflag=direct status=none ||
	fail "an aligned O_DIRECT read failed"
dd if="$mnt/big" of=/dev/null bs=1000 count=1 iflag=direct status=none 2>"$WORK/dd.err" &&
	fail "a misaligned O_DIRECT read succeeded: not the backing file's O_DIRECT"
grep -q "Invalid argument" "$WORK/dd.err" || fail "misaligned O_DIRECT: $(cat "$WORK/dd.err")"
# The kernel does the O_DIRECT: while an O_DIRECT handle is open the daemon holds no O_DIRECT
# descriptor of its own (one would be charged to the user's descriptor budget, and never used).
daemon=$(cat "/proc/$DAEMON_PID/task/$DAEMON_PID/children")	# pinfs, under timeout(1)
python3 - "$mnt/big" "$src/big" "${daemon// /}" <<'PY' || fail "O_DIRECT descriptors in the daemon"
import os, sys
path, backing, pid = sys.argv[1], os.stat(sys.argv[2]), sys.argv[3]
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
found = []
for n in os.listdir(f"/proc/{pid}/fd"):
    try:
        st = os.stat(f"/proc/{pid}/fd/{n}")	# the daemon opens through its own mount views
        with open(f"/proc/{pid}/fdinfo/{n}") as info:
            flags = next(int(l.split()[1], 8) for l in info if l.startswith("flags:"))
    except (FileNotFoundError, StopIteration):
        continue
    if (st.st_dev, st.st_ino) == (backing.st_dev, backing.st_ino):
        found.append((n, oct(flags)))
os.close(fd)
if not found:
    sys.exit(f"the daemon holds no descriptor of {sys.argv[2]}: the check saw nothing")
if any(int(flags, 8) & os.O_DIRECT for _, flags in found):
    sys.exit(f"the daemon holds an O_DIRECT descriptor of {sys.argv[2]} (fd, flags): {found}")
PY
pass "O_DIRECT: aligned works, misaligned gets the backing file system's EINVAL, no daemon O_DIRECT"

# ---- 4. fsx ----
timeout 120 "$TESTBIN/fsx" -a -n 4000 -S $((RANDOM * 32768 + RANDOM)) "$mnt/fsx" ||
	fail "fsx over passthrough (seed above)"
pass "fsx with aligned O_DIRECT"
pinfs_umount "$mnt" || fail "daemon exit status"

# ---- 5. refused in one line where the kernel does not grant it: no CAP_SYS_ADMIN ----
if timeout 10 unshare -Urm true 2>/dev/null; then
	rc=0
	timeout 20 unshare -Urm "$PINFS" "$src" "$mnt" -f -o passthrough 2>"$WORK/userns.log" ||
		rc=$?
	[ "$rc" = 1 ] || fail "in a user namespace: exit status $rc, want 1"
	# one line about passthrough (a daemon without file handles also notes its atime)
	[ "$(grep -c passthrough "$WORK/userns.log")" = 1 ] &&
		grep -q "passthrough: the kernel refused it.*CAP_SYS_ADMIN" "$WORK/userns.log" ||
		fail "in a user namespace: $(cat "$WORK/userns.log")"
	is_mounted "$mnt" && fail "a refused mount is still mounted"
	pass "refused in one line by a daemon without CAP_SYS_ADMIN (user namespace)"
else
	echo "skip: no user namespaces here for the refusal without CAP_SYS_ADMIN"
fi
echo "PASS: passthrough"
