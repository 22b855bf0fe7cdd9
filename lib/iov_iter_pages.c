// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Getting pages out of an iterator (spec §1.8, §1.10).
 *
 * iov_iter_get_pages2() is the FOLL_GET world: references on user pages, on
 * BVEC pages too, and a flat -EFAULT for KVEC (Linus, 2014: getting pages out
 * of a KVEC "is wrong; it must fail; copying is ok"), DISCARD and PIPE.
 * iov_iter_extract_pages() is the 2023 replacement: pins for user-backed
 * iterators and a plain list (nothing taken) for KVEC and BVEC, whose owner
 * already holds the memory.
 *
 * Both advance the iterator by the bytes they return, and for user-backed
 * iterators look only at the first non-empty segment; callers loop.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"
#include "pinit/alloc.h"
#include "pinit/gup.h"
#include "pinit/ledger.h"
#include "pinit/uio.h"
#include "pinit/warn.h"

/* Address of the first non-empty user segment; shortens *@size to that segment. */
static unsigned long first_iovec_segment(const struct iov_iter *i, size_t *size,
					 const struct pinit_site *site)
{
	size_t skip = i->iov_offset;

	if (iter_is_ubuf(i))
		return (unsigned long)i->ubuf + skip;
	for (unsigned long k = 0; k < i->nr_segs; k++, skip = 0) {
		const struct iovec *iov = &i->__iov[k];
		size_t len = iov->iov_len - skip;

		if (unlikely(!len))
			continue;
		if (*size > len)
			*size = len;
		return (unsigned long)iov->iov_base + skip;
	}
	pinit_bug(site, "first_iovec_segment() on an iterator with no data");
}

/* The page holding the current bvec position; shortens *@size to the current bvec. */
static struct page *first_bvec_segment(const struct iov_iter *i, size_t *size, size_t *start)
{
	size_t skip = i->iov_offset, len = i->bvec->bv_len - skip;

	if (*size > len)
		*size = len;
	skip += i->bvec->bv_offset;
	*start = skip % PAGE_SIZE;
	return virt_to_page((char *)page_address(i->bvec->bv_page) + skip);
}

/*
 * Pages needed for @size bytes from offset @start, capped at @maxpages; the
 * array is allocated if *@res is NULL. 0 means failure (-ENOMEM to callers).
 */
static unsigned int want_pages_array(struct page ***res, size_t size, size_t start,
				     unsigned int maxpages, const struct pinit_site *site)
{
	unsigned int count = DIV_ROUND_UP(size + start, PAGE_SIZE);

	if (count > maxpages)
		count = maxpages;
	if (PINIT_WARN_ON(!count, site))
		return 0;
	if (!*res) {
		*res = pinit_calloc(count, sizeof(struct page *));
		if (!*res)
			return 0;
	}
	return count;
}

static ssize_t get_pages(struct iov_iter *i, struct page ***pages, size_t maxsize,
			 unsigned int maxpages, size_t *start, const struct pinit_site *site)
{
	unsigned int n;

	if (maxsize > i->count)
		maxsize = i->count;
	if (!maxsize)
		return 0;
	if (maxsize > MAX_RW_COUNT)
		maxsize = MAX_RW_COUNT;

	if (likely(user_backed_iter(i))) {
		unsigned int gup_flags = 0;
		unsigned long addr;
		long res;

		if (iov_iter_rw(i) != WRITE)
			gup_flags |= FOLL_WRITE;
		if (i->nofault)
			gup_flags |= FOLL_NOFAULT;
		addr = first_iovec_segment(i, &maxsize, site);
		*start = addr % PAGE_SIZE;
		addr &= PAGE_MASK;
		n = want_pages_array(pages, maxsize, *start, maxpages, site);
		if (!n)
			return -ENOMEM;
		res = _get_user_pages_fast(addr, n, gup_flags, *pages, site);
		if (unlikely(res <= 0))
			return res;
		maxsize = min_t(size_t, maxsize, res * PAGE_SIZE - *start);
		_iov_iter_advance(i, maxsize, site);
		return maxsize;
	}
	if (iov_iter_is_bvec(i)) {
		struct page *page = first_bvec_segment(i, &maxsize, start);

		n = want_pages_array(pages, maxsize, *start, maxpages, site);
		if (!n)
			return -ENOMEM;
		for (unsigned int k = 0; k < n; k++) {
			(*pages)[k] = k ? nth_page(page, k) : page;
			_get_page((*pages)[k], site);
		}
		maxsize = min_t(size_t, maxsize, n * PAGE_SIZE - *start);
		i->count -= maxsize;
		i->iov_offset += maxsize;
		if (i->iov_offset == i->bvec->bv_len) {
			i->iov_offset = 0;
			i->bvec++;
			i->nr_segs--;
		}
		return maxsize;
	}
	/* KVEC, DISCARD, PIPE: no pages may be taken. */
	return -EFAULT;
}

ssize_t _iov_iter_get_pages2(struct iov_iter *i, struct page **pages, size_t maxsize,
			     unsigned int maxpages, size_t *start, const struct pinit_site *site)
{
	if (!maxpages)
		return 0;
	if (!pages)
		pinit_bug(site, "iov_iter_get_pages2() with a NULL page array");
	return get_pages(i, &pages, maxsize, maxpages, start, site);
}

ssize_t _iov_iter_get_pages_alloc2(struct iov_iter *i, struct page ***pages, size_t maxsize,
				   size_t *start, const struct pinit_site *site)
{
	ssize_t len;

	*pages = NULL;
	len = get_pages(i, pages, maxsize, ~0U, start, site);
	if (len <= 0) {
		free(*pages);
		*pages = NULL;
	}
	return len;
}

/* ---- extraction ---- */

static ssize_t extract_user_pages(struct iov_iter *i, struct page ***pages, size_t maxsize,
				  unsigned int maxpages, size_t *offset0,
				  const struct pinit_site *site)
{
	unsigned int gup_flags = 0;
	unsigned long addr;
	size_t offset;
	long res;

	if (i->data_source == ITER_DEST)
		gup_flags |= FOLL_WRITE;
	if (i->nofault)
		gup_flags |= FOLL_NOFAULT;
	addr = first_iovec_segment(i, &maxsize, site);
	*offset0 = offset = addr % PAGE_SIZE;
	addr &= PAGE_MASK;
	maxpages = want_pages_array(pages, maxsize, offset, maxpages, site);
	if (!maxpages)
		return -ENOMEM;
	res = _pin_user_pages_fast(addr, maxpages, gup_flags, *pages, site);
	if (unlikely(res <= 0))
		return res;
	maxsize = min_t(size_t, maxsize, res * PAGE_SIZE - offset);
	_iov_iter_advance(i, maxsize, site);
	return maxsize;
}

/* List the pages of the current kvec; nothing is taken (the caller owns the memory). */
static ssize_t extract_kvec_pages(struct iov_iter *i, struct page ***pages, size_t maxsize,
				  unsigned int maxpages, size_t *offset0,
				  const struct pinit_site *site)
{
	size_t skip = i->iov_offset, offset, size;
	const char *kaddr;

	for (;;) {
		if (i->nr_segs == 0)
			return 0;
		size = min_t(size_t, maxsize, i->kvec->iov_len - skip);
		if (size)
			break;
		i->iov_offset = 0;
		i->nr_segs--;
		i->kvec++;
		skip = 0;
	}
	kaddr = (const char *)i->kvec->iov_base + skip;
	offset = (uintptr_t)kaddr & ~PAGE_MASK;
	*offset0 = offset;
	maxpages = want_pages_array(pages, size, offset, maxpages, site);
	if (!maxpages)
		return -ENOMEM;
	kaddr -= offset;
	for (unsigned int k = 0; k < maxpages; k++) {
		(*pages)[k] = virt_to_page(kaddr + k * PAGE_SIZE);
		if (!(*pages)[k])
			return -ENOMEM;
	}
	ledger_count_acquire(PIN_TAG_LISTED, maxpages);
	size = min_t(size_t, size, maxpages * PAGE_SIZE - offset);
	_iov_iter_advance(i, size, site);
	return size;
}

/*
 * List BVEC pages page by page; only the first may start at an offset, and a
 * page that does not end on a page boundary ends the run (the caller comes
 * back for the rest), so the result has no holes.
 */
static ssize_t extract_bvec_pages(struct iov_iter *i, struct page ***pages, size_t maxsize,
				  unsigned int maxpages, size_t *offset0,
				  const struct pinit_site *site)
{
	size_t skip = i->iov_offset, size = 0, left = maxsize;
	unsigned long idx = 0;
	unsigned int k = 0;

	if (i->nr_segs == 0)
		return 0;
	if (i->iov_offset == i->bvec->bv_len) {
		i->iov_offset = 0;
		i->nr_segs--;
		i->bvec++;
		skip = 0;
	}
	maxpages = want_pages_array(pages, maxsize, skip, maxpages, site);
	if (!maxpages)
		return -ENOMEM;
	while (left && idx < i->nr_segs) {
		const struct bio_vec *bv = &i->bvec[idx];
		size_t pos = bv->bv_offset + skip;
		size_t offset = pos % PAGE_SIZE;
		size_t len = min_t(size_t, min_t(size_t, bv->bv_len - skip, left), PAGE_SIZE - offset);

		if (k && offset)
			break;
		if (!k)
			*offset0 = offset;
		(*pages)[k++] = virt_to_page((char *)page_address(bv->bv_page) + pos);
		size += len;
		left -= len;
		if (k >= maxpages || offset + len != PAGE_SIZE)
			break;
		skip += len;
		if (skip == bv->bv_len) {
			idx++;
			skip = 0;
		}
	}
	ledger_count_acquire(PIN_TAG_LISTED, k);
	_iov_iter_advance(i, size, site);
	return size;
}

ssize_t _iov_iter_extract_pages(struct iov_iter *i, struct page ***pages, size_t maxsize,
				unsigned int maxpages, iov_iter_extraction_t extraction_flags,
				size_t *offset0, const struct pinit_site *site)
{
	maxsize = min_t(size_t, min_t(size_t, maxsize, i->count), MAX_RW_COUNT);
	if (!maxsize)
		return 0;
	/* ITER_ALLOW_P2PDMA has no userspace meaning; it is accepted and ignored. */
	if (likely(user_backed_iter(i)))
		return extract_user_pages(i, pages, maxsize, maxpages, offset0, site);
	if (iov_iter_is_kvec(i))
		return extract_kvec_pages(i, pages, maxsize, maxpages, offset0, site);
	if (iov_iter_is_bvec(i))
		return extract_bvec_pages(i, pages, maxsize, maxpages, offset0, site);
	/* DISCARD has no content; a PIPE's data is not in memory. */
	return -EFAULT;
}
