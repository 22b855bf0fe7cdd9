/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An open file: what fuse_file_info.fh points to.
 */
#ifndef PINFS_FILE_H
#define PINFS_FILE_H

#include <stdint.h>

#include "pinfs.h"

struct pinfs_inode;

struct pinfs_file {
	int fd; /* backing descriptor, never O_DIRECT in the buffered engine */
	int flags; /* the application's open flags (O_DIRECT included) */
	struct pinfs_inode *inode; /* held with an in-flight reference until release */
	const struct pinfs_engine *engine;
	void *engine_data; /* the engine's per-open state (issue 4: DIO descriptor) */
};

static inline struct pinfs_file *file_of(const struct fuse_file_info *fi)
{
	return (struct pinfs_file *)(uintptr_t)fi->fh;
}

#endif
