#!/usr/bin/env bash
# Detector test for the pinfs ledger check (docs/control.md `stats`; spec §2.6 P-5, M-2): with a
# control socket that reports outstanding pins, violations and warnings, forkstress must FAIL the
# scenario during which they appeared (naming the ledger) and FAIL the final ledger row; with a
# clean ledger both PASS. A fake control socket (fake_control.c) stands in for pinfs, so this
# runs without the daemon; against a real pinfs built with unsafe modes the same check is
# exercised by stress-unsafe-no_dontfork.
source "$(dirname "$0")/lib.sh"
need_root
FAKE_CONTROL=${FAKE_CONTROL:?FAKE_CONTROL must name the fake-control binary}
mount_tmpfs "$WORK/mnt"

# ledger_run MODE: scenario 6, deterministic, against a fake control socket whose ledger is MODE
# (dirty or clean); its JSON in $WORK/MODE.json, its output in $WORK/MODE.txt, its exit status in
# rc.
ledger_run() {
	local sock="$WORK/$1.sock" pid
	"$FAKE_CONTROL" "$sock" "$1" &
	pid=$!
	on_exit "kill $pid"
	for _ in $(seq 50); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	[ -S "$sock" ] || fail "the fake control socket did not come up"
	run_fs 120 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$sock" --scenario 6 \
		--mode deterministic --duration 0.2 --json "$WORK/$1.json" --quiet >"$WORK/$1.txt" 2>&1
	rc=$?
}

ledger_run dirty
json_assert "$WORK/dirty.json" '
r = row(6, "deterministic")
assert r["verdict"] == "FAIL", "scenario with a dirty ledger: " + r["verdict_text"]
assert "pinfs ledger: violations +" in r["detail"], r["detail"]
lc = r["ledger_change"]
# the fake grows fork_unprotected and leak, warnings and outstanding pins with every `stats`
assert sorted(lc["violations"]) == ["fork_unprotected", "leak"], lc
assert min(lc["violations"].values()) > 0 and lc["violations_total"] > 0, lc
assert lc["warnings"] > 0 and lc["outstanding"] > 0, lc
assert d["ledger"]["verdict"] == "FAIL", d["ledger"]
assert d["ledger"]["pins_outstanding"] > 0, d["ledger"]
assert sorted(k for k, v in d["ledger"]["violation_kinds"].items() if v) == ["fork_unprotected", "leak"], d["ledger"]
' || { cat "$WORK/dirty.txt"; fail "a dirty ledger was not reported"; }
[ $rc = 1 ] || fail "exit status $rc with a dirty ledger, want 1"

ledger_run clean
json_assert "$WORK/clean.json" '
assert row(6, "deterministic")["verdict"] == "PASS", row(6, "deterministic")["verdict_text"]
assert "ledger_change" not in row(6, "deterministic"), row(6, "deterministic")["ledger_change"]
assert d["ledger"]["verdict"] == "PASS", d["ledger"]
assert not any(d["ledger"]["violation_kinds"].values()), d["ledger"]
' || { cat "$WORK/clean.txt"; fail "a clean ledger was not accepted"; }
[ $rc = 0 ] || fail "exit status $rc with a clean ledger, want 0"
echo "PASS: ledger violations fail the scenario and the run; a clean ledger passes"
