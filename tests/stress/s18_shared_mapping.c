// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #18: O_DIRECT read into a MAP_SHARED file mapping. The pinned destination pages are
 * page-cache pages of another file; the read must dirty them when it releases them (FUSE:
 * should_dirty -> folio_mark_dirty_lock, spec §3.3), or the data is lost on writeback.
 *   tmpfs-memfd: the mapping is of a memfd (shmem);
 *   target-file: the mapping is of another file on the target itself; after the read the
 *                mapping is dropped, the file is written back and evicted (fsync +
 *                POSIX_FADV_DONTNEED), and read again from storage.
 * Correct: the mapped file holds the read's data. Broken: its old contents (data lost).
 * Deterministic mode: the read is parked at `reply` while the mapping is unmapped and the file
 * is written back and evicted; stress mode: a thread keeps writing back and evicting.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenarios.h"

#define SHM_FILE_SIZE (1u << 20)

struct shm {
	struct sc_ctx *sc;
	int fd; /* O_DIRECT source */
	int mfd; /* the mapped file */
	bool memfd;
	size_t len;
	char *back;
	volatile bool stop;
};

static void writeback_and_evict(int fd)
{
	fsync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static void *evictor(void *arg)
{
	struct shm *s = arg;

	while (!s->stop) {
		writeback_and_evict(s->mfd);
		sleep_us(100);
	}
	return NULL;
}

static void verify(struct shm *s, uint64_t off)
{
	struct sc_ctx *sc = s->sc;
	struct pat_expect e = pat_exp(off, FID_DATA, 1);

	if (!s->memfd)
		writeback_and_evict(s->mfd);
	if (sc_simulate(sc)) {
		pattern_fill(s->back, s->len, 0, FID_PREFILL, 1); /* lost on writeback */
		pwrite_full(s->mfd, s->back, s->len, 0);
	}
	if (pread_full(s->mfd, s->back, s->len, 0) != (ssize_t)s->len) {
		sc_fail(sc, "reading the mapped file back failed");
		return;
	}
	sc_check(sc, s->back, s->len, &e, "round %lu: the mapped file", sc->loop_iter);
}

static void one_round(struct shm *s, pthread_t *th, bool *th_ok)
{
	struct sc_ctx *sc = s->sc;
	uint64_t off = (sc->loop_iter * s->len) % (SHM_FILE_SIZE - s->len);
	char *map;
	int id = -1;

	pattern_fill(s->back, s->len, 0, FID_PREFILL, 1);
	if (pwrite_full(s->mfd, s->back, s->len, 0) != (ssize_t)s->len) {
		sc_fail(sc, "resetting the mapped file failed");
		return;
	}
	map = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED, s->mfd, 0);
	if (map == MAP_FAILED) {
		if (errno == ENODEV)
			sc_skip(sc, "MAP_SHARED refused on the target (ENODEV: FOPEN_DIRECT_IO "
				    "without direct_io_allow_mmap)");
		else
			sc_fail(sc, "mmap(MAP_SHARED): %s", strerror(errno));
		return;
	}
	if (sc->mode == MODE_DETERMINISTIC) {
		struct bg_io io = {.fd = s->fd, .buf = map, .len = s->len, .off = (off_t)off};

		id = sc_park_io(sc, "reply", "read", &io);
		if (id < 0) {
			munmap(map, s->len);
			return;
		}
		munmap(map, s->len);
		if (!s->memfd)
			writeback_and_evict(s->mfd); /* before the data lands */
		sc_hold_release(sc, id);
		if (bg_join(&io) != (ssize_t)s->len)
			sc_fail(sc, "held read returned %zd", io.ret);
	} else {
		ssize_t n;

		if (!*th_ok && !s->memfd)
			*th_ok = pthread_create(th, NULL, evictor, s) == 0;
		n = pread(s->fd, map, s->len, (off_t)off);
		munmap(map, s->len);
		if (n != (ssize_t)s->len)
			sc_fail(sc, "read returned %zd", n);
	}
	verify(s, off);
}

void run_shared_mapping(struct sc_ctx *sc)
{
	struct shm s = {.sc = sc, .fd = -1, .mfd = -1, .len = 4 * sc->env->page};
	char mpath[4200];

	s.back = map_buffer(s.len, sc->env->page);
	sc_path(sc, mpath, sizeof(mpath), "shm-mapped.dat");
	if (!s.back) {
		sc_fail(sc, "cannot map the buffer");
		goto out;
	}
	s.fd = sc_open_data_file(sc, "shm-src.dat", SHM_FILE_SIZE);
	if (s.fd < 0)
		goto out;
	sc_split_duration(sc, 2);
	for (int v = 0; v < 2; v++) {
		pthread_t th;
		bool th_ok = false;

		s.memfd = v == 0;
		sc_sub(sc, s.memfd ? "tmpfs-memfd" : "target-file");
		s.mfd = s.memfd ? memfd_create("forkstress-shm", MFD_CLOEXEC)
				: open(mpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s.mfd < 0 || ftruncate(s.mfd, (off_t)s.len)) {
			sc_fail(sc, "creating the mapped file: %s", strerror(errno));
			continue;
		}
		s.stop = false;
		while (sc_more(sc) && !sc_done(sc))
			one_round(&s, &th, &th_ok);
		s.stop = true;
		if (th_ok)
			pthread_join(th, NULL);
		sc_pass(sc);
		close(s.mfd);
	}
out:
	if (s.fd >= 0)
		close(s.fd);
	unmap_buffer(s.back, s.len);
}
