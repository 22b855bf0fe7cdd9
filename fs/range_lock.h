/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A byte-range lock: holders of overlapping ranges exclude each other, holders
 * of disjoint ranges do not. Each inode has one for its writes, so that the
 * O_DIRECT middle of one write and the page-cache edge of another never race on
 * the same backing block: concurrent writers to overlapping blocks never lose
 * each other's bytes.
 */
#ifndef PINFS_RANGE_LOCK_H
#define PINFS_RANGE_LOCK_H

#include <pthread.h>
#include <sys/types.h>

/* One held range; lives on the holder's stack. */
struct range {
	off_t start, end;	/* [start, end) */
	struct range *next;
};

struct range_lock {
	/*
	 * Guards @held inside range_lock() and range_unlock() only; no other
	 * lock is taken under it. The order of a held range: inode.h.
	 */
	pthread_mutex_t lock;
	pthread_cond_t released;
	struct range *held;
};

void range_lock_init(struct range_lock *rl);
void range_lock_destroy(struct range_lock *rl);

/* Wait until [@start, @end) overlaps no held range, then hold it in @r. */
void range_lock(struct range_lock *rl, struct range *r, off_t start, off_t end);
void range_unlock(struct range_lock *rl, struct range *r);

#endif
