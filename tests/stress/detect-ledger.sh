#!/usr/bin/env bash
# Detector test for the pinfs ledger check (docs/control.md `stats`; spec §2.6 P-5, M-2): with a
# control socket that reports outstanding pins, violations and warnings, forkstress must FAIL the
# scenario during which they appeared (naming the ledger) and FAIL the final ledger row; with a
# clean ledger both PASS. A fake control socket stands in for pinfs, so this runs without the
# daemon; against a real pinfs built with unsafe modes the same check is exercised by
# stress-unsafe-no_dontfork.
source "$(dirname "$0")/lib.sh"
need_root
mount_tmpfs "$WORK/mnt"

start_fake() {	# start_fake MODE SOCKET
	python3 "$STRESS_SRC/fake-control.py" "$2" "$1" &
	local pid=$!
	on_exit "kill $pid"
	for _ in $(seq 50); do
		[ -S "$2" ] && return 0
		sleep 0.1
	done
	fail "the fake control socket did not come up"
}

start_fake dirty "$WORK/dirty.sock"
run_fs 120 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/dirty.sock" --scenario 6 \
	--mode deterministic \
	--duration 0.2 --json "$WORK/dirty.json" --quiet >"$WORK/dirty.txt" 2>&1
rc=$?
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

start_fake clean "$WORK/clean.sock"
run_fs 120 "$PIN_BALANCE" --dir "$WORK/mnt" --control "$WORK/clean.sock" --scenario 6 \
	--mode deterministic \
	--duration 0.2 --json "$WORK/clean.json" --quiet >"$WORK/clean.txt" 2>&1
rc=$?
json_assert "$WORK/clean.json" '
assert row(6, "deterministic")["verdict"] == "PASS", row(6, "deterministic")["verdict_text"]
assert "ledger_change" not in row(6, "deterministic"), row(6, "deterministic")["ledger_change"]
assert d["ledger"]["verdict"] == "PASS", d["ledger"]
assert not any(d["ledger"]["violation_kinds"].values()), d["ledger"]
' || { cat "$WORK/clean.txt"; fail "a clean ledger was not accepted"; }
[ $rc = 0 ] || fail "exit status $rc with a clean ledger, want 0"
echo "PASS: ledger violations fail the scenario and the run; a clean ledger passes"
