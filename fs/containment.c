// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Containment of inodes reopened by node id (containment.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "containment.h"
#include "inode.h"

bool source_is_fs_root(int source_fd)
{
	unsigned long long id;
	char root[PATH_MAX];
	struct statx stx;
	char *line = NULL;
	size_t size = 0;
	bool fs_root = false;
	FILE *f;

	if (statx(source_fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": ROOT is the mount's root within its filesystem. */
	while (getline(&line, &size, f) > 0) {
		if (sscanf(line, "%llu %*u %*s %4095s", &id, root) == 2 && id == stx.stx_mnt_id) {
			fs_root = !strcmp(root, "/");
			break;
		}
	}
	free(line);
	fclose(f);
	return fs_root;
}

/* The kernel's path of @fd into @buf (PATH_MAX bytes). 0 or -ESTALE. */
static int fd_path(int fd, char *buf)
{
	char link[32];
	ssize_t n;

	proc_fd_path(link, sizeof(link), fd);
	n = readlink(link, buf, PATH_MAX);
	if (n <= 0 || n >= PATH_MAX)
		return -ESTALE;
	buf[n] = '\0';
	return 0;
}

/* @path relative to @dir if it lies below it textually ("." for @dir itself), else NULL. */
static const char *path_below(const char *dir, const char *path)
{
	size_t len = strcmp(dir, "/") ? strlen(dir) : 0;

	if (strncmp(path, dir, len) || path[len] != '/')
		return strcmp(path, dir) ? NULL : ".";
	path += len + 1;
	return *path ? path : ".";
}

int inode_beneath_source(int source_fd, int fd, const struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV,
	};
	char source[PATH_MAX], path[PATH_MAX];
	const char *rel;
	struct stat found;
	int nfd, err = -ESTALE;

	/*
	 * Both paths are the kernel's, read now and in the same mount tree, so
	 * the prefix test finds the candidate; openat2() decides.
	 */
	if (fd_path(source_fd, source) || fd_path(fd, path))
		return -ESTALE;
	rel = path_below(source, path);
	if (!rel)
		return -ESTALE;
	nfd = (int)syscall(SYS_openat2, source_fd, rel, &how, sizeof(how));
	if (nfd < 0)
		return -ESTALE;
	if (!fstatat(nfd, "", &found, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) &&
	    found.st_dev == st->st_dev && found.st_ino == st->st_ino)
		err = 0;
	close(nfd);
	return err;
}
