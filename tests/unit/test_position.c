// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Construction (spec §1.4, §1.3) and position (§1.6): iov_iter_{init,ubuf,kvec,
 * bvec,discard,pipe}, advance, revert, truncate/reexpand, single_seg_count,
 * save/restore and dup_iter / dup_iter_checked.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static char mem[4 * PAGE_SIZE];

/* ---- construction ---- */

START_TEST(construct_every_type)
{
	struct iovec iov[2] = { { mem, 10 }, { mem + 10, 20 } };
	struct kvec kv = { mem, 30 };
	struct bio_vec bv = { virt_to_page(mem), 30, 0 };
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_SOURCE, mem, 30);
	ck_assert(iter_is_ubuf(&it) && user_backed_iter(&it));
	ck_assert_int_eq(iov_iter_rw(&it), WRITE);
	ck_assert_uint_eq(it.nr_segs, 1);
	ck_assert_ptr_eq(iter_iov(&it)->iov_base, mem);
	ck_assert_uint_eq(iter_iov(&it)->iov_len, 30);
	ck_assert(iov_iter_extract_will_pin(&it));

	iov_iter_init(&it, ITER_DEST, iov, 2, 30);
	ck_assert(iter_is_iovec(&it) && user_backed_iter(&it));
	ck_assert_int_eq(iov_iter_rw(&it), READ);
	ck_assert_ptr_eq(iter_iov(&it), iov);
	ck_assert(iov_iter_extract_will_pin(&it));

	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, 30);
	ck_assert(iov_iter_is_kvec(&it) && !user_backed_iter(&it));
	ck_assert(!iov_iter_extract_will_pin(&it));

	iov_iter_bvec(&it, ITER_DEST, &bv, 1, 30);
	ck_assert(iov_iter_is_bvec(&it) && !user_backed_iter(&it));
	ck_assert(!iov_iter_extract_will_pin(&it));

	iov_iter_discard(&it, READ, 30);
	ck_assert(iov_iter_is_discard(&it));
	ck_assert(!it.data_source);
	ck_assert_uint_eq(iov_iter_count(&it), 30);

	iov_iter_pipe(&it, ITER_SOURCE, 5, 30);
	ck_assert(iov_iter_is_pipe(&it) && !user_backed_iter(&it));
	ck_assert_int_eq(it.pipe_fd, 5);
	ck_assert(!it.nofault);
	ck_assert_no_warnings();
}
END_TEST

/* WARN_ON(direction & ~(READ | WRITE)): warned, the iterator still built (§1.3). */
START_TEST(construct_bad_direction_warns)
{
	struct iovec iov = { mem, 10 };
	struct kvec kv = { mem, 10 };
	struct bio_vec bv = { virt_to_page(mem), 10, 0 };
	struct iov_iter it;
	int line;

	AT_LINE(line, iov_iter_init(&it, 2, &iov, 1, 10));
	assert_warned_at(__FILE__, line);
	ck_assert(iter_is_iovec(&it));
	ck_assert_uint_eq(iov_iter_count(&it), 10);
	iov_iter_ubuf(&it, 3, mem, 10);
	iov_iter_kvec(&it, 4, &kv, 1, 10);
	iov_iter_bvec(&it, 8, &bv, 1, 10);
	iov_iter_pipe(&it, 16, 0, 10);
	ck_assert_uint_eq(pinit_warn_count(), 5);
}
END_TEST

/* BUG_ON(direction != READ) in iov_iter_discard(): fatal. */
START_TEST(discard_write_is_bug)
{
	struct iov_iter it;

	iov_iter_discard(&it, WRITE, 10);
}
END_TEST

/* ---- advance ---- */

START_TEST(advance_ubuf)
{
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, mem, 100);
	iov_iter_advance(&it, 30);
	ck_assert_uint_eq(it.iov_offset, 30);
	ck_assert_uint_eq(iov_iter_count(&it), 70);
	iov_iter_advance(&it, 1000);	/* clamped to the count */
	ck_assert_uint_eq(it.iov_offset, 100);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_no_warnings();
}
END_TEST

START_TEST(advance_iovec_kvec)
{
	struct iovec iov[] = { { mem, 10 }, { mem, 0 }, { mem + 10, 20 }, { mem + 30, 30 } };
	struct iov_iter it;

	for (int kvec = 0; kvec < 2; kvec++) {
		if (kvec)
			iov_iter_kvec(&it, ITER_DEST, (struct kvec *)iov, 4, 60);
		else
			iov_iter_init(&it, ITER_DEST, iov, 4, 60);
		/* Exactly the first segment: moves past it and past the empty one. */
		iov_iter_advance(&it, 10);
		ck_assert_ptr_eq(iter_iov(&it), &iov[2]);
		ck_assert_uint_eq(it.nr_segs, 2);
		ck_assert_uint_eq(it.iov_offset, 0);
		iov_iter_advance(&it, 25);	/* 5 into the last */
		ck_assert_ptr_eq(iter_iov(&it), &iov[3]);
		ck_assert_uint_eq(it.nr_segs, 1);
		ck_assert_uint_eq(it.iov_offset, 5);
		ck_assert_uint_eq(iov_iter_count(&it), 25);
		iov_iter_advance(&it, 99);
		ck_assert_uint_eq(iov_iter_count(&it), 0);
		ck_assert_uint_eq(it.nr_segs, 0);
		iov_iter_advance(&it, 5);	/* nothing left: no-op */
		ck_assert_uint_eq(it.nr_segs, 0);
	}
	ck_assert_no_warnings();
}
END_TEST

START_TEST(advance_bvec)
{
	struct bio_vec bv[] = { { virt_to_page(mem), 100, 10 }, { virt_to_page(mem), 200, 500 } };
	struct iov_iter it;

	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 300);
	iov_iter_advance(&it, 150);
	ck_assert_ptr_eq(it.bvec, &bv[1]);
	ck_assert_uint_eq(it.iov_offset, 50);
	ck_assert_uint_eq(it.nr_segs, 1);
	iov_iter_advance(&it, 150);
	ck_assert_uint_eq(it.nr_segs, 0);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	iov_iter_advance(&it, 1);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_no_warnings();
}
END_TEST

START_TEST(advance_discard)
{
	struct iov_iter it;

	iov_iter_discard(&it, READ, 100);
	iov_iter_advance(&it, 40);
	ck_assert_uint_eq(iov_iter_count(&it), 60);
	iov_iter_advance(&it, 400);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_no_warnings();
}
END_TEST

/* PIPE: a SOURCE pipe skips by reading the bytes out; a DEST pipe cannot skip. */
START_TEST(advance_pipe)
{
	int fds[2];
	size_t skip = PAGE_SIZE + 10;
	char *data = malloc(skip + 100), back[100];
	struct iov_iter it;
	int line;

	fill_pattern(data, skip + 100, 3);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], data, skip + 100), skip + 100);
	iov_iter_pipe(&it, ITER_SOURCE, fds[0], skip + 100);
	iov_iter_advance(&it, skip);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	ck_assert_uint_eq(copy_from_iter(back, 100, &it), 100);
	ck_assert(!memcmp(back, data + skip, 100));
	ck_assert_no_warnings();
	/* Short: the pipe runs dry (writer closed) before the advance is done. */
	close(fds[1]);
	iov_iter_pipe(&it, ITER_SOURCE, fds[0], 50);
	iov_iter_advance(&it, 50);
	ck_assert_uint_eq(iov_iter_count(&it), 50);

	iov_iter_pipe(&it, ITER_DEST, fds[0], 50);
	AT_LINE(line, iov_iter_advance(&it, 10));
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(iov_iter_count(&it), 50);
	close(fds[0]);
	free(data);
}
END_TEST

/* ---- revert ---- */

/* Required example: revert walks back across segments (§1.6). */
START_TEST(revert_across_segments_iovec)
{
	struct iovec iov[] = { { mem, 10 }, { mem, 0 }, { mem + 10, 20 }, { mem + 30, 30 } };
	struct iov_iter it;

	iov_iter_init(&it, ITER_DEST, iov, 4, 60);
	iov_iter_advance(&it, 45);
	ck_assert_ptr_eq(iter_iov(&it), &iov[3]);
	ck_assert_uint_eq(it.iov_offset, 15);
	iov_iter_revert(&it, 10);	/* within the segment */
	ck_assert_ptr_eq(iter_iov(&it), &iov[3]);
	ck_assert_uint_eq(it.iov_offset, 5);
	ck_assert_uint_eq(iov_iter_count(&it), 25);
	iov_iter_revert(&it, 30);	/* back over iov[3] start, all of iov[2], the empty one */
	ck_assert_ptr_eq(iter_iov(&it), &iov[0]);
	ck_assert_uint_eq(it.iov_offset, 5);
	ck_assert_uint_eq(it.nr_segs, 4);
	ck_assert_uint_eq(iov_iter_count(&it), 55);
	iov_iter_revert(&it, 5);
	ck_assert_uint_eq(it.iov_offset, 0);
	ck_assert_uint_eq(iov_iter_count(&it), 60);
	/* From the very end (segment pointer past the array) back into the last segment. */
	iov_iter_advance(&it, 60);
	ck_assert_uint_eq(it.nr_segs, 0);
	iov_iter_revert(&it, 1);
	ck_assert_ptr_eq(iter_iov(&it), &iov[3]);
	ck_assert_uint_eq(it.iov_offset, 29);
	ck_assert_uint_eq(it.nr_segs, 1);
	ck_assert_no_warnings();
}
END_TEST

START_TEST(revert_across_segments_kvec_bvec)
{
	struct kvec kv[] = { { mem, 100 }, { mem + 100, 100 } };
	struct bio_vec bv[] = { { virt_to_page(mem), 100, 0 }, { virt_to_page(mem), 50, 100 },
				{ virt_to_page(mem), 70, 150 } };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_SOURCE, kv, 2, 200);
	iov_iter_advance(&it, 150);
	iov_iter_revert(&it, 120);
	ck_assert_ptr_eq(it.kvec, &kv[0]);
	ck_assert_uint_eq(it.iov_offset, 30);
	ck_assert_uint_eq(it.nr_segs, 2);
	ck_assert_uint_eq(iov_iter_count(&it), 170);

	iov_iter_bvec(&it, ITER_DEST, bv, 3, 220);
	iov_iter_advance(&it, 200);
	ck_assert_ptr_eq(it.bvec, &bv[2]);
	iov_iter_revert(&it, 190);
	ck_assert_ptr_eq(it.bvec, &bv[0]);
	ck_assert_uint_eq(it.iov_offset, 10);
	ck_assert_uint_eq(it.nr_segs, 3);
	ck_assert_uint_eq(iov_iter_count(&it), 210);
	ck_assert_no_warnings();
}
END_TEST

START_TEST(revert_ubuf_discard_pipe_limits)
{
	struct iov_iter it;
	int line;

	iov_iter_ubuf(&it, ITER_DEST, mem, 100);
	iov_iter_advance(&it, 60);
	iov_iter_revert(&it, 60);	/* back to the start exactly: fine */
	ck_assert_uint_eq(it.iov_offset, 0);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	iov_iter_revert(&it, 0);	/* no-op, even at the start */

	/* DISCARD: just count += n. */
	iov_iter_discard(&it, READ, 100);
	iov_iter_advance(&it, 100);
	iov_iter_revert(&it, 30);
	ck_assert_uint_eq(iov_iter_count(&it), 30);
	ck_assert_no_warnings();

	/* WARN_ON(unroll > MAX_RW_COUNT): nothing changes. */
	iov_iter_ubuf(&it, ITER_DEST, mem, 100);
	AT_LINE(line, iov_iter_revert(&it, MAX_RW_COUNT + 1));
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(iov_iter_count(&it), 100);

	/* PIPE: the data already moved; warned, nothing changes. */
	iov_iter_pipe(&it, ITER_DEST, 1, 100);
	AT_LINE(line, iov_iter_revert(&it, 10));
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	ck_assert_uint_eq(pinit_warn_count(), 2);
}
END_TEST

/* Reverting past the start of a UBUF is a BUG: "straying into pages that aren't pinned". */
START_TEST(revert_past_ubuf_start_is_bug)
{
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, mem, 100);
	iov_iter_advance(&it, 10);
	iov_iter_revert(&it, 11);
}
END_TEST

/* ---- truncate / reexpand ---- */

START_TEST(truncate_reexpand)
{
	char out[100];
	struct kvec kv = { mem, 100 };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, 100);
	iov_iter_truncate(&it, 1000);	/* an upper limit, not the new size */
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	iov_iter_truncate(&it, 40);
	ck_assert_uint_eq(iov_iter_count(&it), 40);
	ck_assert_uint_eq(copy_from_iter(out, 100, &it), 40);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	iov_iter_reexpand(&it, 60);	/* the 60 cut off come back */
	ck_assert_uint_eq(copy_from_iter(out, 100, &it), 60);
	ck_assert_uint_eq(it.nr_segs, 0);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	/* A u64 limit above SIZE_MAX-sized counts still works as a limit. */
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, 100);
	iov_iter_truncate(&it, UINT64_MAX);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
}
END_TEST

/* ---- single_seg_count ---- */

START_TEST(single_seg_count_types)
{
	struct iovec iov[] = { { mem, 10 }, { mem + 10, 20 } };
	struct bio_vec bv[] = { { virt_to_page(mem), 100, 0 }, { virt_to_page(mem), 50, 100 } };
	struct iov_iter it;

	iov_iter_init(&it, ITER_DEST, iov, 2, 30);
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 10);
	iov_iter_advance(&it, 4);
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 6);
	iov_iter_init(&it, ITER_DEST, iov, 2, 7);	/* count below the segment */
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 7);
	iov_iter_init(&it, ITER_DEST, iov, 2, 30);
	iov_iter_advance(&it, 15);	/* one segment left: the count */
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 15);

	iov_iter_kvec(&it, ITER_DEST, (struct kvec *)iov, 2, 30);
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 10);

	iov_iter_bvec(&it, ITER_DEST, bv, 2, 150);
	iov_iter_advance(&it, 30);
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 70);

	iov_iter_ubuf(&it, ITER_DEST, mem, 77);
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 77);
	iov_iter_discard(&it, READ, 88);
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 88);
	iov_iter_pipe(&it, ITER_DEST, 9, 99);
	ck_assert_uint_eq(iov_iter_single_seg_count(&it), 99);
}
END_TEST

/* ---- save / restore ---- */

START_TEST(save_restore_types)
{
	struct iovec iov[] = { { mem, 10 }, { mem + 10, 20 }, { mem + 30, 30 } };
	struct bio_vec bv[] = { { virt_to_page(mem), 100, 0 }, { virt_to_page(mem), 50, 100 } };
	struct iov_iter it, before;
	struct iov_iter_state st;

	iov_iter_init(&it, ITER_DEST, iov, 3, 60);
	iov_iter_advance(&it, 5);
	before = it;
	iov_iter_save_state(&it, &st);
	ck_assert_uint_eq(st.count, 55);
	ck_assert_uint_eq(st.iov_offset, 5);
	ck_assert_uint_eq(st.nr_segs, 3);
	iov_iter_advance(&it, 40);
	iov_iter_restore(&it, &st);
	ck_assert(!memcmp(&it, &before, sizeof(it)));

	iov_iter_kvec(&it, ITER_SOURCE, (struct kvec *)iov, 3, 60);
	before = it;
	iov_iter_save_state(&it, &st);
	iov_iter_advance(&it, 59);
	iov_iter_restore(&it, &st);
	ck_assert(!memcmp(&it, &before, sizeof(it)));

	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 150);
	iov_iter_advance(&it, 20);
	before = it;
	iov_iter_save_state(&it, &st);
	iov_iter_advance(&it, 110);
	ck_assert_ptr_eq(it.bvec, &bv[1]);
	iov_iter_restore(&it, &st);
	ck_assert(!memcmp(&it, &before, sizeof(it)));

	iov_iter_ubuf(&it, ITER_DEST, mem, 100);
	before = it;
	iov_iter_save_state(&it, &st);
	iov_iter_advance(&it, 70);
	iov_iter_restore(&it, &st);
	ck_assert(!memcmp(&it, &before, sizeof(it)));
	ck_assert_no_warnings();
}
END_TEST

/* Restore only for BVEC, IOVEC, UBUF and KVEC: DISCARD and PIPE warn, unchanged (§1.1). */
START_TEST(restore_discard_pipe_warns)
{
	struct iov_iter it;
	struct iov_iter_state st;
	int line;

	iov_iter_discard(&it, READ, 100);
	iov_iter_save_state(&it, &st);
	iov_iter_advance(&it, 60);
	AT_LINE(line, iov_iter_restore(&it, &st));
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(iov_iter_count(&it), 40);
	iov_iter_pipe(&it, ITER_DEST, 1, 100);
	iov_iter_save_state(&it, &st);
	it.count = 3;
	iov_iter_restore(&it, &st);
	ck_assert_uint_eq(iov_iter_count(&it), 3);
	ck_assert_uint_eq(pinit_warn_count(), 2);
}
END_TEST

/* ---- dup_iter (§1.4) ---- */

START_TEST(dup_iter_arrays)
{
	struct iovec iov[] = { { mem, 10 }, { mem + 10, 20 } };
	struct kvec kv[] = { { mem, 10 }, { mem + 10, 20 }, { mem + 30, 1 } };
	struct bio_vec bv[] = { { virt_to_page(mem), 100, 0 } };
	struct iov_iter it, copy;
	const void *arr;

	iov_iter_init(&it, ITER_DEST, iov, 2, 30);
	iov_iter_advance(&it, 3);
	arr = dup_iter(&copy, &it);
	ck_assert_ptr_nonnull(arr);
	ck_assert_ptr_ne(arr, iov);
	ck_assert_ptr_eq(iter_iov(&copy), arr);
	ck_assert(!memcmp(arr, iov, sizeof(iov)));
	ck_assert_uint_eq(copy.iov_offset, 3);
	ck_assert_uint_eq(copy.count, 27);
	ck_assert_uint_eq(copy.nr_segs, 2);
	ck_assert(copy.data_source == it.data_source && copy.iter_type == it.iter_type);
	free((void *)arr);

	iov_iter_kvec(&it, ITER_SOURCE, kv, 3, 31);
	arr = dup_iter(&copy, &it);
	ck_assert(arr && arr != kv && !memcmp(arr, kv, sizeof(kv)));
	ck_assert_ptr_eq(copy.kvec, arr);
	free((void *)arr);

	iov_iter_bvec(&it, ITER_SOURCE, bv, 1, 100);
	arr = dup_iter(&copy, &it);
	ck_assert(arr && arr != bv && !memcmp(arr, bv, sizeof(bv)));
	ck_assert_ptr_eq(copy.bvec, arr);
	free((void *)arr);
}
END_TEST

/*
 * The kernel's ambiguity: dup_iter() returns NULL both for "nothing to
 * duplicate" (UBUF, DISCARD, PIPE) and for an allocation failure.
 * dup_iter_checked() tells the two apart (spec §1.4 "MUST expose these as
 * distinct results").
 */
START_TEST(dup_iter_nothing_vs_enomem)
{
	struct iovec iov[] = { { mem, 10 }, { mem + 10, 20 } };
	struct iov_iter ubuf, iovec, copy, sentinel;
	const void *arr = (void *)1;

	iov_iter_ubuf(&ubuf, ITER_DEST, mem, 10);
	iov_iter_init(&iovec, ITER_DEST, iov, 2, 30);

	/* Nothing to duplicate: NULL from dup_iter(), 0 and a NULL array from _checked. */
	ck_assert_ptr_null(dup_iter(&copy, &ubuf));
	ck_assert(!memcmp(&copy, &ubuf, sizeof(copy)));
	ck_assert_int_eq(dup_iter_checked(&copy, &ubuf, &arr), 0);
	ck_assert_ptr_null(arr);
	iov_iter_discard(&ubuf, READ, 5);
	ck_assert_int_eq(dup_iter_checked(&copy, &ubuf, &arr), 0);
	ck_assert_ptr_null(arr);
	ck_assert(iov_iter_is_discard(&copy));

	/* Out of memory: NULL again from dup_iter() ... */
	pinit_fail_allocs(0, 1);
	ck_assert_ptr_null(dup_iter(&copy, &iovec));
	/* ... but -ENOMEM from dup_iter_checked(), with @new untouched. */
	memset(&copy, 0xa5, sizeof(copy));
	sentinel = copy;
	arr = (void *)1;
	pinit_fail_allocs(0, 1);
	ck_assert_int_eq(dup_iter_checked(&copy, &iovec, &arr), -ENOMEM);
	ck_assert(!memcmp(&copy, &sentinel, sizeof(copy)));
	ck_assert_ptr_eq(arr, (void *)1);

	/* Injection over: the same call succeeds. */
	ck_assert_int_eq(dup_iter_checked(&copy, &iovec, &arr), 0);
	ck_assert_ptr_nonnull(arr);
	free((void *)arr);

	/* An IOVEC with no segments still gets an array (distinct from "nothing"). */
	iov_iter_init(&iovec, ITER_DEST, iov, 0, 0);
	ck_assert_int_eq(dup_iter_checked(&copy, &iovec, &arr), 0);
	ck_assert_ptr_nonnull(arr);
	free((void *)arr);
}
END_TEST

static Suite *position_suite(void)
{
	Suite *s = suite_create("position");
	TCase *tc;

	tc = tcase_create("construct");
	unit_fixture(tc);
	tcase_add_test(tc, construct_every_type);
	tcase_add_test(tc, construct_bad_direction_warns);
	tcase_add_test_raise_signal(tc, discard_write_is_bug, SIGABRT);
	suite_add_tcase(s, tc);

	tc = tcase_create("advance");
	unit_fixture(tc);
	tcase_add_test(tc, advance_ubuf);
	tcase_add_test(tc, advance_iovec_kvec);
	tcase_add_test(tc, advance_bvec);
	tcase_add_test(tc, advance_discard);
	tcase_add_test(tc, advance_pipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("revert");
	unit_fixture(tc);
	tcase_add_test(tc, revert_across_segments_iovec);
	tcase_add_test(tc, revert_across_segments_kvec_bvec);
	tcase_add_test(tc, revert_ubuf_discard_pipe_limits);
	tcase_add_test_raise_signal(tc, revert_past_ubuf_start_is_bug, SIGABRT);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	unit_fixture(tc);
	tcase_add_test(tc, truncate_reexpand);
	tcase_add_test(tc, single_seg_count_types);
	tcase_add_test(tc, save_restore_types);
	tcase_add_test(tc, restore_discard_pipe_warns);
	tcase_add_test(tc, dup_iter_arrays);
	tcase_add_test(tc, dup_iter_nothing_vs_enomem);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(position_suite());
}
