/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pin balance from /proc/vmstat (spec §7 H-3, §2.2): nr_foll_pin_acquired - nr_foll_pin_released
 * must return to its starting value after each quiesced scenario.
 *
 * Two things make the raw numbers unreliable, and both are handled here:
 *  - vmstat counters are summed from per-CPU deltas that are folded in only every
 *    vm.stat_interval; as root we write /proc/sys/vm/stat_refresh before each reading, so a
 *    reading is exact (without root the check only reports);
 *  - the counters are global: other processes' pins (an fio run, a FUSE daemon) come and go.
 *    So both ends look at the floor, the smallest value seen: the start is the floor over a
 *    short window; the end samples until the value is back to the start, or for a few seconds.
 *    A leak of ours raises the floor for good. Reading the two counters is not atomic either,
 *    so a busy machine (an fio run next door) makes readings jump by tens. When the start
 *    window already varied, an excess counts as a leak only if the end floor stays above
 *    everything seen at the start; smaller excesses are reported as "noisy", not judged. Only
 *    long-lived pins another process takes during the scenario can fake a leak.
 */
#ifndef FORKSTRESS_PINBALANCE_H
#define FORKSTRESS_PINBALANCE_H

#include <stdbool.h>

enum pin_outcome {
	PINS_UNAVAILABLE, /* no nr_foll_pin_* in /proc/vmstat */
	PINS_BALANCED, /* came back to the start */
	PINS_LEAK, /* still start, then constant above it for 2.5 s (see above): a leak */
	PINS_UNATTRIBUTABLE, /* above the start, but still moving when time ran out */
	PINS_APPROXIMATE, /* an excess, but readings were not exact (no stat_refresh) */
	PINS_NOISY, /* other processes' pins made the readings vary; too small to judge */
	PINS_HELD, /* an excess the target accounts for: pins it holds by design (pins_allow) */
};

struct pin_balance {
	bool available;
	bool exact; /* readings were refreshed (root) */
	long long before; /* smallest in-flight count at the start (the start floor) */
	long long before_max; /* largest at the start: > before means a noisy machine */
	long long own_before; /* a rebased re-run's own start floor (pins_rebase) */
	long long allowed; /* pins the target took during the run and keeps (pins_allow) */
	long long after; /* smallest in-flight count seen while settling (the end floor) */
	long long last; /* the last reading */
	double quiet_ms; /* how long the reading had not changed when sampling stopped */
	long long max_seen; /* largest reading in either window */
	long long spread; /* max - min over both windows */
	long long delta; /* after - before when > 0 */
	double settle_ms;
	enum pin_outcome outcome;
};

/* nr_foll_pin_acquired - nr_foll_pin_released now (refreshed when possible). */
bool pins_in_flight(long long *out, bool *exact);

/* Start: the minimum over @window_ms. */
void pins_begin(struct pin_balance *pb, int window_ms);

/*
 * For the re-run that confirms a leak: judge it against the first run's start (@first) instead
 * of its own. A leak that happened once and stayed has raised the re-run's own start as well, so
 * only a return to the first run's start clears the first run. Pins the first run allowed
 * (pins_allow) count as part of that start. Call after pins_begin(); the re-run's own start
 * floor is kept in @pb->own_before.
 */
void pins_rebase(struct pin_balance *pb, const struct pin_balance *first);

/*
 * End: sample until the count is back to the start or @timeout_ms passed; sets outcome. Give it
 * at least a few seconds: a leak is only called when the excess stayed constant for 2.5 s.
 */
void pins_end(struct pin_balance *pb, int timeout_ms);

/*
 * The target reports that it took @held pins during the run that it keeps by design (pinfs's
 * io_uring buffer registrations: its stats' pins.longterm_held, spec §6): a leak no larger than
 * them (and the start's noise) is PINS_HELD instead. Call after pins_end().
 */
void pins_allow(struct pin_balance *pb, long long held);

/* The verdict from the readings in @pb (before, before_max, after, last, quiet_ms, exact). */
enum pin_outcome pins_judge(const struct pin_balance *pb);

const char *pins_outcome_name(enum pin_outcome o);

#endif
