/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runner: each (scenario, mode) runs in its own forked process group with a time bound;
 * around it the runner measures the pin balance (spec §7 H-3) and pinfs's ledger, then turns
 * the recorded outcomes into a verdict against the kernel classification (H-2).
 */
#ifndef FORKSTRESS_RUNNER_H
#define FORKSTRESS_RUNNER_H

#include "control.h"
#include "forkstress.h"
#include "pinbalance.h"

struct row {
	const struct scenario *s;
	enum fs_mode mode;
	enum verdict verdict;
	char reason[400]; /* XFAIL: why this kernel fails; SKIP: what is missing */
	char detail[600];
	char xfail_detail[400]; /* the first expected failure's message */
	double seconds;
	unsigned long iterations;
	struct pin_balance pins;
	bool pins_rerun; /* a leak was seen: the scenario ran again to confirm it */
	enum pin_outcome pins_rerun_outcome; /* judged against the first run's start */
	long long pins_rerun_start; /* the re-run's own start floor */
	long long pins_rerun_after; /* its end floor */
	long long pins_rerun_spread; /* how much the readings moved during the re-run */
	char ledger[600]; /* pinfs ledger change during the scenario, if any */
	struct pinfs_stats ledger_before, ledger_after; /* its stats around it, when it changed */
	struct scenario_result res;
};

/* The ledger verdict after the whole run (only with --control). */
struct ledger_check {
	bool checked;
	enum verdict verdict;
	char detail[600];
	struct pinfs_stats stats;
};

/* Run one scenario in one mode; fills @row. Returns -EINTR when the user interrupted. */
int run_one(const struct fs_env *env, const struct scenario *s, enum fs_mode mode, struct ctl *ctl,
	    struct row *row, int index, int total);

/* The ledger check at the end of a run with --control (docs/control.md `stats`). */
void ledger_final(struct ctl *ctl, struct ledger_check *lc);

/* Set by SIGINT/SIGTERM: the runner stops the current scenario and the run. */
extern volatile int fs_interrupted;

const char *verdict_name(enum verdict v);
const char *mode_name(enum fs_mode m);

#endif
