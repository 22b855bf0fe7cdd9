/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel-pin model: what the kernel takes on the daemon's own pages for
 * each system call the daemon makes on them, recorded in the libpinit ledger
 * for exactly as long as the kernel holds it. The daemon never sees the
 * application's pages (spec §3.4); these are the pins and references that
 * exist on its side.
 *
 *  - O_DIRECT on the backing file (kpin_direct_io()): the syscall's buffer is
 *    a UBUF iterator that the kernel extracts with iov_iter_extract_pages(),
 *    as fuse_get_user_pages() does for a FUSE direct-I/O request (§3.2): a
 *    FOLL_PIN on every page, with FOLL_WRITE for a read (§1.8, §2.1). A
 *    registered io_uring buffer arrives as a BVEC over pages the ring holds
 *    long-term: extraction only lists them and takes nothing (§3.3). Released
 *    when the syscall returns, the pages of a read dirtied first, as
 *    fuse_release_user_pages() does (§3.3, M-5).
 *  - A reply written to /dev/fuse (kpin_reply_copy()): fuse_copy_fill() holds
 *    FOLL_GET references on the daemon's buffer while it copies out of it
 *    (§3.4); released when the write returns.
 *  - A vmspliced reply (kpin_vmsplice()): the pages sit in the pipe until it
 *    is drained, pinned as a source as a vmsplice that took FOLL_PIN would
 *    (§4.2, Hildenbrand), so that check mode catches a write to them before
 *    the pipe drains (V-1). Released once the reply call returned.
 *
 * Each release ends exactly what was taken (M-3): unpin_user_pages_flags()
 * with the acquisition's flags, or put_page() for a reference.
 */
#ifndef PINFS_KPIN_MODEL_H
#define PINFS_KPIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <pinit/page.h>

/* The most pages one syscall covers: a 1 MiB request plus its edges. */
#define KPIN_MAX_PAGES 260

/* What the kernel holds on the daemon's pages for one syscall. */
struct kpins {
	struct page *pages[KPIN_MAX_PAGES];
	long n;			/* pages held; 0 if none (or only listed) */
	unsigned int gup_flags;	/* how they were taken */
};

/*
 * Pin [@buf, @buf + @len) for an O_DIRECT syscall in direction @dir
 * (ITER_SOURCE for a write, ITER_DEST for a read); @registered: the buffer is
 * in io_uring fixed buffers. Returns 0, or -errno with nothing held.
 */
int kpin_direct_io(struct kpins *p, void *buf, size_t len, unsigned int dir, bool registered);
/* The syscall returned: release what kpin_direct_io() took (unsafe.h may skip or mismatch it). */
void kpin_direct_io_done(struct kpins *p);

/* References on the @n bytes at @data while a reply is copied out of them to /dev/fuse. */
void kpin_reply_copy(struct kpins *p, const void *data, size_t n);
void kpin_reply_copy_done(struct kpins *p);

/* Source pins on the @n bytes at @data while they sit in a pipe after vmsplice(). */
void kpin_vmsplice(struct kpins *p, const void *data, size_t n);
void kpin_vmsplice_done(struct kpins *p);

#endif
