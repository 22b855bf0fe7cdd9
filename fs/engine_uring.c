// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The uring engine (engine.h): the data path's backing syscalls go through
 * one io_uring per worker thread. The buffer arena is registered with each
 * ring as fixed buffer 0 (a long-term pin on every page, recorded as
 * PIN_LONGTERM), so I/O on arena pages is READ_FIXED/WRITE_FIXED: the kernel
 * uses the registered pages and pins nothing per request, and the ledger sees
 * the pages listed (a BVEC), as spec §3.3 says of registered buffers. Other
 * buffers use plain READ/WRITE.
 *
 * Batching: a READ whose O_DIRECT read goes straight into registered pages
 * can be queued instead (read_queue()); loop.c's worker then takes the next
 * request if one is already waiting, and issues every queued read in one
 * io_uring_enter() (flush()) once none is, before anything else, or when
 * BATCH_MAX are queued. So with many READs in flight (fio QD32) one submit
 * and one wait serve several requests.
 *
 * A thread whose ring cannot be set up (io_uring unavailable, or the
 * registration refused by RLIMIT_MEMLOCK) uses pread/pwrite instead; the
 * daemon says so once on stderr and never fails the mount for it.
 */
#include <errno.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinit/arena.h>

#include "buffers.h"
#include "datapath.h"
#include "dio.h"
#include "engine.h"

#define BATCH_MAX 16
#define RING_DEPTH (2 * BATCH_MAX)

struct uring_thread {
	struct io_uring ring;
	struct arena *registered;	/* arena registered with the ring, or NULL */
	bool ready;
	bool failed;
	unsigned int queued;		/* reads prepared by read_queue(), not yet reaped */
};

static __thread struct uring_thread ut;
static atomic_bool fallback_reported;

static void report_fallback(const char *what, int err)
{
	if (!atomic_exchange(&fallback_reported, true))
		fprintf(stderr, "pinfs: engine=uring: %s failed (%s); using the sync engine\n",
			what, strerror(-err));
}

/* The calling thread's ring, set up on first use; false: use the sync engine. */
static bool ring_ready(void)
{
	struct arena *a = buffers_arena();
	int err;

	if (ut.ready || ut.failed)
		return ut.ready;
	err = io_uring_queue_init(RING_DEPTH, &ut.ring, 0);
	if (err) {
		ut.failed = true;
		report_fallback("io_uring_queue_init", err);
		return false;
	}
	if (a) {
		err = arena_register_uring(a, &ut.ring);
		if (err) {
			io_uring_queue_exit(&ut.ring);
			ut.failed = true;
			report_fallback("registering the buffer arena", err);
			return false;
		}
		ut.registered = a;
	}
	ut.ready = true;
	return true;
}

static bool in_registered(const void *buf, size_t len)
{
	return ut.registered && arena_contains(ut.registered, buf, len);
}

static void uring_flush(void);

static ssize_t ring_rw(int fd, void *buf, size_t len, off_t pos, bool write)
{
	bool fixed = in_registered(buf, len);
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	ssize_t res;
	int err;

	uring_flush();	/* the CQE reaped below is then this one's */
	sqe = io_uring_get_sqe(&ut.ring);
	if (!sqe)
		return -EBUSY;
	if (write && fixed)
		io_uring_prep_write_fixed(sqe, fd, buf, len, pos, 0);
	else if (write)
		io_uring_prep_write(sqe, fd, buf, len, pos);
	else if (fixed)
		io_uring_prep_read_fixed(sqe, fd, buf, len, pos, 0);
	else
		io_uring_prep_read(sqe, fd, buf, len, pos);
	io_uring_sqe_set_data(sqe, NULL);
	err = io_uring_submit_and_wait(&ut.ring, 1);
	if (err < 0)
		return err;
	do {
		err = io_uring_wait_cqe(&ut.ring, &cqe);
	} while (err == -EINTR);
	if (err)
		return err;
	res = cqe->res;
	io_uring_cqe_seen(&ut.ring, cqe);
	return res;
}

static ssize_t uring_read(int fd, void *buf, size_t len, off_t pos)
{
	if (!ring_ready())
		return engine_sync.read(fd, buf, len, pos);
	return ring_rw(fd, buf, len, pos, false);
}

static ssize_t uring_write(int fd, const void *buf, size_t len, off_t pos)
{
	if (!ring_ready())
		return engine_sync.write(fd, buf, len, pos);
	return ring_rw(fd, (void *)buf, len, pos, true);
}

static bool uring_registered(const void *buf, size_t len)
{
	return ring_ready() && in_registered(buf, len);
}

static bool uring_read_queue(struct pinfs_file *f, struct iov_iter *to, off_t pos,
			     struct engine_op *op)
{
	struct io_uring_sqe *sqe;

	if (ut.queued >= BATCH_MAX || !ring_ready() ||
	    !datapath_read_plan(f, to, pos, &op->plan))
		return false;
	sqe = io_uring_get_sqe(&ut.ring);
	if (!sqe)
		return false;
	io_uring_prep_read_fixed(sqe, op->plan.fd, op->plan.buf, op->plan.span, op->plan.start, 0);
	io_uring_sqe_set_data(sqe, op);
	op->f = f;
	op->to = to;
	op->pos = pos;
	ut.queued++;
	return true;
}

/*
 * Submit the queued reads and wait for all of them, then finish each. The
 * kernel writes into their pages until their CQEs arrive, so there is no
 * giving up half-way: a ring that fails to deliver them is a broken daemon.
 */
static void uring_flush(void)
{
	struct engine_op *ops[BATCH_MAX];
	ssize_t res[BATCH_MAX];
	unsigned int n = 0, want = ut.queued;
	int err;

	if (!want)
		return;
	err = io_uring_submit_and_wait(&ut.ring, want);
	if (err < 0 && err != -EINTR) {
		fprintf(stderr, "pinfs: engine=uring: submitting %u reads: %s\n", want,
			strerror(-err));
		abort();
	}
	while (n < want) {
		struct io_uring_cqe *cqe;

		err = io_uring_wait_cqe(&ut.ring, &cqe);
		if (err == -EINTR || err == -EAGAIN)
			continue;
		if (err) {
			fprintf(stderr, "pinfs: engine=uring: waiting for reads: %s\n",
				strerror(-err));
			abort();
		}
		ops[n] = io_uring_cqe_get_data(cqe);
		res[n++] = cqe->res;
		io_uring_cqe_seen(&ut.ring, cqe);
	}
	ut.queued = 0;
	stats_count_batch(want);
	for (unsigned int k = 0; k < n; k++) {
		struct engine_op *op = ops[k];

		op->done(op, datapath_read_done(op->f, op->to, op->pos, &op->plan, res[k]));
	}
}

static unsigned int uring_queued(void)
{
	return ut.queued;
}

/* Drop the ring and its long-term pins before the thread goes. */
static void uring_thread_exit(void)
{
	if (!ut.ready)
		return;
	uring_flush();
	if (ut.registered)
		arena_unregister_uring(ut.registered, &ut.ring);
	io_uring_queue_exit(&ut.ring);
	ut = (struct uring_thread){ 0 };
}

const struct pinfs_engine engine_uring = {
	.kind = ENGINE_URING,
	.open = dio_open,
	.release = dio_release,
	.read_iter = datapath_read,
	.write_iter = datapath_write,
	.read = uring_read,
	.write = uring_write,
	.registered = uring_registered,
	.thread_exit = uring_thread_exit,
	.read_queue = uring_read_queue,
	.flush = uring_flush,
	.queued = uring_queued,
};
