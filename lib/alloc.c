// SPDX-License-Identifier: GPL-2.0-or-later
/* Allocation with fault injection (the should_failslab() analogue). */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pinit/alloc.h"

static atomic_uint skip_left;
static atomic_uint fail_left;

/* True if this allocation is one of the injected failures. */
static bool should_fail(void)
{
	unsigned int n = atomic_load_explicit(&fail_left, memory_order_relaxed);

	if (!n)
		return false;
	for (unsigned int s = atomic_load(&skip_left); s;)
		if (atomic_compare_exchange_weak(&skip_left, &s, s - 1))
			return false;
	for (; n;)
		if (atomic_compare_exchange_weak(&fail_left, &n, n - 1))
			return true;
	return false;
}

void *pinit_malloc(size_t size)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(size);
}

void *pinit_calloc(size_t nmemb, size_t size)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(nmemb, size);
}

void pinit_fail_allocs(unsigned int skip, unsigned int nfail)
{
	atomic_store(&fail_left, 0);
	atomic_store(&skip_left, skip);
	atomic_store(&fail_left, nfail);
}
