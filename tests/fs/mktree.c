// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mktree: create DIRS directories of FILES empty files each under ROOT, fast.
 *
 * usage: mktree ROOT DIRS FILES
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int root, dirs, files;

	if (argc != 4) {
		fprintf(stderr, "usage: mktree ROOT DIRS FILES\n");
		return 2;
	}
	dirs = atoi(argv[2]);
	files = atoi(argv[3]);
	root = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (root < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int d = 0; d < dirs; d++) {
		char name[32];
		int dfd;

		snprintf(name, sizeof(name), "d%04d", d);
		if (mkdirat(root, name, 0755) && errno != EEXIST) {
			perror(name);
			return 1;
		}
		dfd = openat(root, name, O_RDONLY | O_DIRECTORY);
		if (dfd < 0) {
			perror(name);
			return 1;
		}
		for (int f = 0; f < files; f++) {
			int fd;

			snprintf(name, sizeof(name), "f%05d", f);
			fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0) {
				perror(name);
				return 1;
			}
			close(fd);
		}
		close(dfd);
	}
	return 0;
}
