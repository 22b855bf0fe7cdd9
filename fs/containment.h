/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Containment of inodes reopened by node id.
 *
 * A stable node id (nodeid.h) is a backing file handle, and a file handle
 * names an inode anywhere on the backing filesystem. So an id that this
 * daemon did not reach by a lookup under SOURCE (one from before a remount,
 * or one built by hand) is revived only if its inode is proven to lie
 * beneath SOURCE; otherwise the answer is ESTALE.
 *
 * - SOURCE is the root of its filesystem: every inode of that device is
 *   beneath SOURCE, and nothing is checked.
 * - Otherwise: the path the kernel reports for the reopened inode
 *   (/proc/self/fd) is resolved again beneath SOURCE (openat2 with
 *   RESOLVE_BENEATH, no symlinks, no mount crossings), and must give the same
 *   inode. The path is only a candidate; the resolution is the proof. It
 *   holds at the moment of the resolution: a record, once revived, follows
 *   its inode as one made by a lookup does.
 *
 * The kernel reconnects a directory reopened by handle to its real path, so
 * a directory beneath SOURCE is always proven. A non-directory has no parent
 * in its handle: it is proven only through a name the kernel still caches
 * for it (a dentry). One whose dentries were evicted (memory pressure,
 * drop_caches), or whose cached name is a hard link outside SOURCE, or that
 * is unlinked, gives ESTALE, as does a path longer than PATH_MAX.
 */
#ifndef PINFS_CONTAINMENT_H
#define PINFS_CONTAINMENT_H

#include <stdbool.h>
#include <sys/stat.h>

/*
 * True if the directory @source_fd is the root of its filesystem: it is the
 * root of its mount (statx STATX_ATTR_MOUNT_ROOT), and that mount shows the
 * filesystem from its root ("/" in /proc/self/mountinfo). A bind mount of a
 * subdirectory over itself is a mount root but not a filesystem root. Call
 * in the mount namespace where @source_fd's mount is attached. False when
 * in doubt.
 */
bool source_is_fs_root(int source_fd);

/*
 * 0 if the inode open at @fd, with attributes @st, is reachable beneath the
 * directory @source_fd (above), else -ESTALE.
 */
int inode_beneath_source(int source_fd, int fd, const struct stat *st);

#endif
