#!/usr/bin/env bash
# Detector test for the zero-fork rule (runner.c): a stress run of a scenario about a fork during
# the I/O that did not fork once is SKIP(no evidence: ...), not PASS. --inject no-fork makes every
# fork of the scenarios' fork helpers fail with EAGAIN; #1 and #2 (the forker thread of
# dma_thread_diotest, spec §5) then do all their I/O with no fork beside it. The same run without
# the injection must PASS and count its forks.
source "$(dirname "$0")/lib.sh"
need_root
mount_tmpfs "$WORK/mnt"

run_fs 120 "$PIN_BALANCE" --dir "$WORK/mnt" --scenario 1,2 --mode stress --duration 0.3 \
	--inject no-fork --json "$WORK/nofork.json" --quiet >"$WORK/nofork.txt"
rc=$?
json_assert "$WORK/nofork.json" '
for n in (1, 2):
    r = row(n, "stress")
    assert r["forks"] == 0, "#%d: %d forks under --inject no-fork" % (n, r["forks"])
    assert r["iterations"] > 0, "#%d: no I/O round ran: %s" % (n, r["verdict_text"])
    assert r["verdict"] == "SKIP", "#%d without a fork: %s, want SKIP" % (n, r["verdict_text"])
    assert r["reason"].startswith("no evidence: every fork failed"), r["reason"]
    assert r["fork_error"] == "Resource temporarily unavailable", r.get("fork_error")
' || { cat "$WORK/nofork.txt"; fail "a stress run without a fork was not kept from PASS"; }
[ $rc = 0 ] || fail "exit status $rc, want 0 (nothing FAILed)"

run_fs 120 "$PIN_BALANCE" --dir "$WORK/mnt" --scenario 1,2 --mode stress --duration 0.3 \
	--json "$WORK/fork.json" --quiet >"$WORK/fork.txt"
json_assert "$WORK/fork.json" '
for n in (1, 2):
    r = row(n, "stress")
    assert r["verdict"] == "PASS" and r["forks"] > 0, "#%d: %s, %d forks" % (n, r["verdict_text"], r["forks"])
    assert "fork_error" not in r, r["fork_error"]
' || { cat "$WORK/fork.txt"; fail "the run with forks did not PASS"; }
echo "PASS: stress runs without a fork are SKIP(no evidence), with forks PASS"
