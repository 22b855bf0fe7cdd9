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
 *
 * Every call may be made from any thread; an iterator is its caller's alone
 * (nothing here locks it), as in the kernel. "Warned" means one warning is
 * counted with the caller's site (warn.h, M-2); a BUG logs and aborts.
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

/* Type and direction tests, as the kernel's. */
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

/**
 * iov_iter_count() - bytes left in the iterator
 * @i: the iterator
 *
 * Context: Any thread.
 * Return: the count.
 */
static inline size_t iov_iter_count(const struct iov_iter *i)
{
	return i->count;
}

/**
 * iter_iov() - the current segment of a user-backed iterator
 * @i: a UBUF or IOVEC iterator
 *
 * Context: Any thread.
 * Return: the current iovec; for UBUF, one that overlays ubuf and count.
 */
static inline const struct iovec *iter_iov(const struct iov_iter *i)
{
	if (iter_is_ubuf(i))
		return &i->__ubuf_iovec;
	return i->__iov;
}

/**
 * iov_iter_extract_will_pin() - whether iov_iter_extract_pages() pins
 * @i: the iterator
 *
 * Context: Any thread.
 * Return: true for user-backed iterators, whose extracted pages must be
 * unpinned; false for the others, whose pages are only listed.
 */
static inline bool iov_iter_extract_will_pin(const struct iov_iter *i)
{
	return user_backed_iter(i);
}

/**
 * access_ok() - whether a range may be user memory
 * @addr: start
 * @size: length
 *
 * Context: Any thread.
 * Return: true if [@addr, @addr + @size) does not wrap and lies below
 * TASK_SIZE_MAX; nothing says it is mapped.
 */
static inline bool access_ok(const void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr;

	return size <= TASK_SIZE_MAX && a <= TASK_SIZE_MAX - size;
}

/* ---- construction (spec §1.4). None validates @count against the segments. ---- */

/**
 * iov_iter_init() - an IOVEC iterator over user memory
 * @i: the iterator to set up
 * @dir: ITER_SOURCE or ITER_DEST; anything else is warned and kept
 * @iov: the segments (not copied: they must outlive @i)
 * @nr_segs: number of segments
 * @count: bytes the iterator covers
 *
 * iov_iter_ubuf(), iov_iter_kvec() and iov_iter_bvec() take the same
 * arguments for one user buffer @buf, kernel segments @kvec and page segments
 * @bvec, with the same rules.
 *
 * Context: Any thread.
 */
#define iov_iter_init(i, dir, iov, nr_segs, count)                                    \
	_iov_iter_init((i), (dir), (iov), (nr_segs), (count), PINIT_SITE)
void _iov_iter_init(struct iov_iter *i, unsigned int direction, const struct iovec *iov,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site);

/**
 * iov_iter_ubuf() - a UBUF iterator over one user buffer
 * @i: the iterator to set up
 * @dir: as for iov_iter_init()
 * @buf: the buffer
 * @count: its length
 *
 * Context: Any thread.
 */
#define iov_iter_ubuf(i, dir, buf, count)                                             \
	_iov_iter_ubuf((i), (dir), (buf), (count), PINIT_SITE)
void _iov_iter_ubuf(struct iov_iter *i, unsigned int direction, void *buf, size_t count,
		    const struct pinit_site *site);

/**
 * iov_iter_kvec() - a KVEC iterator over library-owned memory
 * @i: the iterator to set up
 * @dir: as for iov_iter_init()
 * @kvec: the segments (not copied)
 * @nr_segs: number of segments
 * @count: bytes the iterator covers
 *
 * Its pages are never handed out (iov_iter_get_pages2() refuses, M-4).
 *
 * Context: Any thread.
 */
#define iov_iter_kvec(i, dir, kvec, nr_segs, count)                                   \
	_iov_iter_kvec((i), (dir), (kvec), (nr_segs), (count), PINIT_SITE)
void _iov_iter_kvec(struct iov_iter *i, unsigned int direction, const struct kvec *kvec,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site);

/**
 * iov_iter_bvec() - a BVEC iterator over page segments
 * @i: the iterator to set up
 * @dir: as for iov_iter_init()
 * @bvec: the segments (not copied)
 * @nr_segs: number of segments
 * @count: bytes the iterator covers
 *
 * Context: Any thread.
 */
#define iov_iter_bvec(i, dir, bvec, nr_segs, count)                                   \
	_iov_iter_bvec((i), (dir), (bvec), (nr_segs), (count), PINIT_SITE)
void _iov_iter_bvec(struct iov_iter *i, unsigned int direction, const struct bio_vec *bvec,
		    unsigned long nr_segs, size_t count, const struct pinit_site *site);

/**
 * iov_iter_discard() - a DISCARD iterator: copies into it consume and store nothing
 * @i: the iterator to set up
 * @dir: must be READ (ITER_DEST); anything else is a BUG
 * @count: bytes it accepts
 *
 * Context: Any thread.
 */
#define iov_iter_discard(i, dir, count) _iov_iter_discard((i), (dir), (count), PINIT_SITE)
void _iov_iter_discard(struct iov_iter *i, unsigned int direction, size_t count,
		       const struct pinit_site *site);

/**
 * iov_iter_pipe() - a PIPE iterator over data in a pipe
 * @i: the iterator to set up
 * @dir: ITER_SOURCE (@count bytes are in the pipe) or ITER_DEST (to be put there)
 * @pipe_fd: the pipe's end to read (SOURCE) or write (DEST)
 * @count: bytes the iterator covers
 *
 * Model difference: the kernel's ITER_PIPE (4.9–6.5) was READ-only; here a
 * SOURCE pipe iterator stands for a splice-mode FUSE WRITE payload. Copies
 * read(2)/write(2) the pipe; iov_iter_splice_in/out() move data between the
 * pipe and a file without copying.
 *
 * Context: Any thread.
 */
#define iov_iter_pipe(i, dir, pipe_fd, count)                                         \
	_iov_iter_pipe((i), (dir), (pipe_fd), (count), PINIT_SITE)
void _iov_iter_pipe(struct iov_iter *i, unsigned int direction, int pipe_fd, size_t count,
		    const struct pinit_site *site);

/* ---- copies (spec §1.5): return bytes copied; the iterator advances by exactly that ---- */

/**
 * copy_to_iter() - copy into a DEST iterator
 * @addr: the data
 * @bytes: how much; more than INT_MAX is warned and copies nothing
 *	(check_copy_size())
 * @i: the iterator
 *
 * A SOURCE iterator is warned and gets nothing. User-backed segments stop at
 * the first byte that cannot be written; the other types never copy short,
 * except PIPE on a write(2) error.
 *
 * Context: Any thread. A fault on user-backed memory ends the copy (the
 * trap, lib/trap.c); it does not kill the process. PIPE may block in write(2).
 * Return: the bytes copied; @i has advanced by exactly that.
 */
#define copy_to_iter(addr, bytes, i) _copy_to_iter((addr), (bytes), (i), PINIT_SITE)
size_t _copy_to_iter(const void *addr, size_t bytes, struct iov_iter *i,
		     const struct pinit_site *site);

/**
 * copy_from_iter() - copy out of a SOURCE iterator
 * @addr: the destination
 * @bytes: how much; more than INT_MAX is warned and copies nothing
 * @i: the iterator
 *
 * A DEST iterator is warned and gives nothing. User-backed segments stop at
 * the first byte that cannot be read; the other types never copy short,
 * except PIPE at end of data or on a read(2) error.
 *
 * Context: as copy_to_iter(); PIPE may block in read(2).
 * Return: the bytes copied; @i has advanced by exactly that.
 */
#define copy_from_iter(addr, bytes, i) _copy_from_iter((addr), (bytes), (i), PINIT_SITE)
size_t _copy_from_iter(void *addr, size_t bytes, struct iov_iter *i,
		       const struct pinit_site *site);

/**
 * copy_to_iter_full() - copy_to_iter(), all or nothing
 * @addr: the data
 * @bytes: how much
 * @i: the iterator
 *
 * A short copy is reverted (iov_iter_revert()): @i is where it was, though
 * the bytes written into it stay written. A PIPE cannot revert (warned).
 *
 * Context: as copy_to_iter().
 * Return: true if all @bytes were copied (@i advanced by @bytes), else false.
 */
#define copy_to_iter_full(addr, bytes, i)                                             \
	_copy_to_iter_full((addr), (bytes), (i), PINIT_SITE)
bool _copy_to_iter_full(const void *addr, size_t bytes, struct iov_iter *i,
			const struct pinit_site *site);

/**
 * copy_from_iter_full() - copy_from_iter(), all or nothing
 * @addr: the destination
 * @bytes: how much
 * @i: the iterator
 *
 * A short copy is reverted as in copy_to_iter_full().
 *
 * Context: as copy_from_iter().
 * Return: true if all @bytes were copied (@i advanced by @bytes), else false.
 */
#define copy_from_iter_full(addr, bytes, i)                                           \
	_copy_from_iter_full((addr), (bytes), (i), PINIT_SITE)
bool _copy_from_iter_full(void *addr, size_t bytes, struct iov_iter *i,
			  const struct pinit_site *site);

/**
 * copy_page_to_iter() - copy_to_iter() from a page
 * @page: the page
 * @offset: where in it to start
 * @bytes: how much
 * @i: the iterator
 *
 * page_copy_sane(): @offset + @bytes must stay inside the page, or for a large
 * (arena) folio inside its arena; otherwise warned and nothing copied.
 *
 * Context: as copy_to_iter().
 * Return: the bytes copied; @i has advanced by exactly that.
 */
#define copy_page_to_iter(page, offset, bytes, i)                                     \
	_copy_page_to_iter((page), (offset), (bytes), (i), PINIT_SITE)
size_t _copy_page_to_iter(struct page *page, size_t offset, size_t bytes, struct iov_iter *i,
			  const struct pinit_site *site);

/**
 * copy_page_from_iter() - copy_from_iter() into a page
 * @page: the page
 * @offset: where in it to start
 * @bytes: how much
 * @i: the iterator
 *
 * The same page_copy_sane() rule as copy_page_to_iter().
 *
 * Context: as copy_from_iter().
 * Return: the bytes copied; @i has advanced by exactly that.
 */
#define copy_page_from_iter(page, offset, bytes, i)                                   \
	_copy_page_from_iter((page), (offset), (bytes), (i), PINIT_SITE)
size_t _copy_page_from_iter(struct page *page, size_t offset, size_t bytes, struct iov_iter *i,
			    const struct pinit_site *site);

/**
 * iov_iter_zero() - write zeroes into the iterator
 * @bytes: how many
 * @i: the iterator
 *
 * No direction check, as in the kernel, except that a PIPE must be a DEST (a
 * SOURCE pipe is model-only: warned, nothing written). User-backed segments
 * stop at the first byte that cannot be written.
 *
 * Context: as copy_to_iter().
 * Return: the bytes zeroed; @i has advanced by exactly that.
 */
#define iov_iter_zero(bytes, i) _iov_iter_zero((bytes), (i), PINIT_SITE)
size_t _iov_iter_zero(size_t bytes, struct iov_iter *i, const struct pinit_site *site);

/* ---- PIPE data movement (model only; see iov_iter_pipe()) ---- */

/**
 * iov_iter_splice_in() - splice file data into a DEST pipe iterator
 * @i: the iterator
 * @fd: the file
 * @off: the file offset, advanced; NULL for the file position
 * @len: at most this much, and at most the count
 * @flags: splice(2) flags
 *
 * Context: Any thread; blocks as splice(2) does (EINTR is retried). An
 * iterator that is not a DEST pipe is warned.
 * Return: the bytes moved (@i advanced by that), or -errno: splice(2)'s, or
 * -EINVAL for an iterator that is not a DEST pipe.
 */
#define iov_iter_splice_in(i, fd, off, len, flags)                                    \
	_iov_iter_splice_in((i), (fd), (off), (len), (flags), PINIT_SITE)
ssize_t _iov_iter_splice_in(struct iov_iter *i, int fd, loff_t *off, size_t len,
			    unsigned int flags, const struct pinit_site *site);

/**
 * iov_iter_splice_out() - splice a SOURCE pipe iterator's data into a file
 * @i: the iterator
 * @fd: the file
 * @off: the file offset, advanced; NULL for the file position
 * @len: at most this much, and at most the count
 * @flags: splice(2) flags
 *
 * Context: as iov_iter_splice_in().
 * Return: the bytes moved (@i advanced by that), or -errno: splice(2)'s, or
 * -EINVAL for an iterator that is not a SOURCE pipe.
 */
#define iov_iter_splice_out(i, fd, off, len, flags)                                   \
	_iov_iter_splice_out((i), (fd), (off), (len), (flags), PINIT_SITE)
ssize_t _iov_iter_splice_out(struct iov_iter *i, int fd, loff_t *off, size_t len,
			     unsigned int flags, const struct pinit_site *site);

/* ---- position (spec §1.6) ---- */

/**
 * iov_iter_advance() - skip bytes
 * @i: the iterator
 * @bytes: how many; clamped to the count
 *
 * A SOURCE pipe reads the bytes out of the pipe and drops them; a DEST pipe
 * cannot skip and is warned.
 *
 * Context: Any thread; a SOURCE pipe may block in read(2).
 */
#define iov_iter_advance(i, bytes) _iov_iter_advance((i), (bytes), PINIT_SITE)
void _iov_iter_advance(struct iov_iter *i, size_t bytes, const struct pinit_site *site);

/**
 * iov_iter_revert() - step back
 * @i: the iterator
 * @unroll: bytes to step back; more than MAX_RW_COUNT is warned and ignored
 *
 * Reverting past the start of a UBUF is a BUG; IOVEC, KVEC and BVEC walk back
 * across segments (nothing checks that the caller consumed that much, as in
 * the kernel); a PIPE cannot revert (warned).
 *
 * Context: Any thread.
 */
#define iov_iter_revert(i, unroll) _iov_iter_revert((i), (unroll), PINIT_SITE)
void _iov_iter_revert(struct iov_iter *i, size_t unroll, const struct pinit_site *site);

/**
 * iov_iter_truncate() - limit the count
 * @i: the iterator
 * @count: the upper limit (not the new size: a smaller count stays)
 *
 * Context: Any thread.
 */
static inline void iov_iter_truncate(struct iov_iter *i, uint64_t count)
{
	if (i->count > count)
		i->count = count;
}

/**
 * iov_iter_reexpand() - undo iov_iter_truncate()
 * @i: the iterator
 * @count: the new count; at most the count before the matching truncate
 *
 * Context: Any thread.
 */
static inline void iov_iter_reexpand(struct iov_iter *i, size_t count)
{
	i->count = count;
}

/**
 * iov_iter_single_seg_count() - bytes left in the current segment
 * @i: the iterator
 *
 * Context: Any thread.
 * Return: for IOVEC, KVEC and BVEC with more than one segment, the bytes left
 * in the current one (at most the count); otherwise the count.
 */
size_t iov_iter_single_seg_count(const struct iov_iter *i);

/**
 * iov_iter_save_state() - remember the position, for iov_iter_restore()
 * @i: the iterator
 * @state: where to save it
 *
 * Context: Any thread.
 */
static inline void iov_iter_save_state(const struct iov_iter *i, struct iov_iter_state *state)
{
	state->iov_offset = i->iov_offset;
	state->count = i->count;
	state->nr_segs = i->nr_segs;
}

/**
 * iov_iter_restore() - go back to a saved position
 * @i: the iterator the state was saved from
 * @state: from iov_iter_save_state()
 *
 * Only BVEC, IOVEC, UBUF and KVEC; the others are warned and left as they
 * are. (The kernel's condition also warns for KVEC; the model implements
 * its documented contract.)
 *
 * Context: Any thread.
 */
#define iov_iter_restore(i, state) _iov_iter_restore((i), (state), PINIT_SITE)
void _iov_iter_restore(struct iov_iter *i, const struct iov_iter_state *state,
		       const struct pinit_site *site);

/**
 * dup_iter() - copy an iterator and its segment array
 * @new: the copy
 * @old: the original
 *
 * IOVEC, KVEC and BVEC get their own copy of the segment array; the other
 * types have none to copy. On allocation failure @new is untouched.
 *
 * Context: Any thread; allocates (pinit_malloc()).
 * Return: the new array (the caller frees it), or NULL both when there is
 * nothing to duplicate and when allocation fails: exactly the kernel's
 * ambiguity (spec §1.4). dup_iter_checked() tells them apart.
 */
const void *dup_iter(struct iov_iter *new, struct iov_iter *old);

/**
 * dup_iter_checked() - dup_iter() that tells "nothing to copy" from failure
 * @new: the copy
 * @old: the original
 * @array: receives the new array (the caller frees it), NULL when the type
 *	has none
 *
 * Context: Any thread; allocates (pinit_malloc()).
 * Return: 0, or -ENOMEM with @new untouched.
 */
int dup_iter_checked(struct iov_iter *new, struct iov_iter *old, const void **array);

/* ---- geometry (spec §1.7) ---- */

/**
 * iov_iter_alignment() - the alignment of the data left
 * @i: the iterator
 *
 * Context: Any thread.
 * Return: the OR of every segment's start (BVEC: its offset into the page)
 * and length within the count; 0 for DISCARD and PIPE. As in the kernel, an
 * empty IOVEC, KVEC or BVEC still reports its first segment's start.
 */
unsigned long iov_iter_alignment(const struct iov_iter *i);

/**
 * iov_iter_gap_alignment() - how segment boundaries meet
 * @i: the iterator
 *
 * As the kernel does, the walk starts at the current segment and ignores
 * iov_offset.
 *
 * Context: Any thread.
 * Return: for IOVEC, the OR of "segment start | previous segment end" over
 * the non-empty segments within the count; 0 for UBUF; for the other types a
 * warning and ~0U (the kernel's value).
 */
#define iov_iter_gap_alignment(i) _iov_iter_gap_alignment((i), PINIT_SITE)
unsigned long _iov_iter_gap_alignment(const struct iov_iter *i, const struct pinit_site *site);

/**
 * iov_iter_npages() - pages the data left spans
 * @i: the iterator
 * @maxpages: the cap
 *
 * Context: Any thread.
 * Return: the number of pages, at most @maxpages; 0 for an empty iterator,
 * DISCARD and PIPE.
 */
int iov_iter_npages(const struct iov_iter *i, int maxpages);

/**
 * iov_iter_is_aligned() - whether the data left meets an alignment
 * @i: the iterator
 * @addr_mask: alignment of every segment's address, less one
 * @len_mask: alignment of every segment's length within the count, less one
 *
 * Library helper only: the kernel removed it in 2025 (spec §1.7).
 *
 * Context: Any thread.
 * Return: true if every segment's address is aligned to @addr_mask + 1 and
 * every length to @len_mask + 1; for DISCARD and PIPE, which have no
 * addresses, if the count is aligned to @len_mask + 1.
 */
bool iov_iter_is_aligned(const struct iov_iter *i, unsigned long addr_mask,
			 unsigned long len_mask);

/* ---- pages (spec §1.8) ---- */

/**
 * iov_iter_get_pages2() - take references on the pages of the data
 * @i: the iterator
 * @pages: receives the pages; NULL is a BUG
 * @maxsize: at most this many bytes (and at most MAX_RW_COUNT)
 * @maxpages: at most this many pages
 * @start: receives the offset of the data into the first page
 *
 * References are FOLL_GET, with FOLL_WRITE for a DEST iterator and
 * FOLL_NOFAULT if i->nofault. User-backed iterators use only their first
 * non-empty segment, BVEC its current bvec; KVEC, DISCARD and PIPE are refused
 * (Linus 2014: getting pages out of a KVEC "is wrong; it must fail"). Release
 * each page with put_page().
 *
 * Context: as get_user_pages_fast() (gup.h).
 * Return: the bytes the pages cover (@i advanced by that); 0 if @maxpages,
 * @maxsize or the count is 0; -EFAULT for KVEC, DISCARD and PIPE or a first
 * page that cannot be had; -ENOMEM.
 */
#define iov_iter_get_pages2(i, pages, maxsize, maxpages, start)                       \
	_iov_iter_get_pages2((i), (pages), (maxsize), (maxpages), (start), PINIT_SITE)
ssize_t _iov_iter_get_pages2(struct iov_iter *i, struct page **pages, size_t maxsize,
			     unsigned int maxpages, size_t *start, const struct pinit_site *site);

/**
 * iov_iter_get_pages_alloc2() - iov_iter_get_pages2() into a new array
 * @i: the iterator
 * @pages: receives the array (free() it); NULL whenever the result is <= 0
 * @maxsize: at most this many bytes
 * @start: receives the offset of the data into the first page
 *
 * Context: as iov_iter_get_pages2(); allocates (pinit_malloc()).
 * Return: as iov_iter_get_pages2().
 */
#define iov_iter_get_pages_alloc2(i, pages, maxsize, start)                           \
	_iov_iter_get_pages_alloc2((i), (pages), (maxsize), (start), PINIT_SITE)
ssize_t _iov_iter_get_pages_alloc2(struct iov_iter *i, struct page ***pages, size_t maxsize,
				   size_t *start, const struct pinit_site *site);

/**
 * iov_iter_extract_pages() - pin or list the pages of the data
 * @i: the iterator
 * @pages: the array to fill, or a pointer to NULL to have one allocated (the
 *	caller frees it)
 * @maxsize: at most this many bytes
 * @maxpages: at most this many pages
 * @flags: iov_iter_extraction_t (ITER_ALLOW_P2PDMA is accepted and ignored)
 * @offset0: receives the offset of the data into the first page
 *
 * User-backed iterators are pinned (FOLL_PIN, with FOLL_WRITE for a DEST),
 * first non-empty segment only; KVEC and BVEC pages are listed with nothing
 * taken (tagged LISTED in the ledger; BVEC stops at a seam that is not
 * page-aligned). Release with unpin_user_pages*() iff
 * iov_iter_extract_will_pin().
 *
 * Context: as pin_user_pages_fast() (gup.h); may allocate.
 * Return: the bytes the pages cover (@i advanced by that; 0 if @maxsize or
 * the count is 0), or -EFAULT (DISCARD, PIPE, a first page that cannot be
 * had), -ENOMEM.
 */
#define iov_iter_extract_pages(i, pages, maxsize, maxpages, flags, offset0)           \
	_iov_iter_extract_pages((i), (pages), (maxsize), (maxpages), (flags), (offset0),  \
				PINIT_SITE)
ssize_t _iov_iter_extract_pages(struct iov_iter *i, struct page ***pages, size_t maxsize,
				unsigned int maxpages, iov_iter_extraction_t extraction_flags,
				size_t *offset0, const struct pinit_site *site);

/* ---- import (spec §1.4) ---- */

/**
 * import_iovec() - an iterator from a readv/writev-style iovec array
 * @type: ITER_SOURCE or ITER_DEST
 * @uvec: the array, in user memory
 * @nr_segs: its length
 * @fast_segs: the length of the caller's array *@iovp
 * @iovp: in: the caller's array of @fast_segs (or NULL); out: an allocated
 *	array to free, or NULL
 * @i: the iterator to set up
 *
 * The iovecs are read into the caller's array if @nr_segs <= @fast_segs, else
 * into a new allocation. One segment yields a UBUF iterator; zero an empty
 * IOVEC. The total is capped at MAX_RW_COUNT by shortening segment lengths in
 * place.
 *
 * Context: Any thread; reads @uvec with copy_from_user() (a fault is
 * -EFAULT, not a crash); may allocate.
 * Return: the total, or -EINVAL (more than UIO_MAXIOV segments, a negative
 * length), -EFAULT (an unreadable array, a segment failing access_ok()),
 * -ENOMEM. In every case the caller may free(*@iovp), which is NULL after a
 * single segment and after any error.
 */
#define import_iovec(type, uvec, nr_segs, fast_segs, iovp, i)                         \
	_import_iovec((type), (uvec), (nr_segs), (fast_segs), (iovp), (i), PINIT_SITE)
ssize_t _import_iovec(int type, const struct iovec *uvec, unsigned int nr_segs,
		      unsigned int fast_segs, struct iovec **iovp, struct iov_iter *i,
		      const struct pinit_site *site);

/**
 * import_ubuf() - a UBUF iterator from a read/write-style buffer
 * @type: ITER_SOURCE or ITER_DEST
 * @buf: the buffer
 * @len: its length, capped at MAX_RW_COUNT
 * @i: the iterator to set up
 *
 * Context: Any thread.
 * Return: 0, or -EFAULT if the buffer fails access_ok() (@i untouched).
 */
#define import_ubuf(type, buf, len, i) _import_ubuf((type), (buf), (len), (i), PINIT_SITE)
int _import_ubuf(int type, void *buf, size_t len, struct iov_iter *i,
		 const struct pinit_site *site);

/* ---- fault-in (spec §1.9, M-6) ---- */

/**
 * fault_in_iov_iter_readable() - fault in the data of a SOURCE iterator
 * @i: the iterator; not advanced
 * @size: bytes wanted from its position
 *
 * MADV_POPULATE_READ over the user segments. Nothing stays pinned: callers
 * must still cope with short copies afterwards.
 *
 * Context: Any thread; madvise(2) may block on I/O to fault pages in.
 * Return: the bytes NOT faulted in, page-granular, counting bytes beyond
 * iov_iter_count() as not faulted in; 0 for iterators that are not
 * user-backed.
 */
size_t fault_in_iov_iter_readable(const struct iov_iter *i, size_t size);

/**
 * fault_in_iov_iter_writeable() - fault in the buffer of a DEST iterator
 * @i: the iterator; not advanced
 * @size: bytes wanted from its position
 *
 * MADV_POPULATE_WRITE over the user segments: breaks COW, writes nothing.
 *
 * Context: as fault_in_iov_iter_readable().
 * Return: as fault_in_iov_iter_readable().
 */
size_t fault_in_iov_iter_writeable(const struct iov_iter *i, size_t size);

/**
 * fault_in_iov_iter_readable_all() - fault_in_iov_iter_readable(), all or nothing
 * @i: the iterator; not advanced
 * @size: bytes wanted
 *
 * The form Al Viro asked to keep separate (the pre-5.16
 * iov_iter_fault_in_readable() contract). A caller that retries on -EFAULT
 * after a partial fault-in can loop forever (the gfs2 hang); callers that can
 * use partial progress use fault_in_iov_iter_readable().
 *
 * Context: as fault_in_iov_iter_readable().
 * Return: 0 if all @size bytes were faulted in, else -EFAULT.
 */
int fault_in_iov_iter_readable_all(const struct iov_iter *i, size_t size);

/**
 * fault_in_iov_iter_writeable_all() - fault_in_iov_iter_writeable(), all or nothing
 * @i: the iterator; not advanced
 * @size: bytes wanted
 *
 * Context: as fault_in_iov_iter_readable().
 * Return: 0 if all @size bytes were faulted in, else -EFAULT.
 */
int fault_in_iov_iter_writeable_all(const struct iov_iter *i, size_t size);

/**
 * fault_in_readable() - fault in a range for reading (MADV_POPULATE_READ)
 * @uaddr: start
 * @size: length
 *
 * Context: as fault_in_iov_iter_readable().
 * Return: the bytes NOT faulted in, from the first page that failed to the
 * end; all of them if the range fails access_ok().
 */
size_t fault_in_readable(const void *uaddr, size_t size);

/**
 * fault_in_safe_writeable() - fault in a range for writing (MADV_POPULATE_WRITE)
 * @uaddr: start
 * @size: length
 *
 * Breaks COW and writes nothing.
 *
 * Context: as fault_in_iov_iter_readable().
 * Return: as fault_in_readable().
 */
size_t fault_in_safe_writeable(const void *uaddr, size_t size);

/* ---- user copies (the copy_{to,from}_user analogue) ---- */

/**
 * copy_to_user() - copy into "user" memory without ever crashing
 * @to: user memory
 * @from: the data
 * @n: bytes
 *
 * A healthy copy is one memcpy; one that faults stops at the first byte that
 * cannot be written.
 *
 * Context: Any thread. A fault is caught by the trap (lib/trap.c).
 * Return: the bytes NOT copied; all of them if @to fails access_ok().
 */
size_t copy_to_user(void *to, const void *from, size_t n);

/**
 * copy_from_user() - copy out of "user" memory without ever crashing
 * @to: the destination
 * @from: user memory
 * @n: bytes
 *
 * Stops at the first byte that cannot be read; the part of @to not copied is
 * zeroed, as the kernel does.
 *
 * Context: as copy_to_user().
 * Return: the bytes NOT copied; all of them if @from fails access_ok().
 */
size_t copy_from_user(void *to, const void *from, size_t n);

/**
 * clear_user() - zero "user" memory without ever crashing
 * @to: user memory
 * @n: bytes
 *
 * Context: as copy_to_user().
 * Return: the bytes NOT zeroed; all of them if @to fails access_ok().
 */
size_t clear_user(void *to, size_t n);

#endif
