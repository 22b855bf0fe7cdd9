#!/usr/bin/env bash
# The command line: --help and --list are truthful, bad input is a usage error (2), an unusable
# directory is 3, and one short run writes the JSON the other tools read.
source "$(dirname "$0")/lib.sh"

out=$("$FORKSTRESS" --help) || fail "--help exit status"
for opt in --dir --scenario --list --duration --iterations --seed --control --json --mode \
	--quiet --help --pin-balance --simulate-broken --assume-kernel --inject --mthp-enable; do
	grep -q -- "$opt" <<<"$out" || fail "--help does not mention $opt"
done
[ "$("$FORKSTRESS" --list | grep -c '^[0-9]')" = 26 ] || fail "--list does not show 26 scenarios"
"$FORKSTRESS" >/dev/null 2>&1; [ $? = 2 ] || fail "no --dir: want exit 2"
"$FORKSTRESS" --dir /tmp --scenario 99 >/dev/null 2>&1; [ $? = 2 ] || fail "--scenario 99: want 2"
"$FORKSTRESS" --dir /tmp --mode sideways >/dev/null 2>&1; [ $? = 2 ] || fail "bad --mode: want 2"
"$FORKSTRESS" --dir /nonexistent/forkstress >/dev/null 2>&1; [ $? = 3 ] || fail "bad dir: want 3"

mkdir -p "$WORK/dir"
run_fs 60 --dir "$WORK/dir" --scenario 14,20-21 --mode stress --duration 0.1 --seed 42 \
	--json "$WORK/r.json" >"$WORK/out.txt" || fail "short run failed: $(cat "$WORK/out.txt")"
grep -q "seed 42" "$WORK/out.txt" || fail "the header does not show the seed"
grep -q "FUSE O_DIRECT pins app pages" "$WORK/out.txt" || fail "no classification header"
json_assert "$WORK/r.json" '
assert d["seed"] == 42 and d["kernel"]["release"] and "vmsplice" in d["kernel"]
assert [r["scenario"] for r in rows] == [14, 20, 21], [r["scenario"] for r in rows]
assert row(21, "stress")["verdict"] == "SKIP" and "pinfs" in row(21, "stress")["reason"]
assert d["summary"]["fail"] == 0
' || fail "JSON content"
compgen -G "$WORK/dir/forkstress.*" >/dev/null && fail "the work directory was not removed"
echo "PASS: command line"
