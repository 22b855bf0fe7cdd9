/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Node ids: the numbers the inode table (inode.h) gives the kernel for its
 * inodes, and the FUSE generation that goes with each.
 *
 * Node ids that outlive the daemon. On a backing filesystem whose file handles
 * are a 32-bit inode number and a 32-bit generation (ext4's FILEID_INO32_GEN),
 * an inode's node id is that handle, generation in the high half; every other
 * inode gets a counter id below 2^32. A FUSE export handle (node id plus
 * generation) taken before a remount therefore still names its file after it:
 * the kernel asks for node id N with LOOKUP(N, "."), and the new daemon reopens
 * the backing inode from N itself (xfstests generic/477, 777). A stable id has
 * FUSE generation 0; a counter id has the mount's epoch, so that export
 * handles of an earlier mount's counter ids go stale.
 *
 * The scheme is fixed when the table is made; its counter is the only state
 * that changes, an atomic.
 */
#ifndef PINFS_NODEID_H
#define PINFS_NODEID_H

#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinfs.h"

/* Bytes of a handle that a stable node id carries. */
#define NODEID_HANDLE_BYTES 8

struct nodeid_scheme {
	bool stable;		/* SOURCE's handles are FILEID_INO32_GEN */
	int handle_type;	/* SOURCE's handle type */
	dev_t dev;		/* SOURCE's device: only its inodes get stable ids */
	atomic_uint_fast64_t next;	/* the next counter id */
};

/*
 * Set @s up for SOURCE, whose file handle is @source_fh (NULL without handles)
 * on the device @dev. Counter ids start after FUSE_ROOT_ID.
 */
void nodeid_scheme_init(struct nodeid_scheme *s, const struct file_handle *source_fh, dev_t dev);

/*
 * The node id of a new inode on @dev with handle @fh (NULL if it has none):
 * its stable id (*@stable true), else the next counter id.
 */
fuse_ino_t nodeid_assign(struct nodeid_scheme *s, const struct file_handle *fh, dev_t dev,
			 bool *stable);

/*
 * The file handle a stable node id @id stands for, into @fh, which has room
 * for NODEID_HANDLE_BYTES. Returns false if @id is no stable id.
 */
bool nodeid_handle(const struct nodeid_scheme *s, fuse_ino_t id, struct file_handle *fh);

/* The FUSE generation of a node id: 0 if @stable, else the mount's @epoch. */
static inline uint64_t nodeid_generation(bool stable, uint64_t epoch)
{
	return stable ? 0 : epoch;
}

#endif
