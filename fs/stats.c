// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Daemon statistics. Latencies go into a log-linear histogram: 16 linear
 * sub-buckets per power of two of microseconds, so any percentile is reported
 * within about 6% of the true value.
 */
#include <stdatomic.h>
#include <time.h>

#include "stats.h"

#define SUB_BITS 4
#define SUB_BUCKETS (1U << SUB_BITS)
#define GROUPS 40
#define BUCKETS (GROUPS * SUB_BUCKETS)

struct engine_stats {
	atomic_uint_fast64_t requests[2];	/* [write] */
	atomic_uint_fast64_t latency[BUCKETS];
};

static atomic_uint_fast64_t path_bytes[PATH_NR];
static struct engine_stats engines[ENGINE_NR];

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void stats_add_bytes(enum stats_path path, uint64_t bytes)
{
	atomic_fetch_add_explicit(&path_bytes[path], bytes, memory_order_relaxed);
}

uint64_t stats_bytes(enum stats_path path)
{
	return atomic_load_explicit(&path_bytes[path], memory_order_relaxed);
}

/* Bucket of a latency in microseconds: exact below SUB_BUCKETS, log-linear above. */
static unsigned int bucket_of(uint64_t us)
{
	unsigned int group, shift;

	if (us < SUB_BUCKETS)
		return us;
	shift = 63 - __builtin_clzll(us) - SUB_BITS;	/* us >> shift is in [16, 32) */
	group = shift + 1;
	if (group >= GROUPS)
		return BUCKETS - 1;
	return group * SUB_BUCKETS + (unsigned int)((us >> shift) - SUB_BUCKETS);
}

/* The smallest latency (in microseconds) that falls into the bucket after @b. */
static uint64_t bucket_upper(unsigned int b)
{
	unsigned int group = b / SUB_BUCKETS, sub = b % SUB_BUCKETS;

	if (!group)
		return sub + 1;
	return (uint64_t)(SUB_BUCKETS + sub + 1) << (group - 1);
}

void stats_request(enum stats_engine engine, bool write, uint64_t ns)
{
	struct engine_stats *e = &engines[engine];

	atomic_fetch_add_explicit(&e->requests[write], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->latency[bucket_of(ns / 1000)], 1, memory_order_relaxed);
}

static atomic_uint_fast64_t batch_submissions, batch_reads;

void stats_batch(unsigned int reads)
{
	atomic_fetch_add_explicit(&batch_submissions, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&batch_reads, reads, memory_order_relaxed);
}

void stats_batches(uint64_t *submissions, uint64_t *reads)
{
	*submissions = atomic_load_explicit(&batch_submissions, memory_order_relaxed);
	*reads = atomic_load_explicit(&batch_reads, memory_order_relaxed);
}

uint64_t stats_requests(enum stats_engine engine, bool write)
{
	return atomic_load_explicit(&engines[engine].requests[write], memory_order_relaxed);
}

uint64_t stats_latency_us(enum stats_engine engine, double pct)
{
	struct engine_stats *e = &engines[engine];
	uint64_t counts[BUCKETS], total = 0, seen = 0, rank;

	for (unsigned int b = 0; b < BUCKETS; b++) {
		counts[b] = atomic_load_explicit(&e->latency[b], memory_order_relaxed);
		total += counts[b];
	}
	if (!total)
		return 0;
	rank = (uint64_t)(pct / 100.0 * (double)total + 0.5);
	if (rank < 1)
		rank = 1;
	for (unsigned int b = 0; b < BUCKETS; b++) {
		seen += counts[b];
		if (seen >= rank)
			return bucket_upper(b);
	}
	return bucket_upper(BUCKETS - 1);
}
