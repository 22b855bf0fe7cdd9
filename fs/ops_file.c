// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Open files: open, create, flush, release, fsync, fallocate, lseek,
 * copy_file_range.
 *
 * Open-flag fixups are one function used by open and create alike (the
 * reference passthrough forgot them in create: xfstests generic/069, 366):
 *  - the application's O_DIRECT is dropped from the file's descriptor, which
 *    serves the page cache; a second, O_DIRECT descriptor of the same file is
 *    opened where backing_dio= asks for one (dio.h), and an application
 *    O_DIRECT also sets FOPEN_DIRECT_IO (direct_io=auto, not under the
 *    writeback cache);
 *  - under the writeback cache, O_APPEND is dropped (the kernel sends every
 *    write at its offset) and write-only opens become read-write (the page
 *    cache reads partial pages through the same handle);
 *  - noatime mounts open with O_NOATIME (xfstests generic/120);
 *  - with -o passthrough, a regular file's reads and writes are the kernel's
 *    (passthrough.h): its open reply carries the backing id, no direct_io.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "engine.h"
#include "fd_budget.h"
#include "file.h"
#include "inode.h"
#include "locks.h"
#include "passthrough.h"
#include "unsafe.h"

static int backing_flags(struct pinfs *fs, int flags)
{
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT);
	if (fs->writeback) {
		flags &= ~O_APPEND;
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
	}
	if (fs->opts->noatime && fs->is_root)
		flags |= O_NOATIME;
	return flags | O_CLOEXEC;
}

static void set_open_reply(struct pinfs *fs, struct fuse_file_info *fi, struct pinfs_file *f)
{
	fi->fh = (uintptr_t)f;
	switch (fs->opts->direct_io) {
	case DIRECT_IO_AUTO:
		/*
		 * Under the writeback cache an O_DIRECT read must see dirty
		 * pages: the kernel's generic O_DIRECT path writes them back
		 * first, FOPEN_DIRECT_IO does not.
		 */
		fi->direct_io = (fi->flags & O_DIRECT) && !fs->writeback;
		break;
	case DIRECT_IO_ALWAYS:
		fi->direct_io = 1;
		break;
	case DIRECT_IO_NEVER:
		fi->direct_io = 0;
		break;
	}
	fi->keep_cache = 0;
	/* The kernel prefers FOPEN_DIRECT_IO to FOPEN_PASSTHROUGH: a passthrough file has none. */
	if (f->passthrough)
		fi->direct_io = 0;
}

/* Descriptors an open file may hold: the backing file and its O_DIRECT twin (dio.h). */
#define FILE_FDS_MAX 2

/*
 * Charge the descriptors of an open by @req's user before anything is opened
 * (an open past the budget must not create or truncate). file_new() gives
 * back what the file does not use.
 */
static int file_charge(struct pinfs *fs, fuse_req_t req)
{
	return fd_budget_charge(fs->fds, fuse_req_ctx(req)->uid, FILE_FDS_MAX);
}

static void file_uncharge(struct pinfs *fs, fuse_req_t req)
{
	fd_budget_uncharge(fs->fds, fuse_req_ctx(req)->uid, FILE_FDS_MAX);
}

/*
 * Wrap @fd; takes over @fd, the in-flight reference on @in and the charge of
 * file_charge(). The file starts with the kernel's reference.
 */
static int file_new(struct pinfs *fs, fuse_req_t req, struct pinfs_inode *in, int fd, int flags,
		    struct pinfs_file **out)
{
	struct pinfs_file *f = calloc(1, sizeof(*f));
	int err = -ENOMEM;

	if (!f)
		goto fail;
	f->fd = fd;
	f->dio_fd = -1;
	f->flags = flags;
	f->inode = in;
	f->engine = fs->engine;
	f->uid = fuse_req_ctx(req)->uid;
	f->refs = 1;
	/* A passthrough file's reads and writes are the kernel's: the engine opens nothing for it. */
	passthrough_open(fs, f);
	if (f->engine->open && !f->passthrough) {
		err = f->engine->open(fs, f);
		if (err)
			goto fail;
	}
	f->charged = 1 + (f->dio_fd >= 0);
	fd_budget_uncharge(fs->fds, f->uid, FILE_FDS_MAX - f->charged);
	*out = f;
	return 0;
fail:
	free(f);
	close(fd);
	file_uncharge(fs, req);
	inode_put(fs->itab, in);
	return err;
}

void file_put(struct pinfs *fs, struct pinfs_file *f)
{
	struct pinfs_inode *in = f->inode;
	bool last;

	pthread_mutex_lock(&in->lock);
	last = !--f->refs;
	pthread_mutex_unlock(&in->lock);
	if (!last)
		return;
	/* unsafe=early_ack: a WRITE acknowledged before its data was written may still use @f */
	while (unsafe_active(UNSAFE_EARLY_ACK) && atomic_load(&f->early_acked))
		usleep(1000);
	if (f->engine->release)
		f->engine->release(fs, f);
	close(f->fd);
	fd_budget_uncharge(fs->fds, f->uid, f->charged);
	inode_put(fs->itab, in);
	free(f);
}

/* RELEASE, or an open the kernel never saw: end the kernel's reference. */
static void file_release(struct pinfs *fs, struct pinfs_file *f)
{
	passthrough_release(fs, f);
	if (fs->remote_locks)
		locks_file_release(fs, f);
	file_put(fs, f);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_inode *in = inode_get(fs->itab, ino);
	struct pinfs_file *f;
	int fd, err;

	if (!in) {
		err = -ESTALE;
		goto reply;
	}
	err = file_charge(fs, req);
	if (err) {
		inode_put(fs->itab, in);
		goto reply;
	}
	fd = inode_open(fs->itab, in, backing_flags(fs, fi->flags));
	if (fd < 0) {
		file_uncharge(fs, req);
		inode_put(fs->itab, in);
		err = fd;
		goto reply;
	}
	err = file_new(fs, req, in, fd, fi->flags, &f);
	if (err)
		goto reply;
	set_open_reply(fs, fi, f);
	stats_count_op(PINFS_OP_OPEN, 0);
	if (fuse_reply_open(req, fi))
		file_release(fs, f); /* interrupted: the kernel never saw it */
	return;
reply:
	stats_count_op(PINFS_OP_OPEN, err);
	fuse_reply_err(req, -err);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct fuse_entry_param e;
	struct pinfs_inode *in;
	struct creds_saved cs;
	struct pinfs_file *f;
	struct iref dir;
	struct stat st;
	char path[32];
	int fd, pfd, err;

	err = file_charge(fs, req);
	if (err)
		goto reply;
	err = iref_get(fs, parent, &dir);
	if (err)
		goto uncharge;
	err = creds_enter_creator(fs, req, &mode, &cs);
	if (err) {
		iref_put(fs, &dir);
		goto uncharge;
	}
	fd = openat(dir.fd, name,
		    backing_flags(fs, fi->flags) | O_CREAT | (fi->flags & O_EXCL) | O_NOFOLLOW,
		    mode);
	err = fd < 0 ? -errno : 0;
	creds_leave(&cs);
	iref_put(fs, &dir);
	if (err)
		goto uncharge;

	/* The entry: an O_PATH descriptor of exactly the inode just opened. */
	proc_fd_path(path, sizeof(path), fd);
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0 || fstat(fd, &st)) {
		err = -errno;
		if (pfd >= 0)
			close(pfd);
		close(fd);
		goto uncharge;
	}
	err = inode_register(fs->itab, pfd, &st, &in);
	if (err) {
		close(fd);
		goto uncharge;
	}
	memset(&e, 0, sizeof(e));
	e.ino = in->nodeid;
	e.generation = inode_generation(in, fs->generation);
	e.attr = st;
	e.attr_timeout = fs->opts->timeout;
	e.entry_timeout = fs->opts->timeout;
	err = file_new(fs, req, in, fd, fi->flags, &f);
	if (err) {
		inode_forget(fs->itab, e.ino, 1);
		goto reply;
	}
	set_open_reply(fs, fi, f);
	stats_count_op(PINFS_OP_CREATE, 0);
	if (fuse_reply_create(req, &e, fi)) {
		file_release(fs, f);
		inode_forget(fs->itab, e.ino, 1);
	}
	return;
uncharge:
	file_uncharge(fs, req);
reply:
	stats_count_op(PINFS_OP_CREATE, err);
	fuse_reply_err(req, -err);
}

/*
 * What a close() of the backing file would report. Closing a duplicate runs
 * the backing filesystem's flush, whose error is the close()'s (NFS reports
 * write-back errors there). It is not about locks: the daemon holds no
 * process-owned POSIX locks, in either locks= mode (locks.h). The duplicate
 * normally comes out of the reserve (fd_budget.h); if no descriptor is free
 * at all, a file open for writing is written back with fdatasync() instead,
 * which reports the same errors. So FLUSH never fails with EMFILE or ENFILE,
 * as no close() does.
 */
static int flush_backing(struct pinfs_file *f)
{
	int fd = dup(f->fd);

	if (fd >= 0)
		return close(fd) ? -errno : 0;
	if (errno != EMFILE && errno != ENFILE)
		return -errno;
	if ((f->flags & O_ACCMODE) == O_RDONLY || !fdatasync(f->fd))
		return 0;
	/* A file that cannot be synchronised has nothing to flush. */
	return errno == EINVAL || errno == EROFS ? 0 : -errno;
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	int err;

	if (fs->remote_locks)
		locks_flush(fs, f, fi->lock_owner);
	err = flush_backing(f);
	stats_count_op(PINFS_OP_FLUSH, err);
	fuse_reply_err(req, -err);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);

	file_release(fs, file_of(fi));
	stats_count_op(PINFS_OP_RELEASE, 0);
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int fd = file_of(fi)->fd;
	int err = (datasync ? fdatasync(fd) : fsync(fd)) ? -errno : 0;

	stats_count_op(PINFS_OP_FSYNC, err);
	fuse_reply_err(req, -err);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			 struct fuse_file_info *fi)
{
	struct pinfs *fs = pinfs_from_req(req);
	int fd = file_of(fi)->fd;
	int err = fallocate(fd, mode, offset, length) ? -errno : 0;

	/* Allocation, punch-hole and zero-range all count as modification. */
	if (!err)
		pinfs_kill_suid(fs, req, ino, fd);
	stats_count_op(PINFS_OP_FALLOCATE, err);
	fuse_reply_err(req, -err);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t res = lseek(file_of(fi)->fd, off, whence);
	int err = res < 0 ? -errno : 0;

	stats_count_op(PINFS_OP_LSEEK, err);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_lseek(req, res);
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			       struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct pinfs *fs = pinfs_from_req(req);
	int out_fd = file_of(fi_out)->fd;
	loff_t in = off_in, out = off_out;
	ssize_t n =
		copy_file_range(file_of(fi_in)->fd, &in, out_fd, &out, len, (unsigned int)flags);
	int err = n < 0 ? -errno : 0;

	if (n > 0)
		pinfs_kill_suid(fs, req, ino_out, out_fd);
	stats_count_op(PINFS_OP_COPY_FILE_RANGE, err);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	fuse_reply_write(req, (size_t)n);
}

void ops_file_fill(struct fuse_lowlevel_ops *ops)
{
	ops->open = op_open;
	ops->create = op_create;
	ops->flush = op_flush;
	ops->release = op_release;
	ops->fsync = op_fsync;
	ops->fallocate = op_fallocate;
	ops->lseek = op_lseek;
	ops->copy_file_range = op_copy_file_range;
}
