// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #9: MADV_DONTNEED / munmap of the buffer while an O_DIRECT read into it is in flight.
 * Correct: the syscall completes (or fails with EFAULT when the range was gone before pinning);
 * no crash; after MADV_DONTNEED the range reads zero (the data went to the orphaned, still-pinned
 * page, freed at unpin); the pin balance returns (checked by the runner, H-3); the data appears
 * in no other memory. Broken: a kernel warning, a pin leak, the data showing up elsewhere.
 *
 * Deterministic mode: the read is parked at `reply`, the range is zapped or unmapped, and after
 * munmap a fresh 16 MiB region is faulted in while the read is still parked; after the release
 * that region must hold no byte of the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenarios.h"

#define UNMAP_FILE_SIZE (1u << 20)
#define FRESH_LEN (16u << 20)

/* Does @mem hold any word of the file's pattern? Reports the first one. */
static bool scan_for_file_data(struct sc_ctx *sc, const char *mem, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		struct pat_origin o;
		uint64_t w;

		memcpy(&w, mem + i, 8);
		if (w && pattern_decode(w, &o) && o.fid == FID_DATA) {
			sc_fail(sc, "file data (off 0x%llx) appeared in unrelated memory at +0x%zx",
				(unsigned long long)o.off, i);
			return true;
		}
	}
	return false;
}

static void unmap_deterministic(struct sc_ctx *sc, int fd, bool use_munmap)
{
	size_t len = 4 * sc->env->page;

	while (sc_more(sc)) {
		uint64_t off = (sc->loop_iter * len) % (UNMAP_FILE_SIZE - len);
		char *buf = map_buffer(len, sc->env->page), *fresh = NULL;
		struct bg_io io = {.fd = fd, .buf = buf, .len = len, .off = (off_t)off};
		struct pat_expect zero = {.zero_ok = true};
		int id;

		if (!buf) {
			sc_fail(sc, "cannot map the buffer");
			return;
		}
		pattern_fill(buf, len, 0, FID_PREFILL, 1);
		id = sc_park_io(sc, "reply", "read", &io);
		if (id < 0) {
			unmap_buffer(buf, len);
			return;
		}
		if (use_munmap) {
			munmap(buf, len);
			fresh = map_buffer(FRESH_LEN, sc->env->page); /* faults every page */
		} else {
			madvise(buf, len, MADV_DONTNEED);
		}
		sc_hold_release(sc, id);
		bg_join(&io);
		if (io.ret != (ssize_t)len && !(use_munmap && io.ret == -EFAULT))
			sc_fail(sc, "read returned %zd", io.ret);
		if (use_munmap) {
			if (fresh && sc_simulate(sc)) /* the spec's "broken" column */
				pattern_fill(fresh + 4096, 64, off, FID_DATA, 1);
			if (fresh)
				scan_for_file_data(sc, fresh, FRESH_LEN);
			unmap_buffer(fresh, FRESH_LEN);
		} else {
			if (sc_simulate(sc))
				pattern_fill(buf, len, 0, FID_PREFILL, 1);
			sc_check(sc, buf, len, &zero, "round %lu: buffer after MADV_DONTNEED",
				 sc->loop_iter);
			unmap_buffer(buf, len);
		}
	}
}

static void unmap_stress(struct sc_ctx *sc, int fd, bool use_munmap)
{
	size_t len = 4 * sc->env->page;
	char *buf = map_buffer(len, sc->env->page);

	if (!buf) {
		sc_fail(sc, "cannot map the buffer");
		return;
	}
	while (sc_more(sc)) {
		uint64_t off = (sc->loop_iter * len) % (UNMAP_FILE_SIZE - len);
		struct bg_io io = {.fd = fd, .buf = buf, .len = len, .off = (off_t)off};
		struct pat_expect e = pat_exp(off, FID_DATA, 1);

		e.zero_ok = true;
		pattern_fill(buf, len, 0, FID_PREFILL, 1);
		if (bg_start(&io)) {
			sc_fail(sc, "cannot start the reader");
			break;
		}
		sleep_us(sc_rand(sc, 200));
		if (use_munmap) {
			munmap(buf, len);
			if (mmap(buf, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
				sc_fail(sc, "re-mmap: %s", strerror(errno));
				bg_join(&io);
				return;
			}
		} else {
			madvise(buf, len, MADV_DONTNEED);
		}
		bg_join(&io);
		if (io.ret < 0 && !(use_munmap && io.ret == -EFAULT)) {
			sc_fail(sc, "read returned %zd", io.ret);
			break;
		}
		if (sc_simulate(sc))
			pattern_fill(buf, len, 0, FID_PREFILL, 1);
		/* each byte: the file's data (zapped before the pin or after completion) or zero */
		sc_check(sc, buf, len, &e, "round %lu: buffer after %s", sc->loop_iter,
			 use_munmap ? "munmap+mmap" : "MADV_DONTNEED");
	}
	unmap_buffer(buf, len);
}

void run_unmap_race(struct sc_ctx *sc)
{
	int fd = sc_open_data_file(sc, "unmap.dat", UNMAP_FILE_SIZE);

	if (fd < 0)
		return;
	sc_split_duration(sc, 2);
	for (int v = 0; v < 2; v++) {
		sc_sub(sc, v ? "munmap" : "madv-dontneed");
		if (sc->mode == MODE_DETERMINISTIC)
			unmap_deterministic(sc, fd, v);
		else
			unmap_stress(sc, fd, v);
		sc_pass(sc);
	}
	close(fd);
}
