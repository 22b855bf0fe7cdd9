// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Getting pages out of iterators (spec §1.8, §1.10, M-1, M-3):
 * iov_iter_get_pages2 / _alloc2 (the FOLL_GET world) and
 * iov_iter_extract_pages (pins for user-backed iterators, a plain list for
 * KVEC and BVEC), per iterator type, with their caps, short results and errors.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unit.h"

static void assert_untouched(const struct page *page)
{
	ck_assert_int_eq(page_ref_count(page), 1);
	ck_assert_int_eq(page->gets, 0);
	ck_assert_int_eq(page_pincount(page), 0);
}

static void assert_no_ledger_traffic(void)
{
	struct ledger_stats st;

	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired + st.get_acquired + st.listed, 0);
}

/* ---- get_pages2: refused types (Linus 2014, §1.10(1)) ---- */

/* Required example: get_pages on a KVEC gives -EFAULT; so do DISCARD and PIPE. */
START_TEST(get_pages_refused_types)
{
	char *buf = map_pages(1);
	struct kvec kv = { buf, 100 };
	struct iov_iter it[3], before;
	struct page *pages[4];
	size_t start;

	iov_iter_kvec(&it[0], ITER_DEST, &kv, 1, 100);
	iov_iter_discard(&it[1], READ, 100);
	iov_iter_pipe(&it[2], ITER_DEST, 1, 100);
	for (int k = 0; k < 3; k++) {
		struct page **alloc = (struct page **)1;

		before = it[k];
		ck_assert_int_eq(iov_iter_get_pages2(&it[k], pages, 100, 4, &start), -EFAULT);
		ck_assert(!memcmp(&before, &it[k], sizeof(before)));
		ck_assert_int_eq(iov_iter_get_pages_alloc2(&it[k], &alloc, 100, &start), -EFAULT);
		ck_assert_ptr_null(alloc);
		ck_assert(!memcmp(&before, &it[k], sizeof(before)));
	}
	assert_untouched(virt_to_page(buf));
	assert_no_ledger_traffic();
	ck_assert_no_warnings();
	unmap_pages(buf, 1);
}
END_TEST

/* ---- get_pages2: user-backed ---- */

START_TEST(get_pages_ubuf_refs)
{
	char *buf = map_pages(4);
	struct page *pages[8];
	struct ledger_stats st;
	struct iov_iter it;
	size_t start = 0;
	ssize_t ret;
	int line;

	iov_iter_ubuf(&it, ITER_DEST, buf + 100, 3 * PAGE_SIZE - 100);
	ret = AT_LINE(line, iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start));
	ck_assert_int_eq(ret, 3 * PAGE_SIZE - 100);
	ck_assert_uint_eq(start, 100);
	ck_assert_uint_eq(iov_iter_count(&it), 0);	/* advanced by the result */
	for (int k = 0; k < 3; k++) {
		ck_assert_ptr_eq(pages[k], find_page(buf + k * PAGE_SIZE));
		ck_assert_ptr_eq(page_address(pages[k]), buf + k * PAGE_SIZE);
		ck_assert_int_eq(pages[k]->gets, 1);
		ck_assert_int_eq(page_pincount(pages[k]), 0);
		ck_assert_int_eq(page_ref_count(pages[k]), 2);
		ck_assert_int_eq(pages[k]->owner.site->line, line);
		ck_assert_int_eq(pages[k]->owner.tid, (int)syscall(SYS_gettid));
		ck_assert(!page_maybe_dma_pinned(pages[k]));
	}
	ck_assert_ptr_null(find_page(buf + 3 * PAGE_SIZE));
	ledger_stats(&st);
	ck_assert_uint_eq(st.get_acquired, 3);
	ck_assert_uint_eq(st.pin_acquired, 0);
	ck_assert(!mm_has_pinned());	/* FOLL_GET is not a pin (P-2) */
	for (int k = 0; k < 3; k++)
		put_page(pages[k]);
	for (int k = 0; k < 3; k++)
		assert_untouched(pages[k]);
	assert_ledger_balanced();
	unmap_pages(buf, 4);
}
END_TEST

/* DEST asks for FOLL_WRITE: a read-only page cannot be had; as a SOURCE it can. */
START_TEST(get_pages_direction_picks_foll_write)
{
	char *buf = map_pages(1);
	struct page *pages[1];
	struct iov_iter it;
	size_t start;

	page_protect(buf, PROT_READ);
	iov_iter_ubuf(&it, ITER_DEST, buf, 100);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, 100, 1, &start), -EFAULT);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	iov_iter_ubuf(&it, ITER_SOURCE, buf, 100);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, 100, 1, &start), 100);
	put_page(pages[0]);
	assert_ledger_balanced();
	unmap_pages(buf, 1);
}
END_TEST

/* User-backed grabs use only the first non-empty segment; callers loop. */
START_TEST(get_pages_iovec_first_segment_only)
{
	char *buf = map_pages(3);
	struct iovec iov[] = { { buf, 0 },
			       { buf + PAGE_SIZE + 5, 100 },
			       { buf + 2 * PAGE_SIZE, PAGE_SIZE } };
	struct page *pages[8];
	struct iov_iter it;
	size_t start;

	iov_iter_init(&it, ITER_SOURCE, iov, 3, 100 + PAGE_SIZE);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start), 100);
	ck_assert_uint_eq(start, 5);
	ck_assert_ptr_eq(pages[0], find_page(buf + PAGE_SIZE));
	ck_assert_ptr_eq(iter_iov(&it), &iov[2]);
	ck_assert_uint_eq(iov_iter_count(&it), PAGE_SIZE);
	put_page(pages[0]);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start), PAGE_SIZE);
	ck_assert_uint_eq(start, 0);
	ck_assert_ptr_eq(pages[0], find_page(buf + 2 * PAGE_SIZE));
	put_page(pages[0]);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start), 0);
	assert_ledger_balanced();
	unmap_pages(buf, 3);
}
END_TEST

START_TEST(get_pages_caps)
{
	char *buf = map_pages(5);
	struct page *pages[8];
	struct iov_iter it;
	size_t start;
	struct ledger_stats st;

	/* maxpages caps the pages, and so the bytes. */
	iov_iter_ubuf(&it, ITER_SOURCE, buf + 100, 5 * PAGE_SIZE - 100);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 2, &start), 2 * PAGE_SIZE - 100);
	ck_assert_uint_eq(iov_iter_count(&it), 3 * PAGE_SIZE);
	put_page(pages[0]);
	put_page(pages[1]);
	/* maxsize caps the bytes. */
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, 10, 8, &start), 10);
	ck_assert_uint_eq(start, 0);
	put_page(pages[0]);
	/* Nothing asked: 0, nothing taken. */
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, 0, 8, &start), 0);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, 10, 0, &start), 0);
	ledger_stats(&st);
	ck_assert_uint_eq(st.get_acquired, 3);
	assert_ledger_balanced();
	ck_assert_uint_eq(iov_iter_count(&it), 3 * PAGE_SIZE - 10);
	unmap_pages(buf, 5);
}
END_TEST

/* GUP gets fewer pages than asked: a short result, advanced by exactly that. */
START_TEST(get_pages_short_and_fault)
{
	char *buf = map_pages(3);
	struct page *pages[8];
	struct iov_iter it;
	size_t start;

	page_protect(buf + PAGE_SIZE, PROT_NONE);
	iov_iter_ubuf(&it, ITER_SOURCE, buf + 100, 3 * PAGE_SIZE - 100);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start), PAGE_SIZE - 100);
	ck_assert_uint_eq(iov_iter_count(&it), 2 * PAGE_SIZE);
	put_page(pages[0]);
	/* Now the first page is the bad one: -EFAULT, iterator untouched. */
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start), -EFAULT);
	ck_assert_uint_eq(iov_iter_count(&it), 2 * PAGE_SIZE);
	/* A hole, likewise. */
	page_hole(buf);
	iov_iter_ubuf(&it, ITER_SOURCE, buf, PAGE_SIZE);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start), -EFAULT);
	assert_ledger_balanced();
	unmap_pages(buf, 3);
}
END_TEST

/* i->nofault gives FOLL_NOFAULT: a page never touched cannot be had. */
START_TEST(get_pages_nofault)
{
	char *buf = map_untouched(2);
	struct page *pages[2];
	struct iov_iter it;
	size_t start;

	iov_iter_ubuf(&it, ITER_SOURCE, buf, 2 * PAGE_SIZE);
	it.nofault = true;
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 2, &start), -EFAULT);
	buf[0] = 1;	/* present now; the second page still is not */
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 2, &start), PAGE_SIZE);
	put_page(pages[0]);
	/* Without nofault, GUP faults the page in. */
	it.nofault = false;
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 2, &start), PAGE_SIZE);
	put_page(pages[0]);
	assert_ledger_balanced();
	unmap_pages(buf, 2);
}
END_TEST

START_TEST(get_pages_null_array_is_bug)
{
	char buf[10] = { 0 };
	struct iov_iter it;
	size_t start;

	iov_iter_ubuf(&it, ITER_SOURCE, buf, sizeof(buf));
	iov_iter_get_pages2(&it, NULL, 10, 1, &start);
}
END_TEST

/* ---- get_pages2: BVEC takes references ---- */

START_TEST(get_pages_bvec_arena)
{
	struct arena *a = arena_create(4, 0);
	struct page *p = arena_alloc(a, 4), *pages[8];
	struct bio_vec bv[] = { { &p[0], 2 * PAGE_SIZE, 100 }, { &p[3], 100, 0 } };
	struct iov_iter it;
	struct ledger_stats st;
	size_t start;

	ck_assert_ptr_nonnull(p);
	iov_iter_bvec(&it, ITER_DEST, bv, 2, 2 * PAGE_SIZE + 100);
	/* The current bvec only: 2 pages' worth from offset 100 spans 3 pages. */
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 8, &start), 2 * PAGE_SIZE);
	ck_assert_uint_eq(start, 100);
	for (int k = 0; k < 3; k++) {
		ck_assert_ptr_eq(pages[k], &p[k]);
		ck_assert_int_eq(p[k].gets, 1);
		ck_assert_int_eq(page_ref_count(&p[k]), 2);
	}
	ck_assert_int_eq(p[3].gets, 0);
	ck_assert_ptr_eq(it.bvec, &bv[1]);
	ck_assert_uint_eq(it.iov_offset, 0);
	ck_assert_uint_eq(it.nr_segs, 1);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages + 3, SIZE_MAX, 8, &start), 100);
	ck_assert_ptr_eq(pages[3], &p[3]);
	ledger_stats(&st);
	ck_assert_uint_eq(st.get_acquired, 4);
	for (int k = 0; k < 4; k++)
		put_page(pages[k]);
	assert_ledger_balanced();

	/* maxpages 1: a partial bvec, the iterator stays in it. */
	iov_iter_bvec(&it, ITER_DEST, bv, 2, 2 * PAGE_SIZE + 100);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 1, &start), PAGE_SIZE - 100);
	ck_assert_ptr_eq(it.bvec, &bv[0]);
	ck_assert_uint_eq(it.iov_offset, PAGE_SIZE - 100);
	put_page(pages[0]);
	arena_free(a, p, 4);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

START_TEST(get_pages_bvec_plain_memory)
{
	char *buf = map_pages(3);
	struct bio_vec bv = { virt_to_page(buf), 50, PAGE_SIZE + 10 };
	struct page *pages[2];
	struct iov_iter it;
	size_t start;

	iov_iter_bvec(&it, ITER_SOURCE, &bv, 1, 50);
	ck_assert_int_eq(iov_iter_get_pages2(&it, pages, SIZE_MAX, 2, &start), 50);
	ck_assert_uint_eq(start, 10);
	ck_assert_ptr_eq(pages[0], find_page(buf + PAGE_SIZE));
	ck_assert_int_eq(pages[0]->gets, 1);
	ck_assert_uint_eq(it.nr_segs, 0);
	put_page(pages[0]);
	assert_ledger_balanced();
	unmap_pages(buf, 3);
}
END_TEST

/* ---- get_pages_alloc2 ---- */

START_TEST(get_pages_alloc)
{
	char *buf = map_pages(3);
	struct page **pages = (struct page **)1;
	struct iov_iter it;
	size_t start;

	iov_iter_ubuf(&it, ITER_DEST, buf + 1, 3 * PAGE_SIZE - 1);
	ck_assert_int_eq(iov_iter_get_pages_alloc2(&it, &pages, SIZE_MAX, &start),
			 3 * PAGE_SIZE - 1);
	ck_assert_ptr_nonnull(pages);
	for (int k = 0; k < 3; k++) {
		ck_assert_ptr_eq(pages[k], find_page(buf + k * PAGE_SIZE));
		put_page(pages[k]);
	}
	free(pages);
	/* Count 0: 0 and no array. */
	pages = (struct page **)1;
	ck_assert_int_eq(iov_iter_get_pages_alloc2(&it, &pages, SIZE_MAX, &start), 0);
	ck_assert_ptr_null(pages);
	/* GUP fails: the array is freed, *pages NULL. */
	page_protect(buf, PROT_NONE);
	iov_iter_ubuf(&it, ITER_SOURCE, buf, 10);
	ck_assert_int_eq(iov_iter_get_pages_alloc2(&it, &pages, SIZE_MAX, &start), -EFAULT);
	ck_assert_ptr_null(pages);
	/* The allocation fails: -ENOMEM, nothing taken, iterator untouched. */
	iov_iter_ubuf(&it, ITER_SOURCE, buf + PAGE_SIZE, 10);
	pinit_fail_allocs(0, 1);
	ck_assert_int_eq(iov_iter_get_pages_alloc2(&it, &pages, SIZE_MAX, &start), -ENOMEM);
	ck_assert_ptr_null(pages);
	ck_assert_uint_eq(iov_iter_count(&it), 10);
	assert_ledger_balanced();
	unmap_pages(buf, 3);
}
END_TEST

/* ---- extract_pages: user-backed → pins ---- */

START_TEST(extract_ubuf_pins)
{
	char *buf = map_pages(3);
	struct page **pages = NULL;
	struct ledger_stats st;
	struct iov_iter it;
	size_t off0;
	int line;

	iov_iter_ubuf(&it, ITER_SOURCE, buf + 50, 2 * PAGE_SIZE - 50);
	ck_assert(iov_iter_extract_will_pin(&it));
	ck_assert(!mm_has_pinned());
	ck_assert_int_eq(AT_LINE(line, iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0)),
			 2 * PAGE_SIZE - 50);
	ck_assert_ptr_nonnull(pages);
	ck_assert_uint_eq(off0, 50);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	for (int k = 0; k < 2; k++) {
		ck_assert_ptr_eq(pages[k], find_page(buf + k * PAGE_SIZE));
		ck_assert_int_eq(page_pincount(pages[k]), 1);
		ck_assert_int_eq(page_pins(pages[k], PAGE_PIN_SOURCE), 1); /* no FOLL_WRITE */
		ck_assert_int_eq(pages[k]->gets, 0);
		ck_assert_int_eq(page_ref_count(pages[k]), 1 + GUP_PIN_COUNTING_BIAS);
		ck_assert(page_maybe_dma_pinned(pages[k]));
		ck_assert_int_eq(pages[k]->owner.site->line, line);
	}
	ck_assert(mm_has_pinned());
	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired, 2);
	ck_assert_uint_eq(st.get_acquired, 0);
	unpin_user_pages(pages, 2);
	for (int k = 0; k < 2; k++)
		assert_untouched(pages[k]);
	assert_ledger_balanced();
	free(pages);
	unmap_pages(buf, 3);
}
END_TEST

START_TEST(extract_dest_iovec_first_segment)
{
	char *buf = map_pages(3), *ro = map_pages(1);
	struct iovec iov[] = { { ro, 0 }, { buf + 10, 20 }, { buf + PAGE_SIZE, 2 * PAGE_SIZE } };
	struct page *arr[4], **pages = arr;
	struct iov_iter it;
	size_t off0;

	iov_iter_init(&it, ITER_DEST, iov, 3, 20 + 2 * PAGE_SIZE);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 4, 0, &off0), 20);
	ck_assert_ptr_eq(pages, arr);	/* the caller's array is used */
	ck_assert_uint_eq(off0, 10);
	ck_assert_int_eq(page_pincount(arr[0]), 1);
	/* FOLL_WRITE: a destination pin */
	ck_assert_int_eq(page_pins(arr[0], PAGE_PIN_SOURCE), 0);
	ck_assert_int_eq(page_pins(arr[0], PAGE_PIN_DEST), 1);
	unpin_user_page(arr[0]);
	ck_assert_ptr_eq(iter_iov(&it), &iov[2]);
	/* ITER_ALLOW_P2PDMA is accepted and means nothing here. */
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 4, ITER_ALLOW_P2PDMA, &off0),
			 2 * PAGE_SIZE);
	unpin_user_pages(arr, 2);
	/* FOLL_WRITE on a read-only page: -EFAULT, nothing pinned. */
	page_protect(ro, PROT_READ);
	iov_iter_ubuf(&it, ITER_DEST, ro, 10);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 4, 0, &off0), -EFAULT);
	ck_assert_uint_eq(iov_iter_count(&it), 10);
	iov_iter_ubuf(&it, ITER_SOURCE, ro, 10);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 4, 0, &off0), 10);
	unpin_user_page(arr[0]);
	assert_ledger_balanced();
	unmap_pages(buf, 3);
	unmap_pages(ro, 1);
}
END_TEST

START_TEST(extract_user_nofault_and_caps)
{
	char *buf = map_untouched(4);
	struct page *arr[4], **pages = arr;
	struct iov_iter it;
	size_t off0;

	iov_iter_ubuf(&it, ITER_DEST, buf, 4 * PAGE_SIZE);
	it.nofault = true;
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 4, 0, &off0), -EFAULT);
	it.nofault = false;
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 2, 0, &off0), 2 * PAGE_SIZE);
	unpin_user_pages(arr, 2);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, 5, 4, 0, &off0), 5);
	unpin_user_pages(arr, 1);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, 0, 4, 0, &off0), 0);
	ck_assert_uint_eq(iov_iter_count(&it), 2 * PAGE_SIZE - 5);
	assert_ledger_balanced();
	unmap_pages(buf, 4);
}
END_TEST

/* ---- extract_pages: KVEC and BVEC are listed, nothing taken ---- */

START_TEST(extract_kvec_listed)
{
	char *buf = map_pages(4);
	struct kvec kv[] = { { buf, 0 },
			     { buf + 100, 2 * PAGE_SIZE },
			     { buf + 3 * PAGE_SIZE, 10 } };
	struct page **pages = NULL;
	struct ledger_stats st;
	struct iov_iter it;
	size_t off0;

	iov_iter_kvec(&it, ITER_SOURCE, kv, 3, 2 * PAGE_SIZE + 10);
	ck_assert(!iov_iter_extract_will_pin(&it));
	/* The empty segment is stepped over; the current kvec only. */
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), 2 * PAGE_SIZE);
	ck_assert_uint_eq(off0, 100);
	for (int k = 0; k < 3; k++) {
		ck_assert_ptr_eq(pages[k], find_page(buf + k * PAGE_SIZE));
		assert_untouched(pages[k]);
	}
	ck_assert_ptr_eq(it.kvec, &kv[2]);
	ledger_stats(&st);
	ck_assert_uint_eq(st.listed, 3);
	ck_assert_uint_eq(st.pin_acquired + st.get_acquired, 0);
	ck_assert(!mm_has_pinned());
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), 10);
	ck_assert_ptr_eq(pages[0], find_page(buf + 3 * PAGE_SIZE));
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), 0);
	/* maxpages caps. */
	iov_iter_kvec(&it, ITER_SOURCE, kv, 3, 2 * PAGE_SIZE + 10);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 1, 0, &off0),
			 PAGE_SIZE - 100);
	free(pages);
	/* Nothing left in the array of segments: 0. */
	iov_iter_kvec(&it, ITER_SOURCE, kv, 0, 10);
	pages = NULL;
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 1, 0, &off0), 0);
	assert_ledger_balanced();
	unmap_pages(buf, 4);
}
END_TEST

/* BVEC: listed page by page, stopping at a seam that is not page-aligned (§1.2). */
START_TEST(extract_bvec_listed_seams)
{
	struct arena *a = arena_create(6, 0);
	struct page *p = arena_alloc(a, 6), **pages = NULL;
	struct bio_vec bv[] = { { &p[0], PAGE_SIZE - 100, 100 }, { &p[1], PAGE_SIZE, 0 },
				{ &p[2], 100, 0 }, { &p[3], PAGE_SIZE, 0 }, { &p[4], 100, 50 } };
	struct ledger_stats st;
	struct iov_iter it;
	size_t off0;

	iov_iter_bvec(&it, ITER_DEST, bv, 5, 3 * PAGE_SIZE + 100);
	ck_assert(!iov_iter_extract_will_pin(&it));
	/* p0 from 100, all of p1, 100 bytes of p2, which ends off the page boundary. */
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 16, 0, &off0),
			 2 * PAGE_SIZE);
	ck_assert_uint_eq(off0, 100);
	for (int k = 0; k < 3; k++) {
		ck_assert_ptr_eq(pages[k], &p[k]);
		assert_untouched(&p[k]);
	}
	ck_assert_ptr_eq(it.bvec, &bv[3]);
	/* p3 ends on the boundary, but p4 starts at an offset: the run stops before it. */
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 16, 0, &off0), PAGE_SIZE);
	ck_assert_uint_eq(off0, 0);
	ck_assert_ptr_eq(pages[0], &p[3]);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 16, 0, &off0), 100);
	ck_assert_uint_eq(off0, 50);
	ck_assert_ptr_eq(pages[0], &p[4]);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ledger_stats(&st);
	ck_assert_uint_eq(st.listed, 5);
	ck_assert_uint_eq(st.pin_acquired + st.get_acquired, 0);
	free(pages);
	arena_free(a, p, 6);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

START_TEST(extract_bvec_multipage_and_caps)
{
	char *buf = map_pages(4);
	struct bio_vec bv[] = { { virt_to_page(buf), 3 * PAGE_SIZE, 0 },
				{ virt_to_page(buf), 10, 3 * PAGE_SIZE } };
	struct page *arr[8], **pages = arr;
	struct iov_iter it;
	size_t off0;

	/* A multi-page bvec is listed page by page. */
	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 3 * PAGE_SIZE + 10);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0),
			 3 * PAGE_SIZE + 10);
	for (int k = 0; k < 4; k++)
		ck_assert_ptr_eq(arr[k], find_page(buf + k * PAGE_SIZE));
	/* maxpages and maxsize cap. */
	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 3 * PAGE_SIZE + 10);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 2, 0, &off0), 2 * PAGE_SIZE);
	ck_assert_uint_eq(it.iov_offset, 2 * PAGE_SIZE);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, 100, 8, 0, &off0), 100);
	ck_assert_uint_eq(it.iov_offset, 2 * PAGE_SIZE + 100);
	/*
	 * An iterator left exactly at the end of a bvec (iov_offset == bv_len)
	 * steps to the next one first, as the kernel's does.
	 */
	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 10);
	it.iov_offset = bv[0].bv_len;
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), 10);
	ck_assert_ptr_eq(arr[0], find_page(buf + 3 * PAGE_SIZE));
	ck_assert_uint_eq(it.nr_segs, 0);
	/* No segments left at all: 0. */
	iov_iter_bvec(&it, ITER_SOURCE, bv, 0, 10);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), 0);
	assert_ledger_balanced();
	unmap_pages(buf, 4);
}
END_TEST

/* DISCARD has no content and a PIPE's data is not in memory: -EFAULT. */
START_TEST(extract_refused_types)
{
	struct page **pages = NULL;
	struct iov_iter it;
	size_t off0;

	iov_iter_discard(&it, READ, 100);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), -EFAULT);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	iov_iter_pipe(&it, ITER_SOURCE, 0, 100);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), -EFAULT);
	ck_assert_ptr_null(pages);
	iov_iter_discard(&it, READ, 0);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 8, 0, &off0), 0);
	assert_no_ledger_traffic();
	ck_assert_no_warnings();
}
END_TEST

/* The page array cannot be allocated: -ENOMEM, nothing pinned or listed. */
START_TEST(extract_enomem)
{
	char *buf = map_pages(1);
	struct kvec kv = { buf, 10 };
	struct bio_vec bv = { virt_to_page(buf), 10, 0 };
	struct iov_iter it[3];
	size_t off0;

	iov_iter_ubuf(&it[0], ITER_SOURCE, buf, 10);
	iov_iter_kvec(&it[1], ITER_SOURCE, &kv, 1, 10);
	iov_iter_bvec(&it[2], ITER_SOURCE, &bv, 1, 10);
	for (int k = 0; k < 3; k++) {
		struct page **pages = NULL;

		pinit_fail_allocs(0, 1);
		ck_assert_int_eq(iov_iter_extract_pages(&it[k], &pages, SIZE_MAX, 8, 0, &off0),
				 -ENOMEM);
		ck_assert_ptr_null(pages);
		ck_assert_uint_eq(iov_iter_count(&it[k]), 10);
	}
	assert_no_ledger_traffic();
	assert_untouched(virt_to_page(buf));
	unmap_pages(buf, 1);
}
END_TEST

/* want_pages_array(): WARN_ON(!count) when the caller passes maxpages 0. */
START_TEST(extract_zero_maxpages_warns)
{
	char buf[10] = { 0 };
	struct page *arr[1], **pages = arr;
	struct iov_iter it;
	size_t off0;
	int line;

	iov_iter_ubuf(&it, ITER_SOURCE, buf, sizeof(buf));
	ck_assert_int_eq(AT_LINE(line, iov_iter_extract_pages(&it, &pages, SIZE_MAX, 0, 0, &off0)),
			 -ENOMEM);
	ck_assert_uint_eq(pinit_warn_count(), 1);
	assert_warned_at(__FILE__, line);
	assert_no_ledger_traffic();
}
END_TEST

static Suite *pages_suite(void)
{
	Suite *s = suite_create("pages");
	TCase *tc;

	tc = tcase_create("get_pages");
	unit_fixture(tc);
	tcase_add_test(tc, get_pages_refused_types);
	tcase_add_test(tc, get_pages_ubuf_refs);
	tcase_add_test(tc, get_pages_direction_picks_foll_write);
	tcase_add_test(tc, get_pages_iovec_first_segment_only);
	tcase_add_test(tc, get_pages_caps);
	tcase_add_test(tc, get_pages_short_and_fault);
	tcase_add_test(tc, get_pages_nofault);
	tcase_add_test_raise_signal(tc, get_pages_null_array_is_bug, SIGABRT);
	tcase_add_test(tc, get_pages_bvec_arena);
	tcase_add_test(tc, get_pages_bvec_plain_memory);
	tcase_add_test(tc, get_pages_alloc);
	suite_add_tcase(s, tc);

	tc = tcase_create("extract");
	unit_fixture(tc);
	tcase_add_test(tc, extract_ubuf_pins);
	tcase_add_test(tc, extract_dest_iovec_first_segment);
	tcase_add_test(tc, extract_user_nofault_and_caps);
	tcase_add_test(tc, extract_kvec_listed);
	tcase_add_test(tc, extract_bvec_listed_seams);
	tcase_add_test(tc, extract_bvec_multipage_and_caps);
	tcase_add_test(tc, extract_refused_types);
	tcase_add_test(tc, extract_enomem);
	tcase_add_test(tc, extract_zero_maxpages_warns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(pages_suite());
}
