// SPDX-License-Identifier: GPL-2.0-or-later
/* The backing file's O_DIRECT rules: STATX_DIOALIGN, else one probe per filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pinit/page.h>

#include "dio.h"

#define PROBED_MAX 64

/* Probe answers, per backing filesystem. */
static struct {
	dev_t dev;
	struct dio_rules rules;
} probed[PROBED_MAX];
static unsigned int nr_probed;
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Find the smallest alignment at which an O_DIRECT read of @fd works: read one
 * aligned unit at an offset and an address aligned exactly to it. A read at or
 * past end of file still checks alignment on the filesystems that have rules.
 */
static struct dio_rules probe(int fd)
{
	static const unsigned int candidates[] = { 1, 512, 4096 };
	struct dio_rules r = { .usable = false };
	char *buf = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return r;
	for (unsigned int k = 0; k < sizeof(candidates) / sizeof(candidates[0]); k++) {
		unsigned int a = candidates[k];
		ssize_t n = pread(fd, buf + (a % PAGE_SIZE), a, a);

		if (n >= 0) {
			r = (struct dio_rules){ true, a, a };
			break;
		}
		if (errno != EINVAL)
			break;
	}
	munmap(buf, 2 * PAGE_SIZE);
	return r;
}

static struct dio_rules probe_once(int fd, dev_t dev)
{
	struct dio_rules r;
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
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	probe_fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	r = probe_fd >= 0 ? probe(probe_fd) : (struct dio_rules){ .usable = false };
	if (probe_fd >= 0)
		close(probe_fd);
	if (nr_probed < PROBED_MAX)
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
