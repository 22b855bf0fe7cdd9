// SPDX-License-Identifier: GPL-2.0-or-later
/* INIT flags newer than libfuse 3.14, and the session's device I/O (init_ext.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuse_uapi.h"
#include "init_ext.h"
#include "passthrough.h"
#include "transport_uring.h"

/* libfuse 3.14 reads requests into a buffer of 256 pages plus one (se->bufsize). */
#define NEGOTIATE_BUF (2u << 20)

static struct {
	atomic_bool offered_seen;	/* the INIT request went by */
	atomic_bool done;		/* the INIT reply went out */
	uint64_t requested;
	uint32_t max_stack_depth;
	uint64_t unique;		/* of the INIT request */
	struct init_ext_result result;
} init;

void init_ext_request(uint64_t flags, uint32_t max_stack_depth)
{
	init.requested |= flags;
	if (max_stack_depth)
		init.max_stack_depth = max_stack_depth;
}

void init_ext_result(struct init_ext_result *r)
{
	*r = init.result;
	r->done = atomic_load(&init.done);
}

/* The kernel sends FUSE_INIT first and nothing else until it is answered. */
static void note_init_request(const void *buf, ssize_t len)
{
	const struct fuse_in_header *in = buf;
	const struct fuse_init_in *arg = (const void *)(in + 1);
	uint64_t flags;

	if (atomic_load(&init.offered_seen) || len < (ssize_t)(sizeof(*in) + sizeof(*arg)) ||
	    in->opcode != FUSE_INIT)
		return;
	flags = arg->flags;
	if (flags & FUSE_INIT_EXT)
		flags |= (uint64_t)arg->flags2 << 32;
	init.result.offered = flags;
	init.unique = in->unique;
	atomic_store(&init.offered_seen, true);
}

/* The INIT reply: a header and one fuse_init_out, written once. */
static void patch_init_reply(struct iovec *iov, int count)
{
	const struct fuse_out_header *oh = iov[0].iov_base;
	struct fuse_init_out *out;
	uint64_t flags, add;

	if (atomic_load(&init.done) || count < 2 || iov[0].iov_len != sizeof(*oh) ||
	    oh->unique != init.unique || oh->error ||
	    iov[1].iov_len < PINFS_INIT_OUT_MAX_STACK_DEPTH + sizeof(uint32_t))
		return;
	out = iov[1].iov_base;
	flags = out->flags;
	if (flags & FUSE_INIT_EXT) {	/* a kernel before 5.17 has no flags2 */
		add = (FUSE_DIRECT_IO_ALLOW_MMAP | init.requested) & init.result.offered;
		/* Once granted, the kernel waits for the ring: grant it only if it can be made. */
		if ((add & FUSE_OVER_IO_URING) &&
		    transport_uring_prepare(out->max_write,
					    (flags & FUSE_MAX_PAGES) ? out->max_pages : 0))
			add &= ~FUSE_OVER_IO_URING;
		flags |= add | (uint64_t)out->flags2 << 32;
		out->flags2 = flags >> 32;
		if (add & FUSE_PASSTHROUGH)
			memcpy((char *)out + PINFS_INIT_OUT_MAX_STACK_DEPTH, &init.max_stack_depth,
			       sizeof(init.max_stack_depth));
	}
	init.result.granted = flags;
	init.result.max_write = out->max_write;
	init.result.max_pages = (flags & FUSE_MAX_PAGES) ? out->max_pages : 0;
	atomic_store(&init.done, true);
}

static ssize_t dev_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	ssize_t n;

	if (!atomic_load_explicit(&init.done, memory_order_relaxed))
		patch_init_reply(iov, count);
	passthrough_reply(iov, count);
	n = transport_uring_send(iov, count);
	if (n > 0)
		return n;
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return writev(fd, iov, count);
}

static ssize_t dev_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);

	if (n > 0 && !atomic_load_explicit(&init.offered_seen, memory_order_relaxed))
		note_init_request(buf, n);
	return n;
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

int init_ext_negotiate(struct fuse_session *se)
{
	struct fuse_buf buf = { .mem = malloc(NEGOTIATE_BUF), .size = NEGOTIATE_BUF };
	const struct fuse_in_header *in = buf.mem;
	int res;

	if (!buf.mem)
		return -ENOMEM;
	do
		res = fuse_session_receive_buf(se, &buf);
	while (res == -EINTR && !fuse_session_exited(se));
	if (res <= 0) {
		res = res ? res : -ENODEV;
		goto out;
	}
	res = -EPROTO;
	if (in->opcode != FUSE_INIT)
		goto out;
	fuse_session_process_buf(se, &buf);
	if (atomic_load(&init.done))
		res = 0;
out:
	free(buf.mem);
	return res;
}
