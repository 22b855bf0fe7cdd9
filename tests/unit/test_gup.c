// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * get_user_pages / pin_user_pages and their releases, and the page counts
 * underneath (spec §2.1–§2.3, §2.6 P-1, P-2, P-4, P-5, M-3):
 * refcount + GUP_PIN_COUNTING_BIAS arithmetic, page_maybe_dma_pinned() with the
 * kernel's false positive, the sticky has_pinned flag, the acquired/released
 * counters (nr_foll_pin_*), dirtying on release, flag misuse, FOLL_NOFAULT,
 * and thread safety (no global lock on the hot path).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unit.h"

static void assert_counts(const struct page *page, int refcount, int pincount, int gets)
{
	ck_assert_int_eq(page_ref_count(page), refcount);
	ck_assert_int_eq(page_pincount(page), pincount);
	ck_assert_int_eq(page->gets, gets);
}

START_TEST(gup_get_refs)
{
	char *buf = map_pages(3);
	struct page *pages[3];
	struct ledger_stats st;
	int line;

	/* An unaligned start: the page containing it is the first. */
	ck_assert_int_eq(AT_LINE(line, get_user_pages_fast((unsigned long)buf + 5, 2, 0, pages)),
			 2);
	for (int k = 0; k < 2; k++) {
		ck_assert_ptr_eq(pages[k], find_page(buf + k * PAGE_SIZE));
		assert_counts(pages[k], 2, 0, 1);
		ck_assert_ptr_eq(pages[k]->owner.site->file, __FILE__);
		ck_assert_int_eq(pages[k]->owner.site->line, line);
		ck_assert_int_eq(pages[k]->owner.tid, (int)syscall(SYS_gettid));
	}
	ledger_stats(&st);
	ck_assert_uint_eq(st.get_acquired, 2);
	ck_assert_uint_eq(st.pin_acquired, 0);
	ck_assert(!mm_has_pinned());
	put_page(pages[0]);
	put_page(pages[1]);
	assert_counts(pages[0], 1, 0, 0);
	assert_ledger_balanced();
	ck_assert_no_warnings();
	unmap_pages(buf, 3);
}
END_TEST

START_TEST(gup_pin_and_longterm)
{
	char *buf = map_pages(2);
	struct page *pages[2], *lt[1];
	struct ledger_stats st;

	ck_assert(!mm_has_pinned());
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 2, FOLL_WRITE, pages), 2);
	assert_counts(pages[0], 1 + GUP_PIN_COUNTING_BIAS, 1, 0);
	ck_assert_int_eq(page_pins(pages[0], PAGE_PIN_SOURCE), 0);
	ck_assert(page_maybe_dma_pinned(pages[0]));
	ck_assert(mm_has_pinned());
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, FOLL_LONGTERM, lt), 1);
	ck_assert_ptr_eq(lt[0], pages[0]);
	assert_counts(pages[0], 1 + 2 * GUP_PIN_COUNTING_BIAS, 2, 0);
	ck_assert_int_eq(page_pins(pages[0], PAGE_PIN_LONGTERM), 1);
	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired, 3);	/* long-term pins count as pins (nr_foll_pin_*) */
	ledger_stats(&st);
	ck_assert_uint_eq(st.longterm_acquired, 1);
	/* A short-term release takes the short-term pin, never the long-term one. */
	unpin_user_page(pages[0]);
	ck_assert_int_eq(page_pins(pages[0], PAGE_PIN_LONGTERM), 1);
	ck_assert_int_eq(page_pincount(pages[0]), 1);
	unpin_user_pages_flags(lt, 1, FOLL_LONGTERM, false);
	unpin_user_page(pages[1]);
	assert_counts(pages[0], 1, 0, 0);
	ledger_stats(&st);
	ck_assert_uint_eq(st.longterm_released, 1);
	ck_assert_int_eq(page_pins(pages[0], PAGE_PIN_LONGTERM), 0);
	ck_assert(!page_maybe_dma_pinned(pages[0]));
	ck_assert(mm_has_pinned());	/* sticky (P-2) */
	assert_ledger_balanced();
	pinit_pages_reset();	/* tests only: forget descriptors, clear has_pinned */
	ck_assert(!mm_has_pinned());
	ck_assert_ptr_null(find_page(buf));
	unmap_pages(buf, 2);
}
END_TEST

/* FOLL_PIN and FOLL_GET are mutually exclusive (try_grab_page's WARN). */
START_TEST(gup_flag_misuse)
{
	char *buf = map_pages(1);
	struct page *pages[1];
	int line;

	ck_assert_int_eq(AT_LINE(line, pin_user_pages_fast((unsigned long)buf, 1, FOLL_GET, pages)),
			 -EINVAL);
	ck_assert_uint_eq(pinit_warn_count(), 1);
	assert_warned_at(__FILE__, line);
	ck_assert_int_eq(AT_LINE(line, get_user_pages_fast((unsigned long)buf, 1, FOLL_PIN, pages)),
			 -EINVAL);
	ck_assert_uint_eq(pinit_warn_count(), 2);
	assert_warned_at(__FILE__, line);
	/* LONGTERM can only be specified when pinning. */
	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 1, FOLL_LONGTERM, pages), -EINVAL);
	ck_assert_uint_eq(pinit_warn_count(), 3);
	ck_assert_ptr_null(find_page(buf));
	ck_assert(!mm_has_pinned());
	assert_ledger_balanced();
	unmap_pages(buf, 1);
}
END_TEST

START_TEST(gup_short_and_efault)
{
	char *buf = map_pages(4);
	struct page *pages[4];

	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 0, 0, pages), 0);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, -3, 0, pages), 0);
	page_hole(buf + 2 * PAGE_SIZE);
	/* Stops at the first page it cannot have. */
	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 4, 0, pages), 2);
	put_page(pages[0]);
	put_page(pages[1]);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf + 2 * PAGE_SIZE, 2, 0, pages),
			 -EFAULT);
	/* FOLL_WRITE on a read-only page. */
	page_protect(buf, PROT_READ);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, FOLL_WRITE, pages), -EFAULT);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, 0, pages), 1);
	unpin_user_page(pages[0]);
	/* access_ok() fails. */
	ck_assert_int_eq(get_user_pages_fast(TASK_SIZE_MAX, 1, 0, pages), -EFAULT);
	assert_ledger_balanced();
	unmap_pages(buf, 4);
}
END_TEST

/* FOLL_NOFAULT: a never-touched page cannot be had; present pages can (mincore). */
START_TEST(gup_nofault)
{
	enum { N = 70 };	/* more than one mincore batch */
	char *buf = map_untouched(N + 1);
	struct page *pages[N + 1];

	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 1, FOLL_NOFAULT, pages), -EFAULT);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, FOLL_NOFAULT | FOLL_WRITE,
					     pages),
			 -EFAULT);
	ck_assert_ptr_null(find_page(buf));
	memset(buf, 1, N * PAGE_SIZE);
	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, N + 1, FOLL_NOFAULT, pages), N);
	for (int k = 0; k < N; k++)
		put_page(pages[k]);
	/* Without it, GUP faults the page in. */
	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf + N * PAGE_SIZE, 1, 0, pages), 1);
	put_page(pages[0]);
	/* A hole under FOLL_NOFAULT. */
	page_hole(buf);
	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 1, FOLL_NOFAULT, pages), -EFAULT);
	assert_ledger_balanced();
	unmap_pages(buf, N + 1);
}
END_TEST

/* Arena pages are always present: GUP hands out their own descriptors. */
START_TEST(gup_arena_pages)
{
	struct arena *a = arena_create(3, 0);
	struct page *pages[3];
	char *plain = map_pages(1);

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(a), 3,
					     FOLL_WRITE | FOLL_NOFAULT, pages),
			 3);
	for (int k = 0; k < 3; k++)
		ck_assert_ptr_eq(pages[k], arena_page(a, (char *)arena_base(a) + k * PAGE_SIZE));
	unpin_user_pages(pages, 3);
	ck_assert_ptr_eq(virt_to_page((char *)arena_base(a) + 5), arena_page(a, arena_base(a)));
	ck_assert_ptr_null(arena_page(a, plain));
	assert_ledger_balanced();
	ck_assert_int_eq(arena_destroy(a), 0);
	unmap_pages(plain, 1);
}
END_TEST

/* ---- counting (P-1) ---- */

START_TEST(bias_arithmetic_small_and_large)
{
	char *buf = map_pages(2);
	struct page *small[1], *large[1], *p;

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, 0, small), 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, FOLL_WRITE, small), 1);
	for (int k = 0; k < 3; k++)
		get_page(small[0]);
	assert_counts(small[0], 1 + 2 * GUP_PIN_COUNTING_BIAS + 3, 2, 3);

	/* A large folio: a pin adds 1 to the refcount and 1 to the exact pincount. */
	p = virt_to_page(buf + PAGE_SIZE);
	page_set_large(p, true);
	ck_assert(page_is_large(p));
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf + PAGE_SIZE, 1, 0, large), 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf + PAGE_SIZE, 1, 0, large), 1);
	get_page(large[0]);
	assert_counts(large[0], 1 + 2 + 1, 2, 1);

	unpin_user_pages(small, 1);
	unpin_user_pages(small, 1);
	unpin_user_pages(large, 1);
	unpin_user_pages(large, 1);
	for (int k = 0; k < 3; k++)
		put_page(small[0]);
	put_page(large[0]);
	assert_counts(small[0], 1, 0, 0);
	assert_counts(large[0], 1, 0, 0);
	page_set_large(p, false);
	ck_assert(!page_is_large(p));
	assert_ledger_balanced();
	unmap_pages(buf, 2);
}
END_TEST

/*
 * folio_maybe_dma_pinned(): "false means definitely not pinned, true means
 * probably pinned" — on a small page, BIAS worth of plain references (1023
 * GETs plus the base reference) read as maybe pinned (§2.2). Exact for large.
 */
START_TEST(maybe_dma_pinned_false_positive)
{
	char *buf = map_pages(1);
	struct page *page = virt_to_page(buf);
	struct arena *a = arena_create(1, ARENA_LARGE);
	struct page *lp = arena_page(a, arena_base(a));

	for (unsigned int k = 0; k < GUP_PIN_COUNTING_BIAS - 2; k++)
		get_page(page);
	ck_assert_int_eq(page_ref_count(page), GUP_PIN_COUNTING_BIAS - 1);
	ck_assert(!page_maybe_dma_pinned(page));
	get_page(page);	/* the 1023rd GET */
	ck_assert_int_eq(page_ref_count(page), GUP_PIN_COUNTING_BIAS);
	ck_assert_int_eq(page_pincount(page), 0);
	ck_assert(page_maybe_dma_pinned(page));	/* the documented false positive */
	for (unsigned int k = 0; k < GUP_PIN_COUNTING_BIAS - 1; k++)
		put_page(page);
	ck_assert(!page_maybe_dma_pinned(page));

	/* ARENA_LARGE pages count pins exactly: no false positive. */
	ck_assert(page_is_large(lp));
	for (unsigned int k = 0; k < GUP_PIN_COUNTING_BIAS - 1; k++)
		get_page(lp);
	ck_assert(!page_maybe_dma_pinned(lp));
	for (unsigned int k = 0; k < GUP_PIN_COUNTING_BIAS - 1; k++)
		put_page(lp);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(a), 1, 0, &lp), 1);
	ck_assert_int_eq(page_ref_count(lp), 2);
	ck_assert(page_maybe_dma_pinned(lp));
	unpin_user_page(lp);
	ck_assert(!page_maybe_dma_pinned(lp));
	assert_ledger_balanced();
	ck_assert_int_eq(arena_destroy(a), 0);
	unmap_pages(buf, 1);
}
END_TEST

/* ---- release (§2.3, P-4) ---- */

START_TEST(unpin_dirty_lock)
{
	char *buf = map_pages(3);
	struct page *pages[3];
	struct ledger_stats st;

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 3, FOLL_WRITE, pages), 3);
	set_page_dirty_lock(pages[1]);	/* already dirty: not dirtied again */
	ledger_stats(&st);
	ck_assert_uint_eq(st.dirtied, 1);
	unpin_user_pages_dirty_lock(pages, 2, true);
	ck_assert(PageDirty(pages[0]) && PageDirty(pages[1]));
	ledger_stats(&st);
	ck_assert_uint_eq(st.dirtied, 2);
	unpin_user_pages_dirty_lock(pages + 2, 1, false);	/* make_dirty false: clean */
	ck_assert(!PageDirty(pages[2]));
	clear_page_dirty(pages[0]);
	ck_assert(!PageDirty(pages[0]));
	assert_ledger_balanced();
	unmap_pages(buf, 3);
}
END_TEST

/* A -errno passed as npages by mistake is warned and ignored (§2.3). */
START_TEST(unpin_negative_npages)
{
	char *buf = map_pages(1);
	struct page *pages[1];
	int line;

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, 0, pages), 1);
	AT_LINE(line, unpin_user_pages_dirty_lock(pages, -EFAULT, true));
	assert_warned_at(__FILE__, line);
	ck_assert_int_eq(page_pincount(pages[0]), 1);
	ck_assert(!PageDirty(pages[0]));
	AT_LINE(line, unpin_user_pages(pages, -1));
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(pinit_warn_count(), 2);
	unpin_user_pages(pages, 0);
	unpin_user_pages(pages, 1);
	assert_ledger_balanced();
	unmap_pages(buf, 1);
}
END_TEST

/* Releases that do not match: reported, and no count underflows (M-3). */
START_TEST(mismatched_releases)
{
	char *buf = map_pages(2);
	struct page *pages[2], *page;

	page = virt_to_page(buf);
	put_page(page);	/* nothing taken */
	ck_assert_uint_eq(violations_of(LV_PUT_UNREFERENCED), 1);
	unpin_user_page(page);
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 1);
	assert_counts(page, 1, 0, 0);

	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 1, 0, pages), 1);
	unpin_user_page(pages[0]);	/* a GET released as a pin */
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 2);
	assert_counts(page, 2, 0, 1);
	put_page(pages[0]);

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf + PAGE_SIZE, 1, 0, pages), 1);
	put_page(pages[0]);	/* a pin released as a GET */
	ck_assert_uint_eq(violations_of(LV_PUT_PINNED), 1);
	assert_counts(pages[0], 1 + GUP_PIN_COUNTING_BIAS, 1, 0);
	unpin_user_page(pages[0]);
	unpin_user_page(pages[0]);	/* double unpin */
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 3);
	assert_counts(pages[0], 1, 0, 0);
	unmap_pages(buf, 2);
}
END_TEST

static int count_page(struct page *page, void *arg)
{
	++*(int *)arg;
	return 0;
}

static int stop_at_first(struct page *page, void *arg)
{
	++*(int *)arg;
	return 7;
}

START_TEST(descriptors)
{
	char *buf = map_pages(3);
	struct page *p0;
	int n = 0;

	ck_assert_ptr_null(find_page(buf));
	p0 = virt_to_page(buf + 17);
	ck_assert_ptr_nonnull(p0);
	ck_assert_ptr_eq(page_address(p0), buf);
	ck_assert_ptr_eq(virt_to_page(buf + PAGE_SIZE - 1), p0);
	ck_assert_ptr_eq(find_page(buf + 3), p0);
	ck_assert_ptr_eq(page_address(nth_page(p0, 2)), buf + 2 * PAGE_SIZE);
	assert_counts(p0, 1, 0, 0);
	ck_assert(!PageDirty(p0));
	ck_assert_int_eq(for_each_page(count_page, &n), 0);
	ck_assert_int_eq(n, 2);	/* p0 and nth_page(p0, 2): nothing else was looked at */
	/* A non-zero return stops the walk. */
	n = 0;
	ck_assert_int_eq(for_each_page(stop_at_first, &n), 7);
	ck_assert_int_eq(n, 1);
	unmap_pages(buf, 3);
}
END_TEST

/* ---- which pin a release ends (§2.6 P-1, M-3) ---- */

/* A short-term unpin of a page that holds only a long-term pin: reported, not absorbed. */
START_TEST(short_unpin_of_longterm_reported)
{
	char *buf = map_pages(1);
	struct page *lt, *p;
	struct ledger_report r;
	struct ledger_stats st;
	int pin_line, unpin_line;

	ck_assert_int_eq(AT_LINE(pin_line, pin_user_pages_fast((unsigned long)buf, 1, FOLL_LONGTERM,
								 &lt)),
			 1);
	p = lt;
	AT_LINE(unpin_line, unpin_user_page(p));
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 1);
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_UNPIN_UNPINNED);
	ck_assert_str_eq(r.site->file, __FILE__);
	ck_assert_int_eq(r.site->line, unpin_line);
	ck_assert_int_eq(r.owner.site->line, pin_line);
	ck_assert_int_eq(r.pincount, 1);
	/* The long-term pin is still there, counted as before. */
	ck_assert_int_eq(page_pins(p, PAGE_PIN_LONGTERM), 1);
	assert_counts(p, 1 + GUP_PIN_COUNTING_BIAS, 1, 0);
	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_released, 0);
	unpin_user_pages_flags(&lt, 1, FOLL_LONGTERM, false);
	assert_counts(p, 1, 0, 0);
	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired, st.pin_released);
	ck_assert_uint_eq(st.longterm_acquired, st.longterm_released);
	unmap_pages(buf, 1);
}
END_TEST

/* A destination pin ending leaves the source pins (check mode's protection) as they were. */
START_TEST(dest_unpin_keeps_source_pins)
{
	char *buf = map_pages(1);
	struct page *src, *dst;

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, 0, &src), 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, FOLL_WRITE, &dst), 1);
	ck_assert_int_eq(page_pins(src, PAGE_PIN_SOURCE), 1);
	ck_assert_int_eq(page_pins(src, PAGE_PIN_DEST), 1);
	/* The kernel-named unpin, which does not say which pin ends. */
	unpin_user_page(dst);
	ck_assert_int_eq(page_pins(src, PAGE_PIN_SOURCE), 1);
	ck_assert_int_eq(page_pincount(src), 1);
	/* The exact release, which does; dirtying does not change which pin ends. */
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, FOLL_WRITE, &dst), 1);
	unpin_user_pages_flags(&dst, 1, FOLL_WRITE, true);
	ck_assert(PageDirty(dst));
	ck_assert_int_eq(page_pins(src, PAGE_PIN_SOURCE), 1);
	ck_assert_int_eq(page_pins(src, PAGE_PIN_DEST), 0);
	unpin_user_page(src);
	ck_assert_int_eq(page_pins(src, PAGE_PIN_SOURCE), 0);
	assert_counts(src, 1, 0, 0);
	assert_ledger_balanced();
	unmap_pages(buf, 1);
}
END_TEST

/*
 * A long-term release of a page with only short-term pins is a mismatch. A
 * short-term release of the other direction ends the pin there is (an unpin
 * that did not say which may have ended its own).
 */
START_TEST(release_kinds_matched)
{
	char *buf = map_pages(1);
	struct page *src;
	struct ledger_report r;
	int line;

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, 0, &src), 1);
	AT_LINE(line, unpin_user_pages_flags(&src, 1, FOLL_LONGTERM, false));
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 1);
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.site->line, line);
	assert_counts(src, 1 + GUP_PIN_COUNTING_BIAS, 1, 0);
	ck_assert_int_eq(page_pins(src, PAGE_PIN_SOURCE), 1);
	unpin_user_pages_flags(&src, 1, FOLL_WRITE, false);
	assert_counts(src, 1, 0, 0);
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 1);
	unpin_user_pages_flags(&src, 1, 0, false);	/* none left */
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 2);
	assert_counts(src, 1, 0, 0);
	unmap_pages(buf, 1);
}
END_TEST

/* PIN_FIELD_MAX source pins on @a's first page; true if every one was taken. */
static bool pin_to_the_limit(struct arena *a, struct page **p)
{
	unsigned int pinned = 0;

	/* No ck_assert() per pin: each one is a write to Check's pipe. */
	for (unsigned int n = 0; n < PIN_FIELD_MAX; n++)
		pinned += pin_user_pages_fast((unsigned long)arena_base(a), 1, 0, p) == 1;
	return pinned == PIN_FIELD_MAX;
}

static void unpin_all(struct page *p)
{
	for (unsigned int n = 0; n < PIN_FIELD_MAX; n++)
		unpin_user_page(p);
	assert_counts(p, 1, 0, 0);
}

/*
 * A pin that would overflow a count is refused with -ENOMEM, as the kernel
 * refuses one that would overflow the refcount. On a small page the refcount
 * (BIAS per pin) is full after PIN_FIELD_MAX pins of any kinds; on a large page
 * each kind's count is full at PIN_FIELD_MAX.
 */
START_TEST(pin_count_full_refused)
{
	struct arena *a = arena_create(1, 0), *l = arena_create(1, ARENA_LARGE);
	struct page *p, *more;

	ledger_set_mode(PIN_CHECK_OFF);	/* no mprotect per pin: 2^21 pins stay quick */
	ck_assert(pin_to_the_limit(a, &p));
	ck_assert_int_eq(page_ref_count(p), 1 + (int)PIN_FIELD_MAX * GUP_PIN_COUNTING_BIAS);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(a), 1, 0, &more), -ENOMEM);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(a), 1, FOLL_WRITE, &more),
			 -ENOMEM);
	ck_assert_int_eq(page_pins(p, PAGE_PIN_SOURCE), PIN_FIELD_MAX);
	ck_assert_int_eq(page_pincount(p), PIN_FIELD_MAX);
	ck_assert_int_eq(page_ref_count(p), 1 + (int)PIN_FIELD_MAX * GUP_PIN_COUNTING_BIAS);
	unpin_all(p);

	ck_assert(pin_to_the_limit(l, &p));
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(l), 1, 0, &more), -ENOMEM);
	ck_assert_int_eq(page_pins(p, PAGE_PIN_SOURCE), PIN_FIELD_MAX);
	ck_assert_int_eq(page_ref_count(p), 1 + (int)PIN_FIELD_MAX);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(l), 1, FOLL_WRITE, &more),
			 1);
	unpin_user_pages_flags(&more, 1, FOLL_WRITE, false);
	unpin_all(p);
	assert_ledger_balanced();
	ck_assert_int_eq(arena_destroy(a), 0);
	ck_assert_int_eq(arena_destroy(l), 0);
}
END_TEST

/* ---- thread safety ---- */

enum { THREADS = 4, ROUNDS = 20000 };

struct worker {
	pthread_barrier_t *barrier;
	char *shared;	/* one page every thread pins */
	char *own;	/* one page only this thread uses */
	unsigned int errors;
};

static void *pin_worker(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->barrier);
	for (int n = 0; n < ROUNDS; n++) {
		struct page *s, *o;

		unsigned int flags = n & 1 ? FOLL_WRITE : 0;

		if (pin_user_pages_fast((unsigned long)w->shared, 1, flags, &s) != 1 ||
		    get_user_pages_fast((unsigned long)w->own, 1, 0, &o) != 1) {
			w->errors++;
			continue;
		}
		get_page(s);
		if (!page_maybe_dma_pinned(s))
			w->errors++;
		put_page(s);
		put_page(o);
		if (n % 3)
			unpin_user_page(s);
		else
			unpin_user_pages_dirty_lock(&s, 1, true);
	}
	return NULL;
}

static void run_pin_workers(char *shared, char **own)
{
	pthread_barrier_t barrier;
	struct worker w[THREADS];
	pthread_t tid[THREADS];

	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int k = 0; k < THREADS; k++) {
		w[k] = (struct worker){ &barrier, shared, own[k], 0 };
		ck_assert_int_eq(pthread_create(&tid[k], NULL, pin_worker, &w[k]), 0);
	}
	for (int k = 0; k < THREADS; k++) {
		pthread_join(tid[k], NULL);
		ck_assert_uint_eq(w[k].errors, 0);
	}
	pthread_barrier_destroy(&barrier);
}

static void assert_threads_balanced(char *shared, char **own)
{
	struct ledger_stats st;

	assert_counts(find_page(shared), 1, 0, 0);
	for (int k = 0; k < THREADS; k++)
		assert_counts(find_page(own[k]), 1, 0, 0);
	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired, (uint64_t)THREADS * ROUNDS);
	ck_assert_uint_eq(st.pin_released, (uint64_t)THREADS * ROUNDS);
	ck_assert_uint_eq(st.get_acquired, (uint64_t)THREADS * ROUNDS * 2);
	ck_assert_uint_eq(st.get_released, (uint64_t)THREADS * ROUNDS * 2);
	ck_assert_uint_eq(ledger_violation_total(&st), 0);
	ck_assert_uint_eq(ledger_check_leaks(), 0);
}

/* N threads pin/unpin the same page and GET/put their own: counts exact at the end. */
START_TEST(threads_plain_pages)
{
	char *buf = map_pages(THREADS + 1), *own[THREADS];

	for (int k = 0; k < THREADS; k++)
		own[k] = buf + (k + 1) * PAGE_SIZE;
	run_pin_workers(buf, own);
	assert_threads_balanced(buf, own);
	ck_assert(PageDirty(find_page(buf)));
	unmap_pages(buf, THREADS + 1);
}
END_TEST

START_TEST(threads_arena_pages)
{
	struct arena *a = arena_create(THREADS + 1, 0);
	char *base = arena_base(a), *own[THREADS];

	for (int k = 0; k < THREADS; k++)
		own[k] = base + (k + 1) * PAGE_SIZE;
	/* Check mode ON: the source pins (even rounds) write-protect the shared page. */
	run_pin_workers(base, own);
	assert_threads_balanced(base, own);
	ck_assert(!(find_page(base)->flags & PG_protected));
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/* Descriptor creation races: every thread must see the same descriptor per address. */
struct lookup_worker {
	pthread_barrier_t *barrier;
	char *base;
	struct page **seen;
};

static void *lookup_worker(void *arg)
{
	struct lookup_worker *w = arg;

	pthread_barrier_wait(w->barrier);
	for (int n = 0; n < 512; n++)
		w->seen[n] = virt_to_page(w->base + (size_t)n * PAGE_SIZE);
	return NULL;
}

START_TEST(threads_descriptor_creation)
{
	char *base = map_untouched(512);
	struct page *seen[THREADS][512];
	struct lookup_worker w[THREADS];
	pthread_barrier_t barrier;
	pthread_t tid[THREADS];

	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int k = 0; k < THREADS; k++) {
		w[k] = (struct lookup_worker){ &barrier, base, seen[k] };
		ck_assert_int_eq(pthread_create(&tid[k], NULL, lookup_worker, &w[k]), 0);
	}
	for (int k = 0; k < THREADS; k++)
		pthread_join(tid[k], NULL);
	for (int n = 0; n < 512; n++) {
		ck_assert_ptr_nonnull(seen[0][n]);
		ck_assert_ptr_eq(page_address(seen[0][n]), base + (size_t)n * PAGE_SIZE);
		for (int k = 1; k < THREADS; k++)
			ck_assert_ptr_eq(seen[k][n], seen[0][n]);
	}
	pthread_barrier_destroy(&barrier);
	unmap_pages(base, 512);
}
END_TEST

static Suite *gup_suite(void)
{
	Suite *s = suite_create("gup");
	TCase *tc;

	tc = tcase_create("gup");
	unit_fixture(tc);
	tcase_add_test(tc, gup_get_refs);
	tcase_add_test(tc, gup_pin_and_longterm);
	tcase_add_test(tc, gup_flag_misuse);
	tcase_add_test(tc, gup_short_and_efault);
	tcase_add_test(tc, gup_nofault);
	tcase_add_test(tc, gup_arena_pages);
	tcase_add_test(tc, descriptors);
	suite_add_tcase(s, tc);

	tc = tcase_create("counting");
	unit_fixture(tc);
	tcase_add_test(tc, bias_arithmetic_small_and_large);
	tcase_add_test(tc, maybe_dma_pinned_false_positive);
	tcase_add_test(tc, unpin_dirty_lock);
	tcase_add_test(tc, unpin_negative_npages);
	tcase_add_test(tc, mismatched_releases);
	tcase_add_test(tc, short_unpin_of_longterm_reported);
	tcase_add_test(tc, dest_unpin_keeps_source_pins);
	tcase_add_test(tc, release_kinds_matched);
	tcase_add_test(tc, pin_count_full_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	unit_fixture(tc);
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, threads_plain_pages);
	tcase_add_test(tc, threads_arena_pages);
	tcase_add_test(tc, threads_descriptor_creation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(gup_suite());
}
