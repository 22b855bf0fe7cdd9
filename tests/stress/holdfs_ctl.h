/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * holdfs's control socket: the subset of pinfs's protocol (docs/control.md) that forkstress
 * uses — ping, stats, hold/wait/release, forker — so the suite's deterministic mode and its
 * daemon-side scenarios can be exercised without pinfs. holdfs is a test fixture, not pinfs:
 * it has no pin ledger (stats report zeros) and its `receive` point parks a request inside the
 * handler (after /dev/fuse delivered it), not before it is read.
 */
#ifndef HOLDFS_CTL_H
#define HOLDFS_CTL_H

#include <stdbool.h>
#include <stdint.h>

enum hold_at {
	AT_RECEIVE,
	AT_DATA,
	AT_REPLY,
};

enum hold_op {
	OP_ANY,
	OP_READ,
	OP_WRITE,
	OP_OTHER,
};

/* Park the calling request if an armed hold matches it (returns when released or timed out). */
void hold_point(enum hold_at at, enum hold_op op, uint64_t ino, uint64_t off, uint64_t len);

/* Byte counters reported by `stats`. */
void stats_add(bool read, bool direct, bool spliced, uint64_t bytes);

/* Start serving @path in a background thread; returns 0 or -errno. */
int ctl_serve(const char *path);
void ctl_stop(void);

#endif
