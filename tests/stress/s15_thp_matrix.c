// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #15: the cow.c THP matrix applied to #1 (O_DIRECT read while forking), #3 (R/W
 * reproducer) and #6 (io_uring fixed buffer + fork). Every layout of layout.h (base page, PMD
 * THP, PTE-mapped THP, single PTE of a THP, partially mremap()ed THP, partially COW-shared THP,
 * each enabled mTHP size, and each of these swapped out) hosts each base scenario's buffer.
 * Correct and broken outcomes are the base scenarios' ("leak from parent into child", lost data).
 * A layout the kernel cannot give (THP off, size disabled, no swap) is a SKIP naming why.
 *
 * The layout is what the buffer looks like when the base scenario starts; the scenario's own
 * writes may COW or split it afterwards, as they would in an application.
 */
#include <stdio.h>

#include "layout.h"
#include "scenarios.h"

#define MAX_LAYOUTS 40
#define DMA_THREADS_THP 4u

static void run_base(struct sc_ctx *sc, int base, char *buf, size_t len)
{
	if (base == 1) {
		struct dma_args a = {.buf = buf,
				     .buflen = len,
				     .nthreads = DMA_THREADS_THP,
				     .child_may_touch = true};

		dma_body(sc, &a);
	} else if (base == 3) {
		struct rw_args a = {.page = buf, .child_may_touch = true};

		rw_body(sc, &a);
	} else {
		uring_fork_body(sc, buf, len);
	}
}

void run_thp_matrix(struct sc_ctx *sc)
{
	static const int bases[] = {1, 3, 6};
	struct layout layouts[MAX_LAYOUTS];
	int n = layout_list(sc->env, layouts, MAX_LAYOUTS);
	size_t pg = sc->env->page;

	sc_split_duration(sc, (unsigned int)n * 3);
	sc->mute_notes = true;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < 3; j++) {
			int base = bases[j];
			size_t need = base == 1	  ? (DMA_THREADS_THP + 1) * pg
				      : base == 3 ? pg
						  : 4 * pg;
			struct layout_buf lb;
			char why[160];
			int ret;

			sc_sub(sc, "%s/#%d", layouts[i].name, base);
			if (base != 6 && !sc->env->tg.odirect) {
				sc_skip(sc, "no O_DIRECT on the target: %s",
					sc->env->tg.odirect_why);
				continue;
			}
			if (base == 6 && !sc->env->kc.io_uring) {
				sc_skip(sc, "io_uring unavailable: %s", sc->env->kc.io_uring_why);
				continue;
			}
			if (base != 6 && sc->mode == MODE_DETERMINISTIC && !sc->env->holds) {
				sc_skip(sc, "needs pinfs --control hold hooks");
				continue;
			}
			ret = layout_make(sc->env, &layouts[i], need, &lb, why, sizeof(why));
			if (ret == 1)
				sc_skip(sc, "%s", why);
			else if (ret < 0)
				sc_fail(sc, "building the layout failed: %d", ret);
			else
				run_base(sc, base, lb.buf, need);
			layout_free(&lb);
		}
	}
}
