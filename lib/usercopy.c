// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * copy_to_user / copy_from_user / clear_user: copies that stop at the first
 * byte that cannot be accessed and report how much was left, never crashing.
 *
 * The fast path is one memcpy under pinit_try(). Only when that faults is the
 * copy redone page by page (bounded by page boundaries on both sides, so each
 * chunk is all-or-nothing) to find where the accessible memory ends; a copy is
 * idempotent, so redoing the head is harmless.
 */
#include <string.h>

#include "internal.h"
#include "pinit/uio.h"

struct copy_args {
	void *to;
	const void *from;	/* NULL: clear */
	size_t n;
};

static void do_copy(void *arg)
{
	struct copy_args *c = arg;

	if (c->from)
		memcpy(c->to, c->from, c->n);
	else
		memset(c->to, 0, c->n);
}

/* Bytes up to the next page boundary of @p, at most @n. */
static size_t to_page_end(const void *p, size_t n)
{
	size_t room = PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1));

	return room < n ? room : n;
}

/* Copy (or clear) @n bytes; return the bytes not copied. */
static size_t copy_recoverable(void *to, const void *from, size_t n)
{
	struct copy_args c = { to, from, n };
	size_t done = 0;

	if (!n || !pinit_try(do_copy, &c))
		return 0;
	while (done < n) {
		size_t len = to_page_end((char *)to + done, n - done);

		if (from)
			len = to_page_end((const char *)from + done, len);
		c.to = (char *)to + done;
		c.from = from ? (const char *)from + done : NULL;
		c.n = len;
		if (pinit_try(do_copy, &c))
			break;
		done += len;
	}
	return n - done;
}

size_t raw_copy_to_user(void *to, const void *from, size_t n)
{
	return copy_recoverable(to, from, n);
}

size_t raw_copy_from_user(void *to, const void *from, size_t n)
{
	return copy_recoverable(to, from, n);
}

size_t copy_to_user(void *to, const void *from, size_t n)
{
	if (!access_ok(to, n))
		return n;
	return raw_copy_to_user(to, from, n);
}

size_t copy_from_user(void *to, const void *from, size_t n)
{
	size_t left;

	if (!access_ok(from, n))
		left = n;
	else
		left = raw_copy_from_user(to, from, n);
	/* As the kernel does: the part of the destination not copied is zeroed. */
	if (left)
		memset((char *)to + (n - left), 0, left);
	return left;
}

size_t clear_user(void *to, size_t n)
{
	if (!access_ok(to, n))
		return n;
	return copy_recoverable(to, NULL, n);
}
