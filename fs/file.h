/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An open file: what fuse_file_info.fh points to.
 */
#ifndef PINFS_FILE_H
#define PINFS_FILE_H

#include <stdatomic.h>
#include <stdint.h>

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
};

static inline struct pinfs_file *file_of(const struct fuse_file_info *fi)
{
	return (struct pinfs_file *)(uintptr_t)fi->fh;
}

#endif
