// SPDX-License-Identifier: GPL-2.0-or-later
/* import_iovec() and import_ubuf() (spec §1.4): building iterators from syscall arguments. */
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>

#include "internal.h"
#include "pinit/alloc.h"
#include "pinit/uio.h"

int _import_ubuf(int type, void *buf, size_t len, struct iov_iter *i,
		 const struct pinit_site *site)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (unlikely(!access_ok(buf, len)))
		return -EFAULT;
	_iov_iter_ubuf(i, type, buf, len, site);
	return 0;
}

/* Read @nr_segs iovecs from user memory; a negative length is -EINVAL. */
static int copy_iovec_from_user(struct iovec *iov, const struct iovec *uiov, unsigned long nr_segs)
{
	for (unsigned long n = 0; n < nr_segs; n++) {
		struct iovec v;

		if (copy_from_user(&v, &uiov[n], sizeof(v)))
			return -EFAULT;
		if (unlikely((ssize_t)v.iov_len < 0))
			return -EINVAL;
		iov[n] = v;
	}
	return 0;
}

/* Single segment: a UBUF iterator; *@iovp is NULL afterwards, even on error. */
static ssize_t import_iovec_ubuf(int type, const struct iovec *uvec, struct iovec **iovp,
				 struct iov_iter *i, const struct pinit_site *site)
{
	struct iovec local, *iov = *iovp ? *iovp : &local;
	ssize_t ret;

	*iovp = NULL;
	ret = copy_iovec_from_user(iov, uvec, 1);
	if (unlikely(ret))
		return ret;
	ret = _import_ubuf(type, iov->iov_base, iov->iov_len, i, site);
	if (unlikely(ret))
		return ret;
	return i->count;
}

/* The iovec array: @fast_iov if it fits, else a new allocation. Returns NULL and sets *@err. */
static struct iovec *iovec_from_user(const struct iovec *uvec, unsigned long nr_segs,
				     unsigned long fast_segs, struct iovec *fast_iov, int *err)
{
	struct iovec *iov = fast_iov;

	/* Linux has traditionally returned zero for zero segments. */
	if (nr_segs == 0)
		return iov;
	if (nr_segs > UIO_MAXIOV) {
		*err = -EINVAL;
		return NULL;
	}
	if (nr_segs > fast_segs) {
		iov = pinit_calloc(nr_segs, sizeof(struct iovec));
		if (!iov) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	*err = copy_iovec_from_user(iov, uvec, nr_segs);
	if (*err) {
		if (iov != fast_iov)
			free(iov);
		return NULL;
	}
	return iov;
}

ssize_t _import_iovec(int type, const struct iovec *uvec, unsigned int nr_segs,
		      unsigned int fast_segs, struct iovec **iovp, struct iov_iter *i,
		      const struct pinit_site *site)
{
	ssize_t total_len = 0;
	struct iovec *iov;
	int err = 0;

	if (nr_segs == 1)
		return import_iovec_ubuf(type, uvec, iovp, i, site);
	iov = iovec_from_user(uvec, nr_segs, fast_segs, *iovp, &err);
	if (err) {
		*iovp = NULL;
		return err;
	}
	/* Cap the total at MAX_RW_COUNT by shortening segments in place. */
	for (unsigned long seg = 0; seg < nr_segs; seg++) {
		ssize_t len = (ssize_t)iov[seg].iov_len;

		if (!access_ok(iov[seg].iov_base, len)) {
			if (iov != *iovp)
				free(iov);
			*iovp = NULL;
			return -EFAULT;
		}
		if (len > (ssize_t)MAX_RW_COUNT - total_len) {
			len = MAX_RW_COUNT - total_len;
			iov[seg].iov_len = len;
		}
		total_len += len;
	}
	_iov_iter_init(i, type, iov, nr_segs, total_len, site);
	*iovp = iov == *iovp ? NULL : iov;
	return total_len;
}
