// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * READ and WRITE: every byte moves through a libpinit iterator.
 *
 * READ builds an ITER_DEST iterator over the thread's reply buffer (arena
 * pages as one BVEC segment, or plain memory as UBUF), lets the engine fill
 * it, and replies from that buffer; the buffer is reused only after the reply
 * call has returned. WRITE builds an ITER_SOURCE iterator over the payload
 * libfuse received (UBUF over memory, or PIPE in splice mode) and lets the
 * engine drain it. The engine is the only place that touches the backing file.
 */
#include <errno.h>

#include "engine.h"
#include "file.h"
#include "loop.h"

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	struct pinfs_thread *th = pinfs_thread_self();
	struct bio_vec bv;
	struct iov_iter to;
	ssize_t n;

	if (!th) {
		stats_count(&fs->stats, PINFS_OP_READ, -ENOMEM);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (size > th->io_size)
		size = th->io_size;
	if (th->io_pages) {
		bv.bv_page = th->io_pages;
		bv.bv_len = (unsigned int)size;
		bv.bv_offset = 0;
		iov_iter_bvec(&to, ITER_DEST, &bv, 1, size);
	} else {
		iov_iter_ubuf(&to, ITER_DEST, th->io_buf, size);
	}
	n = f->engine->read_iter(f, &to, off);
	stats_count(&fs->stats, PINFS_OP_READ, n < 0 ? (int)n : 0);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	stats_add(&fs->stats.bytes_read, (uint64_t)n);
	fuse_reply_buf(req, th->io_buf, (size_t)n);
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
			 struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	struct fuse_buf *b = &bufv->buf[bufv->idx];
	size_t size = fuse_buf_size(bufv);
	struct iov_iter from;
	ssize_t n;

	/* libfuse hands a WRITE over as exactly one buffer. */
	if (bufv->count != 1 || bufv->off) {
		stats_count(&fs->stats, PINFS_OP_WRITE, -EIO);
		fuse_reply_err(req, EIO);
		return;
	}
	if (b->flags & FUSE_BUF_IS_FD) {
		iov_iter_pipe(&from, ITER_SOURCE, b->fd, size);
	} else {
		iov_iter_ubuf(&from, ITER_SOURCE, b->mem, size);
		if (PAGE_ALIGNED(b->mem))
			stats_add(&fs->stats.write_payload_aligned, 1);
		else
			stats_add(&fs->stats.write_payload_unaligned, 1);
	}
	n = f->engine->write_iter(f, &from, off);
	if (b->flags & FUSE_BUF_IS_FD)
		bufv->idx = n == (ssize_t)size ? 1 : 0; /* libfuse clears a pipe left unread */
	stats_count(&fs->stats, PINFS_OP_WRITE, n < 0 ? (int)n : 0);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	/* Writeback (fi->writepage) carries no caller: the kernel killed suid then. */
	if (!fi->writepage)
		pinfs_kill_suid(fs, req, ino, f->fd);
	stats_add(&fs->stats.bytes_written, (uint64_t)n);
	fuse_reply_write(req, (size_t)n);
}

void ops_data_fill(struct fuse_lowlevel_ops *ops)
{
	ops->read = op_read;
	ops->write_buf = op_write_buf;
}
