// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page descriptors (spec §2.2, §2.6 P-1, P-2).
 *
 * Arena pages have their descriptors in the arena (found without a lookup).
 * Every other page's descriptor lives in a table of PAGE_SHARDS shards, each
 * with fixed-size buckets. Entries are only ever added (until
 * pinit_pages_reset()), so lookups walk the chains without a lock; a shard's
 * mutex serialises insertions only.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"
#include "pinit/ledger.h"
#include "pinit/page.h"

#define PAGE_SHARDS 64
#define SHARD_BUCKETS 1024

struct shard {
	pthread_mutex_t lock;	/* lock order: innermost, nothing under it */
	_Atomic(struct page *) *_Atomic buckets;
};

static struct shard shards[PAGE_SHARDS] = {
	[0 ... PAGE_SHARDS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER },
};
static atomic_bool has_pinned;

static unsigned long page_hash(uintptr_t addr)
{
	unsigned long pfn = addr >> PAGE_SHIFT;

	return pfn * 0x9E3779B97F4A7C15UL;
}

/* The top six bits of a 64-bit hash pick the shard. */
_Static_assert(sizeof(unsigned long) == 8 && PAGE_SHARDS == 1 << (64 - 58),
	       "shard_of() covers every shard and no more");

static struct shard *shard_of(uintptr_t addr)
{
	return &shards[page_hash(addr) >> 58];
}

static _Atomic(struct page *) *bucket_of(_Atomic(struct page *) *buckets, uintptr_t addr)
{
	return &buckets[(page_hash(addr) >> 20) % SHARD_BUCKETS];
}

static struct page *chain_find(_Atomic(struct page *) *bucket, uintptr_t addr)
{
	struct page *p = atomic_load_explicit(bucket, memory_order_acquire);

	for (; p; p = p->hash_next)
		if (p->addr == addr)
			return p;
	return NULL;
}

struct page *find_page(const void *addr)
{
	uintptr_t a = (uintptr_t)addr & PAGE_MASK;
	struct page *page = arena_page_lookup(addr);
	_Atomic(struct page *) *buckets;

	if (page)
		return page;
	buckets = atomic_load_explicit(&shard_of(a)->buckets, memory_order_acquire);
	return buckets ? chain_find(bucket_of(buckets, a), a) : NULL;
}

struct page *virt_to_page(const void *addr)
{
	uintptr_t a = (uintptr_t)addr & PAGE_MASK;
	struct page *page = find_page(addr);
	struct shard *s;
	_Atomic(struct page *) *buckets, *bucket;

	if (page)
		return page;
	s = shard_of(a);
	pthread_mutex_lock(&s->lock);
	buckets = atomic_load(&s->buckets);
	if (!buckets) {
		buckets = calloc(SHARD_BUCKETS, sizeof(*buckets));
		if (!buckets)
			goto out;
		atomic_store_explicit(&s->buckets, buckets, memory_order_release);
	}
	bucket = bucket_of(buckets, a);
	page = chain_find(bucket, a);
	if (page)
		goto out;
	page = calloc(1, sizeof(*page));
	if (!page)
		goto out;
	page->addr = a;
	atomic_init(&page->refcount, 1);
	page->hash_next = atomic_load(bucket);
	atomic_store_explicit(bucket, page, memory_order_release);
out:
	pthread_mutex_unlock(&s->lock);
	return page;
}

struct page *nth_page(struct page *page, size_t n)
{
	return virt_to_page((const char *)page->addr + n * PAGE_SIZE);
}

bool page_maybe_dma_pinned(const struct page *page)
{
	if (page_is_large(page))
		return page_pincount(page) > 0;
	return (unsigned int)page_ref_count(page) >= GUP_PIN_COUNTING_BIAS;
}

void page_set_large(struct page *page, bool large)
{
	if (large)
		atomic_fetch_or(&page->flags, PG_large);
	else
		atomic_fetch_and(&page->flags, ~(unsigned int)PG_large);
}

void set_page_dirty_lock(struct page *page)
{
	if (!(atomic_fetch_or(&page->flags, PG_dirty) & PG_dirty))
		ledger_count_dirtied();
}

void clear_page_dirty(struct page *page)
{
	atomic_fetch_and(&page->flags, ~(unsigned int)PG_dirty);
}

void mm_set_has_pinned_flag(void)
{
	if (!atomic_load_explicit(&has_pinned, memory_order_relaxed))
		atomic_store(&has_pinned, true);
}

bool mm_has_pinned(void)
{
	return atomic_load(&has_pinned);
}

int for_each_page(int (*fn)(struct page *page, void *arg), void *arg)
{
	int ret = arena_for_each_page(fn, arg);

	for (unsigned int s = 0; s < PAGE_SHARDS && !ret; s++) {
		_Atomic(struct page *) *buckets = atomic_load(&shards[s].buckets);

		for (unsigned int b = 0; buckets && b < SHARD_BUCKETS && !ret; b++)
			for (struct page *p = atomic_load(&buckets[b]); p && !ret; p = p->hash_next)
				ret = fn(p, arg);
	}
	return ret;
}

void pinit_pages_reset(void)
{
	for (unsigned int s = 0; s < PAGE_SHARDS; s++) {
		_Atomic(struct page *) *buckets = atomic_load(&shards[s].buckets);

		if (!buckets)
			continue;
		for (unsigned int b = 0; b < SHARD_BUCKETS; b++) {
			struct page *p = atomic_load(&buckets[b]);

			while (p) {
				struct page *next = p->hash_next;

				free(p);
				p = next;
			}
		}
		atomic_store(&shards[s].buckets, NULL);
		free(buckets);
	}
	atomic_store(&has_pinned, false);
}
