/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A backing file's O_DIRECT descriptor and its rules (spec §6, STATX_DIOALIGN).
 *
 * Where backing_dio= asks for one, an open file gets a second descriptor of
 * its backing file, opened with O_DIRECT (dio_open()). The data path
 * (datapath.h) uses it for the requests its rules allow, until O_DIRECT
 * refuses one they allowed (dio_refused()); the page cache serves the rest.
 *
 * statx(STATX_DIOALIGN) gives the memory and file-offset alignment a backing
 * filesystem requires. A filesystem that does not answer (the mask bit is
 * missing) is "O_DIRECT unknown": it is probed with real O_DIRECT reads of data
 * the file has, at increasing alignments, and the answer is remembered per
 * filesystem. While no file with enough data has answered, a file gets the
 * conservative rules, DIO_RULES_CONSERVATIVE (whole pages), and the next file
 * is probed again. A filesystem that needs more than that refuses the first
 * request with EINVAL, and that file uses the page cache from then on.
 */
#ifndef PINFS_DIO_H
#define PINFS_DIO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pinfs;
struct pinfs_file;

struct dio_rules {
	bool usable;		/* O_DIRECT works on this file */
	unsigned int mem_align;	/* buffer address alignment, a power of two */
	unsigned int off_align;	/* file offset and length alignment, a power of two */
};

/* The rules where nothing is known: page-aligned memory, offsets and lengths. */
#define DIO_RULES_CONSERVATIVE ((struct dio_rules){ true, 4096, 4096 })

/*
 * The rules for the O_DIRECT descriptor @dio_fd (open on a regular file of the
 * backing filesystem @dev). Never fails: unusable rules mean "use the page cache".
 */
struct dio_rules dio_rules_for(int dio_fd, dev_t dev);

/* Open and close the O_DIRECT descriptor of @f as backing_dio says (engine open/release). */
int dio_open(struct pinfs *fs, struct pinfs_file *f);
void dio_release(struct pinfs *fs, struct pinfs_file *f);

/* Whether @f has an O_DIRECT descriptor that has not refused a request. */
bool dio_usable(const struct pinfs_file *f);

/* O_DIRECT said EINVAL although the rules allowed the request: stop using it for this file. */
void dio_refused(struct pinfs_file *f);

#define DIO_OFF_MAX INT64_MAX	/* the largest file offset (the kernel's MAX_LFS_FILESIZE) */

/* Round @x (>= 0) down to @align (a power of two). */
static inline off_t dio_round_down(off_t x, unsigned int align)
{
	return x & ~(off_t)(align - 1);
}

/*
 * Round @x (>= 0) up to @align (a power of two). Saturates: where the result
 * would pass DIO_OFF_MAX it is DIO_OFF_MAX, which is then not aligned.
 */
static inline off_t dio_round_up(off_t x, unsigned int align)
{
	if (x > DIO_OFF_MAX - (off_t)(align - 1))
		return DIO_OFF_MAX;
	return dio_round_down(x + (off_t)(align - 1), align);
}

/* @pos + @len (@pos >= 0), saturated at DIO_OFF_MAX. */
static inline off_t dio_end(off_t pos, size_t len)
{
	return len > (size_t)(DIO_OFF_MAX - pos) ? DIO_OFF_MAX : pos + (off_t)len;
}

/*
 * The end of the @align-aligned span around [@pos, @pos + @len), or -EOVERFLOW
 * when it would pass DIO_OFF_MAX: no O_DIRECT call can cover those bytes (the
 * kernel refuses pos + len past it), so the page cache must serve them.
 */
static inline off_t dio_span_end(off_t pos, size_t len, unsigned int align)
{
	off_t end;

	if (len > (size_t)(DIO_OFF_MAX - pos))
		return -EOVERFLOW;
	end = dio_round_up(pos + (off_t)len, align);
	return end & (off_t)(align - 1) ? -EOVERFLOW : end;
}

#endif
