// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #3 and #4: David Hildenbrand's R/W reproducer ("parent modifies an unrelated part …
 * the data read from the device will be lost"). Thread A O_DIRECT-reads half a page into the
 * first half of page P; thread B forks (the child later compares P with its pre-fork copy);
 * thread C writes the second half of P. Correct: first half = file data, second half = C's data,
 * the child's view = P as it was at fork. Broken (FOLL_GET): the first half stays stale in the
 * parent, and the file data shows up in the child (parent->child leak).
 * #4 is the same with an asynchronous read (io_uring IORING_OP_READ): the FUSE pins are held
 * until the daemon replies, the widest window (spec §3.3).
 *
 * Deterministic mode: the read is parked at `reply`; fork, C's write (and for #4 the child's
 * exit) happen while it is parked.
 */
#include <errno.h>
#include <stdio.h>
#include <liburing.h>
#include <string.h>
#include <unistd.h>

#include "scenarios.h"

#define RW_FILE_SIZE (1u << 20)

struct rw_run {
	struct sc_ctx *sc;
	const struct rw_args *a;
	size_t psz, half;
	int fd;
	struct io_uring ring;
	bool ring_ok;
	/* stress threads */
	volatile bool stop;
	volatile unsigned int c_gen; /* the generation thread C wrote last */
	char *snap; /* the child's pre-fork copy (allocated before forking) */
	pthread_mutex_t lock;
	char b_fail[SC_DETAIL_LEN]; /* thread B's first finding, reported by the main thread */
	unsigned long b_forks;
};

/* Start the read of the first half; async: submit only. Returns 0 or -errno. */
static int read_start(struct rw_run *r, struct bg_io *io, uint64_t off)
{
	struct io_uring_sqe *sqe;

	if (!r->a->async) {
		*io = (struct bg_io){
			.fd = r->fd, .buf = r->a->page, .len = r->half, .off = (off_t)off};
		return bg_start(io);
	}
	sqe = io_uring_get_sqe(&r->ring);
	io_uring_prep_read(sqe, r->fd, r->a->page, (unsigned int)r->half, off);
	return io_uring_submit(&r->ring) == 1 ? 0 : -EIO;
}

static ssize_t read_finish(struct rw_run *r, struct bg_io *io)
{
	struct io_uring_cqe *cqe;
	ssize_t ret;

	if (!r->a->async)
		return bg_join(io);
	if (io_uring_wait_cqe(&r->ring, &cqe))
		return -EIO;
	ret = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	return ret;
}

/* simulate_broken: the spec's "broken" column — the read went to the child's copy of P. */
static void simulate_lost(struct rw_run *r, unsigned int gen)
{
	pattern_fill(r->a->page, r->half, 0, FID_PREFILL, gen);
}

static void check_page(struct rw_run *r, uint64_t off, unsigned int prefill_gen, unsigned int c_gen)
{
	struct sc_ctx *sc = r->sc;
	struct pat_expect e = pat_exp(off, FID_DATA, 1);

	if (sc_simulate(sc))
		simulate_lost(r, prefill_gen);
	sc_check(sc, r->a->page, r->half, &e, "round %lu: first half (the read)", sc->loop_iter);
	e = pat_exp(r->half, FID_PARENT, c_gen);
	sc_check(sc, r->a->page + r->half, r->half, &e, "round %lu: second half (thread C)",
		 sc->loop_iter);
}

static void rw_deterministic(struct rw_run *r)
{
	struct sc_ctx *sc = r->sc;
	uint64_t ino = fd_ino(r->fd);

	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)sc->loop_iter;
		uint64_t off = (sc->loop_iter * 8 * r->half) % (RW_FILE_SIZE - r->half);
		struct bg_io io;
		struct kid k = {0};
		int id, kpid = 0;
		ssize_t got;

		pattern_fill(r->a->page, r->psz, 0, FID_PREFILL, gen);
		id = sc_hold(sc, "reply", "read", ino, off, r->half);
		if (id < 0)
			return;
		if (read_start(r, &io, off)) {
			sc_hold_release(sc, id);
			sc_fail(sc, "cannot start the read");
			return;
		}
		if (!sc_hold_wait(sc, id)) {
			sc_hold_release(sc, id);
			read_finish(r, &io);
			return;
		}
		/* B's child: P must stay what it was at fork */
		if (r->a->child_may_touch)
			kpid = kid_fork_prefill_observer(&k, r->a->page, r->psz, gen);
		/* thread C: the unrelated second half */
		pattern_fill(r->a->page + r->half, r->half, r->half, FID_PARENT, gen);
		if (r->a->async && kpid > 0) /* #4: the child exits before the release */
			sc_kid_verdict(sc, &k, "child's view of P after fork");
		sc_hold_release(sc, id);
		got = read_finish(r, &io);
		if (got != (ssize_t)r->half)
			sc_fail(sc, "held read returned %zd", got);
		check_page(r, off, gen, gen);
		if (!r->a->async && kpid > 0)
			sc_kid_verdict(sc, &k, "child's view of P after fork");
	}
}

static void *thread_c(void *arg)
{
	struct rw_run *r = arg;

	while (!r->stop) {
		unsigned int g = (r->c_gen + 1) & 0xfff;

		pattern_fill(r->a->page + r->half, r->half, r->half, FID_PARENT, g);
		r->c_gen = g;
		sleep_us(20);
	}
	return NULL;
}

/* Thread B: fork; the child snapshots P at birth and later checks that it never changed. */
static void *thread_b(void *arg)
{
	struct rw_run *r = arg;
	unsigned int x = 2463534242u;

	while (!r->stop) {
		struct kid k;
		struct kid_report rep;
		int kpid = kid_fork(&k);

		if (kpid == 0) {
			memcpy(r->snap, r->a->page, r->psz);
			kid_wait_go(&k);
			kid_check_unchanged(&k, r->a->page, r->snap, r->psz, 0);
			_exit(0);
		}
		if (kpid < 0)
			break;
		x = xorshift32(x);
		sleep_us(50 + x % 150); /* the child lives a little while after fork */
		kid_go(&k);
		if (kid_read_report(&k, &rep, 10000) == 0 && rep.ok == 0) {
			struct pat_expect none = {.observer_child = true};
			char desc[256];

			pthread_mutex_lock(&r->lock);
			if (!r->b_fail[0])
				snprintf(r->b_fail, sizeof(r->b_fail),
					 "child's view of P changed after fork: %s",
					 pattern_describe(&rep.m, &none, desc, sizeof(desc)));
			pthread_mutex_unlock(&r->lock);
		}
		kid_reap(&k, 5000);
		r->b_forks++;
	}
	return NULL;
}

static void rw_stress(struct rw_run *r)
{
	struct sc_ctx *sc = r->sc;
	pthread_t b, c;
	bool b_ok = false, c_ok;
	unsigned int gen = 0;

	pattern_fill(r->a->page, r->half, 0, FID_PREFILL, 0);
	pattern_fill(r->a->page + r->half, r->half, r->half, FID_PARENT, 0); /* C's gen 0 */
	r->c_gen = 0;
	c_ok = pthread_create(&c, NULL, thread_c, r) == 0;
	if (r->a->child_may_touch)
		b_ok = pthread_create(&b, NULL, thread_b, r) == 0;
	while (sc_more(sc)) {
		uint64_t off = (sc->loop_iter * 8 * r->half) % (RW_FILE_SIZE - r->half);
		struct pat_expect e = pat_exp(off, FID_DATA, 1);
		struct bg_io io;
		ssize_t got;

		gen = (gen + 1) & 0xfff;
		pattern_fill(r->a->page, r->half, 0, FID_PREFILL, gen);
		if (read_start(r, &io, off)) {
			sc_fail(sc, "cannot start the read");
			break;
		}
		got = read_finish(r, &io);
		if (got != (ssize_t)r->half) {
			sc_fail(sc, "read returned %zd", got);
			break;
		}
		if (sc_simulate(sc))
			simulate_lost(r, gen);
		sc_check(sc, r->a->page, r->half, &e, "round %lu: first half (the read)",
			 sc->loop_iter);
	}
	r->stop = true;
	if (b_ok)
		pthread_join(b, NULL);
	if (c_ok) {
		struct pat_expect e;

		pthread_join(c, NULL);
		e = pat_exp(r->half, FID_PARENT, r->c_gen);
		sc_check(sc, r->a->page + r->half, r->half, &e, "second half (thread C)");
	}
	if (r->b_fail[0])
		sc_fail(sc, "%s", r->b_fail);
	sc_note(sc, "%lu forks", r->b_forks);
}

void rw_body(struct sc_ctx *sc, const struct rw_args *a)
{
	struct rw_run r = {
		.sc = sc, .a = a, .psz = sc->env->page, .half = sc->env->page / 2, .fd = -1};

	pthread_mutex_init(&r.lock, NULL);
	r.snap = map_buffer(r.psz, r.psz);
	if (!r.snap || !sc_need_dio_align(sc, r.half))
		goto out;
	r.fd = sc_open_data_file(sc, "rw.dat", RW_FILE_SIZE);
	if (r.fd < 0)
		goto out;
	if (a->async) {
		if (io_uring_queue_init(8, &r.ring, 0)) {
			sc_skip(sc, "io_uring_queue_init failed");
			goto out;
		}
		r.ring_ok = true;
	}
	if (sc->mode == MODE_DETERMINISTIC)
		rw_deterministic(&r);
	else
		rw_stress(&r);
	sc_pass(sc);
out:
	if (r.ring_ok)
		io_uring_queue_exit(&r.ring);
	if (r.fd >= 0)
		close(r.fd);
	unmap_buffer(r.snap, r.psz);
	pthread_mutex_destroy(&r.lock);
}

static void run_rw(struct sc_ctx *sc, bool async)
{
	struct rw_args a = {.async = async, .child_may_touch = true};

	a.page = map_buffer(sc->env->page, sc->env->page);
	if (!a.page) {
		sc_fail(sc, "cannot map P");
		return;
	}
	rw_body(sc, &a);
	unmap_buffer(a.page, sc->env->page);
}

void run_rw_sync(struct sc_ctx *sc)
{
	run_rw(sc, false);
}

void run_rw_async(struct sc_ctx *sc)
{
	run_rw(sc, true);
}
