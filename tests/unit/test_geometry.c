// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Geometry (spec §1.7): iov_iter_alignment, iov_iter_gap_alignment,
 * iov_iter_npages, and the library helpers iov_iter_is_aligned,
 * iov_iter_to_iovecs and iov_iter_bvec_span, per type.
 */
#include <errno.h>
#include <unistd.h>

#include "unit.h"

static char mem[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define B(off) ((unsigned long)mem + (off))

/* ---- iov_iter_alignment ---- */

START_TEST(alignment_ubuf)
{
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, mem + 3, 100);
	ck_assert_uint_eq(iov_iter_alignment(&it), B(3) | 100);
	iov_iter_advance(&it, 4);	/* (ubuf + iov_offset) | count */
	ck_assert_uint_eq(iov_iter_alignment(&it), B(7) | 96);
	iov_iter_advance(&it, 96);
	ck_assert_uint_eq(iov_iter_alignment(&it), 0);
}
END_TEST

START_TEST(alignment_iovec_kvec)
{
	struct iovec iov[] = { { mem + 16, 32 }, { mem + 2, 0 }, { mem + 64, 8 } };
	struct iov_iter it;

	for (int kvec = 0; kvec < 2; kvec++) {
		if (kvec)
			iov_iter_kvec(&it, ITER_SOURCE, (struct kvec *)iov, 3, 40);
		else
			iov_iter_init(&it, ITER_SOURCE, iov, 3, 40);
		/* The empty segment's address does not count. */
		ck_assert_uint_eq(iov_iter_alignment(&it), B(16) | 32 | B(64) | 8);
		iov_iter_truncate(&it, 36);	/* lengths are clipped to the count */
		ck_assert_uint_eq(iov_iter_alignment(&it), B(16) | 32 | B(64) | 4);
		iov_iter_reexpand(&it, 40);
		iov_iter_advance(&it, 4);	/* the skip counts */
		ck_assert_uint_eq(iov_iter_alignment(&it), B(20) | 28 | B(64) | 8);
	}
	/* Count 0 with a segment left: the kernel still reports its start. */
	iov_iter_init(&it, ITER_SOURCE, iov, 3, 0);
	ck_assert_uint_eq(iov_iter_alignment(&it), B(16));
	iov_iter_init(&it, ITER_SOURCE, iov, 0, 0);
	ck_assert_uint_eq(iov_iter_alignment(&it), 0);
}
END_TEST

START_TEST(alignment_bvec_discard_pipe)
{
	struct bio_vec bv[] = { { virt_to_page(mem), 100, 24 }, { virt_to_page(mem), 4096, 0 } };
	struct iov_iter it;

	/* BVEC uses bv_offset, not the address. */
	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 4196);
	ck_assert_uint_eq(iov_iter_alignment(&it), 24 | 100 | 4096);
	iov_iter_advance(&it, 10);
	ck_assert_uint_eq(iov_iter_alignment(&it), 34 | 90 | 4096);
	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 50);
	ck_assert_uint_eq(iov_iter_alignment(&it), 24 | 50);
	iov_iter_bvec(&it, ITER_SOURCE, bv, 0, 0);
	ck_assert_uint_eq(iov_iter_alignment(&it), 0);
	iov_iter_discard(&it, READ, 3);
	ck_assert_uint_eq(iov_iter_alignment(&it), 0);
	iov_iter_pipe(&it, ITER_DEST, 1, 3);
	ck_assert_uint_eq(iov_iter_alignment(&it), 0);
	ck_assert_no_warnings();
}
END_TEST

/* ---- iov_iter_gap_alignment ---- */

START_TEST(gap_alignment_iovec)
{
	struct iovec iov[] = { { mem, 100 }, { mem + 512, 0 }, { mem + 1024, 512 },
			       { mem + 4096, 1000 } };
	struct iov_iter it;

	/* OR of "this start | previous end"; the empty segment is skipped. */
	iov_iter_init(&it, ITER_DEST, iov, 4, 1612);
	ck_assert_uint_eq(iov_iter_gap_alignment(&it),
			  (B(1024) | B(100)) | (B(4096) | B(1024 + 512)));
	/* Segments beyond the count do not count. */
	iov_iter_init(&it, ITER_DEST, iov, 4, 300);
	ck_assert_uint_eq(iov_iter_gap_alignment(&it), B(1024) | B(100));
	/* A single segment has no gap. */
	iov_iter_init(&it, ITER_DEST, iov, 1, 100);
	ck_assert_uint_eq(iov_iter_gap_alignment(&it), 0);
	/* The kernel ignores iov_offset: skipping into the first segment changes nothing. */
	iov_iter_init(&it, ITER_DEST, iov, 4, 1612);
	iov_iter_advance(&it, 50);
	ck_assert_uint_eq(iov_iter_gap_alignment(&it),
			  (B(1024) | B(100)) | (B(4096) | B(1024 + 512)));
	/* UBUF: 0, and no warning. */
	iov_iter_ubuf(&it, ITER_DEST, mem + 1, 7);
	ck_assert_uint_eq(iov_iter_gap_alignment(&it), 0);
	ck_assert_no_warnings();
}
END_TEST

/* WARN_ON(!iter_is_iovec(i)) and the kernel's ~0U for every other type (§1.3). */
START_TEST(gap_alignment_other_types_warn)
{
	struct kvec kv = { mem, 10 };
	struct bio_vec bv = { virt_to_page(mem), 10, 0 };
	struct iov_iter it[4];
	int line;

	iov_iter_kvec(&it[0], ITER_DEST, &kv, 1, 10);
	iov_iter_bvec(&it[1], ITER_DEST, &bv, 1, 10);
	iov_iter_discard(&it[2], READ, 10);
	iov_iter_pipe(&it[3], ITER_DEST, 1, 10);
	for (int k = 0; k < 4; k++) {
		pinit_warn_reset();
		ck_assert_uint_eq(AT_LINE(line, iov_iter_gap_alignment(&it[k])), 0xffffffffUL);
		ck_assert_uint_eq(pinit_warn_count(), 1);
		assert_warned_at(__FILE__, line);
	}
}
END_TEST

/* ---- iov_iter_npages ---- */

START_TEST(npages_ubuf)
{
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, mem + 4000, 200);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 2);
	ck_assert_int_eq(iov_iter_npages(&it, 1), 1);
	iov_iter_ubuf(&it, ITER_DEST, mem, PAGE_SIZE);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 1);
	iov_iter_ubuf(&it, ITER_DEST, mem, PAGE_SIZE + 1);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 2);
	iov_iter_advance(&it, 1);	/* from the current position: still two pages */
	ck_assert_int_eq(iov_iter_npages(&it, 16), 2);
	iov_iter_advance(&it, PAGE_SIZE - 1);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 1);
	iov_iter_ubuf(&it, ITER_DEST, mem, 0);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 0);
}
END_TEST

START_TEST(npages_iovec_kvec)
{
	struct iovec iov[] = { { mem + 4000, 200 }, { mem + 9, 0 }, { mem + 8192, 8192 },
			       { mem + 3 * PAGE_SIZE + 1, 1 } };
	struct iov_iter it;

	for (int kvec = 0; kvec < 2; kvec++) {
		if (kvec)
			iov_iter_kvec(&it, ITER_DEST, (struct kvec *)iov, 4, 8393);
		else
			iov_iter_init(&it, ITER_DEST, iov, 4, 8393);
		ck_assert_int_eq(iov_iter_npages(&it, 100), 5);
		ck_assert_int_eq(iov_iter_npages(&it, 3), 3);
		iov_iter_truncate(&it, 300);	/* 200 bytes over 2 pages, then 100 in 1 */
		ck_assert_int_eq(iov_iter_npages(&it, 100), 3);
		iov_iter_reexpand(&it, 8393);
		iov_iter_advance(&it, 100);	/* the rest of the first segment is in 1 page */
		ck_assert_int_eq(iov_iter_npages(&it, 100), 4);
	}
}
END_TEST

START_TEST(npages_bvec_discard_pipe)
{
	struct bio_vec bv[] = { { virt_to_page(mem), 200, 4000 },
				{ virt_to_page(mem), 10, 8192 + 5 } };
	struct iov_iter it;

	iov_iter_bvec(&it, ITER_DEST, bv, 2, 210);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 3);
	ck_assert_int_eq(iov_iter_npages(&it, 2), 2);
	iov_iter_advance(&it, 96);	/* now at offset 4096: 1 page for the rest of bv[0] */
	ck_assert_int_eq(iov_iter_npages(&it, 16), 2);
	iov_iter_discard(&it, READ, 10000);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 0);
	iov_iter_pipe(&it, ITER_DEST, 1, 10000);
	ck_assert_int_eq(iov_iter_npages(&it, 16), 0);
}
END_TEST

/* ---- iov_iter_is_aligned (library helper; removed from the kernel in 2025) ---- */

START_TEST(is_aligned_types)
{
	struct iovec iov[] = { { mem, 512 }, { mem + 1024, 1000 } };
	struct bio_vec bv[] = { { virt_to_page(mem), 512, 1024 }, { virt_to_page(mem), 100, 0 } };
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, mem + 512, 1024);
	ck_assert(iov_iter_is_aligned(&it, 511, 511));
	iov_iter_ubuf(&it, ITER_DEST, mem + 256, 1024);
	ck_assert(!iov_iter_is_aligned(&it, 511, 511));
	ck_assert(iov_iter_is_aligned(&it, 255, 511));
	iov_iter_ubuf(&it, ITER_DEST, mem + 512, 1000);
	ck_assert(!iov_iter_is_aligned(&it, 511, 511));

	for (int kvec = 0; kvec < 2; kvec++) {
		if (kvec)
			iov_iter_kvec(&it, ITER_DEST, (struct kvec *)iov, 2, 1512);
		else
			iov_iter_init(&it, ITER_DEST, iov, 2, 1512);
		ck_assert(!iov_iter_is_aligned(&it, 511, 511));	/* len 1000 */
		ck_assert(iov_iter_is_aligned(&it, 511, 7));
		iov_iter_truncate(&it, 1024);	/* the second length is clipped to 512 */
		ck_assert(iov_iter_is_aligned(&it, 511, 511));
		iov_iter_advance(&it, 256);	/* the skip counts for the address */
		ck_assert(!iov_iter_is_aligned(&it, 511, 255));
		ck_assert(iov_iter_is_aligned(&it, 255, 255));
	}
	iov_iter_init(&it, ITER_DEST, iov, 2, 0);
	ck_assert(iov_iter_is_aligned(&it, 511, 511));

	iov_iter_bvec(&it, ITER_DEST, bv, 2, 612);
	ck_assert(iov_iter_is_aligned(&it, 1023, 3));
	ck_assert(!iov_iter_is_aligned(&it, 2047, 3));
	ck_assert(!iov_iter_is_aligned(&it, 1023, 511));	/* len 100 */
	iov_iter_truncate(&it, 512);
	ck_assert(iov_iter_is_aligned(&it, 1023, 511));
	iov_iter_bvec(&it, ITER_DEST, bv, 2, 0);
	ck_assert(iov_iter_is_aligned(&it, 1023, 511));

	iov_iter_discard(&it, READ, 4096);
	ck_assert(iov_iter_is_aligned(&it, 4095, 4095));
	/* The 6.0 kernel's PIPE arm: the length must be aligned. */
	iov_iter_pipe(&it, ITER_DEST, 1, 100);
	ck_assert(!iov_iter_is_aligned(&it, 0, 511));
	iov_iter_pipe(&it, ITER_DEST, 1, 512);
	ck_assert(iov_iter_is_aligned(&it, 0, 511));
}
END_TEST

/* ---- iov_iter_to_iovecs ---- */

static void assert_iovec(const struct iovec *v, const void *base, size_t len)
{
	ck_assert_ptr_eq(v->iov_base, base);
	ck_assert_uint_eq(v->iov_len, len);
}

START_TEST(to_iovecs_ubuf)
{
	struct iovec v[2];
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, mem + 3, 100);
	iov_iter_advance(&it, 10);
	ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 2), 1);
	assert_iovec(&v[0], mem + 13, 90);
	ck_assert_uint_eq(iov_iter_count(&it), 90);	/* not advanced */
	ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 0), 0);
	iov_iter_advance(&it, 90);
	ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 2), 0);
}
END_TEST

START_TEST(to_iovecs_iovec_kvec)
{
	struct iovec iov[] = { { mem + 16, 32 }, { mem + 2, 0 }, { mem + 64, 8 }, { mem + 90, 5 } };
	struct iovec v[4];
	struct iov_iter it;

	for (int kvec = 0; kvec < 2; kvec++) {
		if (kvec)
			iov_iter_kvec(&it, ITER_SOURCE, (struct kvec *)iov, 4, 45);
		else
			iov_iter_init(&it, ITER_SOURCE, iov, 4, 45);
		iov_iter_advance(&it, 4);
		iov_iter_truncate(&it, 34);	/* ends inside the third segment */
		ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 4), 2);	/* the empty one skipped */
		assert_iovec(&v[0], mem + 20, 28);
		assert_iovec(&v[1], mem + 64, 6);
		ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 1), 1);	/* at most @max */
		assert_iovec(&v[0], mem + 20, 28);
		ck_assert_uint_eq(iov_iter_count(&it), 34);
	}
}
END_TEST

START_TEST(to_iovecs_bvec)
{
	struct page *p0 = virt_to_page(mem), *p2 = virt_to_page(mem + 2 * PAGE_SIZE);
	/* The first two continue one another; the third starts elsewhere. */
	struct bio_vec bv[] = { { p0, PAGE_SIZE - 100, 100 }, { virt_to_page(mem + PAGE_SIZE), 50, 0 },
				{ p2, 30, 7 } };
	struct iovec v[3];
	struct iov_iter it;

	iov_iter_bvec(&it, ITER_DEST, bv, 3, PAGE_SIZE - 100 + 50 + 30);
	iov_iter_advance(&it, 20);
	ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 3), 2);
	assert_iovec(&v[0], mem + 120, PAGE_SIZE - 120 + 50);
	assert_iovec(&v[1], mem + 2 * PAGE_SIZE + 7, 30);
	/* A bv_offset past the first page: the memory runs on from bv_page. */
	bv[0] = (struct bio_vec){ p0, 10, PAGE_SIZE + 5 };
	iov_iter_bvec(&it, ITER_DEST, bv, 1, 10);
	ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 3), 1);
	assert_iovec(&v[0], mem + PAGE_SIZE + 5, 10);
}
END_TEST

START_TEST(to_iovecs_discard_pipe)
{
	struct iovec v[1];
	struct iov_iter it;
	int fds[2];

	iov_iter_discard(&it, ITER_DEST, 10);
	ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 1), -EINVAL);
	ck_assert_int_eq(pipe(fds), 0);
	iov_iter_pipe(&it, ITER_DEST, fds[1], 10);
	ck_assert_int_eq(iov_iter_to_iovecs(&it, v, 1), -EINVAL);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* ---- iov_iter_bvec_span ---- */

START_TEST(bvec_span_one_segment)
{
	struct bio_vec bv = { virt_to_page(mem), 5000, 300 };
	struct bvec_span s;
	struct iov_iter it;

	iov_iter_bvec(&it, ITER_DEST, &bv, 1, 5000);
	iov_iter_advance(&it, 12);
	iov_iter_truncate(&it, 4000);
	ck_assert(iov_iter_bvec_span(&it, &s));
	ck_assert_ptr_eq(s.page, bv.bv_page);
	ck_assert_ptr_eq(s.data, mem + 312);
	ck_assert_uint_eq(s.before, 312);
	/* The segment ends at 5300, in the second page: its pages end at 8192. */
	ck_assert_uint_eq(s.after, 2 * PAGE_SIZE - 312 - 4000);
}
END_TEST

START_TEST(bvec_span_refused)
{
	struct bio_vec bv[] = { { virt_to_page(mem), 100, 0 }, { virt_to_page(mem + PAGE_SIZE), 100, 0 } };
	struct bvec_span s = { .before = 77 };
	struct iov_iter it;

	iov_iter_bvec(&it, ITER_DEST, bv, 2, 200);	/* the data spans two segments */
	ck_assert(!iov_iter_bvec_span(&it, &s));
	iov_iter_advance(&it, 100);			/* now only the second */
	ck_assert(iov_iter_bvec_span(&it, &s));
	ck_assert_ptr_eq(s.data, mem + PAGE_SIZE);
	ck_assert_uint_eq(s.after, PAGE_SIZE - 100);
	iov_iter_advance(&it, 100);			/* none left */
	s.before = 77;
	ck_assert(!iov_iter_bvec_span(&it, &s));
	ck_assert_uint_eq(s.before, 77);
	iov_iter_ubuf(&it, ITER_DEST, mem, 10);
	ck_assert(!iov_iter_bvec_span(&it, &s));
}
END_TEST

static Suite *geometry_suite(void)
{
	Suite *s = suite_create("geometry");
	TCase *tc;

	tc = tcase_create("alignment");
	unit_fixture(tc);
	tcase_add_test(tc, alignment_ubuf);
	tcase_add_test(tc, alignment_iovec_kvec);
	tcase_add_test(tc, alignment_bvec_discard_pipe);
	tcase_add_test(tc, gap_alignment_iovec);
	tcase_add_test(tc, gap_alignment_other_types_warn);
	tcase_add_test(tc, is_aligned_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("npages");
	unit_fixture(tc);
	tcase_add_test(tc, npages_ubuf);
	tcase_add_test(tc, npages_iovec_kvec);
	tcase_add_test(tc, npages_bvec_discard_pipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("to_iovecs");
	unit_fixture(tc);
	tcase_add_test(tc, to_iovecs_ubuf);
	tcase_add_test(tc, to_iovecs_iovec_kvec);
	tcase_add_test(tc, to_iovecs_bvec);
	tcase_add_test(tc, to_iovecs_discard_pipe);
	tcase_add_test(tc, bvec_span_one_segment);
	tcase_add_test(tc, bvec_span_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(geometry_suite());
}
