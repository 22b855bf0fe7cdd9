// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fdhog: open files on a mount until an open fails, as one user who exhausts
 * the daemon's descriptors would (test_fd_limits.sh).
 *
 *   fdhog DIR [--data NAME] [--max N] [--hold]
 *	--data NAME  first create DIR/NAME, write a known pattern and keep it open
 *	--max N      open at most N files DIR/hog.<i> (default 100000)
 *	--hold       after opening, wait until stdin reaches end of file
 *   fdhog DIR --verify NAME
 *	check that DIR/NAME holds the pattern
 *
 * Prints one line per step, for the script to check:
 *   "opened N errno NAME"      N hogs opened; NAME is why the next open failed
 *                              ("none" if --max was reached)
 *   "close data errno NAME"    close() of the data file ("none": it returned 0)
 *   "close hogs failed K errno NAME"   how many hog close()s failed, the first error
 *   "verify ok" | "verify bad ..."
 * Exit status 0 unless the program itself cannot run (usage, memory, the
 * data file's creation or write).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA_SIZE (64 * 1024)

static const char *errname(int err)
{
	const char *s = err ? strerrorname_np(err) : "none";

	return s ? s : "unknown";
}

static unsigned char pattern_byte(size_t i)
{
	return (unsigned char)(i * 131 + 7);
}

static int open_at(const char *dir, const char *name, int flags)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags | O_CLOEXEC, 0644);
}

static int write_data(const char *dir, const char *name)
{
	unsigned char *buf = malloc(DATA_SIZE);
	int fd;

	if (!buf)
		return -1;
	for (size_t i = 0; i < DATA_SIZE; i++)
		buf[i] = pattern_byte(i);
	fd = open_at(dir, name, O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0 || write(fd, buf, DATA_SIZE) != DATA_SIZE) {
		perror("fdhog: data file");
		exit(2);
	}
	free(buf);
	return fd;
}

static int verify(const char *dir, const char *name)
{
	static unsigned char buf[DATA_SIZE + 1];
	int fd = open_at(dir, name, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("verify bad open errno %s\n", errname(errno));
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != DATA_SIZE) {
		printf("verify bad size %zd\n", n);
		return 0;
	}
	for (size_t i = 0; i < DATA_SIZE; i++) {
		if (buf[i] != pattern_byte(i)) {
			printf("verify bad byte %zu\n", i);
			return 0;
		}
	}
	printf("verify ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir, *data = NULL;
	long max = 100000, n, failed = 0;
	int data_fd = -1, open_err = 0, first_close_err = 0;
	int *fds;
	bool hold = false;
	char c, name[64];

	if (argc < 2)
		goto usage;
	dir = argv[1];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--data") && i + 1 < argc)
			data = argv[++i];
		else if (!strcmp(argv[i], "--max") && i + 1 < argc)
			max = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--hold"))
			hold = true;
		else if (!strcmp(argv[i], "--verify") && i + 1 < argc)
			return verify(dir, argv[++i]);
		else
			goto usage;
	}
	fds = calloc((size_t)max + 1, sizeof(*fds));
	if (!fds)
		return 2;
	if (data)
		data_fd = write_data(dir, data);
	for (n = 0; n < max; n++) {
		snprintf(name, sizeof(name), "hog.%ld", n);
		fds[n] = open_at(dir, name, O_RDWR | O_CREAT);
		if (fds[n] < 0) {
			open_err = errno;
			break;
		}
	}
	printf("opened %ld errno %s\n", n, errname(open_err));
	fflush(stdout);
	if (hold)
		while (read(0, &c, 1) > 0)
			;
	if (data_fd >= 0)
		printf("close data errno %s\n", errname(close(data_fd) ? errno : 0));
	for (long i = 0; i < n; i++) {
		if (close(fds[i])) {
			if (!failed++)
				first_close_err = errno;
		}
	}
	printf("close hogs failed %ld errno %s\n", failed, errname(first_close_err));
	free(fds);
	return 0;
usage:
	fprintf(stderr, "usage: fdhog DIR [--data NAME] [--max N] [--hold] | DIR --verify NAME\n");
	return 2;
}
