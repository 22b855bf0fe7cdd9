// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * READ and WRITE: every byte moves through a libpinit iterator.
 *
 * READ: the request gets its own run of arena pages, placed so that the data
 * starts at pos % PAGE_SIZE (as in a page cache), which lets an O_DIRECT read
 * of the aligned span land in place. The engine fills an ITER_DEST BVEC over
 * them; the reply is sent from them, and they go back to the arena only after
 * the reply call returned. A request that came over the io_uring ring is read
 * into its entry's payload instead, from its first byte (an O_DIRECT read lands
 * there when pos is aligned), and committed from there without a copy. In
 * splice mode the engine fills a DEST PIPE iterator from the backing file
 * instead, and the reply is spliced from it.
 *
 * WRITE: the engine drains an ITER_SOURCE iterator over the payload libfuse
 * received (UBUF over the worker's page-aligned receive buffer, or PIPE in
 * splice mode). The reply is sent only after the backing write completed.
 *
 * The hold points of the control socket (spec §7 H-1) sit between the steps:
 * HOLD_DATA before the engine touches the data, HOLD_REPLY before the reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pinit/arena.h>

#include "buffers.h"
#include "engine.h"
#include "file.h"
#include "hold.h"
#include "inode.h"
#include "kpin_model.h"
#include "transport_uring.h"
#include "unsafe.h"

/* Pages of a READ reply: the data placed at @pos % PAGE_SIZE. */
static size_t read_pages(off_t pos, size_t size)
{
	return DIV_ROUND_UP((size_t)(pos % PAGE_SIZE) + size, PAGE_SIZE);
}

/*
 * Send @n bytes at @data, with the references the kernel holds on them while
 * libfuse's writev() runs (kpin_model.h, spec §3.4).
 */
static int reply_from_pages(fuse_req_t req, char *data, size_t n)
{
	struct kpins refs;
	int ret;

	kpin_reply_copy(&refs, data, n);
	ret = fuse_reply_buf(req, data, n);
	kpin_reply_copy_done(&refs);
	return ret;
}

/* The calling thread's pipe for splice and vmsplice replies; NULL if none can be made. */
static struct thread_pipe *thread_pipe(struct pinfs_thread *th)
{
	struct thread_pipe *p = &th->pipe;

	if (p->fd[0] >= 0)
		return p;
	if (pipe2(p->fd, O_CLOEXEC)) {
		p->fd[0] = p->fd[1] = -1;
		return NULL;
	}
	/* As large as allowed (pipe-max-size), so a whole reply fits. */
	fcntl(p->fd[0], F_SETPIPE_SZ, PINFS_PIPE_BYTES);
	p->size = fcntl(p->fd[0], F_GETPIPE_SZ);
	return p;
}

/*
 * Whether libfuse 3.14 really splices a reply of @n bytes from a pipe on to
 * /dev/fuse (fuse_send_data_iov()): only from two pages up, and only if its
 * own pipe, at most pipe-max-size like ours, holds the data plus three pages
 * and the 16-byte fuse_out_header. Otherwise it reads the pipe back into a
 * heap buffer and writes that: a copy more than replying from arena pages
 * (a 1 MiB READ spliced through a 1 MiB pipe ran at a fifth of the speed).
 */
static bool libfuse_splices(const struct thread_pipe *p, size_t n)
{
	return n >= 2 * PAGE_SIZE && n + 3 * PAGE_SIZE + 16 <= p->size;
}

/* Empty the pipe after a failed reply, so the next request starts clean. */
static void drain(struct thread_pipe *p)
{
	char scratch[PAGE_SIZE];

	fcntl(p->fd[0], F_SETFL, O_NONBLOCK);
	while (read(p->fd[0], scratch, sizeof(scratch)) > 0)
		;
	fcntl(p->fd[0], F_SETFL, 0);
}

static int reply_from_pipe(fuse_req_t req, struct thread_pipe *p, size_t n)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(n);
	int ret;

	bv.buf[0].flags = FUSE_BUF_IS_FD;
	bv.buf[0].fd = p->fd[0];
	ret = fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
	drain(p);
	return ret;
}

/*
 * vmsplice() the reply into the thread's pipe and splice it on (spec §4).
 * While the data sits in the pipe the pages are pinned as a source
 * (kpin_model.h): with pin_check on they are read-only, so reusing them before
 * the pipe drains (V-1) is caught instead of corrupting the reply. They are
 * unpinned once the reply call returned, which is when the pipe is drained.
 */
static int reply_vmspliced(fuse_req_t req, struct pinfs_thread *th, char *data, size_t n)
{
	struct thread_pipe *p = thread_pipe(th);
	struct iovec iov = { data, n };
	struct kpins pins;
	int ret;

	if (!p || !libfuse_splices(p, n))
		return reply_from_pages(req, data, n);
	kpin_vmsplice(&pins, data, n);
	while (iov.iov_len) {
		ssize_t r = vmsplice(p->fd[1], &iov, 1, 0);

		if (r <= 0) {
			drain(p);
			kpin_vmsplice_done(&pins);
			return reply_from_pages(req, data, n);
		}
		iov.iov_base = (char *)iov.iov_base + r;
		iov.iov_len -= r;
	}
	stats_count_bytes(PATH_VMSPLICED, STATS_READ, n);
	if (unsafe_active(UNSAFE_VMSPLICE_REUSE))
		memset(data, 0xa5, n);	/* the buffer "reused" before the pipe drained */
	ret = reply_from_pipe(req, p, n);
	kpin_vmsplice_done(&pins);
	return ret;
}

static void read_spliced(fuse_req_t req, struct pinfs *fs, struct pinfs_file *f,
			 struct thread_pipe *p, size_t size, off_t off)
{
	struct iov_iter to;
	ssize_t n;

	iov_iter_pipe(&to, ITER_DEST, p->fd[1], size);
	n = f->engine->read_iter(f, &to, off);
	hold_check(HOLD_REPLY, HOLD_OP_READ, f->inode->ino, off, size);
	if (n < 0) {
		drain(p);
		stats_count_op(PINFS_OP_READ, (int)n);
		fuse_reply_err(req, (int)-n);
		return;
	}
	stats_count_op(PINFS_OP_READ, 0);
	reply_from_pipe(req, p, n);
}

/*
 * A READ served from arena pages, from its backing read to its reply. It
 * lives on the heap while the engine has the read queued (batching, engine.h).
 */
struct page_read {
	struct engine_op op;
	fuse_req_t req;
	struct pinfs *fs;
	struct pinfs_file *f;
	struct page *pages;	/* arena pages, or the thread's own buffer (!own) */
	size_t npages, size;
	off_t off;
	bool own;
	bool ring;		/* the pages are the ring entry's payload (transport_uring.h) */
	uint64_t start;		/* receipt, for the latency histogram */
	struct bio_vec bv;
	struct iov_iter to;
};

/* Larger READs are not queued: a batch's pages stay within a worker's spare arena pages. */
#define QUEUE_MAX_BYTES (32 * PAGE_SIZE)

/* The backing read gave @n (bytes or -errno): reply, then give the pages back. */
static void read_finish(struct page_read *r, ssize_t n)
{
	struct pinfs *fs = r->fs;
	/* Once replied to, the file may be released by another worker: nothing of it after. */
	enum stats_engine kind = r->f->engine->kind;

	hold_check(HOLD_REPLY, HOLD_OP_READ, r->f->inode->ino, r->off, r->size);
	stats_count_op(PINFS_OP_READ, n < 0 ? (int)n : 0);
	if (n < 0) {
		fuse_reply_err(r->req, (int)-n);
	} else {
		char *data = (char *)page_address(r->pages) + r->bv.bv_offset;

		if (r->ring)
			fuse_reply_buf(r->req, data, n);	/* committed from where it lies */
		else if (fs->opts->vmsplice)
			reply_vmspliced(r->req, pinfs_thread_self(), data, n);
		else
			reply_from_pages(r->req, data, n);
	}
	if (r->own)
		arena_free(buffers_arena(), r->pages, r->npages);
	stats_count_request(kind, STATS_READ, stats_now_ns() - r->start);
}

static void read_queued_done(struct engine_op *op, ssize_t n)
{
	struct page_read *r = container_of(op, struct page_read, op);

	read_finish(r, n);
	free(r);
}

/*
 * Whether this READ may wait in the engine's queue: only on a worker that
 * flushes before it blocks (loop.c), only into the request's own arena pages,
 * and never while a hold is armed (a parked request must not keep others
 * waiting unseen).
 */
static bool may_queue(const struct pinfs *fs, const struct pinfs_file *f,
		      const struct pinfs_thread *th, size_t size)
{
	return th->batching && f->engine->read_queue && !fs->opts->vmsplice &&
	       size <= QUEUE_MAX_BYTES && !hold_any_armed();
}

static void read_into_pages(fuse_req_t req, struct pinfs *fs, struct pinfs_file *f,
			    struct pinfs_thread *th, size_t size, off_t off, uint64_t start)
{
	size_t npages = read_pages(off, size), ring_pages = 0;
	struct page *ring = transport_uring_reply_pages(&ring_pages);
	struct arena *a = buffers_arena();
	struct page *pages = NULL;
	struct page_read local, *r = &local;
	unsigned int place = off % PAGE_SIZE;	/* where a page cache would put it */
	bool own;

	/* unsafe=early_release breaks the arena path: READs take it over the ring too. */
	if (ring && size <= ring_pages * PAGE_SIZE && !unsafe_active(UNSAFE_EARLY_RELEASE)) {
		pages = ring;	/* the entry's payload: replied from its first byte */
		place = 0;
	} else {
		ring = NULL;
		pages = a ? arena_alloc(a, npages) : NULL;
	}
	own = pages && !ring;
	if (!pages)
		pages = th->io_pages;	/* arena exhausted: the thread's own buffer */
	if (own && unsafe_active(UNSAFE_EARLY_RELEASE)) {
		arena_free(a, pages, npages);	/* back in the arena before the read */
		own = false;
	}
	if (own && may_queue(fs, f, th, size))
		r = malloc(sizeof(*r)) ?: &local;
	*r = (struct page_read){ .req = req, .fs = fs, .f = f, .pages = pages, .npages = npages,
				 .size = size, .off = off, .own = own, .ring = ring != NULL,
				 .start = start };
	r->bv = (struct bio_vec){ pages, (unsigned int)size, place };
	iov_iter_bvec(&r->to, ITER_DEST, &r->bv, 1, size);
	if (r != &local) {
		r->op.done = read_queued_done;
		if (f->engine->read_queue(f, &r->to, off, &r->op))
			return;
	}
	read_finish(r, f->engine->read_iter(f, &r->to, off));
	if (r != &local)
		free(r);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	struct pinfs_thread *th = pinfs_thread_self();
	uint64_t start = stats_now_ns();
	enum stats_engine kind = f->engine->kind;
	struct thread_pipe *p;

	if (!th) {
		stats_count_op(PINFS_OP_READ, -ENOMEM);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (read_pages(off, size) > PINFS_IO_PAGES)
		size = (PINFS_IO_PAGES - 1) * PAGE_SIZE;
	hold_check(HOLD_DATA, HOLD_OP_READ, f->inode->ino, off, size);
	p = (fs->opts->splice & SPLICE_READ) && !fs->opts->vmsplice ? thread_pipe(th) : NULL;
	if (p && libfuse_splices(p, size)) {
		read_spliced(req, fs, f, p, size, off);
		stats_count_request(kind, STATS_READ, stats_now_ns() - start);
	} else {
		read_into_pages(req, fs, f, th, size, off, start);
	}
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
			 struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	struct fuse_buf *b = &bufv->buf[bufv->idx];
	size_t size = fuse_buf_size(bufv);
	uint64_t start = stats_now_ns();
	bool acked = false;
	struct iov_iter from;
	ssize_t n;

	/* libfuse hands a WRITE over as exactly one buffer. */
	if (bufv->count != 1 || bufv->off) {
		stats_count_op(PINFS_OP_WRITE, -EIO);
		fuse_reply_err(req, EIO);
		return;
	}
	if (unsafe_active(UNSAFE_EARLY_ACK)) {
		/* the application may close now: @f is kept until this write is done */
		atomic_fetch_add(&f->early_acked, 1);
		fuse_reply_write(req, size);	/* acknowledged before the data is written */
		acked = true;
	}
	hold_check(HOLD_DATA, HOLD_OP_WRITE, f->inode->ino, off, size);
	if (b->flags & FUSE_BUF_IS_FD) {
		iov_iter_pipe(&from, ITER_SOURCE, b->fd, size);
	} else {
		iov_iter_ubuf(&from, ITER_SOURCE, b->mem, size);
		if (PAGE_ALIGNED(b->mem))
			stats_count_event(STATS_PAYLOAD_ALIGNED);
		else
			stats_count_event(STATS_PAYLOAD_UNALIGNED);
	}
	n = f->engine->write_iter(f, &from, off);
	if (b->flags & FUSE_BUF_IS_FD)
		bufv->idx = n == (ssize_t)size ? 1 : 0; /* libfuse clears a pipe left unread */
	stats_count_op(PINFS_OP_WRITE, n < 0 ? (int)n : 0);
	/*
	 * Writeback (fi->writepage) carries no caller: the kernel killed suid then.
	 * An early acknowledgement (unsafe mode) freed @req: nothing of it after.
	 */
	if (n >= 0 && !fi->writepage && !acked)
		pinfs_kill_suid(fs, req, ino, f->fd);
	hold_check(HOLD_REPLY, HOLD_OP_WRITE, f->inode->ino, off, size);
	stats_count_request(f->engine->kind, STATS_WRITE, stats_now_ns() - start);
	if (acked) {
		atomic_fetch_sub(&f->early_acked, 1);
		return;
	}
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	fuse_reply_write(req, (size_t)n);
}

void ops_data_fill(struct fuse_lowlevel_ops *ops)
{
	ops->read = op_read;
	ops->write_buf = op_write_buf;
}
