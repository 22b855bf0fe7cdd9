// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Worker threads and their buffers (loop.h).
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

#include <pinit/arena.h>
#include <pinit/ledger.h>

#include "control.h"
#include "creds.h"
#include "daemon.h"
#include "datapath.h"
#include "engine.h"
#include "hold.h"
#include "init_ext.h"
#include "loop.h"
#include "transport_uring.h"
#include "unsafe.h"

/*
 * All thread buffers come from one arena (libpinit allows few arenas per
 * process), sized for the threads that serve requests: every READ reply and
 * write bounce is made of arena pages (ops_data.c, datapath.c).
 */
static struct arena *pool;
static __thread struct pinfs_thread *self;
static pthread_key_t self_key;
static pthread_once_t self_key_once = PTHREAD_ONCE_INIT;
static atomic_uint next_index;

static int pool_init(size_t npages, unsigned int nthreads)
{
	pool = arena_create(npages, unsafe_active(UNSAFE_NO_DONTFORK) ? ARENA_NO_DONTFORK : 0);
	if (!pool) {
		int err = -errno;

		fprintf(stderr, "pinfs: cannot map the buffer arena, %zu KiB for %u threads "
				"(-o max_threads): %s\n",
			npages * PAGE_SIZE >> 10, nthreads, strerror(-err));
		return err;
	}
	datapath_set_arena(pool);
	return 0;
}

static long leaked_pages;

/*
 * Every worker is gone: whatever the buffers still hold leaked. Report it as
 * a leak now, before the buffers go back to the arena (where a leaked pin
 * would only read as "pinned page freed", and pin_check=strict would stop
 * there), and remember it for the exit status (loop_leaked_pages()).
 */
static void check_leaks(void)
{
	leaked_pages += ledger_check_leaks();
}

long loop_leaked_pages(void)
{
	return leaked_pages;
}

static void pool_destroy(void)
{
	datapath_set_arena(NULL);
	arena_destroy(pool);
	pool = NULL;
}

/* @npages contiguous arena pages: their address, *@pages their descriptors; NULL if none. */
static void *buffer_get(size_t npages, struct page **pages)
{
	*pages = pool ? arena_alloc(pool, npages) : NULL;
	return *pages ? page_address(*pages) : NULL;
}

static void buffer_put(struct page *pages, size_t npages)
{
	if (pages)
		arena_free(pool, pages, npages);
}

static void thread_free(struct pinfs_thread *th)
{
	if (!th)
		return;
	if (th->wait_fd >= 0)
		close(th->wait_fd);
	if (th->pipe.fd[0] >= 0) {
		close(th->pipe.fd[0]);
		close(th->pipe.fd[1]);
	}
	buffer_put(th->io_pages, th->io_npages);
	buffer_put(th->rx_pages, th->rx_npages);
	free(th);
}

static struct pinfs_thread *thread_new(bool with_rx)
{
	struct pinfs_thread *th = calloc(1, sizeof(*th));
	char *rx;

	if (!th)
		return NULL;
	th->index = atomic_fetch_add(&next_index, 1);
	th->pipe.fd[0] = th->pipe.fd[1] = -1;
	th->wait_fd = -1;
	th->io_npages = PINFS_IO_PAGES;
	th->io_buf = buffer_get(th->io_npages, &th->io_pages);
	if (!th->io_buf)
		goto fail;
	th->io_size = th->io_npages * PAGE_SIZE;
	if (with_rx) {
		th->rx_npages = PINFS_RX_PAGES;
		rx = buffer_get(th->rx_npages, &th->rx_pages);
		if (!rx)
			goto fail;
		/* fuse_in_header + fuse_write_in end on a page boundary. */
		th->rx_mem = rx + PAGE_SIZE - PINFS_WRITE_HEADER_SIZE;
		th->rx_size = (th->rx_npages - 1) * PAGE_SIZE;
	}
	return th;
fail:
	thread_free(th);
	return NULL;
}

/* Per-thread state of a thread about to serve requests. */
static void thread_setup(void)
{
	int err = creds_thread_init();
	sigset_t faults;

	/*
	 * Workers block every signal (libfuse's clone_fd threads too), but a
	 * blocked SIGSEGV or SIGBUS raised by a fault kills the process
	 * instead of reaching libpinit's fault trap: the check-mode report of
	 * a write to a source-pinned page, and pinit_try()'s -EFAULT.
	 */
	sigemptyset(&faults);
	sigaddset(&faults, SIGSEGV);
	sigaddset(&faults, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &faults, NULL);
	if (err)
		fprintf(stderr, "pinfs: no per-thread umask (unshare: %s)\n", strerror(-err));
}

static const struct pinfs_engine *thread_engine;	/* its thread_exit() runs as workers end */

static void thread_teardown(void)
{
	if (thread_engine && thread_engine->thread_exit)
		thread_engine->thread_exit();
}

static void foreign_thread_exit(void *arg)
{
	thread_teardown();
	thread_free(arg);
}

static void make_key(void)
{
	pthread_key_create(&self_key, foreign_thread_exit);
}

struct pinfs_thread *pinfs_thread_self(void)
{
	if (self)
		return self;
	pthread_once(&self_key_once, make_key);
	self = thread_new(false);
	if (self) {
		pthread_setspecific(self_key, self);
		thread_setup();
	}
	return self;
}

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
	self = w->th;
	thread_setup();
	work(w->loop, w->th, w->index);
	thread_teardown();
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
	thread_engine = fs->engine;
	ret = pool_init((size_t)nthreads * (PINFS_IO_PAGES + PINFS_RX_PAGES + PINFS_SPARE_PAGES),
			nthreads);
	if (ret)
		return ret;
	if (fcntl(fuse_fd, F_SETFL, fcntl(fuse_fd, F_GETFL) | O_NONBLOCK) ||
	    (l.stop_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
		ret = -errno;
		pool_destroy();
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
		struct pinfs_thread *th = thread_new(true);

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
		self = workers[0].th;
		thread_setup();
		if (early)
			daemon_ready();
		work(&l, workers[0].th, 0);
		thread_teardown();
		self = NULL;
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
	transport_uring_finish();	/* its long-term pins end with the rings */
	check_leaks();
	for (unsigned int i = 0; workers && i < nthreads; i++)
		thread_free(workers[i].th);
	free(workers);
	close(l.stop_fd);
	pool_destroy();
	if (!ret)
		ret = l.error;
	return ret;
}

int loop_run_libfuse(struct pinfs *fs, unsigned int max_threads)
{
	struct fuse_loop_config *cfg;
	int ret;

	thread_engine = fs->engine;
	ret = pool_init((size_t)max_threads * (PINFS_IO_PAGES + PINFS_SPARE_PAGES), max_threads);
	if (ret)
		return ret;
	cfg = fuse_loop_cfg_create();
	if (!cfg) {
		pool_destroy();
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
	/* libfuse's threads are gone; their buffers went back via the key destructor. */
	check_leaks();
	pool_destroy();
	/* libfuse 3.14 answers the signal number when a signal ended the session: a clean end. */
	return ret < 0 ? ret : 0;
}
