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
 * The other forms are steps for test scripts that remount, drop caches or
 * change the backing store in between. A handle is written as TYPE:HEX.
 *   --handle PATH   print PATH's file handle (name_to_handle_at).
 *   --forge PATH    print the FUSE handle of the node id pinfs gives the
 *                   backing inode at PATH where node ids are stable (fs/nodeid.h:
 *                   the ext4 handle, generation 0), built by hand; exit 77 if
 *                   PATH's handle is not an 8-byte FILEID_INO32_GEN one.
 *   --open DIR H    open_by_handle_at(DIR, H, O_RDONLY) and print "ino N", plus
 *                   the first line of a regular file; or print the error's
 *                   name (e.g. "ESTALE") and exit 1.
 *
 * usage: handles DIR-ON-THE-MOUNT
 *        handles --handle PATH | --forge PATH | --open DIR HANDLE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

static void print_handle(const struct file_handle *fh)
{
	printf("%d:", fh->handle_type);
	for (unsigned int i = 0; i < fh->handle_bytes; i++)
		printf("%02x", fh->f_handle[i]);
	printf("\n");
}

static int parse_handle(const char *s, struct handle *h)
{
	char *hex;
	unsigned int n = 0;

	h->fh.handle_type = (int)strtol(s, &hex, 10);
	if (*hex++ != ':')
		return -1;
	while (hex[0] && hex[1] && n < sizeof(h->bytes) &&
	       sscanf(hex, "%2hhx", &h->bytes[n]) == 1) {
		hex += 2;
		n++;
	}
	h->fh.handle_bytes = n;
	return *hex ? -1 : 0;
}

/* The FUSE handle (fuse_encode_fh: node id high, low, generation) of a stable node id. */
static int forge(const char *path)
{
	const int fileid_ino32_gen = 1, fuse_handle_type = 0x81;
	struct handle backing, h;
	uint32_t fid[2], words[3];

	get_handle(path, &backing);
	if (backing.fh.handle_type != fileid_ino32_gen || backing.fh.handle_bytes != sizeof(fid)) {
		printf("SKIP %s: handle type %d of %u bytes, not FILEID_INO32_GEN\n", path,
		       backing.fh.handle_type, backing.fh.handle_bytes);
		return 77;
	}
	memcpy(fid, backing.fh.f_handle, sizeof(fid)); /* inode number, generation */
	words[0] = fid[1];
	words[1] = fid[0];
	words[2] = 0;
	h.fh.handle_type = fuse_handle_type;
	h.fh.handle_bytes = sizeof(words);
	memcpy(h.fh.f_handle, words, sizeof(words));
	print_handle(&h.fh);
	return 0;
}

static int open_handle(const char *dir, const char *text)
{
	struct handle h;
	char line[256] = {0};
	struct stat st;
	int mfd = open(dir, O_RDONLY | O_DIRECTORY), fd;
	ssize_t n;

	if (mfd < 0 || parse_handle(text, &h)) {
		printf("bad arguments\n");
		return 2;
	}
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	if (fstat(fd, &st)) {
		printf("fstat: %s\n", strerrorname_np(errno));
		return 1;
	}
	printf("ino %llu\n", (unsigned long long)st.st_ino);
	if (S_ISREG(st.st_mode)) {
		n = read(fd, line, sizeof(line) - 1);
		if (n < 0) {
			printf("read: %s\n", strerrorname_np(errno));
			return 1;
		}
		line[strcspn(line, "\n")] = '\0';
		printf("%s\n", line);
	}
	close(fd);
	close(mfd);
	return 0;
}

int main(int argc, char **argv)
{
	struct handle hf, hd, hdeep, hgone;
	struct stat st_sub, st_up;
	char buf[64] = {0};
	int mfd, fd;

	if (argc == 3 && !strcmp(argv[1], "--handle")) {
		struct handle h;

		get_handle(argv[2], &h);
		print_handle(&h.fh);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--forge"))
		return forge(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "--open"))
		return open_handle(argv[2], argv[3]);
	if (argc != 2 || chdir(argv[1])) {
		fprintf(stderr,
			"usage: handles DIR | --handle PATH | --forge PATH | --open DIR HANDLE\n");
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
