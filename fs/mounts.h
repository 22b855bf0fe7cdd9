/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backing mounts the inode table (inode.h) has met, by their id in the
 * daemon's mount namespace: the mount descriptors that open_by_handle_at()
 * needs to reopen an inode of that mount by its file handle.
 *
 * A mount gets its entry when the table registers its first inode, from that
 * inode if it is a directory (a lookup enters a mount at its root). The entry
 * lives as long as the registry; its descriptor keeps the mount, and so its
 * id, from being reused. With views (mount_helper.h), an entry also has a
 * view of its mount for the I/O opens.
 */
#ifndef PINFS_MOUNTS_H
#define PINFS_MOUNTS_H

#include <sys/mount.h>
#include <sys/stat.h>

struct backing_mount {
	int mount_id;	/* in the daemon's mount namespace */
	int fd;		/* O_RDONLY directory on that mount itself: O_PATH reopens, for walks */
	int io_fd;	/* its view, for I/O opens; fd itself without a view */
	struct backing_mount *next;	/* (mounts.c) */
};

struct mount_registry;

/*
 * A registry that makes a view with @view_attr (copied) of each mount, or
 * none if @view_attr is NULL. NULL without memory.
 */
struct mount_registry *mounts_create(const struct mount_attr *view_attr);

/* Close every entry's descriptors and free the registry. */
void mounts_destroy(struct mount_registry *m);

/*
 * Add the entry of @mount_id, with @fd, an O_RDONLY descriptor of its root
 * directory (taken in every case). *@view_err is 0 if it has a view, else
 * why not (-EOPNOTSUPP: the registry makes none). NULL without memory.
 */
struct backing_mount *mounts_add(struct mount_registry *m, int mount_id, int fd, int *view_err);

/*
 * The entry of @mount_id. If there is none yet, @fd (an O_PATH descriptor,
 * not taken) with attributes @st is that mount's root directory, and the
 * entry is added from it. NULL if none can be had (a mount whose root is no
 * directory, or no memory).
 */
struct backing_mount *mounts_get(struct mount_registry *m, int mount_id, int fd,
				 const struct stat *st);

#endif
