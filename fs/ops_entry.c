// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Name and attribute operations: lookup, forget, getattr, setattr, readlink,
 * mknod, mkdir, symlink, unlink, rmdir, rename, link, statfs, access.
 *
 * Containment: every operation works on an O_PATH descriptor of an inode the
 * kernel named, plus at most one path component, with *at() calls that never
 * follow a symlink in the backing store (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW,
 * AT_EMPTY_PATH). ".." of the root is the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "creds.h"
#include "file.h"
#include "inode.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static int stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

static void fill_entry(struct pinfs *fs, struct fuse_entry_param *e, struct pinfs_inode *in,
		       const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = in->nodeid;
	e->generation = inode_generation(in, fs->generation);
	e->attr = *st;
	e->attr_timeout = fs->opts->timeout;
	e->entry_timeout = fs->opts->timeout;
}

static bool is_shadowed(struct pinfs *fs, struct pinfs_inode *dir, const char *name)
{
	return fs->shadow_fd >= 0 && dir->dev == fs->shadow_dev && dir->ino == fs->shadow_ino &&
	       !strcmp(name, fs->shadow_name);
}

/* Look @name up in directory @dir whose O_PATH descriptor is @dirfd. */
static int lookup_in(struct pinfs *fs, struct pinfs_inode *dir, int dirfd, const char *name,
		     struct fuse_entry_param *e)
{
	struct pinfs_inode *in;
	struct stat st;
	int fd, err;

	if (!strcmp(name, ".") || (!strcmp(name, "..") && dir->nodeid == FUSE_ROOT_ID)) {
		err = stat_fd(dirfd, &st);
		if (err)
			return err;
		inode_ref_kernel(fs->itab, dir);
		fill_entry(fs, e, dir, &st);
		return 0;
	}
	if (is_shadowed(fs, dir, name))
		fd = fcntl(fs->shadow_fd, F_DUPFD_CLOEXEC, 0);
	else
		fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = stat_fd(fd, &st);
	if (err) {
		close(fd);
		return err;
	}
	err = inode_register(fs->itab, fd, &st, &in);
	if (err)
		return err;
	fill_entry(fs, e, in, &st);
	inode_put(fs->itab, in);
	return 0;
}

/*
 * An export handle's LOOKUP(N, ".") or (N, "..") for a node id this daemon
 * never gave out (one from before a remount): reopen it by its stable id.
 */
static int lookup_revived(struct pinfs *fs, fuse_ino_t nodeid, const char *name,
			  struct fuse_entry_param *e)
{
	struct pinfs_inode *in = inode_revive(fs->itab, nodeid);
	struct stat st;
	struct iref dir;
	int err;

	if (!in)
		return -ESTALE;
	if (!strcmp(name, ".")) {
		/* inode_revive() took the kernel reference this LOOKUP returns. */
		err = iref_get(fs, nodeid, &dir);
		if (!err) {
			err = stat_fd(dir.fd, &st);
			if (!err)
				fill_entry(fs, e, in, &st);
			iref_put(fs, &dir);
		}
		if (err)
			inode_forget(fs->itab, nodeid, 1);
		inode_put(fs->itab, in);
		return err;
	}
	err = iref_get(fs, nodeid, &dir);
	if (!err) {
		err = lookup_in(fs, dir.inode, dir.fd, name, e);
		iref_put(fs, &dir);
	}
	inode_forget(fs->itab, nodeid, 1);	/* only the result is the kernel's */
	inode_put(fs->itab, in);
	return err;
}

int pinfs_do_lookup(struct pinfs *fs, fuse_ino_t parent, const char *name,
		    struct fuse_entry_param *e)
{
	struct iref dir;
	int err = iref_get(fs, parent, &dir);

	if (err == -ESTALE && (!strcmp(name, ".") || !strcmp(name, "..")))
		return lookup_revived(fs, parent, name, e);
	if (err)
		return err;
	err = lookup_in(fs, dir.inode, dir.fd, name, e);
	iref_put(fs, &dir);
	return err;
}

int pinfs_kill_suid(struct pinfs *fs, fuse_req_t req, fuse_ino_t ino, int fd)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	mode_t kill = 0;
	struct stat st;

	if (ctx->uid == 0 || fstat(fd, &st))
		return 0;
	if (!S_ISREG(st.st_mode) || !(st.st_mode & (S_ISUID | S_ISGID)))
		return 0;
	if (st.st_mode & S_ISUID)
		kill |= S_ISUID;
	/* The kernel's setattr_should_drop_sgid(). */
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		kill |= S_ISGID;
	else if ((st.st_mode & S_ISGID) && creds_in_group(req, st.st_gid) == 0)
		kill |= S_ISGID;
	if (!kill)
		return 0;
	if (fchmod(fd, st.st_mode & ~kill & 07777))
		return -errno;
	fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
	return 0;
}

static void reply_entry_or_err(fuse_req_t req, enum pinfs_stat_op op, int err,
			       const struct fuse_entry_param *e)
{
	stats_count(&pinfs_from_req(req)->stats, op, err);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, e);
}

static void reply_status(fuse_req_t req, enum pinfs_stat_op op, int err)
{
	stats_count(&pinfs_from_req(req)->stats, op, err);
	fuse_reply_err(req, -err);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct fuse_entry_param e;
	int err = pinfs_do_lookup(fs, parent, name, &e);

	if (err == -ENOENT && fs->opts->negative_timeout > 0) {
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->opts->negative_timeout;
		stats_count(&fs->stats, PINFS_OP_LOOKUP, err);
		fuse_reply_entry(req, &e);
		return;
	}
	reply_entry_or_err(req, PINFS_OP_LOOKUP, err, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct pinfs *fs = pinfs_from_req(req);

	inode_forget(fs->itab, ino, nlookup);
	stats_count(&fs->stats, PINFS_OP_FORGET, 0);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct pinfs *fs = pinfs_from_req(req);

	for (size_t i = 0; i < count; i++)
		inode_forget(fs->itab, forgets[i].ino, forgets[i].nlookup);
	stats_count(&fs->stats, PINFS_OP_FORGET, 0);
	fuse_reply_none(req);
}

static int getattr_of(struct pinfs *fs, fuse_ino_t ino, struct fuse_file_info *fi, struct stat *st)
{
	struct iref r;
	int err;

	if (fi)
		return fstat(file_of(fi)->fd, st) ? -errno : 0;
	err = iref_get(fs, ino, &r);
	if (err)
		return err;
	err = stat_fd(r.fd, st);
	iref_put(fs, &r);
	return err;
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct stat st;
	int err = getattr_of(fs, ino, fi, &st);

	stats_count(&fs->stats, PINFS_OP_GETATTR, err);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, fs->opts->timeout);
}

static int chmod_path(int pfd, mode_t mode)
{
	char path[32];

	if (!syscall(SYS_fchmodat2, pfd, "", mode, AT_EMPTY_PATH))
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
	proc_fd_path(path, sizeof(path), pfd);
	return chmod(path, mode) ? -errno : 0;
}

/*
 * chmod by a caller outside the file's group drops S_ISGID, as setattr_copy()
 * does in the kernel; the daemon acts as root, for whom it would not.
 */
static mode_t chmod_mode(fuse_req_t req, int pfd, mode_t mode)
{
	struct stat st;

	if (!(mode & S_ISGID) || fuse_req_ctx(req)->uid == 0 || stat_fd(pfd, &st))
		return mode;
	if (creds_in_group(req, st.st_gid) == 0)
		mode &= ~S_ISGID;
	return mode;
}

/*
 * Apply @valid parts of @attr. @pfd names the inode (O_PATH or an open
 * descriptor), @fd is an open descriptor or -1.
 */
static int do_setattr(fuse_req_t req, int pfd, int fd, struct stat *attr, int valid)
{
	if (valid & FUSE_SET_ATTR_MODE) {
		mode_t mode = chmod_mode(req, pfd, attr->st_mode & 07777);
		int err = fd >= 0 ? (fchmod(fd, mode) ? -errno : 0) : chmod_path(pfd, mode);

		if (err)
			return err;
	}
	/*
	 * chown(f, -1, -1) changes only ctime: the kernel sends a SETATTR with
	 * no attribute (FUSE_SET_ATTR_CTIME alone under the writeback cache).
	 * The same call on the backing inode updates its ctime, as ext4 does.
	 */
	if (!(valid & ~FUSE_SET_ATTR_CTIME))
		return fchownat(pfd, "", -1, -1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = valid & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid = valid & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

		if (fchownat(pfd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	if (valid & FUSE_SET_ATTR_SIZE) {
		int err;

		if (fd >= 0) {
			err = ftruncate(fd, attr->st_size) ? -errno : 0;
		} else {
			char path[32];

			proc_fd_path(path, sizeof(path), pfd);
			err = truncate(path, attr->st_size) ? -errno : 0;
		}
		if (err)
			return err;
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		struct timespec ts[2] = {
			{.tv_nsec = UTIME_OMIT},
			{.tv_nsec = UTIME_OMIT},
		};

		if (valid & FUSE_SET_ATTR_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_ATIME)
			ts[0] = attr->st_atim;
		if (valid & FUSE_SET_ATTR_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_MTIME)
			ts[1] = attr->st_mtim;
		if (fd >= 0 ? futimens(fd, ts)
			    : utimensat(pfd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	return 0;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid,
		       struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct stat st;
	struct iref r;
	int err;

	if (fi) {
		/* An open file may be unlinked: use its descriptor for everything. */
		int fd = file_of(fi)->fd;

		err = do_setattr(req, fd, fd, attr, valid);
		if (!err && fstat(fd, &st))
			err = -errno;
	} else {
		err = iref_get(fs, ino, &r);
		if (!err) {
			err = do_setattr(req, r.fd, -1, attr, valid);
			if (!err)
				err = stat_fd(r.fd, &st);
			iref_put(fs, &r);
		}
	}
	stats_count(&fs->stats, PINFS_OP_SETATTR, err);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, fs->opts->timeout);
}

/* The link is read through the view of its mount, for the atime flags (inode.h). */
static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_inode *in = inode_get(fs->itab, ino);
	char buf[PATH_MAX + 1];
	ssize_t n = 0;
	int err = in ? 0 : -ESTALE, fd;

	if (in) {
		fd = inode_open(fs->itab, in, O_PATH);
		if (fd < 0) {
			err = fd;
		} else {
			n = readlinkat(fd, "", buf, sizeof(buf));
			if (n < 0)
				err = -errno;
			else if ((size_t)n >= sizeof(buf))
				err = -ENAMETOOLONG;
			close(fd);
		}
		inode_put(fs->itab, in);
	}
	stats_count(&fs->stats, PINFS_OP_READLINK, err);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	buf[n] = '\0';
	fuse_reply_readlink(req, buf);
}

enum node_kind { NODE_MKNOD, NODE_MKDIR, NODE_SYMLINK };

/* Create a node as the caller (creds.h) and look it up. */
static int make_node(fuse_req_t req, fuse_ino_t parent, const char *name, enum node_kind kind,
		     mode_t mode, dev_t rdev, const char *target, struct fuse_entry_param *e)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct creds_saved cs;
	struct iref dir;
	int err, res;

	err = iref_get(fs, parent, &dir);
	if (err)
		return err;
	if (is_shadowed(fs, dir.inode, name)) {
		err = -EEXIST;
		goto out;
	}
	err = creds_enter_creator(fs, req, &mode, &cs);
	if (err)
		goto out;
	switch (kind) {
	case NODE_MKDIR:
		res = mkdirat(dir.fd, name, mode);
		break;
	case NODE_SYMLINK:
		res = symlinkat(target, dir.fd, name);
		break;
	default:
		res = mknodat(dir.fd, name, mode, rdev);
		break;
	}
	err = res ? -errno : 0;
	creds_leave(&cs);
	if (!err)
		err = lookup_in(fs, dir.inode, dir.fd, name, e);
out:
	iref_put(fs, &dir);
	return err;
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct fuse_entry_param e;
	int err = make_node(req, parent, name, NODE_MKNOD, mode, rdev, NULL, &e);

	reply_entry_or_err(req, PINFS_OP_MKNOD, err, &e);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fuse_entry_param e;
	int err = make_node(req, parent, name, NODE_MKDIR, mode | S_IFDIR, 0, NULL, &e);

	reply_entry_or_err(req, PINFS_OP_MKDIR, err, &e);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int err = make_node(req, parent, name, NODE_SYMLINK, 0, 0, link, &e);

	reply_entry_or_err(req, PINFS_OP_SYMLINK, err, &e);
}

static int remove_entry(struct pinfs *fs, fuse_ino_t parent, const char *name, int flags)
{
	struct iref dir;
	int err = iref_get(fs, parent, &dir);

	if (err)
		return err;
	if (is_shadowed(fs, dir.inode, name))
		err = -EBUSY;
	else if (unlinkat(dir.fd, name, flags))
		err = -errno;
	iref_put(fs, &dir);
	return err;
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	reply_status(req, PINFS_OP_UNLINK, remove_entry(pinfs_from_req(req), parent, name, 0));
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	reply_status(req, PINFS_OP_RMDIR,
		     remove_entry(pinfs_from_req(req), parent, name, AT_REMOVEDIR));
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct iref from, to;
	int err = iref_get(fs, parent, &from);

	if (!err) {
		err = iref_get(fs, newparent, &to);
		if (!err) {
			if (is_shadowed(fs, from.inode, name) || is_shadowed(fs, to.inode, newname))
				err = -EBUSY;
			else if (syscall(SYS_renameat2, from.fd, name, to.fd, newname, flags))
				err = -errno;
			iref_put(fs, &to);
		}
		iref_put(fs, &from);
	}
	reply_status(req, PINFS_OP_RENAME, err);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct fuse_entry_param e;
	struct iref src, dir;
	struct stat st;
	int err = iref_get(fs, ino, &src);

	if (err)
		goto reply;
	err = iref_get(fs, newparent, &dir);
	if (err)
		goto put_src;
	if (fs->is_root) {
		if (linkat(src.fd, "", dir.fd, newname, AT_EMPTY_PATH))
			err = -errno;
	} else {
		char path[32];

		proc_fd_path(path, sizeof(path), src.fd);
		if (linkat(AT_FDCWD, path, dir.fd, newname, AT_SYMLINK_FOLLOW))
			err = -errno;
	}
	if (!err)
		err = stat_fd(src.fd, &st);
	if (!err) {
		inode_ref_kernel(fs->itab, src.inode);
		fill_entry(fs, &e, src.inode, &st);
	}
	iref_put(fs, &dir);
put_src:
	iref_put(fs, &src);
reply:
	reply_entry_or_err(req, PINFS_OP_LINK, err, &e);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct statvfs sv;
	struct iref r;
	int err = iref_get(fs, ino, &r);

	if (!err) {
		if (fstatvfs(r.fd, &sv))
			err = -errno;
		iref_put(fs, &r);
	}
	stats_count(&fs->stats, PINFS_OP_STATFS, err);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_statfs(req, &sv);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct creds_saved cs;
	struct iref r;
	int err = iref_get(fs, ino, &r);

	if (!err) {
		err = creds_enter_caller(fs, req, &cs);
		if (!err) {
			if (faccessat(r.fd, "", mask, AT_EMPTY_PATH | AT_EACCESS))
				err = -errno;
			creds_leave(&cs);
		}
		iref_put(fs, &r);
	}
	reply_status(req, PINFS_OP_ACCESS, err);
}

void ops_entry_fill(struct fuse_lowlevel_ops *ops)
{
	ops->lookup = op_lookup;
	ops->forget = op_forget;
	ops->forget_multi = op_forget_multi;
	ops->getattr = op_getattr;
	ops->setattr = op_setattr;
	ops->readlink = op_readlink;
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->symlink = op_symlink;
	ops->unlink = op_unlink;
	ops->rmdir = op_rmdir;
	ops->rename = op_rename;
	ops->link = op_link;
	ops->statfs = op_statfs;
	ops->access = op_access;
}
