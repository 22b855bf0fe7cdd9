// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault-in (spec §1.9, §1.11 M-6): the MADV_POPULATE_READ/WRITE analogue of
 * fault_in_readable() and fault_in_safe_writeable(), with the kernel's return
 * convention: the number of bytes NOT faulted in, at page granularity.
 * Writeable fault-in breaks COW and writes nothing. Nothing stays pinned.
 */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"
#include "pinit/uio.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Populate [@uaddr, @uaddr + @size) page by page after one attempt at the
 * whole range; return the bytes from the first page that failed to the end.
 */
static size_t populate(const void *uaddr, size_t size, int advice)
{
	uintptr_t start = (uintptr_t)uaddr, end, page;

	if (!size)
		return 0;
	if (!access_ok(uaddr, size))
		return size;
	end = start + size;
	page = start & PAGE_MASK;
	if (!madvise((void *)page, ((end - page + PAGE_SIZE - 1) & PAGE_MASK), advice))
		return 0;
	for (; page < end; page += PAGE_SIZE)
		if (madvise((void *)page, PAGE_SIZE, advice))
			break;
	return page < end ? end - (page > start ? page : start) : 0;
}

size_t fault_in_readable(const void *uaddr, size_t size)
{
	return populate(uaddr, size, MADV_POPULATE_READ);
}

size_t fault_in_safe_writeable(const void *uaddr, size_t size)
{
	return populate(uaddr, size, MADV_POPULATE_WRITE);
}

/* Walk the user segments of @i, faulting in up to @size bytes; return bytes not faulted in. */
static size_t fault_in_iter(const struct iov_iter *i, size_t size,
			    size_t (*fault_in)(const void *uaddr, size_t size))
{
	size_t skip = i->iov_offset, count = min_t(size_t, size, i->count);

	if (!user_backed_iter(i))
		return 0;
	if (iter_is_ubuf(i))
		return size - count + fault_in((char *)i->ubuf + skip, count);
	size -= count;
	for (const struct iovec *p = i->__iov; count; p++, skip = 0) {
		size_t len = min_t(size_t, count, p->iov_len - skip);
		size_t ret;

		if (unlikely(!len))
			continue;
		ret = fault_in((char *)p->iov_base + skip, len);
		count -= len - ret;
		if (ret)
			break;
	}
	return count + size;
}

size_t fault_in_iov_iter_readable(const struct iov_iter *i, size_t size)
{
	return fault_in_iter(i, size, fault_in_readable);
}

size_t fault_in_iov_iter_writeable(const struct iov_iter *i, size_t size)
{
	return fault_in_iter(i, size, fault_in_safe_writeable);
}

int fault_in_iov_iter_readable_all(const struct iov_iter *i, size_t size)
{
	return fault_in_iov_iter_readable(i, size) ? -EFAULT : 0;
}

int fault_in_iov_iter_writeable_all(const struct iov_iter *i, size_t size)
{
	return fault_in_iov_iter_writeable(i, size) ? -EFAULT : 0;
}
