// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's statistics; see stats.h. Latencies go into a log-linear
 * histogram: 16 linear sub-buckets per power of two of microseconds, so any
 * percentile is reported within about 6% of the true value.
 */
#include <stdatomic.h>
#include <time.h>

#include "stats.h"

#define SUB_BITS 4
#define SUB_BUCKETS (1U << SUB_BITS)
#define GROUPS 40
#define BUCKETS (GROUPS * SUB_BUCKETS)

typedef atomic_uint_fast64_t counter_t;

struct engine_counters {
	counter_t requests[STATS_DIRS];
	counter_t latency[BUCKETS];
};

static counter_t op_calls[PINFS_OP_NR], op_errors[PINFS_OP_NR];
static counter_t path_bytes[STATS_DIRS][PATH_NR];
static struct engine_counters engines[ENGINE_NR];
static counter_t batch_submissions, batch_reads;
static counter_t events[STATS_EVENT_NR];

static const char *const op_names[PINFS_OP_NR] = {
#define PINFS_STAT_NAME(id, name) [PINFS_OP_##id] = name,
	PINFS_STAT_OPS(PINFS_STAT_NAME)
#undef PINFS_STAT_NAME
};

static void add(counter_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t load(const counter_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void stats_count_op(enum pinfs_stat_op op, int err)
{
	add(&op_calls[op], 1);
	if (err)
		add(&op_errors[op], 1);
}

void stats_count_bytes(enum stats_path path, enum stats_dir dir, uint64_t bytes)
{
	add(&path_bytes[dir][path], bytes);
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

void stats_count_data(enum stats_dir dir, enum stats_engine engine, int err, uint64_t ns)
{
	struct engine_counters *e = &engines[engine];

	stats_count_op(stats_data_op(dir), err);
	add(&e->requests[dir], 1);
	add(&e->latency[bucket_of(ns / 1000)], 1);
}

void stats_count_batch(unsigned int reads)
{
	add(&batch_submissions, 1);
	add(&batch_reads, reads);
}

void stats_count_event(enum stats_event event)
{
	add(&events[event], 1);
}

/* Latency percentile (0 < @pct <= 100) of the histogram @counts of @total requests. */
static uint64_t percentile_us(const uint64_t *counts, uint64_t total, double pct)
{
	uint64_t seen = 0, rank;

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

void stats_snapshot(struct stats_snapshot *s)
{
	for (int op = 0; op < PINFS_OP_NR; op++) {
		s->calls[op] = load(&op_calls[op]);
		s->errors[op] = load(&op_errors[op]);
	}
	for (int dir = 0; dir < STATS_DIRS; dir++)
		for (int path = 0; path < PATH_NR; path++)
			s->bytes[dir][path] = load(&path_bytes[dir][path]);
	for (int k = 0; k < ENGINE_NR; k++) {
		uint64_t counts[BUCKETS], total = 0;

		for (int dir = 0; dir < STATS_DIRS; dir++)
			s->engines[k].requests[dir] = load(&engines[k].requests[dir]);
		for (unsigned int b = 0; b < BUCKETS; b++) {
			counts[b] = load(&engines[k].latency[b]);
			total += counts[b];
		}
		s->engines[k].p50_us = percentile_us(counts, total, 50);
		s->engines[k].p90_us = percentile_us(counts, total, 90);
		s->engines[k].p99_us = percentile_us(counts, total, 99);
		s->engines[k].max_us = percentile_us(counts, total, 100);
	}
	s->batch_submissions = load(&batch_submissions);
	s->batch_reads = load(&batch_reads);
	for (int ev = 0; ev < STATS_EVENT_NR; ev++)
		s->events[ev] = load(&events[ev]);
}

uint64_t stats_path_bytes(const struct stats_snapshot *s, enum stats_path path)
{
	return s->bytes[STATS_READ][path] + s->bytes[STATS_WRITE][path];
}

/* The bytes moved in direction @dir, by the backing paths (vmspliced replies count there). */
static unsigned long long dir_bytes(const struct stats_snapshot *s, enum stats_dir dir)
{
	unsigned long long n = 0;

	for (int path = 0; path < PATH_NR; path++)
		if (path != PATH_VMSPLICED)
			n += s->bytes[dir][path];
	return n;
}

void stats_print(const struct stats_snapshot *s, FILE *out)
{
	const uint64_t *ev = s->events;

	fprintf(out, "pinfs: %-16s %12s %10s\n", "operation", "calls", "errors");
	for (int op = 0; op < PINFS_OP_NR; op++)
		if (s->calls[op])
			fprintf(out, "pinfs: %-16s %12llu %10llu\n", op_names[op],
				(unsigned long long)s->calls[op],
				(unsigned long long)s->errors[op]);
	fprintf(out, "pinfs: bytes read %llu, written %llu\n", dir_bytes(s, STATS_READ),
		dir_bytes(s, STATS_WRITE));
	fprintf(out, "pinfs: write payloads page-aligned %llu, unaligned %llu\n",
		(unsigned long long)ev[STATS_PAYLOAD_ALIGNED],
		(unsigned long long)ev[STATS_PAYLOAD_UNALIGNED]);
	fprintf(out, "pinfs: capability cache hits %llu, handle reopens %llu, fd evictions %llu\n",
		(unsigned long long)ev[STATS_CAPS_CACHE_HIT],
		(unsigned long long)ev[STATS_HANDLE_REOPEN],
		(unsigned long long)ev[STATS_FD_EVICTION]);
}
