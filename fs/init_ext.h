/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * INIT flags newer than libfuse 3.14.
 *
 * libfuse 3.14 answers FUSE_INIT with FUSE_INIT_EXT set and flags2 always 0,
 * so it can never grant a flag above bit 31. pinfs needs one of them:
 * FUSE_DIRECT_IO_ALLOW_MMAP (bit 36, kernel 6.6), without which MAP_SHARED
 * mmap of a FOPEN_DIRECT_IO file fails with ENODEV (xfstests generic/091:
 * fsx with O_DIRECT and mmap). init_ext_install() routes the session's device
 * writes through a writev that sets that bit in the INIT reply; every other
 * write goes to the device untouched. A kernel that does not know the bit
 * ignores it.
 */
#ifndef PINFS_INIT_EXT_H
#define PINFS_INIT_EXT_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

/* Call after fuse_session_mount(). Returns 0 or a negative errno. */
int init_ext_install(struct fuse_session *se);

#endif
