#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dd with O_DIRECT and odd sizes through the mount. The reference passthrough
# forwards O_DIRECT to the backing file and fails with EINVAL (dd writes 0
# bytes); pinfs serves every size. Also checks that the daemon's own loop
# received every WRITE payload page-aligned.
. "$(dirname "$0")/lib.sh"

src=$(newdir src)
mnt=$(newdir mnt)
ref=$(newdir ref)
head -c 300000 /dev/urandom >"$WORK/data"
pinfs_mount "$src" "$mnt"

# dd_case NAME DD-ARGS...: the same dd into the mount (O_DIRECT) and into a
# reference file without O_DIRECT; the results must be identical.
dd_case() {
	local name=$1
	shift
	timeout 60 dd if="$WORK/data" of="$mnt/$name" oflag=direct status=none "$@" \
		|| fail "$name: dd oflag=direct failed"
	dd if="$WORK/data" of="$ref/$name" status=none "$@" || fail "$name: reference dd"
	cmp "$mnt/$name" "$ref/$name" || fail "$name: contents differ on the mount"
	cmp "$src/$name" "$ref/$name" || fail "$name: contents differ in the backing store"
	timeout 60 dd if="$mnt/$name" iflag=direct bs=777 status=none | cmp - "$ref/$name" \
		|| fail "$name: dd iflag=direct read back differs"
	pass "$name ($*)"
}

dd_case bs1000 bs=1000 count=7
dd_case bs4097 bs=4097 count=5
dd_case bs511-seek bs=511 count=9 seek=3
dd_case bs4096 bs=4096 count=16
dd_case bs1M bs=1M count=1 iflag=fullblock
dd_case bs65537 bs=65537 count=4
dd_case notrunc bs=3000 count=3 seek=1 conv=notrunc

pinfs_umount "$mnt" || fail "daemon exit status"
grep -q "write payloads page-aligned [1-9][0-9]*, unaligned 0" "$WORK"/daemon.*.log \
	|| { grep "payloads" "$WORK"/daemon.*.log; fail "WRITE payloads were not page-aligned"; }
pass "$(grep -o "write payloads.*" "$WORK"/daemon.*.log)"
echo "passed"
