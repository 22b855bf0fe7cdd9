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
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing_ops.h"

static int od_open(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(backing_dir, backing_rel(path), fi->flags);

	if (fd < 0)
		return -errno;
	fi->fh = fd;
	return 0;
}

static int od_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int fd = openat(backing_dir, backing_rel(path), fi->flags | O_CREAT, mode);

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

static int od_release(const char *path, struct fuse_file_info *fi)
{
	close(fi->fh);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = backing_getattr,
	.readdir = backing_readdir,
	.open = od_open,
	.create = od_create,
	.read_buf = od_read_buf,
	.write = od_write,
	.truncate = backing_truncate,
	.release = od_release,
};

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: odirectfs BACKING_DIR MOUNTPOINT [FUSE options]\n");
		return 2;
	}
	backing_dir = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (backing_dir < 0) {
		perror(argv[1]);
		return 1;
	}
	argv[1] = argv[0];
	return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
