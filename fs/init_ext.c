// SPDX-License-Identifier: GPL-2.0-or-later
/* INIT flags newer than libfuse 3.14 (init_ext.h). */
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "init_ext.h"

/*
 * The kernel's include/uapi/linux/fuse.h (protocol 7.36+), by number: the
 * header this is built with may be older than the bits it sets. Checked
 * against the header wherever it has them.
 */
#define INIT_EXT (1u << 30)				/* FUSE_INIT_EXT */
#define DIRECT_IO_ALLOW_MMAP_FLAGS2 (1u << (36 - 32))	/* FUSE_DIRECT_IO_ALLOW_MMAP, in flags2 */
#define OUT_HEADER_SIZE 16		/* sizeof(struct fuse_out_header) */
#define OUT_HEADER_ERROR 4		/* offsetof(struct fuse_out_header, error) */
#define INIT_OUT_FLAGS 12		/* offsetof(struct fuse_init_out, flags) */
#define INIT_OUT_FLAGS2 32		/* offsetof(struct fuse_init_out, flags2) */

_Static_assert(sizeof(struct fuse_out_header) == OUT_HEADER_SIZE, "fuse_out_header");
_Static_assert(offsetof(struct fuse_out_header, error) == OUT_HEADER_ERROR,
	       "fuse_out_header.error");
_Static_assert(offsetof(struct fuse_init_out, flags) == INIT_OUT_FLAGS, "fuse_init_out.flags");
#if FUSE_KERNEL_MINOR_VERSION >= 36
_Static_assert(offsetof(struct fuse_init_out, flags2) == INIT_OUT_FLAGS2, "fuse_init_out.flags2");
_Static_assert(FUSE_INIT_EXT == INIT_EXT, "FUSE_INIT_EXT");
#endif
#ifdef FUSE_DIRECT_IO_ALLOW_MMAP
_Static_assert(FUSE_DIRECT_IO_ALLOW_MMAP >> 32 == DIRECT_IO_ALLOW_MMAP_FLAGS2,
	       "FUSE_DIRECT_IO_ALLOW_MMAP");
#endif

static atomic_bool init_seen;

/*
 * The INIT reply is the first thing the session writes (the kernel sends
 * nothing else until INIT is answered): a header and one fuse_init_out.
 */
static void patch_init_reply(struct iovec *iov, int count)
{
	uint32_t flags, flags2;
	int32_t error;
	char *out;

	if (atomic_exchange(&init_seen, true) || count < 2 || iov[0].iov_len != OUT_HEADER_SIZE)
		return;
	memcpy(&error, (char *)iov[0].iov_base + OUT_HEADER_ERROR, sizeof(error));
	if (error || iov[1].iov_len < INIT_OUT_FLAGS2 + sizeof(flags2))
		return;
	out = iov[1].iov_base;
	memcpy(&flags, out + INIT_OUT_FLAGS, sizeof(flags));
	if (!(flags & INIT_EXT))
		return;	/* a kernel before 5.17 has no flags2 */
	memcpy(&flags2, out + INIT_OUT_FLAGS2, sizeof(flags2));
	flags2 |= DIRECT_IO_ALLOW_MMAP_FLAGS2;
	memcpy(out + INIT_OUT_FLAGS2, &flags2, sizeof(flags2));
}

static ssize_t dev_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	patch_init_reply(iov, count);
	return writev(fd, iov, count);
}

static ssize_t dev_read(int fd, void *buf, size_t len, void *userdata)
{
	return read(fd, buf, len);
}

static ssize_t dev_splice(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
			  unsigned int flags, void *userdata)
{
	return splice(fdin, offin, fdout, offout, len, flags);
}

int init_ext_install(struct fuse_session *se)
{
	static const struct fuse_custom_io io = {
		.writev = dev_writev,
		.read = dev_read,
		.splice_receive = dev_splice,
		.splice_send = dev_splice,
	};

	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}
