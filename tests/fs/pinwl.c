// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pinwl: the data-verifying workloads of the engine matrix (test_engines.sh)
 * and small pattern tools for the other direct-I/O tests. Every byte written
 * is known, and every byte read is compared.
 *
 * usage:
 *   pinwl basic DIR
 *	Fixed cases, each on its own file in DIR, checked against an in-memory
 *	model after every step: aligned, 512-aligned, misaligned and sub-block
 *	writes with and without O_DIRECT (and from misaligned buffers), a 1 MiB
 *	write, reads at and across end of file with O_DIRECT at unaligned
 *	offsets, reads across holes of sparse files, fallocate punch and zero.
 *   pinwl writers FILE [-p PROCS] [-r PASSES] [-s SIZE] [-S SEED] [-m MAX] [-a DEPTH] [-b]
 *	Concurrent writers: the file is cut into segments of random length
 *	(1 byte to 40 KiB, most boundaries inside a 512-byte block), segment
 *	i belongs to writer i % PROCS. Each writer writes all its segments
 *	once per pass, in random order, through its own O_DIRECT descriptor
 *	(-b: every other writer uses a buffered one), with a pattern of (pass,
 *	writer); -m caps segment lengths (dense: many writers per block); -a
 *	submits the O_DIRECT writes through io_uring, DEPTH in flight (FUSE then
 *	has several WRITEs of one file in flight at once, and a write larger
 *	than max_write becomes requests that share blocks). Neighbouring segments of different writers share blocks and
 *	pages, so a lost update (a read-modify-write of a shared block that
 *	raced, a stale page written back) leaves bytes of an older pass or of
 *	a neighbour, and the final check says which.
 *   pinwl fill FILE OFF LEN TAG [-d] [-w MS]
 *	Write pattern TAG at [OFF, OFF + LEN) (-d: through O_DIRECT); -w: print
 *	"written" once pwrite returned, and keep the file open MS more ms.
 *   pinwl check FILE OFF LEN TAG [-d] [-e EXPECT] [-o OTHER]
 *	Read [OFF, OFF + LEN) (-d: O_DIRECT, one pread) and compare with
 *	pattern TAG; the read must return EXPECT bytes (default LEN).
 *	Exit 0 if equal, 1 on a mismatch: the first bad byte is printed, and
 *	what the bytes from there to the end of its page hold instead: "all
 *	0xNN", "tag OTHER's of offset N" (pattern OTHER, at a page-multiple
 *	distance from where it is, same offset included), or "of no known
 *	origin".
 *   pinwl mmap FILE
 *	MAP_SHARED mmap of a file opened with O_DIRECT (FOPEN_DIRECT_IO):
 *	reads and writes through the mapping agree with pread/pwrite.
 *
 * Exit status: 0 pass, 1 a mismatch or failed call, 2 usage, 77 O_DIRECT
 * refused at open.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define MIB (1024 * 1024)
#define MODEL_MAX (4 * MIB)
#define BUF_MAX (2 * MIB + 2 * PAGE)

static const char *what = "pinwl";

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pinwl: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- patterns ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Byte @off of pattern @tag: differs between tags and between nearby offsets. */
static unsigned char pat(uint64_t tag, uint64_t off)
{
	return (unsigned char)(mix(tag * 0x100000001b3ULL ^ (off >> 3)) >> ((off & 7) * 8));
}

static void pat_fill(unsigned char *p, uint64_t tag, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pat(tag, off + i);
}

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
	rng_state = mix(rng_state);
	return rng_state;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi) /* [lo, hi] */
{
	return lo + rnd() % (hi - lo + 1);
}

static unsigned char *buffer_alloc(void)
{
	void *p;

	if (posix_memalign(&p, PAGE, BUF_MAX))
		die("out of memory");
	return p;
}

static int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT, 0644);

	if (fd < 0 && errno == EINVAL) {
		fprintf(stderr, "pinwl: %s: O_DIRECT refused\n", path);
		exit(77);
	}
	if (fd < 0)
		die("open %s (O_DIRECT): %s", path, strerror(errno));
	return fd;
}

/* ---- basic: fixed cases against a model ---- */

struct model_file {
	const char *name;
	int fd_buf, fd_dio;
	unsigned char *model;
	long long size;
	unsigned char *buf; /* BUF_MAX bytes, page-aligned */
	unsigned char *got;
	uint64_t tag;
	int step;
};

static void mf_open(struct model_file *m, const char *dir, const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	m->name = name;
	m->fd_buf = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (m->fd_buf < 0)
		die("open %s: %s", path, strerror(errno));
	m->fd_dio = open_direct(path, O_RDWR);
	m->model = calloc(1, MODEL_MAX);
	m->buf = buffer_alloc();
	m->got = buffer_alloc();
	if (!m->model)
		die("out of memory");
	m->size = 0;
	m->tag = 0;
	for (const char *c = name; *c; c++) /* distinct per case, the same every run */
		m->tag = mix(m->tag ^ (unsigned char)*c);
	m->tag &= 0xffffff;
	m->step = 0;
}

static void mf_close(struct model_file *m)
{
	close(m->fd_buf);
	close(m->fd_dio);
	free(m->model);
	free(m->buf);
	free(m->got);
}

/* pwrite @len bytes at @off from the buffer at misalignment @mis. */
static void wr(struct model_file *m, bool direct, long long off, size_t len, size_t mis)
{
	unsigned char *p = m->buf + mis;
	ssize_t n;

	m->step++;
	if (off + (long long)len > MODEL_MAX || mis + len > BUF_MAX)
		die("%s step %d: write out of the model's range", m->name, m->step);
	pat_fill(p, ++m->tag, off, len);
	n = pwrite(direct ? m->fd_dio : m->fd_buf, p, len, off);
	if (n != (ssize_t)len)
		die("%s step %d: %s pwrite(off %lld, len %zu, buf+%zu) = %zd (%s)", m->name,
		    m->step, direct ? "O_DIRECT" : "buffered", off, len, mis, n,
		    n < 0 ? strerror(errno) : "short");
	memcpy(m->model + off, p, len);
	if (off + (long long)len > m->size)
		m->size = off + len;
}

static void compare(struct model_file *m, const unsigned char *p, long long off, size_t len,
		    const char *how)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != m->model[off + i])
			die("%s step %d: %s read at %lld: byte %lld is 0x%02x, expected 0x%02x%s",
			    m->name, m->step, how, off, off + (long long)i, p[i], m->model[off + i],
			    m->model[off + i] ? "" : " (a hole)");
}

/* pread @len bytes at @off into the buffer at misalignment @mis; check length and bytes. */
static void rd(struct model_file *m, bool direct, long long off, size_t len, size_t mis)
{
	unsigned char *p = m->got + mis;
	long long expect = off >= m->size		    ? 0
			   : off + (long long)len > m->size ? m->size - off
							    : (long long)len;
	ssize_t n;

	m->step++;
	memset(p, 0x5a, len);
	n = pread(direct ? m->fd_dio : m->fd_buf, p, len, off);
	if (n != expect)
		die("%s step %d: %s pread(off %lld, len %zu, buf+%zu) = %zd, expected %lld (%s)",
		    m->name, m->step, direct ? "O_DIRECT" : "buffered", off, len, mis, n, expect,
		    n < 0 ? strerror(errno) : "size");
	compare(m, p, off, n, direct ? "O_DIRECT" : "buffered");
	for (size_t i = n; i < len; i++)
		if (p[i] != 0x5a)
			die("%s step %d: read past its return value (byte %zu changed)", m->name,
			    m->step, i);
}

static void mf_truncate(struct model_file *m, long long size)
{
	m->step++;
	if (ftruncate(m->fd_buf, size))
		die("%s: ftruncate(%lld): %s", m->name, size, strerror(errno));
	if (size < m->size)
		memset(m->model + size, 0, m->size - size);
	m->size = size;
}

/* fallocate @mode (PUNCH_HOLE or ZERO_RANGE, with KEEP_SIZE) over [off, off + len). */
static void mf_zero(struct model_file *m, int mode, long long off, long long len)
{
	long long end = off + len < m->size ? off + len : m->size;

	m->step++;
	if (fallocate(m->fd_buf, mode | FALLOC_FL_KEEP_SIZE, off, len)) {
		if (errno == EOPNOTSUPP)
			return;
		die("%s: fallocate(%#x, %lld, %lld): %s", m->name, mode, off, len, strerror(errno));
	}
	if (off < end)
		memset(m->model + off, 0, end - off);
}

/* Everything, through both descriptors, in odd-sized chunks; and the size. */
static void verify_all(struct model_file *m)
{
	struct stat st;

	if (fstat(m->fd_buf, &st))
		die("%s: fstat: %s", m->name, strerror(errno));
	if (st.st_size != m->size)
		die("%s: size %lld, expected %lld", m->name, (long long)st.st_size, m->size);
	for (int direct = 0; direct <= 1; direct++) {
		for (long long off = 0; off < m->size + 1; off += 131071 + direct * 2)
			rd(m, direct, off, 131071 + direct * 2, direct ? 3 : 0);
		rd(m, direct, 0, m->size > MIB ? MIB : m->size, 0);
	}
}

static void case_aligned(const char *dir)
{
	struct model_file m;

	mf_open(&m, dir, "aligned");
	wr(&m, true, 0, 65536, 0);
	wr(&m, true, 65536, MIB, 0); /* one WRITE with max_write=1M */
	wr(&m, true, 512 * 3, 512 * 7, 512); /* 512-aligned, not page-aligned */
	wr(&m, false, 8192, 4096, 0);
	rd(&m, true, 0, 65536 + MIB, 0);
	rd(&m, true, 512 * 5, 1024, 512);
	rd(&m, false, 4096, 8192, 0);
	wr(&m, true, 2 * MIB, MIB, 0); /* past end of file: extends */
	rd(&m, true, MIB, 2 * MIB, 0);
	verify_all(&m);
	mf_close(&m);
}

static void case_misaligned(const char *dir)
{
	struct model_file m;

	mf_open(&m, dir, "misaligned");
	wr(&m, true, 1234, 70000, 7);
	wr(&m, true, 4095, 2, 1); /* across a page boundary */
	wr(&m, true, 511, 514, 3); /* across two block boundaries */
	wr(&m, true, 100001, 3 * 4096, 0); /* misaligned offset, aligned buffer */
	wr(&m, true, 4096 * 30, 4096 * 3 + 1, 0); /* aligned start, odd tail */
	wr(&m, true, 4097, MIB + 1, 13); /* more than one WRITE */
	wr(&m, false, 777, 5000, 5);
	wr(&m, false, 3 * MIB - 3, 7, 0); /* extends, leaving a hole */
	rd(&m, true, 1233, 70003, 5);
	rd(&m, true, 4094, 4, 1);
	rd(&m, false, 500, 600, 0);
	rd(&m, true, 3 * MIB - 4096 - 5, 8192, 11); /* hole, data, end of file */
	verify_all(&m);
	mf_close(&m);
}

static void case_subblock(const char *dir)
{
	static const size_t lens[] = {1, 2, 17, 100, 255, 511};
	struct model_file m;

	mf_open(&m, dir, "subblock");
	wr(&m, true, 0, 64 * 1024, 0);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		wr(&m, true, 8192 * k + 300, lens[k], k); /* inside one block */
		wr(&m, false, 8192 * k + 4096 + 1, lens[k], 0);
		wr(&m, true, 8192 * k + 1024 - lens[k] / 2, lens[k], 2); /* across a block */
		wr(&m, true, 8192 * k + 8192 - lens[k] / 2 - 1, lens[k] + 1, 0); /* a page */
		rd(&m, true, 8192 * k + 299, lens[k] + 2, 1);
	}
	for (int k = 0; k < 32; k++) /* neighbours inside one block, in both ways */
		wr(&m, k & 1, 40000 + k * 16, 16, k);
	rd(&m, true, 39999, 16 * 32 + 2, 0);
	verify_all(&m);
	mf_close(&m);
}

static void case_eof(const char *dir)
{
	const long long s = 200000 + 37;
	struct model_file m;

	mf_open(&m, dir, "eof");
	wr(&m, true, 0, s, 0);
	rd(&m, true, s - 10, 4096, 0); /* 10 bytes */
	rd(&m, true, s, 4096, 0); /* 0 bytes */
	rd(&m, true, s + 5000, 100, 3); /* past end: 0 */
	rd(&m, true, s - 1003, 8192 + 3, 9); /* unaligned, across end of file */
	rd(&m, false, s - 1, 2, 0);
	rd(&m, true, (s & ~511LL) - 512, 512, 0); /* aligned, ends before EOF */
	rd(&m, true, s & ~511LL, 1024, 0); /* aligned start, EOF inside */
	rd(&m, true, s & ~4095LL, 4096, 0);
	mf_truncate(&m, s - 77); /* shrink to an odd size */
	rd(&m, true, s - 600, 4096, 17);
	mf_truncate(&m, s + 3000); /* grow: zeros */
	rd(&m, true, s - 700, 4096 + 1, 0);
	wr(&m, true, s + 9000, 10, 0); /* extend with a gap */
	rd(&m, true, s - 5, 9100, 1);
	rd(&m, true, s + 9005, 512, 0);
	verify_all(&m);
	mf_close(&m);
}

static void case_holes(const char *dir)
{
	struct model_file m;

	mf_open(&m, dir, "holes");
	mf_truncate(&m, MIB + 333); /* all hole */
	rd(&m, true, 1, 70000, 1);
	wr(&m, true, 100000, 5000, 0);
	wr(&m, false, 700001, 3000, 0);
	wr(&m, true, 512 * 1000, 512, 0);
	rd(&m, true, 99001, 8000, 0); /* hole, data, hole */
	rd(&m, true, 699999, 3005, 7);
	rd(&m, true, MIB - 100, 1000, 0); /* hole across end of file */
	rd(&m, false, 0, MIB + 400, 0);
	verify_all(&m);
	mf_close(&m);

	mf_open(&m, dir, "punch");
	wr(&m, true, 0, 300000, 0);
	mf_zero(&m, FALLOC_FL_PUNCH_HOLE, 3000, 50000); /* unaligned edges */
	mf_zero(&m, FALLOC_FL_PUNCH_HOLE, 65536, 65536);
	mf_zero(&m, FALLOC_FL_PUNCH_HOLE, 200000 - 1, 1);
	mf_zero(&m, FALLOC_FL_ZERO_RANGE, 150001, 10000);
	mf_zero(&m, FALLOC_FL_PUNCH_HOLE, 300000 - 100, 1000); /* across end of file */
	rd(&m, true, 2999, 50003, 3);
	rd(&m, true, 60000 + 1, 80000, 0);
	rd(&m, true, 199990, 20, 0);
	rd(&m, true, 150000, 10003, 5);
	rd(&m, true, 300000 - 101, 4096, 0);
	wr(&m, true, 4000, 100, 0); /* write into a hole */
	wr(&m, true, 65536 + 512, 1024, 0);
	rd(&m, true, 3900, 2000, 0);
	verify_all(&m);
	mf_close(&m);
}

/* A seeded random mix of everything above, for the bytes the fixed cases miss. */
static void case_random(const char *dir, uint64_t seed, int ops)
{
	struct model_file m;

	rng_state = seed;
	mf_open(&m, dir, "random");
	for (int k = 0; k < ops; k++) {
		long long off = rnd_range(0, 600000);
		size_t len = rnd() % 4 ? rnd_range(1, 20000) : rnd_range(1, 300000);
		size_t mis = rnd() % 3 ? 0 : rnd_range(0, 4095);
		unsigned int op = rnd() % 10;

		if (rnd() % 3 == 0) { /* aligned to the backing's 512 */
			off &= ~511LL;
			len = (len + 511) & ~(size_t)511;
			mis &= ~(size_t)511;
		}
		if (op < 4)
			wr(&m, op & 1, off, len, mis);
		else if (op < 8)
			rd(&m, op & 1, off, len, mis);
		else if (op == 8)
			mf_zero(&m, rnd() & 1 ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE, off,
				len);
		else
			mf_truncate(&m, off);
	}
	verify_all(&m);
	mf_close(&m);
}

static int cmd_basic(int argc, char **argv)
{
	const char *dir;
	uint64_t seed = 1;
	int ops = 150;

	if (argc < 3)
		return 2;
	dir = argv[2];
	if (argc > 3)
		seed = strtoull(argv[3], NULL, 0);
	if (argc > 4)
		ops = atoi(argv[4]);
	what = "basic";
	case_aligned(dir);
	case_misaligned(dir);
	case_subblock(dir);
	case_eof(dir);
	case_holes(dir);
	case_random(dir, seed, ops);
	return 0;
}

/* ---- writers: concurrent writers of interleaved segments ---- */

struct segment {
	long long off;
	size_t len;
};

static uint64_t writer_tag(int pass, int writer)
{
	return 1000 + (uint64_t)pass * 64 + writer;
}

/* Slots of @depth in-flight writes, each with its own buffer. */
struct aio_slots {
	struct io_uring ring;
	unsigned char **buf;
	size_t *len;
	int depth, busy;
	bool *used;
};

/* Wait for one completion; its slot becomes free. */
static void aio_reap(struct aio_slots *a, int k)
{
	struct io_uring_cqe *cqe;
	int slot, err;

	do {
		err = io_uring_wait_cqe(&a->ring, &cqe);
	} while (err == -EINTR);
	if (err)
		die("writer %d: io_uring_wait_cqe: %s", k, strerror(-err));
	slot = (int)io_uring_cqe_get_data64(cqe);
	if (cqe->res != (int)a->len[slot])
		die("writer %d: async O_DIRECT write of %zu bytes: %d (%s)", k, a->len[slot],
		    cqe->res, cqe->res < 0 ? strerror(-cqe->res) : "short");
	io_uring_cqe_seen(&a->ring, cqe);
	a->used[slot] = false;
	a->busy--;
}

static void writer_run(const char *path, const struct segment *seg, int nseg, int procs, int k,
		       int passes, bool buffered, int depth, int gate)
{
	unsigned char *buf = buffer_alloc();
	int *order = calloc(nseg, sizeof(*order));
	struct aio_slots a = {.depth = buffered ? 0 : depth};
	int fd, n = 0, err;
	char c;

	what = "writer";
	fd = buffered ? open(path, O_WRONLY) : open_direct(path, O_WRONLY);
	if (fd < 0 || !order)
		die("writer %d: open %s: %s", k, path, strerror(errno));
	if (a.depth) {
		err = io_uring_queue_init(a.depth, &a.ring, 0);
		if (err)
			die("writer %d: io_uring_queue_init: %s", k, strerror(-err));
		a.buf = calloc(a.depth, sizeof(*a.buf));
		a.len = calloc(a.depth, sizeof(*a.len));
		a.used = calloc(a.depth, sizeof(*a.used));
		for (int i = 0; i < a.depth; i++)
			if (posix_memalign((void **)&a.buf[i], PAGE, 64 * 1024))
				die("out of memory");
	}
	for (int i = k; i < nseg; i += procs)
		order[n++] = i;
	if (read(gate, &c, 1) < 0) /* everyone starts together */
		die("writer %d: gate: %s", k, strerror(errno));
	for (int pass = 0; pass < passes; pass++) {
		for (int i = n - 1; i > 0; i--) { /* a new random order each pass */
			int j = rnd() % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < n; i++) {
			const struct segment *s = &seg[order[i]];
			size_t mis = rnd() % 2 ? (size_t)(s->off % 512) : rnd() % PAGE;
			struct io_uring_sqe *sqe;
			int slot = 0;
			ssize_t w;

			if (!a.depth) {
				pat_fill(buf + mis, writer_tag(pass, k), s->off, s->len);
				w = pwrite(fd, buf + mis, s->len, s->off);
				if (w != (ssize_t)s->len)
					die("writer %d pass %d: pwrite(off %lld, len %zu) = %zd "
					    "(%s)",
					    k, pass, s->off, s->len, w,
					    w < 0 ? strerror(errno) : "short");
				continue;
			}
			/* Asynchronous: several writes of this writer in flight at once. */
			if (a.busy == a.depth)
				aio_reap(&a, k);
			while (a.used[slot])
				slot++;
			mis %= 64 * 1024 - s->len + 1;
			pat_fill(a.buf[slot] + mis, writer_tag(pass, k), s->off, s->len);
			a.used[slot] = true;
			a.len[slot] = s->len;
			a.busy++;
			sqe = io_uring_get_sqe(&a.ring);
			io_uring_prep_write(sqe, fd, a.buf[slot] + mis, s->len, s->off);
			io_uring_sqe_set_data64(sqe, slot);
			err = io_uring_submit(&a.ring);
			if (err != 1)
				die("writer %d: io_uring_submit: %s", k, strerror(-err));
		}
		while (a.busy) /* a pass ends when its writes completed */
			aio_reap(&a, k);
	}
	if (a.depth)
		io_uring_queue_exit(&a.ring);
	close(fd);
	exit(0);
}

/* Which (pass, writer) pattern the bytes at @off hold, if any: for the diagnosis. */
static void explain(const unsigned char *p, long long off, size_t len, int procs, int passes)
{
	bool found = false;

	if (len > 8)
		len = 8;
	for (int pass = 0; pass < passes; pass++) {
		for (int w = 0; w < procs; w++) {
			size_t i = 0;

			while (i < len && p[i] == pat(writer_tag(pass, w), off + i))
				i++;
			if (i == len) {
				fprintf(stderr, "pinwl:   they are writer %d's bytes of pass %d\n",
					w, pass);
				found = true;
			}
		}
	}
	if (!found)
		fprintf(stderr, "pinwl:   they match no writer's pattern%s\n",
			p[0] || (len > 1 && p[1]) ? "" : " (zeros: never written)");
}

static int verify_writers(const char *path, const struct segment *seg, int nseg, int procs,
			  int passes, long long size)
{
	unsigned char *buf = buffer_alloc();
	int bad = 0;

	for (int direct = 0; direct <= 1 && !bad; direct++) {
		int fd = direct ? open_direct(path, O_RDONLY) : open(path, O_RDONLY);
		long long done = 0;

		if (fd < 0)
			die("open %s: %s", path, strerror(errno));
		while (done < size) {
			ssize_t n = pread(fd, buf + done, size - done, done);

			if (n <= 0)
				die("%s pread at %lld: %zd (%s)", direct ? "O_DIRECT" : "buffered",
				    done, n, n < 0 ? strerror(errno) : "end of file");
			done += n;
		}
		close(fd);
		for (int i = 0; i < nseg && !bad; i++) {
			const struct segment *s = &seg[i];
			uint64_t tag = writer_tag(passes - 1, i % procs);

			for (size_t b = 0; b < s->len; b++) {
				long long off = s->off + b;

				if (buf[off] == pat(tag, off))
					continue;
				fprintf(stderr,
					"pinwl: writers: %s read: byte %lld (segment %d [%lld, "
					"+%zu) "
					"of writer %d) is 0x%02x, expected 0x%02x: a lost update\n",
					direct ? "O_DIRECT" : "buffered", off, i, s->off, s->len,
					i % procs, buf[off], pat(tag, off));
				explain(buf + off, off, s->len - b, procs, passes);
				bad = 1;
				break;
			}
		}
	}
	free(buf);
	return bad;
}

static int cmd_writers(int argc, char **argv)
{
	int procs = 4, passes = 3, nseg = 0, gate[2], opt, status, failed = 0, maxlen = 0;
	int depth = 0;
	long long size = 512 * 1024, off = 0;
	uint64_t seed = 1;
	bool mixed = false;
	struct segment *seg;
	const char *path;
	pid_t *pids;
	int fd;

	optind = 3;
	while ((opt = getopt(argc, argv, "p:r:s:S:m:a:b")) != -1) {
		switch (opt) {
		case 'p':
			procs = atoi(optarg);
			break;
		case 'r':
			passes = atoi(optarg);
			break;
		case 's':
			size = atoll(optarg);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'a':
			depth = atoi(optarg);
			break;
		case 'm':
			maxlen = atoi(optarg);
			break;
		case 'b':
			mixed = true;
			break;
		default:
			return 2;
		}
	}
	if (argc < 3 || procs < 1 || procs > 64 || passes < 1 || size < 1 || size > 2 * MIB ||
	    depth < 0 || depth > 64 || maxlen > 40000)
		return 2;
	path = argv[2];
	what = "writers";
	rng_state = seed;
	seg = calloc(size, sizeof(*seg));
	pids = calloc(procs, sizeof(*pids));
	if (!seg || !pids)
		die("out of memory");
	while (off < size) {
		uint64_t kind = rnd() % 10;
		size_t len = kind < 4	? rnd_range(1, 600)
			     : kind < 8 ? rnd_range(600, 5000)
					: rnd_range(5000, 40000);

		if (maxlen > 0)
			len = rnd_range(1, maxlen);

		if (rnd() % 8 == 0) /* some boundaries aligned, too */
			len = ((off + len + 511) & ~511LL) - off;
		if (off + (long long)len > size)
			len = size - off;
		seg[nseg++] = (struct segment){off, len};
		off += len;
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, size))
		die("create %s: %s", path, strerror(errno));
	close(fd);
	if (pipe(gate))
		die("pipe: %s", strerror(errno));
	for (int k = 0; k < procs; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			die("fork: %s", strerror(errno));
		if (pids[k] == 0) {
			close(gate[1]);
			rng_state = mix(seed + 77 * (k + 1));
			writer_run(path, seg, nseg, procs, k, passes, mixed && (k & 1), depth,
				   gate[0]);
		}
	}
	close(gate[0]);
	close(gate[1]); /* go */
	for (int k = 0; k < procs; k++) {
		if (waitpid(pids[k], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	if (failed)
		die("a writer failed");
	if (verify_writers(path, seg, nseg, procs, passes, size))
		return 1;
	printf("pinwl: writers: %d writers x %d passes over %d segments of %lld bytes: ok\n", procs,
	       passes, nseg, size);
	free(seg);
	free(pids);
	return 0;
}

/* ---- fill / check ---- */

/*
 * What the @len bytes at @p (file offset @off, in a read of [@start, @end)) hold:
 * one repeated byte, or pattern @other at a page-multiple distance within the
 * read's span. Writes the phrase into @out.
 */
static void bad_origin(const unsigned char *p, size_t len, uint64_t off, uint64_t other,
		       long long start, long long end, char *out, size_t outlen)
{
	size_t i;

	for (i = 1; i < len && p[i] == p[0]; i++)
		;
	if (i == len) {
		snprintf(out, outlen, "all 0x%02x", p[0]);
		return;
	}
	for (long long d = (start - (long long)off) / PAGE * PAGE;
	     other && d < end - (long long)off; d += PAGE) {
		for (i = 0; i < len && p[i] == pat(other, off + d + i); i++)
			;
		if (i == len) {
			snprintf(out, outlen, "tag %llu's of offset %llu",
				 (unsigned long long)other, (unsigned long long)(off + d));
			return;
		}
	}
	snprintf(out, outlen, "of no known origin");
}

static int cmd_pattern(int argc, char **argv, bool check)
{
	long long off, len, expect, linger_ms = 0;
	bool direct = false;
	unsigned char *buf;
	uint64_t tag, other = 0;
	int fd, opt;
	ssize_t n;

	if (argc < 6)
		return 2;
	off = atoll(argv[3]);
	len = atoll(argv[4]);
	tag = strtoull(argv[5], NULL, 0);
	expect = len;
	optind = 6;
	while ((opt = getopt(argc, argv, "de:o:w:")) != -1) {
		if (opt == 'd')
			direct = true;
		else if (opt == 'o')
			other = strtoull(optarg, NULL, 0);
		else if (opt == 'e')
			expect = atoll(optarg);
		else if (opt == 'w')
			linger_ms = atoll(optarg);
		else
			return 2;
	}
	what = check ? "check" : "fill";
	if (len < 0 || len > BUF_MAX - PAGE)
		die("length %lld out of range", len);
	buf = buffer_alloc();
	if (direct)
		fd = open_direct(argv[2], check ? O_RDONLY : O_WRONLY | O_CREAT);
	else
		fd = open(argv[2], check ? O_RDONLY : O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		die("open %s: %s", argv[2], strerror(errno));
	if (!check) {
		pat_fill(buf, tag, off, len);
		n = pwrite(fd, buf, len, off);
		if (n != len)
			die("pwrite %s: %zd (%s)", argv[2], n, n < 0 ? strerror(errno) : "short");
		if (linger_ms) { /* say so, and keep the file open a while */
			printf("written\n");
			fflush(stdout);
			usleep(linger_ms * 1000);
		}
		close(fd);
		return 0;
	}
	n = pread(fd, buf, len, off);
	if (n != expect)
		die("pread %s at %lld: %zd bytes, expected %lld (%s)", argv[2], off, n, expect,
		    n < 0 ? strerror(errno) : "size");
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != pat(tag, off + i)) {
			/* to the end of the page of the file that holds the bad byte */
			size_t span = PAGE - (size_t)((off + i) % PAGE);
			char origin[80];

			if (span > (size_t)(n - i))
				span = (size_t)(n - i);
			bad_origin(buf + i, span, off + i, other, off, off + n, origin,
				   sizeof(origin));
			fprintf(stderr,
				"pinwl: check %s: byte %lld is 0x%02x, expected 0x%02x; the %zu "
				"bytes from there: %s\n",
				argv[2], off + i, buf[i], pat(tag, off + i), span, origin);
			return 1;
		}
	}
	close(fd);
	return 0;
}

/* ---- mmap of an O_DIRECT (FOPEN_DIRECT_IO) file ---- */

static int cmd_mmap(int argc, char **argv)
{
	const size_t size = 5 * PAGE + 123, maplen = 6 * PAGE;
	unsigned char *buf, *m, *priv;
	int fd, fd2;

	if (argc < 3)
		return 2;
	what = "mmap";
	buf = buffer_alloc();
	fd = open_direct(argv[2], O_RDWR | O_CREAT | O_TRUNC);
	pat_fill(buf + 1, 1, 0, size);
	if (pwrite(fd, buf + 1, size, 0) != (ssize_t)size) /* unaligned O_DIRECT */
		die("pwrite: %s", strerror(errno));

	m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("MAP_SHARED mmap of an O_DIRECT file: %s (FUSE_DIRECT_IO_ALLOW_MMAP missing?)",
		    strerror(errno));
	for (size_t i = 0; i < size; i++)
		if (m[i] != pat(1, i))
			die("mapping byte %zu is 0x%02x, expected 0x%02x", i, m[i], pat(1, i));
	for (size_t i = size; i < maplen; i++)
		if (m[i])
			die("mapping byte %zu past end of file is 0x%02x, not 0", i, m[i]);

	/* Store through the mapping; msync; O_DIRECT and buffered reads see it. */
	pat_fill(m + 100, 2, 100, 2 * PAGE + 7);
	if (msync(m, maplen, MS_SYNC))
		die("msync: %s", strerror(errno));
	if (pread(fd, buf + 3, size, 0) != (ssize_t)size)
		die("O_DIRECT pread: %s", strerror(errno));
	for (size_t i = 0; i < size; i++) {
		unsigned char want = i >= 100 && i < 100 + 2 * PAGE + 7 ? pat(2, i) : pat(1, i);

		if (buf[3 + i] != want)
			die("after msync, O_DIRECT read byte %zu is 0x%02x, expected 0x%02x", i,
			    buf[3 + i], want);
	}
	fd2 = open(argv[2], O_RDONLY);
	if (fd2 < 0 || pread(fd2, buf, size, 0) != (ssize_t)size)
		die("buffered reopen: %s", strerror(errno));
	if (memcmp(buf, m, size))
		die("a buffered read differs from the mapping");

	/* An O_DIRECT write is seen through the mapping. */
	pat_fill(buf + 5, 3, 4096 + 9, 1000);
	if (pwrite(fd, buf + 5, 1000, 4096 + 9) != 1000)
		die("O_DIRECT pwrite: %s", strerror(errno));
	for (size_t i = 0; i < 1000; i++)
		if (m[4096 + 9 + i] != pat(3, 4096 + 9 + i))
			die("mapping byte %zu is stale after an O_DIRECT write", 4096 + 9 + i);

	/* MAP_PRIVATE: stores stay private. */
	priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd2, 0);
	if (priv == MAP_FAILED)
		die("MAP_PRIVATE mmap: %s", strerror(errno));
	if (memcmp(priv, m, PAGE))
		die("MAP_PRIVATE and MAP_SHARED mappings differ");
	memset(priv, 0xee, 16);
	if (m[0] == 0xee && m[1] == 0xee)
		die("a MAP_PRIVATE store reached the file");
	munmap(priv, PAGE);
	munmap(m, maplen);
	close(fd2);
	close(fd);

	/* Read-only O_DIRECT open, shared read-only mapping. */
	fd = open_direct(argv[2], O_RDONLY);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("read-only MAP_SHARED mmap of an O_DIRECT file: %s", strerror(errno));
	if (m[99] != pat(1, 99) || m[100] != pat(2, 100))
		die("read-only mapping has the wrong bytes");
	munmap(m, PAGE);
	close(fd);
	free(buf);
	printf("pinwl: mmap of an O_DIRECT file: ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc >= 2 && !strcmp(argv[1], "basic"))
		ret = cmd_basic(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "writers"))
		ret = cmd_writers(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "fill"))
		ret = cmd_pattern(argc, argv, false);
	else if (argc >= 2 && !strcmp(argv[1], "check"))
		ret = cmd_pattern(argc, argv, true);
	else if (argc >= 2 && !strcmp(argv[1], "mmap"))
		ret = cmd_mmap(argc, argv);
	if (ret == 2)
		fprintf(stderr,
			"usage: pinwl basic DIR [SEED [OPS]] | writers FILE [-p N] [-r PASSES] "
			"[-s SIZE] [-S SEED] [-m MAX] [-a DEPTH] [-b] | fill|check FILE OFF LEN "
			"TAG [-d] [-e N] [-o OTHER] [-w MS] "
			"| mmap FILE\n");
	return ret;
}
