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
#include <sys/mman.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <linux/fuse.h>

#include <pinit/arena.h>
#include <pinit/ledger.h>

#include "creds.h"
#include "datapath.h"
#include "engine.h"
#include "hold.h"
#include "loop.h"
#include "transport_uring.h"
#include "unsafe.h"

/*
 * All thread buffers come from one arena (libpinit allows few arenas per
 * process). A thread that finds it full falls back to its own mapping.
 */
struct buffer_pool {
	struct arena *arena;
};

static struct buffer_pool pool;
static __thread struct pinfs_thread *self;
static pthread_key_t self_key;
static pthread_once_t self_key_once = PTHREAD_ONCE_INIT;
static atomic_uint next_index;

static int pool_init(size_t npages)
{
	if (pool.arena)
		return 0;
	pool.arena = arena_create(npages, unsafe_active(UNSAFE_NO_DONTFORK) ? ARENA_NO_DONTFORK : 0);
	datapath_set_arena(pool.arena);
	if (!pool.arena) {
		fprintf(stderr, "pinfs: cannot map %zu buffer pages: %s; using plain memory\n",
			npages, strerror(errno));
		return -errno;
	}
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
	if (pool.arena) {
		arena_destroy(pool.arena);
		pool.arena = NULL;
	}
}

/* @npages contiguous pages: from the arena (*@pages set) or a private mapping. */
static void *buffer_get(size_t npages, struct page **pages)
{
	void *mem;

	*pages = pool.arena ? arena_alloc(pool.arena, npages) : NULL;
	if (*pages)
		return page_address(*pages);
	mem = mmap(NULL, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	madvise(mem, npages * PAGE_SIZE, MADV_DONTFORK);
	return mem;
}

static void buffer_put(void *mem, size_t npages, struct page *pages)
{
	if (!mem)
		return;
	if (pages)
		arena_free(pool.arena, pages, npages);
	else
		munmap(mem, npages * PAGE_SIZE);
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
	buffer_put(th->io_buf, th->io_npages, th->io_pages);
	if (th->rx_mem)
		buffer_put(th->rx_mem - (PAGE_SIZE - PINFS_WRITE_HEADER_SIZE), th->rx_npages,
			   th->rx_pages);
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
 * new request wakes one idle worker rather than every one of them (as a
 * blocking read() would), plus the receive gate's eventfd (if @gated), which
 * wakes them all. -1 if it cannot be made: wait_for_request() then polls.
 */
static int waiter_new(int fuse_fd, bool gated)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = fuse_fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fuse_fd, &ev))
		goto fail;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = hold_gate_fd() };
	if (gated && epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
		goto fail;
	return ep;
fail:
	close(ep);
	return -1;
}

/*
 * Wait until a request may be read: past the receive gate (if @gated), and
 * /dev/fuse readable. False if the gate is closing (the caller goes round again).
 */
static bool wait_for_request(struct pinfs_thread *th, int fuse_fd, bool gated)
{
	struct pollfd pfd[2] = { { fuse_fd, POLLIN, 0 }, { hold_gate_fd(), POLLIN, 0 } };
	struct epoll_event ev[2];
	bool gate = false;
	int n;

	if (gated)
		hold_gate_enter();
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	if (th->wait_fd >= 0)
		n = epoll_wait(th->wait_fd, ev, 2, -1);
	else
		n = poll(pfd, gated ? 2 : 1, -1);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	if (n <= 0)
		return false;
	if (th->wait_fd < 0)
		return !(gated && (pfd[1].revents & POLLIN));
	for (int k = 0; k < n; k++)
		gate |= ev[k].data.fd != fuse_fd;
	return !gate;
}

/* Whether @buf is a READ (a request spliced into a pipe is a large WRITE). */
static bool is_read(const struct fuse_buf *buf)
{
	const struct fuse_in_header *in = buf->mem;

	return !(buf->flags & FUSE_BUF_IS_FD) && buf->size >= sizeof(*in) &&
	       in->opcode == FUSE_READ;
}

/*
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
	int fuse_fd = fuse_session_fd(se);

	th->batching = e->flush != NULL;
	if (gated || th->batching)
		th->wait_fd = waiter_new(fuse_fd, gated);
	while (!fuse_session_exited(se)) {
		struct fuse_buf buf = {.mem = th->rx_mem, .size = th->rx_size};
		bool queued = th->batching && e->queued();
		int res;

		if (queued && ((gated && hold_gate_closed()) || hold_any_armed())) {
			e->flush();
			continue;
		}
		if (!queued && (gated || th->batching) && !wait_for_request(th, fuse_fd, gated))
			continue;
		if (!queued)
			pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		res = fuse_session_receive_buf(se, &buf);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (res == -EINTR || res == -EAGAIN) {
			if (queued)
				e->flush();
			continue;
		}
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

/* A worker's life: its ring with transport=uring, /dev/fuse otherwise or if the ring fails. */
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

/* Runs when a worker ends, also when it is cancelled in a receive. */
static void worker_cleanup(void *arg)
{
	thread_teardown();
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t set;

	/* Signals go to the main thread, which ends the session. */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	self = w->th;
	thread_setup();
	pthread_cleanup_push(worker_cleanup, w->th);
	work(w->loop, w->th, w->index);
	pthread_cleanup_pop(1);
	sem_post(&w->loop->finished);
	return NULL;
}

int loop_run(struct pinfs *fs, unsigned int nthreads)
{
	struct loop l = {.fs = fs};
	struct worker *workers;
	int ret = 0;

	if (nthreads == 0)
		nthreads = 1;
	thread_engine = fs->engine;
	pool_init((size_t)nthreads * (PINFS_IO_PAGES + PINFS_RX_PAGES + PINFS_SPARE_PAGES));
	l.ring = fs->opts->transport == TRANSPORT_URING && !transport_uring_start(fs, nthreads);
	if (fs->opts->control || fs->engine->flush) {
		int fd = fuse_session_fd(fs->se);

		/* Gated and batching workers poll, then read without blocking (see loop.h). */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	if (fs->opts->control)
		hold_set_workers(nthreads);
	workers = calloc(nthreads, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (unsigned int i = 0; i < nthreads; i++) {
		workers[i].loop = &l;
		workers[i].index = i;
		workers[i].th = thread_new(true);
		if (!workers[i].th) {
			ret = -ENOMEM;
			goto out;
		}
	}

	if (nthreads == 1) {
		self = workers[0].th;
		thread_setup();
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
			break;
		}
		workers[i].started = true;
	}
	/* sem_wait() returns early on signals; the handler ends the session. */
	while (!fuse_session_exited(fs->se)) {
		if (sem_wait(&l.finished) == 0)
			break;
	}
	hold_release(0);	/* a parked worker must not outlive the session */
	transport_uring_stop();	/* ring workers wait in io_uring_enter(), not cancellable */
	for (unsigned int i = 0; i < nthreads; i++)
		if (workers[i].started)
			pthread_cancel(workers[i].tid);
	for (unsigned int i = 0; i < nthreads; i++)
		if (workers[i].started)
			pthread_join(workers[i].tid, NULL);
	sem_destroy(&l.finished);
out:
	transport_uring_finish();	/* its long-term pins end with the rings */
	check_leaks();
	for (unsigned int i = 0; i < nthreads; i++)
		thread_free(workers[i].th);
	free(workers);
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
	pool_init((size_t)max_threads * (PINFS_IO_PAGES + PINFS_SPARE_PAGES));
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, 1);
	fuse_loop_cfg_set_max_threads(cfg, max_threads);
	fuse_loop_cfg_set_idle_threads(cfg, max_threads);
	ret = fuse_session_loop_mt(fs->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	/* libfuse's threads are gone; their buffers went back via the key destructor. */
	check_leaks();
	pool_destroy();
	return ret < 0 ? ret : ret > 0 ? -EIO : 0;
}
