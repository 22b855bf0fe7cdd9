// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Import (spec §1.4): import_iovec() and import_ubuf(), the iterators built from
 * syscall arguments, with the kernel's limits and error returns.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "unit.h"

/* Addresses that pass access_ok() without being mapped: import never touches the data. */
#define FAR(n) ((void *)(0x100000000UL * (n)))

static char data[64];

START_TEST(import_multi_fast_segs)
{
	struct iovec uvec[] = { { data, 10 }, { data + 10, 0 }, { data + 20, 30 } };
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, 3, UIO_FASTIOV, &iovp, &it), 40);
	/* The fast array was used: *iovp is NULL (nothing for the caller to free). */
	ck_assert_ptr_null(iovp);
	ck_assert(iter_is_iovec(&it));
	ck_assert_int_eq(iov_iter_rw(&it), READ);
	ck_assert_ptr_eq(iter_iov(&it), fast);
	ck_assert_uint_eq(it.nr_segs, 3);
	ck_assert_uint_eq(iov_iter_count(&it), 40);
	ck_assert(!memcmp(fast, uvec, sizeof(uvec)));
	free(iovp);
	ck_assert_no_warnings();
}
END_TEST

START_TEST(import_multi_allocated)
{
	struct iovec uvec[3] = { { data, 1 }, { data + 1, 2 }, { data + 3, 3 } };
	struct iovec fast[2], *iovp = fast;
	struct iov_iter it;

	/* More segments than fast_segs: a new array, handed to the caller in *iovp. */
	ck_assert_int_eq(import_iovec(ITER_SOURCE, uvec, 3, 2, &iovp, &it), 6);
	ck_assert_ptr_nonnull(iovp);
	ck_assert_ptr_ne(iovp, fast);
	ck_assert_ptr_eq(iter_iov(&it), iovp);
	ck_assert_int_eq(iov_iter_rw(&it), WRITE);
	ck_assert(!memcmp(iovp, uvec, sizeof(uvec)));
	free(iovp);

	/* ... whose allocation can fail: -ENOMEM, *iovp NULL. */
	iovp = fast;
	pinit_fail_allocs(0, 1);
	ck_assert_int_eq(import_iovec(ITER_SOURCE, uvec, 3, 2, &iovp, &it), -ENOMEM);
	ck_assert_ptr_null(iovp);
}
END_TEST

/* nr_segs == 1 yields a UBUF and *iovp = NULL, even on error (f4b78260fc67). */
START_TEST(import_single_segment_is_ubuf)
{
	struct iovec uvec[] = { { data + 5, 20 } };
	struct iovec bad[] = { { FAR(1), (size_t)-1 } };
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	ck_assert_int_eq(import_iovec(ITER_SOURCE, uvec, 1, UIO_FASTIOV, &iovp, &it), 20);
	ck_assert_ptr_null(iovp);
	ck_assert(iter_is_ubuf(&it));
	ck_assert_ptr_eq(it.ubuf, data + 5);
	ck_assert_uint_eq(iov_iter_count(&it), 20);
	ck_assert(it.data_source);

	iovp = fast;	/* the negative length: -EINVAL, *iovp still NULL */
	ck_assert_int_eq(import_iovec(ITER_SOURCE, bad, 1, UIO_FASTIOV, &iovp, &it), -EINVAL);
	ck_assert_ptr_null(iovp);
	bad[0].iov_base = (void *)(TASK_SIZE_MAX - 10);
	bad[0].iov_len = 100;
	iovp = fast;	/* access_ok() fails: -EFAULT, *iovp NULL */
	ck_assert_int_eq(import_iovec(ITER_SOURCE, bad, 1, UIO_FASTIOV, &iovp, &it), -EFAULT);
	ck_assert_ptr_null(iovp);
	/* The kernel passes a fast array; the model also copes with none. */
	iovp = NULL;
	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, 1, 0, &iovp, &it), 20);
	ck_assert(iter_is_ubuf(&it));
}
END_TEST

/* "Linux has traditionally returned zero for zero segments": an empty IOVEC. */
START_TEST(import_zero_segments)
{
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	ck_assert_int_eq(import_iovec(ITER_DEST, NULL, 0, UIO_FASTIOV, &iovp, &it), 0);
	ck_assert_ptr_null(iovp);
	ck_assert(iter_is_iovec(&it));
	ck_assert_uint_eq(it.nr_segs, 0);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
}
END_TEST

START_TEST(import_too_many_segments)
{
	struct iovec *uvec = calloc(UIO_MAXIOV + 1, sizeof(*uvec));
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	for (int k = 0; k <= UIO_MAXIOV; k++)
		uvec[k] = (struct iovec){ data, 1 };
	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, UIO_MAXIOV + 1, UIO_FASTIOV, &iovp, &it),
			 -EINVAL);
	ck_assert_ptr_null(iovp);
	/* UIO_MAXIOV itself is fine. */
	iovp = fast;
	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, UIO_MAXIOV, UIO_FASTIOV, &iovp, &it),
			 UIO_MAXIOV);
	ck_assert_ptr_nonnull(iovp);
	free(iovp);
	free(uvec);
}
END_TEST

START_TEST(import_negative_length)
{
	struct iovec uvec[] = { { data, 10 }, { data, (size_t)SSIZE_MAX + 1 } };
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, 2, UIO_FASTIOV, &iovp, &it), -EINVAL);
	ck_assert_ptr_null(iovp);
	/* The same with an allocated array (freed by import: LSan would see a leak). */
	iovp = fast;
	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, 2, 1, &iovp, &it), -EINVAL);
	ck_assert_ptr_null(iovp);
}
END_TEST

START_TEST(import_segment_fails_access_ok)
{
	struct iovec uvec[] = { { data, 10 }, { (void *)(TASK_SIZE_MAX - 10), 20 } };
	struct iovec wrap[] = { { data, 10 }, { (void *)-4096UL, 10 } };
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, 2, UIO_FASTIOV, &iovp, &it), -EFAULT);
	ck_assert_ptr_null(iovp);
	iovp = fast;
	ck_assert_int_eq(import_iovec(ITER_DEST, wrap, 2, 1, &iovp, &it), -EFAULT);
	ck_assert_ptr_null(iovp);
}
END_TEST

/* The total is capped at MAX_RW_COUNT by shortening segment lengths in place. */
START_TEST(import_caps_at_max_rw_count)
{
	const size_t gib = 1UL << 30;
	struct iovec uvec[] = { { FAR(1), gib }, { FAR(2), gib }, { FAR(3), gib }, { FAR(4), 5 } };
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	ck_assert_int_eq(import_iovec(ITER_SOURCE, uvec, 4, UIO_FASTIOV, &iovp, &it),
			 (ssize_t)MAX_RW_COUNT);
	ck_assert_uint_eq(iov_iter_count(&it), MAX_RW_COUNT);
	ck_assert_uint_eq(fast[0].iov_len, gib);
	ck_assert_uint_eq(fast[1].iov_len, MAX_RW_COUNT - gib);
	ck_assert_uint_eq(fast[2].iov_len, 0);
	ck_assert_uint_eq(fast[3].iov_len, 0);
	/* The caller's array is not modified. */
	ck_assert_uint_eq(uvec[1].iov_len, gib);
	/* One huge segment: import_ubuf's cap. */
	ck_assert_int_eq(import_iovec(ITER_SOURCE, uvec, 1, UIO_FASTIOV, &iovp, &it),
			 (ssize_t)gib);
	uvec[0].iov_len = 3 * gib;
	iovp = fast;
	ck_assert_int_eq(import_iovec(ITER_SOURCE, uvec, 1, UIO_FASTIOV, &iovp, &it),
			 (ssize_t)MAX_RW_COUNT);
}
END_TEST

/* The iovec array itself is user memory: unreadable → -EFAULT, never a crash. */
START_TEST(import_unreadable_uvec)
{
	char *buf = map_pages(2);
	struct iovec *uvec = (struct iovec *)(buf + PAGE_SIZE) - 1;	/* straddles the pages */
	struct iovec fast[UIO_FASTIOV], *iovp = fast;
	struct iov_iter it;

	uvec[0] = (struct iovec){ data, 10 };
	page_protect(buf + PAGE_SIZE, PROT_NONE);
	ck_assert_int_eq(import_iovec(ITER_DEST, uvec, 2, UIO_FASTIOV, &iovp, &it), -EFAULT);
	ck_assert_ptr_null(iovp);
	iovp = fast;
	ck_assert_int_eq(import_iovec(ITER_DEST, uvec + 1, 1, UIO_FASTIOV, &iovp, &it), -EFAULT);
	ck_assert_ptr_null(iovp);
	iovp = fast;
	ck_assert_int_eq(import_iovec(ITER_DEST, NULL, 3, 1, &iovp, &it), -EFAULT);
	ck_assert_ptr_null(iovp);
	iovp = fast;
	ck_assert_int_eq(import_iovec(ITER_DEST, (void *)(TASK_SIZE_MAX - 8), 3, 8, &iovp, &it),
			 -EFAULT);
	unmap_pages(buf, 2);
}
END_TEST

START_TEST(import_ubuf_cases)
{
	struct iov_iter it;

	ck_assert_int_eq(import_ubuf(ITER_DEST, data, 10, &it), 0);
	ck_assert(iter_is_ubuf(&it));
	ck_assert(!it.data_source);
	ck_assert_uint_eq(iov_iter_count(&it), 10);
	ck_assert_int_eq(import_ubuf(ITER_SOURCE, FAR(1), SIZE_MAX / 2, &it), 0);
	ck_assert_uint_eq(iov_iter_count(&it), MAX_RW_COUNT);
	ck_assert(it.data_source);
	/* access_ok() on the capped length: the end must stay below TASK_SIZE_MAX. */
	ck_assert_int_eq(import_ubuf(ITER_SOURCE, (void *)(TASK_SIZE_MAX - 10), 11, &it), -EFAULT);
	ck_assert_int_eq(import_ubuf(ITER_SOURCE, (void *)(TASK_SIZE_MAX - 10), 10, &it), 0);
	ck_assert_no_warnings();
}
END_TEST

static Suite *import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");

	unit_fixture(tc);
	tcase_add_test(tc, import_multi_fast_segs);
	tcase_add_test(tc, import_multi_allocated);
	tcase_add_test(tc, import_single_segment_is_ubuf);
	tcase_add_test(tc, import_zero_segments);
	tcase_add_test(tc, import_too_many_segments);
	tcase_add_test(tc, import_negative_length);
	tcase_add_test(tc, import_segment_fails_access_ok);
	tcase_add_test(tc, import_caps_at_max_rw_count);
	tcase_add_test(tc, import_unreadable_uvec);
	tcase_add_test(tc, import_ubuf_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(import_suite());
}
