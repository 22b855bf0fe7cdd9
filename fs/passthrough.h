/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel FUSE passthrough (-o passthrough; Linux 6.9, FOPEN_PASSTHROUGH, spec
 * §3.1): reads, writes and mmap of a regular file opened through pinfs go
 * from the kernel straight to the backing file, and never reach the daemon.
 *
 * What it changes for pinning: the FUSE direct-I/O path (spec §3.2, §3.3) is
 * not used for these files, and neither is any daemon buffer (§3.4). An
 * application's O_DIRECT becomes O_DIRECT on the backing file (the kernel
 * opens its backing file with the application's open flags), so the backing
 * filesystem's own O_DIRECT rules apply: its pins (block O_DIRECT pins with
 * FOLL_PIN since 6.3, spec §2.5) and its alignment (a misaligned request fails
 * with EINVAL instead of being bounced by pinfs).
 *
 * The protocol: INIT grants FUSE_PASSTHROUGH with max_stack_depth 1 (the
 * backing files must be on a filesystem that is not stacked itself);
 * FUSE_DEV_IOC_BACKING_OPEN on /dev/fuse turns a backing descriptor into a
 * backing id; an open or create reply with FOPEN_PASSTHROUGH and that id
 * attaches the kernel's file to it; FUSE_DEV_IOC_BACKING_CLOSE drops the id.
 * The kernel wants every passthrough open of one inode to name the same
 * backing file, so one id serves all open handles of an inode and is closed
 * with the last of them. It needs CAP_SYS_ADMIN.
 */
#ifndef PINFS_PASSTHROUGH_H
#define PINFS_PASSTHROUGH_H

#include <stdint.h>
#include <sys/uio.h>

#include "pinfs.h"

struct pinfs_file;

/* The max_stack_depth pinfs asks for with FUSE_PASSTHROUGH. */
#define PINFS_PASSTHROUGH_STACK_DEPTH 1

/*
 * After INIT, with the flags the kernel offered in it (init_ext.h) and the
 * session's /dev/fuse @fuse_fd: whether this mount can use passthrough. On
 * failure prints why (one line) and returns a negative errno; the mount is
 * then refused.
 */
int passthrough_check(struct pinfs *fs, int fuse_fd, uint64_t offered);

/*
 * Open and create handlers, as @f is made and before its engine opens
 * anything: give @f its inode's backing id, so that the reply this thread
 * sends next for @f (fi->fh = @f) carries FOPEN_PASSTHROUGH. Without
 * passthrough, or for a file that cannot use it, nothing happens and the
 * file is served by the daemon.
 */
void passthrough_open(struct pinfs *fs, struct pinfs_file *f);

/* The file is released: drop its share of the backing id. */
void passthrough_release(struct pinfs *fs, struct pinfs_file *f);

/* Every reply goes through here (init_ext.c): completes the open reply armed above. */
void passthrough_reply(struct iovec *iov, int count);

/* Files opened with passthrough so far, and backing ids open now (control stats). */
void passthrough_counts(uint64_t *opens, uint64_t *backing_ids);

#endif
