// SPDX-License-Identifier: GPL-2.0-or-later
/* The test daemons' path operations on their backing directory; see backing_ops.h. */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing_ops.h"

int backing_dir = -1;

const char *backing_rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

int backing_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int r = fi ? fstat((int)fi->fh, st)
		   : fstatat(backing_dir, backing_rel(path), st, AT_SYMLINK_NOFOLLOW);

	return r ? -errno : 0;
}

int backing_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	int fd = openat(backing_dir, backing_rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	(void)off, (void)fi, (void)flags;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (fill(buf, de->d_name, NULL, 0, 0))
			break;
	closedir(d);
	return 0;
}

int backing_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd = fi ? (int)fi->fh : openat(backing_dir, backing_rel(path), O_WRONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = ftruncate(fd, size) ? -errno : 0;
	if (!fi)
		close(fd);
	return r;
}
