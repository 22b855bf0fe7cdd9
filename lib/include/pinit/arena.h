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

/*
 * Map an arena of @npages pages. Returns NULL with errno set on failure
 * (ENOMEM, or EINVAL for @npages == 0).
 */
struct arena *arena_create(size_t npages, unsigned int flags);

/*
 * Unmap the arena. Pages still allocated, referenced or pinned are reported
 * (LV_LEAK) first. Returns the number of such pages.
 */
long arena_destroy(struct arena *a);

/*
 * Hand out @n physically contiguous (virtually contiguous) free pages; returns
 * the first descriptor, or NULL if no run of @n is free. The pages' memory is not
 * cleared.
 */
#define arena_alloc(a, n) _arena_alloc((a), (n), PINIT_SITE)
struct page *_arena_alloc(struct arena *a, size_t n, const struct pinit_site *site);

/* Return @n pages starting at @first. */
#define arena_free(a, first, n) _arena_free((a), (first), (n), PINIT_SITE)
void _arena_free(struct arena *a, struct page *first, size_t n, const struct pinit_site *site);

/* Geometry. */
void *arena_base(const struct arena *a);
size_t arena_npages(const struct arena *a);
size_t arena_free_pages(struct arena *a);

/* The arena containing @addr, or NULL. Lock-free. */
struct arena *arena_of(const void *addr);

/* Descriptor of an arena address (NULL if @addr is outside @a). */
struct page *arena_page(struct arena *a, const void *addr);

/*
 * Register the whole arena with @ring as one fixed buffer (index 0) and record a
 * PIN_LONGTERM on every page, as IORING_REGISTER_BUFFERS takes
 * FOLL_WRITE|FOLL_PIN|FOLL_LONGTERM. Returns 0 or a negative errno (-ENOMEM when
 * RLIMIT_MEMLOCK forbids it). Each registration holds its own long-term pins;
 * unregistering from @ring drops them.
 */
int arena_register_uring(struct arena *a, struct io_uring *ring);
int arena_unregister_uring(struct arena *a, struct io_uring *ring);

#endif
