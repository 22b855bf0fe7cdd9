/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct page: the model of one page of this process's memory (spec §1.11 M-4,
 * §2.2, §2.6 P-1, P-2).
 *
 * "User memory" is the process's own address space in PAGE_SIZE units. Every
 * address that libpinit hands out as a page gets a descriptor: arena pages own a
 * preallocated array (no lookup, no lock), any other page is found in a sharded
 * table keyed by its address. Descriptors live until pinit_pages_reset(); a
 * descriptor stands for "the page at this address", as a struct page stands for
 * a physical page.
 *
 * Counting follows mm/gup.c. refcount starts at 1 (the mapping, or the arena's
 * own reference). A GET adds 1. A pin on a small page adds
 * GUP_PIN_COUNTING_BIAS; on a large page (a folio with its own pincount) it adds
 * 1 and the exact pincount carries the pin. page_maybe_dma_pinned() is derived
 * the kernel way, false positives included: a small page with BIAS worth of
 * plain references reads as "maybe pinned".
 */
#ifndef PINIT_PAGE_H
#define PINIT_PAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "site.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGNED(x) ((((uintptr_t)(x)) & (PAGE_SIZE - 1)) == 0)

#define GUP_PIN_COUNTING_BIAS (1U << 10)

/* Page flags (struct page::flags). */
enum {
	PG_dirty = 1U << 0,	/* set on release of a DEST user pin (M-5, P-4) */
	PG_large = 1U << 1,	/* folio_has_pincount(): pins counted exactly */
	PG_arena = 1U << 2,	/* page of a libpinit arena */
	PG_protected = 1U << 3,	/* check mode: mapped read-only while source-pinned */
	PG_violated = 1U << 4,	/* check mode: written while protected; left writable */
	PG_held = 1U << 5,	/* arena page freed while pinned; reusable once released */
};

/* Who took the most recent reference or pin (for leak and misuse reports). */
struct pin_owner {
	const struct pinit_site *site;
	int tid;
};

/*
 * The kinds of pin a page holds. Check mode write-protects a page while it
 * holds source pins and no other short-term pin; long-term pins (io_uring
 * registrations) cover a page for its lifetime and never protect it.
 */
enum page_pin {
	PAGE_PIN_SOURCE,	/* short-term, taken without FOLL_WRITE (an I/O source) */
	PAGE_PIN_DEST,		/* short-term, taken with FOLL_WRITE (an I/O destination) */
	PAGE_PIN_LONGTERM,	/* FOLL_LONGTERM */
	NR_PAGE_PINS
};

/*
 * All of a page's pins are one atomic word, PIN_FIELD_BITS per kind, changed
 * only by compare-and-swap: a release checks for and takes a pin of its kind in
 * one step, and no reader ever sees one kind counted and another not yet.
 */
#define PIN_FIELD_BITS 21
#define PIN_FIELD_MAX ((1U << PIN_FIELD_BITS) - 1)
_Static_assert(NR_PAGE_PINS * PIN_FIELD_BITS <= 64, "every kind's pins fit one 64-bit word");

static inline unsigned int pin_field(uint64_t pins, enum page_pin kind)
{
	return (pins >> (kind * PIN_FIELD_BITS)) & PIN_FIELD_MAX;
}

static inline uint64_t pin_unit(enum page_pin kind)
{
	return (uint64_t)1 << (kind * PIN_FIELD_BITS);
}

struct page {
	uintptr_t addr;			/* page-aligned virtual address */
	atomic_int refcount;		/* _refcount, as described above */
	_Atomic uint64_t pins;		/* pins by kind, read with pin_field() */
	atomic_int gets;		/* outstanding FOLL_GET references */
	atomic_uint flags;		/* PG_* */
	/*
	 * A spinlock for check-mode protection transitions only. Lock order:
	 * after the arena's lock; nothing under it. The SIGSEGV trap takes it
	 * (arena_handle_fault()), so nothing may write an arena page holding it.
	 */
	atomic_int lock;
	struct pin_owner owner;		/* last acquisition */
	struct page *hash_next;		/* table chain (non-arena pages) */
};

/**
 * virt_to_page() - the descriptor of the page holding an address
 * @addr: any address
 *
 * Created on first use; it lives until pinit_pages_reset().
 *
 * Context: Any thread. Lock-free once it exists; creating it takes a shard
 * lock of the descriptor table.
 * Return: the descriptor, or NULL without memory.
 */
struct page *virt_to_page(const void *addr);

/**
 * find_page() - the descriptor of an address, if there is one
 * @addr: any address
 *
 * Context: Any thread; lock-free.
 * Return: the descriptor, or NULL if none was made (never creates one).
 */
struct page *find_page(const void *addr);

/* Accessors: lock-free reads of one descriptor, as the kernel's. */
static inline void *page_address(const struct page *page)
{
	return (void *)page->addr;
}

/**
 * nth_page() - the page @n pages after @page in the address space
 * @page: a descriptor
 * @n: pages on
 *
 * Context: as virt_to_page().
 * Return: as virt_to_page().
 */
struct page *nth_page(struct page *page, size_t n);

static inline int page_ref_count(const struct page *page)
{
	return atomic_load_explicit(&page->refcount, memory_order_relaxed);
}

/* The pins of @kind that @page holds. */
static inline int page_pins(const struct page *page, enum page_pin kind)
{
	return pin_field(atomic_load(&page->pins), kind);
}

/* The exact number of pins of every kind (the folio's _pincount). */
static inline int page_pincount(const struct page *page)
{
	uint64_t pins = atomic_load(&page->pins);

	return pin_field(pins, PAGE_PIN_SOURCE) + pin_field(pins, PAGE_PIN_DEST) +
	       pin_field(pins, PAGE_PIN_LONGTERM);
}

static inline bool PageDirty(const struct page *page)
{
	return atomic_load_explicit(&page->flags, memory_order_relaxed) & PG_dirty;
}

static inline bool page_is_large(const struct page *page)
{
	return atomic_load_explicit(&page->flags, memory_order_relaxed) & PG_large;
}

/**
 * page_maybe_dma_pinned() - folio_maybe_dma_pinned()
 * @page: the page
 *
 * Context: Any thread; lock-free.
 * Return: for a large page, whether it holds a pin (exact); otherwise
 * whether refcount >= GUP_PIN_COUNTING_BIAS: "false means definitely not
 * pinned, true means probably pinned".
 */
bool page_maybe_dma_pinned(const struct page *page);

/**
 * page_set_large() - count a page's pins exactly (a large folio) or by BIAS
 * @page: the page, neither referenced nor pinned
 * @large: true for a large folio
 *
 * Context: Any thread; before the page is used.
 */
void page_set_large(struct page *page, bool large);

/**
 * set_page_dirty_lock() - mark a page dirty
 * @page: the page
 *
 * Counts a clean page made dirty in the ledger (P-4).
 *
 * Context: Any thread; lock-free.
 */
void set_page_dirty_lock(struct page *page);

/**
 * clear_page_dirty() - ClearPageDirty()
 * @page: the page
 *
 * Context: Any thread; lock-free.
 */
void clear_page_dirty(struct page *page);

/**
 * mm_has_pinned() - MMF_HAS_PINNED
 *
 * Context: Any thread; lock-free.
 * Return: true once this process has pinned a page; sticky (P-2).
 */
bool mm_has_pinned(void);

/**
 * for_each_page() - call @fn on every descriptor that exists
 * @fn: the callback; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Arena pages first, then the descriptor table.
 *
 * Context: Any thread; lock-free: descriptors made during the walk may be
 * missed.
 * Return: the first non-zero value @fn returned, else 0.
 */
int for_each_page(int (*fn)(struct page *page, void *arg), void *arg);

/**
 * pinit_pages_reset() - forget every non-arena descriptor and clear has_pinned
 *
 * Context: For tests only: no page may be referenced or pinned, and no other
 * thread may use a descriptor.
 */
void pinit_pages_reset(void);

#endif
