/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct iov_iter: a userspace model of include/linux/uio.h (spec §1).
 *
 * Names, return values and side effects follow the kernel, per iterator type
 * (spec §1.2 table, §1.11 M-1). Where the model has to differ, the comment says
 * so; docs/libpinit.md collects the differences.
 *
 * Memory model (M-4): "user memory" is this process's address space (UBUF and
 * IOVEC are user-backed); "kernel memory" (KVEC) is library-owned memory whose
 * pages are never handed out; BVEC segments name page descriptors (usually
 * arena pages); PIPE holds its data in a pipe file descriptor.
 *
 * Entry points that can WARN or BUG are macros that pass the caller's site.
 */
#ifndef PINIT_UIO_H
#define PINIT_UIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "page.h"
#include "site.h"

#define READ 0
#define WRITE 1
#define ITER_SOURCE 1	/* == WRITE: data is read out of the iterator (a write(2)) */
#define ITER_DEST 0	/* == READ: data is written into the iterator (a read(2)) */

#define UIO_FASTIOV 8
#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024	/* <sys/uio.h> has the same value */
#endif
#define MAX_RW_COUNT ((size_t)(INT32_MAX & PAGE_MASK))

/* Highest user address + 1, for access_ok() (x86-64, 4-level paging). */
#define TASK_SIZE_MAX ((1UL << 47) - PAGE_SIZE)

enum iter_type {
	ITER_UBUF,
	ITER_IOVEC,
	ITER_BVEC,
	ITER_KVEC,
	ITER_DISCARD,
	ITER_PIPE,
};

struct kvec {
	void *iov_base;
	size_t iov_len;
};

struct bio_vec {
	struct page *bv_page;	/* first page; the segment is virtually contiguous from it */
	unsigned int bv_len;
	unsigned int bv_offset;	/* may exceed PAGE_SIZE, as in the kernel */
};

struct iov_iter_state {
	size_t iov_offset;
	size_t count;
	unsigned long nr_segs;
};

struct iov_iter {
	uint8_t iter_type;
	bool nofault;		/* FOLL_NOFAULT when grabbing pages */
	bool data_source;	/* ITER_SOURCE */
	size_t iov_offset;	/* bytes used in the current segment (UBUF: from ubuf) */
	union {
		struct iovec __ubuf_iovec;	/* UBUF: iov_base = ubuf, iov_len = count */
		struct {
			union {
				const struct iovec *__iov;
				const struct kvec *kvec;
				const struct bio_vec *bvec;
				void *ubuf;
			};
			size_t count;	/* bytes left in the whole iterator */
		};
	};
	union {
		unsigned long nr_segs;
		int pipe_fd;		/* PIPE (model only: the kernel's pipe_inode_info) */
	};
};

/* iter_iov() reads a UBUF iterator as an iovec: ubuf and count lie where iov_base and iov_len do. */
_Static_assert(offsetof(struct iov_iter, __ubuf_iovec.iov_base) == offsetof(struct iov_iter, ubuf),
	       "UBUF: ubuf overlays __ubuf_iovec.iov_base");
_Static_assert(offsetof(struct iov_iter, __ubuf_iovec.iov_len) == offsetof(struct iov_iter, count),
	       "UBUF: count overlays __ubuf_iovec.iov_len");

typedef unsigned int iov_iter_extraction_t;
#define ITER_ALLOW_P2PDMA 0x01	/* accepted and ignored, as for non-user iterators */

static inline enum iter_type iov_iter_type(const struct iov_iter *i)
{
	return (enum iter_type)i->iter_type;
}

static inline bool iter_is_ubuf(const struct iov_iter *i)
{
	return iov_iter_type(i) == ITER_UBUF;
}

static inline bool iter_is_iovec(const struct iov_iter *i)
{
	return iov_iter_type(i) == ITER_IOVEC;
}

static inline bool iov_iter_is_kvec(const struct iov_iter *i)
{
	return iov_iter_type(i) == ITER_KVEC;
}

static inline bool iov_iter_is_bvec(const struct iov_iter *i)
{
	return iov_iter_type(i) == ITER_BVEC;
}

static inline bool iov_iter_is_discard(const struct iov_iter *i)
{
	return iov_iter_type(i) == ITER_DISCARD;
}

static inline bool iov_iter_is_pipe(const struct iov_iter *i)
{
	return iov_iter_type(i) == ITER_PIPE;
}

static inline bool user_backed_iter(const struct iov_iter *i)
{
	return iter_is_ubuf(i) || iter_is_iovec(i);
}

static inline unsigned char iov_iter_rw(const struct iov_iter *i)
{
	return i->data_source ? WRITE : READ;
}

static inline size_t iov_iter_count(const struct iov_iter *i)
{
	return i->count;
}

/* The current iovec (UBUF and IOVEC alike). */
static inline const struct iovec *iter_iov(const struct iov_iter *i)
{
	if (iter_is_ubuf(i))
		return &i->__ubuf_iovec;
	return i->__iov;
}

/* iov_iter_extract_will_pin(): true if extract pins the pages (user-backed). */
static inline bool iov_iter_extract_will_pin(const struct iov_iter *i)
{
	return user_backed_iter(i);
}

/* access_ok(): the range does not wrap and lies below TASK_SIZE_MAX. */
static inline bool access_ok(const void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr;

	return size <= TASK_SIZE_MAX && a <= TASK_SIZE_MAX - size;
}

/* ---- construction (spec §1.4). None validates @count against the segments. ---- */

/* The direction must be ITER_SOURCE or ITER_DEST; anything else is warned. */
#define iov_iter_init(i, dir, iov, nr_segs, count)                                    \
	_iov_iter_init((i), (dir), (iov), (nr_segs), (count), PINIT_SITE)
void _iov_iter_init(struct iov_iter *i, unsigned int direction, const struct iovec *iov,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site);

#define iov_iter_ubuf(i, dir, buf, count)                                             \
	_iov_iter_ubuf((i), (dir), (buf), (count), PINIT_SITE)
void _iov_iter_ubuf(struct iov_iter *i, unsigned int direction, void *buf, size_t count,
		    const struct pinit_site *site);

#define iov_iter_kvec(i, dir, kvec, nr_segs, count)                                   \
	_iov_iter_kvec((i), (dir), (kvec), (nr_segs), (count), PINIT_SITE)
void _iov_iter_kvec(struct iov_iter *i, unsigned int direction, const struct kvec *kvec,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site);

#define iov_iter_bvec(i, dir, bvec, nr_segs, count)                                   \
	_iov_iter_bvec((i), (dir), (bvec), (nr_segs), (count), PINIT_SITE)
void _iov_iter_bvec(struct iov_iter *i, unsigned int direction, const struct bio_vec *bvec,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site);

/* iov_iter_discard(): @direction must be READ (ITER_DEST); anything else is a BUG. */
#define iov_iter_discard(i, dir, count) _iov_iter_discard((i), (dir), (count), PINIT_SITE)
void _iov_iter_discard(struct iov_iter *i, unsigned int direction, size_t count,
		       const struct pinit_site *site);

/*
 * iov_iter_pipe(): @count bytes held in (SOURCE) or to be put into (DEST) the
 * pipe @pipe_fd. Model difference: the kernel's ITER_PIPE (4.9–6.5) was
 * READ-only; here a SOURCE pipe iterator stands for a splice-mode FUSE WRITE
 * payload. Copies read(2)/write(2) the pipe; iov_iter_splice_in/out() move data
 * between the pipe and a file without copying.
 */
#define iov_iter_pipe(i, dir, pipe_fd, count)                                         \
	_iov_iter_pipe((i), (dir), (pipe_fd), (count), PINIT_SITE)
void _iov_iter_pipe(struct iov_iter *i, unsigned int direction, int pipe_fd, size_t count,
		    const struct pinit_site *site);

/* ---- copies (spec §1.5): return bytes copied; the iterator advances by exactly that ---- */

/*
 * Copy into a DEST iterator. A SOURCE iterator is warned and gets 0. User-backed
 * segments stop at the first unwritable byte (short result); other types never
 * copy short (PIPE: a write(2) error also stops the copy).
 */
#define copy_to_iter(addr, bytes, i) _copy_to_iter((addr), (bytes), (i), PINIT_SITE)
size_t _copy_to_iter(const void *addr, size_t bytes, struct iov_iter *i,
		     const struct pinit_site *site);

/* Copy out of a SOURCE iterator; a DEST iterator is warned and gets 0. */
#define copy_from_iter(addr, bytes, i) _copy_from_iter((addr), (bytes), (i), PINIT_SITE)
size_t _copy_from_iter(void *addr, size_t bytes, struct iov_iter *i,
		       const struct pinit_site *site);

/* All-or-nothing: on a short copy, revert what was copied and return false. */
#define copy_to_iter_full(addr, bytes, i)                                             \
	_copy_to_iter_full((addr), (bytes), (i), PINIT_SITE)
bool _copy_to_iter_full(const void *addr, size_t bytes, struct iov_iter *i,
			const struct pinit_site *site);
#define copy_from_iter_full(addr, bytes, i)                                           \
	_copy_from_iter_full((addr), (bytes), (i), PINIT_SITE)
bool _copy_from_iter_full(void *addr, size_t bytes, struct iov_iter *i,
			  const struct pinit_site *site);

/*
 * Page copies. page_copy_sane(): @offset + @bytes must stay inside the page (or
 * the large folio); otherwise warned, 0 returned.
 */
#define copy_page_to_iter(page, offset, bytes, i)                                     \
	_copy_page_to_iter((page), (offset), (bytes), (i), PINIT_SITE)
size_t _copy_page_to_iter(struct page *page, size_t offset, size_t bytes, struct iov_iter *i,
			  const struct pinit_site *site);
#define copy_page_from_iter(page, offset, bytes, i)                                   \
	_copy_page_from_iter((page), (offset), (bytes), (i), PINIT_SITE)
size_t _copy_page_from_iter(struct page *page, size_t offset, size_t bytes, struct iov_iter *i,
			    const struct pinit_site *site);

/*
 * Zero @bytes of the iterator. No direction check, as in the kernel, except that
 * a PIPE must be a DEST (a SOURCE pipe is model-only; warned, 0 returned).
 */
#define iov_iter_zero(bytes, i) _iov_iter_zero((bytes), (i), PINIT_SITE)
size_t _iov_iter_zero(size_t bytes, struct iov_iter *i, const struct pinit_site *site);

/* ---- PIPE data movement (model only; see iov_iter_pipe()) ---- */

/*
 * DEST pipe: splice up to @len bytes from @fd (at *@off, or the file position if
 * @off is NULL) into the pipe. Returns bytes moved (advancing the iterator) or a
 * negative errno. Non-PIPE or SOURCE iterators are warned and get -EINVAL.
 */
#define iov_iter_splice_in(i, fd, off, len, flags)                                    \
	_iov_iter_splice_in((i), (fd), (off), (len), (flags), PINIT_SITE)
ssize_t _iov_iter_splice_in(struct iov_iter *i, int fd, loff_t *off, size_t len,
			    unsigned int flags, const struct pinit_site *site);

/* SOURCE pipe: splice up to @len bytes out of the pipe into @fd. */
#define iov_iter_splice_out(i, fd, off, len, flags)                                   \
	_iov_iter_splice_out((i), (fd), (off), (len), (flags), PINIT_SITE)
ssize_t _iov_iter_splice_out(struct iov_iter *i, int fd, loff_t *off, size_t len,
			     unsigned int flags, const struct pinit_site *site);

/* ---- position (spec §1.6) ---- */

/*
 * Advance by @bytes (clamped to the count). PIPE: a SOURCE pipe discards the
 * bytes from the pipe; a DEST pipe cannot skip and is warned.
 */
#define iov_iter_advance(i, bytes) _iov_iter_advance((i), (bytes), PINIT_SITE)
void _iov_iter_advance(struct iov_iter *i, size_t bytes, const struct pinit_site *site);

/*
 * Step back @unroll bytes. Reverting past the start of a UBUF is a BUG (abort);
 * IOVEC, KVEC and BVEC walk back across segments (nothing checks the caller
 * consumed that much, as in the kernel); PIPE cannot revert (warned).
 */
#define iov_iter_revert(i, unroll) _iov_iter_revert((i), (unroll), PINIT_SITE)
void _iov_iter_revert(struct iov_iter *i, size_t unroll, const struct pinit_site *site);

/* count = min(count, @count): an upper limit, not the new size. */
static inline void iov_iter_truncate(struct iov_iter *i, uint64_t count)
{
	if (i->count > count)
		i->count = count;
}

/* count = @count; it must not exceed the count before the matching truncate. */
static inline void iov_iter_reexpand(struct iov_iter *i, size_t count)
{
	i->count = count;
}

/* Bytes left in the current segment (IOVEC/KVEC/BVEC with nr_segs > 1), else count. */
size_t iov_iter_single_seg_count(const struct iov_iter *i);

static inline void iov_iter_save_state(const struct iov_iter *i, struct iov_iter_state *state)
{
	state->iov_offset = i->iov_offset;
	state->count = i->count;
	state->nr_segs = i->nr_segs;
}

/* Restore a saved state. Only BVEC, IOVEC, UBUF and KVEC; others are warned. */
#define iov_iter_restore(i, state) _iov_iter_restore((i), (state), PINIT_SITE)
void _iov_iter_restore(struct iov_iter *i, const struct iov_iter_state *state,
		       const struct pinit_site *site);

/*
 * dup_iter(): copy @old into @new and duplicate its segment array for IOVEC,
 * KVEC and BVEC. Returns the new array (the caller frees it), or NULL both when
 * there is nothing to duplicate and when allocation fails — exactly the
 * kernel's ambiguity (spec §1.4). Use dup_iter_checked() to tell them apart.
 */
const void *dup_iter(struct iov_iter *new, struct iov_iter *old);

/*
 * dup_iter_checked(): as dup_iter(), but returns 0 with *@array set (NULL when
 * the type has no array), or -ENOMEM with @new untouched.
 */
int dup_iter_checked(struct iov_iter *new, struct iov_iter *old, const void **array);

/* ---- geometry (spec §1.7) ---- */

/* OR of every segment's start address and length within the count. */
unsigned long iov_iter_alignment(const struct iov_iter *i);

/* OR of "segment start | previous segment end" (IOVEC); UBUF 0; others warn and get ~0U. */
#define iov_iter_gap_alignment(i) _iov_iter_gap_alignment((i), PINIT_SITE)
unsigned long _iov_iter_gap_alignment(const struct iov_iter *i, const struct pinit_site *site);

/* Pages spanned by the remaining data, capped at @maxpages; 0 for DISCARD and PIPE. */
int iov_iter_npages(const struct iov_iter *i, int maxpages);

/*
 * iov_iter_is_aligned(): every segment's address is aligned to @addr_mask + 1
 * and every length to @len_mask + 1. Library helper only: the kernel removed it
 * in 2025 (spec §1.7). DISCARD and PIPE have no addresses: only the count is checked.
 */
bool iov_iter_is_aligned(const struct iov_iter *i, unsigned long addr_mask,
			 unsigned long len_mask);

/* ---- pages (spec §1.8) ---- */

/*
 * iov_iter_get_pages2(): take references (FOLL_GET; FOLL_WRITE for a DEST
 * iterator; FOLL_NOFAULT if i->nofault) on the pages of up to @maxsize bytes,
 * at most @maxpages pages, store them in @pages and the offset into the first in
 * *@start. User-backed iterators use only the first non-empty segment; BVEC the
 * current bvec. KVEC, DISCARD and PIPE are refused with -EFAULT (Linus 2014).
 * Returns bytes covered (iterator advanced by that) or a negative errno; 0 if
 * the count or @maxsize is 0. Release each page with put_page().
 */
#define iov_iter_get_pages2(i, pages, maxsize, maxpages, start)                       \
	_iov_iter_get_pages2((i), (pages), (maxsize), (maxpages), (start), PINIT_SITE)
ssize_t _iov_iter_get_pages2(struct iov_iter *i, struct page **pages, size_t maxsize,
			     unsigned int maxpages, size_t *start, const struct pinit_site *site);

/*
 * iov_iter_get_pages_alloc2(): as above with the array allocated (free() it);
 * *@pages is NULL whenever the result is <= 0.
 */
#define iov_iter_get_pages_alloc2(i, pages, maxsize, start)                           \
	_iov_iter_get_pages_alloc2((i), (pages), (maxsize), (start), PINIT_SITE)
ssize_t _iov_iter_get_pages_alloc2(struct iov_iter *i, struct page ***pages, size_t maxsize,
				   size_t *start, const struct pinit_site *site);

/*
 * iov_iter_extract_pages(): user-backed iterators are pinned (FOLL_PIN, and
 * FOLL_WRITE for DEST), first non-empty segment only; KVEC and BVEC pages are
 * listed with nothing taken (tagged LISTED; BVEC stops at a non-page-aligned
 * seam); DISCARD and PIPE give -EFAULT. If *@pages is NULL an array is
 * allocated (the caller frees it). Returns bytes, advancing the iterator; the
 * offset into the first page goes to *@offset0. Release with
 * unpin_user_pages*() iff iov_iter_extract_will_pin().
 */
#define iov_iter_extract_pages(i, pages, maxsize, maxpages, flags, offset0)           \
	_iov_iter_extract_pages((i), (pages), (maxsize), (maxpages), (flags), (offset0),  \
				PINIT_SITE)
ssize_t _iov_iter_extract_pages(struct iov_iter *i, struct page ***pages, size_t maxsize,
				unsigned int maxpages, iov_iter_extraction_t extraction_flags,
				size_t *offset0, const struct pinit_site *site);

/* ---- import (spec §1.4) ---- */

/*
 * import_iovec(): read @nr_segs iovecs from @uvec (user memory: an unreadable
 * array gives -EFAULT), into *@iovp if @nr_segs <= @fast_segs, else into a new
 * allocation stored in *@iovp. One segment yields a UBUF iterator and *@iovp =
 * NULL (even on error); zero segments an empty IOVEC. More than UIO_MAXIOV or a
 * negative length gives -EINVAL, a segment failing access_ok() -EFAULT. The total
 * is capped at MAX_RW_COUNT by shortening segment lengths in place. Returns the
 * total or a negative errno; the caller may always free(*@iovp).
 */
#define import_iovec(type, uvec, nr_segs, fast_segs, iovp, i)                         \
	_import_iovec((type), (uvec), (nr_segs), (fast_segs), (iovp), (i), PINIT_SITE)
ssize_t _import_iovec(int type, const struct iovec *uvec, unsigned int nr_segs,
		      unsigned int fast_segs, struct iovec **iovp, struct iov_iter *i,
		      const struct pinit_site *site);

/* import_ubuf(): cap @len at MAX_RW_COUNT; -EFAULT if access_ok() fails; else 0. */
#define import_ubuf(type, buf, len, i) _import_ubuf((type), (buf), (len), (i), PINIT_SITE)
int _import_ubuf(int type, void *buf, size_t len, struct iov_iter *i,
		 const struct pinit_site *site);

/* ---- fault-in (spec §1.9, M-6) ---- */

/*
 * fault_in_iov_iter_readable/writeable(): fault in up to @size bytes of the
 * iterator with MADV_POPULATE_READ/WRITE (writeable breaks COW and writes
 * nothing). Returns the number of bytes NOT faulted in, page-granular, counting
 * bytes beyond iov_iter_count() as not faulted in; 0 for non-user iterators.
 * The iterator is not advanced. Nothing stays pinned: callers must still cope
 * with short copies afterwards.
 */
size_t fault_in_iov_iter_readable(const struct iov_iter *i, size_t size);
size_t fault_in_iov_iter_writeable(const struct iov_iter *i, size_t size);

/*
 * The all-or-nothing form Al Viro asked to keep separate (the pre-5.16
 * iov_iter_fault_in_readable contract): 0 if all @size bytes were faulted in,
 * else -EFAULT. A caller that retries on -EFAULT after a partial fault-in can
 * loop forever (the gfs2 hang); callers that can use partial progress should
 * use the functions above.
 */
int fault_in_iov_iter_readable_all(const struct iov_iter *i, size_t size);
int fault_in_iov_iter_writeable_all(const struct iov_iter *i, size_t size);

/*
 * fault_in_readable/fault_in_safe_writeable(): the same on a plain range;
 * return bytes not faulted in.
 */
size_t fault_in_readable(const void *uaddr, size_t size);
size_t fault_in_safe_writeable(const void *uaddr, size_t size);

/* ---- user copies (the copy_{to,from}_user analogue) ---- */

/*
 * Copy between this process's memory and "user" memory without ever crashing:
 * return the number of bytes NOT copied, stopping at the first byte that cannot
 * be read (from) or written (to). Healthy copies are one memcpy.
 */
size_t copy_to_user(void *to, const void *from, size_t n);
size_t copy_from_user(void *to, const void *from, size_t n);
size_t clear_user(void *to, size_t n);

#endif
