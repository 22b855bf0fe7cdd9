// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Copies (spec §1.5, direction checks §1.3, M-1, M-2): copy_to_iter,
 * copy_from_iter, their _full forms, copy_page_{to,from}_iter, iov_iter_zero,
 * and the PIPE data movement, for every iterator type.
 *
 * The rules under test: the return value is the number of bytes copied and the
 * iterator advances by exactly that; only user-backed iterators copy short (at
 * the first byte that faults); a copy in the wrong direction returns 0, leaves
 * the iterator alone and counts one warning with the caller's site.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

#define SRC_LEN (3 * PAGE_SIZE)

static char *src;	/* SRC_LEN bytes of fill_pattern(seed 1) */

static void copy_setup(void)
{
	unit_setup();
	src = map_pages(3);
	fill_pattern(src, SRC_LEN, 1);
}

static void copy_teardown(void)
{
	unmap_pages(src, 3);
	unit_teardown();
}

/* The pattern of seed 1 starting at byte @off. */
static bool is_src(const void *p, size_t off, size_t len)
{
	return !memcmp(p, src + off, len);
}

/* ---- UBUF ---- */

START_TEST(ubuf_to_iter)
{
	char dst[200];
	struct iov_iter it;

	memset(dst, 0, sizeof(dst));
	iov_iter_ubuf(&it, ITER_DEST, dst, 100);
	ck_assert_uint_eq(copy_to_iter(src, 60, &it), 60);
	ck_assert_uint_eq(iov_iter_count(&it), 40);
	ck_assert_uint_eq(it.iov_offset, 60);
	/* Clamped to the count: 40, not 100; nothing written past the iterator. */
	ck_assert_uint_eq(copy_to_iter(src + 60, 100, &it), 40);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert(is_src(dst, 0, 100));
	ck_assert(all_bytes(dst + 100, 100, 0));
	ck_assert_uint_eq(copy_to_iter(src, 1, &it), 0);
	ck_assert_no_warnings();
}
END_TEST

START_TEST(ubuf_from_iter)
{
	char dst[100];
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_SOURCE, src + 7, 80);
	ck_assert_uint_eq(copy_from_iter(dst, 30, &it), 30);
	ck_assert_uint_eq(copy_from_iter(dst + 30, 70, &it), 50);
	ck_assert(is_src(dst, 7, 80));
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_no_warnings();
}
END_TEST

/* ---- IOVEC ---- */

START_TEST(iovec_to_iter_segments)
{
	char a[10], c[20], d[30];
	struct iovec iov[] = { { a, 10 }, { NULL, 0 }, { c, 20 }, { d, 30 } };
	struct iov_iter it;

	iov_iter_init(&it, ITER_DEST, iov, 4, 60);
	/* 35 bytes: all of a, the empty segment, all of c, 5 bytes of d. */
	ck_assert_uint_eq(copy_to_iter(src, 35, &it), 35);
	ck_assert(is_src(a, 0, 10));
	ck_assert(is_src(c, 10, 20));
	ck_assert(is_src(d, 30, 5));
	ck_assert_ptr_eq(iter_iov(&it), &iov[3]);
	ck_assert_uint_eq(it.nr_segs, 1);
	ck_assert_uint_eq(it.iov_offset, 5);
	ck_assert_uint_eq(iov_iter_count(&it), 25);
	ck_assert_uint_eq(copy_to_iter(src + 35, 100, &it), 25);
	ck_assert(is_src(d, 30, 30));
	ck_assert_uint_eq(it.nr_segs, 0);
	ck_assert_no_warnings();
}
END_TEST

START_TEST(iovec_from_iter_segments)
{
	char dst[64];
	struct iovec iov[] = { { src, 5 }, { src + 100, 0 }, { src + 5, 27 }, { src + 32, 32 } };
	struct iov_iter it;

	iov_iter_init(&it, ITER_SOURCE, iov, 4, 64);
	ck_assert_uint_eq(copy_from_iter(dst, 6, &it), 6);
	ck_assert_ptr_eq(iter_iov(&it), &iov[2]);
	ck_assert_uint_eq(it.iov_offset, 1);
	ck_assert_uint_eq(copy_from_iter(dst + 6, 58, &it), 58);
	ck_assert(is_src(dst, 0, 64));
	ck_assert_no_warnings();
}
END_TEST

/*
 * Required example: a copy into an iovec whose second page is PROT_NONE
 * returns exactly the bytes before that page, and the iterator advances by
 * exactly that (§1.5: "may stop short at the first faulting byte").
 */
START_TEST(iovec_to_iter_prot_none_second_page)
{
	char head[500];
	char *buf = map_pages(2);
	struct iovec iov[] = { { head, sizeof(head) }, { buf + 1000, PAGE_SIZE } };
	struct iov_iter it;
	size_t want = sizeof(head) + PAGE_SIZE - 1000;

	page_protect(buf + PAGE_SIZE, PROT_NONE);
	iov_iter_init(&it, ITER_DEST, iov, 2, sizeof(head) + PAGE_SIZE);
	ck_assert_uint_eq(copy_to_iter(src, sizeof(head) + PAGE_SIZE, &it), want);
	ck_assert_uint_eq(iov_iter_count(&it), 1000);
	ck_assert_ptr_eq(iter_iov(&it), &iov[1]);
	ck_assert_uint_eq(it.iov_offset, PAGE_SIZE - 1000);
	ck_assert(is_src(head, 0, sizeof(head)));
	ck_assert(is_src(buf + 1000, sizeof(head), PAGE_SIZE - 1000));
	/* Retrying makes no progress and does not crash. */
	ck_assert_uint_eq(copy_to_iter(src, 10, &it), 0);
	ck_assert_uint_eq(iov_iter_count(&it), 1000);
	ck_assert_no_warnings();
	unmap_pages(buf, 2);
}
END_TEST

/* The same for a UBUF, and for a read-only page (a write fault, not an unmapped one). */
START_TEST(ubuf_to_iter_readonly_page)
{
	char *buf = map_pages(3);
	struct iov_iter it;

	page_protect(buf + 2 * PAGE_SIZE, PROT_READ);
	iov_iter_ubuf(&it, ITER_DEST, buf + 10, 3 * PAGE_SIZE - 10);
	ck_assert_uint_eq(copy_to_iter(src, SRC_LEN - 10, &it), 2 * PAGE_SIZE - 10);
	ck_assert_uint_eq(it.iov_offset, 2 * PAGE_SIZE - 10);
	ck_assert(is_src(buf + 10, 0, 2 * PAGE_SIZE - 10));
	ck_assert(all_bytes(buf + 2 * PAGE_SIZE, PAGE_SIZE, 0));
	ck_assert_no_warnings();
	unmap_pages(buf, 3);
}
END_TEST

/* Reading out of an iovec with a hole (munmap'ed page) stops at the hole. */
START_TEST(iovec_from_iter_hole)
{
	char *buf = map_pages(3);
	char dst[3 * PAGE_SIZE];
	struct iovec iov[] = { { buf + 4000, 3 * PAGE_SIZE - 4000 } };
	struct iov_iter it;

	fill_pattern(buf, 3 * PAGE_SIZE, 5);
	page_hole(buf + PAGE_SIZE);
	iov_iter_init(&it, ITER_SOURCE, iov, 1, iov[0].iov_len);
	ck_assert_uint_eq(copy_from_iter(dst, sizeof(dst), &it), PAGE_SIZE - 4000);
	ck_assert_uint_eq(iov_iter_count(&it), 2 * PAGE_SIZE);
	ck_assert_uint_eq(it.iov_offset, PAGE_SIZE - 4000);
	ck_assert(!memcmp(dst, buf + 4000, PAGE_SIZE - 4000));
	unmap_pages(buf, 3);
}
END_TEST

/* A SIGBUS (a file mapping past EOF) is a fault like any other: a short copy. */
START_TEST(ubuf_from_iter_sigbus)
{
	int fd = memfd_create("pinit-sigbus", 0);
	char dst[2 * PAGE_SIZE];
	struct iov_iter it;
	char *map;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, PAGE_SIZE), 0);
	map = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	memset(map, 'x', PAGE_SIZE);
	iov_iter_ubuf(&it, ITER_SOURCE, map + 100, 2 * PAGE_SIZE - 100);
	ck_assert_uint_eq(copy_from_iter(dst, sizeof(dst), &it), PAGE_SIZE - 100);
	ck_assert(all_bytes(dst, PAGE_SIZE - 100, 'x'));
	munmap(map, 2 * PAGE_SIZE);
	close(fd);
}
END_TEST

/* ---- KVEC ---- */

START_TEST(kvec_copies)
{
	char a[100], b[300];
	struct kvec kv[] = { { a, sizeof(a) }, { b, sizeof(b) } };
	char back[400];
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_DEST, kv, 2, 400);
	ck_assert_uint_eq(copy_to_iter(src, 150, &it), 150);
	ck_assert_uint_eq(it.nr_segs, 1);
	ck_assert_uint_eq(it.iov_offset, 50);
	ck_assert_uint_eq(copy_to_iter(src + 150, 1000, &it), 250);
	ck_assert(is_src(a, 0, 100));
	ck_assert(is_src(b, 100, 300));

	iov_iter_kvec(&it, ITER_SOURCE, kv, 2, 400);
	ck_assert_uint_eq(copy_from_iter(back, 400, &it), 400);
	ck_assert(is_src(back, 0, 400));
	ck_assert_no_warnings();
}
END_TEST

/* ---- BVEC ---- */

/* Over arena pages: a partial first page, a multi-page segment, a partial last page. */
START_TEST(bvec_arena_copies)
{
	struct arena *a = arena_create(8, 0);
	struct page *p;
	struct bio_vec bv[3];
	char back[SRC_LEN];
	struct iov_iter it;
	size_t total;

	ck_assert_ptr_nonnull(a);
	p = arena_alloc(a, 5);
	ck_assert_ptr_nonnull(p);
	bv[0] = (struct bio_vec){ &p[0], PAGE_SIZE - 100, 100 };
	bv[1] = (struct bio_vec){ &p[1], 2 * PAGE_SIZE, 0 };
	bv[2] = (struct bio_vec){ &p[3], 50, 10 };
	total = PAGE_SIZE - 100 + 2 * PAGE_SIZE + 50;
	ck_assert_uint_le(total, SRC_LEN);

	iov_iter_bvec(&it, ITER_DEST, bv, 3, total);
	ck_assert_uint_eq(copy_to_iter(src, PAGE_SIZE, &it), PAGE_SIZE);
	ck_assert_ptr_eq(it.bvec, &bv[1]);
	ck_assert_uint_eq(it.iov_offset, 100);
	ck_assert_uint_eq(copy_to_iter(src + PAGE_SIZE, SRC_LEN, &it), total - PAGE_SIZE);
	ck_assert_uint_eq(it.nr_segs, 0);
	ck_assert(is_src((char *)page_address(&p[0]) + 100, 0, PAGE_SIZE - 100));
	ck_assert(is_src(page_address(&p[1]), PAGE_SIZE - 100, 2 * PAGE_SIZE));
	ck_assert(is_src((char *)page_address(&p[3]) + 10, 3 * PAGE_SIZE - 100, 50));

	iov_iter_bvec(&it, ITER_SOURCE, bv, 3, total);
	ck_assert_uint_eq(copy_from_iter(back, SRC_LEN, &it), total);
	ck_assert(is_src(back, 0, total));
	ck_assert_no_warnings();
	arena_free(a, p, 5);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/* Over plain memory, with bv_offset beyond the first page ("may exceed PAGE_SIZE"). */
START_TEST(bvec_plain_memory)
{
	char *buf = map_pages(3);
	struct bio_vec bv = { virt_to_page(buf), 1000, PAGE_SIZE + 3000 };
	struct iov_iter it;

	iov_iter_bvec(&it, ITER_DEST, &bv, 1, 1000);
	ck_assert_uint_eq(copy_to_iter(src, 1000, &it), 1000);
	ck_assert(is_src(buf + PAGE_SIZE + 3000, 0, 1000));
	ck_assert(all_bytes(buf, PAGE_SIZE + 3000, 0));
	ck_assert_no_warnings();
	unmap_pages(buf, 3);
}
END_TEST

/*
 * Per-page bvecs over contiguous arena pages are copied as one run (a model
 * speed-up, lib/iov_iter.c bvec_run()); the bytes and the iterator state must be
 * exactly those of copying bvec by bvec, also where the run breaks (pages out of
 * order) and over zero-length bvecs, contiguous or not.
 */
START_TEST(bvec_contiguous_runs)
{
	struct arena *a = arena_create(6, 0);
	struct page *p = arena_alloc(a, 6);
	char *zero = map_pages(1);
	struct bio_vec bv[] = {
		{ virt_to_page(zero), 0, 0 },	/* empty, elsewhere */
		{ &p[0], PAGE_SIZE, 0 },
		{ &p[1], 0, 0 },		/* empty, contiguous */
		{ &p[1], PAGE_SIZE, 0 },
		{ &p[3], PAGE_SIZE, 0 },	/* out of order: the run breaks here */
		{ &p[2], PAGE_SIZE, 0 },
		{ virt_to_page(zero), 0, 10 },	/* empty, elsewhere */
		{ &p[4], 2 * PAGE_SIZE, 0 },
	};
	size_t total = 6 * PAGE_SIZE;
	char *back = malloc(total);
	struct iov_iter it;

	iov_iter_bvec(&it, ITER_DEST, bv, ARRAY_SIZE(bv), total);
	ck_assert_uint_eq(copy_to_iter(src, 3 * PAGE_SIZE / 2, &it), 3 * PAGE_SIZE / 2);
	ck_assert_ptr_eq(it.bvec, &bv[3]);
	ck_assert_uint_eq(it.iov_offset, PAGE_SIZE / 2);
	ck_assert_uint_eq(it.nr_segs, ARRAY_SIZE(bv) - 3);
	/* Up to exactly the end of bv[3]: the iterator moves to bv[4]. */
	ck_assert_uint_eq(copy_to_iter(src + 3 * PAGE_SIZE / 2, PAGE_SIZE / 2, &it), PAGE_SIZE / 2);
	ck_assert_ptr_eq(it.bvec, &bv[4]);
	ck_assert_uint_eq(it.iov_offset, 0);
	ck_assert_uint_eq(copy_to_iter(src + 2 * PAGE_SIZE, PAGE_SIZE, &it), PAGE_SIZE);
	ck_assert_ptr_eq(it.bvec, &bv[5]);
	/* Exactly to the end of bv[5]: stops before the empty bv[6], as bvec by bvec would. */
	ck_assert_uint_eq(copy_to_iter(src, PAGE_SIZE, &it), PAGE_SIZE);
	ck_assert_ptr_eq(it.bvec, &bv[6]);
	ck_assert_uint_eq(it.nr_segs, 2);
	ck_assert_uint_eq(iov_iter_zero(SIZE_MAX, &it), 2 * PAGE_SIZE);
	ck_assert_uint_eq(it.nr_segs, 0);
	ck_assert(is_src(page_address(&p[0]), 0, 2 * PAGE_SIZE));
	ck_assert(is_src(page_address(&p[3]), 2 * PAGE_SIZE, PAGE_SIZE));
	ck_assert(is_src(page_address(&p[2]), 0, PAGE_SIZE));
	ck_assert(all_bytes(page_address(&p[4]), 2 * PAGE_SIZE, 0));

	iov_iter_bvec(&it, ITER_SOURCE, bv, ARRAY_SIZE(bv), total);
	ck_assert_uint_eq(copy_from_iter(back, total, &it), total);
	ck_assert(is_src(back, 0, 2 * PAGE_SIZE));
	ck_assert(is_src(back + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PAGE_SIZE));
	ck_assert(is_src(back + 3 * PAGE_SIZE, 0, PAGE_SIZE));
	ck_assert_no_warnings();
	free(back);
	unmap_pages(zero, 1);
	arena_free(a, p, 6);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/* ---- DISCARD ---- */

START_TEST(discard_consumes)
{
	struct iov_iter it;
	int line;

	iov_iter_discard(&it, READ, 100);
	ck_assert_uint_eq(copy_to_iter(src, 60, &it), 60);
	ck_assert_uint_eq(copy_to_iter(src, 60, &it), 40);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_no_warnings();
	/* A DISCARD is always a destination: reading from it is the wrong direction. */
	iov_iter_discard(&it, READ, 100);
	ck_assert_uint_eq(AT_LINE(line, copy_from_iter(src, 10, &it)), 0);
	ck_assert_uint_eq(pinit_warn_count(), 1);
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
}
END_TEST

/* ---- PIPE ---- */

START_TEST(pipe_to_iter)
{
	int fds[2];
	char back[200];
	struct iov_iter it;

	ck_assert_int_eq(pipe(fds), 0);
	iov_iter_pipe(&it, ITER_DEST, fds[1], 100);
	ck_assert_uint_eq(copy_to_iter(src, 60, &it), 60);
	ck_assert_uint_eq(copy_to_iter(src + 60, 60, &it), 40);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_int_eq(read(fds[0], back, sizeof(back)), 100);
	ck_assert(is_src(back, 0, 100));
	ck_assert_no_warnings();
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(pipe_from_iter)
{
	int fds[2];
	char back[200];
	struct iov_iter it;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], src, 150), 150);
	iov_iter_pipe(&it, ITER_SOURCE, fds[0], 150);
	ck_assert_uint_eq(copy_from_iter(back, 50, &it), 50);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	/* EOF after the writer closes: a short copy, counted exactly. */
	close(fds[1]);
	iov_iter_pipe(&it, ITER_SOURCE, fds[0], 150);
	ck_assert_uint_eq(copy_from_iter(back + 50, 150, &it), 100);
	ck_assert_uint_eq(iov_iter_count(&it), 50);
	ck_assert(is_src(back, 0, 150));
	close(fds[0]);
}
END_TEST

/* A write(2) error on the pipe stops the copy (header: "a write(2) error also stops"). */
START_TEST(pipe_to_iter_broken)
{
	int fds[2];
	struct iov_iter it;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	iov_iter_pipe(&it, ITER_DEST, fds[1], 100);
	ck_assert_uint_eq(copy_to_iter(src, 100, &it), 0);
	ck_assert_uint_eq(iov_iter_count(&it), 100);
	close(fds[1]);
}
END_TEST

START_TEST(pipe_splice)
{
	int fds[2], file = memfd_create("pinit-splice", 0), out = memfd_create("pinit-out", 0);
	char back[300];
	loff_t off = 0;
	struct iov_iter it;
	int line;

	ck_assert_int_ge(file, 0);
	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(pwrite(file, src, 300, 0), 300);

	/* DEST pipe: file -> pipe, without copying; the count drops by what moved. */
	iov_iter_pipe(&it, ITER_DEST, fds[1], 200);
	ck_assert_int_eq(iov_iter_splice_in(&it, file, &off, 1000, 0), 200);
	ck_assert_int_eq(off, 200);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_int_eq(iov_iter_splice_in(&it, file, &off, 1000, 0), 0);

	/* SOURCE pipe: pipe -> file. */
	iov_iter_pipe(&it, ITER_SOURCE, fds[0], 200);
	ck_assert_int_eq(iov_iter_splice_out(&it, out, NULL, 150, 0), 150);
	ck_assert_uint_eq(iov_iter_count(&it), 50);
	ck_assert_int_eq(pread(out, back, sizeof(back), 0), 150);
	ck_assert(is_src(back, 0, 150));
	ck_assert_no_warnings();

	/* A splice error comes back as -errno, the count untouched. */
	ck_assert_int_eq(iov_iter_splice_out(&it, -1, NULL, 10, 0), -EBADF);
	ck_assert_uint_eq(iov_iter_count(&it), 50);

	/* Wrong type or direction: warned, -EINVAL. */
	ck_assert_int_eq(AT_LINE(line, iov_iter_splice_in(&it, file, NULL, 10, 0)), -EINVAL);
	assert_warned_at(__FILE__, line);
	iov_iter_pipe(&it, ITER_DEST, fds[1], 10);
	ck_assert_int_eq(iov_iter_splice_out(&it, out, NULL, 10, 0), -EINVAL);
	iov_iter_ubuf(&it, ITER_DEST, back, 10);
	ck_assert_int_eq(iov_iter_splice_in(&it, file, NULL, 10, 0), -EINVAL);
	ck_assert_uint_eq(pinit_warn_count(), 3);
	close(fds[0]);
	close(fds[1]);
	close(file);
	close(out);
}
END_TEST

/* ---- direction (§1.3, M-2) ---- */

/*
 * Required example: a wrong-direction copy gives 0 and exactly one warning
 * with the caller's site, for every iterator type, and the iterator is untouched.
 */
START_TEST(wrong_direction_every_type)
{
	char buf[64] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	struct kvec kv = { buf, sizeof(buf) };
	struct bio_vec bv = { virt_to_page(buf), sizeof(buf), (uintptr_t)buf % PAGE_SIZE };
	int fds[2];
	struct iov_iter src_it[5], dst_it[6], before;

	ck_assert_int_eq(pipe(fds), 0);
	iov_iter_ubuf(&src_it[0], ITER_SOURCE, buf, sizeof(buf));
	iov_iter_init(&src_it[1], ITER_SOURCE, &iov, 1, sizeof(buf));
	iov_iter_kvec(&src_it[2], ITER_SOURCE, &kv, 1, sizeof(buf));
	iov_iter_bvec(&src_it[3], ITER_SOURCE, &bv, 1, sizeof(buf));
	iov_iter_pipe(&src_it[4], ITER_SOURCE, fds[0], sizeof(buf));
	iov_iter_ubuf(&dst_it[0], ITER_DEST, buf, sizeof(buf));
	iov_iter_init(&dst_it[1], ITER_DEST, &iov, 1, sizeof(buf));
	iov_iter_kvec(&dst_it[2], ITER_DEST, &kv, 1, sizeof(buf));
	iov_iter_bvec(&dst_it[3], ITER_DEST, &bv, 1, sizeof(buf));
	iov_iter_pipe(&dst_it[4], ITER_DEST, fds[1], sizeof(buf));
	iov_iter_discard(&dst_it[5], READ, sizeof(buf));

	for (unsigned int k = 0; k < ARRAY_SIZE(src_it); k++) {
		int line;

		pinit_warn_reset();
		before = src_it[k];
		ck_assert_uint_eq(AT_LINE(line, copy_to_iter(src, 10, &src_it[k])), 0);
		ck_assert_uint_eq(pinit_warn_count(), 1);
		assert_warned_at(__FILE__, line);
		ck_assert(!memcmp(&before, &src_it[k], sizeof(before)));
		ck_assert(!copy_to_iter_full(src, 10, &src_it[k]));
		ck_assert_uint_eq(pinit_warn_count(), 2);
	}
	for (unsigned int k = 0; k < ARRAY_SIZE(dst_it); k++) {
		char out[10];
		int line;

		pinit_warn_reset();
		before = dst_it[k];
		ck_assert_uint_eq(AT_LINE(line, copy_from_iter(out, 10, &dst_it[k])), 0);
		ck_assert_uint_eq(pinit_warn_count(), 1);
		assert_warned_at(__FILE__, line);
		ck_assert(!memcmp(&before, &dst_it[k], sizeof(before)));
		ck_assert(!copy_from_iter_full(out, 10, &dst_it[k]));
		ck_assert_uint_eq(pinit_warn_count(), 2);
	}
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* check_copy_size(): more than INT_MAX bytes is refused with a warning (§1.5). */
START_TEST(copy_size_over_int_max)
{
	char buf[16];
	struct kvec kv = { buf, sizeof(buf) };
	struct iov_iter it;
	int line;

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, sizeof(buf));
	ck_assert_uint_eq(AT_LINE(line, copy_to_iter(src, (size_t)INT_MAX + 1, &it)), 0);
	assert_warned_at(__FILE__, line);
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, sizeof(buf));
	ck_assert_uint_eq(copy_from_iter(buf, (size_t)INT_MAX + 1, &it), 0);
	ck_assert_uint_eq(pinit_warn_count(), 2);
	ck_assert_uint_eq(iov_iter_count(&it), sizeof(buf));
}
END_TEST

/* ---- _full forms ---- */

START_TEST(full_forms_revert_on_short)
{
	char *buf = map_pages(2);
	char a[100], out[2 * PAGE_SIZE];
	struct iovec iov[] = { { a, sizeof(a) }, { buf + 10, 2 * PAGE_SIZE - 10 } };
	struct iov_iter it, before;

	page_protect(buf + PAGE_SIZE, PROT_NONE);
	iov_iter_init(&it, ITER_DEST, iov, 2, sizeof(a) + 2 * PAGE_SIZE - 10);
	ck_assert_uint_eq(copy_to_iter(src, 20, &it), 20);
	before = it;
	/* Short (the PROT_NONE page): all of it is reverted, across the segment boundary. */
	ck_assert(!copy_to_iter_full(src, 2 * PAGE_SIZE, &it));
	ck_assert(!memcmp(&before, &it, sizeof(it)));
	/* What fits is copied in full. */
	ck_assert(copy_to_iter_full(src, 80 + PAGE_SIZE - 10, &it));
	ck_assert_uint_eq(iov_iter_count(&it), PAGE_SIZE);

	/* Short because the count is smaller than asked: reverted too. */
	iov_iter_init(&it, ITER_SOURCE, iov, 1, sizeof(a));
	before = it;
	ck_assert(!copy_from_iter_full(out, sizeof(a) + 1, &it));
	ck_assert(!memcmp(&before, &it, sizeof(it)));
	ck_assert(copy_from_iter_full(out, sizeof(a), &it));
	ck_assert_no_warnings();
	unmap_pages(buf, 2);
}
END_TEST

START_TEST(full_forms_kvec_bvec)
{
	char buf[300] = { 0 }, out[300];
	struct kvec kv[] = { { buf, 100 }, { buf + 100, 200 } };
	struct bio_vec bv[] = {
		{ virt_to_page(buf), 100, (uintptr_t)buf % PAGE_SIZE },
		{ virt_to_page(buf + 100), 200, (uintptr_t)(buf + 100) % PAGE_SIZE },
	};
	struct iov_iter it, before;

	iov_iter_kvec(&it, ITER_DEST, kv, 2, 300);
	ck_assert(copy_to_iter_full(src, 150, &it));
	before = it;
	ck_assert(!copy_to_iter_full(src, 151, &it));
	ck_assert(!memcmp(&before, &it, sizeof(it)));
	ck_assert(copy_to_iter_full(src + 150, 150, &it));
	ck_assert(is_src(buf, 0, 300));

	iov_iter_bvec(&it, ITER_SOURCE, bv, 2, 300);
	ck_assert(copy_from_iter_full(out, 120, &it));
	ck_assert(is_src(out, 0, 120));
	before = it;
	ck_assert(!copy_from_iter_full(out, 181, &it));
	ck_assert(!memcmp(&before, &it, sizeof(it)));
	ck_assert_ptr_eq(it.bvec, &bv[1]);
	ck_assert_uint_eq(it.iov_offset, 20);
	ck_assert_no_warnings();
}
END_TEST

/* ---- page copies ---- */

START_TEST(page_copies)
{
	char *buf = map_pages(2);
	struct page *page = virt_to_page(buf);
	char out[PAGE_SIZE];
	struct iov_iter it;

	memcpy(buf, src, PAGE_SIZE);
	iov_iter_ubuf(&it, ITER_DEST, out, sizeof(out));
	ck_assert_uint_eq(copy_page_to_iter(page, 100, PAGE_SIZE - 100, &it), PAGE_SIZE - 100);
	ck_assert(is_src(out, 100, PAGE_SIZE - 100));
	ck_assert_uint_eq(iov_iter_count(&it), 100);

	fill_pattern(out, sizeof(out), 9);
	iov_iter_ubuf(&it, ITER_SOURCE, out, sizeof(out));
	ck_assert_uint_eq(copy_page_from_iter(page, 0, PAGE_SIZE, &it), PAGE_SIZE);
	ck_assert(check_pattern(buf, PAGE_SIZE, 9));
	ck_assert_no_warnings();
	unmap_pages(buf, 2);
}
END_TEST

/* page_copy_sane(): offset + bytes beyond the page (or wrapping) is warned and gets 0. */
START_TEST(page_copy_not_sane)
{
	char *buf = map_pages(2);
	struct page *page = virt_to_page(buf);
	char out[2 * PAGE_SIZE];
	struct iov_iter it;
	int line;

	iov_iter_ubuf(&it, ITER_DEST, out, sizeof(out));
	ck_assert_uint_eq(AT_LINE(line, copy_page_to_iter(page, 1, PAGE_SIZE, &it)), 0);
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(copy_page_to_iter(page, SIZE_MAX, 2, &it), 0);
	ck_assert_uint_eq(iov_iter_count(&it), sizeof(out));
	iov_iter_ubuf(&it, ITER_SOURCE, out, sizeof(out));
	ck_assert_uint_eq(AT_LINE(line, copy_page_from_iter(page, PAGE_SIZE, 1, &it)), 0);
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(pinit_warn_count(), 3);
	/* page_set_large() on a page outside an arena gives it no folio to extend into. */
	page_set_large(page, true);
	ck_assert_uint_eq(copy_page_from_iter(page, 0, PAGE_SIZE + 1, &it), 0);
	ck_assert_uint_eq(pinit_warn_count(), 4);
	ck_assert_uint_eq(iov_iter_count(&it), sizeof(out));
	unmap_pages(buf, 2);
}
END_TEST

/* A large (ARENA_LARGE) page may be copied across page boundaries, within its folio. */
START_TEST(page_copy_large_folio)
{
	struct arena *a = arena_create(4, ARENA_LARGE), *small = arena_create(4, 0);
	char out[3 * PAGE_SIZE];
	struct iov_iter it;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(small);
	memcpy(arena_base(a), src, SRC_LEN);
	iov_iter_ubuf(&it, ITER_DEST, out, sizeof(out));
	ck_assert_uint_eq(copy_page_to_iter(arena_page(a, arena_base(a)), 10, 2 * PAGE_SIZE, &it),
			  2 * PAGE_SIZE);
	ck_assert(is_src(out, 10, 2 * PAGE_SIZE));
	ck_assert_no_warnings();
	/* Past the end of the folio (the arena): refused. */
	ck_assert_uint_eq(copy_page_to_iter(arena_page(a, (char *)arena_base(a) + 3 * PAGE_SIZE),
					    0, PAGE_SIZE + 1, &it),
			  0);
	ck_assert_uint_eq(pinit_warn_count(), 1);
	/* A small arena page may not. */
	ck_assert_uint_eq(copy_page_to_iter(arena_page(small, arena_base(small)), 0,
					    PAGE_SIZE + 1, &it),
			  0);
	ck_assert_uint_eq(pinit_warn_count(), 2);
	ck_assert_int_eq(arena_destroy(a), 0);
	ck_assert_int_eq(arena_destroy(small), 0);
}
END_TEST

START_TEST(page_copy_wrong_direction)
{
	char *buf = map_pages(1);
	struct page *page = virt_to_page(buf);
	char out[100];
	struct iov_iter it;
	int line;

	iov_iter_ubuf(&it, ITER_SOURCE, out, sizeof(out));
	ck_assert_uint_eq(AT_LINE(line, copy_page_to_iter(page, 0, 10, &it)), 0);
	ck_assert_uint_eq(pinit_warn_count(), 1);
	assert_warned_at(__FILE__, line);
	/* copy_page_from_iter has no check of its own; it inherits copy_from_iter's (§1.3). */
	iov_iter_ubuf(&it, ITER_DEST, out, sizeof(out));
	ck_assert_uint_eq(AT_LINE(line, copy_page_from_iter(page, 0, 10, &it)), 0);
	ck_assert_uint_eq(pinit_warn_count(), 2);
	assert_warned_at(__FILE__, line);
	unmap_pages(buf, 1);
}
END_TEST

/* ---- iov_iter_zero ---- */

START_TEST(zero_user_short)
{
	char *buf = map_pages(2);
	struct iov_iter it;

	memset(buf, 'x', PAGE_SIZE);
	page_protect(buf + PAGE_SIZE, PROT_NONE);
	iov_iter_ubuf(&it, ITER_DEST, buf + 96, 2 * PAGE_SIZE - 96);
	ck_assert_uint_eq(iov_iter_zero(2 * PAGE_SIZE, &it), PAGE_SIZE - 96);
	ck_assert(all_bytes(buf, 96, 'x'));
	ck_assert(all_bytes(buf + 96, PAGE_SIZE - 96, 0));
	ck_assert_uint_eq(iov_iter_count(&it), PAGE_SIZE);
	ck_assert_no_warnings();
	unmap_pages(buf, 2);
}
END_TEST

/* No direction check (§1.3): zeroing a SOURCE iterator works and warns nothing. */
START_TEST(zero_source_iterators)
{
	char buf[300] = { 0 };
	struct iovec iov[] = { { buf, 100 }, { buf + 100, 50 } };
	struct kvec kv = { buf + 150, 50 };
	struct bio_vec bv = { virt_to_page(buf + 200), 100, (uintptr_t)(buf + 200) % PAGE_SIZE };
	struct iov_iter it;

	memset(buf, 'x', sizeof(buf));
	iov_iter_init(&it, ITER_SOURCE, iov, 2, 150);
	ck_assert_uint_eq(iov_iter_zero(120, &it), 120);
	ck_assert(all_bytes(buf, 120, 0));
	ck_assert(all_bytes(buf + 120, 180, 'x'));
	ck_assert_uint_eq(iov_iter_zero(1000, &it), 30);
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, 50);
	ck_assert_uint_eq(iov_iter_zero(50, &it), 50);
	iov_iter_bvec(&it, ITER_SOURCE, &bv, 1, 100);
	ck_assert_uint_eq(iov_iter_zero(100, &it), 100);
	ck_assert(all_bytes(buf, sizeof(buf), 0));
	iov_iter_ubuf(&it, ITER_SOURCE, buf, 10);
	ck_assert_uint_eq(iov_iter_zero(10, &it), 10);
	iov_iter_discard(&it, READ, 70);
	ck_assert_uint_eq(iov_iter_zero(100, &it), 70);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	ck_assert_no_warnings();
}
END_TEST

/* A DEST pipe receives zeroes (more than one PAGE_SIZE chunk). */
START_TEST(zero_pipe)
{
	int fds[2];
	size_t len = 2 * PAGE_SIZE + 100, got = 0;
	char *back = malloc(len + 1);
	struct iov_iter it;

	ck_assert_int_eq(pipe(fds), 0);
	iov_iter_pipe(&it, ITER_DEST, fds[1], len);
	ck_assert_uint_eq(iov_iter_zero(len + 50, &it), len);
	ck_assert_uint_eq(iov_iter_count(&it), 0);
	while (got < len) {
		ssize_t n = read(fds[0], back + got, len + 1 - got);

		ck_assert_int_gt(n, 0);
		got += n;
	}
	ck_assert_uint_eq(got, len);
	ck_assert(all_bytes(back, len, 0));
	ck_assert_no_warnings();
	/*
	 * Model-only: a SOURCE pipe holds a payload to be read; zeroing it is
	 * refused with a warning (the kernel's ITER_PIPE was never a source).
	 */
	iov_iter_pipe(&it, ITER_SOURCE, fds[0], 10);
	ck_assert_uint_eq(iov_iter_zero(10, &it), 0);
	ck_assert_uint_eq(pinit_warn_count(), 1);
	/* A broken pipe stops the zeroing early. */
	signal(SIGPIPE, SIG_IGN);
	close(fds[0]);
	iov_iter_pipe(&it, ITER_DEST, fds[1], len);
	ck_assert_uint_eq(iov_iter_zero(len, &it), 0);
	close(fds[1]);
	free(back);
}
END_TEST

/*
 * Model check: random chunked copies through IOVEC, KVEC and BVEC iterators of
 * random segment lengths (zero-length ones included) move exactly the bytes a
 * flat buffer would, for both directions.
 */
START_TEST(random_chunks_match_flat)
{
	enum { NSEG = 24 };
	char *flat = map_pages(3);
	char back[SRC_LEN];
	struct iovec iov[NSEG];
	struct kvec kv[NSEG];
	struct bio_vec bv[NSEG];
	unsigned int seed = 12345 + _i;
	size_t total = 0;

	for (int k = 0; k < NSEG; k++) {
		size_t len = rand_r(&seed) % 3 ? rand_r(&seed) % 400 : 0;

		if (total + len > SRC_LEN)
			len = 0;
		iov[k] = (struct iovec){ flat + total, len };
		kv[k] = (struct kvec){ flat + total, len };
		bv[k] = (struct bio_vec){ virt_to_page(flat), len, total };
		total += len;
	}
	for (int type = 0; type < 3; type++) {
		struct iov_iter it;
		size_t done = 0;

		memset(flat, 0, SRC_LEN);
		if (type == 0)
			iov_iter_init(&it, ITER_DEST, iov, NSEG, total);
		else if (type == 1)
			iov_iter_kvec(&it, ITER_DEST, kv, NSEG, total);
		else
			iov_iter_bvec(&it, ITER_DEST, bv, NSEG, total);
		while (done < total) {
			size_t chunk = rand_r(&seed) % 700;

			ck_assert_uint_eq(copy_to_iter(src + done, chunk, &it),
					  chunk < total - done ? chunk : total - done);
			done += chunk < total - done ? chunk : total - done;
			ck_assert_uint_eq(iov_iter_count(&it), total - done);
		}
		ck_assert(is_src(flat, 0, total));

		if (type == 0)
			iov_iter_init(&it, ITER_SOURCE, iov, NSEG, total);
		else if (type == 1)
			iov_iter_kvec(&it, ITER_SOURCE, kv, NSEG, total);
		else
			iov_iter_bvec(&it, ITER_SOURCE, bv, NSEG, total);
		for (done = 0; done < total;) {
			size_t chunk = 1 + rand_r(&seed) % 500;

			done += copy_from_iter(back + done, chunk, &it);
		}
		ck_assert(is_src(back, 0, total));
	}
	ck_assert_no_warnings();
	unmap_pages(flat, 3);
}
END_TEST

static Suite *copy_suite(void)
{
	Suite *s = suite_create("copy");
	TCase *tc;

	tc = tcase_create("types");
	tcase_add_checked_fixture(tc, copy_setup, copy_teardown);
	tcase_add_test(tc, ubuf_to_iter);
	tcase_add_test(tc, ubuf_from_iter);
	tcase_add_test(tc, iovec_to_iter_segments);
	tcase_add_test(tc, iovec_from_iter_segments);
	tcase_add_test(tc, kvec_copies);
	tcase_add_test(tc, bvec_arena_copies);
	tcase_add_test(tc, bvec_plain_memory);
	tcase_add_test(tc, bvec_contiguous_runs);
	tcase_add_test(tc, discard_consumes);
	tcase_add_test(tc, pipe_to_iter);
	tcase_add_test(tc, pipe_from_iter);
	tcase_add_test(tc, pipe_to_iter_broken);
	tcase_add_test(tc, pipe_splice);
	tcase_add_loop_test(tc, random_chunks_match_flat, 0, 8);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, copy_setup, copy_teardown);
	tcase_add_test(tc, iovec_to_iter_prot_none_second_page);
	tcase_add_test(tc, ubuf_to_iter_readonly_page);
	tcase_add_test(tc, iovec_from_iter_hole);
	tcase_add_test(tc, ubuf_from_iter_sigbus);
	tcase_add_test(tc, full_forms_revert_on_short);
	tcase_add_test(tc, full_forms_kvec_bvec);
	suite_add_tcase(s, tc);

	tc = tcase_create("direction");
	tcase_add_checked_fixture(tc, copy_setup, copy_teardown);
	tcase_add_test(tc, wrong_direction_every_type);
	tcase_add_test(tc, copy_size_over_int_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("page_and_zero");
	tcase_add_checked_fixture(tc, copy_setup, copy_teardown);
	tcase_add_test(tc, page_copies);
	tcase_add_test(tc, page_copy_not_sane);
	tcase_add_test(tc, page_copy_large_folio);
	tcase_add_test(tc, page_copy_wrong_direction);
	tcase_add_test(tc, zero_user_short);
	tcase_add_test(tc, zero_source_iterators);
	tcase_add_test(tc, zero_pipe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(copy_suite());
}
