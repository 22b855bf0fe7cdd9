// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * get_user_pages / pin_user_pages and their releases (the mm/gup.c analogue,
 * spec §2.1–§2.3, §1.11 M-3, §2.6 P-4).
 */
#include <errno.h>
#include <limits.h>
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

/* The kind of pin that @gup_flags take (FOLL_LONGTERM, else FOLL_WRITE or not). */
static enum page_pin page_pin_of(unsigned int gup_flags)
{
	if (gup_flags & FOLL_LONGTERM)
		return PAGE_PIN_LONGTERM;
	return gup_flags & FOLL_WRITE ? PAGE_PIN_DEST : PAGE_PIN_SOURCE;
}

static int pin_bias(const struct page *page)
{
	return page_is_large(page) ? 1 : GUP_PIN_COUNTING_BIAS;
}

/* Add @n to the refcount unless it would overflow (folio_ref_try_add()). */
static bool ref_try_add(struct page *page, int n)
{
	int old = atomic_load_explicit(&page->refcount, memory_order_relaxed);

	do {
		if (old > INT_MAX - n)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&page->refcount, &old, old + n,
							memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

bool gup_pin_page(struct page *page, unsigned int gup_flags, const struct pinit_site *site)
{
	enum page_pin kind = page_pin_of(gup_flags);
	uint64_t pins;

	/*
	 * The refcount first, as try_grab_folio() does; a count that would
	 * overflow refuses the pin, as there (-ENOMEM from GUP).
	 */
	if (!ref_try_add(page, pin_bias(page)))
		return false;
	pins = atomic_load_explicit(&page->pins, memory_order_relaxed);
	do {
		if (pin_field(pins, kind) == PIN_FIELD_MAX) {
			atomic_fetch_sub_explicit(&page->refcount, pin_bias(page),
						  memory_order_relaxed);
			return false;
		}
		/* seq_cst: pairs with fork's reading of the pin (smp_mb__after_atomic()). */
	} while (!atomic_compare_exchange_weak_explicit(&page->pins, &pins, pins + pin_unit(kind),
							memory_order_seq_cst,
							memory_order_relaxed));
	page_set_owner(page, site);
	if (is_arena(page) && ledger_mode() != PIN_CHECK_OFF)
		arena_update_protection(page);
	return true;
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
		if (gup_flags & FOLL_PIN) {
			if (!gup_pin_page(page, gup_flags, site))
				break;
		} else {
			grab_ref(page, site);
		}
		pages[n] = page;
	}
	if (n && (gup_flags & FOLL_PIN))
		mm_set_has_pinned_flag();
	if (n)
		ledger_count_acquire(gup_flags & FOLL_PIN ? (gup_flags & FOLL_LONGTERM ?
							     PIN_TAG_PIN_LONGTERM : PIN_TAG_PIN)
							  : PIN_TAG_GET, n);
	if (!n)
		return got ? -ENOMEM : -EFAULT;	/* no descriptor, or a pin count full */
	return n;
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
		ledger_report(page_pincount(page) ? LV_PUT_PINNED : LV_PUT_UNREFERENCED,
			      page, site);
		return;
	}
	atomic_fetch_sub_explicit(&page->refcount, 1, memory_order_release);
	ledger_count_release(PIN_TAG_GET, 1);
	after_release(page);
}

/*
 * The pin a release ends. The kernel's unpin does not say; the model must, so
 * that a short-term release never takes a long-term pin and a destination pin
 * ending never lifts check mode's protection of a source pin. A short-term
 * release ends a pin of its own direction if the page holds one, else one of
 * the other direction (a release that did not say may have ended its own).
 */
static enum page_pin released_pin(uint64_t pins, enum page_pin want)
{
	enum page_pin other = want == PAGE_PIN_DEST ? PAGE_PIN_SOURCE : PAGE_PIN_DEST;

	if (pin_field(pins, want))
		return want;
	if (want != PAGE_PIN_LONGTERM && pin_field(pins, other))
		return other;
	return NR_PAGE_PINS;
}

/* Drop one pin as released_pin() picks it; false (nothing changed) if there is none to drop. */
static bool unpin_one(struct page *page, enum page_pin want)
{
	uint64_t pins = atomic_load_explicit(&page->pins, memory_order_relaxed);
	enum page_pin kind;

	do {
		kind = released_pin(pins, want);
		if (kind == NR_PAGE_PINS)
			return false;
		/* seq_cst: the Dekker pairing with arena_free() (arena_page_released()). */
	} while (!atomic_compare_exchange_weak_explicit(&page->pins, &pins, pins - pin_unit(kind),
							memory_order_seq_cst,
							memory_order_relaxed));
	atomic_fetch_sub_explicit(&page->refcount, pin_bias(page), memory_order_release);
	ledger_count_release(kind == PAGE_PIN_LONGTERM ? PIN_TAG_PIN_LONGTERM : PIN_TAG_PIN, 1);
	after_release(page);
	return true;
}

static void unpin_pages(struct page **pages, long npages, enum page_pin want,
			bool make_dirty, const struct pinit_site *site)
{
	if (npages < 0) {
		pinit_warn(site, "unpin_user_pages() passed a negative page count (a -errno?)");
		return;
	}
	for (long n = 0; n < npages; n++) {
		struct page *page = pages[n];

		if (make_dirty && !PageDirty(page))
			set_page_dirty_lock(page);
		if (!unpin_one(page, want))
			ledger_report(LV_UNPIN_UNPINNED, page, site);
	}
}

void _unpin_user_pages(struct page **pages, long npages, bool make_dirty,
		       const struct pinit_site *site)
{
	/* Which direction is not said: a destination pin first, so no guess lifts a protection. */
	unpin_pages(pages, npages, PAGE_PIN_DEST, make_dirty, site);
}

void _unpin_user_pages_flags(struct page **pages, long npages, unsigned int gup_flags,
			     bool make_dirty, const struct pinit_site *site)
{
	unpin_pages(pages, npages, page_pin_of(gup_flags), make_dirty, site);
}
