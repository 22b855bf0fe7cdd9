// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spec §5 scenario 11 (the case behind xfstests generic/647): read and write
 * a file with a buffer that is a MAP_PRIVATE mapping of the same file, so the
 * kernel must fault the buffer in from the file while it serves the I/O. On
 * FUSE every such fault is a FUSE_READ that a daemon thread must serve while
 * the original request is in progress.
 *
 * Steps (page size pg; page 0 of the file is a hole, page 1 holds data):
 *   1. pread(fd, map, pg, pg)          read page 1 into the mapping of page 0
 *   2. pwrite(fd, map + pg, pg, 0)     write page 1 from its mapping to page 0
 *   3. pread(fd, map, pg, 2 * pg)      read a hole into the mapping
 *   4. pwrite(fd, map + pg, pg, pg)    write page 1 from its own mapping
 * Each must return pg with the right data. The caller bounds the run with a
 * timeout: a hang is the failure this test exists for.
 *
 * usage: mmap_rw_fault [-d] FILE     (-d: open with O_DIRECT)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

static void expect(const char *what, ssize_t got, ssize_t want)
{
	if (got == want) {
		printf("ok   %s\n", what);
		return;
	}
	printf("FAIL %s: returned %zd (%s), expected %zd\n", what, got,
	       got < 0 ? strerror(errno) : "short", want);
	failures++;
}

static void expect_data(const char *what, const void *a, const void *b, size_t len)
{
	if (!memcmp(a, b, len)) {
		printf("ok   %s\n", what);
		return;
	}
	printf("FAIL %s: data differs\n", what);
	failures++;
}

int main(int argc, char **argv)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	int direct = 0, fd, wfd;
	const char *path;
	char *data, *zero, *check, *map;

	if (argc == 3 && !strcmp(argv[1], "-d")) {
		direct = 1;
		path = argv[2];
	} else if (argc == 2) {
		path = argv[1];
	} else {
		fprintf(stderr, "usage: mmap_rw_fault [-d] FILE\n");
		return 2;
	}

	data = aligned_alloc(pg, pg);
	zero = aligned_alloc(pg, pg);
	check = aligned_alloc(pg, pg);
	for (size_t i = 0; i < pg; i++)
		data[i] = (char)('A' + i % 26);
	memset(zero, 0, pg);

	/* Page 0 a hole, page 1 data, written without O_DIRECT. */
	wfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (wfd < 0 || pwrite(wfd, data, pg, pg) != (ssize_t)pg || fsync(wfd)) {
		perror(path);
		return 1;
	}
	close(wfd);

	fd = open(path, O_RDWR | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		perror("open");
		return 1;
	}
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	expect("pread page 1 into the mapping of page 0", pread(fd, map, pg, pg), pg);
	expect_data("  data read", map, data, pg);

	expect("pwrite page 1 of the mapping to page 0", pwrite(fd, map + pg, pg, 0), pg);
	expect("  read back page 0", pread(fd, check, pg, 0), pg);
	expect_data("  data written", check, data, pg);

	if (ftruncate(fd, 4 * pg))
		perror("ftruncate");
	expect("pread a hole into the mapping", pread(fd, map, pg, 2 * pg), pg);
	expect_data("  hole reads zero", map, zero, pg);

	expect("pwrite page 1 from its own mapping", pwrite(fd, map + pg, pg, pg), pg);
	expect("  read back page 1", pread(fd, check, pg, pg), pg);
	expect_data("  data unchanged", check, data, pg);

	munmap(map, 2 * pg);
	close(fd);
	free(data);
	free(zero);
	free(check);
	printf("%s (%s)\n", failures ? "FAILED" : "passed", direct ? "O_DIRECT" : "buffered");
	return failures ? 1 : 0;
}
