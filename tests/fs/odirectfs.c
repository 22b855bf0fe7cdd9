// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * odirectfs: a minimal passthrough FUSE filesystem (high-level API) for
 * test_dio_probe.sh, a backing store pinfs must probe: it opens each backing
 * file with the client's flags, O_DIRECT included, so the O_DIRECT rules of
 * the store under it (ext4 on a loop device with 4096-byte logical blocks)
 * reach its clients as EINVAL, while statx() on it, as on any FUSE
 * filesystem, does not answer STATX_DIOALIGN.
 *
 * usage: odirectfs BACKING_DIR MOUNTPOINT [FUSE options]
 *
 * Reads and writes go through 4096-aligned memory of its own, so an aligned
 * request works whatever the alignment of libfuse's buffers.
 */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int backing = -1;	/* the backing directory */

/* The backing path of @path ("/a/b" -> "a/b", "/" -> "."), relative to @backing. */
static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

static int od_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int r = fi ? fstat(fi->fh, st) : fstatat(backing, rel(path), st, AT_SYMLINK_NOFOLLOW);

	return r ? -errno : 0;
}

static int od_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	int fd = openat(backing, rel(path), O_RDONLY | O_DIRECTORY);
	struct dirent *d;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -ENOMEM;
	}
	while ((d = readdir(dir)))
		if (fill(buf, d->d_name, NULL, 0, 0))
			break;
	closedir(dir);
	return 0;
}

static int od_open(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(backing, rel(path), fi->flags);

	if (fd < 0)
		return -errno;
	fi->fh = fd;
	return 0;
}

static int od_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int fd = openat(backing, rel(path), fi->flags | O_CREAT, mode);

	if (fd < 0)
		return -errno;
	fi->fh = fd;
	return 0;
}

static int od_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fuse_bufvec *bv = malloc(sizeof(*bv));
	void *mem = NULL;
	ssize_t n;

	if (!bv || posix_memalign(&mem, 4096, size ? size : 1)) {
		free(bv);
		return -ENOMEM;
	}
	n = pread(fi->fh, mem, size, off);
	if (n < 0) {
		n = -errno;
		free(mem);
		free(bv);
		return n;
	}
	*bv = FUSE_BUFVEC_INIT(n);
	bv->buf[0].mem = mem;
	*bufp = bv;
	return 0;
}

static int od_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	void *mem = NULL;
	ssize_t n;

	if (posix_memalign(&mem, 4096, size ? size : 1))
		return -ENOMEM;
	memcpy(mem, buf, size);
	n = pwrite(fi->fh, mem, size, off);
	if (n < 0)
		n = -errno;
	free(mem);
	return n;
}

static int od_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd = fi ? (int)fi->fh : openat(backing, rel(path), O_WRONLY);
	int r;

	if (fd < 0)
		return -errno;
	r = ftruncate(fd, size) ? -errno : 0;
	if (!fi)
		close(fd);
	return r;
}

static int od_release(const char *path, struct fuse_file_info *fi)
{
	close(fi->fh);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = od_getattr,
	.readdir = od_readdir,
	.open = od_open,
	.create = od_create,
	.read_buf = od_read_buf,
	.write = od_write,
	.truncate = od_truncate,
	.release = od_release,
};

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: odirectfs BACKING_DIR MOUNTPOINT [FUSE options]\n");
		return 2;
	}
	backing = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (backing < 0) {
		perror(argv[1]);
		return 1;
	}
	argv[1] = argv[0];
	return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
