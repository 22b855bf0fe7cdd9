/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parts of the kernel's FUSE protocol (include/uapi/linux/fuse.h) that
 * libfuse 3.14 and bookworm's <linux/fuse.h> (7.38) do not define, written
 * from the protocol's facts:
 *  - 7.39 (Linux 6.6): FUSE_DIRECT_IO_ALLOW_MMAP in INIT.
 *  - 7.40 (Linux 6.9): kernel passthrough. FUSE_PASSTHROUGH in INIT, the
 *    stack depth the daemon allows in fuse_init_out.max_stack_depth, the
 *    backing file ioctls on /dev/fuse, and backing_id with FOPEN_PASSTHROUGH
 *    in the open reply.
 *  - 7.42 (Linux 6.14): FUSE over io_uring. FUSE_OVER_IO_URING in INIT, and
 *    IORING_OP_URING_CMD commands on /dev/fuse that register a ring entry
 *    (a header buffer and a payload buffer) and commit a reply while fetching
 *    the next request.
 * A newer <linux/fuse.h> defines the same things; they are only defined here
 * when it does not.
 */
#ifndef PINFS_FUSE_UAPI_H
#define PINFS_FUSE_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/fuse.h>

#if FUSE_KERNEL_MINOR_VERSION < 39
#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
#endif

#if FUSE_KERNEL_MINOR_VERSION < 40
#define FUSE_PASSTHROUGH (1ULL << 37)
#define FOPEN_PASSTHROUGH (1 << 7)

/* FUSE_DEV_IOC_BACKING_OPEN: @fd an open regular file; flags and padding 0. */
struct fuse_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

#define FUSE_DEV_IOC_BACKING_OPEN _IOW(FUSE_DEV_IOC_MAGIC, 1, struct fuse_backing_map)
#define FUSE_DEV_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)
#endif

#if FUSE_KERNEL_MINOR_VERSION < 42
#define FUSE_OVER_IO_URING (1ULL << 41)

#define FUSE_URING_IN_OUT_HEADER_SZ 128
#define FUSE_URING_OP_IN_OUT_SZ 128

/* Written by the kernel with a request, by the daemon with its reply. */
struct fuse_uring_ent_in_out {
	uint64_t flags;
	uint64_t commit_id;	/* the request's unique: what a commit names */
	uint32_t payload_sz;	/* bytes of the payload buffer in use */
	uint32_t padding;
	uint64_t reserved;
};

/* The header buffer of a ring entry (iov[0] of the register command). */
struct fuse_uring_req_header {
	char in_out[FUSE_URING_IN_OUT_HEADER_SZ];	/* fuse_in_header / fuse_out_header */
	char op_in[FUSE_URING_OP_IN_OUT_SZ];		/* the opcode's own header */
	struct fuse_uring_ent_in_out ring_ent_in_out;
};

enum fuse_uring_cmd {
	FUSE_IO_URING_CMD_INVALID = 0,
	FUSE_IO_URING_CMD_REGISTER = 1,		/* give the kernel an entry; fetch a request */
	FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2,	/* send a reply; fetch the next request */
};

/* In the 80-byte command area of a 128-byte SQE. */
struct fuse_uring_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t padding[6];
};
#endif

/* Offsets into structures whose older layout <linux/fuse.h> 7.38 has. */
#define PINFS_INIT_OUT_MAX_STACK_DEPTH 36	/* fuse_init_out.max_stack_depth */
#define PINFS_OPEN_OUT_BACKING_ID 12		/* fuse_open_out.backing_id */

/* Checked against the header wherever it has them. */
_Static_assert(sizeof(struct fuse_init_out) >= PINFS_INIT_OUT_MAX_STACK_DEPTH + sizeof(uint32_t),
	       "fuse_init_out.max_stack_depth");
_Static_assert(sizeof(struct fuse_open_out) >= PINFS_OPEN_OUT_BACKING_ID + sizeof(uint32_t),
	       "fuse_open_out.backing_id");
#if FUSE_KERNEL_MINOR_VERSION >= 40
_Static_assert(offsetof(struct fuse_init_out, max_stack_depth) == PINFS_INIT_OUT_MAX_STACK_DEPTH,
	       "fuse_init_out.max_stack_depth");
_Static_assert(offsetof(struct fuse_open_out, backing_id) == PINFS_OPEN_OUT_BACKING_ID,
	       "fuse_open_out.backing_id");
#endif
#if FUSE_KERNEL_MINOR_VERSION < 42
_Static_assert(sizeof(struct fuse_uring_req_header) ==
		       2 * FUSE_URING_IN_OUT_HEADER_SZ + sizeof(struct fuse_uring_ent_in_out),
	       "fuse_uring_req_header");
_Static_assert(sizeof(struct fuse_uring_cmd_req) == 24, "fuse_uring_cmd_req");
#endif

#endif
