/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Worker threads and their buffers.
 *
 * The own loop (default): a fixed pool of workers, each owning a receive buffer
 * and a reply buffer carved from one libpinit arena (page-aligned,
 * MADV_DONTFORK, populated up front: no per-request allocation). Each worker
 * calls fuse_session_receive_buf() with buf.mem placed PAGE_SIZE - 80 bytes
 * into its receive run, so the payload of a FUSE_WRITE (after fuse_in_header
 * and fuse_write_in, 80 bytes) starts on a page boundary; libfuse 3.14's own
 * loop puts it 80 bytes into a malloc()ed buffer. Then
 * fuse_session_process_buf() runs the handler in the same thread.
 *
 * Enough workers stay free for page faults taken during I/O: a read whose
 * buffer is an mmap of the same file on the mount needs a second FUSE_READ to
 * fault the buffer in while the first request is in progress (spec §5
 * scenario 11, xfstests generic/647). Requests that can wait without bound
 * (blocking locks) are handed to their own threads (ops_lock.c).
 *
 * With clone_fd, libfuse's fuse_session_loop_mt() runs instead; its threads get
 * a reply buffer on first use.
 *
 * In the own loop /dev/fuse is non-blocking. A worker reads first and, only when no request
 * is waiting, waits in its epoll set: /dev/fuse with EPOLLEXCLUSIVE (a request
 * wakes one idle worker, as a blocking read() would, not all), the loop's stop
 * eventfd, which ends every worker when the session ends (no thread is
 * cancelled), and with a control socket the receive gate's eventfd, so that a
 * receive hold (docs/control.md) can stop every worker before its next read.
 * With engine=uring a worker with READs queued in its ring takes only requests
 * already waiting, and issues the queue in one submission before it would wait
 * (batching, engine.h). With transport=uring each worker serves its FUSE
 * io_uring instead (transport_uring.h), where a poll on the same stop eventfd
 * ends it.
 *
 * Every thread buffer comes from the arena; if it cannot be mapped (memory,
 * RLIMIT_AS), the loop does not start.
 */
#ifndef PINFS_LOOP_H
#define PINFS_LOOP_H

#include <linux/fuse.h>
#include <stddef.h>

#include "pinfs.h"

struct page;

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
 * The calling thread's context, created on first use for threads the daemon
 * did not start (libfuse's clone_fd loop). NULL only if memory is exhausted.
 */
struct pinfs_thread *pinfs_thread_self(void);

/*
 * Serve requests until the session exits: @nthreads workers (1: the calling
 * thread alone, for -s). Returns 0 or -errno (also when the buffer arena
 * cannot be mapped: nothing is served then).
 *
 * Both loops stop the control socket (control_stop(): its connections, holds
 * and forker) once the session has ended and before the buffer arena goes,
 * so that no fork walks freed pages (spec §2.6 P-3's check at fork); the own
 * loop does so before it stops its workers, so that no hold parks one, and
 * before the ring entries of transport=uring are unpinned and freed.
 *
 * If INIT was answered before the loop (init_ext_negotiate()), the loop
 * releases the caller's process (daemon_ready()) once its workers run.
 */
int loop_run(struct pinfs *fs, unsigned int nthreads);

/*
 * Serve with libfuse's multi-threaded loop and clone_fd. Returns 0 or -errno.
 * libfuse ends its threads with pthread_cancel().
 */
int loop_run_libfuse(struct pinfs *fs, unsigned int max_threads);

/* Pages the loop found still referenced or pinned when its workers had ended. */
long loop_leaked_pages(void);

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
