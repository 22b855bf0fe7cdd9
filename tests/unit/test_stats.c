// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's statistics (fs/stats.c), tested alone: what is counted shows
 * in one snapshot, once, and the exit summary and the control socket's bytes
 * by path (docs/control.md "stats") are made from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "unit.h"

/* The exit summary of @s, as the daemon prints it (freed by the caller). */
static char *summary(const struct stats_snapshot *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	stats_print(s, f);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

START_TEST(counted_once)
{
	struct stats_snapshot s;

	stats_count_op(PINFS_OP_READ, 0);
	stats_count_op(PINFS_OP_READ, -EIO);
	stats_count_op(PINFS_OP_WRITE, 0);
	stats_count_bytes(PATH_DIRECT, STATS_READ, 4096);
	stats_count_bytes(PATH_BOUNCED, STATS_READ, 100);
	stats_count_bytes(PATH_VMSPLICED, STATS_READ, 4196);	/* the same bytes' reply */
	stats_count_bytes(PATH_DIRECT, STATS_WRITE, 8192);
	stats_count_bytes(PATH_SPLICED, STATS_WRITE, 7);
	stats_count_event(STATS_PAYLOAD_ALIGNED);
	stats_count_event(STATS_FD_EVICTION);
	stats_count_event(STATS_FD_EVICTION);
	stats_count_batch(3);
	stats_count_batch(1);
	stats_snapshot(&s);
	ck_assert_uint_eq(s.calls[PINFS_OP_READ], 2);
	ck_assert_uint_eq(s.errors[PINFS_OP_READ], 1);
	ck_assert_uint_eq(s.calls[PINFS_OP_WRITE], 1);
	ck_assert_uint_eq(s.errors[PINFS_OP_WRITE], 0);
	ck_assert_uint_eq(s.calls[PINFS_OP_LOOKUP], 0);
	ck_assert_uint_eq(stats_path_bytes(&s, PATH_DIRECT), 4096 + 8192);
	ck_assert_uint_eq(stats_path_bytes(&s, PATH_BOUNCED), 100);
	ck_assert_uint_eq(stats_path_bytes(&s, PATH_BUFFERED), 0);
	ck_assert_uint_eq(stats_path_bytes(&s, PATH_SPLICED), 7);
	ck_assert_uint_eq(stats_path_bytes(&s, PATH_VMSPLICED), 4196);
	ck_assert_uint_eq(s.events[STATS_PAYLOAD_ALIGNED], 1);
	ck_assert_uint_eq(s.events[STATS_PAYLOAD_UNALIGNED], 0);
	ck_assert_uint_eq(s.events[STATS_FD_EVICTION], 2);
	ck_assert_uint_eq(s.batch_submissions, 2);
	ck_assert_uint_eq(s.batch_reads, 4);
}
END_TEST

/* The summary's lines (tests/fs grep them); its bytes are the backing paths', by direction. */
START_TEST(summary_from_the_snapshot)
{
	struct stats_snapshot s;
	char *text;

	stats_count_op(PINFS_OP_GETATTR, 0);
	stats_count_op(PINFS_OP_GETATTR, -ENOENT);
	stats_count_bytes(PATH_BUFFERED, STATS_READ, 1000);
	stats_count_bytes(PATH_DIRECT, STATS_READ, 24);
	stats_count_bytes(PATH_VMSPLICED, STATS_READ, 1024);
	stats_count_bytes(PATH_BOUNCED, STATS_WRITE, 512);
	stats_count_event(STATS_PAYLOAD_UNALIGNED);
	stats_count_event(STATS_CAPS_CACHE_HIT);
	stats_count_event(STATS_HANDLE_REOPEN);
	stats_snapshot(&s);
	text = summary(&s);
	ck_assert_str_eq(text,
			 "pinfs: operation               calls     errors\n"
			 "pinfs: getattr                     2          1\n"
			 "pinfs: bytes read 1024, written 512\n"
			 "pinfs: write payloads page-aligned 0, unaligned 1\n"
			 "pinfs: capability cache hits 1, handle reopens 1, fd evictions 0\n");
	free(text);
}
END_TEST

/*
 * Each engine's requests by direction, and percentiles of their latency; the
 * same one count per READ or WRITE is its operation's call (and error).
 */
START_TEST(engine_latency)
{
	struct stats_snapshot s;

	for (int k = 0; k < 98; k++)
		stats_count_data(STATS_READ, ENGINE_URING, 0, 5000);		/* 5 us */
	stats_count_data(STATS_WRITE, ENGINE_URING, 0, 1000000);		/* 1 ms */
	stats_count_data(STATS_WRITE, ENGINE_URING, -EIO, 100000000);	/* 100 ms */
	stats_snapshot(&s);
	ck_assert_uint_eq(s.calls[PINFS_OP_READ], 98);
	ck_assert_uint_eq(s.errors[PINFS_OP_READ], 0);
	ck_assert_uint_eq(s.calls[PINFS_OP_WRITE], 2);
	ck_assert_uint_eq(s.errors[PINFS_OP_WRITE], 1);
	ck_assert_uint_eq(s.engines[ENGINE_URING].requests[STATS_READ], 98);
	ck_assert_uint_eq(s.engines[ENGINE_URING].requests[STATS_WRITE], 2);
	ck_assert_uint_eq(s.engines[ENGINE_URING].p50_us, 6);	/* exact below 16 us */
	ck_assert_uint_eq(s.engines[ENGINE_URING].p90_us, 6);
	/* within a bucket's width (about 6%) above the true value */
	ck_assert_uint_ge(s.engines[ENGINE_URING].p99_us, 1000);
	ck_assert_uint_le(s.engines[ENGINE_URING].p99_us, 1070);
	ck_assert_uint_ge(s.engines[ENGINE_URING].max_us, 100000);
	ck_assert_uint_le(s.engines[ENGINE_URING].max_us, 107000);
	ck_assert_uint_eq(s.engines[ENGINE_SYNC].requests[STATS_READ], 0);
	ck_assert_uint_eq(s.engines[ENGINE_SYNC].max_us, 0);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	/* each test in a child of its own (CK_FORK): the counters start at zero */
	tcase_add_test(tc, counted_once);
	tcase_add_test(tc, summary_from_the_snapshot);
	tcase_add_test(tc, engine_latency);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(stats_suite());
}
