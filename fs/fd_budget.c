// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The descriptor budget (fd_budget.h): one counter for all, and a small hash
 * of per-uid counters under one mutex. A uid's entry exists while it has
 * descriptors charged.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "fd_budget.h"

#define USER_BUCKETS 64

struct user_charge {
	uid_t uid;
	unsigned long n;
	struct user_charge *next;
};

struct fd_budget {
	unsigned long total; /* constant: descriptors chargeable in all */
	unsigned long user_max; /* constant: per capped uid, 0 if uncapped */

	/* Lock order (docs/design.md): after any pinfs_inode.lock; no other lock under it. */
	pthread_mutex_t lock;
	unsigned long used;
	struct user_charge *users[USER_BUCKETS];
};

/* RLIMIT_NOFILE; "unlimited" is bounded by fs.nr_open, 1048576 by default. */
static unsigned long nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 1ul << 20;
	return rl.rlim_cur;
}

struct fd_budget *fd_budget_create(unsigned long fd_cache, bool per_user)
{
	struct fd_budget *b = calloc(1, sizeof(*b));
	unsigned long limit = nofile_limit(), reserve = fd_cache + limit / 4;

	if (!b)
		return NULL;
	if (reserve > limit / 4 * 3)
		reserve = limit / 4 * 3;
	b->total = limit - reserve;
	b->user_max = per_user ? b->total / 2 : 0;
	pthread_mutex_init(&b->lock, NULL);
	return b;
}

void fd_budget_destroy(struct fd_budget *b)
{
	if (!b)
		return;
	for (unsigned int i = 0; i < USER_BUCKETS; i++) {
		while (b->users[i]) {
			struct user_charge *u = b->users[i];

			b->users[i] = u->next;
			free(u);
		}
	}
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* The link that points at @uid's entry, or at the NULL ending its bucket. Lock held. */
static struct user_charge **user_slot(struct fd_budget *b, uid_t uid)
{
	struct user_charge **p = &b->users[uid % USER_BUCKETS];

	while (*p && (*p)->uid != uid)
		p = &(*p)->next;
	return p;
}

static bool capped(const struct fd_budget *b, uid_t uid)
{
	return b->user_max && uid != 0;
}

int fd_budget_charge(struct fd_budget *b, uid_t uid, unsigned int n)
{
	struct user_charge **p, *u;
	int err = 0;

	pthread_mutex_lock(&b->lock);
	if (b->used + n > b->total) {
		err = -ENFILE;
		goto out;
	}
	if (capped(b, uid)) {
		p = user_slot(b, uid);
		u = *p;
		if ((u ? u->n : 0) + n > b->user_max) {
			err = -ENFILE;
			goto out;
		}
		if (!u) {
			u = calloc(1, sizeof(*u));
			if (!u) {
				err = -ENOMEM;
				goto out;
			}
			u->uid = uid;
			*p = u;
		}
		u->n += n;
	}
	b->used += n;
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

void fd_budget_uncharge(struct fd_budget *b, uid_t uid, unsigned int n)
{
	struct user_charge **p, *u;

	if (!n)
		return;
	pthread_mutex_lock(&b->lock);
	b->used -= n;
	if (capped(b, uid)) {
		p = user_slot(b, uid);
		u = *p;
		u->n -= n;
		if (!u->n) {
			*p = u->next;
			free(u);
		}
	}
	pthread_mutex_unlock(&b->lock);
}
