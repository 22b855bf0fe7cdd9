/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mount(8) integration: the remount path of mount.fuse.pinfs.
 *
 * mount(8) runs the helper again for "mount -o remount,..."; a second daemon
 * must not start. The helper changes the flags of the existing mount with
 * mount(2) MS_REMOUNT instead: the current flags (statvfs) are the baseline,
 * the generic flags among the options (ro, rw, nosuid, dev, ...) are applied
 * on top, and filesystem options (source=, allow_other, ...) are ignored.
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

#endif
