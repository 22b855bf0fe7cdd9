/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Data engines: how the bytes of a READ or WRITE reach the backing file.
 *
 * The handlers (ops_data.c) turn every request into a libpinit iterator:
 * ITER_SOURCE over the FUSE write payload (UBUF, or PIPE in splice mode),
 * ITER_DEST over where the READ's data lands (a BVEC over arena pages or the
 * ring entry's payload, or the thread's pipe in splice mode). An engine moves data between the iterator and
 * the backing file and advances the iterator by exactly what it moved, as the
 * kernel's ->read_iter/->write_iter do. How a request is split between
 * O_DIRECT, bounce, page cache and splice is the data path's (datapath.h), the
 * same for every engine; an engine says how each backing syscall is issued:
 * pread/pwrite (engine_sync.c) or io_uring (engine_uring.c).
 */
#ifndef PINFS_ENGINE_H
#define PINFS_ENGINE_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <pinit/uio.h>

#include "datapath.h"
#include "pinfs.h"
#include "stats.h"

struct pinfs_file;

/* A read queued with read_queue(); the caller owns it and sets done. */
struct engine_op {
	void (*done)(struct engine_op *op, ssize_t res);
	/* the engine's */
	struct pinfs_file *f;
	struct iov_iter *to;
	off_t pos;
	struct read_plan plan;
};

/*
 * One engine: how the data path (datapath.h) issues its backing syscalls.
 * The entry points that the handlers call (open, release, read_iter,
 * write_iter) are the data path's own, the same in every engine; what an
 * engine supplies is read, write and registered, and optionally batching.
 */
struct pinfs_engine {
	enum stats_engine kind;

	/* Optional: per-open setup and teardown (dio_open/_release). Return 0 or -errno. */
	int (*open)(struct pinfs *fs, struct pinfs_file *f);
	void (*release)(struct pinfs *fs, struct pinfs_file *f);

	/*
	 * Read up to iov_iter_count(@to) bytes at @pos into @to (datapath_read).
	 * Returns the bytes read (fewer only at end of file), advancing @to by
	 * them, or -errno if nothing was read. The pages of a DEST BVEC belong
	 * wholly to the request: the engine may also write the parts of its first
	 * and last page outside the iterator (the slack an O_DIRECT read's
	 * alignment needs).
	 */
	ssize_t (*read_iter)(struct pinfs_file *f, struct iov_iter *to, off_t pos);

	/*
	 * Write all of @from at @pos (datapath_write). Returns the bytes written,
	 * advancing @from by them, or -errno if nothing was written.
	 */
	ssize_t (*write_iter)(struct pinfs_file *f, struct iov_iter *from, off_t pos);

	/* One backing syscall, issued this engine's way. Returns bytes or -errno. */
	ssize_t (*read)(int fd, void *buf, size_t len, off_t pos);
	ssize_t (*write)(int fd, const void *buf, size_t len, off_t pos);

	/*
	 * Optional: true if I/O on @buf uses pages the kernel already holds
	 * (io_uring fixed buffers), so a syscall pins nothing (spec §3.3).
	 */
	bool (*registered)(const void *buf, size_t len);

	/* Optional: release the calling worker thread's engine state before it exits. */
	void (*thread_exit)(void);

	/*
	 * Optional, for batching (engine_uring.c): queue the read that
	 * read_iter(@f, @to, @pos) would do, without waiting. True if queued:
	 * it is then issued, together with every other read this thread
	 * queued, by flush() on this thread, which calls @op->done with
	 * read_iter()'s result and @to advanced as read_iter() would. False:
	 * nothing happened, call read_iter(). Only threads that call flush()
	 * before they block (loop.c's own loop) may queue.
	 */
	bool (*read_queue)(struct pinfs_file *f, struct iov_iter *to, off_t pos,
			   struct engine_op *op);
	/* Issue what this thread queued in one submission; wait for all of it and run the done()s. */
	void (*flush)(void);
	/* How many reads this thread has queued. */
	unsigned int (*queued)(void);
};

/* pread/pwrite (engine_sync.c) and io_uring (engine_uring.c). */
extern const struct pinfs_engine engine_sync;
extern const struct pinfs_engine engine_uring;

/* The engine that -o engine= chose. */
const struct pinfs_engine *engine_get(enum engine_mode mode);

#endif
