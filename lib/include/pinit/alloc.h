/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Allocation with fault injection (the should_failslab() analogue), so tests
 * can reach the -ENOMEM paths of dup_iter_checked(), get_pages_alloc2() and
 * friends deterministically.
 */
#ifndef PINIT_ALLOC_H
#define PINIT_ALLOC_H

#include <stddef.h>

/* malloc()/calloc() unless an injected failure is due, then NULL with errno ENOMEM. */
void *pinit_malloc(size_t size);
void *pinit_calloc(size_t nmemb, size_t size);

/* Let @skip allocations succeed, then fail the next @nfail (0 disables injection). */
void pinit_fail_allocs(unsigned int skip, unsigned int nfail);

#endif
