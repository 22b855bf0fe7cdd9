// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stress workload of the daemon-side scenarios (spec §5 #21, #23-#26): while the daemon
 * forks, application threads stream verified I/O through the mount. Worker I works on file
 * I % nfiles and owns its blocks B with B % DSTREAM_THREADS == I, so it knows what each of them
 * holds. Even workers write with O_DIRECT, odd workers through the page cache; every write is
 * read back and checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scenarios.h"

#define DSTREAM_THREADS 4
/* Room for a block written from a source misaligned by up to 7 * 512 bytes. */
#define SRC_LEN (2 * DSTREAM_BLOCK + 4096)

bool dstream_create(struct sc_ctx *sc, struct dstream *s, const char *name, unsigned int nfiles)
{
	s->nfiles = nfiles;
	for (unsigned int f = 0; f < nfiles; f++) {
		char file[64];

		snprintf(file, sizeof(file), "%s-%u.dat", name, f);
		sc_path(sc, s->path[f], sizeof(s->path[f]), file);
		if (!sc_make_file(sc, s->path[f], DSTREAM_FILE_SIZE, FID_DATA + f, 1))
			return false;
		for (size_t b = 0; b < DSTREAM_FILE_SIZE / DSTREAM_BLOCK; b++)
			s->gen[f][b] = 1;
	}
	return true;
}

/* One verified operation on block @b of file @f by worker @k, writing from @src. */
static bool one_op(struct sc_worker *k, int rfd, int wfd, unsigned int f, unsigned int b, char *src,
		   char *back)
{
	struct dstream *s = k->work;
	uint64_t off = (uint64_t)b * DSTREAM_BLOCK;
	struct pat_mismatch m;
	struct pat_expect e;
	char desc[256];

	if (s->writes) {
		unsigned int g = (s->gen[f][b] + 1) & 0xfff;

		if (g < 2)
			g = 2;
		pattern_fill(src, DSTREAM_BLOCK, off, FID_DATA + f, g);
		if (pwrite_full(wfd, src, DSTREAM_BLOCK, (off_t)off) != DSTREAM_BLOCK) {
			snprintf(k->fail, sizeof(k->fail), "write of block %u failed: %s", b,
				 strerror(errno));
			return false;
		}
		s->gen[f][b] = (unsigned short)g;
	}
	if (pread_full(rfd, back, DSTREAM_BLOCK, (off_t)off) != DSTREAM_BLOCK) {
		snprintf(k->fail, sizeof(k->fail), "read of block %u failed: %s", b,
			 strerror(errno));
		return false;
	}
	e = pat_exp(off, FID_DATA + f, s->gen[f][b]);
	if (!pattern_check(back, DSTREAM_BLOCK, &e, &m)) {
		snprintf(k->fail, sizeof(k->fail), "file %u block %u (%s): %s", f, b,
			 s->writes ? (k->idx & 1 ? "buffered write" : "O_DIRECT write") : "read",
			 pattern_describe(&m, &e, desc, sizeof(desc)));
		return false;
	}
	return true;
}

static void worker_main(struct sc_worker *k)
{
	struct dstream *s = k->work;
	unsigned int f = (unsigned int)k->idx % s->nfiles;
	char *buf = map_buffer(SRC_LEN, k->sc->env->page);
	char *back = map_buffer(DSTREAM_BLOCK, k->sc->env->page);
	unsigned int x = (unsigned int)k->idx * 7919u + 1;
	int rfd, wfd;

	wfd = open(s->path[f], O_RDWR | O_CLOEXEC | (k->idx & 1 ? 0 : O_DIRECT));
	rfd = open(s->path[f], O_RDONLY | O_CLOEXEC | (s->buffered_reads ? 0 : O_DIRECT));
	if (!buf || !back || wfd < 0 || rfd < 0) {
		snprintf(k->fail, sizeof(k->fail), "worker setup failed: %s", strerror(errno));
		goto out;
	}
	while (sc_worker_more(k)) {
		unsigned int b, misalign = 0;

		x = xorshift32(x);
		b = (x % (DSTREAM_FILE_SIZE / DSTREAM_BLOCK / DSTREAM_THREADS)) * DSTREAM_THREADS +
		    (unsigned int)k->idx;
		if (s->misalign && !(k->idx & 1))
			misalign = (x % 8) * 512;
		if (!one_op(k, rfd, wfd, f, b, buf + misalign, back))
			break;
		k->ops++;
	}
out:
	if (wfd >= 0)
		close(wfd);
	if (rfd >= 0)
		close(rfd);
	unmap_buffer(buf, SRC_LEN);
	unmap_buffer(back, DSTREAM_BLOCK);
}

unsigned long dstream_run(struct sc_ctx *sc, struct dstream *s)
{
	return sc_run_workers(sc, DSTREAM_THREADS, worker_main, s, "worker");
}
