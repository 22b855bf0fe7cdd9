/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's one arena and every thread's buffers, handed to the loop and
 * the data path.
 *
 * All thread buffers come from one libpinit arena (libpinit allows few arenas
 * per process): page-aligned, MADV_DONTFORK, populated up front, so that no
 * request allocates. It is sized for the threads that serve requests, and
 * every READ reply and write bounce is made of its pages (ops_data.c,
 * datapath.c).
 *
 * Each thread that runs handlers has a context (struct pinfs_thread): a reply
 * buffer and, for a worker of the own loop (loop.h), a receive buffer. The
 * receive buffer starts PAGE_SIZE - 80 bytes into its run of pages, so the
 * payload of a FUSE_WRITE (after fuse_in_header and fuse_write_in, 80 bytes)
 * starts on a page boundary; libfuse 3.14's own loop puts it 80 bytes into a
 * malloc()ed buffer. libfuse's clone_fd threads get a context, with a reply
 * buffer only, on first use, and give it back as they end.
 *
 * Every thread buffer comes from the arena; if it cannot be mapped (memory,
 * RLIMIT_AS), the loop does not start.
 */
#ifndef PINFS_BUFFERS_H
#define PINFS_BUFFERS_H

#include <linux/fuse.h>
#include <stdbool.h>
#include <stddef.h>

#include "pinfs.h"

struct arena;
struct page;
struct pinfs_engine;

/* A thread's pipe for splice and vmsplice replies, made on first use. */
struct thread_pipe {
	int fd[2];	/* -1 until made */
	size_t size;	/* capacity in bytes */
};

/* Per-thread context of every thread that runs handlers. */
struct pinfs_thread {
	unsigned int index;
	/* reply buffer: READ data, directory listings, xattr values */
	char *io_buf;
	size_t io_size;
	struct page *io_pages; /* arena descriptors of io_buf */
	/* receive buffer (own loop only) */
	char *rx_mem; /* where fuse_in_header goes */
	size_t rx_size;
	struct page *rx_pages;
	size_t rx_npages;
	size_t io_npages;
	struct thread_pipe pipe;
	/* The thread flushes the engine's queued reads before it blocks (engine.h). */
	bool batching;
	int wait_fd;	/* epoll set to wait for requests in (loop.c), or -1 */
};

/*
 * Map the arena for @nthreads threads, with receive buffers if @with_rx (the
 * own loop), and remember @engine, whose thread_exit() runs as each thread
 * ends. Returns 0 or -errno (reported on stderr).
 */
int buffers_init(unsigned int nthreads, bool with_rx, const struct pinfs_engine *engine);

/* Unmap the arena: every thread's buffers are back. */
void buffers_destroy(void);

/* The arena the data path bounces through and allocates READ pages from; NULL if none. */
struct arena *buffers_arena(void);

/*
 * Every thread that ran handlers is gone (its context not yet freed): report
 * what the buffers still hold as leaked, and add it to buffers_leaked_pages().
 */
void buffers_check_leaks(void);

/* Pages found still referenced or pinned when the threads had ended. */
long buffers_leaked_pages(void);

/* A context with a reply buffer, and a receive buffer if @with_rx; NULL if out of memory. */
struct pinfs_thread *pinfs_thread_new(bool with_rx);
void pinfs_thread_free(struct pinfs_thread *th);

/*
 * The calling thread is to serve requests with @th: it becomes its
 * pinfs_thread_self(). pinfs_thread_leave() ends that, before the thread ends.
 */
void pinfs_thread_enter(struct pinfs_thread *th);
void pinfs_thread_leave(void);

/*
 * The calling thread's context, created on first use for threads the daemon
 * did not start (libfuse's clone_fd loop). NULL only if memory is exhausted.
 */
struct pinfs_thread *pinfs_thread_self(void);

/* Bytes between the start of a request and a FUSE_WRITE payload. */
#define PINFS_WRITE_HEADER_SIZE 80
_Static_assert(sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in) ==
		       PINFS_WRITE_HEADER_SIZE,
	       "a FUSE_WRITE payload follows fuse_in_header and fuse_write_in");

/* Pages of a reply buffer: the largest READ (max_pages = 256) plus one. */
#define PINFS_IO_PAGES 257
/* Pages of a receive buffer: libfuse reads up to 256 pages + 4 KiB, plus slack. */
#define PINFS_RX_PAGES 259
/* Arena pages per worker for in-flight READ replies and write bounces. */
#define PINFS_SPARE_PAGES (2 * 260)
/* The size a thread pipe asks for (pipe-max-size may cap it). */
#define PINFS_PIPE_BYTES (1024 * 1024)

#endif
