/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Locks on the backing file (locks=backing): fcntl record locks and flock.
 *
 * POSIX locks belong to a lock owner (a process, or an open file description
 * for OFD locks), not to a descriptor. Each (inode, owner) pair gets its own
 * backing descriptor and takes open-file-description locks (F_OFD_SETLK) on
 * it: the kernel then merges, splits and checks conflicts between owners
 * exactly as for processes. FLUSH (a close() by the owner) drops the owner's
 * locks, as close() does for POSIX locks; RELEASE drops the owners created
 * through that file (OFD locks). flock uses the file's own backing descriptor,
 * which is one open file description per FUSE open, as flock wants.
 *
 * A request that would block waits in its own thread (workers stay free),
 * retrying when another lock on the mount is released and otherwise with a
 * bounded back-off, until it gets the lock or the caller is interrupted
 * (EINTR). Deadlock detection (EDEADLK) is not available this way. A waiter
 * holds a reference to what it locks through (the owner, or for flock the
 * open file, whose backing description stays open until the waiter ends).
 * When FLUSH drops its owner or RELEASE its file, the waiter ends with EINTR
 * and takes no lock after that. (The Linux FUSE client never releases a file
 * while a lock request on it is in flight; the daemon does not rely on it.)
 *
 * When the daemon stops, locks_stop() ends every waiter with ENOTCONN, as
 * the connection's end would, and waits for its thread, so that none outlives the session, the inode table or the
 * transport it replies through.
 *
 * Lock owners' descriptors are charged to the user who locked (fd_budget.h);
 * when there is none left, a lock fails with ENOLCK.
 */
#ifndef PINFS_LOCKS_H
#define PINFS_LOCKS_H

#include <stdint.h>

#include "pinfs.h"

struct pinfs_file;

/* FLUSH: drop the POSIX locks of @owner on @f's inode. */
void locks_flush(struct pinfs *fs, struct pinfs_file *f, uint64_t owner);

/* RELEASE: drop the lock owners created through @f. */
void locks_file_release(struct pinfs *fs, struct pinfs_file *f);

/*
 * The loop has stopped serving (loop.h), the session and its transport still
 * exist: answer every waiting lock request with ENOTCONN, wait until each
 * waiter's thread has ended, and refuse to start another.
 */
void locks_stop(void);

#endif
