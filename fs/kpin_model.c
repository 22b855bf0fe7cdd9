// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel-pin model (kpin_model.h): the kernel's pins on the daemon's pages, per syscall. */
#include <errno.h>
#include <stdint.h>

#include <pinit/gup.h>
#include <pinit/uio.h>

#include "buffers.h"
#include "kpin_model.h"
#include "pinfs.h"
#include "unsafe.h"

_Static_assert(PINFS_IO_PAGES <= KPIN_MAX_PAGES, "a READ reply's pages fit one struct kpins");

/* The pages spanned by the @n bytes at @data. */
static int span_pages(const void *data, size_t n)
{
	uintptr_t first = (uintptr_t)data & PAGE_MASK;

	return DIV_ROUND_UP((uintptr_t)data + n - first, PAGE_SIZE);
}

int kpin_direct_io(struct kpins *p, void *buf, size_t len, unsigned int dir, bool registered)
{
	struct iov_iter it;

	p->n = 0;
	p->gup_flags = dir == ITER_DEST ? FOLL_WRITE : 0;
	if (registered) {
		struct bio_vec bv = { virt_to_page(buf), len, (uintptr_t)buf % PAGE_SIZE };

		iov_iter_bvec(&it, dir, &bv, 1, len);
		while (iov_iter_count(&it)) {
			struct page **slot = p->pages;
			size_t off0;

			if (iov_iter_extract_pages(&it, &slot, iov_iter_count(&it), KPIN_MAX_PAGES,
						   0, &off0) <= 0)
				return -EFAULT;
		}
		return 0;
	}
	iov_iter_ubuf(&it, dir, buf, len);
	while (iov_iter_count(&it)) {
		struct page **slot = &p->pages[p->n];
		size_t off0;
		ssize_t got = iov_iter_extract_pages(&it, &slot, iov_iter_count(&it),
						     KPIN_MAX_PAGES - p->n, 0, &off0);

		if (got <= 0) {
			unpin_user_pages_flags(p->pages, p->n, p->gup_flags, false);
			p->n = 0;
			return got ? (int)got : -EFAULT;
		}
		p->n += DIV_ROUND_UP(off0 + got, PAGE_SIZE);
	}
	return 0;
}

void kpin_direct_io_done(struct kpins *p)
{
	if (unsafe_skip_unpin())
		return;
	if (unsafe_active(UNSAFE_MISMATCH)) {
		for (long k = 0; k < p->n; k++)
			put_page(p->pages[k]);	/* deliberately the wrong release */
		return;
	}
	unpin_user_pages_flags(p->pages, p->n, p->gup_flags, p->gup_flags & FOLL_WRITE);
}

void kpin_reply_copy(struct kpins *p, const void *data, size_t n)
{
	long got = 0;

	p->gup_flags = FOLL_GET;
	if (n)
		got = get_user_pages_fast((uintptr_t)data & PAGE_MASK, span_pages(data, n), 0,
					  p->pages);
	p->n = got > 0 ? got : 0;
}

void kpin_reply_copy_done(struct kpins *p)
{
	for (long k = 0; k < p->n; k++)
		put_page(p->pages[k]);
}

void kpin_vmsplice(struct kpins *p, const void *data, size_t n)
{
	long got = pin_user_pages_fast((uintptr_t)data & PAGE_MASK, span_pages(data, n), 0,
				       p->pages);

	p->gup_flags = 0;
	p->n = got > 0 ? got : 0;
}

void kpin_vmsplice_done(struct kpins *p)
{
	unpin_user_pages_flags(p->pages, p->n, p->gup_flags, false);
}
