/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mount flags: the remount path of mount.fuse.pinfs, the atime flags of the
 * FUSE mount, and the views of the backing mounts that carry them.
 */
#ifndef PINFS_MOUNT_HELPER_H
#define PINFS_MOUNT_HELPER_H

#include <sys/mount.h>

#include "options.h"

/*
 * mount(8) runs the helper again for "mount -o remount,..."; a second daemon
 * must not start. The helper changes the flags of the existing mount with
 * mount(2) MS_REMOUNT instead: the current flags (mountinfo) are the baseline,
 * dev_suid clears nodev and nosuid (it changes only the default), the generic
 * flags among the options (ro, rw, nosuid, dev, ...) are applied on top in
 * their order, and filesystem options (source=, allow_other, ...) are ignored.
 *
 * Remount @o->mountpoint_real. Returns 0, or -errno after one line on stderr.
 */
int mount_helper_remount(const struct pinfs_options *o);

/*
 * Apply the atime flags libfuse 3.14 cannot pass (nodiratime, strictatime,
 * relatime, ...) to the fresh mount: MS_REMOUNT | MS_BIND changes only the
 * mount's own flags. Returns 0, or -errno after one line on stderr.
 */
int mount_apply_atime(const struct pinfs_options *o);

/*
 * Views: the mounts through which the daemon opens backing files for I/O.
 *
 * The FUSE kernel module never updates atime (its inodes are S_NOATIME); the
 * backing file system does, by the flags of the mount through which the
 * daemon opened the file. So that a pinfs mount's noatime, nodiratime,
 * relatime or strictatime hold (xfstests generic/003), the inode table
 * (inode.h) opens files, directories and links for reading and writing by
 * file handle through a view of their mount: a detached clone of that one
 * mount (open_tree(2) OPEN_TREE_CLONE, not recursive) that carries the pinfs
 * mount's atime mode (mount_setattr(2)). Lookups never go through a view: they
 * walk the daemon's own mount namespace, so pinfs shows SOURCE with every
 * mount beneath it, as a process walking SOURCE sees it, including mounts
 * made or removed while pinfs runs. Views need CAP_SYS_ADMIN and Linux 5.12;
 * without them, or without file handles, a file is reopened through its
 * O_PATH descriptor and the backing mount's own flags apply (docs/usage.md).
 *
 * mount_view_attr(): the atime mode of @o's mount (default relatime) as
 * mount_setattr(2) attributes.
 *
 * mount_view_open(): a view of the mount of the directory @dirfd, rooted at
 * @dirfd, with @attr. Returns an O_RDONLY descriptor of its root (a mount
 * descriptor for open_by_handle_at(2); it keeps the view alive) or -errno.
 */
void mount_view_attr(const struct pinfs_options *o, struct mount_attr *attr);
int mount_view_open(int dirfd, const struct mount_attr *attr);

#endif
