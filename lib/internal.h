/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Declarations shared between libpinit's own files; not part of the API. */
#ifndef PINIT_INTERNAL_H
#define PINIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "pinit/arena.h"
#include "pinit/ledger.h"
#include "pinit/page.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Cached gettid(). */
int pinit_gettid(void);

/*
 * page->owner is written by every acquisition, from any thread, and read by
 * reports: relaxed atomic accesses to each field (a report may pair the site
 * of one acquisition with the tid of a concurrent one; it is never a data race).
 */
static inline void page_set_owner(struct page *page, const struct pinit_site *site)
{
	__atomic_store_n(&page->owner.site, site, __ATOMIC_RELAXED);
	__atomic_store_n(&page->owner.tid, pinit_gettid(), __ATOMIC_RELAXED);
}

static inline struct pin_owner page_owner(const struct page *page)
{
	return (struct pin_owner){ __atomic_load_n(&page->owner.site, __ATOMIC_RELAXED),
				   __atomic_load_n(&page->owner.tid, __ATOMIC_RELAXED) };
}

/* Install the SIGSEGV/SIGBUS trap once (trap.c). Cheap after the first call. */
void pinit_trap_init(void);

/*
 * Run @fn(@arg) with faults recovered: returns 0 if it completed, -EFAULT if a
 * SIGSEGV or SIGBUS interrupted it (trap.c). @fn must not hold locks or own
 * resources across a possible fault.
 */
int pinit_try(void (*fn)(void *arg), void *arg);

/* The copies without access_ok() or tail zeroing (usercopy.c). Return bytes not copied. */
size_t raw_copy_to_user(void *to, const void *from, size_t n);
size_t raw_copy_from_user(void *to, const void *from, size_t n);

/* Hook for check-mode arena protection faults: true if handled (retry the access). */
bool arena_handle_fault(void *addr);

/* page.c: set MMF_HAS_PINNED (sticky). */
void mm_set_has_pinned_flag(void);

/* Arena internals used by page.c and gup.c. */
int arena_for_each_page(int (*fn)(struct page *page, void *arg), void *arg);
struct page *arena_page_lookup(const void *addr);
bool arena_page_fork_protected(const struct page *page);
void arena_page_released(struct page *page);
/* Check mode: map @page read-only iff it is pinned only as an I/O source. */
void arena_update_protection(struct page *page);

/* The page is in a VMA with MADV_DONTFORK or MADV_WIPEONFORK (reads /proc/self/smaps). */
bool region_fork_protected(uintptr_t addr);

/*
 * gup.c: record one pin of the kind @gup_flags take on a page the caller
 * already has in hand; false (nothing taken) if that kind's count is full.
 * The caller counts the acquisition in the ledger.
 */
bool gup_pin_page(struct page *page, unsigned int gup_flags, const struct pinit_site *site);

/* ledger.c: the violation log line, formatted without locks (signal-safe enough). */
void ledger_log(const struct ledger_report *r);

#endif
