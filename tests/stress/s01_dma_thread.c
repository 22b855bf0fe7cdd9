// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #1 and #2: the dma_thread_diotest setting (LTP, after Andrea Arcangeli's 2008
 * fork-o_direct-race). Reader threads O_DIRECT-read one slice each into a shared buffer while a
 * thread forks in a loop. #2 starts the buffer at page + 512, so every page is shared by two
 * readers. Correct: every byte equals the file pattern. Broken (FOLL_GET DIO, FUSE before 6.9):
 * runs of the buffer's old contents inside a page, because the read went to the page the child
 * got.
 *
 * Deterministic mode: pinfs parks one read at `reply` (the application's page pinned by the
 * kernel, data not yet copied). Then the parent forks a child and writes the bytes of the same
 * page outside the read range. After release: the read range holds file data, the parent's bytes
 * are intact, and the child still sees the page as it was at fork (no parent->child leak).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scenarios.h"

#define DMA_FILE_SIZE (4u << 20)
#define DMA_THREADS 16u

struct dma_run {
	struct sc_ctx *sc;
	const struct dma_args *a;
	size_t psz;
	int fd;
	pthread_barrier_t start, done;
	volatile bool stop;
	uint64_t base; /* file offset of slice 0 this round */
	ssize_t ret[64];
	pthread_t th[64];
	struct reader_arg {
		struct dma_run *r;
		unsigned int i;
	} arg[64];
};

static char *slice_addr(const struct dma_run *r, unsigned int i)
{
	return r->a->buf + r->a->misalign + (size_t)i * r->psz;
}

static void *reader(void *arg)
{
	struct reader_arg *ra = arg;
	struct dma_run *r = ra->r;
	unsigned int i = ra->i;

	for (;;) {
		ssize_t n;

		pthread_barrier_wait(&r->start);
		if (r->stop)
			return NULL;
		n = pread(r->fd, slice_addr(r, i), r->psz, (off_t)(r->base + (uint64_t)i * r->psz));
		r->ret[i] = n < 0 ? -errno : n;
		pthread_barrier_wait(&r->done);
	}
}

/* simulate_broken: the spec's "broken" column — the data went to the child's page. */
static void simulate_lost_read(struct dma_run *r, unsigned int i, unsigned int gen)
{
	char *s = slice_addr(r, i);
	size_t in_page = r->psz - ((uintptr_t)s % r->psz);

	pattern_fill(s, in_page, (uint64_t)(s - r->a->buf), FID_PREFILL, gen);
}

static void dma_stress(struct dma_run *r)
{
	struct sc_ctx *sc = r->sc;
	const struct dma_args *a = r->a;
	unsigned int n = a->nthreads, started = 0;
	uint64_t span = (uint64_t)n * r->psz;
	struct forker fk;
	unsigned int gen = 0;

	if (pthread_barrier_init(&r->start, NULL, n + 1) ||
	    pthread_barrier_init(&r->done, NULL, n + 1)) {
		sc_fail(sc, "pthread_barrier_init failed");
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		r->arg[i].r = r;
		r->arg[i].i = i;
		if (pthread_create(&r->th[i], NULL, reader, &r->arg[i]))
			break;
		started++;
	}
	if (started < n) {
		sc_fail(sc, "could not start %u reader threads", n);
		r->stop = true;
		n = started;
		goto join;
	}
	if (forker_start(&fk, 100, (int)sc_rand(sc, 2))) {
		sc_fail(sc, "cannot start the forker thread");
		r->stop = true;
		goto join;
	}
	while (sc_more(sc)) {
		gen = (gen + 1) & 0xfff;
		r->base = ((uint64_t)sc->loop_iter * span) % (DMA_FILE_SIZE - span);
		pattern_fill(a->buf, a->buflen, 0, FID_PREFILL, gen);
		pthread_barrier_wait(&r->start);
		pthread_barrier_wait(&r->done);
		if (sc_simulate(sc))
			simulate_lost_read(r, n / 2, gen);
		for (unsigned int i = 0; i < n; i++) {
			uint64_t off = r->base + (uint64_t)i * r->psz;
			struct pat_expect e = pat_exp(off, FID_DATA, 1);

			if (r->ret[i] != (ssize_t)r->psz) {
				sc_fail(sc, "reader %u: pread returned %zd", i, r->ret[i]);
				break;
			}
			if (!sc_check(sc, slice_addr(r, i), r->psz, &e, "round %lu reader %u",
				      sc->loop_iter, i))
				break;
		}
	}
	sc_note(sc, "%lu forks", forker_stop(&fk));
	r->stop = true;
join:
	pthread_barrier_wait(&r->start);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(r->th[i], NULL);
	pthread_barrier_destroy(&r->start);
	pthread_barrier_destroy(&r->done);
}

static void dma_deterministic(struct dma_run *r)
{
	struct sc_ctx *sc = r->sc;
	const struct dma_args *a = r->a;

	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)sc->loop_iter;
		unsigned int i = 1; /* a slice with neighbours on both sides */
		char *s = slice_addr(r, i);
		char *pg = (char *)((uintptr_t)s & ~(uintptr_t)(r->psz - 1));
		char *end_pg =
			(char *)((uintptr_t)(s + r->psz + r->psz - 1) & ~(uintptr_t)(r->psz - 1));
		uint64_t off = (uint64_t)sc->loop_iter * 16 * r->psz;
		struct bg_io io = {.fd = r->fd, .buf = s, .len = r->psz, .off = (off_t)off};
		struct pat_expect e;
		struct kid k;
		int id, kpid;

		pattern_fill(a->buf, a->buflen, 0, FID_PREFILL, gen);
		id = sc_park_io(sc, "reply", "read", &io);
		if (id < 0)
			return;
		/* the child's view must still be the prefill after the parent's go */
		kpid = a->child_may_touch ? kid_fork_prefill_observer(&k, a->buf, a->buflen, gen) : 0;
		/* parent: write the bytes of the read's pages that lie outside the read range */
		pattern_fill(pg, (size_t)(s - pg), (uint64_t)(pg - a->buf), FID_PARENT, gen);
		pattern_fill(s + r->psz, (size_t)(end_pg - (s + r->psz)),
			     (uint64_t)(s + r->psz - a->buf), FID_PARENT, gen);
		sc_hold_release(sc, id);
		if (bg_join(&io) != (ssize_t)r->psz)
			sc_fail(sc, "held pread returned %zd", io.ret);
		if (sc_simulate(sc))
			simulate_lost_read(r, i, gen);
		e = pat_exp(off, FID_DATA, 1);
		sc_check(sc, s, r->psz, &e, "round %lu: the held read", sc->loop_iter);
		e = pat_exp((uint64_t)(pg - a->buf), FID_PARENT, gen);
		sc_check(sc, pg, (size_t)(s - pg), &e, "round %lu: parent bytes before the read",
			 sc->loop_iter);
		e = pat_exp((uint64_t)(s + r->psz - a->buf), FID_PARENT, gen);
		sc_check(sc, s + r->psz, (size_t)(end_pg - (s + r->psz)), &e,
			 "round %lu: parent bytes after the read", sc->loop_iter);
		if (kpid > 0)
			sc_kid_verdict(sc, &k, "child's view of the buffer after fork");
	}
}

void dma_body(struct sc_ctx *sc, const struct dma_args *a)
{
	struct dma_run r = {.sc = sc, .a = a, .psz = sc->env->page, .fd = -1};

	if (!sc_need_dio_align(sc, a->misalign ? a->misalign : r.psz))
		return;
	r.fd = sc_open_data_file(sc, "dma.dat", DMA_FILE_SIZE);
	if (r.fd < 0)
		return;
	if (sc->mode == MODE_DETERMINISTIC)
		dma_deterministic(&r);
	else
		dma_stress(&r);
	sc_pass(sc);
	close(r.fd);
}

static void run_dma(struct sc_ctx *sc, size_t misalign)
{
	size_t psz = sc->env->page;
	struct dma_args a = {
		.misalign = misalign, .nthreads = DMA_THREADS, .child_may_touch = true};

	a.buflen = (a.nthreads + 1) * psz;
	a.buf = map_buffer(a.buflen, psz);
	if (!a.buf) {
		sc_fail(sc, "cannot map the buffer");
		return;
	}
	dma_body(sc, &a);
	unmap_buffer(a.buf, a.buflen);
}

void run_dma_aligned(struct sc_ctx *sc)
{
	run_dma(sc, 0);
}

void run_dma_unaligned(struct sc_ctx *sc)
{
	run_dma(sc, 512);
}
