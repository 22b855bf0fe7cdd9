#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The O_DIRECT alignment probe (fs/dio.c) on a backing store that does not
# answer STATX_DIOALIGN: odirectfs, a FUSE passthrough that passes O_DIRECT
# on to ext4 on a loop device with 4096-byte logical blocks. The first file
# pinfs opens with O_DIRECT is tiny, so a probe that reads at or past its end
# of file succeeds before any alignment check and would take "alignment 1"
# for the whole store; pinfs would then forward misaligned O_DIRECT, and the
# store would refuse it with EINVAL (and pinfs fall back to the page cache).
# The data must come out right, the daemon must never forward a misaligned
# request (no EINVAL fallback), and the reads must have been served with
# O_DIRECT on aligned spans (direct or bounced bytes, not buffered).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

ext4=$WORK/ext4
inner=$(newdir inner)
mnt=$(newdir mnt)
CTL_SOCK=$WORK/ctl.sock
backing_ext4 "$ext4" 64 4096
printf 'tiny' >"$ext4/a-tiny"
head -c 1000000 /dev/urandom >"$ext4/big"
cp "$ext4/big" "$WORK/big.ref"

timeout -k 5 300 "$TESTBIN/odirectfs" "$ext4" "$inner" -f 2>"$WORK/odirectfs.log" &
DAEMONS+=($!)
MOUNTS+=("$inner")
wait_mount "$inner" || { cat "$WORK/odirectfs.log"; fail "odirectfs did not mount"; }
# The premise: through odirectfs, misaligned O_DIRECT fails and aligned works.
dd if="$inner/big" of=/dev/null iflag=direct bs=512 count=1 status=none 2>/dev/null &&
	fail "odirectfs served a 512-byte O_DIRECT read; the store should need 4096"
dd if="$inner/big" of=/dev/null iflag=direct bs=4096 count=1 status=none ||
	fail "odirectfs refused an aligned O_DIRECT read"

pinfs_mount "$inner" "$mnt" -o "control=$CTL_SOCK"
# The tiny file first: its O_DIRECT open is the first probe.
[ "$(timeout 30 dd if="$mnt/a-tiny" iflag=direct bs=4096 status=none)" = tiny ] ||
	fail "O_DIRECT read of the tiny file"
# Misaligned O_DIRECT reads and writes of the large file.
timeout 60 dd if="$mnt/big" iflag=direct bs=777 status=none | cmp - "$WORK/big.ref" ||
	fail "misaligned O_DIRECT read of big differs"
timeout 60 dd if="$WORK/big.ref" of="$mnt/copy" oflag=direct bs=1000 status=none ||
	fail "misaligned O_DIRECT write"
cmp "$ext4/copy" "$WORK/big.ref" || fail "misaligned O_DIRECT write: the backing file differs"
timeout 60 dd if="$mnt/copy" iflag=direct bs=3333 status=none | cmp - "$WORK/big.ref" ||
	fail "misaligned O_DIRECT read of copy differs"
s=$(ctl stats) || fail "pinfs-ctl stats: $s"
if grep -q "refused an aligned request" "$DAEMON_LOG"; then
	cat "$DAEMON_LOG"
	fail "pinfs forwarded a misaligned O_DIRECT request (the store said EINVAL): $s"
fi
dio=$(($(jnum "$s" direct) + $(jnum "$s" bounced)))
[ "$dio" -ge 2000004 ] || fail "the reads (2000004 bytes) were not all served with O_DIRECT: $s"
pass "misaligned O_DIRECT through a store without STATX_DIOALIGN: right data, $dio bytes by aligned O_DIRECT, no EINVAL"
daemon_exit_clean dio_probe "$mnt"
echo "passed"
