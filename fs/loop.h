/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker loops: the threads that receive requests and run their handlers.
 *
 * The own loop (default): a fixed pool of workers, each owning a receive
 * buffer and a reply buffer (buffers.h). Each worker calls
 * fuse_session_receive_buf() into its receive buffer, where a FUSE_WRITE's
 * payload starts on a page boundary, then fuse_session_process_buf() runs the
 * handler in the same thread.
 *
 * Enough workers stay free for page faults taken during I/O: a read whose
 * buffer is an mmap of the same file on the mount needs a second FUSE_READ to
 * fault the buffer in while the first request is in progress (spec §5
 * scenario 11, xfstests generic/647). Requests that can wait without bound
 * (blocking locks) are handed to their own threads (ops_lock.c).
 *
 * With clone_fd, libfuse's fuse_session_loop_mt() runs instead; its threads get
 * a reply buffer on first use (pinfs_thread_self()).
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
 * Each loop maps the buffer arena for its threads before it serves (buffers.h),
 * and once they have ended reports what their buffers still hold as leaked
 * (buffers_check_leaks()) and unmaps it.
 */
#ifndef PINFS_LOOP_H
#define PINFS_LOOP_H

#include "pinfs.h"

/*
 * Serve requests until the session exits: @nthreads workers (1: the calling
 * thread alone, for -s). Returns 0 or -errno (also when the buffer arena
 * cannot be mapped: nothing is served then).
 *
 * Both loops stop the control socket (control_stop(): its connections, holds
 * and forker) once the session has ended and before the buffer arena goes,
 * so that no fork walks freed pages (spec §2.6 P-3's check at fork); the own
 * loop does so before it stops its workers, so that no hold parks one, and
 * before the ring entries of transport=uring are unpinned and freed. Then
 * both end the blocking lock waiters (locks_stop()), which reply while the
 * session and the rings still exist.
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

#endif
