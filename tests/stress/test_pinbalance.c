// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Detector test for the pin-balance verdict (pinbalance.c, spec §7 H-3) on synthetic readings,
 * so it is exercised even on a machine too busy for the live test (stress-detect-pinbalance):
 * a still start followed by a constant excess is a leak; on a busy machine only an excess far
 * beyond the start's range that holds is; an excess still moving is unattributable; a return to
 * the start is balanced; readings without stat_refresh are only approximate. The re-run that
 * confirms a leak is judged against the first run's start (pins_rebase): a leak that happened
 * once and stayed is still a leak there, although the re-run's own start already included it.
 * Pins the target reports it took and keeps (pinfs's io_uring registrations, pins_allow) are
 * not a leak, and count as part of the start of a re-run.
 */
#include <stdio.h>

#include "pinbalance.h"

static int failures;

/* Readings: start floor and highest start value, end floor and last value, how long the last
 * value had held, how long the end was watched, whether readings were refreshed. */
static struct pin_balance readings(long long before, long long before_max, long long after,
				   long long last, double quiet_ms, double settle_ms, bool exact)
{
	struct pin_balance pb = {
		.available = true,
		.before = before,
		.before_max = before_max,
		.after = after,
		.last = last,
		.quiet_ms = quiet_ms,
		.settle_ms = settle_ms,
		.exact = exact,
		.delta = after > before ? after - before : 0,
	};

	return pb;
}

static void expect_outcome(const char *what, enum pin_outcome got, enum pin_outcome want)
{
	printf("  %-48s %s\n", what, pins_outcome_name(got));
	if (got != want) {
		printf("FAIL: %s: %s, want %s\n", what, pins_outcome_name(got),
		       pins_outcome_name(want));
		failures++;
	}
}

static void expect(const char *what, struct pin_balance pb, enum pin_outcome want)
{
	expect_outcome(what, pins_judge(&pb), want);
}

int main(void)
{
	expect("quiet machine, back to the start", readings(3, 3, 3, 3, 0, 20, true),
	       PINS_BALANCED);
	expect("quiet machine, 16 pins held for 4 s", readings(0, 0, 16, 16, 4000, 4000, true),
	       PINS_LEAK);
	expect("quiet machine, excess still draining", readings(0, 0, 16, 17, 3000, 4000, true),
	       PINS_UNATTRIBUTABLE);
	expect("quiet machine, excess constant only 1 s", readings(0, 0, 2, 2, 1000, 4000, true),
	       PINS_UNATTRIBUTABLE);
	expect("busy machine (start 0..40), floor +16", readings(0, 40, 16, 16, 3000, 4000, true),
	       PINS_NOISY);
	expect("busy machine (start 0..40), floor +1024",
	       readings(0, 40, 1024, 1050, 20, 4000, true), PINS_LEAK);
	expect("busy machine, floor +1024 seen for 1 s only",
	       readings(0, 40, 1024, 1050, 20, 1000, true), PINS_NOISY);
	expect("busy machine, back below the start", readings(5, 40, 2, 9, 0, 60, true),
	       PINS_NOISY);
	expect("no stat_refresh (not root), excess", readings(0, 0, 16, 16, 4000, 4000, false),
	       PINS_APPROXIMATE);
	/* the re-run of a scenario that leaked 16 pins once: its own start already includes them */
	{
		struct pin_balance first = readings(0, 0, 16, 16, 4000, 4000, true);
		struct pin_balance again = readings(16, 16, 16, 16, 4000, 4000, true);

		expect("re-run on its own start: the leak looks balanced", again, PINS_BALANCED);
		pins_rebase(&again, &first);
		expect("re-run on the first run's start: still a leak", again, PINS_LEAK);
		if (again.own_before != 16) {
			printf("FAIL: the re-run's own start %lld, want 16\n", again.own_before);
			failures++;
		}
		/* another process's pins, gone by the re-run's end */
		again = readings(16, 16, 0, 0, 0, 20, true);
		pins_rebase(&again, &first);
		expect("re-run back at the first run's start", again, PINS_BALANCED);
	}
	/* pinfs registered 1024 pages with io_uring during the run, and keeps them */
	{
		struct pin_balance held = readings(0, 0, 1024, 1024, 4000, 4000, true);
		struct pin_balance again = readings(1040, 1040, 1040, 1040, 4000, 4000, true);

		held.outcome = pins_judge(&held);
		pins_allow(&held, 1024);
		expect_outcome("excess = the target's registrations", held.outcome, PINS_HELD);
		held = readings(0, 0, 1040, 1040, 4000, 4000, true);
		held.outcome = pins_judge(&held);
		pins_allow(&held, 1024);
		expect_outcome("16 more than the registrations", held.outcome, PINS_LEAK);
		pins_rebase(&again, &held);
		expect("its re-run: the 16 stayed", again, PINS_LEAK);
		again = readings(1024, 1024, 1024, 1024, 4000, 4000, true);
		held = readings(0, 0, 1024, 1024, 4000, 4000, true);
		held.allowed = 1024;
		pins_rebase(&again, &held);
		expect("a re-run at the registrations only", again, PINS_BALANCED);
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
