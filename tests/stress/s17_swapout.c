// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #17: swap-out under a pin. While an O_DIRECT read into the buffer is in flight, the
 * buffer is MADV_PAGEOUTed. Correct: the data is there after completion (a pinned page must not
 * go to the swap cache, feb889fb40fa). Broken: the data is lost after swap-in.
 * Needs swap; without it MADV_PAGEOUT cannot reclaim anonymous memory and the scenario is a SKIP.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "layout.h"
#include "scenarios.h"

#define SWAP_FILE_SIZE (1u << 20)

struct swapout {
	struct sc_ctx *sc;
	int fd;
	char *buf;
	size_t len;
	volatile bool stop;
	unsigned long pageouts, swapped_seen;
};

static void *pager(void *arg)
{
	struct swapout *s = arg;

	while (!s->stop) {
		madvise(s->buf, s->len, MADV_PAGEOUT);
		s->pageouts++;
		s->swapped_seen += page_is_swapped(s->buf);
		sleep_us(50);
	}
	return NULL;
}

static void verify(struct swapout *s, uint64_t off)
{
	struct sc_ctx *sc = s->sc;
	struct pat_expect e = pat_exp(off, FID_DATA, 1);

	if (sc_simulate(sc))
		pattern_fill(s->buf, s->len, 0, FID_PREFILL, 1); /* lost after swap-in */
	sc_check(sc, s->buf, s->len, &e, "round %lu: buffer after swap-out and swap-in",
		 sc->loop_iter);
}

void run_swapout(struct sc_ctx *sc)
{
	struct swapout s = {.sc = sc, .fd = -1, .len = 4 * sc->env->page};

	if (sc->env->kc.swap_kb <= 0) {
		sc_skip(sc, "no swap (SwapTotal 0 kB): MADV_PAGEOUT cannot swap anon memory");
		return;
	}
	s.buf = map_buffer(s.len, sc->env->page);
	if (!s.buf) {
		sc_fail(sc, "cannot map the buffer");
		goto out;
	}
	s.fd = sc_open_data_file(sc, "swap.dat", SWAP_FILE_SIZE);
	if (s.fd < 0)
		goto out;
	if (sc->mode == MODE_DETERMINISTIC) {
		while (sc_more(sc)) {
			uint64_t off = (sc->loop_iter * s.len) % (SWAP_FILE_SIZE - s.len);
			struct bg_io io = {
				.fd = s.fd, .buf = s.buf, .len = s.len, .off = (off_t)off};
			int id;

			pattern_fill(s.buf, s.len, 0, FID_PREFILL, 1);
			id = sc_park_io(sc, "reply", "read", &io);
			if (id < 0)
				break;
			madvise(s.buf, s.len, MADV_PAGEOUT);
			s.pageouts++;
			s.swapped_seen += page_is_swapped(s.buf);
			sc_hold_release(sc, id);
			if (bg_join(&io) != (ssize_t)s.len)
				sc_fail(sc, "held read returned %zd", io.ret);
			verify(&s, off);
		}
	} else {
		pthread_t th;
		bool ok = pthread_create(&th, NULL, pager, &s) == 0;

		while (sc_more(sc)) {
			uint64_t off = (sc->loop_iter * s.len) % (SWAP_FILE_SIZE - s.len);
			ssize_t n;

			pattern_fill(s.buf, s.len, 0, FID_PREFILL, 1);
			n = pread(s.fd, s.buf, s.len, (off_t)off);
			if (n != (ssize_t)s.len) {
				sc_fail(sc, "read returned %zd", n);
				break;
			}
			verify(&s, off);
		}
		s.stop = true;
		if (ok)
			pthread_join(th, NULL);
	}
	sc_note(sc, "%lu MADV_PAGEOUT calls, buffer seen swapped %lu times", s.pageouts,
		s.swapped_seen);
	sc_pass(sc);
out:
	if (s.fd >= 0)
		close(s.fd);
	unmap_buffer(s.buf, s.len);
}
