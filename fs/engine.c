// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Engine registry and the iterator-to-iovec helper (engine.h).
 */
#include <errno.h>

#include "engine.h"

static const struct pinfs_engine *const engines[] = {
	[ENGINE_MODE_SYNC] = &engine_sync,
	[ENGINE_MODE_URING] = &engine_uring,
};

const struct pinfs_engine *engine_get(enum engine_mode mode)
{
	return engines[mode];
}

/* Fill from an array of (base, len) segments starting at segment 0, offset @skip. */
#define FILL_SEGMENTS(arr, nsegs, base_expr, len_expr)                           \
	do {                                                                     \
		size_t skip = i->iov_offset;                                     \
		for (unsigned long s = 0; s < (nsegs) && n < max && left; s++) { \
			char *b = (char *)(base_expr);                           \
			size_t l = (len_expr);                                   \
			if (skip >= l) {                                         \
				skip -= l;                                       \
				continue;                                        \
			}                                                        \
			b += skip;                                               \
			l -= skip;                                               \
			skip = 0;                                                \
			if (l > left)                                            \
				l = left;                                        \
			if (!l)                                                  \
				continue;                                        \
			iov[n].iov_base = b;                                     \
			iov[n].iov_len = l;                                      \
			n++;                                                     \
			left -= l;                                               \
		}                                                                \
	} while (0)

int engine_iter_iovecs(const struct iov_iter *i, struct iovec *iov, int max)
{
	size_t left = iov_iter_count(i);
	int n = 0;

	if (!left || max <= 0)
		return 0;
	switch (iov_iter_type(i)) {
	case ITER_UBUF:
		iov[0].iov_base = (char *)i->ubuf + i->iov_offset;
		iov[0].iov_len = left;
		return 1;
	case ITER_IOVEC:
		FILL_SEGMENTS(i->__iov, i->nr_segs, i->__iov[s].iov_base, i->__iov[s].iov_len);
		return n;
	case ITER_KVEC:
		FILL_SEGMENTS(i->kvec, i->nr_segs, i->kvec[s].iov_base, i->kvec[s].iov_len);
		return n;
	case ITER_BVEC:
		FILL_SEGMENTS(i->bvec, i->nr_segs,
			      (char *)page_address(i->bvec[s].bv_page) + i->bvec[s].bv_offset,
			      i->bvec[s].bv_len);
		return n;
	default:
		return -EINVAL;
	}
}
