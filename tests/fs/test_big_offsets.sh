#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pread and pwrite at the edges of the offset range (bigoff): near OFF_MAX,
# where pos + len and its round-up to the O_DIRECT block overflow, and near
# ext4's largest file size. Through pinfs, on both engines, every call must
# give what native ext4 gives (a byte count, EINVAL, EFBIG, 0), misaligned
# O_DIRECT what native buffered I/O gives, and the daemon must stay up and
# exit cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pin.sh"

ext4=$WORK/ext4
backing_ext4 "$ext4" 64
mkdir -p "$ext4/native" "$ext4/src"
mnt=$(newdir mnt)

timeout 120 "$TESTBIN/bigoff" "$ext4/native/f" --native >"$WORK/native.out" ||
	{ cat "$WORK/native.out"; fail "bigoff on native ext4"; }
# The cases reach each of the kernel's answers, or the comparison proves little.
for want in ' EINVAL$' ' EFBIG$' ' 0$' ' 10$'; do
	grep -q -- "$want" "$WORK/native.out" || fail "native ext4 never answered '$want'"
done

for engine in sync uring; do
	rm -f "$ext4/src/f"
	pinfs_mount "$ext4/src" "$mnt" -o "engine=$engine"
	timeout 120 "$TESTBIN/bigoff" "$mnt/f" >"$WORK/pinfs.$engine.out" ||
		{ cat "$WORK/pinfs.$engine.out"; cat "$DAEMON_LOG"; fail "$engine: bigoff through pinfs"; }
	diff "$WORK/native.out" "$WORK/pinfs.$engine.out" ||
		{ cat "$DAEMON_LOG"; fail "$engine: results differ from native ext4 (above)"; }
	daemon_exit_clean "$engine" "$mnt"
	pass "$engine: $(wc -l <"$WORK/native.out") calls as native ext4 answers them"
done
echo "passed"
