#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Differential test: the fsops sequence (every operation pinfs serves, with
# return values and errno) run on a backing-store directory and through pinfs
# mounts in several configurations must print the same thing.
. "$(dirname "$0")/lib.sh"

native=$(newdir native)
timeout 120 "$TESTBIN/fsops" "$native" >"$WORK/native.out" || fail "fsops on the native directory"
echo "native: $(wc -l <"$WORK/native.out") steps"

run_config() {
	local name=$1
	shift
	local mnt
	mount_config "$name" "$@"
	timeout 120 "$TESTBIN/fsops" "$mnt" >"$WORK/$name.out"
	local rc=$?
	pinfs_umount "$mnt" || fail "$name: daemon exit status"
	[ $rc = 0 ] || fail "$name: fsops exited with $rc"
	if ! diff -u "$WORK/native.out" "$WORK/$name.out"; then
		fail "$name: results differ from the native file system"
	fi
	pass "$name: $(wc -l <"$WORK/$name.out") steps identical"
}

run_config default
run_config fd_cache_4 -o fd_cache=4          # every O_PATH descriptor reopened by handle
run_config single -s
run_config clone_fd -o clone_fd
run_config kernel_locks -o locks=kernel
run_config no_cache -o timeout=0

# noatime is honoured (xfstests generic/120): reading through a noatime mount
# leaves the backing atime alone; without noatime, relatime updates it.
for flag in noatime relatime; do
	src=$(newdir "src-$flag")
	mnt=$(newdir "mnt-$flag")
	echo data >"$src/f"
	mkdir "$src/d"
	pinfs_mount "$src" "$mnt" -o "$flag"
	touch -a -d 2000-01-01 "$src/f" "$src/d"
	cat "$mnt/f" >/dev/null
	ls "$mnt/d" >/dev/null
	atime_f=$(stat -c %X "$src/f")
	atime_d=$(stat -c %X "$src/d")
	pinfs_umount "$mnt"
	old=$(date -d 2000-01-01 +%s)
	if [ $flag = noatime ]; then
		[ "$atime_f" = "$old" ] && [ "$atime_d" = "$old" ] || fail "noatime: backing atime changed"
	else
		[ "$atime_f" != "$old" ] || fail "relatime: backing atime not updated"
	fi
	pass "$flag: backing atime as expected"
done
echo "passed"
