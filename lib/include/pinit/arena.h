/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The page arena: the daemon's I/O memory (spec §6 "daemon buffer policy").
 *
 * One dedicated anonymous mmap region per arena, page-aligned and page-granular,
 * MADV_DONTFORK (fork never COW-shares it) and MADV_POPULATE_WRITE at creation
 * (no page faults on the I/O path). Pages are handed out and returned one at a
 * time or in runs; the per-page descriptors are an array, so finding a page's
 * descriptor costs no lookup and no lock.
 *
 * With the ledger in ON or STRICT mode:
 *  - a pinned page is never handed out again (LV_REUSE_PINNED) and a page freed
 *    while pinned is reported (LV_FREE_PINNED) and held back until unpinned;
 *  - a page pinned only as an I/O source is mapped read-only until its last
 *    unpin, so a write to in-flight data faults and is reported
 *    (LV_WRITE_SOURCE_PINNED) with the page and the pin's owner. In ON mode the
 *    page is then made writable and the write proceeds; in STRICT mode the
 *    process aborts.
 * With PIN_CHECK_OFF none of this runs.
 */
#ifndef PINIT_ARENA_H
#define PINIT_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "page.h"
#include "site.h"

struct arena;
struct io_uring;

enum arena_flags {
	ARENA_NO_DONTFORK = 1U << 0,	/* unsafe: leave the region fork-shareable (tests only) */
	ARENA_LARGE = 1U << 1,		/* descriptors model a large folio (exact pincount) */
};

/**
 * arena_create() - map an arena
 * @npages: its size in pages
 * @flags: enum arena_flags
 *
 * Installs the fault trap (lib/trap.c) on first use.
 *
 * Context: Any thread; mmap(2) and madvise(2) populate every page, which may
 * take long for a large arena.
 * Return: the arena, or NULL with errno set: EINVAL (@npages is 0 or too
 * large), ENOMEM, ENOSPC (64 arenas exist), or mmap(2)'s or madvise(2)'s error.
 */
struct arena *arena_create(size_t npages, unsigned int flags);

/**
 * arena_destroy() - unmap an arena
 * @a: the arena, or NULL
 *
 * Pages still allocated, referenced or pinned are reported (LV_LEAK) first;
 * the arena is unmapped all the same.
 *
 * Context: No other thread may use @a, its pages or its descriptors any more.
 * In PIN_CHECK_STRICT a leak aborts the process.
 * Return: the number of such pages.
 */
long arena_destroy(struct arena *a);

/**
 * arena_alloc() - take a run of free pages
 * @a: the arena
 * @n: pages, virtually contiguous
 *
 * The memory is not cleared. A free page that is still referenced or pinned
 * (someone pinned it after it was freed) is never handed out: it is reported
 * (LV_REUSE_PINNED) and held back until released.
 *
 * Context: Any thread; takes the arena's lock. In PIN_CHECK_STRICT a report
 * aborts the process.
 * Return: the first page's descriptor, or NULL if no run of @n is free (or
 * @n is 0 or larger than the arena).
 */
#define arena_alloc(a, n) _arena_alloc((a), (n), PINIT_SITE)
struct page *_arena_alloc(struct arena *a, size_t n, const struct pinit_site *site);

/**
 * arena_free() - give back @n pages from @first
 * @a: the arena
 * @first: the first page, from arena_alloc()
 * @n: pages
 *
 * A page still referenced or pinned is reported (LV_FREE_PINNED) and held
 * back until its last release; a page that is not allocated, or a range
 * outside the arena, is warned and skipped.
 *
 * Context: as arena_alloc().
 */
#define arena_free(a, first, n) _arena_free((a), (first), (n), PINIT_SITE)
void _arena_free(struct arena *a, struct page *first, size_t n, const struct pinit_site *site);

/**
 * arena_base() - the arena's first byte
 * @a: the arena
 *
 * Context: Any thread.
 * Return: the address; the arena spans arena_npages() pages from it.
 */
void *arena_base(const struct arena *a);

/**
 * arena_npages() - the arena's size in pages
 * @a: the arena
 *
 * Context: Any thread.
 * Return: the number of pages.
 */
size_t arena_npages(const struct arena *a);

/**
 * arena_free_pages() - pages free right now
 * @a: the arena
 *
 * Context: Any thread; takes the arena's lock.
 * Return: the number, already stale when it returns.
 */
size_t arena_free_pages(struct arena *a);

/**
 * arena_of() - the arena that contains an address
 * @addr: any address
 *
 * Context: Any thread; lock-free.
 * Return: the arena, or NULL.
 */
struct arena *arena_of(const void *addr);

/**
 * arena_page() - the descriptor of an arena address
 * @a: the arena
 * @addr: an address in it
 *
 * Context: Any thread; lock-free.
 * Return: the descriptor of the page holding @addr, or NULL if @addr is
 * outside @a.
 */
struct page *arena_page(struct arena *a, const void *addr);

/**
 * arena_register_uring() - register the arena with a ring as fixed buffer 0
 * @a: the arena
 * @ring: the ring
 *
 * Every page gets a PIN_LONGTERM first, as IORING_REGISTER_BUFFERS takes
 * FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM. Each registration holds its own
 * long-term pins until arena_unregister_uring() with the same ring.
 *
 * Context: Any thread; takes the arena's lock across the registration (a
 * system call).
 * Return: 0, or -ENOSPC (64 rings registered already), -ENOMEM
 * (RLIMIT_MEMLOCK forbids it, or a pin count is full), or
 * io_uring_register_buffers()'s error; on failure no pin is left.
 */
int arena_register_uring(struct arena *a, struct io_uring *ring);

/**
 * arena_unregister_uring() - undo arena_register_uring()
 * @a: the arena
 * @ring: the ring it was registered with
 *
 * Drops the registration's long-term pins.
 *
 * Context: Any thread; takes the arena's lock.
 * Return: 0, -ENOENT if @ring is not registered with @a, or
 * io_uring_unregister_buffers()'s error (the pins are dropped all the same).
 */
int arena_unregister_uring(struct arena *a, struct io_uring *ring);

#endif
