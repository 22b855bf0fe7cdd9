// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A backing file's O_DIRECT descriptor (dio.h) and its rules: STATX_DIOALIGN,
 * else probed per filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pinit/page.h>

#include "dio.h"
#include "file.h"
#include "inode.h"

#define PROBED_MAX 64

/* Probe answers, per backing filesystem. */
static struct {
	dev_t dev;
	struct dio_rules rules;
} probed[PROBED_MAX];
static unsigned int nr_probed;
/* Lock order (docs/design.md): taken under no other lock; none under it. Held across a probe. */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;

enum probe_answer {
	PROBE_FOUND,		/* the rules were found */
	PROBE_UNUSABLE,		/* O_DIRECT reads fail even 4096-aligned: use the page cache */
	PROBE_UNKNOWN,		/* this file has too little data to tell */
};

/*
 * Where @fd has data: [*@start, *@end), the first data extent, or the whole
 * file if the filesystem cannot say (SEEK_DATA/SEEK_HOLE unsupported).
 */
static void first_data(int fd, off_t size, off_t *start, off_t *end)
{
	*start = lseek(fd, 0, SEEK_DATA);
	*end = *start >= 0 ? lseek(fd, *start, SEEK_HOLE) : -1;
	if (*start < 0 || *end < *start) {
		*start = 0;
		*end = errno == ENXIO ? 0 : size;	/* ENXIO: no data at all */
	}
	if (*end > size)
		*end = size;
}

/*
 * Find the smallest alignment A at which an O_DIRECT read of @fd works: read
 * A bytes at an offset that is an odd multiple of A (aligned to A and to no
 * more), into memory aligned the same way. Only bytes that exist are read: a
 * read at or past end of file, or of a hole, returns before most filesystems
 * check alignment at all, so it proves nothing. A file whose data cannot hold
 * the next candidate's read leaves the answer unknown.
 */
static enum probe_answer probe(int fd, struct dio_rules *r)
{
	static const unsigned int candidates[] = { 1, 512, 4096 };
	enum probe_answer answer = PROBE_UNUSABLE;
	off_t data, data_end;
	struct stat st;
	char *buf;

	if (fstat(fd, &st))
		return PROBE_UNKNOWN;
	buf = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (buf == MAP_FAILED)
		return PROBE_UNKNOWN;
	first_data(fd, st.st_size, &data, &data_end);
	for (unsigned int k = 0; k < sizeof(candidates) / sizeof(candidates[0]); k++) {
		unsigned int a = candidates[k];
		off_t base = dio_round_up(data, 2 * a);	/* saturated: past data_end */
		ssize_t n;

		if (base > data_end - 2 * (off_t)a) {
			answer = PROBE_UNKNOWN;
			break;
		}
		n = pread(fd, buf + (a % PAGE_SIZE), a, base + a);
		if (n == (ssize_t)a) {
			*r = (struct dio_rules){ true, a, a };
			answer = PROBE_FOUND;
			break;
		}
		if (n >= 0) {
			answer = PROBE_UNKNOWN;	/* short: the file shrank meanwhile */
			break;
		}
		if (errno != EINVAL)
			break;
	}
	munmap(buf, 2 * PAGE_SIZE);
	return answer;
}

/*
 * The rules of @dev's filesystem, probed through @fd. Answers found are kept
 * per filesystem; where this file cannot tell, the next file is asked, and
 * this one gets the conservative rules.
 */
static struct dio_rules probe_once(int fd, dev_t dev)
{
	struct dio_rules r = DIO_RULES_CONSERVATIVE;
	enum probe_answer answer;
	char path[64];
	int probe_fd;

	pthread_mutex_lock(&probe_lock);
	for (unsigned int k = 0; k < nr_probed; k++) {
		if (probed[k].dev == dev) {
			r = probed[k].rules;
			goto out;
		}
	}
	/* The descriptor may be write-only: probe through a read-only reopening. */
	proc_fd_path(path, sizeof(path), fd);
	probe_fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (probe_fd < 0) {
		r = (struct dio_rules){ .usable = false };
		goto out;
	}
	answer = probe(probe_fd, &r);
	close(probe_fd);
	if (answer == PROBE_UNUSABLE)
		r = (struct dio_rules){ .usable = false };
	if (answer != PROBE_UNKNOWN && nr_probed < PROBED_MAX)
		probed[nr_probed++] = (typeof(probed[0])){ dev, r };
out:
	pthread_mutex_unlock(&probe_lock);
	return r;
}

static bool power_of_two(unsigned int x)
{
	return x && !(x & (x - 1));
}

struct dio_rules dio_rules_for(int dio_fd, dev_t dev)
{
	struct statx stx;

	if (!statx(dio_fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN)) {
		/* 0 means "O_DIRECT is not supported on this file". */
		if (!stx.stx_dio_offset_align || !power_of_two(stx.stx_dio_offset_align) ||
		    !power_of_two(stx.stx_dio_mem_align))
			return (struct dio_rules){ .usable = false };
		return (struct dio_rules){ true, stx.stx_dio_mem_align, stx.stx_dio_offset_align };
	}
	return probe_once(dio_fd, dev);
}

/* ---- the O_DIRECT descriptor ---- */

static bool wants_backing_dio(const struct pinfs *fs, const struct pinfs_file *f)
{
	if (f->inode->type != S_IFREG || (f->flags & O_APPEND))
		return false;	/* O_APPEND: the kernel picks the offset; DIO would need it aligned */
	switch (fs->opts->backing_dio) {
	case BACKING_DIO_ALWAYS:
		return true;
	case BACKING_DIO_AUTO:
		return f->flags & O_DIRECT;
	case BACKING_DIO_NEVER:
		break;
	}
	return false;
}

int dio_open(struct pinfs *fs, struct pinfs_file *f)
{
	char path[64];
	int accmode;

	f->dio_fd = -1;
	f->dio = (struct dio_rules){ .usable = false };
	if (!wants_backing_dio(fs, f))
		return 0;
	accmode = fcntl(f->fd, F_GETFL);
	if (accmode < 0)
		return 0;
	/* Same file, same access, plus O_DIRECT: reopen the descriptor through /proc. */
	proc_fd_path(path, sizeof(path), f->fd);
	f->dio_fd = open(path, (accmode & (O_ACCMODE | O_NOATIME)) | O_DIRECT | O_CLOEXEC);
	if (f->dio_fd < 0)
		return 0;	/* no O_DIRECT here: the page cache serves this file */
	f->dio = dio_rules_for(f->dio_fd, f->inode->dev);
	if (!f->dio.usable) {
		close(f->dio_fd);
		f->dio_fd = -1;
	}
	atomic_store(&f->dio_ok, f->dio.usable);
	return 0;
}

void dio_release(struct pinfs *fs, struct pinfs_file *f)
{
	if (f->dio_fd >= 0)
		close(f->dio_fd);
	f->dio_fd = -1;
}

bool dio_usable(const struct pinfs_file *f)
{
	return f->dio_fd >= 0 && atomic_load_explicit(&f->dio_ok, memory_order_relaxed);
}

void dio_refused(struct pinfs_file *f)
{
	if (atomic_exchange(&f->dio_ok, false))
		fprintf(stderr, "pinfs: O_DIRECT on a backing file refused an aligned request; "
				"using the page cache for it\n");
}
