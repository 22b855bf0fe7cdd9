/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * INIT flags newer than libfuse 3.14, and the device writes of the session.
 *
 * libfuse 3.14 answers FUSE_INIT with FUSE_INIT_EXT set and flags2 always 0,
 * so it can never grant a flag above bit 31. pinfs needs some of them:
 *  - FUSE_DIRECT_IO_ALLOW_MMAP (bit 36, kernel 6.6), always: without it,
 *    MAP_SHARED mmap of a FOPEN_DIRECT_IO file fails with ENODEV (xfstests
 *    generic/091: fsx with O_DIRECT and mmap);
 *  - FUSE_PASSTHROUGH (bit 37, 6.9) with max_stack_depth, for -o passthrough;
 *  - FUSE_OVER_IO_URING (bit 41, 6.14), for -o transport=uring.
 * init_ext_install() routes the session's device reads and writes through
 * hooks: a read records the flags the kernel offers in its INIT request; a
 * write patches the INIT reply (only with bits the kernel offered), lets
 * passthrough.c complete open replies, and hands replies to requests that
 * came over the ring to transport_uring.c. Everything else goes to the device
 * untouched.
 */
#ifndef PINFS_INIT_EXT_H
#define PINFS_INIT_EXT_H

#define FUSE_USE_VERSION 314
#include <stdbool.h>
#include <stdint.h>

#include <fuse_lowlevel.h>

/* Call after fuse_session_mount(). Returns 0 or a negative errno. */
int init_ext_install(struct fuse_session *se);

/*
 * Before INIT: also grant @flags (64-bit INIT flags, e.g. FUSE_PASSTHROUGH)
 * where the kernel offers them, and send @max_stack_depth with
 * FUSE_PASSTHROUGH.
 */
void init_ext_request(uint64_t flags, uint32_t max_stack_depth);

/*
 * Read the session's first request, FUSE_INIT, and answer it now, so that
 * what the kernel offers is known before the daemon detaches and its workers
 * start. Returns 0 or a negative errno (-EPROTO: the first request was not
 * INIT, or INIT failed).
 */
int init_ext_negotiate(struct fuse_session *se);

/* What INIT settled; valid once the reply went out (init_ext_negotiate()). */
struct init_ext_result {
	bool done;
	uint64_t offered;	/* the kernel's flags: flags | flags2 << 32 */
	uint64_t granted;	/* the reply's flags, as patched */
	uint32_t max_write;
	uint16_t max_pages;
};
void init_ext_result(struct init_ext_result *r);

#endif
