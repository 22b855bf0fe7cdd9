/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Buffer layouts of the cow.c THP matrix (spec §5 #15, #16): where the pages of an I/O buffer
 * come from. Each layout is checked after it is built (pagemap + kpageflags); when the kernel
 * did not give us what we asked for, the subcase is skipped with the reason.
 */
#ifndef FORKSTRESS_LAYOUT_H
#define FORKSTRESS_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "forkstress.h"

enum layout_kind {
	L_BASE, /* small pages */
	L_PMD, /* PMD-mapped THP */
	L_PTE_MAPPED, /* THP, PTE-mapped by mprotect()ing one subpage */
	L_SINGLE_PTE, /* THP with everything but the buffer zapped (MADV_DONTNEED) */
	L_MREMAP, /* THP whose second half was mremap()ed elsewhere: buffer there */
	L_PARTIAL_SHARED, /* THP half COW-shared with a live child (DONTFORK the rest, fork) */
	L_MTHP, /* anonymous mTHP of one size */
};

struct layout {
	enum layout_kind kind;
	unsigned int mthp_kb; /* L_MTHP */
	bool swapped; /* MADV_PAGEOUT after building it */
	char name[32];
};

struct layout_buf {
	char *buf; /* the I/O buffer: at least the bytes asked for */
	size_t len;
	char *map; /* mappings to release */
	size_t map_len;
	char *map2;
	size_t map2_len;
	pid_t sharer; /* L_PARTIAL_SHARED: the child sharing the other half */
	int sharer_fd;
};

/* Every layout this matrix knows (mTHP sizes from the classification). Returns the count. */
int layout_list(const struct fs_env *env, struct layout *out, int max);

/*
 * Build @l with at least @need bytes of buffer. Returns 0, 1 when the layout is not available
 * here (@why says why: THP disabled, no swap, the kernel gave small pages...), or -errno.
 */
int layout_make(const struct fs_env *env, const struct layout *l, size_t need, struct layout_buf *b,
		char *why, size_t wlen);
void layout_free(struct layout_buf *b);

/* Is the page at @addr part of a large folio (kpageflags COMPOUND_HEAD/TAIL)? -1 if unknown. */
int page_is_large(const void *addr);
/* Is the page at @addr swapped out (pagemap bit 62)? */
bool page_is_swapped(const void *addr);

/* --mthp-enable: set 'never' mTHP sizes to 'madvise' for the run; mthp_restore() undoes it. */
void mthp_enable_all(struct kernel_class *kc);
void mthp_restore(void);

#endif
