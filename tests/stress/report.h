/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Progress lines, the final table and the --json file. */
#ifndef FORKSTRESS_REPORT_H
#define FORKSTRESS_REPORT_H

#include <stdio.h>

#include "runner.h"

/* While a scenario runs (only on a terminal, and not with --quiet). */
void progress_live(const struct fs_env *env, const struct scenario *s, enum fs_mode mode,
		   double secs, unsigned long iterations, int index, int total);
/* When it finished: one line (on a terminal it replaces the live line). */
void progress_done(const struct fs_env *env, const struct row *row, int index, int total);

/* "PASS", "FAIL", "XFAIL(kernel: ...)", "SKIP(...)" into @out. */
char *verdict_text(const struct row *row, char *out, size_t len);

void print_table(FILE *f, const struct row *rows, int nrows, const struct ledger_check *lc);
int write_json(const char *path, const struct fs_env *env, const struct row *rows, int nrows,
	       const struct ledger_check *lc, double seconds);

#endif
