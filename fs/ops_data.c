// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * READ and WRITE: every byte moves through a libpinit iterator. Both read top
 * to bottom, with the holds and the statistics at the named points of
 * data_req.h:
 *
 *   op_read()       receive     data_req_begin()
 *                   plan        read_plan(): where the data lands
 *                               data_req_point(HOLD_DATA)
 *                   pin, I/O    the engine's read_iter(), or read_queue() (batching)
 *   read_finish()               data_req_point(HOLD_REPLY)
 *                   reply       sent only after the backing read completed
 *                   release     the pages go back after the reply call returned
 *                               data_req_end()
 *
 * READ's plan: in splice mode (when libfuse would really splice the reply) the
 * engine fills a DEST PIPE iterator from the backing file and the reply is
 * spliced from it. Otherwise a request that came over the io_uring ring is
 * read into its entry's payload, from its first byte (an O_DIRECT read lands
 * there when pos is aligned), and committed from there without a copy; any
 * other gets its own run of arena pages, placed so that the data starts at
 * pos % PAGE_SIZE (as in a page cache), which lets an O_DIRECT read of the
 * aligned span land in place. The engine fills an ITER_DEST BVEC over them.
 *
 * WRITE (op_write_buf()) goes the same way: the engine drains an ITER_SOURCE
 * iterator over the payload libfuse received (UBUF over the worker's
 * page-aligned receive buffer, or PIPE in splice mode) between HOLD_DATA and
 * HOLD_REPLY, and the reply is sent only after the backing write completed.
 *
 * Once replied to, the file may be released by another worker: nothing of it
 * is used after the reply (the data_req has its inode number and engine).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pinit/arena.h>

#include "buffers.h"
#include "data_req.h"
#include "engine.h"
#include "file.h"
#include "hold.h"
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

/*
 * One READ from its receipt to its release: where its data lands (the plan),
 * the iterator over it and the reply from it. It lives on the heap while the
 * engine has the read queued (batching, engine.h).
 */
struct read_req {
	struct data_req dr;
	struct engine_op op;
	fuse_req_t req;
	struct pinfs *fs;
	/* the plan: the thread's pipe (splice), or @pages */
	struct thread_pipe *pipe;
	struct page *pages;	/* the ring entry's payload, arena pages, or the thread's own buffer */
	size_t npages;
	unsigned int place;	/* where in the first page the data starts */
	bool own;		/* @pages are arena pages this request took: give them back */
	bool ring;		/* @pages are the ring entry's payload (transport_uring.h) */
	struct bio_vec bv;
	struct iov_iter to;
};

/* Larger READs are not queued: a batch's pages stay within a worker's spare arena pages. */
#define QUEUE_MAX_BYTES (32 * PAGE_SIZE)

/*
 * Where the data of @r lands: the thread's pipe when libfuse would splice the
 * reply on; else the ring entry's payload, from its first byte (an O_DIRECT
 * read lands there when pos is aligned); else a run of arena pages with the
 * data at pos % PAGE_SIZE, as in a page cache, so that an O_DIRECT read of the
 * aligned span lands in place; else, the arena exhausted, the thread's own buffer.
 */
static void read_plan(struct read_req *r, struct pinfs_thread *th)
{
	const struct pinfs_options *o = r->fs->opts;
	size_t size = r->dr.len, ring_pages = 0;
	struct page *ring = transport_uring_reply_pages(&ring_pages);
	struct arena *a = buffers_arena();
	struct thread_pipe *p = NULL;

	if ((o->splice & SPLICE_READ) && !o->vmsplice)
		p = thread_pipe(th);
	if (p && libfuse_splices(p, size)) {
		r->pipe = p;
		return;
	}
	r->place = r->dr.off % PAGE_SIZE;
	r->npages = read_pages(r->dr.off, size);
	/* unsafe=early_release breaks the arena path: READs take it over the ring too. */
	if (ring && size <= ring_pages * PAGE_SIZE && !unsafe_active(UNSAFE_EARLY_RELEASE)) {
		r->pages = ring;
		r->ring = true;
		r->place = 0;
	} else if (a) {
		r->pages = arena_alloc(a, r->npages);
		r->own = r->pages != NULL;
	}
	if (!r->pages)
		r->pages = th->io_pages;
	if (r->own && unsafe_active(UNSAFE_EARLY_RELEASE)) {
		arena_free(a, r->pages, r->npages);	/* back in the arena before the read */
		r->own = false;
	}
}

/*
 * Whether this READ may wait in the engine's queue: only on a worker that
 * flushes before it blocks (loop.c), only into the request's own arena pages,
 * and never while a hold is armed (a parked request must not keep others
 * waiting unseen).
 */
static bool may_queue(const struct read_req *r, const struct pinfs_file *f,
		      const struct pinfs_thread *th)
{
	return r->own && th->batching && f->engine->read_queue && !r->fs->opts->vmsplice &&
	       r->dr.len <= QUEUE_MAX_BYTES && !hold_any_armed();
}

/* The DEST iterator over where the plan put the data of @r. */
static void read_iter_init(struct read_req *r)
{
	size_t size = r->dr.len;

	if (r->pipe) {
		iov_iter_pipe(&r->to, ITER_DEST, r->pipe->fd[1], size);
		return;
	}
	r->bv = (struct bio_vec){ r->pages, (unsigned int)size, r->place };
	iov_iter_bvec(&r->to, ITER_DEST, &r->bv, 1, size);
}

/*
 * The backing read of @r gave @n (bytes or -errno): reply, give the pages
 * back, end. Once replied to, the file may be released by another worker:
 * nothing of it here (the record has its inode number and engine).
 */
static void read_finish(struct read_req *r, ssize_t n)
{
	data_req_point(&r->dr, HOLD_REPLY);
	if (n < 0) {
		if (r->pipe)
			drain(r->pipe);
		fuse_reply_err(r->req, (int)-n);
	} else if (r->pipe) {
		reply_from_pipe(r->req, r->pipe, n);
	} else {
		char *data = (char *)page_address(r->pages) + r->place;

		if (r->ring)
			fuse_reply_buf(r->req, data, n);	/* committed from where it lies */
		else if (r->fs->opts->vmsplice)
			reply_vmspliced(r->req, pinfs_thread_self(), data, n);
		else
			reply_from_pages(r->req, data, n);
	}
	if (r->own)
		arena_free(buffers_arena(), r->pages, r->npages);
	data_req_end(&r->dr, n);
}

static void read_queued_done(struct engine_op *op, ssize_t n)
{
	struct read_req *r = container_of(op, struct read_req, op);

	read_finish(r, n);
	free(r);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pinfs_file *f = file_of(fi);
	struct read_req local = { .req = req, .fs = pinfs_from_req(req) }, *r = &local;
	struct pinfs_thread *th;

	if (read_pages(off, size) > PINFS_IO_PAGES)
		size = (PINFS_IO_PAGES - 1) * PAGE_SIZE;
	data_req_begin(&local.dr, STATS_READ, f, off, size);
	th = pinfs_thread_self();
	if (!th) {
		data_req_refused(&local.dr, -ENOMEM);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	read_plan(&local, th);
	data_req_point(&local.dr, HOLD_DATA);
	/* the backing read: the engine pins what it reads into (datapath.h) */
	if (may_queue(&local, f, th)) {
		r = malloc(sizeof(*r)) ?: &local;
		*r = local;
	}
	read_iter_init(r);
	if (r != &local) {
		r->op.done = read_queued_done;
		if (f->engine->read_queue(f, &r->to, off, &r->op))
			return;	/* read_finish() runs when this thread flushes */
	}
	read_finish(r, f->engine->read_iter(f, &r->to, off));
	if (r != &local)
		free(r);
}

/* The SOURCE iterator over the payload libfuse received in @b. */
static void write_iter_init(struct iov_iter *from, const struct fuse_buf *b, size_t size)
{
	if (b->flags & FUSE_BUF_IS_FD) {
		iov_iter_pipe(from, ITER_SOURCE, b->fd, size);
		return;
	}
	iov_iter_ubuf(from, ITER_SOURCE, b->mem, size);
	if (PAGE_ALIGNED(b->mem))
		stats_count_event(STATS_PAYLOAD_ALIGNED);
	else
		stats_count_event(STATS_PAYLOAD_UNALIGNED);
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
			 struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	struct fuse_buf *b = &bufv->buf[bufv->idx];
	size_t size = fuse_buf_size(bufv);
	bool acked = false;
	struct iov_iter from;
	struct data_req dr;
	ssize_t n;

	data_req_begin(&dr, STATS_WRITE, f, off, size);
	/* libfuse hands a WRITE over as exactly one buffer. */
	if (bufv->count != 1 || bufv->off) {
		data_req_refused(&dr, -EIO);
		fuse_reply_err(req, EIO);
		return;
	}
	write_iter_init(&from, b, size);
	if (unsafe_active(UNSAFE_EARLY_ACK)) {
		struct stat st;
		/* whether the write stays inside the backing file, checked before it is acknowledged */
		bool inside = !fstat(f->fd, &st) && off + (off_t)size <= st.st_size;

		/* the application may close now: @f is kept until this write is done */
		atomic_fetch_add(&f->early_acked, 1);
		fuse_reply_write(req, size);	/* acknowledged before the data is written */
		acked = true;
		/*
		 * ... and then written 5 ms later, as to a slow disk, when it stays
		 * inside the file (holdfs's corrupt=early-ack does the same): sizes stay
		 * right, and a read right after the acknowledgement sees the previous
		 * contents (spec §5 #10).
		 */
		if (inside)
			usleep(5000);
	}
	data_req_point(&dr, HOLD_DATA);
	n = f->engine->write_iter(f, &from, off);
	if (b->flags & FUSE_BUF_IS_FD)
		bufv->idx = n == (ssize_t)size ? 1 : 0; /* libfuse clears a pipe left unread */
	/*
	 * Writeback (fi->writepage) carries no caller: the kernel killed suid then.
	 * An early acknowledgement (unsafe mode) freed @req: nothing of it after.
	 */
	if (n >= 0 && !fi->writepage && !acked)
		pinfs_kill_suid(fs, req, ino, f->fd);
	data_req_point(&dr, HOLD_REPLY);
	/* Once replied to, the file may be released by another worker: nothing of it after. */
	if (acked)
		atomic_fetch_sub(&f->early_acked, 1);
	else if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
	data_req_end(&dr, n);
}

void ops_data_fill(struct fuse_lowlevel_ops *ops)
{
	ops->read = op_read;
	ops->write_buf = op_write_buf;
}
