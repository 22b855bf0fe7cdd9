/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backing file's O_DIRECT rules (spec §6, STATX_DIOALIGN).
 *
 * statx(STATX_DIOALIGN) gives the memory and file-offset alignment a backing
 * filesystem requires. A filesystem that does not answer (the mask bit is
 * missing) is "O_DIRECT unknown": it is probed once, with real O_DIRECT reads
 * at decreasing alignments, and the answer is remembered per filesystem. Nothing
 * is guessed.
 */
#ifndef PINFS_DIO_H
#define PINFS_DIO_H

#include <stdbool.h>
#include <sys/types.h>

struct dio_rules {
	bool usable;		/* O_DIRECT works on this file */
	unsigned int mem_align;	/* buffer address alignment, a power of two */
	unsigned int off_align;	/* file offset and length alignment, a power of two */
};

/*
 * The rules for the O_DIRECT descriptor @dio_fd (open on a regular file of the
 * backing filesystem @dev). Never fails: unusable rules mean "use the page cache".
 */
struct dio_rules dio_rules_for(int dio_fd, dev_t dev);

/* Round @x down / up to @align (a power of two). */
static inline off_t dio_round_down(off_t x, unsigned int align)
{
	return x & ~(off_t)(align - 1);
}

static inline off_t dio_round_up(off_t x, unsigned int align)
{
	return dio_round_down(x + align - 1, align);
}

#endif
