/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * get_user_pages / pin_user_pages and their releases: the mm/gup.c analogue
 * (spec §2.1, §2.3, §1.11 M-3, §2.6 P-4).
 *
 * Taking a page "faults it in" the way GUP would: MADV_POPULATE_WRITE with
 * FOLL_WRITE (breaks COW, never writes data), MADV_POPULATE_READ without; with
 * FOLL_NOFAULT only pages already present (mincore) qualify. The walk stops at
 * the first page that cannot be had, so the result may be short; if not even
 * the first page can be had the result is -EFAULT.
 *
 * Every page handed out is recorded in the ledger with its tag (GET, PIN or
 * PIN_LONGTERM) and the caller's site. Releases must match: put_page() for a
 * GET, unpin_user_page*() for a short-term pin, unpin_user_pages_flags() with
 * FOLL_LONGTERM for a long-term one. A mismatch is a ledger violation reported
 * with both sites (kernel analogue: refcount underflow, sanity_check_pinned_pages).
 */
#ifndef PINIT_GUP_H
#define PINIT_GUP_H

#include <stdbool.h>
#include <stddef.h>

#include "page.h"
#include "site.h"

/* gup_flags (values are libpinit's own; names are the kernel's). */
#define FOLL_WRITE	0x01	/* the pinner will write the page (an ITER_DEST buffer) */
#define FOLL_GET	0x02	/* take a reference (set by get_user_pages_fast) */
#define FOLL_PIN	0x04	/* take a pin (set by pin_user_pages_fast) */
#define FOLL_LONGTERM	0x08	/* pin held indefinitely (registered buffers) */
#define FOLL_NOFAULT	0x10	/* do not fault pages in; fail on a missing page */

/**
 * get_user_pages_fast() - take FOLL_GET references on user pages
 * @start: an address in the first page (need not be page-aligned)
 * @nr_pages: pages wanted
 * @gup_flags: FOLL_WRITE and FOLL_NOFAULT; FOLL_GET is implied
 * @pages: receives the pages taken
 *
 * Each page is faulted in as GUP would (above); the walk stops at the first
 * page that cannot be had. Each page taken is recorded in the ledger as a
 * GET with the caller's site; release each with put_page().
 *
 * Context: Any thread. Takes a shard lock of the descriptor table (page.h)
 * the first time a non-arena page is seen. FOLL_PIN or FOLL_LONGTERM is
 * warned (M-2).
 * Return: the number of pages taken, possibly fewer than @nr_pages; 0 if
 * @nr_pages <= 0; -EFAULT if not even the first page can be had; -ENOMEM if
 * no descriptor could be made for it; -EINVAL for FOLL_PIN or FOLL_LONGTERM.
 */
#define get_user_pages_fast(start, nr_pages, gup_flags, pages)                        \
	_get_user_pages_fast((start), (nr_pages), (gup_flags), (pages), PINIT_SITE)
long _get_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			  struct page **pages, const struct pinit_site *site);

/**
 * pin_user_pages_fast() - take FOLL_PIN pins on user pages
 * @start: an address in the first page (need not be page-aligned)
 * @nr_pages: pages wanted
 * @gup_flags: FOLL_WRITE (a destination pin), FOLL_LONGTERM, FOLL_NOFAULT;
 *	FOLL_PIN is implied
 * @pages: receives the pages pinned
 *
 * Each page pinned is recorded in the ledger as a PIN, or PIN_LONGTERM with
 * FOLL_LONGTERM, and sets the sticky has_pinned flag (P-2). In check mode an
 * arena page pinned only as a source becomes read-only until its last unpin.
 * Release with unpin_user_page*(), or unpin_user_pages_flags() with
 * FOLL_LONGTERM for a long-term pin.
 *
 * Context: Any thread. Takes a shard lock of the descriptor table the first
 * time a non-arena page is seen, and an arena page's protection lock in check
 * mode.
 * FOLL_GET is warned (the kernel's WARN in try_grab_page()).
 * Return: as get_user_pages_fast(), and -ENOMEM also if the first page's pin
 * count is full (the kernel's refcount overflow check); -EINVAL for FOLL_GET.
 */
#define pin_user_pages_fast(start, nr_pages, gup_flags, pages)                        \
	_pin_user_pages_fast((start), (nr_pages), (gup_flags), (pages), PINIT_SITE)
long _pin_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			  struct page **pages, const struct pinit_site *site);

/**
 * get_page() - take one more reference on a page
 * @page: a page the caller already holds or owns (a BVEC's page)
 *
 * Recorded in the ledger as a GET; release with put_page().
 *
 * Context: Any thread; lock-free.
 */
#define get_page(page) _get_page((page), PINIT_SITE)
void _get_page(struct page *page, const struct pinit_site *site);

/**
 * put_page() - drop one GET reference
 * @page: the page
 *
 * A put with no GET outstanding changes nothing and is reported:
 * LV_PUT_PINNED if the page holds pins (a release that does not match its
 * acquisition), else LV_PUT_UNREFERENCED. An arena page freed while held
 * goes back to its arena with its last reference.
 *
 * Context: Any thread. May take the page's arena lock, and its protection
 * lock in check mode. In PIN_CHECK_STRICT a report aborts the process.
 */
#define put_page(page) _put_page((page), PINIT_SITE)
void _put_page(struct page *page, const struct pinit_site *site);

/**
 * unpin_user_page() - drop one short-term pin
 * @page: the page (an lvalue: its address is taken)
 *
 * The kernel's unpin does not say which pin ends; here it is a destination
 * (FOLL_WRITE) pin if the page holds one, else a source pin, so a guess never
 * lifts check mode's protection of a source pin. A page that holds no
 * short-term pin is a mismatch, reported (LV_UNPIN_UNPINNED) and left as it
 * was: a long-term pin is never taken.
 *
 * Context: as put_page().
 */
#define unpin_user_page(page) _unpin_user_pages(&(page), 1, false, PINIT_SITE)

/**
 * unpin_user_pages() - drop one short-term pin on each of @npages pages
 * @pages: the pages
 * @npages: how many
 *
 * Each page as unpin_user_page().
 *
 * Context: as put_page().
 */
#define unpin_user_pages(pages, npages) _unpin_user_pages((pages), (npages), false, PINIT_SITE)

/**
 * unpin_user_pages_dirty_lock() - dirty, then drop one short-term pin each
 * @pages: the pages
 * @npages: how many; a negative count (a -errno passed by mistake) is warned
 *	and ignored, as in the kernel
 * @make_dirty: mark each page dirty first, unless it already is (P-4)
 *
 * Each page is unpinned as unpin_user_page().
 *
 * Context: as put_page().
 */
#define unpin_user_pages_dirty_lock(pages, npages, make_dirty)                        \
	_unpin_user_pages((pages), (npages), (make_dirty), PINIT_SITE)
void _unpin_user_pages(struct page **pages, long npages, bool make_dirty,
		       const struct pinit_site *site);

/**
 * unpin_user_pages_flags() - drop the pin that @gup_flags took, on each page
 * @pages: the pages
 * @npages: how many; negative is warned and ignored
 * @gup_flags: the flags the pins were taken with
 * @make_dirty: as for unpin_user_pages_dirty_lock()
 *
 * With FOLL_LONGTERM a long-term pin ends; otherwise a short-term pin of the
 * direction FOLL_WRITE says (destination) or not (source) if the page holds
 * one, else of the other direction (an unpin_user_page() may have ended this
 * one's). No pin of the kind is a mismatch, reported (LV_UNPIN_UNPINNED) and
 * left as it was. Releases that say their direction keep check mode's
 * protection exact.
 *
 * Context: as put_page().
 */
#define unpin_user_pages_flags(pages, npages, gup_flags, make_dirty)                  \
	_unpin_user_pages_flags((pages), (npages), (gup_flags), (make_dirty), PINIT_SITE)
void _unpin_user_pages_flags(struct page **pages, long npages, unsigned int gup_flags,
			     bool make_dirty, const struct pinit_site *site);

#endif
