// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #26: the payload buffers of FUSE over io_uring, and a forking daemon. The kernel
 * copies every request into a ring entry's payload buffer and every reply out of it, through
 * the daemon's own memory (spec §3.4); the buffers live as long as the ring. It needs pinfs with
 * --control mounted with -o transport=uring on a kernel that grants the ring (its stats then
 * show a "transport" object named "uring"); otherwise each mode is a SKIP that says so.
 *
 * stress: the daemon forks in a loop (`forker on`) while application threads stream verified
 *   O_DIRECT and buffered writes and O_DIRECT reads through the mount, so every request and
 *   reply crosses a payload buffer while children come and go. Correct: exact data.
 * deterministic: a WRITE is parked at `data` (its payload lies in a ring entry, not yet
 *   written); the daemon forks a child that searches what it inherited for a piece of that
 *   payload (`forkprobe`, docs/control.md). Correct: the child cannot see it, because the
 *   buffers are MADV_DONTFORK. Broken: the application's data in a process that never read it,
 *   a leak (libfuse's own ring buffers are not DONTFORK, spec §3.4). The write is then let go
 *   and the file verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios.h"

#define R_FILE_SIZE (2u << 20)
#define R_BLOCK (8u << 10)
#define R_THREADS 4
#define R_FORKER_INTERVAL_US 50
/* The piece of the parked payload the daemon's child looks for. */
#define NEEDLE_LEN 64

struct rwork {
	struct sc_ctx *sc;
	char path[4200];
	unsigned short gen[R_FILE_SIZE / R_BLOCK];	/* what each block holds */
};

/* Requests pinfs served over its ring so far, or -1 when it serves none (no ring). */
static double ring_requests(struct sc_ctx *sc)
{
	struct ctl_stats st;

	if (ctl_stats(sc->ctl, &st) || strcmp(st.transport.name, "uring"))
		return -1;
	return (double)st.transport.requests;
}

/* Skip unless the requests of this mount reach pinfs over its io_uring ring. */
static bool ring_used(struct sc_ctx *sc, struct rwork *w)
{
	double before = ring_requests(sc);
	char buf[4096];
	int fd = open(w->path, O_RDONLY | O_CLOEXEC);
	bool used;

	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (pread(fd, buf, sizeof(buf), 0) < 0)
			sc_fail(sc, "probe read failed: %s", strerror(errno));
		close(fd);
	}
	used = before >= 0 && ring_requests(sc) > before;
	if (!used)
		sc_skip(sc, "pinfs does not serve this mount over FUSE-over-io_uring (pinfs: -o "
			    "transport=uring, on Linux 6.14+ with the fuse module's enable_uring on)");
	return used;
}

/* One verified operation on block @b by worker @k (block b belongs to worker b % R_THREADS). */
static bool one_op(struct sc_worker *k, int rfd, int wfd, unsigned int b, char *buf, char *back)
{
	struct rwork *w = k->work;
	uint64_t off = (uint64_t)b * R_BLOCK;
	unsigned int g = (w->gen[b] + 1) & 0xfff;
	struct pat_mismatch m;
	struct pat_expect e;
	char desc[256];

	if (g < 2)
		g = 2;
	pattern_fill(buf, R_BLOCK, off, FID_DATA, g);
	if (pwrite_full(wfd, buf, R_BLOCK, (off_t)off) != R_BLOCK) {
		snprintf(k->fail, sizeof(k->fail), "write of block %u failed: %s", b,
			 strerror(errno));
		return false;
	}
	w->gen[b] = (unsigned short)g;
	if (pread_full(rfd, back, R_BLOCK, (off_t)off) != R_BLOCK) {
		snprintf(k->fail, sizeof(k->fail), "read of block %u failed: %s", b,
			 strerror(errno));
		return false;
	}
	e = pat_exp(off, FID_DATA, g);
	if (!pattern_check(back, R_BLOCK, &e, &m)) {
		snprintf(k->fail, sizeof(k->fail), "block %u after a%s write: %s", b,
			 k->idx & 1 ? " buffered" : "n O_DIRECT",
			 pattern_describe(&m, &e, desc, sizeof(desc)));
		return false;
	}
	return true;
}

static void worker_main(struct sc_worker *k)
{
	struct rwork *w = k->work;
	char *buf = map_buffer(R_BLOCK, k->sc->env->page);
	char *back = map_buffer(R_BLOCK, k->sc->env->page);
	int wfd = open(w->path, O_RDWR | O_CLOEXEC | (k->idx & 1 ? 0 : O_DIRECT));
	int rfd = open(w->path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	unsigned int x = (unsigned int)k->idx * 2654435761u + 1;

	if (!buf || !back || wfd < 0 || rfd < 0) {
		snprintf(k->fail, sizeof(k->fail), "worker setup failed: %s", strerror(errno));
		goto out;
	}
	while (sc_worker_more(k)) {
		unsigned int b;

		x = xorshift32(x);
		b = (x % (R_FILE_SIZE / R_BLOCK / R_THREADS)) * R_THREADS + (unsigned int)k->idx;
		if (!one_op(k, rfd, wfd, b, buf, back))
			break;
		k->ops++;
	}
out:
	if (wfd >= 0)
		close(wfd);
	if (rfd >= 0)
		close(rfd);
	unmap_buffer(buf, R_BLOCK);
	unmap_buffer(back, R_BLOCK);
}

static void stress_workload(struct rwork *w)
{
	unsigned long ops = sc_run_workers(w->sc, R_THREADS, worker_main, w, "worker");

	sc_note(w->sc, "%lu verified operations over the ring", ops);
}

/*
 * `forkprobe`: does a child the daemon forks now see @needle? Returns 1 (and where), 0, or -1
 * after recording a failure.
 */
static int child_sees(struct sc_ctx *sc, const unsigned char *needle, char *where, size_t wlen)
{
	bool visible = false;
	int err = ctl_forkprobe(sc->ctl, needle, NEEDLE_LEN, &visible, where, wlen);

	if (err) {
		sc_fail(sc, "pinfs `forkprobe` failed: %s", strerror(-err));
		return -1;
	}
	return visible;
}

static void det_workload(struct rwork *w)
{
	struct sc_ctx *sc = w->sc;
	char *buf = map_buffer(R_BLOCK, sc->env->page);
	char *back = map_buffer(R_BLOCK, sc->env->page);
	int fd = sc_open_direct(sc, w->path, O_RDWR);

	while (fd >= 0 && buf && back && sc_more(sc)) {
		unsigned int b = (unsigned int)sc->loop_iter * 5 % (R_FILE_SIZE / R_BLOCK);
		unsigned int g = (unsigned int)sc->loop_iter + 2;
		uint64_t off = (uint64_t)b * R_BLOCK;
		struct bg_io io = { .fd = fd, .buf = buf, .len = R_BLOCK, .off = (off_t)off,
				    .write = true };
		struct pat_expect e = pat_exp(off, FID_DATA, g);
		char where[512] = "";
		int id, seen;

		pattern_fill(buf, R_BLOCK, off, FID_DATA, g);
		id = sc_park_io(sc, "data", "write", &io);
		if (id < 0)
			break;
		/* The payload is in a ring entry now: what does a child of the daemon get? */
		seen = child_sees(sc, (unsigned char *)buf + R_BLOCK / 2, where, sizeof(where));
		if (seen > 0)
			sc_fail(sc, "round %lu: leak: a child the daemon forked holds the payload of "
				    "the parked WRITE (block %u, gen %u) in the mapping %s",
				sc->loop_iter, b, g, where);
		sc_hold_release(sc, id);
		if (bg_join(&io) != R_BLOCK)
			sc_fail(sc, "parked write returned %zd", io.ret);
		memset(back, 0, R_BLOCK);
		if (pread_full(fd, back, R_BLOCK, (off_t)off) != R_BLOCK)
			sc_fail(sc, "read back of block %u failed: %s", b, strerror(errno));
		else
			sc_check(sc, back, R_BLOCK, &e, "round %lu: block %u after the parked write",
				 sc->loop_iter, b);
		if (seen < 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	unmap_buffer(buf, R_BLOCK);
	unmap_buffer(back, R_BLOCK);
}

void run_daemon_ring(struct sc_ctx *sc)
{
	struct rwork *w = calloc(1, sizeof(*w));

	if (!w) {
		sc_fail(sc, "out of memory");
		return;
	}
	w->sc = sc;
	sc_path(sc, w->path, sizeof(w->path), "ring.dat");
	if (!sc_make_file(sc, w->path, R_FILE_SIZE, FID_DATA, 1))
		goto out;
	for (size_t b = 0; b < R_FILE_SIZE / R_BLOCK; b++)
		w->gen[b] = 1;
	if (!ring_used(sc, w))
		goto out;
	if (sc->mode == MODE_DETERMINISTIC) {
		det_workload(w);
	} else {
		if (ctl_forker(sc->ctl, true, R_FORKER_INTERVAL_US, NULL)) {
			sc_fail(sc, "pinfs refused `forker on`");
			goto out;
		}
		stress_workload(w);
		daemon_forker_off(sc->ctl);
	}
	sc_pass(sc);
out:
	free(w);
}
