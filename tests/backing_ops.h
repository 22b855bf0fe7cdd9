/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The path operations the test FUSE daemons (tests/fs/odirectfs.c, tests/stress/holdfs.c) pass
 * straight to their backing directory (libfuse high-level API). Define FUSE_USE_VERSION first.
 */
#ifndef PINFS_TESTS_BACKING_OPS_H
#define PINFS_TESTS_BACKING_OPS_H

#include <fuse.h>

/* The backing directory; the daemon opens it before fuse_main(). */
extern int backing_dir;

/* The backing path of @path ("/a/b" -> "a/b", "/" -> "."), relative to backing_dir. */
const char *backing_rel(const char *path);

int backing_getattr(const char *path, struct stat *st, struct fuse_file_info *fi);
int backing_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		    struct fuse_file_info *fi, enum fuse_readdir_flags flags);
int backing_truncate(const char *path, off_t size, struct fuse_file_info *fi);

#endif
