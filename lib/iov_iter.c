// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The iov_iter model: construction, copies, position and geometry (spec §1.3–
 * §1.7). The shape follows lib/iov_iter.c: one small step function per kind of
 * memory and a single iterate-and-advance core per segment type. A step
 * returns the number of bytes it did NOT process; the iterator is advanced by
 * exactly what was processed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "pinit/alloc.h"
#include "pinit/uio.h"
#include "pinit/warn.h"

typedef size_t (*iov_step_f)(void *iter_base, size_t progress, size_t len, void *priv);

/* ---- the iterate-and-advance core ---- */

static size_t iterate_ubuf(struct iov_iter *i, size_t len, void *priv, iov_step_f step)
{
	size_t progress = len - step((char *)i->ubuf + i->iov_offset, 0, len, priv);

	i->iov_offset += progress;
	i->count -= progress;
	return progress;
}

/*
 * IOVEC and KVEC share a layout (struct kvec == struct iovec), as in the
 * kernel: this walks both, and iov_iter_restore() and dup_iter() treat both
 * arrays as __iov (the kernel's BUILD_BUG_ON in iov_iter_restore()).
 */
_Static_assert(sizeof(struct kvec) == sizeof(struct iovec), "kvec and iovec differ in size");
_Static_assert(offsetof(struct kvec, iov_base) == offsetof(struct iovec, iov_base) &&
		       offsetof(struct kvec, iov_len) == offsetof(struct iovec, iov_len),
	       "kvec and iovec differ in layout");

static size_t iterate_iovec(struct iov_iter *i, size_t len, void *priv, iov_step_f step)
{
	const struct iovec *p = i->__iov;
	size_t progress = 0, skip = i->iov_offset;

	do {
		size_t part = min_t(size_t, len, p->iov_len - skip);

		if (likely(part)) {
			size_t consumed = part - step((char *)p->iov_base + skip, progress, part, priv);

			progress += consumed;
			skip += consumed;
			len -= consumed;
			if (skip < p->iov_len)
				break;
		}
		p++;
		skip = 0;
	} while (len);
	i->nr_segs -= p - i->__iov;
	i->__iov = p;
	i->iov_offset = skip;
	i->count -= progress;
	return progress;
}

/* A bvec's memory is virtually contiguous from page_address(bv_page) + bv_offset. */
static inline char *bvec_base(const struct bio_vec *p)
{
	return (char *)page_address(p->bv_page) + p->bv_offset;
}

/*
 * Bytes from @skip into @p that one step can take: the rest of @p and of each
 * following bvec whose memory continues exactly where the previous one ends,
 * at most @len. Model difference, for speed only: the kernel copies bvecs page
 * by page; here a run of arena pages is virtually contiguous, so a per-page
 * bio_vec array costs one memcpy rather than one per page. The result and the
 * iterator state are exactly those of one step per bvec.
 */
static size_t bvec_run(const struct bio_vec *p, const struct bio_vec *end, size_t skip,
		       size_t len)
{
	size_t run = p->bv_len - skip;
	const char *next = bvec_base(p) + p->bv_len;

	while (run < len && ++p < end && bvec_base(p) == next) {
		run += p->bv_len;
		next += p->bv_len;
	}
	return min_t(size_t, run, len);
}

static size_t iterate_bvec(struct iov_iter *i, size_t len, void *priv, iov_step_f step)
{
	const struct bio_vec *p = i->bvec, *end = i->bvec + i->nr_segs;
	size_t progress = 0, skip = i->iov_offset;

	do {
		size_t part = bvec_run(p, end, skip, len), consumed;

		if (unlikely(!part)) {
			p++;
			skip = 0;
			continue;
		}
		consumed = part - step(bvec_base(p) + skip, progress, part, priv);
		progress += consumed;
		len -= consumed;
		/* Move past every bvec the step finished, as one step per bvec would. */
		skip += consumed;
		while ((skip || len) && skip >= p->bv_len) {
			skip -= p->bv_len;
			p++;
		}
		if (consumed < part)
			break;
	} while (len);
	i->nr_segs -= p - i->bvec;
	i->bvec = p;
	i->iov_offset = skip;
	i->count -= progress;
	return progress;
}

/*
 * Walk @len bytes (clamped to the count) with @ustep for user-backed memory and
 * @kstep for everything else. DISCARD only consumes; PIPE is the caller's job.
 */
static size_t iterate_and_advance(struct iov_iter *i, size_t len, void *priv, iov_step_f ustep,
				  iov_step_f kstep)
{
	if (unlikely(i->count < len))
		len = i->count;
	if (unlikely(!len))
		return 0;
	switch (iov_iter_type(i)) {
	case ITER_UBUF:
		return iterate_ubuf(i, len, priv, ustep);
	case ITER_IOVEC:
		return iterate_iovec(i, len, priv, ustep);
	case ITER_KVEC:
		return iterate_iovec(i, len, priv, kstep);
	case ITER_BVEC:
		return iterate_bvec(i, len, priv, kstep);
	case ITER_DISCARD:
		i->count -= len;
		return len;
	case ITER_PIPE:
		break;
	}
	return 0;
}

/* ---- construction ---- */

static void check_direction(unsigned int direction, const struct pinit_site *site)
{
	if (direction & ~(READ | WRITE))
		pinit_warn(site, "direction & ~(READ | WRITE)");
}

void _iov_iter_init(struct iov_iter *i, unsigned int direction, const struct iovec *iov,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site)
{
	check_direction(direction, site);
	*i = (struct iov_iter){
		.iter_type = ITER_IOVEC,
		.data_source = direction,
		.__iov = iov,
		.nr_segs = nr_segs,
		.iov_offset = 0,
		.count = count,
	};
}

void _iov_iter_ubuf(struct iov_iter *i, unsigned int direction, void *buf, size_t count,
		    const struct pinit_site *site)
{
	check_direction(direction, site);
	*i = (struct iov_iter){
		.iter_type = ITER_UBUF,
		.data_source = direction,
		.ubuf = buf,
		.count = count,
		.nr_segs = 1,
	};
}

void _iov_iter_kvec(struct iov_iter *i, unsigned int direction, const struct kvec *kvec,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site)
{
	check_direction(direction, site);
	*i = (struct iov_iter){
		.iter_type = ITER_KVEC,
		.data_source = direction,
		.kvec = kvec,
		.nr_segs = nr_segs,
		.count = count,
	};
}

void _iov_iter_bvec(struct iov_iter *i, unsigned int direction, const struct bio_vec *bvec,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site)
{
	check_direction(direction, site);
	*i = (struct iov_iter){
		.iter_type = ITER_BVEC,
		.data_source = direction,
		.bvec = bvec,
		.nr_segs = nr_segs,
		.count = count,
	};
}

void _iov_iter_discard(struct iov_iter *i, unsigned int direction, size_t count,
		       const struct pinit_site *site)
{
	if (direction != READ)
		pinit_bug(site, "iov_iter_discard() with direction != READ");
	*i = (struct iov_iter){
		.iter_type = ITER_DISCARD,
		.data_source = false,
		.count = count,
	};
}

void _iov_iter_pipe(struct iov_iter *i, unsigned int direction, int pipe_fd, size_t count,
		    const struct pinit_site *site)
{
	check_direction(direction, site);
	*i = (struct iov_iter){
		.iter_type = ITER_PIPE,
		.data_source = direction,
		.pipe_fd = pipe_fd,
		.count = count,
	};
}

/* ---- PIPE data movement ---- */

/* write(2) @len bytes into the pipe, or read(2) them out; stop at EOF or an error. */
static size_t pipe_transfer(struct iov_iter *i, void *buf, size_t len, bool to_pipe)
{
	size_t done = 0;

	len = min_t(size_t, len, i->count);
	while (done < len) {
		ssize_t n = to_pipe ? write(i->pipe_fd, (char *)buf + done, len - done)
				    : read(i->pipe_fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	i->count -= done;
	return done;
}

static size_t pipe_zero(struct iov_iter *i, size_t len)
{
	static const char zeroes[PAGE_SIZE];
	size_t done = 0;

	while (done < len) {
		size_t chunk = min_t(size_t, len - done, sizeof(zeroes));
		size_t n = pipe_transfer(i, (void *)zeroes, chunk, true);

		done += n;
		if (n < chunk)
			break;
	}
	return done;
}

static ssize_t pipe_splice(struct iov_iter *i, int fd, loff_t *off, size_t len,
			   unsigned int flags, bool into_pipe)
{
	ssize_t n;

	len = min_t(size_t, len, i->count);
	if (!len)
		return 0;
	do {
		n = into_pipe ? splice(fd, off, i->pipe_fd, NULL, len, flags)
			      : splice(i->pipe_fd, NULL, fd, off, len, flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	i->count -= n;
	return n;
}

ssize_t _iov_iter_splice_in(struct iov_iter *i, int fd, loff_t *off, size_t len,
			    unsigned int flags, const struct pinit_site *site)
{
	if (!iov_iter_is_pipe(i) || i->data_source) {
		pinit_warn(site, "iov_iter_splice_in() on an iterator that is not a DEST pipe");
		return -EINVAL;
	}
	return pipe_splice(i, fd, off, len, flags, true);
}

ssize_t _iov_iter_splice_out(struct iov_iter *i, int fd, loff_t *off, size_t len,
			     unsigned int flags, const struct pinit_site *site)
{
	if (!iov_iter_is_pipe(i) || !i->data_source) {
		pinit_warn(site, "iov_iter_splice_out() on an iterator that is not a SOURCE pipe");
		return -EINVAL;
	}
	return pipe_splice(i, fd, off, len, flags, false);
}

/* ---- copies ---- */

static size_t copy_to_user_iter(void *iter_to, size_t progress, size_t len, void *from)
{
	if (!access_ok(iter_to, len))
		return len;
	return raw_copy_to_user(iter_to, (char *)from + progress, len);
}

static size_t memcpy_to_iter(void *iter_to, size_t progress, size_t len, void *from)
{
	memcpy(iter_to, (char *)from + progress, len);
	return 0;
}

static size_t copy_from_user_iter(void *iter_from, size_t progress, size_t len, void *to)
{
	if (!access_ok(iter_from, len))
		return len;
	return raw_copy_from_user((char *)to + progress, iter_from, len);
}

static size_t memcpy_from_iter(void *iter_from, size_t progress, size_t len, void *to)
{
	memcpy((char *)to + progress, iter_from, len);
	return 0;
}

static size_t zero_to_user_iter(void *iter_to, size_t progress, size_t len, void *priv)
{
	return clear_user(iter_to, len);
}

static size_t zero_to_iter(void *iter_to, size_t progress, size_t len, void *priv)
{
	memset(iter_to, 0, len);
	return 0;
}

/* check_copy_size(): the kernel refuses copies larger than INT_MAX with a WARN. */
static bool check_copy_size(size_t bytes, const struct pinit_site *site)
{
	if (bytes > INT_MAX) {
		pinit_warn(site, "copy size > INT_MAX (check_copy_size)");
		return false;
	}
	return true;
}

size_t _copy_to_iter(const void *addr, size_t bytes, struct iov_iter *i,
		     const struct pinit_site *site)
{
	if (PINIT_WARN_ON(i->data_source, site))
		return 0;
	if (!check_copy_size(bytes, site))
		return 0;
	if (iov_iter_is_pipe(i))
		return pipe_transfer(i, (void *)addr, bytes, true);
	return iterate_and_advance(i, bytes, (void *)addr, copy_to_user_iter, memcpy_to_iter);
}

size_t _copy_from_iter(void *addr, size_t bytes, struct iov_iter *i,
		       const struct pinit_site *site)
{
	if (PINIT_WARN_ON(!i->data_source, site))
		return 0;
	if (!check_copy_size(bytes, site))
		return 0;
	if (iov_iter_is_pipe(i))
		return pipe_transfer(i, addr, bytes, false);
	return iterate_and_advance(i, bytes, addr, copy_from_user_iter, memcpy_from_iter);
}

bool _copy_to_iter_full(const void *addr, size_t bytes, struct iov_iter *i,
			const struct pinit_site *site)
{
	size_t copied = _copy_to_iter(addr, bytes, i, site);

	if (likely(copied == bytes))
		return true;
	_iov_iter_revert(i, copied, site);
	return false;
}

bool _copy_from_iter_full(void *addr, size_t bytes, struct iov_iter *i,
			  const struct pinit_site *site)
{
	size_t copied = _copy_from_iter(addr, bytes, i, site);

	if (likely(copied == bytes))
		return true;
	_iov_iter_revert(i, copied, site);
	return false;
}

/*
 * page_copy_sane(): @offset + @n must lie within the page, or for a large
 * (arena) folio within the arena it belongs to.
 */
static bool page_copy_sane(struct page *page, size_t offset, size_t n)
{
	size_t v = n + offset;
	struct arena *a;

	if (likely(n <= v && v <= PAGE_SIZE))
		return true;
	if (!page_is_large(page) || n > v)
		return false;
	a = arena_of(page_address(page));
	return a && arena_page(a, (char *)page_address(page) + v - 1);
}

size_t _copy_page_to_iter(struct page *page, size_t offset, size_t bytes, struct iov_iter *i,
			  const struct pinit_site *site)
{
	if (!page_copy_sane(page, offset, bytes)) {
		pinit_warn(site, "!page_copy_sane(page, offset, bytes)");
		return 0;
	}
	if (PINIT_WARN_ON(i->data_source, site))
		return 0;
	return _copy_to_iter((char *)page_address(page) + offset, bytes, i, site);
}

size_t _copy_page_from_iter(struct page *page, size_t offset, size_t bytes, struct iov_iter *i,
			    const struct pinit_site *site)
{
	if (!page_copy_sane(page, offset, bytes)) {
		pinit_warn(site, "!page_copy_sane(page, offset, bytes)");
		return 0;
	}
	return _copy_from_iter((char *)page_address(page) + offset, bytes, i, site);
}

size_t _iov_iter_zero(size_t bytes, struct iov_iter *i, const struct pinit_site *site)
{
	if (iov_iter_is_pipe(i)) {
		if (PINIT_WARN_ON(i->data_source, site))
			return 0;
		return pipe_zero(i, min_t(size_t, bytes, i->count));
	}
	return iterate_and_advance(i, bytes, NULL, zero_to_user_iter, zero_to_iter);
}

/* ---- position ---- */

static void iovec_advance(struct iov_iter *i, size_t size)
{
	const struct iovec *iov, *end;

	if (!i->count)
		return;
	i->count -= size;
	size += i->iov_offset;	/* from the beginning of the current segment */
	for (iov = i->__iov, end = iov + i->nr_segs; iov < end; iov++) {
		if (likely(size < iov->iov_len))
			break;
		size -= iov->iov_len;
	}
	i->iov_offset = size;
	i->nr_segs -= iov - i->__iov;
	i->__iov = iov;
}

static void bvec_advance(struct iov_iter *i, size_t size)
{
	const struct bio_vec *bvec, *end;

	if (!i->count)
		return;
	i->count -= size;
	size += i->iov_offset;
	for (bvec = i->bvec, end = bvec + i->nr_segs; bvec < end; bvec++) {
		if (likely(size < bvec->bv_len))
			break;
		size -= bvec->bv_len;
	}
	i->iov_offset = size;
	i->nr_segs -= bvec - i->bvec;
	i->bvec = bvec;
}

/* A SOURCE pipe skips data by reading it into a scratch buffer. */
static void pipe_advance(struct iov_iter *i, size_t size, const struct pinit_site *site)
{
	char scratch[PAGE_SIZE];

	if (!i->data_source) {
		pinit_warn(site, "iov_iter_advance() on a DEST pipe");
		return;
	}
	while (size) {
		size_t chunk = min_t(size_t, size, sizeof(scratch));
		size_t n = pipe_transfer(i, scratch, chunk, false);

		size -= n;
		if (n < chunk)
			break;
	}
}

void _iov_iter_advance(struct iov_iter *i, size_t size, const struct pinit_site *site)
{
	if (unlikely(i->count < size))
		size = i->count;
	switch (iov_iter_type(i)) {
	case ITER_UBUF:
		i->iov_offset += size;
		i->count -= size;
		break;
	case ITER_IOVEC:
	case ITER_KVEC:
		iovec_advance(i, size);
		break;
	case ITER_BVEC:
		bvec_advance(i, size);
		break;
	case ITER_DISCARD:
		i->count -= size;
		break;
	case ITER_PIPE:
		pipe_advance(i, size, site);
		break;
	}
}

void _iov_iter_revert(struct iov_iter *i, size_t unroll, const struct pinit_site *site)
{
	if (!unroll)
		return;
	if (PINIT_WARN_ON(unroll > MAX_RW_COUNT, site))
		return;
	if (iov_iter_is_pipe(i)) {
		pinit_warn(site, "iov_iter_revert() on a pipe (data already moved)");
		return;
	}
	i->count += unroll;
	if (unlikely(iov_iter_is_discard(i)))
		return;
	if (unroll <= i->iov_offset) {
		i->iov_offset -= unroll;
		return;
	}
	unroll -= i->iov_offset;
	if (iter_is_ubuf(i)) {
		/* "straying into pages that aren't pinned" */
		pinit_bug(site, "iov_iter_revert() past the start of a UBUF");
	} else if (iov_iter_is_bvec(i)) {
		const struct bio_vec *bvec = i->bvec;

		for (;;) {
			size_t n = (--bvec)->bv_len;

			i->nr_segs++;
			if (unroll <= n) {
				i->bvec = bvec;
				i->iov_offset = n - unroll;
				return;
			}
			unroll -= n;
		}
	} else {
		const struct iovec *iov = i->__iov;

		for (;;) {
			size_t n = (--iov)->iov_len;

			i->nr_segs++;
			if (unroll <= n) {
				i->__iov = iov;
				i->iov_offset = n - unroll;
				return;
			}
			unroll -= n;
		}
	}
}

size_t iov_iter_single_seg_count(const struct iov_iter *i)
{
	if (iov_iter_is_pipe(i) || i->nr_segs <= 1)
		return i->count;
	if (iter_is_iovec(i) || iov_iter_is_kvec(i))
		return min_t(size_t, i->count, i->__iov->iov_len - i->iov_offset);
	if (iov_iter_is_bvec(i))
		return min_t(size_t, i->count, i->bvec->bv_len - i->iov_offset);
	return i->count;
}

/*
 * The kernel's condition is written so that KVEC WARNs yet proceeds (the
 * parenthesis closes before "&& !iov_iter_is_kvec(i)"); the model implements
 * the documented contract, KVEC restorable without a warning.
 */
void _iov_iter_restore(struct iov_iter *i, const struct iov_iter_state *state,
		       const struct pinit_site *site)
{
	if (PINIT_WARN_ON(!iov_iter_is_bvec(i) && !iter_is_iovec(i) && !iter_is_ubuf(i) &&
				  !iov_iter_is_kvec(i),
			  site))
		return;
	i->iov_offset = state->iov_offset;
	i->count = state->count;
	if (iter_is_ubuf(i))
		return;
	/* nr_segs + segment pointer is constant while the iterator moves. */
	if (iov_iter_is_bvec(i))
		i->bvec -= state->nr_segs - i->nr_segs;
	else
		i->__iov -= state->nr_segs - i->nr_segs;
	i->nr_segs = state->nr_segs;
}

int dup_iter_checked(struct iov_iter *new, struct iov_iter *old, const void **array)
{
	size_t elem;
	void *copy;

	switch (iov_iter_type(old)) {
	case ITER_IOVEC:
		elem = sizeof(struct iovec);
		break;
	case ITER_KVEC:
		elem = sizeof(struct kvec);
		break;
	case ITER_BVEC:
		elem = sizeof(struct bio_vec);
		break;
	default:
		*new = *old;
		*array = NULL;
		return 0;
	}
	copy = pinit_malloc(old->nr_segs ? old->nr_segs * elem : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, old->__iov, old->nr_segs * elem);
	*new = *old;
	new->__iov = copy;
	*array = copy;
	return 0;
}

const void *dup_iter(struct iov_iter *new, struct iov_iter *old)
{
	const void *array = NULL;

	if (dup_iter_checked(new, old, &array))
		return NULL;
	return array;
}

/* ---- geometry ---- */

static unsigned long iovec_alignment(const struct iov_iter *i)
{
	const struct iovec *iov = i->__iov;
	unsigned long res = 0;
	size_t size = i->count, skip = i->iov_offset;

	do {
		size_t len = iov->iov_len - skip;

		if (len) {
			res |= (unsigned long)iov->iov_base + skip;
			if (len > size)
				len = size;
			res |= len;
			size -= len;
		}
		iov++;
		skip = 0;
	} while (size);
	return res;
}

static unsigned long bvec_alignment(const struct iov_iter *i)
{
	const struct bio_vec *bvec = i->bvec;
	unsigned long res = 0;
	size_t size = i->count, skip = i->iov_offset;

	do {
		size_t len = bvec->bv_len - skip;

		res |= (unsigned long)bvec->bv_offset + skip;
		if (len > size)
			len = size;
		res |= len;
		bvec++;
		size -= len;
		skip = 0;
	} while (size);
	return res;
}

unsigned long iov_iter_alignment(const struct iov_iter *i)
{
	switch (iov_iter_type(i)) {
	case ITER_UBUF: {
		size_t size = i->count;

		return size ? ((unsigned long)i->ubuf + i->iov_offset) | size : 0;
	}
	/* As in the kernel, an empty iterator still reports its first segment's start. */
	case ITER_IOVEC:
	case ITER_KVEC:
		return i->nr_segs ? iovec_alignment(i) : 0;
	case ITER_BVEC:
		return i->nr_segs ? bvec_alignment(i) : 0;
	case ITER_DISCARD:
	case ITER_PIPE:
		break;
	}
	return 0;
}

unsigned long _iov_iter_gap_alignment(const struct iov_iter *i, const struct pinit_site *site)
{
	unsigned long res = 0, v = 0;
	size_t size = i->count;

	if (iter_is_ubuf(i))
		return 0;
	if (PINIT_WARN_ON(!iter_is_iovec(i), site))
		return ~0U;	/* the kernel's value: an unsigned int widened */
	/* The kernel starts at the current segment and ignores iov_offset; so does the model. */
	for (unsigned int k = 0; k < i->nr_segs; k++) {
		const struct iovec *iov = &i->__iov[k];

		if (iov->iov_len) {
			unsigned long base = (unsigned long)iov->iov_base;

			if (v)	/* this start | previous end */
				res |= base | v;
			v = base + iov->iov_len;
			if (size <= iov->iov_len)
				break;
			size -= iov->iov_len;
		}
	}
	return res;
}

static int iovec_npages(const struct iov_iter *i, int maxpages)
{
	size_t skip = i->iov_offset, size = i->count;
	const struct iovec *p;
	int npages = 0;

	for (p = i->__iov; size; skip = 0, p++) {
		unsigned long addr = (unsigned long)p->iov_base + skip;
		size_t len = p->iov_len - skip;

		if (unlikely(!len))
			continue;
		if (len > size)
			len = size;
		npages += DIV_ROUND_UP(addr % PAGE_SIZE + len, PAGE_SIZE);
		if (npages >= maxpages)
			return maxpages;
		size -= len;
	}
	return npages;
}

static int bvec_npages(const struct iov_iter *i, int maxpages)
{
	size_t skip = i->iov_offset, size = i->count;
	const struct bio_vec *p;
	int npages = 0;

	for (p = i->bvec; size; skip = 0, p++) {
		unsigned int offs = (p->bv_offset + skip) % PAGE_SIZE;
		size_t len = min_t(size_t, p->bv_len - skip, size);

		size -= len;
		npages += DIV_ROUND_UP(offs + len, PAGE_SIZE);
		if (npages >= maxpages)
			return maxpages;
	}
	return npages;
}

int iov_iter_npages(const struct iov_iter *i, int maxpages)
{
	if (unlikely(!i->count))
		return 0;
	switch (iov_iter_type(i)) {
	case ITER_UBUF: {
		unsigned long offs = ((unsigned long)i->ubuf + i->iov_offset) % PAGE_SIZE;
		int npages = DIV_ROUND_UP(offs + i->count, PAGE_SIZE);

		return min_t(int, npages, maxpages);
	}
	case ITER_IOVEC:
	case ITER_KVEC:
		return iovec_npages(i, maxpages);
	case ITER_BVEC:
		return bvec_npages(i, maxpages);
	case ITER_DISCARD:
	case ITER_PIPE:
		break;
	}
	return 0;
}

static bool iovec_is_aligned(const struct iov_iter *i, unsigned long addr_mask,
			     unsigned long len_mask)
{
	const struct iovec *iov = i->__iov;
	size_t size = i->count, skip = i->iov_offset;

	do {
		size_t len = iov->iov_len - skip;

		if (len > size)
			len = size;
		if (len & len_mask)
			return false;
		if (((unsigned long)iov->iov_base + skip) & addr_mask)
			return false;
		iov++;
		size -= len;
		skip = 0;
	} while (size);
	return true;
}

static bool bvec_is_aligned(const struct iov_iter *i, unsigned long addr_mask,
			    unsigned long len_mask)
{
	const struct bio_vec *bvec = i->bvec;
	size_t size = i->count, skip = i->iov_offset;

	do {
		size_t len = bvec->bv_len - skip;

		if (len > size)
			len = size;
		if (len & len_mask)
			return false;
		if (((unsigned long)page_address(bvec->bv_page) + bvec->bv_offset + skip) &
		    addr_mask)
			return false;
		bvec++;
		size -= len;
		skip = 0;
	} while (size);
	return true;
}

bool iov_iter_is_aligned(const struct iov_iter *i, unsigned long addr_mask,
			 unsigned long len_mask)
{
	switch (iov_iter_type(i)) {
	case ITER_UBUF:
		if (i->count & len_mask)
			return false;
		return !(((unsigned long)i->ubuf + i->iov_offset) & addr_mask);
	case ITER_IOVEC:
	case ITER_KVEC:
		return !i->count || iovec_is_aligned(i, addr_mask, len_mask);
	case ITER_BVEC:
		return !i->count || bvec_is_aligned(i, addr_mask, len_mask);
	case ITER_DISCARD:
	case ITER_PIPE:
		return !(i->count & len_mask);
	}
	return false;
}
