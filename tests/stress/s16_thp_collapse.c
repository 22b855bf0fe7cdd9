// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #16: anonymous THP collapse (cow.c's collapse tests) while an O_DIRECT read into the
 * THP is in flight. The buffer is a PTE-mapped THP; MADV_COLLAPSE runs before or after a fork
 * (the child keeping part of the THP COW-shared) while the read's page is pinned.
 * Correct: no leak into the child, the read's data intact in the parent. Broken: a leak or lost
 * data. Whether the collapse itself succeeds (it should refuse pinned pages) is only noted.
 *
 * Deterministic mode: the read is parked at `reply` during fork and collapse. Stress mode: a
 * forker thread and a collapse thread run against a loop of reads.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layout.h"
#include "scenarios.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define COLLAPSE_FILE_SIZE (1u << 20)

struct collapse {
	struct sc_ctx *sc;
	struct layout_buf lb;
	char *region; /* the whole THP */
	size_t pmd, pg;
	int fd;
	volatile bool stop;
	unsigned long collapses, collapse_ok;
};

static void collapse_det(struct collapse *c, bool before_fork)
{
	struct sc_ctx *sc = c->sc;

	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)sc->loop_iter;
		uint64_t off = (sc->loop_iter * 16 * c->pg) % (COLLAPSE_FILE_SIZE - c->pg);
		char *p = c->lb.buf;
		struct bg_io io = {.fd = c->fd, .buf = p, .len = c->pg, .off = (off_t)off};
		struct pat_expect e;
		struct kid k;
		int id, kpid = -1;

		pattern_fill(p, c->pg, 0, FID_PREFILL, gen);
		id = sc_park_io(sc, "reply", "read", &io);
		if (id < 0)
			return;
		if (before_fork && !madvise(c->region, c->pmd, MADV_COLLAPSE))
			c->collapse_ok++;
		kpid = kid_fork_prefill_observer(&k, p, c->pg, gen);
		if (!before_fork && !madvise(c->region, c->pmd, MADV_COLLAPSE))
			c->collapse_ok++;
		c->collapses++;
		sc_hold_release(sc, id);
		if (bg_join(&io) != (ssize_t)c->pg)
			sc_fail(sc, "held read returned %zd", io.ret);
		if (sc_simulate(sc))
			pattern_fill(p, c->pg, 0, FID_PREFILL, gen); /* lost data */
		e = pat_exp(off, FID_DATA, 1);
		sc_check(sc, p, c->pg, &e, "round %lu: the read after collapse", sc->loop_iter);
		if (kpid > 0)
			sc_kid_verdict(sc, &k, "child's view of the page");
	}
}

static void *collapser(void *arg)
{
	struct collapse *c = arg;

	while (!c->stop) {
		/* PTE-map it again, then ask for a collapse */
		mprotect(c->region + c->pmd - c->pg, c->pg, PROT_READ);
		mprotect(c->region + c->pmd - c->pg, c->pg, PROT_READ | PROT_WRITE);
		if (!madvise(c->region, c->pmd, MADV_COLLAPSE))
			c->collapse_ok++;
		c->collapses++;
		sleep_us(200);
	}
	return NULL;
}

static void collapse_stress(struct collapse *c)
{
	struct sc_ctx *sc = c->sc;
	struct forker fk;
	pthread_t th;
	bool th_ok, fk_ok;

	th_ok = pthread_create(&th, NULL, collapser, c) == 0;
	fk_ok = forker_start(&fk, 100, (int)sc_rand(sc, 2)) == 0;
	while (sc_more(sc)) {
		uint64_t off = (sc->loop_iter * 16 * c->pg) % (COLLAPSE_FILE_SIZE - c->pg);
		struct pat_expect e = pat_exp(off, FID_DATA, 1);
		ssize_t n;

		pattern_fill(c->lb.buf, c->pg, 0, FID_PREFILL, (unsigned int)sc->loop_iter);
		n = pread(c->fd, c->lb.buf, c->pg, (off_t)off);
		if (n != (ssize_t)c->pg) {
			sc_fail(sc, "read returned %zd", n);
			break;
		}
		if (sc_simulate(sc))
			pattern_fill(c->lb.buf, c->pg, 0, FID_PREFILL, (unsigned int)sc->loop_iter);
		sc_check(sc, c->lb.buf, c->pg, &e, "round %lu: the read", sc->loop_iter);
	}
	c->stop = true;
	if (th_ok)
		pthread_join(th, NULL);
	if (fk_ok)
		sc_note(sc, "%lu forks", forker_stop(&fk));
}

void run_thp_collapse(struct sc_ctx *sc)
{
	struct collapse c = {.sc = sc, .pg = sc->env->page, .fd = -1};
	struct layout l = {.kind = L_PTE_MAPPED, .name = "pte-mapped-thp"};
	char why[160];
	int ret;

	c.pmd = (size_t)sc->env->kc.pmd_kb * 1024;
	if (!sc->env->kc.madv_collapse) {
		sc_skip(sc, "MADV_COLLAPSE unsupported (6.1+, THP enabled)");
		return;
	}
	if (!sc_need_dio_align(sc, c.pg))
		return;
	c.fd = sc_open_data_file(sc, "collapse.dat", COLLAPSE_FILE_SIZE);
	if (c.fd < 0)
		return;
	sc_split_duration(sc, sc->mode == MODE_DETERMINISTIC ? 2 : 1);
	for (int v = 0; v < (sc->mode == MODE_DETERMINISTIC ? 2 : 1); v++) {
		if (sc->mode == MODE_DETERMINISTIC)
			sc_sub(sc, v ? "collapse-after-fork" : "collapse-before-fork");
		else
			sc_sub(sc, "collapse-and-fork-threads");
		ret = layout_make(sc->env, &l, c.pg, &c.lb, why, sizeof(why));
		if (ret) {
			if (ret > 0)
				sc_skip(sc, "%s", why);
			else
				sc_fail(sc, "building the THP failed: %d", ret);
			layout_free(&c.lb);
			continue;
		}
		c.region = c.lb.map;
		c.stop = false;
		if (sc->mode == MODE_DETERMINISTIC)
			collapse_det(&c, v == 0);
		else
			collapse_stress(&c);
		sc_pass(sc);
		layout_free(&c.lb);
	}
	sc_note(sc, "MADV_COLLAPSE succeeded %lu of %lu times", c.collapse_ok, c.collapses);
	close(c.fd);
}
