/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Allocation with fault injection (the should_failslab() analogue), so tests
 * can reach the -ENOMEM paths of dup_iter_checked(), get_pages_alloc2() and
 * friends deterministically.
 */
#ifndef PINIT_ALLOC_H
#define PINIT_ALLOC_H

#include <stddef.h>

/**
 * pinit_malloc() - malloc(), unless an injected failure is due
 * @size: bytes
 *
 * Context: Any thread; lock-free.
 * Return: the memory, or NULL with errno ENOMEM.
 */
void *pinit_malloc(size_t size);

/**
 * pinit_calloc() - calloc(), unless an injected failure is due
 * @nmemb: elements
 * @size: bytes each
 *
 * Context: Any thread; lock-free.
 * Return: the zeroed memory, or NULL with errno ENOMEM.
 */
void *pinit_calloc(size_t nmemb, size_t size);

/**
 * pinit_fail_allocs() - inject allocation failures
 * @skip: allocations that succeed first
 * @nfail: allocations that fail after those (0 disables injection)
 *
 * Counts every pinit_malloc() and pinit_calloc() of every thread.
 *
 * Context: Any thread; for tests.
 */
void pinit_fail_allocs(unsigned int skip, unsigned int nfail);

#endif
