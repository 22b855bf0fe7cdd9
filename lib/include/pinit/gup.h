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

/*
 * Take FOLL_GET references on @nr_pages pages from @start (page-aligned or
 * not: the page containing @start is the first). Returns the number of pages
 * taken (possibly fewer than asked), or -EFAULT if none, -ENOMEM if no page
 * descriptor could be made, -EINVAL on bad flags (FOLL_PIN or FOLL_LONGTERM
 * here). Pages are stored in @pages.
 */
#define get_user_pages_fast(start, nr_pages, gup_flags, pages)                        \
	_get_user_pages_fast((start), (nr_pages), (gup_flags), (pages), PINIT_SITE)
long _get_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			  struct page **pages, const struct pinit_site *site);

/*
 * Take FOLL_PIN pins (tagged PIN, or PIN_LONGTERM with FOLL_LONGTERM). Same
 * return convention, and -ENOMEM if the first page's pin count is full (the
 * kernel's refcount overflow check). Sets the sticky has_pinned flag. FOLL_GET
 * with it is refused with -EINVAL (the kernel's WARN in try_grab_page), and
 * warned.
 */
#define pin_user_pages_fast(start, nr_pages, gup_flags, pages)                        \
	_pin_user_pages_fast((start), (nr_pages), (gup_flags), (pages), PINIT_SITE)
long _pin_user_pages_fast(unsigned long start, int nr_pages, unsigned int gup_flags,
			  struct page **pages, const struct pinit_site *site);

/* get_page(): one more reference on a page the caller already holds or owns (BVEC). */
#define get_page(page) _get_page((page), PINIT_SITE)
void _get_page(struct page *page, const struct pinit_site *site);

/* put_page(): drop one GET reference. Reports a put with none outstanding. */
#define put_page(page) _put_page((page), PINIT_SITE)
void _put_page(struct page *page, const struct pinit_site *site);

/*
 * unpin_user_page(s): drop one short-term pin per page. The kernel's unpin does
 * not say which pin ends; here it is a destination (FOLL_WRITE) pin if the page
 * holds one, else a source pin, so a guess never lifts check mode's protection
 * of a source pin. A page that holds no short-term pin is a mismatch, reported
 * (LV_UNPIN_UNPINNED) and left as it was: a long-term pin is never taken.
 */
#define unpin_user_page(page) _unpin_user_pages(&(page), 1, false, PINIT_SITE)
#define unpin_user_pages(pages, npages) _unpin_user_pages((pages), (npages), false, PINIT_SITE)

/*
 * unpin_user_pages_dirty_lock(): if @make_dirty, mark each page dirty unless it
 * already is (P-4), then unpin. A negative @npages (a -errno passed by mistake)
 * is warned and ignored, as in the kernel.
 */
#define unpin_user_pages_dirty_lock(pages, npages, make_dirty)                        \
	_unpin_user_pages((pages), (npages), (make_dirty), PINIT_SITE)
void _unpin_user_pages(struct page **pages, long npages, bool make_dirty,
		       const struct pinit_site *site);

/*
 * unpin_user_pages_flags(): drop one pin per page of the kind that @gup_flags
 * took, dirtying as unpin_user_pages_dirty_lock() does if @make_dirty. With
 * FOLL_LONGTERM a long-term pin; otherwise a short-term pin of the direction
 * FOLL_WRITE says (destination) or not (source) if the page holds one, else of
 * the other direction (an unpin_user_page() may have ended this one's). No pin
 * of the kind is a mismatch, reported (LV_UNPIN_UNPINNED) and left as it was.
 * Releases that say their direction keep check mode's protection exact.
 */
#define unpin_user_pages_flags(pages, npages, gup_flags, make_dirty)                  \
	_unpin_user_pages_flags((pages), (npages), (gup_flags), (make_dirty), PINIT_SITE)
void _unpin_user_pages_flags(struct page **pages, long npages, unsigned int gup_flags,
			     bool make_dirty, const struct pinit_site *site);

#endif
