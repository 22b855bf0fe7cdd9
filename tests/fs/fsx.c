// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsx: a bounded random-operation test of one file against an in-memory model.
 *
 * Operations: buffered write and read, O_DIRECT write and read with unaligned
 * offsets, lengths and buffers (pinfs accepts them: FOPEN_DIRECT_IO, buffered
 * backing I/O), truncate, fallocate (plain, KEEP_SIZE), punch hole, zero range,
 * copy_file_range inside the file, mmap reads and mmap writes. Every read is
 * compared with the model; the whole file is checked every 100 operations and
 * at the end, through both descriptors.
 *
 * On a mismatch it prints the seed, the first bad offset and the last
 * operations, and exits 1. Exit 77 if O_DIRECT is refused at open.
 *
 * usage: fsx [-n OPS] [-S SEED] [-a] FILE
 *   -a  align O_DIRECT requests to 4096 (for running on a native file system)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE (256 * 1024)
#define MAX_LEN (64 * 1024)
#define LOG_LEN 32
#define ALIGN 4096

enum op {
	OP_WRITE,
	OP_READ,
	OP_DWRITE,
	OP_DREAD,
	OP_TRUNCATE,
	OP_FALLOC,
	OP_PUNCH,
	OP_ZERO,
	OP_COPY,
	OP_MAPREAD,
	OP_MAPWRITE,
	OP_NR
};

static const char *const op_names[OP_NR] = {
	"write", "read", "dwrite", "dread",   "truncate", "falloc",
	"punch", "zero", "copy",   "mapread", "mapwrite",
};

struct logent {
	long n;
	enum op op;
	long long off, len, arg;
};

static unsigned char model[MAX_SIZE + MAX_LEN];
static long long fsize;
static int fd_buf, fd_dio;
static bool aligned;
static uint64_t seed, rng;
static struct logent oplog[LOG_LEN];
static long opno;
static unsigned char *iobuf_mem, *iobuf;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static long long rnd_range(long long n)
{
	return n > 0 ? (long long)(rnd() % (uint64_t)n) : 0;
}

static void log_op(enum op op, long long off, long long len, long long arg)
{
	struct logent *e = &oplog[opno % LOG_LEN];

	e->n = opno;
	e->op = op;
	e->off = off;
	e->len = len;
	e->arg = arg;
}

static void __attribute__((noreturn)) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fsx: FAILED at op %ld (seed %llu): ", opno, (unsigned long long)seed);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfsx: last operations (rerun with -S %llu):\n", (unsigned long long)seed);
	for (long i = opno - LOG_LEN + 1; i <= opno; i++) {
		struct logent *e;

		if (i < 0)
			continue;
		e = &oplog[i % LOG_LEN];
		fprintf(stderr, "  %6ld %-8s off=0x%llx len=0x%llx arg=%lld\n", e->n,
			op_names[e->op], e->off, e->len, e->arg);
	}
	exit(1);
}

static void check(const unsigned char *got, long long off, long long len, const char *what)
{
	for (long long i = 0; i < len; i++) {
		if (got[i] != model[off + i])
			fail("%s: byte at 0x%llx is 0x%02x, expected 0x%02x", what, off + i, got[i],
			     model[off + i]);
	}
}

static void pick(long long *off, long long *len, long long limit)
{
	*off = rnd_range(limit);
	*len = 1 + rnd_range(MAX_LEN);
	if (aligned) {
		*off &= ~(long long)(ALIGN - 1);
		*len = (*len + ALIGN - 1) & ~(long long)(ALIGN - 1);
	}
	if (*off + *len > limit)
		*len = limit - *off;
	if (*len <= 0)
		*len = aligned ? ALIGN : 1;
}

static void fill_random(unsigned char *p, long long len)
{
	uint64_t tag = rnd();

	for (long long i = 0; i < len; i++)
		p[i] = (unsigned char)((tag >> (i % 7 * 8)) + i * 31 + opno);
}

static void extend_to(long long end)
{
	if (end > fsize)
		fsize = end;
}

static void do_write(bool direct)
{
	long long off, len;
	ssize_t n;

	pick(&off, &len, MAX_SIZE);
	log_op(direct ? OP_DWRITE : OP_WRITE, off, len, 0);
	fill_random(iobuf, len);
	n = pwrite(direct ? fd_dio : fd_buf, iobuf, len, off);
	if (n != len)
		fail("%s: pwrite returned %zd (%s)", direct ? "dwrite" : "write", n,
		     n < 0 ? strerror(errno) : "short");
	memcpy(model + off, iobuf, len);
	extend_to(off + len);
}

static void do_read(bool direct)
{
	long long off, len, expect;
	ssize_t n;

	pick(&off, &len, fsize + 4096);
	log_op(direct ? OP_DREAD : OP_READ, off, len, 0);
	expect = off >= fsize ? 0 : (off + len > fsize ? fsize - off : len);
	n = pread(direct ? fd_dio : fd_buf, iobuf, len, off);
	if (n != expect)
		fail("%s: pread(0x%llx, 0x%llx) returned %zd, expected %lld (%s)",
		     direct ? "dread" : "read", off, len, n, expect, n < 0 ? strerror(errno) : "");
	check(iobuf, off, n, direct ? "dread" : "read");
}

static void do_truncate(void)
{
	long long size = rnd_range(MAX_SIZE);

	if (aligned)
		size &= ~(long long)(ALIGN - 1);
	log_op(OP_TRUNCATE, 0, 0, size);
	if (ftruncate(fd_buf, size))
		fail("ftruncate(%lld): %s", size, strerror(errno));
	if (size < fsize)
		memset(model + size, 0, fsize - size);
	fsize = size;
}

static void do_fallocate(enum op op)
{
	long long off, len;
	int mode = 0;

	pick(&off, &len, MAX_SIZE);
	if (op == OP_FALLOC)
		mode = rnd() & 1 ? FALLOC_FL_KEEP_SIZE : 0;
	else if (op == OP_PUNCH)
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	else
		mode = FALLOC_FL_ZERO_RANGE | (rnd() & 1 ? FALLOC_FL_KEEP_SIZE : 0);
	log_op(op, off, len, mode);
	if (fallocate(fd_buf, mode, off, len)) {
		if (errno == EOPNOTSUPP)
			return;
		fail("fallocate(mode %d, 0x%llx, 0x%llx): %s", mode, off, len, strerror(errno));
	}
	if (op != OP_FALLOC && off < fsize)
		memset(model + off, 0, (off + len > fsize ? fsize : off + len) - off);
	if (!(mode & FALLOC_FL_KEEP_SIZE))
		extend_to(off + len);
}

static void do_copy(void)
{
	long long src, dst, len;
	loff_t in, out;
	ssize_t n;

	if (fsize < 2)
		return;
	len = 1 + rnd_range(fsize / 2 < MAX_LEN ? fsize / 2 : MAX_LEN);
	src = rnd_range(fsize - len + 1);
	dst = rnd_range(MAX_SIZE - len);
	if ((dst < src + len && src < dst + len) || aligned)
		return; /* ranges must not overlap */
	log_op(OP_COPY, src, len, dst);
	in = src;
	out = dst;
	n = copy_file_range(fd_buf, &in, fd_buf, &out, len, 0);
	if (n < 0) {
		if (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS)
			return;
		fail("copy_file_range: %s", strerror(errno));
	}
	memmove(model + dst, model + src, n);
	extend_to(dst + n);
}

static void do_mapread(void)
{
	long long off, len, pgoff;
	unsigned char *m;

	if (fsize == 0)
		return;
	pick(&off, &len, fsize);
	log_op(OP_MAPREAD, off, len, 0);
	pgoff = off & ~(long long)(ALIGN - 1);
	m = mmap(NULL, off + len - pgoff, PROT_READ, MAP_SHARED, fd_buf, pgoff);
	if (m == MAP_FAILED)
		fail("mmap read: %s", strerror(errno));
	check(m + (off - pgoff), off, len, "mapread");
	munmap(m, off + len - pgoff);
}

static void do_mapwrite(void)
{
	long long off, len, pgoff;
	unsigned char *m;

	pick(&off, &len, MAX_SIZE);
	log_op(OP_MAPWRITE, off, len, 0);
	if (off + len > fsize) {
		if (ftruncate(fd_buf, off + len))
			fail("mapwrite ftruncate: %s", strerror(errno));
		fsize = off + len;
	}
	pgoff = off & ~(long long)(ALIGN - 1);
	m = mmap(NULL, off + len - pgoff, PROT_READ | PROT_WRITE, MAP_SHARED, fd_buf, pgoff);
	if (m == MAP_FAILED)
		fail("mmap write: %s", strerror(errno));
	fill_random(model + off, len);
	memcpy(m + (off - pgoff), model + off, len);
	if (msync(m, off + len - pgoff, MS_SYNC))
		fail("msync: %s", strerror(errno));
	munmap(m, off + len - pgoff);
}

static void verify_all(const char *when)
{
	struct stat st;

	if (fstat(fd_buf, &st))
		fail("fstat: %s", strerror(errno));
	if (st.st_size != fsize)
		fail("%s: size is %lld, expected %lld", when, (long long)st.st_size, fsize);
	for (int direct = 0; direct <= 1; direct++) {
		long long done = 0;

		while (done < fsize) {
			long long len = fsize - done > MAX_LEN ? MAX_LEN : fsize - done;
			ssize_t n = pread(direct ? fd_dio : fd_buf, iobuf, aligned ? MAX_LEN : len,
					  done);

			if (n < len)
				fail("%s: %s pread at 0x%llx returned %zd", when,
				     direct ? "direct" : "buffered", done, n);
			check(iobuf, done, len, when);
			done += len;
		}
	}
}

int main(int argc, char **argv)
{
	long nops = 3000;
	const char *path;
	int c;

	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	while ((c = getopt(argc, argv, "n:S:a")) != -1) {
		switch (c) {
		case 'n':
			nops = atol(optarg);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'a':
			aligned = true;
			break;
		default:
			fprintf(stderr, "usage: fsx [-n OPS] [-S SEED] [-a] FILE\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: fsx [-n OPS] [-S SEED] [-a] FILE\n");
		return 2;
	}
	path = argv[optind];
	rng = seed ? seed : 1;
	printf("fsx: seed %llu, %ld operations on %s%s\n", (unsigned long long)seed, nops, path,
	       aligned ? " (aligned O_DIRECT)" : "");
	fflush(stdout);

	fd_buf = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd_buf < 0) {
		perror(path);
		return 1;
	}
	fd_dio = open(path, O_RDWR | O_DIRECT);
	if (fd_dio < 0) {
		fprintf(stderr, "fsx: O_DIRECT open refused: %s\n", strerror(errno));
		return 77;
	}
	/* An I/O buffer that is deliberately not aligned unless -a. */
	iobuf_mem = aligned_alloc(ALIGN, MAX_LEN + 2 * ALIGN);
	iobuf = aligned ? iobuf_mem : iobuf_mem + 123;

	for (opno = 0; opno < nops; opno++) {
		enum op op = (enum op)rnd_range(OP_NR);

		switch (op) {
		case OP_WRITE:
		case OP_DWRITE:
			do_write(op == OP_DWRITE);
			break;
		case OP_READ:
		case OP_DREAD:
			do_read(op == OP_DREAD);
			break;
		case OP_TRUNCATE:
			do_truncate();
			break;
		case OP_FALLOC:
		case OP_PUNCH:
		case OP_ZERO:
			do_fallocate(op);
			break;
		case OP_COPY:
			do_copy();
			break;
		case OP_MAPREAD:
			do_mapread();
			break;
		case OP_MAPWRITE:
			do_mapwrite();
			break;
		default:
			break;
		}
		if (opno % 100 == 99)
			verify_all("periodic check");
	}
	verify_all("final check");
	printf("fsx: %ld operations passed\n", nops);
	return 0;
}
