/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inode table: the daemon's record of every backing inode the kernel
 * knows, keyed by backing (dev, ino) and by FUSE node id (nodeid.h).
 *
 * Descriptor budget. The open-file limit cannot be raised, so a record does not
 * own an O_PATH descriptor for its whole life. It owns a file handle
 * (name_to_handle_at) and, while it is in use or recently used, an O_PATH
 * descriptor from a bounded LRU cache (fd_cache.h); an evicted descriptor is
 * reopened with open_by_handle_at(). Inodes without a usable handle (a backing
 * filesystem without export support, or an unprivileged daemon) keep their
 * descriptor for their whole life, as the reference passthrough does.
 *
 * Node ids are never reused. A record whose kernel references are all
 * forgotten stays as a "ghost" (handle only, no descriptor, bounded FIFO), so a
 * re-lookup gets the same node id back and the kernel's export handles
 * (FUSE_CAP_EXPORT_SUPPORT: LOOKUP of "." in a forgotten node id) keep working
 * across forgets (xfstests generic/426, 467, 477). Where node ids are stable
 * (nodeid.h), they also work across remounts (inode_revive()).
 *
 * Mounts. Lookups walk the daemon's own mount namespace from SOURCE (the
 * O_PATH descriptors, also when reopened by handle), so the table sees every
 * mount beneath SOURCE as a process walking SOURCE does, also one made or
 * removed while pinfs runs. Opens for I/O (inode_open) go by handle through
 * a view of the inode's mount (mounts.h, mount_helper.h), which carries the
 * pinfs mount's atime flags; without a handle, or without a view, they reopen
 * the O_PATH descriptor, and the backing mount's own flags apply.
 */
#ifndef PINFS_INODE_H
#define PINFS_INODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "nodeid.h"
#include "pinfs.h"
#include "range_lock.h"

struct lock_owner;

struct pinfs_inode {
	fuse_ino_t nodeid; /* constant */
	dev_t dev; /* constant: backing st_dev */
	ino_t ino; /* constant: backing st_ino */
	mode_t type; /* constant: S_IFMT bits */
	bool stable_id; /* constant: nodeid derived from the backing file handle */

	atomic_bool caps_absent; /* "security.capability" known absent (ops_xattr.c) */
	/*
	 * Overlapping writes exclude each other (datapath.c): a writer holds
	 * its byte range across the backing I/O. Lock order (docs/design.md):
	 * taken under no other pinfs lock; under it only libpinit's locks
	 * (bounce pages, pins). Never held across a hold point (hold.h).
	 */
	struct range_lock writes;

	/*
	 * Protects the fields below and the open files' refs (file.h). Lock
	 * order (docs/design.md): taken under no other lock; the descriptor
	 * budget's and the descriptor cache's locks come after it (a new lock
	 * owner's descriptor). Never held across a hold point (hold.h).
	 */
	pthread_mutex_t lock;
	struct lock_owner *lock_owners; /* backing lock descriptors (ops_lock.c) */
};

struct inode_table;

struct inode_table_config {
	int root_fd; /* O_PATH descriptor of SOURCE (the table takes it) */
	int root_mount_fd; /* O_RDONLY descriptor of SOURCE (the table takes it) */
	unsigned int fd_cache; /* evictable O_PATH descriptors kept open */
	unsigned int ghost_max; /* forgotten records kept for export handles */
	bool use_handles; /* try name_to_handle_at/open_by_handle_at */
	const struct mount_attr *view_attr; /* the atime mode of views; NULL: no views */
	struct pinfs_stats *stats;
};

/* Create the table with the root inode (node id FUSE_ROOT_ID). NULL on error (errno). */
struct inode_table *inode_table_create(const struct inode_table_config *cfg);
void inode_table_destroy(struct inode_table *t);

/* True if the root inode has a file handle (handles are usable at all). */
bool inode_table_has_handles(struct inode_table *t);

/*
 * 0 if I/O opens on SOURCE's own mount go through a view, else why not:
 * -EOPNOTSUPP without handles or views, or mount_view_open()'s error.
 */
int inode_table_view_error(struct inode_table *t);

/*
 * The record for @nodeid with an in-flight reference (release with
 * inode_put()), or NULL if the id is unknown (a forgotten ghost that aged out).
 */
struct pinfs_inode *inode_get(struct inode_table *t, fuse_ino_t nodeid);
void inode_put(struct inode_table *t, struct pinfs_inode *in);

/*
 * An O_PATH descriptor for @in, reopened by handle if it was evicted. Valid
 * until the matching inode_fd_put(). Returns the descriptor or -errno (-ESTALE
 * if the backing inode is gone).
 */
int inode_fd_get(struct inode_table *t, struct pinfs_inode *in);
void inode_fd_put(struct inode_table *t, struct pinfs_inode *in);

/*
 * Open @in for I/O with open(2) @flags (no O_CREAT; O_PATH to read a symlink):
 * by file handle through the view of its mount, else through /proc/self/fd.
 * Returns a new descriptor (the caller closes it) or -errno.
 */
int inode_open(struct inode_table *t, struct pinfs_inode *in, int flags);

/*
 * Record the result of a lookup. @fd is an O_PATH descriptor of the backing
 * inode and @st its attributes; the table takes @fd in every case. On success
 * *@out has one more kernel reference (nlookup) and an in-flight reference.
 * Returns 0 or -errno.
 */
int inode_register(struct inode_table *t, int fd, const struct stat *st, struct pinfs_inode **out);

/*
 * The record for a stable node id (nodeid.h) the table does not hold,
 * reopened by handle on SOURCE's mount, with one kernel reference and an
 * in-flight reference, as inode_register() leaves a fresh lookup. NULL
 * (ESTALE) if @nodeid is not a stable id, its inode is gone, or it is not
 * proven to lie beneath SOURCE (containment.h).
 */
struct pinfs_inode *inode_revive(struct inode_table *t, fuse_ino_t nodeid);

/* The FUSE generation of @in (nodeid.h): 0 for a stable node id, else the mount's @epoch. */
static inline uint64_t inode_generation(const struct pinfs_inode *in, uint64_t epoch)
{
	return nodeid_generation(in->stable_id, epoch);
}

/* Add one kernel reference to a record the caller holds (LOOKUP of "."). */
void inode_ref_kernel(struct inode_table *t, struct pinfs_inode *in);

/* Drop @nlookup kernel references (FORGET). */
void inode_forget(struct inode_table *t, fuse_ino_t nodeid, uint64_t nlookup);

/*
 * A handler's grip on an inode: the record and its O_PATH descriptor.
 * iref_get() returns 0 or -errno (-ESTALE for an unknown node id).
 */
struct iref {
	struct pinfs_inode *inode;
	int fd;
};

int iref_get(struct pinfs *fs, fuse_ino_t nodeid, struct iref *r);
void iref_put(struct pinfs *fs, struct iref *r);

#endif
