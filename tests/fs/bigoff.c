// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bigoff: pread and pwrite at the edges of the file offset range, one line
 * per call with its result, for test_big_offsets.sh to compare between the
 * native filesystem and pinfs.
 *
 * usage: bigoff FILE [--native]
 *
 * The offsets are near OFF_MAX (where pos + len and its round-up to a block
 * overflow) and near ext4's largest file size with 4 KiB blocks (where writes
 * end with EFBIG or short). Each is tried buffered and through O_DIRECT from
 * an aligned and from a misaligned buffer, reads first, then writes, then the
 * reads again. A write that wrote bytes is read back and compared.
 *
 * --native: an O_DIRECT call that fails with EINVAL is made again buffered,
 * and that result printed. pinfs promises that no O_DIRECT payload fails with
 * EINVAL where the page cache would serve it (docs/pinfs.1, backing_dio):
 * what native O_DIRECT refuses (a misaligned request, a span past ext4's last
 * block) it serves as buffered I/O would. An EINVAL of the offset checks
 * (pos + len past OFF_MAX) stays EINVAL either way.
 *
 * Output lines: OP MODE OFFSET LEN RESULT, RESULT a byte count or an errno
 * name. Exit status 0 unless a call could not be made or a read-back differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define OFF_MAX INT64_MAX
#define EXT4_MAX_BYTES 17592186040320LL	/* (2^32 - 1) blocks of 4 KiB */
#define MAX_LEN 8192

static const struct {
	const char *name;
	long long off;
} offsets[] = {
	{ "OFF_MAX", OFF_MAX },
	{ "OFF_MAX-1", OFF_MAX - 1 },
	{ "OFF_MAX-9", OFF_MAX - 9 },
	{ "OFF_MAX-511", OFF_MAX - 511 },
	{ "OFF_MAX-4095", OFF_MAX - 4095 },
	{ "OFF_MAX-4096", OFF_MAX - 4096 },
	{ "OFF_MAX-8191", OFF_MAX - 8191 },
	{ "EXT4_MAX-4096", EXT4_MAX_BYTES - 4096 },
	{ "EXT4_MAX-10", EXT4_MAX_BYTES - 10 },
	{ "EXT4_MAX", EXT4_MAX_BYTES },
	{ "EXT4_MAX+1", EXT4_MAX_BYTES + 1 },
};
static const size_t lengths[] = { 1, 10, 4096, 8192 };

enum mode { BUFFERED, DIRECT, DIRECT_MISALIGNED, NR_MODES };
static const char *const mode_names[] = { "buffered", "direct", "direct-misaligned" };

static int fds[2];	/* buffered, O_DIRECT */
static char *mem;	/* 2 * MAX_LEN + a page, page-aligned */
static bool native;
static int failures;

static void pattern(char *p, size_t len, long long off)
{
	for (size_t k = 0; k < len; k++)
		p[k] = (char)((off + k) * 7 + 3);
}

static const char *result(ssize_t r, int err)
{
	static char text[32];

	if (r >= 0)
		snprintf(text, sizeof(text), "%zd", r);
	else
		snprintf(text, sizeof(text), "%s", strerrorname_np(err) ?: "E?");
	return text;
}

static void one(bool write, enum mode mode, unsigned int k, size_t len)
{
	long long off = offsets[k].off;
	char *buf = mem + (mode == DIRECT_MISALIGNED ? 1 : 0);
	int fd = fds[mode != BUFFERED];
	ssize_t r;
	int err;

	if (write)
		pattern(buf, len, off);
	errno = 0;
	r = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	err = errno;
	if (native && mode != BUFFERED && r < 0 && err == EINVAL) {
		errno = 0;
		r = write ? pwrite(fds[0], buf, len, off) : pread(fds[0], buf, len, off);
		err = errno;
	}
	printf("%s %s %s %zu %s\n", write ? "pwrite" : "pread", mode_names[mode], offsets[k].name,
	       len, result(r, err));
	if (write && r > 0) {
		char *back = mem + 2 * MAX_LEN;
		char want[MAX_LEN];

		pattern(want, r, off);
		if (pread(fds[0], back, r, off) != r || memcmp(back, want, r)) {
			printf("  read-back of %zd bytes at %s differs\n", r, offsets[k].name);
			failures++;
		}
	}
}

static void pass(bool write)
{
	for (unsigned int k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++)
		for (unsigned int l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
			for (int m = 0; m < NR_MODES; m++)
				one(write, m, k, lengths[l]);
}

int main(int argc, char **argv)
{
	if (argc < 2 || (argc == 3 && strcmp(argv[2], "--native")) || argc > 3) {
		fprintf(stderr, "usage: bigoff FILE [--native]\n");
		return 2;
	}
	native = argc == 3;
	fds[0] = open(argv[1], O_RDWR | O_CREAT, 0644);
	fds[1] = open(argv[1], O_RDWR | O_DIRECT);
	mem = mmap(NULL, 3 * MAX_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fds[0] < 0 || fds[1] < 0 || mem == MAP_FAILED) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pass(false);
	pass(true);
	pass(false);
	return failures ? 1 : 0;
}
