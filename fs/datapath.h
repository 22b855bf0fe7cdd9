/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The data path shared by the engines: how one READ or WRITE is split between
 * O_DIRECT on the backing file, a bounce through arena pages, the backing page
 * cache, and splice.
 *
 * The plan for a request at [pos, pos + len), with the backing file's O_DIRECT
 * alignment A (dio.h):
 *  - READ: the A-aligned span around it is read with O_DIRECT, straight into
 *    the request's own pages when it owns them whole (a DEST BVEC over arena
 *    pages, placed at pos % PAGE_SIZE), otherwise into arena pages that are
 *    then copied (one copy) into the iterator.
 *  - WRITE: the A-aligned middle goes to the backing file with O_DIRECT, from
 *    the payload itself when iov_iter_is_aligned() allows, else copied once
 *    into arena pages (bounced); a misaligned head and tail go through the
 *    page cache. The whole A-aligned span is held in the inode's range lock,
 *    so concurrent writers to the same blocks are serialised and never lose
 *    each other's bytes (a page-cache edge and an O_DIRECT middle of two
 *    different writes never race on one block).
 *  - PIPE iterators (splice mode) are spliced to or from the file.
 * Every page an O_DIRECT syscall uses is pinned in the ledger for exactly the
 * duration of the syscall, as the kernel pins it (kpin_model.h); buffered I/O
 * copies and pins nothing, as in the kernel.
 */
#ifndef PINFS_DATAPATH_H
#define PINFS_DATAPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include <pinit/uio.h>

#include "pinfs.h"

struct pinfs_file;

/*
 * read_iter(), write_iter() of every engine (engine.h): the plan above, with
 * each backing syscall issued by @f's engine (f->engine->read, ->write).
 */
ssize_t datapath_read(struct pinfs_file *f, struct iov_iter *to, off_t pos);
ssize_t datapath_write(struct pinfs_file *f, struct iov_iter *from, off_t pos);

/*
 * datapath_read() in two halves, for an engine that queues reads
 * (engine_uring.c): datapath_read_plan() says whether the read of @to at @pos
 * is one O_DIRECT read of an aligned span straight into @to's own registered
 * pages, which need no pin held while it is queued (they are pinned long-term,
 * spec §3.3), and where; the engine issues it, and datapath_read_done() takes
 * its result (bytes or -errno) and finishes as datapath_read() would,
 * advancing @to, falling back to the page cache on EINVAL.
 */
struct read_plan {
	int fd;			/* the O_DIRECT descriptor */
	char *buf;		/* the span's address in @to's pages */
	size_t span;		/* aligned length */
	off_t start;		/* aligned file offset */
	size_t head;		/* bytes before the requested data */
};
bool datapath_read_plan(struct pinfs_file *f, const struct iov_iter *to, off_t pos,
			struct read_plan *plan);
ssize_t datapath_read_done(struct pinfs_file *f, struct iov_iter *to, off_t pos,
			   const struct read_plan *plan, ssize_t res);

#endif
