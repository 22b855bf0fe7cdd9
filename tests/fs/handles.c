// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * handles: export support through the mount (FUSE_CAP_EXPORT_SUPPORT).
 *
 * Takes file handles of a file and of nested directories on the mount, makes
 * the kernel forget its inodes (drop_caches), and opens the handles again:
 * pinfs must resolve the node ids it was asked to forget (LOOKUP of "." and
 * "..", xfstests generic/426, 467, 477). A handle of a deleted file must give
 * ESTALE.
 *
 * With --save FILE it only takes handles of a file and a directory and writes
 * them to FILE; with --load FILE it opens them again, on a new mount of the
 * same source: node ids that outlive the daemon (stable ids, fs/inode.h;
 * xfstests generic/477, 777).
 *
 * usage: handles DIR-ON-THE-MOUNT
 *        handles --save FILE DIR-ON-THE-MOUNT
 *        handles --load FILE DIR-ON-THE-MOUNT
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

struct handle {
	struct file_handle fh;
	unsigned char bytes[128];
};

static void get_handle(const char *path, struct handle *h)
{
	int mount_id;

	h->fh.handle_bytes = sizeof(h->bytes);
	if (name_to_handle_at(AT_FDCWD, path, &h->fh, &mount_id, 0)) {
		printf("FAIL name_to_handle_at %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void forget_everything(void)
{
	for (int i = 0; i < 3; i++) {
		int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

		sync();
		if (fd < 0 || write(fd, "2", 1) != 1) {
			printf("SKIP cannot drop caches\n");
			exit(77);
		}
		close(fd);
	}
}

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

/* --save: handles of "kept" (a file) and "keptdir" (with "keptdir/child") into @file. */
static int save_handles(const char *file)
{
	struct handle h[2];
	FILE *f;
	int fd;

	mkdir("keptdir", 0755);
	fd = open("keptdir/child", O_CREAT | O_WRONLY, 0644);
	close(fd);
	fd = open("kept", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "kept-data", 9) != 9)
		return 1;
	close(fd);
	get_handle("kept", &h[0]);
	get_handle("keptdir", &h[1]);
	f = fopen(file, "w");
	if (!f || fwrite(h, sizeof(h), 1, f) != 1)
		return 1;
	fclose(f);
	return 0;
}

/* --load: the handles saved by the previous mount open on this one. */
static int load_handles(const char *file)
{
	struct handle h[2];
	char buf[16] = {0};
	FILE *f = fopen(file, "r");
	int fd, mfd = open(".", O_RDONLY | O_DIRECTORY);

	if (!f || fread(h, sizeof(h), 1, f) != 1 || mfd < 0)
		return 1;
	fclose(f);
	fd = open_by_handle_at(mfd, &h[0].fh, O_RDONLY);
	check(fd >= 0, "open a file by a handle from before the remount");
	if (fd >= 0) {
		check(read(fd, buf, sizeof(buf)) == 9 && !strcmp(buf, "kept-data"),
		      "its contents");
		close(fd);
	}
	fd = open_by_handle_at(mfd, &h[1].fh, O_RDONLY | O_DIRECTORY);
	check(fd >= 0, "open a directory by a handle from before the remount");
	if (fd >= 0) {
		check(!faccessat(fd, "child", F_OK, 0), "its entries");
		close(fd);
	}
	printf("%s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct handle hf, hd, hdeep, hgone;
	struct stat st_sub, st_up;
	char buf[64] = {0};
	int mfd, fd;

	if (argc == 4 && (!strcmp(argv[1], "--save") || !strcmp(argv[1], "--load"))) {
		if (chdir(argv[3])) {
			perror(argv[3]);
			return 2;
		}
		return argv[1][2] == 's' ? save_handles(argv[2]) : load_handles(argv[2]);
	}
	if (argc != 2 || chdir(argv[1])) {
		fprintf(stderr, "usage: handles [--save|--load FILE] DIR\n");
		return 2;
	}
	mkdir("hd", 0755);
	mkdir("hd/sub", 0755);
	mkdir("hd/sub/deep", 0755);
	fd = open("hd/inner", O_CREAT | O_WRONLY, 0644);
	close(fd);
	fd = open("hf", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "handle-data", 11) != 11)
		return 1;
	close(fd);
	fd = open("gone", O_CREAT | O_WRONLY, 0644);
	close(fd);

	get_handle("hf", &hf);
	get_handle("hd", &hd);
	get_handle("hd/sub/deep", &hdeep);
	get_handle("gone", &hgone);
	unlink("gone");
	stat("hd/sub", &st_sub);
	mfd = open(".", O_RDONLY | O_DIRECTORY);
	if (chdir("/"))
		return 1;
	forget_everything();

	fd = open_by_handle_at(mfd, &hf.fh, O_RDONLY);
	check(fd >= 0, "open file by handle after forget");
	if (fd >= 0) {
		check(read(fd, buf, sizeof(buf)) == 11 && !strcmp(buf, "handle-data"),
		      "file contents by handle");
		close(fd);
	}

	fd = open_by_handle_at(mfd, &hd.fh, O_RDONLY | O_DIRECTORY);
	check(fd >= 0, "open directory by handle after forget");
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		int found = 0;

		while (d && (de = readdir(d)))
			found |= !strcmp(de->d_name, "inner");
		check(found, "directory listing by handle");
		if (d)
			closedir(d);
	}

	fd = open_by_handle_at(mfd, &hdeep.fh, O_RDONLY | O_DIRECTORY);
	check(fd >= 0, "open nested directory by handle (reconnect through \"..\")");
	if (fd >= 0) {
		check(!fstatat(fd, "..", &st_up, 0) && st_up.st_ino == st_sub.st_ino,
		      "\"..\" of the nested directory");
		close(fd);
	}

	forget_everything();
	fd = open_by_handle_at(mfd, &hgone.fh, O_RDONLY);
	check(fd < 0 && errno == ESTALE, "handle of a deleted file is stale");
	if (fd >= 0)
		close(fd);

	printf("%s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
