// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #6, #7, #8: io_uring registered buffers (FOLL_WRITE|FOLL_PIN|FOLL_LONGTERM, spec §6)
 * used against a file on the target. The registered pages reach FUSE as ITER_BVEC: the
 * registration's long-term pin is what keeps them coherent (spec §3.3).
 *
 * #6 (cow.c test_iouring_fork): register, fork (child alive), the parent rewrites the buffer,
 *    WRITE_FIXED, read the file back. Correct: the file has the parent's new data, the child
 *    sees the pre-fork contents. Broken: the old contents are written ("Longterm R/W pin is not
 *    reliable").
 * #7 (cow.c test_iouring_ro): register, mprotect(PROT_READ), clear soft-dirty, mprotect(RW),
 *    write, WRITE_FIXED. Correct: file == buffer. Broken: stale data (the write fault COWed away
 *    from the pinned page; before PageAnonExclusive, 5.19).
 * #8: READ_FIXED parked at `reply`, fork while parked; the parent sees the file data after the
 *    CQE and the child the pre-fork contents.
 *
 * #6 and #7 are sequential by nature, so their deterministic mode needs no hold; the stress mode
 * adds a forker thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenarios.h"

#define URING_FILE_SIZE (1u << 20)

/* A ring with @buf registered, the file it does I/O on, and in stress mode a forker beside it. */
struct fixed {
	struct io_uring ring;
	bool ring_ok, registered;
	int fd;
	char *back;
	struct forker fk;
	bool forking;
};

/*
 * Create @name, open it (with O_DIRECT if @direct), register @buf and in stress mode start the
 * forker. Returns 0, or -1 with the failure or skip recorded; fixed_teardown() either way.
 */
static int fixed_setup(struct sc_ctx *sc, struct fixed *fx, char *buf, size_t len, const char *name,
		       bool direct)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	char path[4200];
	int ret;

	memset(fx, 0, sizeof(*fx));
	fx->fd = -1;
	sc_path(sc, path, sizeof(path), name);
	if (!sc_make_file(sc, path, URING_FILE_SIZE, FID_DATA, 1))
		return -1;
	fx->fd = direct ? sc_open_direct(sc, path, O_RDWR) : sc_open(sc, path, O_RDWR);
	if (fx->fd < 0)
		return -1;
	fx->back = map_buffer(len, sc->env->page);
	if (!fx->back || io_uring_queue_init(8, &fx->ring, 0)) {
		sc_skip(sc, "io_uring_queue_init failed");
		return -1;
	}
	fx->ring_ok = true;
	ret = io_uring_register_buffers(&fx->ring, &iov, 1);
	if (ret) {
		sc_skip(sc, "io_uring_register_buffers: %s (RLIMIT_MEMLOCK?)", strerror(-ret));
		return -1;
	}
	fx->registered = true;
	if (sc->mode == MODE_STRESS)
		fx->forking = forker_start(&fx->fk, 100, (int)sc_rand(sc, 2)) == 0;
	return 0;
}

/* Stop the forker (noting its forks) and free what fixed_setup() set up. */
static void fixed_teardown(struct sc_ctx *sc, struct fixed *fx, size_t len)
{
	if (fx->forking)
		sc_note(sc, "%lu forks", forker_stop(&fx->fk));
	if (fx->ring_ok)
		io_uring_queue_exit(&fx->ring);
	if (fx->fd >= 0)
		close(fx->fd);
	unmap_buffer(fx->back, len);
}

static int fixed_io(struct fixed *fx, bool write, char *buf, size_t len, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&fx->ring);
	struct io_uring_cqe *cqe;
	int res;

	if (write)
		io_uring_prep_write_fixed(sqe, fx->fd, buf, (unsigned int)len, off, 0);
	else
		io_uring_prep_read_fixed(sqe, fx->fd, buf, (unsigned int)len, off, 0);
	if (io_uring_submit(&fx->ring) != 1 || io_uring_wait_cqe(&fx->ring, &cqe))
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(&fx->ring, cqe);
	return res;
}

/* Read the file range back and expect the parent's generation @gen. */
static void verify_written(struct sc_ctx *sc, struct fixed *fx, size_t len, uint64_t off,
			   unsigned int gen, const char *what)
{
	struct pat_expect e = pat_exp(off, FID_DATA, gen);

	if (sc_simulate(sc)) {
		/* the spec's "broken" column: the old (pre-modification) contents were written */
		pattern_fill(fx->back, len, 0, FID_PREFILL, gen);
		if (pwrite_full(fx->fd, fx->back, len, (off_t)off) < 0)
			sc_note(sc, "simulate: pwrite failed");
	}
	if (pread_full(fx->fd, fx->back, len, (off_t)off) != (ssize_t)len) {
		sc_fail(sc, "%s: read-back failed", what);
		return;
	}
	sc_check(sc, fx->back, len, &e, "round %lu: %s", sc->loop_iter, what);
}

/* Run @body on a buffer of four pages (the THP matrix #15 runs uring_fork_body on its layouts). */
static void on_four_pages(struct sc_ctx *sc, void (*body)(struct sc_ctx *, char *, size_t))
{
	size_t len = 4 * sc->env->page;
	char *buf = map_buffer(len, sc->env->page);

	if (!buf) {
		sc_fail(sc, "cannot map the buffer");
		return;
	}
	body(sc, buf, len);
	unmap_buffer(buf, len);
}

void uring_fork_body(struct sc_ctx *sc, char *buf, size_t len)
{
	struct fixed fx;

	if (fixed_setup(sc, &fx, buf, len, "uring-fork.dat", false))
		goto out;
	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)(sc->loop_iter & 0xfff) | 1;
		uint64_t off = (sc->loop_iter * len) % (URING_FILE_SIZE - len);
		struct kid k;
		int kpid = 0, ret;

		pattern_fill(buf, len, 0, FID_PREFILL, gen);
		if (sc->mode == MODE_DETERMINISTIC)
			kpid = kid_fork_prefill_observer(&k, buf, len, gen);
		/* the parent rewrites the registered buffer, then writes it out */
		pattern_fill(buf, len, off, FID_DATA, gen);
		ret = fixed_io(&fx, true, buf, len, off);
		if (ret != (int)len)
			sc_fail(sc, "WRITE_FIXED returned %d", ret);
		verify_written(sc, &fx, len, off, gen, "file after WRITE_FIXED");
		if (kpid > 0)
			sc_kid_verdict(sc, &k, "child's view of the registered buffer");
	}
	sc_pass(sc);
out:
	fixed_teardown(sc, &fx, len);
}

void run_uring_fork(struct sc_ctx *sc)
{
	on_four_pages(sc, uring_fork_body);
}

/* Best effort, as in cow.c: the mprotect dance alone already forces the write fault. */
static void clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return;
	w = write(fd, "4", 1);
	(void)w;
	close(fd);
}

static void uring_ro_body(struct sc_ctx *sc, char *buf, size_t len)
{
	struct fixed fx;

	if (fixed_setup(sc, &fx, buf, len, "uring-ro.dat", false))
		goto out;
	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)(sc->loop_iter & 0xfff) | 1;
		uint64_t off = (sc->loop_iter * len) % (URING_FILE_SIZE - len);
		int ret;

		pattern_fill(buf, len, 0, FID_PREFILL, gen);
		if (mprotect(buf, len, PROT_READ)) {
			sc_fail(sc, "mprotect(PROT_READ): %s", strerror(errno));
			break;
		}
		clear_soft_dirty();
		if (mprotect(buf, len, PROT_READ | PROT_WRITE)) {
			sc_fail(sc, "mprotect(PROT_READ|PROT_WRITE): %s", strerror(errno));
			break;
		}
		pattern_fill(buf, len, off, FID_DATA, gen); /* write fault on the pinned page */
		ret = fixed_io(&fx, true, buf, len, off);
		if (ret != (int)len)
			sc_fail(sc, "WRITE_FIXED returned %d", ret);
		verify_written(sc, &fx, len, off, gen, "file after R/O->R/W and WRITE_FIXED");
	}
	sc_pass(sc);
out:
	fixed_teardown(sc, &fx, len);
}

void run_uring_ro(struct sc_ctx *sc)
{
	on_four_pages(sc, uring_ro_body);
}

struct fixed_reader {
	struct fixed *fx;
	char *buf;
	size_t len;
	uint64_t off;
	int ret;
};

static void *read_fixed_thread(void *arg)
{
	struct fixed_reader *fr = arg;

	fr->ret = fixed_io(fr->fx, false, fr->buf, fr->len, fr->off);
	return NULL;
}

static void read_fixed_body(struct sc_ctx *sc, char *buf, size_t len)
{
	struct fixed fx;
	uint64_t ino;

	if (fixed_setup(sc, &fx, buf, len, "uring-read.dat", true))
		goto out;
	ino = fd_ino(fx.fd);
	while (sc_more(sc)) {
		unsigned int gen = (unsigned int)(sc->loop_iter & 0xfff);
		struct fixed_reader fr = {.fx = &fx, .buf = buf, .len = len};
		struct pat_expect e;
		struct kid k;
		pthread_t th;
		int id = -1, kpid = 0;

		fr.off = (sc->loop_iter * len) % (URING_FILE_SIZE - len);
		pattern_fill(buf, len, 0, FID_PREFILL, gen);
		if (sc->mode == MODE_DETERMINISTIC) {
			id = sc_hold(sc, "reply", "read", ino, fr.off, len);
			if (id < 0)
				break;
		}
		if (pthread_create(&th, NULL, read_fixed_thread, &fr)) {
			sc_hold_release(sc, id);
			sc_fail(sc, "cannot start the READ_FIXED thread");
			break;
		}
		if (id > 0) {
			if (!sc_hold_wait(sc, id)) {
				sc_hold_release(sc, id);
				pthread_join(th, NULL);
				break;
			}
			kpid = kid_fork_prefill_observer(&k, buf, len, gen);
			sc_hold_release(sc, id);
		}
		pthread_join(th, NULL);
		if (fr.ret != (int)len)
			sc_fail(sc, "READ_FIXED returned %d", fr.ret);
		if (sc_simulate(sc)) /* went to the child */
			pattern_fill(buf, len, 0, FID_PREFILL, gen);
		e = pat_exp(fr.off, FID_DATA, 1);
		sc_check(sc, buf, len, &e, "round %lu: parent's buffer after READ_FIXED",
			 sc->loop_iter);
		if (kpid > 0)
			sc_kid_verdict(sc, &k, "child's view of the registered buffer");
	}
	sc_pass(sc);
out:
	fixed_teardown(sc, &fx, len);
}

void run_uring_read_fixed(struct sc_ctx *sc)
{
	on_four_pages(sc, read_fixed_body);
}
