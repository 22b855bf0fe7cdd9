// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's one arena and every thread's buffers (buffers.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pinit/arena.h>
#include <pinit/ledger.h>

#include "buffers.h"
#include "creds.h"
#include "engine.h"
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
static const struct pinfs_engine *thread_engine;	/* its thread_exit() runs as workers end */

int buffers_init(unsigned int nthreads, bool with_rx, const struct pinfs_engine *engine)
{
	size_t npages = (size_t)nthreads * (PINFS_IO_PAGES + (with_rx ? PINFS_RX_PAGES : 0) +
					    PINFS_SPARE_PAGES);

	thread_engine = engine;
	pool = arena_create(npages, unsafe_active(UNSAFE_NO_DONTFORK) ? ARENA_NO_DONTFORK : 0);
	if (!pool) {
		int err = -errno;

		fprintf(stderr, "pinfs: cannot map the buffer arena, %zu KiB for %u threads "
				"(-o max_threads): %s\n",
			npages * PAGE_SIZE >> 10, nthreads, strerror(-err));
		return err;
	}
	return 0;
}

struct arena *buffers_arena(void)
{
	return pool;
}

static long leaked_pages;

/*
 * Every worker is gone: whatever the buffers still hold leaked. Report it as
 * a leak now, before the buffers go back to the arena (where a leaked pin
 * would only read as "pinned page freed", and pin_check=strict would stop
 * there), and remember it for the exit status (buffers_leaked_pages()).
 */
void buffers_check_leaks(void)
{
	leaked_pages += ledger_check_leaks();
}

long buffers_leaked_pages(void)
{
	return leaked_pages;
}

void buffers_destroy(void)
{
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

void pinfs_thread_free(struct pinfs_thread *th)
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

struct pinfs_thread *pinfs_thread_new(bool with_rx)
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
	pinfs_thread_free(th);
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

static void thread_teardown(void)
{
	if (thread_engine && thread_engine->thread_exit)
		thread_engine->thread_exit();
}

void pinfs_thread_enter(struct pinfs_thread *th)
{
	self = th;
	thread_setup();
}

void pinfs_thread_leave(void)
{
	thread_teardown();
	self = NULL;
}

static void foreign_thread_exit(void *arg)
{
	thread_teardown();
	pinfs_thread_free(arg);
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
	self = pinfs_thread_new(false);
	if (self) {
		pthread_setspecific(self_key, self);
		thread_setup();
	}
	return self;
}
