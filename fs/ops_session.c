// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session setup: the capabilities pinfs asks the kernel for (INIT).
 *
 *  - splice as -o splice= and vmsplice say: splice=write receives requests
 *    through a pipe (FUSE_CAP_SPLICE_READ), splice=read and vmsplice send
 *    replies through one (FUSE_CAP_SPLICE_WRITE, with SPLICE_MOVE so that
 *    pages read with O_DIRECT can be moved into the page cache); libfuse only
 *    splices a request in when its pipe holds max_write plus a header, so
 *    with splice=write max_write is lowered to fit pipe-max-size;
 *  - no ATOMIC_O_TRUNC: the kernel sends O_TRUNC as a separate SETATTR, which
 *    also carries the suid/sgid kill for unprivileged callers;
 *  - DONT_MASK: the daemon applies the caller's umask itself (per-thread
 *    umask, creds.c), which is the only way default ACLs can take effect;
 *  - POSIX_ACL when the backing filesystem has ACLs;
 *  - EXPORT_SUPPORT when node ids are stable (file handles work);
 *  - POSIX and flock locks on the backing file with locks=backing;
 *  - WRITEBACK_CACHE only with -o writeback_cache;
 *  - max_background from -o max_background: the kernel's default of 12
 *    asynchronous requests in flight would hold an io_uring or AIO O_DIRECT
 *    reader at QD32 to 12 READs in the daemon, however many workers wait.
 */
#include <stdio.h>

#include <pinit/page.h>

#include "pinfs.h"

#define PIPE_HEADER_ROOM 4096	/* FUSE_BUFFER_HEADER_SIZE of libfuse */

static unsigned int pipe_max_size(void)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
	unsigned int v = 0;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void want_splice(struct pinfs *fs, struct fuse_conn_info *conn)
{
	unsigned int pipe_max;

	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	if ((fs->opts->splice & SPLICE_READ) || fs->opts->vmsplice)
		conn->want |= conn->capable & (FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	if (!(fs->opts->splice & SPLICE_WRITE) || !(conn->capable & FUSE_CAP_SPLICE_READ))
		return;
	conn->want |= FUSE_CAP_SPLICE_READ;
	pipe_max = pipe_max_size();
	if (pipe_max > PIPE_HEADER_ROOM && conn->max_write + PIPE_HEADER_ROOM > pipe_max) {
		conn->max_write = (pipe_max - PIPE_HEADER_ROOM) & PAGE_MASK;
		fprintf(stderr, "pinfs: splice=write: max_write lowered to %u so a request fits "
				"a pipe (pipe-max-size %u)\n", conn->max_write, pipe_max);
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct pinfs *fs = userdata;

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
	want_splice(fs, conn);
	conn->max_background = fs->opts->max_background;
	conn->time_gran = 1;
}

void ops_session_fill(struct fuse_lowlevel_ops *ops)
{
	ops->init = op_init;
}
