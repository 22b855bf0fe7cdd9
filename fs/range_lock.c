// SPDX-License-Identifier: GPL-2.0-or-later
/* Byte-range lock (range_lock.h): a list of held ranges under a mutex. */
#include <stdbool.h>

#include "range_lock.h"

void range_lock_init(struct range_lock *rl)
{
	pthread_mutex_init(&rl->lock, NULL);
	pthread_cond_init(&rl->released, NULL);
	rl->held = NULL;
}

void range_lock_destroy(struct range_lock *rl)
{
	pthread_cond_destroy(&rl->released);
	pthread_mutex_destroy(&rl->lock);
}

static bool overlaps_held(const struct range_lock *rl, off_t start, off_t end)
{
	for (const struct range *h = rl->held; h; h = h->next)
		if (start < h->end && h->start < end)
			return true;
	return false;
}

void range_lock(struct range_lock *rl, struct range *r, off_t start, off_t end)
{
	r->start = start;
	r->end = end;
	pthread_mutex_lock(&rl->lock);
	while (overlaps_held(rl, start, end))
		pthread_cond_wait(&rl->released, &rl->lock);
	r->next = rl->held;
	rl->held = r;
	pthread_mutex_unlock(&rl->lock);
}

void range_unlock(struct range_lock *rl, struct range *r)
{
	pthread_mutex_lock(&rl->lock);
	for (struct range **p = &rl->held; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	pthread_cond_broadcast(&rl->released);
	pthread_mutex_unlock(&rl->lock);
}
