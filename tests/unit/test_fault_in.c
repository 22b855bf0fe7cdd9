// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault-in (spec §1.9, M-6): fault_in_iov_iter_readable/writeable return the
 * number of bytes NOT faulted in, page-granular, with bytes beyond the count
 * counted as not faulted in and 0 for non-user iterators; the _all forms are
 * the all-or-nothing primitive; fault_in_readable/fault_in_safe_writeable are
 * the plain-range versions. MADV_POPULATE_READ/WRITE underneath (§6).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "unit.h"

static bool resident(const void *page)
{
	unsigned char vec = 0;

	ck_assert_int_eq(mincore((void *)page, PAGE_SIZE, &vec), 0);
	return vec & 1;
}

START_TEST(readable_faults_pages_in)
{
	char *buf = map_untouched(3);
	struct iov_iter it;

	ck_assert(!resident(buf) && !resident(buf + PAGE_SIZE));
	iov_iter_ubuf(&it, ITER_SOURCE, buf + 10, 2 * PAGE_SIZE);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 2 * PAGE_SIZE), 0);
	ck_assert(resident(buf) && resident(buf + PAGE_SIZE) && resident(buf + 2 * PAGE_SIZE));
	ck_assert_uint_eq(iov_iter_count(&it), 2 * PAGE_SIZE);	/* not advanced */
	ck_assert_uint_eq(it.iov_offset, 0);
	unmap_pages(buf, 3);
}
END_TEST

/* Writeable fault-in breaks COW and writes nothing ("non-destructive"). */
START_TEST(writeable_does_not_write)
{
	char *buf = map_untouched(2);
	struct iov_iter it;

	memset(buf, 'q', PAGE_SIZE);
	iov_iter_ubuf(&it, ITER_DEST, buf, 2 * PAGE_SIZE);
	ck_assert_uint_eq(fault_in_iov_iter_writeable(&it, 2 * PAGE_SIZE), 0);
	ck_assert(resident(buf + PAGE_SIZE));
	ck_assert(all_bytes(buf, PAGE_SIZE, 'q'));
	ck_assert(all_bytes(buf + PAGE_SIZE, PAGE_SIZE, 0));
	unmap_pages(buf, 2);
}
END_TEST

/* Required example: fault-in over a hole reports the right remainder. */
START_TEST(readable_over_hole)
{
	char *buf = map_pages(4);
	struct iov_iter it;
	size_t size = 4 * PAGE_SIZE - 100;

	page_hole(buf + 2 * PAGE_SIZE);
	iov_iter_ubuf(&it, ITER_SOURCE, buf + 100, size);
	/* Pages 0 and 1 are in; from page 2 to the end is not. */
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, size), 2 * PAGE_SIZE);
	ck_assert_uint_eq(fault_in_iov_iter_writeable(&it, size), 2 * PAGE_SIZE);
	ck_assert_int_eq(fault_in_iov_iter_readable_all(&it, size), -EFAULT);
	ck_assert_int_eq(fault_in_iov_iter_writeable_all(&it, size), -EFAULT);
	/* Stopping before the hole: everything was faulted in. */
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 2 * PAGE_SIZE - 100), 0);
	ck_assert_int_eq(fault_in_iov_iter_readable_all(&it, 2 * PAGE_SIZE - 100), 0);
	ck_assert_int_eq(fault_in_iov_iter_writeable_all(&it, 2 * PAGE_SIZE - 100), 0);
	/* A hole in the very first page: nothing was faulted in. */
	iov_iter_ubuf(&it, ITER_SOURCE, buf + 2 * PAGE_SIZE + 7, PAGE_SIZE);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, PAGE_SIZE), PAGE_SIZE);
	/* Past the hole (after an advance) everything is fine again. */
	iov_iter_ubuf(&it, ITER_SOURCE, buf, 4 * PAGE_SIZE);
	iov_iter_advance(&it, 3 * PAGE_SIZE);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, PAGE_SIZE), 0);
	unmap_pages(buf, 4);
}
END_TEST

/* PROT_NONE stops both; PROT_READ stops only the writeable form. */
START_TEST(protections)
{
	char *buf = map_pages(3);
	struct iov_iter it;

	page_protect(buf + PAGE_SIZE, PROT_READ);
	page_protect(buf + 2 * PAGE_SIZE, PROT_NONE);
	iov_iter_ubuf(&it, ITER_DEST, buf + 5, 3 * PAGE_SIZE - 5);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 3 * PAGE_SIZE - 5), PAGE_SIZE);
	ck_assert_uint_eq(fault_in_iov_iter_writeable(&it, 3 * PAGE_SIZE - 5), 2 * PAGE_SIZE);
	ck_assert_uint_eq(fault_in_safe_writeable(buf + PAGE_SIZE + 1, 10), 10);
	ck_assert_uint_eq(fault_in_readable(buf + PAGE_SIZE + 1, 10), 0);
	unmap_pages(buf, 3);
}
END_TEST

/* Bytes requested beyond iov_iter_count() count as not faulted in. */
START_TEST(beyond_count)
{
	char *buf = map_pages(1);
	struct iovec iov[] = { { buf, 60 }, { buf + 100, 40 } };
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_SOURCE, buf, 100);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 1000), 900);
	ck_assert_uint_eq(fault_in_iov_iter_writeable(&it, 1000), 900);
	ck_assert_int_eq(fault_in_iov_iter_readable_all(&it, 101), -EFAULT);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 0), 0);
	iov_iter_init(&it, ITER_SOURCE, iov, 2, 100);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 150), 50);
	unmap_pages(buf, 1);
}
END_TEST

START_TEST(iovec_segments)
{
	char *good = map_pages(1), *buf = map_pages(3);
	struct iovec iov[] = { { good, 100 }, { good, 0 }, { buf + 50, 3 * PAGE_SIZE - 50 },
			       { good, 10 } };
	struct iov_iter it;
	size_t total = 100 + 3 * PAGE_SIZE - 50 + 10;

	iov_iter_init(&it, ITER_SOURCE, iov, 4, total);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, total), 0);
	page_hole(buf + PAGE_SIZE);
	/* Segment 2 fails at its second page: that page, the rest, and segment 3 remain. */
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, total), 2 * PAGE_SIZE + 10);
	ck_assert_uint_eq(fault_in_iov_iter_writeable(&it, total + 5), 2 * PAGE_SIZE + 15);
	/* Limited to the first segment: no failure seen. */
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 100), 0);
	/* From inside segment 2 (iov_offset honoured). */
	iov_iter_advance(&it, 100 + PAGE_SIZE - 50 - 1);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 1), 0);
	ck_assert_uint_eq(fault_in_iov_iter_readable(&it, 2), 1);
	unmap_pages(good, 1);
	unmap_pages(buf, 3);
}
END_TEST

/* Non-user iterators: always 0, whatever the size (the kernel's "return 0"). */
START_TEST(non_user_iterators)
{
	char buf[10] = { 0 };
	struct kvec kv = { buf, 10 };
	struct bio_vec bv = { virt_to_page(buf), 10, (uintptr_t)buf % PAGE_SIZE };
	struct iov_iter it[4];

	iov_iter_kvec(&it[0], ITER_SOURCE, &kv, 1, 10);
	iov_iter_bvec(&it[1], ITER_SOURCE, &bv, 1, 10);
	iov_iter_discard(&it[2], READ, 10);
	iov_iter_pipe(&it[3], ITER_SOURCE, 0, 10);
	for (int k = 0; k < 4; k++) {
		ck_assert_uint_eq(fault_in_iov_iter_readable(&it[k], 1000), 0);
		ck_assert_uint_eq(fault_in_iov_iter_writeable(&it[k], 1000), 0);
		ck_assert_int_eq(fault_in_iov_iter_readable_all(&it[k], 1000), 0);
		ck_assert_int_eq(fault_in_iov_iter_writeable_all(&it[k], 1000), 0);
	}
}
END_TEST

START_TEST(plain_ranges)
{
	char *buf = map_pages(2);

	ck_assert_uint_eq(fault_in_readable(buf, 0), 0);
	ck_assert_uint_eq(fault_in_safe_writeable(buf + 1, 2 * PAGE_SIZE - 1), 0);
	/* access_ok() fails: nothing. */
	ck_assert_uint_eq(fault_in_readable((void *)(TASK_SIZE_MAX - 10), 100), 100);
	ck_assert_uint_eq(fault_in_safe_writeable((void *)-100UL, 50), 50);
	page_hole(buf + PAGE_SIZE);
	ck_assert_uint_eq(fault_in_readable(buf + 1, 2 * PAGE_SIZE - 1), PAGE_SIZE);
	ck_assert_uint_eq(fault_in_safe_writeable(buf + PAGE_SIZE + 9, 100), 100);
	unmap_pages(buf, 2);
}
END_TEST

static Suite *fault_in_suite(void)
{
	Suite *s = suite_create("fault_in");
	TCase *tc = tcase_create("fault_in");

	unit_fixture(tc);
	tcase_add_test(tc, readable_faults_pages_in);
	tcase_add_test(tc, writeable_does_not_write);
	tcase_add_test(tc, readable_over_hole);
	tcase_add_test(tc, protections);
	tcase_add_test(tc, beyond_count);
	tcase_add_test(tc, iovec_segments);
	tcase_add_test(tc, non_user_iterators);
	tcase_add_test(tc, plain_ranges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(fault_in_suite());
}
