// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The page arena (spec §6, "daemon buffer policy"): dedicated anonymous
 * mappings, MADV_DONTFORK, MADV_POPULATE_WRITE, page-granular allocation, and
 * in check mode the write protection of source-pinned pages.
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "pinit/alloc.h"
#include "pinit/arena.h"
#include "pinit/gup.h"
#include "pinit/ledger.h"
#include "pinit/warn.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define MAX_ARENAS 64
#define MAX_RINGS 64

enum page_state { PAGE_FREE, PAGE_USED, PAGE_HELD };

struct arena {
	char *base;
	size_t npages;
	unsigned int flags;
	struct page *pages;
	uint8_t *state;		/* enum page_state per page */
	size_t nfree;
	size_t hint;		/* where the next search starts */
	/*
	 * state, nfree, hint, rings. Lock order: after any lock of the caller's
	 * (pinfs: docs/design.md); under it a page's protection lock
	 * (page.h), the ledger's last_lock and warn_lock.
	 */
	pthread_mutex_t lock;
	int slot;
	struct io_uring *rings[MAX_RINGS];
	int nr_rings;
};

/* Live arenas, found lock-free by address; slots are reused after destroy. */
static _Atomic(struct arena *) arenas[MAX_ARENAS];
static atomic_int arena_slots_used;	/* high-water mark of used slots */

static const struct pinit_site destroy_site = { __FILE__, "arena_destroy", 0 };
static const struct pinit_site register_site = { __FILE__, "arena_register_uring", 0 };
static const struct pinit_site unregister_site = { __FILE__, "arena_unregister_uring", 0 };
static const struct pinit_site fault_site = { "(write fault)", "arena_handle_fault", 0 };

static bool contains(const struct arena *a, uintptr_t addr)
{
	return addr >= (uintptr_t)a->base && addr - (uintptr_t)a->base < a->npages * PAGE_SIZE;
}

struct arena *arena_of(const void *addr)
{
	int used = atomic_load_explicit(&arena_slots_used, memory_order_acquire);

	for (int s = 0; s < used; s++) {
		struct arena *a = atomic_load_explicit(&arenas[s], memory_order_acquire);

		if (a && contains(a, (uintptr_t)addr))
			return a;
	}
	return NULL;
}

struct page *arena_page(struct arena *a, const void *addr)
{
	if (!contains(a, (uintptr_t)addr))
		return NULL;
	return &a->pages[((uintptr_t)addr - (uintptr_t)a->base) >> PAGE_SHIFT];
}

struct page *arena_page_lookup(const void *addr)
{
	struct arena *a = arena_of(addr);

	return a ? arena_page(a, addr) : NULL;
}

static struct arena *arena_of_page(const struct page *page)
{
	return arena_of((void *)page->addr);
}

static size_t page_index(const struct arena *a, const struct page *page)
{
	return (size_t)(page - a->pages);
}

/* Referenced or pinned at all (leak check at destroy). */
static bool page_held(const struct page *page)
{
	return atomic_load(&page->gets) > 0 || atomic_load(&page->pins);
}

/*
 * In use by I/O: referenced or pinned short-term. The long-term pins of an
 * io_uring registration cover the whole arena for its lifetime and do not stop
 * a page from being reused.
 */
static bool page_busy(const struct page *page)
{
	uint64_t pins = atomic_load(&page->pins);

	return atomic_load(&page->gets) > 0 || pin_field(pins, PAGE_PIN_SOURCE) ||
	       pin_field(pins, PAGE_PIN_DEST);
}

static int claim_slot(struct arena *a)
{
	for (int s = 0; s < MAX_ARENAS; s++) {
		struct arena *expected = NULL;

		if (atomic_compare_exchange_strong(&arenas[s], &expected, a)) {
			int used = atomic_load(&arena_slots_used);

			while (used < s + 1 &&
			       !atomic_compare_exchange_weak(&arena_slots_used, &used, s + 1))
				;
			return s;
		}
	}
	return -1;
}

struct arena *arena_create(size_t npages, unsigned int flags)
{
	struct arena *a;

	if (!npages || npages > SIZE_MAX / PAGE_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	a = pinit_calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->npages = a->nfree = npages;
	a->flags = flags;
	pthread_mutex_init(&a->lock, NULL);
	a->pages = pinit_calloc(npages, sizeof(*a->pages));
	a->state = pinit_calloc(npages, 1);
	if (!a->pages || !a->state)
		goto fail;
	a->base = mmap(NULL, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->base == MAP_FAILED) {
		a->base = NULL;
		goto fail;
	}
	if (!(flags & ARENA_NO_DONTFORK) && madvise(a->base, npages * PAGE_SIZE, MADV_DONTFORK))
		goto fail;
	/* Fault everything in now, so the I/O path never takes a page fault. */
	if (madvise(a->base, npages * PAGE_SIZE, MADV_POPULATE_WRITE) && errno != EINVAL)
		goto fail;
	for (size_t n = 0; n < npages; n++) {
		struct page *page = &a->pages[n];

		page->addr = (uintptr_t)a->base + n * PAGE_SIZE;
		atomic_init(&page->refcount, 1);
		atomic_init(&page->flags, PG_arena | (flags & ARENA_LARGE ? PG_large : 0));
	}
	a->slot = claim_slot(a);
	if (a->slot < 0) {
		errno = ENOSPC;
		goto fail;
	}
	pinit_trap_init();
	return a;
fail:
	if (a->base)
		munmap(a->base, npages * PAGE_SIZE);
	free(a->pages);
	free(a->state);
	free(a);
	return NULL;
}

long arena_destroy(struct arena *a)
{
	long leaked = 0;

	if (!a)
		return 0;
	for (size_t n = 0; n < a->npages; n++) {
		if (a->state[n] != PAGE_FREE || page_held(&a->pages[n])) {
			leaked++;
			ledger_report(LV_LEAK, &a->pages[n], &destroy_site);
		}
	}
	atomic_store(&arenas[a->slot], NULL);
	munmap(a->base, a->npages * PAGE_SIZE);
	pthread_mutex_destroy(&a->lock);
	free(a->pages);
	free(a->state);
	free(a);
	return leaked;
}

void *arena_base(const struct arena *a)
{
	return a->base;
}

size_t arena_npages(const struct arena *a)
{
	return a->npages;
}

size_t arena_free_pages(struct arena *a)
{
	size_t n;

	pthread_mutex_lock(&a->lock);
	n = a->nfree;
	pthread_mutex_unlock(&a->lock);
	return n;
}

/*
 * A free page must not be referenced or pinned. One that is (someone pinned a
 * page after it was freed) is never handed out: it is reported, parked as held,
 * and comes back when released. Called locked.
 */
static bool usable(struct arena *a, size_t n, const struct pinit_site *site)
{
	struct page *page = &a->pages[n];

	if (a->state[n] != PAGE_FREE)
		return false;
	if (!page_busy(page))
		return true;
	a->state[n] = PAGE_HELD;
	a->nfree--;
	atomic_fetch_or(&page->flags, PG_held);
	if (ledger_mode() != PIN_CHECK_OFF)
		ledger_report(LV_REUSE_PINNED, page, site);
	return false;
}

/* First fit from @from: index of a run of @count usable pages, or SIZE_MAX. Called locked. */
static size_t find_run(struct arena *a, size_t from, size_t count, const struct pinit_site *site)
{
	size_t run = 0;

	for (size_t n = from; n < a->npages; n++) {
		run = usable(a, n, site) ? run + 1 : 0;
		if (run == count)
			return n + 1 - count;
	}
	return SIZE_MAX;
}

struct page *_arena_alloc(struct arena *a, size_t count, const struct pinit_site *site)
{
	size_t first;

	if (!count || count > a->npages)
		return NULL;
	pthread_mutex_lock(&a->lock);
	first = SIZE_MAX;
	if (a->nfree >= count) {
		first = find_run(a, a->hint, count, site);
		if (first == SIZE_MAX && a->hint)
			first = find_run(a, 0, count, site);
	}
	if (first != SIZE_MAX) {
		memset(&a->state[first], PAGE_USED, count);
		a->nfree -= count;
		a->hint = first + count < a->npages ? first + count : 0;
		for (size_t n = first; n < first + count; n++)
			page_set_owner(&a->pages[n], site);
	}
	pthread_mutex_unlock(&a->lock);
	return first == SIZE_MAX ? NULL : &a->pages[first];
}

void _arena_free(struct arena *a, struct page *first, size_t count, const struct pinit_site *site)
{
	size_t start = page_index(a, first);

	if (start >= a->npages || count > a->npages - start) {
		pinit_warn(site, "arena_free() of pages outside the arena");
		return;
	}
	pthread_mutex_lock(&a->lock);
	for (size_t n = start; n < start + count; n++) {
		struct page *page = &a->pages[n];

		if (a->state[n] != PAGE_USED) {
			pinit_warn(site, "arena_free() of a page that is not allocated");
			continue;
		}
		/* Dekker with arena_page_released(): flag first, then look at the counts. */
		a->state[n] = PAGE_HELD;
		atomic_fetch_or(&page->flags, PG_held);
		if (page_busy(page)) {
			if (ledger_mode() != PIN_CHECK_OFF)
				ledger_report(LV_FREE_PINNED, page, site);
			continue;
		}
		atomic_fetch_and(&page->flags, ~(unsigned int)PG_held);
		a->state[n] = PAGE_FREE;
		a->nfree++;
	}
	pthread_mutex_unlock(&a->lock);
}

void arena_page_released(struct page *page)
{
	struct arena *a;
	size_t n;

	if (!(atomic_load(&page->flags) & PG_held) || page_busy(page))
		return;
	a = arena_of_page(page);
	if (!a)
		return;
	n = page_index(a, page);
	pthread_mutex_lock(&a->lock);
	if (a->state[n] == PAGE_HELD && !page_busy(page)) {
		atomic_fetch_and(&page->flags, ~(unsigned int)PG_held);
		a->state[n] = PAGE_FREE;
		a->nfree++;
	}
	pthread_mutex_unlock(&a->lock);
}

bool arena_page_fork_protected(const struct page *page)
{
	struct arena *a = arena_of_page(page);

	return a && !(a->flags & ARENA_NO_DONTFORK);
}

int arena_for_each_page(int (*fn)(struct page *page, void *arg), void *arg)
{
	int used = atomic_load(&arena_slots_used), ret = 0;

	for (int s = 0; s < used && !ret; s++) {
		struct arena *a = atomic_load(&arenas[s]);

		for (size_t n = 0; a && n < a->npages && !ret; n++)
			ret = fn(&a->pages[n], arg);
	}
	return ret;
}

/* ---- check mode: write protection of source-pinned pages ---- */

static void page_lock(struct page *page)
{
	while (atomic_exchange_explicit(&page->lock, 1, memory_order_acquire))
		;
}

static void page_unlock(struct page *page)
{
	atomic_store_explicit(&page->lock, 0, memory_order_release);
}

static void set_protection(struct page *page, bool readonly)
{
	int prot = readonly ? PROT_READ : PROT_READ | PROT_WRITE;

	if (mprotect(page_address(page), PAGE_SIZE, prot))
		return;
	if (readonly)
		atomic_fetch_or(&page->flags, PG_protected);
	else
		atomic_fetch_and(&page->flags, ~(unsigned int)PG_protected);
}

void arena_update_protection(struct page *page)
{
	uint64_t pins;
	unsigned int flags;
	bool want;

	page_lock(page);
	pins = atomic_load(&page->pins);
	if (!pin_field(pins, PAGE_PIN_SOURCE))
		atomic_fetch_and(&page->flags, ~(unsigned int)PG_violated);
	flags = atomic_load(&page->flags);
	/* Source pins and no destination pin: nothing may write the page. */
	want = pin_field(pins, PAGE_PIN_SOURCE) && !pin_field(pins, PAGE_PIN_DEST) &&
	       !(flags & PG_violated) && ledger_mode() != PIN_CHECK_OFF;
	if (want != !!(flags & PG_protected))
		set_protection(page, want);
	page_unlock(page);
}

/* Is the page writable right now? (MADV_POPULATE_WRITE fails on a read-only mapping.) */
static bool writable_now(void *page_addr)
{
	return !madvise(page_addr, PAGE_SIZE, MADV_POPULATE_WRITE);
}

bool arena_handle_fault(void *addr)
{
	struct page *page = arena_page_lookup(addr);
	bool was_protected;

	if (!page)
		return false;
	page_lock(page);
	was_protected = atomic_load(&page->flags) & PG_protected;
	if (was_protected) {
		set_protection(page, false);
		atomic_fetch_or(&page->flags, PG_violated);
	}
	page_unlock(page);
	if (was_protected) {
		ledger_report(LV_WRITE_SOURCE_PINNED, page, &fault_site);
		return true;
	}
	/* Unprotected since the fault was raised: retry; any other fault is not ours. */
	return writable_now(page_address(page));
}

/* ---- io_uring registration: a long-term pin on every page ---- */

/* Drop the long-term pins of one registration from the first @npages pages. */
static void unpin_registration(struct arena *a, size_t npages)
{
	for (size_t n = 0; n < npages; n++) {
		struct page *page = &a->pages[n];

		_unpin_user_pages_flags(&page, 1, FOLL_LONGTERM | FOLL_WRITE, false,
					&unregister_site);
	}
}

int arena_register_uring(struct arena *a, struct io_uring *ring)
{
	struct iovec iov = { a->base, a->npages * PAGE_SIZE };
	size_t pinned = 0;
	int ret;

	pthread_mutex_lock(&a->lock);
	if (a->nr_rings == MAX_RINGS) {
		pthread_mutex_unlock(&a->lock);
		return -ENOSPC;
	}
	/* Pinned before the kernel sees the buffers, as io_sqe_buffers_register() does. */
	while (pinned < a->npages &&
	       gup_pin_page(&a->pages[pinned], FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM,
			    &register_site))
		pinned++;
	if (pinned)
		mm_set_has_pinned_flag();
	ledger_count_acquire(PIN_TAG_PIN_LONGTERM, pinned);
	ret = pinned < a->npages ? -ENOMEM : io_uring_register_buffers(ring, &iov, 1);
	if (!ret)
		a->rings[a->nr_rings++] = ring;
	pthread_mutex_unlock(&a->lock);
	/* Unlocked: dropping a pin may hand a held page back (arena_page_released()). */
	if (ret)
		unpin_registration(a, pinned);
	return ret;
}

int arena_unregister_uring(struct arena *a, struct io_uring *ring)
{
	bool found = false;
	int ret;

	pthread_mutex_lock(&a->lock);
	for (int r = 0; r < a->nr_rings && !found; r++) {
		if (a->rings[r] == ring) {
			a->rings[r] = a->rings[--a->nr_rings];
			found = true;
		}
	}
	pthread_mutex_unlock(&a->lock);
	if (!found)
		return -ENOENT;
	ret = io_uring_unregister_buffers(ring);
	unpin_registration(a, a->npages);
	return ret;
}
