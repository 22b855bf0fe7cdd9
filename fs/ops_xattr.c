// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Extended attributes, POSIX ACLs included (system.posix_acl_*; the kernel
 * checks and caches them with FUSE_CAP_POSIX_ACL).
 *
 * O_PATH descriptors do not take f*xattr() (nor getxattrat() with an empty
 * path), so the calls go through /proc/self/fd/N, which resolves to exactly
 * the inode, symlinks included, without a path walk in the backing store.
 *
 * The kernel asks getxattr("security.capability") before every write by a
 * filesystem without killpriv v2, which libfuse 3.14 cannot negotiate. The
 * answer "absent" is cached per inode and forgotten on any change of a
 * security.* attribute made through the mount, so most writes cost one
 * round trip without a system call.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "buffers.h"
#include "creds.h"
#include "inode.h"

#define CAPS_NAME "security.capability"
#define ACL_ACCESS_NAME "system.posix_acl_access"

static void reply_value(fuse_req_t req, size_t size, ssize_t n, const char *buf)
{
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/*
 * getxattr (@name) or listxattr (@name NULL) of @ino into the thread's reply
 * buffer, at most @size bytes (0: only the length), and the reply.
 */
static void read_xattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size,
		       enum pinfs_stat_op op)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_thread *th = pinfs_thread_self();
	bool caps = name && !strcmp(name, CAPS_NAME);
	char *buf = th ? th->io_buf : NULL;
	char path[32];
	struct iref r;
	ssize_t n;

	if (!th) {
		n = -ENOMEM;
		goto reply;
	}
	if (size > th->io_size)
		size = th->io_size;
	n = iref_get(fs, ino, &r);
	if (n)
		goto reply;
	if (caps && atomic_load_explicit(&r.inode->caps_absent, memory_order_relaxed)) {
		stats_count_event(STATS_CAPS_CACHE_HIT);
		n = -ENODATA;
	} else {
		proc_fd_path(path, sizeof(path), r.fd);
		n = name ? getxattr(path, name, size ? buf : NULL, size)
			 : listxattr(path, size ? buf : NULL, size);
		if (n < 0)
			n = -errno;
		if (caps && n == -ENODATA)
			atomic_store(&r.inode->caps_absent, true);
	}
	iref_put(fs, &r);
reply:
	stats_count_op(op, n < 0 ? (int)n : 0);
	reply_value(req, size, n, buf);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	read_xattr(req, ino, name, size, PINFS_OP_GETXATTR);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	read_xattr(req, ino, NULL, size, PINFS_OP_LISTXATTR);
}

/*
 * Setting an access ACL by a caller outside the file's group drops S_ISGID
 * (the kernel asks for it with SETXATTR_ACL_KILL_SGID, which libfuse 3.14
 * does not pass on; xfstests generic/375).
 */
static void acl_kill_sgid(struct pinfs *fs, fuse_req_t req, fuse_ino_t ino, int pfd)
{
	struct stat st;
	char path[32];

	if (fuse_req_ctx(req)->uid == 0 ||
	    fstatat(pfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) || !(st.st_mode & S_ISGID))
		return;
	if (creds_in_group(req, st.st_gid) != 0)
		return;
	proc_fd_path(path, sizeof(path), pfd);
	if (!chmod(path, st.st_mode & ~S_ISGID & 07777))
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct pinfs *fs = pinfs_from_req(req);
	char path[32];
	struct iref r;
	int err = iref_get(fs, ino, &r);

	if (!err) {
		if (!strncmp(name, "security.", 9))
			atomic_store(&r.inode->caps_absent, false);
		proc_fd_path(path, sizeof(path), r.fd);
		if (setxattr(path, name, value, size, flags))
			err = -errno;
		else if (!strcmp(name, ACL_ACCESS_NAME))
			acl_kill_sgid(fs, req, ino, r.fd);
		iref_put(fs, &r);
	}
	stats_count_op(PINFS_OP_SETXATTR, err);
	fuse_reply_err(req, -err);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct pinfs *fs = pinfs_from_req(req);
	char path[32];
	struct iref r;
	int err = iref_get(fs, ino, &r);

	if (!err) {
		proc_fd_path(path, sizeof(path), r.fd);
		if (removexattr(path, name))
			err = -errno;
		iref_put(fs, &r);
	}
	stats_count_op(PINFS_OP_REMOVEXATTR, err);
	fuse_reply_err(req, -err);
}

void ops_xattr_fill(struct fuse_lowlevel_ops *ops)
{
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->setxattr = op_setxattr;
	ops->removexattr = op_removexattr;
}
