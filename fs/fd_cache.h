/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The O_PATH descriptor cache of the inode table (inode.h, "Descriptor
 * budget").
 *
 * An entry sits in its owner's record and holds at most one O_PATH
 * descriptor. A pinned descriptor lives as long as the entry (an inode
 * without a file handle cannot be reopened, and the root's is SOURCE itself).
 * An evictable one counts against the cache's limit: while nobody uses it, it
 * waits on a least-recently-used list, and while more than the limit are
 * open, the least recently used of those waiting are closed. The owner
 * reopens an evicted descriptor (by file handle) and hands it back with
 * fd_cache_install().
 *
 * The cache's lock protects every entry's fields and the list.
 */
#ifndef PINFS_FD_CACHE_H
#define PINFS_FD_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "list.h"

struct fd_cache;

struct fd_cache_entry {
	int fd;			/* O_PATH descriptor, or -1 while evicted */
	unsigned int users;	/* callers between fd_cache_get() and fd_cache_put() */
	bool pinned;		/* constant: never evicted */
	struct list_node lru;	/* on the LRU: evictable, open and unused */
};

/*
 * A cache that keeps at most @limit evictable descriptors open, counting each
 * eviction in *@evictions. NULL without memory.
 */
struct fd_cache *fd_cache_create(unsigned int limit, atomic_uint_fast64_t *evictions);

/* Free the cache. Its entries' descriptors are their owners' to close (fd_cache_entry_close()). */
void fd_cache_destroy(struct fd_cache *c);

/*
 * Start @e with the descriptor @fd (taken), unused: pinned if @pinned, else
 * evictable at once. @e is not yet visible to other threads.
 */
void fd_cache_entry_init(struct fd_cache *c, struct fd_cache_entry *e, int fd, bool pinned);

/*
 * Give @e the descriptor @fd if it has none. Returns true if @e took @fd;
 * false if it already had one, and the caller still owns @fd.
 */
bool fd_cache_offer(struct fd_cache *c, struct fd_cache_entry *e, int fd);

/*
 * Use @e's descriptor until the matching fd_cache_put(). Returns it, or
 * -ENOENT if it was evicted: reopen it and pass it to fd_cache_install().
 */
int fd_cache_get(struct fd_cache *c, struct fd_cache_entry *e);

/*
 * Use the descriptor @fd (taken), reopened after fd_cache_get() said -ENOENT,
 * until the matching fd_cache_put(). Returns the descriptor to use: @fd, or
 * the one another thread installed meanwhile (@fd is closed then).
 */
int fd_cache_install(struct fd_cache *c, struct fd_cache_entry *e, int fd);

/* End a use begun by fd_cache_get() or fd_cache_install(). */
void fd_cache_put(struct fd_cache *c, struct fd_cache_entry *e);

/* The owner has no more users for @e: close its descriptor unless pinned. */
void fd_cache_drop(struct fd_cache *c, struct fd_cache_entry *e);

/*
 * Close half of the evictable descriptors now (least recently used first):
 * the process met its open-file limit (EMFILE, ENFILE).
 */
void fd_cache_shrink(struct fd_cache *c);

/* Close @e's descriptor, if any. @e is on no list and no longer visible to other threads. */
void fd_cache_entry_close(struct fd_cache_entry *e);

#endif
