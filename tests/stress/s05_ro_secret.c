// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #5: David Hildenbrand's R/O reproducer ("child process storing a secret in the page").
 * The parent O_DIRECT-writes from page P; while the kernel holds P pinned as the write's source
 * and the daemon has not copied it yet, the parent forks, modifies an unrelated part of P, and
 * the child writes a secret into the written range of its P. Correct: the file holds the
 * parent's bytes; never the secret. Broken (mapcount COW reuse before 5.9, FOLL_GET sources):
 * the secret reaches the file (child -> storage leak).
 *
 * Deterministic mode: pinfs's `receive` hold keeps the request queued in the kernel (pins held,
 * data not copied) while fork and both writes happen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenarios.h"

#define RO_FILE_SIZE (1u << 20)

struct ro_run {
	struct sc_ctx *sc;
	char *page;
	size_t psz, half;
	struct written_file f;
	char *back; /* read-back buffer */
	volatile bool stop;
	volatile uint64_t off;
	unsigned long forks;
};

/* simulate_broken: the spec's "broken" column — the child's secret reached the file. */
static void simulate_secret_leak(struct ro_run *r, uint64_t off)
{
	char *tmp = malloc(r->half);

	if (!tmp)
		return;
	pattern_fill(tmp, r->half, off, FID_CHILD, 0);
	if (pwrite(r->f.rfd, tmp, r->half, (off_t)off) < 0)
		sc_note(r->sc, "simulate: pwrite failed");
	free(tmp);
}

static void verify_file(struct ro_run *r, uint64_t off, unsigned int gen)
{
	struct sc_ctx *sc = r->sc;
	struct pat_expect e = pat_exp(off, FID_DATA, gen);
	ssize_t n;

	if (sc_simulate(sc))
		simulate_secret_leak(r, off);
	n = pread_full(r->f.rfd, r->back, r->half, (off_t)off);
	if (n != (ssize_t)r->half) {
		sc_fail(sc, "read-back returned %zd", n);
		return;
	}
	sc_check(sc, r->back, r->half, &e, "round %lu: file after the O_DIRECT write",
		 sc->loop_iter);
}

static void ro_deterministic(struct ro_run *r)
{
	struct sc_ctx *sc = r->sc;

	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)sc->loop_iter + 1;
		uint64_t off = (sc->loop_iter * 8 * r->half) % (RO_FILE_SIZE - r->half);
		struct bg_io io = {.fd = r->f.dfd,
				   .buf = r->page,
				   .len = r->half,
				   .off = (off_t)off,
				   .write = true};
		struct kid_report rep;
		struct kid k;
		int id, kpid;

		pattern_fill(r->page, r->half, off, FID_DATA, gen);
		pattern_fill(r->page + r->half, r->half, r->half, FID_PREFILL, gen);
		id = sc_park_io_at_receive(sc, &io);
		if (id < 0)
			return;
		kpid = kid_fork(&k);
		if (kpid == 0) {
			struct kid_report done = {.ok = 1};

			/* the child stores its secret in the written range of its P */
			pattern_fill(r->page, r->half, off, FID_CHILD, gen);
			kid_report(&k, &done);
			kid_wait_go(&k);
			_exit(0);
		}
		/* the parent modifies an unrelated part of P */
		pattern_fill(r->page + r->half, r->half, r->half, FID_PARENT, gen);
		if (kpid > 0 && kid_read_report(&k, &rep, 5000))
			sc_fail(sc, "the child did not report its secret write");
		sc_hold_release(sc, id);
		if (bg_join(&io) != (ssize_t)r->half)
			sc_fail(sc, "O_DIRECT write returned %zd", io.ret);
		if (kpid > 0)
			kid_reap(&k, 5000);
		verify_file(r, off, gen);
	}
}

static void *secret_forker(void *arg)
{
	struct ro_run *r = arg;

	while (!r->stop) {
		pid_t pid = fork_counted();

		if (pid == 0) {
			pattern_fill(r->page, r->half, r->off, FID_CHILD, 0);
			_exit(0);
		}
		if (pid < 0)
			break;
		waitpid(pid, NULL, 0);
		r->forks++;
		sleep_us(100);
	}
	return NULL;
}

static void *unrelated_writer(void *arg)
{
	struct ro_run *r = arg;
	unsigned int g = 0;

	while (!r->stop) {
		pattern_fill(r->page + r->half, r->half, r->half, FID_PARENT, ++g);
		sleep_us(20);
	}
	return NULL;
}

static void ro_stress(struct ro_run *r)
{
	struct sc_ctx *sc = r->sc;
	pthread_t f, w;
	bool f_ok, w_ok;

	f_ok = pthread_create(&f, NULL, secret_forker, r) == 0;
	w_ok = pthread_create(&w, NULL, unrelated_writer, r) == 0;
	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)(sc->loop_iter & 0xfff) | 1;
		uint64_t off = (sc->loop_iter * 8 * r->half) % (RO_FILE_SIZE - r->half);
		ssize_t n;

		r->off = off;
		pattern_fill(r->page, r->half, off, FID_DATA, gen);
		n = pwrite(r->f.dfd, r->page, r->half, (off_t)off);
		if (n != (ssize_t)r->half) {
			sc_fail(sc, "O_DIRECT write returned %zd", n);
			break;
		}
		verify_file(r, off, gen);
	}
	r->stop = true;
	if (f_ok)
		pthread_join(f, NULL);
	if (w_ok)
		pthread_join(w, NULL);
	sc_note(sc, "%lu forks", r->forks);
}

void run_ro_secret(struct sc_ctx *sc)
{
	struct ro_run r = {.sc = sc, .psz = sc->env->page, .f = WRITTEN_FILE_CLOSED};

	r.half = r.psz / 2;
	r.page = map_buffer(r.psz, r.psz);
	r.back = map_buffer(r.psz, r.psz);
	if (!r.page || !r.back || !sc_need_dio_align(sc, r.half))
		goto out;
	if (written_file_open(sc, &r.f, "ro.dat", RO_FILE_SIZE, 1))
		goto out;
	if (sc->mode == MODE_DETERMINISTIC)
		ro_deterministic(&r);
	else
		ro_stress(&r);
	sc_pass(sc);
out:
	written_file_close(&r.f);
	unmap_buffer(r.page, r.psz);
	unmap_buffer(r.back, r.psz);
}
