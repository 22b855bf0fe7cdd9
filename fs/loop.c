// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The worker loops (loop.h).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <fcntl.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "buffers.h"
#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "hold.h"
#include "init_ext.h"
#include "locks.h"
#include "loop.h"
#include "transport_uring.h"

/* ---- the own loop ---- */

struct loop {
	struct pinfs *fs;
	sem_t finished;
	int stop_fd;	/* eventfd, readable once the workers are to stop */
	int error;
	bool ring;	/* the workers serve io_uring rings (transport_uring.h) */
};

struct worker {
	struct loop *loop;
	struct pinfs_thread *th;
	unsigned int index;
	pthread_t tid;
	bool started;
};

/*
 * The worker's epoll set for waiting: /dev/fuse with EPOLLEXCLUSIVE, so that a
 * new request wakes one idle worker rather than every one of them, the loop's
 * stop eventfd, and the receive gate's eventfd (if @gated). The eventfds are
 * level-triggered and wake every worker. Returns the set or -errno.
 */
static int waiter_new(int fuse_fd, int stop_fd, bool gated)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = fuse_fd };
	int ep = epoll_create1(EPOLL_CLOEXEC), err;

	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fuse_fd, &ev))
		goto fail;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = stop_fd };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &ev))
		goto fail;
	if (gated) {
		ev.data.fd = hold_gate_fd();
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
			goto fail;
	}
	return ep;
fail:
	err = -errno;
	close(ep);
	return err;
}

/*
 * Wait until /dev/fuse has a request or the receive gate closes (the caller
 * goes round again either way). False once the loop stops.
 */
static bool wait_for_request(const struct loop *l, struct pinfs_thread *th)
{
	struct epoll_event ev[3];
	int n = epoll_wait(th->wait_fd, ev, 3, -1);

	for (int k = 0; k < n; k++)
		if (ev[k].data.fd == l->stop_fd)
			return false;
	return true;	/* a request, the gate, or a signal (-s: it may end the session) */
}

/* Whether @buf is a READ (a request spliced into a pipe is a large WRITE). */
static bool is_read(const struct fuse_buf *buf)
{
	const struct fuse_in_header *in = buf->mem;

	return !(buf->flags & FUSE_BUF_IS_FD) && buf->size >= sizeof(*in) &&
	       in->opcode == FUSE_READ;
}

/*
 * /dev/fuse is non-blocking: a worker reads first and waits in its epoll set
 * only when no request is there, so a loaded worker makes no syscall to wait.
 *
 * Batching (engine.h read_queue()): while READs sit in the engine's queue, the
 * worker only takes a request that is already waiting, and issues the queue
 * (flush) before it would wait, before it handles anything but a READ, and
 * before it passes a receive gate or a hold, so queued reads never wait on
 * anything but the backing file.
 */
static void serve(struct loop *l, struct pinfs_thread *th)
{
	struct fuse_session *se = l->fs->se;
	const struct pinfs_engine *e = l->fs->engine;
	bool gated = l->fs->opts->control != NULL;

	th->batching = e->flush != NULL;
	while (!fuse_session_exited(se)) {
		struct fuse_buf buf = {.mem = th->rx_mem, .size = th->rx_size};
		bool queued = th->batching && e->queued();
		int res;

		if (queued && ((gated && hold_gate_closed()) || hold_any_armed())) {
			e->flush();
			continue;
		}
		if (gated && !queued)
			hold_gate_enter();
		res = fuse_session_receive_buf(se, &buf);
		if (res == -EAGAIN) {
			if (queued)
				e->flush();
			else if (!wait_for_request(l, th))
				break;
			continue;
		}
		if (res == -EINTR)
			continue;
		if (res <= 0) {
			if (res < 0) {
				l->error = res;
				fuse_session_exit(se);
			}
			break;
		}
		if (queued && !is_read(&buf))
			e->flush();
		fuse_session_process_buf(se, &buf);
	}
	if (th->batching)
		e->flush();
}

/*
 * A worker's life: its ring with transport=uring, /dev/fuse otherwise or if the
 * ring cannot be set up. Either way it returns once the loop's stop eventfd fires.
 */
static void work(struct loop *l, struct pinfs_thread *th, unsigned int index)
{
	int err = l->ring ? transport_uring_serve(th, index) : -EOPNOTSUPP;

	if (err == -EOPNOTSUPP) {
		serve(l, th);
	} else if (err) {
		l->error = err;
		fuse_session_exit(l->fs->se);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t set;

	/* Signals go to the main thread, which ends the session. */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pinfs_thread_enter(w->th);
	work(w->loop, w->th, w->index);
	pinfs_thread_leave();
	sem_post(&w->loop->finished);
	return NULL;
}

/*
 * Stop the workers once the session has ended (unmount, a signal, an error):
 * let parked requests go, wake every waiting worker, and wait for them all.
 * A worker still serving a request finishes it first; none is cancelled.
 */
static void stop_workers(struct loop *l, struct worker *workers, unsigned int n)
{
	uint64_t one = 1;

	fuse_session_exit(l->fs->se);
	control_stop();	/* no hold may park a worker, and no fork, from here on */
	if (write(l->stop_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "pinfs: cannot wake the workers: %s\n", strerror(errno));
	for (unsigned int i = 0; i < n; i++)
		if (workers[i].started)
			pthread_join(workers[i].tid, NULL);
}

/*
 * Whether INIT was answered before the loop (init_ext_negotiate()): then the
 * loop, once it serves, releases the caller's process (daemon.h), which the
 * INIT handler does otherwise.
 */
static bool init_answered(void)
{
	struct init_ext_result init;

	init_ext_result(&init);
	return init.done;
}

int loop_run(struct pinfs *fs, unsigned int nthreads)
{
	struct loop l = {.fs = fs, .stop_fd = -1};
	int fuse_fd = fuse_session_fd(fs->se);
	struct worker *workers;
	bool early;
	int ret;

	if (nthreads == 0)
		nthreads = 1;
	ret = buffers_init(nthreads, true, fs->engine);
	if (ret)
		return ret;
	if (fcntl(fuse_fd, F_SETFL, fcntl(fuse_fd, F_GETFL) | O_NONBLOCK) ||
	    (l.stop_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
		ret = -errno;
		buffers_destroy();
		return ret;
	}
	l.ring = !transport_uring_start(l.stop_fd);
	if (fs->opts->control)
		hold_set_workers(nthreads);
	workers = calloc(nthreads, sizeof(*workers));
	if (!workers) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < nthreads; i++) {
		struct pinfs_thread *th = pinfs_thread_new(true);

		workers[i].loop = &l;
		workers[i].index = i;
		workers[i].th = th;
		if (!th) {
			ret = -ENOMEM;
			goto out;
		}
		th->wait_fd = waiter_new(fuse_fd, l.stop_fd, fs->opts->control != NULL);
		if (th->wait_fd < 0) {
			ret = th->wait_fd;
			fprintf(stderr, "pinfs: cannot make a worker's epoll set: %s\n",
				strerror(-ret));
			goto out;
		}
	}

	early = init_answered();
	if (nthreads == 1) {
		pinfs_thread_enter(workers[0].th);
		if (early)
			daemon_ready();
		work(&l, workers[0].th, 0);
		pinfs_thread_leave();
		goto out;
	}

	sem_init(&l.finished, 0, 0);
	for (unsigned int i = 0; i < nthreads; i++) {
		int err = pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]);

		if (err) {
			fprintf(stderr, "pinfs: cannot start worker %u: %s\n", i, strerror(err));
			fuse_session_exit(fs->se);
			ret = -err;
			for (unsigned int lost = i; lost < nthreads; lost++)
				transport_uring_worker_lost(ret);
			break;
		}
		workers[i].started = true;
	}
	if (early && !ret)
		daemon_ready();
	/* sem_wait() returns early on signals; the handler ends the session. */
	while (!fuse_session_exited(fs->se)) {
		if (sem_wait(&l.finished) == 0)
			break;
	}
	stop_workers(&l, workers, nthreads);
	sem_destroy(&l.finished);
out:
	control_stop();	/* -s, or no worker started */
	locks_stop();	/* lock waiters reply while the rings still exist */
	transport_uring_finish();	/* its long-term pins end with the rings */
	buffers_check_leaks();
	for (unsigned int i = 0; workers && i < nthreads; i++)
		pinfs_thread_free(workers[i].th);
	free(workers);
	close(l.stop_fd);
	buffers_destroy();
	if (!ret)
		ret = l.error;
	return ret;
}

int loop_run_libfuse(struct pinfs *fs, unsigned int max_threads)
{
	struct fuse_loop_config *cfg;
	int ret;

	ret = buffers_init(max_threads, false, fs->engine);
	if (ret)
		return ret;
	cfg = fuse_loop_cfg_create();
	if (!cfg) {
		buffers_destroy();
		return -ENOMEM;
	}
	fuse_loop_cfg_set_clone_fd(cfg, 1);
	fuse_loop_cfg_set_max_threads(cfg, max_threads);
	fuse_loop_cfg_set_idle_threads(cfg, max_threads);
	if (init_answered())
		daemon_ready();
	ret = fuse_session_loop_mt(fs->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	control_stop();
	locks_stop();
	/* libfuse's threads are gone; their buffers went back via the key destructor. */
	buffers_check_leaks();
	buffers_destroy();
	/* libfuse 3.14 answers the signal number when a signal ended the session: a clean end. */
	return ret < 0 ? ret : 0;
}
