// SPDX-License-Identifier: GPL-2.0-or-later
/* WARN/BUG bookkeeping (spec §1.11 M-2). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "pinit/warn.h"

#define MAX_LOGGED_SITES 64

static atomic_uint_fast64_t warn_count;
static atomic_bool warn_quiet;
static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;	/* innermost: nothing under it */
static struct pinit_warning last_warning;
static bool have_last;
static const struct pinit_site *logged_sites[MAX_LOGGED_SITES];
static unsigned int nr_logged;

/* Remember @site; true if it should be logged (new, and room to remember it). Called locked. */
static bool first_from_site(const struct pinit_site *site)
{
	for (unsigned int n = 0; n < nr_logged; n++)
		if (logged_sites[n] == site)
			return false;
	if (nr_logged == MAX_LOGGED_SITES)
		return false;
	logged_sites[nr_logged++] = site;
	return true;
}

bool pinit_warn(const struct pinit_site *site, const char *what)
{
	bool first;

	atomic_fetch_add_explicit(&warn_count, 1, memory_order_relaxed);
	pthread_mutex_lock(&warn_lock);
	last_warning.site = site;
	last_warning.what = what;
	have_last = true;
	first = first_from_site(site);
	pthread_mutex_unlock(&warn_lock);
	if (first && !atomic_load(&warn_quiet))
		fprintf(stderr, "pinit: WARNING: %s at %s:%d (%s)\n", what, site->file, site->line,
			site->func);
	return true;
}

void pinit_bug(const struct pinit_site *site, const char *what)
{
	fprintf(stderr, "pinit: BUG: %s at %s:%d (%s)\n", what, site->file, site->line,
		site->func);
	abort();
}

uint64_t pinit_warn_count(void)
{
	return atomic_load_explicit(&warn_count, memory_order_relaxed);
}

bool pinit_warn_last(struct pinit_warning *w)
{
	bool have;

	pthread_mutex_lock(&warn_lock);
	have = have_last;
	if (have)
		*w = last_warning;
	pthread_mutex_unlock(&warn_lock);
	return have;
}

void pinit_warn_reset(void)
{
	pthread_mutex_lock(&warn_lock);
	atomic_store(&warn_count, 0);
	have_last = false;
	nr_logged = 0;
	pthread_mutex_unlock(&warn_lock);
}

void pinit_warn_set_quiet(bool quiet)
{
	atomic_store(&warn_quiet, quiet);
}
