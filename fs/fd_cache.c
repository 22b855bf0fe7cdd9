// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The O_PATH descriptor cache (fd_cache.h): an LRU list and a count of the
 * evictable descriptors open, under one mutex. Critical sections close
 * descriptors at most; the owner reopens outside them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "fd_cache.h"
#include "pinfs.h"

struct fd_cache {
	unsigned int limit;			/* constant */
	atomic_uint_fast64_t *evictions;	/* constant */

	/*
	 * Lock order (docs/design.md): after the inode table's lock, any
	 * pinfs_inode.lock and any pinfs_dir.lock; no other lock under it.
	 */
	pthread_mutex_t lock;
	struct list_node lru;		/* evictable, open, unused: least recently used first */
	unsigned long open;		/* evictable descriptors open */
};

struct fd_cache *fd_cache_create(unsigned int limit, atomic_uint_fast64_t *evictions)
{
	struct fd_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->limit = limit;
	c->evictions = evictions;
	pthread_mutex_init(&c->lock, NULL);
	list_init(&c->lru);
	return c;
}

void fd_cache_destroy(struct fd_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Close least recently used descriptors until at most @limit remain. Locked. */
static void evict_to(struct fd_cache *c, unsigned long limit)
{
	while (c->open > limit && list_linked(&c->lru)) {
		struct fd_cache_entry *e = container_of(c->lru.next, struct fd_cache_entry, lru);

		list_del(&e->lru);
		close(e->fd);
		e->fd = -1;
		c->open--;
		stats_add(c->evictions, 1);
	}
}

/* @e is unused: make its descriptor evictable, then keep the limit. Locked. */
static void make_idle(struct fd_cache *c, struct fd_cache_entry *e)
{
	if (e->fd >= 0 && !e->pinned && !e->users && !list_linked(&e->lru))
		list_add_tail(&c->lru, &e->lru);
	evict_to(c, c->limit);
}

/* @e has no descriptor: take @fd. Locked. */
static void take(struct fd_cache *c, struct fd_cache_entry *e, int fd)
{
	e->fd = fd;
	if (!e->pinned)
		c->open++;
}

void fd_cache_entry_init(struct fd_cache *c, struct fd_cache_entry *e, int fd, bool pinned)
{
	e->fd = -1;
	e->users = 0;
	e->pinned = pinned;
	list_init(&e->lru);
	pthread_mutex_lock(&c->lock);
	take(c, e, fd);
	make_idle(c, e);
	pthread_mutex_unlock(&c->lock);
}

bool fd_cache_offer(struct fd_cache *c, struct fd_cache_entry *e, int fd)
{
	bool taken;

	pthread_mutex_lock(&c->lock);
	taken = e->fd < 0;
	if (taken) {
		take(c, e, fd);
		make_idle(c, e);
	}
	pthread_mutex_unlock(&c->lock);
	return taken;
}

/* Begin a use of @e's descriptor, which is open. Locked. */
static int use(struct fd_cache_entry *e)
{
	if (list_linked(&e->lru))
		list_del(&e->lru);
	e->users++;
	return e->fd;
}

int fd_cache_get(struct fd_cache *c, struct fd_cache_entry *e)
{
	int fd = -ENOENT;

	pthread_mutex_lock(&c->lock);
	if (e->fd >= 0)
		fd = use(e);
	pthread_mutex_unlock(&c->lock);
	return fd;
}

int fd_cache_install(struct fd_cache *c, struct fd_cache_entry *e, int fd)
{
	pthread_mutex_lock(&c->lock);
	if (e->fd >= 0)
		close(fd);	/* another thread reopened it meanwhile */
	else
		take(c, e, fd);
	fd = use(e);
	evict_to(c, c->limit);
	pthread_mutex_unlock(&c->lock);
	return fd;
}

void fd_cache_put(struct fd_cache *c, struct fd_cache_entry *e)
{
	pthread_mutex_lock(&c->lock);
	e->users--;
	make_idle(c, e);
	pthread_mutex_unlock(&c->lock);
}

void fd_cache_drop(struct fd_cache *c, struct fd_cache_entry *e)
{
	pthread_mutex_lock(&c->lock);
	if (list_linked(&e->lru))
		list_del(&e->lru);
	if (e->fd >= 0 && !e->pinned) {
		close(e->fd);
		e->fd = -1;
		c->open--;
	}
	pthread_mutex_unlock(&c->lock);
}

void fd_cache_shrink(struct fd_cache *c)
{
	pthread_mutex_lock(&c->lock);
	evict_to(c, c->open / 2);
	pthread_mutex_unlock(&c->lock);
}

void fd_cache_entry_close(struct fd_cache_entry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}
