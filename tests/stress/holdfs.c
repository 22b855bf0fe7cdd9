// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * holdfs: a minimal FUSE passthrough (libfuse high-level API) with pinfs's control socket hold
 * hooks (holdfs_ctl.c). It exists only to test forkstress: its deterministic mode and its
 * daemon-side scenarios against a real FUSE mount without pinfs, and — with -o corrupt=MODE —
 * the daemon-side verdict logic against a daemon that is broken on purpose:
 *   corrupt=reuse-reply  every 16th READ is answered from the previous READ's reply buffer, as
 *                        a daemon that reuses a vmspliced reply buffer before the pipe drained
 *                        (spec §4.3 V-1, scenario 23); its READ bytes count as "spliced"
 *   corrupt=early-ack    a WRITE inside the file is acknowledged at once and written to the
 *                        backing file 5 ms later (scenario 10: acknowledged before stable)
 *
 *   holdfs BACKING MOUNTPOINT -o control=SOCKET[,corrupt=MODE]   (stays in the foreground)
 *
 * Opens with O_DIRECT get direct_io (like pinfs's direct_io=auto); st_ino is the backing
 * inode number, so holds match what stat(2) shows on the mount.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "backing_ops.h"
#include "holdfs_ctl.h"

enum corrupt { CORRUPT_NONE, CORRUPT_REUSE_REPLY, CORRUPT_EARLY_ACK };

static enum corrupt corrupt;
static pthread_mutex_t reply_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_reply[1 << 20];
static size_t last_len;
static unsigned long nr_reads;

static uint64_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

static void *hf_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 1;
	cfg->hard_remove = 1;
	cfg->entry_timeout = cfg->attr_timeout = 0;
	return NULL;
}

static int hf_mkdir(const char *path, mode_t mode)
{
	return mkdirat(backing_dir, backing_rel(path), mode) ? -errno : 0;
}

static int hf_unlink(const char *path)
{
	return unlinkat(backing_dir, backing_rel(path), 0) ? -errno : 0;
}

static int hf_rmdir(const char *path)
{
	return unlinkat(backing_dir, backing_rel(path), AT_REMOVEDIR) ? -errno : 0;
}

static int open_common(const char *path, struct fuse_file_info *fi, bool create, mode_t mode)
{
	int flags = (fi->flags & ~(O_DIRECT | O_NOFOLLOW)) | O_CLOEXEC;
	int fd = openat(backing_dir, backing_rel(path), create ? flags | O_CREAT : flags, mode);

	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	fi->direct_io = !!(fi->flags & O_DIRECT);
	return 0;
}

static int hf_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_common(path, fi, true, mode);
}

static int hf_open(const char *path, struct fuse_file_info *fi)
{
	return open_common(path, fi, false, 0);
}

static int hf_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	uint64_t ino = ino_of((int)fi->fh);
	ssize_t n;

	(void)path;
	holdfs_check(HOLD_RECEIVE, HOLD_OP_READ, ino, (uint64_t)off, size);
	holdfs_check(HOLD_DATA, HOLD_OP_READ, ino, (uint64_t)off, size);
	n = pread((int)fi->fh, buf, size, off);
	if (n < 0)
		return -errno;
	if (corrupt == CORRUPT_REUSE_REPLY && (size_t)n <= sizeof(last_reply)) {
		pthread_mutex_lock(&reply_lock);
		if (++nr_reads % 16 == 0 && last_len >= (size_t)n)
			memcpy(buf, last_reply, (size_t)n); /* the reused reply buffer */
		else
			memcpy(last_reply, buf, (size_t)n);
		last_len = (size_t)n;
		pthread_mutex_unlock(&reply_lock);
	}
	holdfs_check(HOLD_REPLY, HOLD_OP_READ, ino, (uint64_t)off, size);
	holdfs_count(true, fi->direct_io, corrupt == CORRUPT_REUSE_REPLY, (uint64_t)n);
	return (int)n;
}

struct late_write {
	int fd;
	off_t off;
	size_t len;
	char data[];
};

static void *late_writer(void *arg)
{
	struct late_write *lw = arg;

	usleep(5000);
	if (pwrite(lw->fd, lw->data, lw->len, lw->off) < 0)
		perror("holdfs: late write");
	close(lw->fd);
	free(lw);
	return NULL;
}

/* Does the write stay inside the file? (early-ack only delays those: sizes stay right) */
static bool overwrite(int fd, off_t off, size_t size)
{
	struct stat st;

	return !fstat(fd, &st) && off + (off_t)size <= st.st_size;
}

static int hf_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	uint64_t ino = ino_of((int)fi->fh);
	ssize_t n;

	(void)path;
	holdfs_check(HOLD_RECEIVE, HOLD_OP_WRITE, ino, (uint64_t)off, size);
	holdfs_check(HOLD_DATA, HOLD_OP_WRITE, ino, (uint64_t)off, size);
	if (corrupt == CORRUPT_EARLY_ACK && overwrite((int)fi->fh, off, size)) {
		struct late_write *lw = malloc(sizeof(*lw) + size);
		pthread_t th;

		if (!lw)
			return -ENOMEM;
		lw->fd = dup((int)fi->fh);
		lw->off = off;
		lw->len = size;
		memcpy(lw->data, buf, size);
		if (pthread_create(&th, NULL, late_writer, lw)) {
			close(lw->fd);
			free(lw);
			return -EAGAIN;
		}
		pthread_detach(th);
		n = (ssize_t)size; /* acknowledged before it is stable */
	} else {
		n = pwrite((int)fi->fh, buf, size, off);
		if (n < 0)
			return -errno;
	}
	holdfs_check(HOLD_REPLY, HOLD_OP_WRITE, ino, (uint64_t)off, size);
	holdfs_count(false, fi->direct_io, false, (uint64_t)n);
	return (int)n;
}

static int hf_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	holdfs_check(HOLD_RECEIVE, HOLD_OP_ANY, ino_of((int)fi->fh), 0, 0); /* neither op: any */
	return 0;
}

static int hf_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	return (datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh)) ? -errno : 0;
}

static int hf_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int hf_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	return fstatvfs(backing_dir, sv) ? -errno : 0;
}

static const struct fuse_operations ops = {
	.init = hf_init,
	.getattr = backing_getattr,
	.readdir = backing_readdir,
	.mkdir = hf_mkdir,
	.unlink = hf_unlink,
	.rmdir = hf_rmdir,
	.truncate = backing_truncate,
	.create = hf_create,
	.open = hf_open,
	.read = hf_read,
	.write = hf_write,
	.flush = hf_flush,
	.fsync = hf_fsync,
	.release = hf_release,
	.statfs = hf_statfs,
};

int main(int argc, char **argv)
{
	const char *control = NULL;
	char *opts = NULL;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *lc;
	struct fuse *f;
	int ret;

	if (argc == 5 && !strcmp(argv[3], "-o"))
		opts = strdup(argv[4]);
	else if (argc != 3) {
		fprintf(stderr,
			"usage: holdfs BACKING MOUNTPOINT [-o control=SOCKET[,corrupt=MODE]]\n");
		return 2;
	}
	for (char *save = NULL, *o = opts ? strtok_r(opts, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		if (!strncmp(o, "control=", 8))
			control = o + 8;
		else if (!strcmp(o, "corrupt=reuse-reply"))
			corrupt = CORRUPT_REUSE_REPLY;
		else if (!strcmp(o, "corrupt=early-ack"))
			corrupt = CORRUPT_EARLY_ACK;
		else {
			fprintf(stderr, "holdfs: unknown option %s\n", o);
			return 2;
		}
	}
	backing_dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (backing_dir < 0) {
		perror(argv[1]);
		return 1;
	}
	if (control && holdfs_ctl_start(control))
		return 1;
	fuse_opt_add_arg(&args, argv[0]);
	fuse_opt_add_arg(&args, "-osubtype=holdfs,fsname=holdfs");
	f = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!f || fuse_mount(f, argv[2])) {
		holdfs_ctl_stop();
		return 1;
	}
	fuse_set_signal_handlers(fuse_get_session(f));
	lc = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(lc, 64);
	ret = fuse_loop_mt(f, lc);
	fuse_loop_cfg_destroy(lc);
	holdfs_ctl_stop();
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);
	fuse_opt_free_args(&args);
	free(opts);
	return ret ? 1 : 0;
}
