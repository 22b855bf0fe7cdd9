// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #19: LTP dio_read, stale-data exposure. A file is filled with data, truncated to 0 and
 * extended again (so it reads as zeros); children keep writing zeros through the page cache and
 * fsync while the parent O_DIRECT-reads. Correct: reads only ever see zeros. Broken: old blocks
 * or stale cache (a property of the daemon and the backing filesystem, not of the kernel's pins).
 * Deterministic mode: each read is parked at `data` (received, backing read not issued) while
 * the writers run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenarios.h"

#define STALE_FILE_SIZE (2u << 20)
#define STALE_CHUNK (64u << 10)
#define STALE_WRITERS 4

static void writer_child(const char *path, unsigned int seed, int idx)
{
	static char zeros[STALE_CHUNK];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	unsigned int x = seed | 1;

	if (fd < 0)
		_exit(1);
	/* bounded: the parent kills us when it is done; this is a safety net */
	for (int i = 0; i < 200000; i++) {
		off_t off;

		x = xorshift32(x);
		off = (off_t)(x % (STALE_FILE_SIZE / STALE_CHUNK)) * STALE_CHUNK;
		if (pwrite(fd, zeros, STALE_CHUNK, off) < 0)
			_exit(1);
		if ((i + idx) % 8 == 0)
			fsync(fd);
	}
	_exit(0);
}

/* Fill with data, truncate, extend: the file must now read as zeros. */
static int prepare(const char *path)
{
	int fd, ret;

	ret = make_pattern_file(path, STALE_FILE_SIZE, FID_DATA, 1);
	if (ret)
		return ret;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ftruncate(fd, 0) || ftruncate(fd, STALE_FILE_SIZE) || fsync(fd) ? -errno : 0;
	close(fd);
	return ret;
}

void run_stale_read(struct sc_ctx *sc)
{
	char path[4200], *buf = map_buffer(STALE_CHUNK, sc->env->page);
	pid_t writers[STALE_WRITERS] = {0};
	int ret;
	/* zeros were written over generation 1: a word of generation 1 is stale */
	struct pat_expect zero = {.zero_ok = true, .current = {FID_DATA, 2}};
	int fd = -1;

	sc_path(sc, path, sizeof(path), "stale.dat");
	if (!buf) {
		sc_fail(sc, "cannot map the buffer");
		goto out;
	}
	ret = prepare(path);
	if (ret) {
		sc_fail(sc, "cannot prepare %s: %s", path, strerror(-ret));
		goto out;
	}
	fd = sc_open_direct(sc, path, O_RDONLY);
	if (fd < 0)
		goto out;
	for (int i = 0; i < STALE_WRITERS; i++) {
		writers[i] = fork();
		if (writers[i] == 0)
			writer_child(path, (unsigned int)sc->env->opt.seed + (unsigned int)i, i);
	}
	while (sc_more(sc)) {
		off_t off = (off_t)(sc_rand(sc, STALE_FILE_SIZE / STALE_CHUNK)) * STALE_CHUNK;
		ssize_t n;

		if (sc->mode == MODE_DETERMINISTIC) {
			struct bg_io io = {.fd = fd, .buf = buf, .len = STALE_CHUNK, .off = off};
			int id = sc_park_io(sc, "data", "read", &io);

			if (id < 0)
				break;
			sleep_us(20000); /* the writers run while the read is parked */
			sc_hold_release(sc, id);
			n = bg_join(&io);
		} else {
			n = pread(fd, buf, STALE_CHUNK, off);
		}
		if (n != STALE_CHUNK) {
			sc_fail(sc, "O_DIRECT read returned %zd", n);
			break;
		}
		if (sc_simulate(sc))
			pattern_fill(buf + 512, 512, (uint64_t)off + 512, FID_DATA, 1);
		zero.off = (uint64_t)off;
		if (!sc_check(sc, buf, STALE_CHUNK, &zero, "round %lu: read of a zeroed file",
			      sc->loop_iter))
			break;
	}
	sc_pass(sc);
out:
	for (int i = 0; i < STALE_WRITERS; i++) {
		if (writers[i] > 0) {
			kill(writers[i], SIGKILL);
			waitpid(writers[i], NULL, 0);
		}
	}
	if (fd >= 0)
		close(fd);
	unmap_buffer(buf, STALE_CHUNK);
}
