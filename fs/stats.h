/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Daemon statistics: bytes by data path, requests and latency per engine.
 * Updating costs a few relaxed atomic adds; reading is a snapshot.
 */
#ifndef PINFS_STATS_H
#define PINFS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stats_path {
	PATH_DIRECT,	/* O_DIRECT on the backing file straight from/to the request buffer */
	PATH_BOUNCED,	/* O_DIRECT through arena pages (one copy) */
	PATH_BUFFERED,	/* the backing file's page cache */
	PATH_SPLICED,	/* moved through a pipe without a userspace copy */
	PATH_VMSPLICED,	/* READ replies vmspliced from the daemon's pages (-o vmsplice) */
	PATH_NR
};

enum stats_engine { ENGINE_SYNC, ENGINE_URING, ENGINE_NR };

void stats_add_bytes(enum stats_path path, uint64_t bytes);

/* One READ or WRITE served by @engine, taking @ns from receipt to reply. */
void stats_request(enum stats_engine engine, bool write, uint64_t ns);

/* One submission of @reads queued READs (engine.h flush()), of any engine. */
void stats_batch(unsigned int reads);
/* Submissions so far and the READs they carried. */
void stats_batches(uint64_t *submissions, uint64_t *reads);

/* Latency percentile (0 < @pct <= 100) of @engine's requests so far, in microseconds. */
uint64_t stats_latency_us(enum stats_engine engine, double pct);

uint64_t stats_bytes(enum stats_path path);
uint64_t stats_requests(enum stats_engine engine, bool write);

/* Monotonic nanoseconds, for latency measurement. */
uint64_t stats_now_ns(void);

#endif
