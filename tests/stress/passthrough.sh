#!/usr/bin/env bash
# forkstress against pinfs -o passthrough (kernel FUSE passthrough, fs/passthrough.h). Reads and
# writes of regular files go from the kernel to the backing ext4: the FUSE direct-I/O path
# (spec §3.2) and the daemon's buffers (§3.4) are out of the picture, and the backing file
# system's own O_DIRECT pins apply (§3.1, §2.5). forkstress runs without the control socket
# (no READ or WRITE reaches the daemon for a hold to park): the stress mode of every
# application-side scenario, no FAIL, and they PASS. The daemon's own stats must show files
# opened with passthrough and no READ, WRITE or byte served by the daemon.
# Skips (77) where the kernel has no FUSE passthrough.
source "$(dirname "$0")/lib.sh"
need_root
need_pinfs
PINFS_CTL=${PINFS_CTL:-$(dirname "$PINFS")/pinfs-ctl}
[ -x "$PINFS_CTL" ] || skip "pinfs-ctl not found at $PINFS_CTL"
mount_ext4 "$WORK/backing"
if ! mount_pinfs "$WORK/backing" "$WORK/mnt" "$WORK/ctl.sock" passthrough; then
	grep -q "offers no FUSE passthrough" "$WORK/pinfs.log" && skip "$(cat "$WORK/pinfs.log")"
	fail "pinfs -o passthrough did not mount"
fi
run_json pinfs-passthrough 600 "$PIN_BALANCE" --dir "$WORK/mnt" --scenario all --duration 0.3
cat "$OUT"
json_assert "$JSON" '
no_fail()
assert d["target"]["fuse"], "the target is not a FUSE mount"
for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 19, 20]:
    assert row(n, "stress")["verdict"] in ("PASS", "XFAIL"), "#%d: %s" % (n, row(n, "stress")["verdict_text"])
' || fail "unexpected verdicts against pinfs -o passthrough"
[ $RC = 0 ] || fail "forkstress exit status $RC"
stats=$(timeout 10 "$PINFS_CTL" "$WORK/ctl.sock" stats) || fail "pinfs-ctl stats: $stats"
python3 - "$stats" <<'PY' || fail "the daemon served data although every file was passthrough: $stats"
import json, sys
d = json.loads(sys.argv[1])
assert d["passthrough"]["opens"] > 0, "no file opened with passthrough"
served = sum(e["read"] + e["write"] for e in d["engines"].values())
moved = sum(d["bytes"].values())
assert served == 0 and moved == 0, "%d READ/WRITE requests, %d bytes in the daemon" % (served, moved)
PY
echo "PASS: forkstress against pinfs -o passthrough: no FAIL, no data through the daemon"
