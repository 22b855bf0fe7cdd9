/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mount(8) integration: the remount path of mount.fuse.pinfs.
 *
 * mount(8) runs the helper again for "mount -o remount,..."; a second daemon
 * must not start. The helper changes the flags of the existing mount with
 * mount(2) MS_REMOUNT instead: the current flags (mountinfo) are the baseline,
 * dev_suid clears nodev and nosuid (it changes only the default), the generic
 * flags among the options (ro, rw, nosuid, dev, ...) are applied on top in
 * their order, and filesystem options (source=, allow_other, ...) are ignored.
 */
#ifndef PINFS_MOUNT_HELPER_H
#define PINFS_MOUNT_HELPER_H

#include "options.h"

/* Remount @o->mountpoint_real. Returns 0, or -errno after one line on stderr. */
int mount_helper_remount(const struct pinfs_options *o);

/*
 * Apply the atime flags libfuse 3.14 cannot pass (nodiratime, strictatime,
 * relatime, ...) to the fresh mount: MS_REMOUNT | MS_BIND changes only the
 * mount's own flags. Returns 0, or -errno after one line on stderr.
 */
int mount_apply_atime(const struct pinfs_options *o);

/*
 * The daemon's own view of SOURCE, for the atime flags of the pinfs mount.
 *
 * The FUSE kernel module never updates atime; the backing file system does,
 * by the flags of the mount through which the daemon reaches it. So that a
 * pinfs mount's noatime, nodiratime, relatime or strictatime hold (xfstests
 * generic/003), mount_private_enter() moves the process into a new, private
 * mount namespace and bind-mounts SOURCE (with its submounts) over itself with
 * those flags. The caller opens its SOURCE descriptors there and calls
 * mount_private_leave() to return to the original namespace: the private one
 * then dies, and the descriptors keep its bind mount, flags included, alive
 * for the daemon's whole life. The FUSE mount is never in question.
 *
 * Call single-threaded. enter returns the original namespace's descriptor for
 * leave, or -errno (the process is then where it was).
 */
int mount_private_enter(const struct pinfs_options *o);
void mount_private_leave(int saved_ns);

#endif
