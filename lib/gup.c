// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * get_user_pages / pin_user_pages and their releases (the mm/gup.c analogue,
 * spec §2.1–§2.3, §1.11 M-3, §2.6 P-4).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"
#include "pinit/gup.h"
#include "pinit/ledger.h"
#include "pinit/uio.h"
#include "pinit/warn.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/* Pages of [addr, addr + npages) that GUP can have, counted from the start. */
static size_t accessible_run(uintptr_t addr, size_t npages, unsigned int gup_flags)
{
	int advice = gup_flags & FOLL_WRITE ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
	size_t n;

	if (gup_flags & FOLL_NOFAULT) {
		unsigned char vec[64];

		for (n = 0; n < npages; n++) {
			if (n % sizeof(vec) == 0 &&
			    mincore((void *)(addr + n * PAGE_SIZE),
				    min_t(size_t, npages - n, sizeof(vec)) * PAGE_SIZE, vec))
				break;
			if (!(vec[n % sizeof(vec)] & 1))
				break;
		}
		return n;
	}
	if (!madvise((void *)addr, npages * PAGE_SIZE, advice))
		return npages;
	for (n = 0; n < npages; n++)
		if (madvise((void *)(addr + n * PAGE_SIZE), PAGE_SIZE, advice))
			break;
	return n;
}

/*
 * How many pages from @start GUP could take: arena pages always qualify (they
 * are populated at creation and never unmapped); runs of other pages are
 * faulted in, or checked for presence with FOLL_NOFAULT.
 */
static size_t grabbable_pages(uintptr_t start, size_t npages, unsigned int gup_flags)
{
	size_t n = 0;

	while (n < npages) {
		size_t run = 0, got;

		if (!access_ok((void *)(start + n * PAGE_SIZE), PAGE_SIZE))
			break;
		if (arena_page_lookup((void *)(start + n * PAGE_SIZE))) {
			n++;
			continue;
		}
		while (n + run < npages &&
		       access_ok((void *)(start + (n + run) * PAGE_SIZE), PAGE_SIZE) &&
		       !arena_page_lookup((void *)(start + (n + run) * PAGE_SIZE)))
			run++;
		got = accessible_run(start + n * PAGE_SIZE, run, gup_flags);
		n += got;
		if (got < run)
			break;
	}
	return n;
}

static bool is_arena(const struct page *page)
{
	return atomic_load_explicit(&page->flags, memory_order_relaxed) & PG_arena;
}

static void grab_ref(struct page *page, const struct pinit_site *site)
{
	atomic_fetch_add_explicit(&page->refcount, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&page->gets, 1, memory_order_relaxed);
	page_set_owner(page, site);
}

void gup_pin_page(struct page *page, unsigned int gup_flags, const struct pinit_site *site)
{
	int bias = page_is_large(page) ? 1 : GUP_PIN_COUNTING_BIAS;

	atomic_fetch_add_explicit(&page->refcount, bias, memory_order_relaxed);
	if (gup_flags & FOLL_LONGTERM)
		atomic_fetch_add_explicit(&page->longterm, 1, memory_order_relaxed);
	else if (!(gup_flags & FOLL_WRITE))
		atomic_fetch_add_explicit(&page->source_pins, 1, memory_order_relaxed);
	/* Pairs with fork's reading of the pin (the kernel's smp_mb__after_atomic()). */
	atomic_fetch_add_explicit(&page->pincount, 1, memory_order_seq_cst);
	page_set_owner(page, site);
	if (is_arena(page) && ledger_mode() != PIN_CHECK_OFF)
		arena_update_protection(page);
}

static long grab_pages(unsigned long start, int nr_pages, unsigned int gup_flags,
		       struct page **pages, const struct pinit_site *site)
{
	uintptr_t addr = start & PAGE_MASK;
	size_t n, got;

	if (nr_pages <= 0)
		return 0;
	got = grabbable_pages(addr, nr_pages, gup_flags);
	for (n = 0; n < got; n++) {
		struct page *page = virt_to_page((void *)(addr + n * PAGE_SIZE));

		if (!page)
			break;
		if (gup_flags & FOLL_PIN)
			gup_pin_page(page, gup_flags, site);
		else
			grab_ref(page, site);
		pages[n] = page;
	}
	if (n && (gup_flags & FOLL_PIN))
		mm_set_has_pinned_flag();
	if (n)
		ledger_count_acquire(gup_flags & FOLL_PIN ? (gup_flags & FOLL_LONGTERM ?
							     PIN_TAG_PIN_LONGTERM : PIN_TAG_PIN)
							  : PIN_TAG_GET, n);
	return n ? (long)n : -EFAULT;
}

long _get_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			  struct page **pages, const struct pinit_site *site)
{
	if (gup_flags & (FOLL_PIN | FOLL_LONGTERM)) {
		pinit_warn(site, "get_user_pages_fast() with FOLL_PIN or FOLL_LONGTERM");
		return -EINVAL;
	}
	return grab_pages(start, nr_pages, gup_flags | FOLL_GET, pages, site);
}

long _pin_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			  struct page **pages, const struct pinit_site *site)
{
	if (gup_flags & FOLL_GET) {
		/* try_grab_page(): FOLL_PIN and FOLL_GET are mutually exclusive. */
		pinit_warn(site, "pin_user_pages_fast() with FOLL_GET");
		return -EINVAL;
	}
	return grab_pages(start, nr_pages, gup_flags | FOLL_PIN, pages, site);
}

void _get_page(struct page *page, const struct pinit_site *site)
{
	grab_ref(page, site);
	ledger_count_acquire(PIN_TAG_GET, 1);
}

/* Decrement @v unless it is zero; false if it was zero. */
static bool dec_unless_zero(atomic_int *v)
{
	int old = atomic_load(v);

	do {
		if (old <= 0)
			return false;
	} while (!atomic_compare_exchange_weak(v, &old, old - 1));
	return true;
}

static void after_release(struct page *page)
{
	if (is_arena(page)) {
		/* A page protected before a switch to PIN_CHECK_OFF must still be unprotected. */
		if (ledger_mode() != PIN_CHECK_OFF ||
		    (atomic_load_explicit(&page->flags, memory_order_relaxed) & PG_protected))
			arena_update_protection(page);
		arena_page_released(page);
	}
}

void _put_page(struct page *page, const struct pinit_site *site)
{
	if (!dec_unless_zero(&page->gets)) {
		ledger_report(atomic_load(&page->pincount) ? LV_PUT_PINNED : LV_PUT_UNREFERENCED,
			      page, site);
		return;
	}
	atomic_fetch_sub_explicit(&page->refcount, 1, memory_order_release);
	ledger_count_release(PIN_TAG_GET, 1);
	after_release(page);
}

/*
 * Drop one pin. The kernel's unpin does not say which pin it drops; the model
 * drops a short-term pin first, and of those a source pin first (so a page
 * is never left write-protected on account of a pin that is gone).
 */
static bool unpin_one(struct page *page, bool longterm)
{
	int bias = page_is_large(page) ? 1 : GUP_PIN_COUNTING_BIAS;
	int pins = atomic_load(&page->pincount), lt = atomic_load(&page->longterm);

	if (!longterm && pins - lt <= 0)
		longterm = lt > 0;
	if (longterm && !dec_unless_zero(&page->longterm))
		return false;
	if (!dec_unless_zero(&page->pincount)) {
		if (longterm)
			atomic_fetch_add(&page->longterm, 1);
		return false;
	}
	if (!longterm)
		dec_unless_zero(&page->source_pins);
	atomic_fetch_sub_explicit(&page->refcount, bias, memory_order_release);
	ledger_count_release(longterm ? PIN_TAG_PIN_LONGTERM : PIN_TAG_PIN, 1);
	after_release(page);
	return true;
}

void _unpin_user_pages(struct page **pages, long npages, bool make_dirty,
		       const struct pinit_site *site)
{
	if (npages < 0) {
		pinit_warn(site, "unpin_user_pages() passed a negative page count (a -errno?)");
		return;
	}
	for (long n = 0; n < npages; n++) {
		struct page *page = pages[n];

		if (make_dirty && !PageDirty(page))
			set_page_dirty_lock(page);
		if (!unpin_one(page, false))
			ledger_report(LV_UNPIN_UNPINNED, page, site);
	}
}

void gup_unpin_longterm(struct page *page, const struct pinit_site *site)
{
	if (!unpin_one(page, true))
		ledger_report(LV_UNPIN_UNPINNED, page, site);
}
