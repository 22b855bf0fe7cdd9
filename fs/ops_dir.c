// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Directories: opendir, readdir, readdirplus, releasedir, fsyncdir.
 *
 * Offsets are the backing directory's own (telldir cookies via d_off), so a
 * seek back to any offset the kernel saw works. readdirplus looks each entry
 * up (one kernel reference each, except "." and "..", which the kernel does
 * not count) and returns the reference if the entry does not fit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffers.h"
#include "fd_budget.h"
#include "inode.h"

struct pinfs_dir {
	/*
	 * Protects the stream and the fields below. Lock order
	 * (docs/design.md): readdirplus looks entries up under it, so the mount
	 * registry's, the inode table's and the descriptor cache's locks come
	 * after it; it is taken under no other lock.
	 */
	pthread_mutex_t lock;
	DIR *dp;
	off_t offset; /* offset of the next entry to return */
	struct dirent *entry; /* read but not yet returned */
	struct pinfs_inode *inode;
	uid_t uid; /* its descriptor is charged to this user (fd_budget.h) */
};

static struct pinfs_dir *dir_of(const struct fuse_file_info *fi)
{
	return (struct pinfs_dir *)(uintptr_t)fi->fh;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_dir *d = calloc(1, sizeof(*d));
	int fd, err = 0;
	int flags = O_RDONLY | O_DIRECTORY;

	if (!d) {
		err = -ENOMEM;
		goto reply;
	}
	d->inode = inode_get(fs->itab, ino);
	if (!d->inode) {
		err = -ESTALE;
		goto fail;
	}
	d->uid = fuse_req_ctx(req)->uid;
	err = fd_budget_charge(fs->fds, d->uid, 1);
	if (err)
		goto fail_put;
	if (fs->opts->noatime && fs->is_root)
		flags |= O_NOATIME;
	fd = inode_open(fs->itab, d->inode, flags);
	if (fd < 0) {
		err = fd;
		goto fail_uncharge;
	}
	d->dp = fdopendir(fd);
	if (!d->dp) {
		err = -errno;
		close(fd);
		goto fail_uncharge;
	}
	pthread_mutex_init(&d->lock, NULL);
	fi->fh = (uintptr_t)d;
	stats_count_op(PINFS_OP_OPENDIR, 0);
	if (fuse_reply_open(req, fi)) {
		closedir(d->dp);
		fd_budget_uncharge(fs->fds, d->uid, 1);
		inode_put(fs->itab, d->inode);
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
	return;
fail_uncharge:
	fd_budget_uncharge(fs->fds, d->uid, 1);
fail_put:
	inode_put(fs->itab, d->inode);
fail:
	free(d);
reply:
	stats_count_op(PINFS_OP_OPENDIR, err);
	fuse_reply_err(req, -err);
}

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Fill @buf (@size bytes) from the directory stream. Returns bytes used or -errno. */
static ssize_t fill_dir(fuse_req_t req, fuse_ino_t ino, struct pinfs_dir *d, char *buf, size_t size,
			off_t off, bool plus)
{
	struct pinfs *fs = pinfs_from_req(req);
	size_t used = 0;
	int err = 0;

	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e;
		const char *name;
		off_t next;
		size_t len;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno ? -errno : 0;
				break;
			}
		}
		name = d->entry->d_name;
		next = d->entry->d_off;
		if (plus) {
			memset(&e, 0, sizeof(e));
			if (is_dot_or_dotdot(name)) {
				e.attr.st_ino = d->entry->d_ino;
				e.attr.st_mode = (mode_t)d->entry->d_type << 12;
			} else {
				err = pinfs_do_lookup(fs, ino, name, &e);
				if (err == -ENOENT) {
					/* Removed since readdir saw it: skip. */
					err = 0;
					d->entry = NULL;
					d->offset = next;
					continue;
				}
				if (err)
					break;
			}
			len = fuse_add_direntry_plus(req, buf + used, size - used, name, &e, next);
			if (len > size - used) {
				if (!is_dot_or_dotdot(name))
					inode_forget(fs->itab, e.ino, 1);
				break;
			}
		} else {
			struct stat st = {
				.st_ino = d->entry->d_ino,
				.st_mode = (mode_t)d->entry->d_type << 12,
			};

			len = fuse_add_direntry(req, buf + used, size - used, name, &st, next);
			if (len > size - used)
				break;
		}
		used += len;
		d->entry = NULL;
		d->offset = next;
	}
	/* An error after some entries: return those, the error comes next time. */
	if (err && used == 0)
		return err;
	return (ssize_t)used;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct pinfs_thread *th = pinfs_thread_self();
	enum pinfs_stat_op op = plus ? PINFS_OP_READDIRPLUS : PINFS_OP_READDIR;
	struct pinfs_dir *d = dir_of(fi);
	ssize_t n;

	if (!th) {
		stats_count_op(op, -ENOMEM);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (size > th->io_size)
		size = th->io_size;
	pthread_mutex_lock(&d->lock);
	n = fill_dir(req, ino, d, th->io_buf, size, off, plus);
	pthread_mutex_unlock(&d->lock);
	stats_count_op(op, n < 0 ? (int)n : 0);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, th->io_buf, (size_t)n);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_dir *d = dir_of(fi);

	closedir(d->dp);
	fd_budget_uncharge(fs->fds, d->uid, 1);
	inode_put(fs->itab, d->inode);
	pthread_mutex_destroy(&d->lock);
	free(d);
	stats_count_op(PINFS_OP_RELEASEDIR, 0);
	fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int fd = dirfd(dir_of(fi)->dp);
	int err = (datasync ? fdatasync(fd) : fsync(fd)) ? -errno : 0;

	stats_count_op(PINFS_OP_FSYNCDIR, err);
	fuse_reply_err(req, -err);
}

void ops_dir_fill(struct fuse_lowlevel_ops *ops)
{
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->readdirplus = op_readdirplus;
	ops->releasedir = op_releasedir;
	ops->fsyncdir = op_fsyncdir;
}
