// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session setup: the capabilities pinfs asks the kernel for (INIT).
 *
 *  - no splice (issue 4's splice=... option turns it on);
 *  - no ATOMIC_O_TRUNC: the kernel sends O_TRUNC as a separate SETATTR, which
 *    also carries the suid/sgid kill for unprivileged callers;
 *  - DONT_MASK: the daemon applies the caller's umask itself (per-thread
 *    umask, creds.c), which is the only way default ACLs can take effect;
 *  - POSIX_ACL when the backing filesystem has ACLs;
 *  - EXPORT_SUPPORT when node ids are stable (file handles work);
 *  - POSIX and flock locks on the backing file with locks=backing;
 *  - WRITEBACK_CACHE only with -o writeback_cache.
 */
#include "pinfs.h"

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct pinfs *fs = userdata;

	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	conn->want &= ~(FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_HANDLE_KILLPRIV);
	if (conn->capable & FUSE_CAP_DONT_MASK)
		conn->want |= FUSE_CAP_DONT_MASK;
	if (fs->posix_acl && (conn->capable & FUSE_CAP_POSIX_ACL))
		conn->want |= FUSE_CAP_POSIX_ACL;
	else
		fs->posix_acl = false;
	if (fs->export_support && (conn->capable & FUSE_CAP_EXPORT_SUPPORT))
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	if (fs->remote_locks) {
		conn->want |= conn->capable & (FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	} else {
		conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	}
	fs->writeback = false;
	if (fs->opts->writeback_cache && (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		fs->writeback = true;
	} else {
		conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	}
	if (conn->max_write > fs->opts->max_write)
		conn->max_write = fs->opts->max_write;
	conn->time_gran = 1;
}

void ops_session_fill(struct fuse_lowlevel_ops *ops)
{
	ops->init = op_init;
}
