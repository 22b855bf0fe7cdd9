/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An open file: what fuse_file_info.fh points to.
 */
#ifndef PINFS_FILE_H
#define PINFS_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dio.h"
#include "pinfs.h"

struct pinfs_inode;

struct pinfs_file {
	int fd; /* backing descriptor for the page cache: never O_DIRECT */
	int flags; /* the application's open flags (O_DIRECT included) */
	struct pinfs_inode *inode; /* held with an in-flight reference until release */
	const struct pinfs_engine *engine;
	int dio_fd; /* the same file opened with O_DIRECT (backing_dio), or -1 */
	struct dio_rules dio; /* its alignment rules */
	atomic_bool dio_ok; /* false once O_DIRECT refused a request the rules allowed */
	bool passthrough; /* the kernel does its I/O on the backing file (passthrough.h) */
	uid_t uid; /* the user its descriptors are charged to (fd_budget.h) */
	unsigned int charged; /* descriptors charged: fd, and dio_fd if open */
	atomic_int early_acked; /* unsafe=early_ack: acknowledged WRITEs still using the file */

	/* under inode->lock */
	unsigned int refs; /* the kernel's until RELEASE, one per blocking flock (ops_lock.c) */
	bool released; /* RELEASE came: no lock is taken through it any more */
};

/* Drop a reference; the last one closes the descriptors and frees @f (ops_file.c). */
void file_put(struct pinfs *fs, struct pinfs_file *f);

static inline struct pinfs_file *file_of(const struct fuse_file_info *fi)
{
	return (struct pinfs_file *)(uintptr_t)fi->fh;
}

#endif
