// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #21-#25: the daemon-side scenarios. They are about pinfs's own buffers, so they need
 * the target to be pinfs with --control: the daemon forks in a loop (`forker on`,
 * docs/control.md) while the application streams verified I/O through the mount.
 *
 * #21 copy buffers: the kernel copies request and reply payloads into and out of the daemon's
 *     buffers with FOLL_GET (fuse_copy_fill, spec §3.4); the daemon must keep them coherent
 *     while it forks (page-aligned, exclusive, MADV_DONTFORK).
 * #22 backing O_DIRECT: the daemon's O_DIRECT on the backing file while it forks. The
 *     application does not fork (its own fork is #1-#4), so a failure here is the daemon's.
 * #23 vmsplice reply buffers: only meaningful when pinfs vmsplices its replies (-o vmsplice);
 *     a buffer reused before the pipe drained corrupts some other request's reply.
 * #24 SPLICE_F_GIFT + SPLICE_F_MOVE for page-cache READs: the page cache must not show what the
 *     daemon does to its buffer afterwards.
 * #25 io_uring registered buffers in the daemon while it forks.
 * A scenario whose daemon path pinfs does not use in this mount (stats show no bytes on it) is a
 * SKIP naming the mount option that enables it. Deterministic mode: the daemon forks while a
 * request sits parked at `data` or `reply`.
 * The pin ledger is checked by the runner around every scenario.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenarios.h"

#define FORKER_INTERVAL_US 50

enum dpath { DP_ANY, DP_DIRECT, DP_SPLICED, DP_VMSPLICED, DP_URING };

static uint64_t path_bytes(const struct ctl_stats *st, enum dpath p)
{
	switch (p) {
	case DP_DIRECT:
		return st->bytes.direct;
	case DP_SPLICED:
		return st->bytes.spliced;
	case DP_VMSPLICED:
		return st->bytes.vmspliced;
	case DP_URING:
		return st->engines.uring.read + st->engines.uring.write;
	default:
		return 1;
	}
}

/* Do a little I/O on the file @path and see whether pinfs used @p for it. */
static bool path_used(struct sc_ctx *sc, const char *path, enum dpath p, bool buffered)
{
	static const char *const option[] = {
		"",
		"stats show no O_DIRECT bytes on the backing file; pinfs: -o "
		"backing_dio=auto|always",
		"stats show no spliced bytes; pinfs: -o splice=read|rw",
		"stats show no vmspliced reply bytes; pinfs: -o vmsplice",
		"stats show no io_uring requests; pinfs: -o engine=uring",
	};
	struct ctl_stats a, b;
	char *buf = map_buffer(64u << 10, sc->env->page);
	int fd = open(path, O_RDWR | O_CLOEXEC | (buffered ? 0 : O_DIRECT));
	bool used = false;

	if (p == DP_ANY) {
		used = true;
		goto out;
	}
	if (!buf || fd < 0 || ctl_stats(sc->ctl, &a))
		goto out;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (pwrite(fd, buf, 64u << 10, 0) < 0 || pread(fd, buf, 64u << 10, 0) < 0)
		goto out;
	if (buffered)
		fsync(fd);
	if (ctl_stats(sc->ctl, &b))
		goto out;
	used = path_bytes(&b, p) > path_bytes(&a, p);
out:
	if (!used)
		sc_skip(sc, "the daemon does not use this path in this mount (%s)", option[p]);
	if (fd >= 0)
		close(fd);
	unmap_buffer(buf, 64u << 10);
	return used;
}

#define OTHER_CHUNK (1u << 20)
#define OTHER_TOTAL (64u << 20)

/*
 * While a reply is parked: read OTHER_TOTAL bytes of file 1 (never written in deterministic mode)
 * in 1 MiB requests and verify them. That is more than pinfs's whole buffer arena, so an arena
 * page released early would be handed out again before the parked reply goes.
 */
static void other_reads(struct sc_ctx *sc, int fd1, char *buf)
{
	for (size_t done = 0; done < OTHER_TOTAL && !sc_failed(sc); done += OTHER_CHUNK) {
		uint64_t off = done % DSTREAM_FILE_SIZE;
		struct pat_expect e = pat_exp(off, FID_DATA2, 1);

		if (pread_full(fd1, buf, OTHER_CHUNK, (off_t)off) != OTHER_CHUNK)
			sc_fail(sc, "read of file 1 beside the parked reply failed");
		else
			sc_check(sc, buf, OTHER_CHUNK, &e,
				 "round %lu: file 1 read beside the parked reply", sc->loop_iter);
	}
}

/*
 * Deterministic: the daemon forks while one write and then one read are parked; while the read's
 * reply sits in the daemon's pages, other reads run (an arena page released early would be
 * handed to one of them: the parked reply then carries file 1's data).
 */
static void det_workload(struct sc_ctx *sc, struct dstream *s)
{
	char *buf = map_buffer(DSTREAM_BLOCK + 4096, sc->env->page);
	char *back = map_buffer(DSTREAM_BLOCK, sc->env->page);
	char *other = map_buffer(OTHER_CHUNK, sc->env->page);
	int fd1 = open(s->path[1], O_RDONLY | O_CLOEXEC | O_DIRECT);
	int fd = open(s->path[0], O_RDWR | O_CLOEXEC | O_DIRECT);

	while (fd >= 0 && buf && back && sc_more(sc)) {
		unsigned int b = (unsigned int)sc->loop_iter * 3,
			     g = (unsigned int)sc->loop_iter + 2;
		uint64_t off = (uint64_t)b * DSTREAM_BLOCK;
		struct bg_io io = {.fd = fd,
				   .buf = buf + 512,
				   .len = DSTREAM_BLOCK,
				   .off = (off_t)off,
				   .write = true};
		struct pat_expect e = pat_exp(off, FID_DATA, s->writes ? g : 1);
		int id;

		if (s->writes) {
			pattern_fill(buf + 512, DSTREAM_BLOCK, off, FID_DATA, g);
			id = sc_park_io(sc, "data", "write", &io);
			if (id < 0)
				break;
			sleep_us(10000); /* ~200 daemon forks with the payload parked */
			sc_hold_release(sc, id);
			if (bg_join(&io) != DSTREAM_BLOCK)
				sc_fail(sc, "parked write returned %zd", io.ret);
		}
		io = (struct bg_io){.fd = fd, .buf = back, .len = DSTREAM_BLOCK, .off = (off_t)off};
		memset(back, 0, DSTREAM_BLOCK);
		id = sc_park_io(sc, "reply", "read", &io);
		if (id < 0)
			break;
		sleep_us(10000); /* the reply sits in daemon pages while it forks */
		/* meanwhile other requests run: none may be handed the parked reply's pages */
		other_reads(sc, fd1, other);
		sc_hold_release(sc, id);
		if (bg_join(&io) != DSTREAM_BLOCK)
			sc_fail(sc, "parked read returned %zd", io.ret);
		sc_check(sc, back, DSTREAM_BLOCK, &e, "round %lu: block %u after the parked I/O",
			 sc->loop_iter, b);
	}
	if (fd >= 0)
		close(fd);
	unmap_buffer(buf, DSTREAM_BLOCK + 4096);
	unmap_buffer(back, DSTREAM_BLOCK);
	unmap_buffer(other, OTHER_CHUNK);
	if (fd1 >= 0)
		close(fd1);
}

static void daemon_run(struct sc_ctx *sc, enum dpath p, bool buffered_probe, bool writes,
		       bool buffered_reads)
{
	struct dstream *s = calloc(1, sizeof(*s));

	if (!s) {
		sc_fail(sc, "out of memory");
		return;
	}
	s->writes = writes;
	s->buffered_reads = buffered_reads;
	s->misalign = true;
	if (!dstream_create(sc, s, "daemon", 2) || !path_used(sc, s->path[0], p, buffered_probe))
		goto out;
	/* the probe wrote zeros at the start of file 0: restore it */
	if (!sc_make_file(sc, s->path[0], DSTREAM_FILE_SIZE, FID_DATA, 1))
		goto out;
	if (ctl_forker(sc->ctl, true, FORKER_INTERVAL_US, NULL)) {
		sc_fail(sc, "pinfs refused `forker on`");
		goto out;
	}
	if (sc->mode == MODE_DETERMINISTIC)
		det_workload(sc, s);
	else
		sc_note(sc, "%lu verified operations", dstream_run(sc, s));
	daemon_forker_off(sc->ctl);
	sc_pass(sc);
out:
	free(s);
}

void run_daemon_copybuf(struct sc_ctx *sc)
{
	daemon_run(sc, DP_ANY, false, true, false);
}

/*
 * #22. The file alternates BD_UNIT bytes of data with BD_UNIT-byte holes. Where the backing
 * filesystem's blocks are smaller than a page, one backing O_DIRECT read of such a range gets
 * a daemon page for a bio and then, for the hole beside the data, writes zeros into the same
 * page through the daemon's page tables (iomap's hole handling); the bios are sent after the
 * whole range is mapped. With FOLL_GET (block O_DIRECT before 6.3, spec §2.5) a daemon fork
 * in between write-protects the page, the zeroing copies it for the daemon, and the bio's
 * data lands in the copy the fork left behind: the reply carries the page's old contents.
 * MADV_DONTFORK buffers are never shared with the child, so nothing is copied (spec §6).
 */
#define BD_FILE_SIZE (1u << 20)
#define BD_UNIT 1024u
#define BD_MAX_READ (64u << 10)
#define BD_THREADS 4

/* Check [off, off + len) (unit-aligned) read into @buf: data units hold gen 1, holes zero. */
static bool bd_check(const char *buf, uint64_t off, size_t len, char *fail, size_t flen)
{
	for (size_t i = 0; i < len; i += BD_UNIT) {
		uint64_t u = (off + i) / BD_UNIT;
		struct pat_expect e = pat_exp(off + i, FID_DATA, 1);
		struct pat_mismatch m;
		char desc[256];

		if (u & 1)
			e = (struct pat_expect){.off = off + i, .zero_ok = true};
		if (!pattern_check(buf + i, BD_UNIT, &e, &m)) {
			m.index += i;
			snprintf(fail, flen, "read of [0x%llx, +0x%zx), %s: %s",
				 (unsigned long long)off, len, u & 1 ? "hole" : "data",
				 pattern_describe(&m, &e, desc, sizeof(desc)));
			return false;
		}
	}
	return true;
}

/* One reader: O_DIRECT reads of random unit-aligned ranges of the file (path @r->work). */
static void bd_reader_main(struct sc_worker *r)
{
	char *buf = map_buffer(BD_MAX_READ, r->sc->env->page);
	int fd = open(r->work, O_RDONLY | O_CLOEXEC | O_DIRECT);
	unsigned int x = (unsigned int)r->idx * 2654435761u + 7;

	if (!buf || fd < 0) {
		snprintf(r->fail, sizeof(r->fail), "reader setup failed: %s", strerror(errno));
		goto out;
	}
	while (sc_worker_more(r)) {
		uint64_t off;
		size_t len;

		x = xorshift32(x);
		off = (uint64_t)(x % (BD_FILE_SIZE / BD_UNIT)) * BD_UNIT;
		len = (size_t)(x / 7 % (BD_MAX_READ / BD_UNIT) + 1) * BD_UNIT;
		if (off + len > BD_FILE_SIZE)
			len = BD_FILE_SIZE - off;
		if (pread_full(fd, buf, len, (off_t)off) != (ssize_t)len) {
			snprintf(r->fail, sizeof(r->fail), "O_DIRECT read of [0x%llx, +0x%zx): %s",
				 (unsigned long long)off, len, strerror(errno));
			break;
		}
		if (!bd_check(buf, off, len, r->fail, sizeof(r->fail)))
			break;
		r->ops++;
	}
out:
	if (fd >= 0)
		close(fd);
	unmap_buffer(buf, BD_MAX_READ);
}

/* Write the data units with O_DIRECT; returns whether the holes stayed holes (sub-page extents). */
static bool bd_make_file(struct sc_ctx *sc, const char *path, bool *subpage)
{
	char *unit = map_buffer(sc->env->page, sc->env->page);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
	bool ok = unit && fd >= 0 && ftruncate(fd, BD_FILE_SIZE) == 0;

	for (uint64_t off = 0; ok && off < BD_FILE_SIZE; off += 2 * BD_UNIT) {
		pattern_fill(unit, BD_UNIT, off, FID_DATA, 1);
		ok = pwrite_full(fd, unit, BD_UNIT, (off_t)off) == BD_UNIT;
	}
	if (!ok)
		sc_fail(sc, "cannot write %s with O_DIRECT: %s", path, strerror(errno));
	else
		*subpage = fsync(fd) == 0 && lseek(fd, 0, SEEK_HOLE) == BD_UNIT;
	if (fd >= 0)
		close(fd);
	unmap_buffer(unit, sc->env->page);
	return ok;
}

void run_daemon_backing_dio(struct sc_ctx *sc)
{
	unsigned long ops;
	char probe[4200], path[4200];
	bool subpage = false;

	if (sc->mode == MODE_DETERMINISTIC) {
		sc_skip(sc, "the daemon's backing O_DIRECT has no hold point inside it (the hooks "
			    "act before and after it, docs/control.md): stress mode only");
		return;
	}
	sc_path(sc, probe, sizeof(probe), "daemon-probe.dat");
	if (!sc_make_file(sc, probe, 1u << 20, FID_DATA, 1) ||
	    !path_used(sc, probe, DP_DIRECT, false))
		return;
	sc_path(sc, path, sizeof(path), "daemon-holes.dat");
	if (!bd_make_file(sc, path, &subpage))
		return;
	if (ctl_forker(sc->ctl, true, FORKER_INTERVAL_US, NULL)) {
		sc_fail(sc, "pinfs refused `forker on`");
		return;
	}
	ops = sc_run_workers(sc, BD_THREADS, bd_reader_main, path, "reader");
	daemon_forker_off(sc->ctl);
	sc_note(sc, "%lu verified reads; %s", ops,
		subpage ? "1 KiB holes between the data (backing blocks smaller than a page)"
			: "the backing filesystem kept no hole smaller than a page (its blocks are "
			  "page-sized), so no page is shared by a bio and a hole");
	sc_pass(sc);
}

void run_daemon_vmsplice(struct sc_ctx *sc)
{
	daemon_run(sc, DP_VMSPLICED, false, false, false);
}

void run_daemon_gift_move(struct sc_ctx *sc)
{
	daemon_run(sc, DP_SPLICED, true, false, true);
}

void run_daemon_uring(struct sc_ctx *sc)
{
	daemon_run(sc, DP_URING, false, true, false);
}
