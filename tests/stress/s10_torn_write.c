// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #10: torn concurrent write, no fork. An O_DIRECT write is in flight (pinned, not yet
 * copied by the daemon) while the same bytes are rewritten with a new generation.
 * Correct: every written byte is the old or the new generation (never the file's previous
 * contents, never anything else); a later read returns exactly what was stored, twice the same.
 * Broken: bytes from neither generation; a read right after the write returns the previous
 * contents (the write was acknowledged before it was stable).
 *
 * Two variants:
 *   buffer:  another thread rewrites the source buffer while the write is in flight;
 *   pwrite:  another thread writes the same file range from its own buffer at the same time.
 * Deterministic mode: the write waits behind pinfs's `receive` hold while the rewrite happens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios.h"

#define TORN_FILE_SIZE (1u << 20)
#define PREV_GEN 1u /* the file's contents before each round */

struct torn {
	struct sc_ctx *sc;
	struct written_file f;
	size_t len;
	char *a, *b, *back, *back2;
};

/* After the round: each byte old or new, never the previous contents; stable on re-read. */
static void verify(struct torn *t, uint64_t off, unsigned int g1, unsigned int g2)
{
	struct sc_ctx *sc = t->sc;
	struct pat_expect e = pat_exp(off, FID_DATA, g1);

	pat_or(&e, FID_DATA, g2);
	if (sc_simulate(sc)) {
		/* the spec's "broken" column: the previous contents are still there */
		pattern_fill(t->back, t->len, off, FID_DATA, PREV_GEN);
		pwrite_full(t->f.rfd, t->back, t->len, (off_t)off);
	}
	if (pread_full(t->f.rfd, t->back, t->len, (off_t)off) != (ssize_t)t->len ||
	    pread_full(t->f.rfd, t->back2, t->len, (off_t)off) != (ssize_t)t->len) {
		sc_fail(sc, "read-back failed");
		return;
	}
	if (!sc_check(sc, t->back, t->len, &e, "round %lu: file after the racing writes",
		      sc->loop_iter))
		return;
	if (memcmp(t->back, t->back2, t->len))
		sc_fail(sc, "round %lu: two reads of the same range differ", sc->loop_iter);
}

static void reset_range(struct torn *t, uint64_t off)
{
	write_pattern(t->f.rfd, off, t->len, FID_DATA, PREV_GEN);
	fsync(t->f.rfd);
}

/*
 * Set up the current round: its range back to PREV_GEN, @t->a filled with gen @g1 and @t->b
 * with gen @g2, @io and @io2 the O_DIRECT writes of each to the range. Returns its offset.
 */
static uint64_t round_prepare(struct torn *t, unsigned int g1, unsigned int g2, struct bg_io *io,
			      struct bg_io *io2)
{
	uint64_t off = (t->sc->loop_iter * 4 * t->len) % (TORN_FILE_SIZE - t->len);

	*io = (struct bg_io){.fd = t->f.dfd, .len = t->len, .off = (off_t)off, .write = true};
	*io2 = *io;
	io->buf = t->a;
	io2->buf = t->b;
	reset_range(t, off);
	pattern_fill(t->a, t->len, off, FID_DATA, g1);
	pattern_fill(t->b, t->len, off, FID_DATA, g2);
	return off;
}

/* Join the round's writes; @io2 ran only in the concurrent-pwrite variant. */
static void round_join(struct torn *t, struct bg_io *io, struct bg_io *io2, bool rewrite_buffer)
{
	if (bg_join(io) != (ssize_t)t->len)
		sc_fail(t->sc, "O_DIRECT write returned %zd", io->ret);
	if (!rewrite_buffer && bg_join(io2) != (ssize_t)t->len)
		sc_fail(t->sc, "second O_DIRECT write returned %zd", io2->ret);
}

static void torn_deterministic(struct torn *t, bool rewrite_buffer)
{
	struct sc_ctx *sc = t->sc;

	while (sc_more(sc)) {
		unsigned int g1 = 2 * (unsigned int)sc->loop_iter, g2 = g1 + 1;
		struct bg_io io, io2;
		uint64_t off = round_prepare(t, g1, g2, &io, &io2);
		int id;

		id = sc_park_io_at_receive(sc, &io);
		if (id < 0)
			return;
		if (rewrite_buffer)
			memcpy(t->a, t->b, t->len); /* the source changes while pinned */
		else if (bg_start(&io2) == 0)
			bg_wait_blocked(&io2, 2000); /* the second writer queues too */
		sc_hold_release(sc, id);
		round_join(t, &io, &io2, rewrite_buffer);
		verify(t, off, g1, g2);
	}
}

static void torn_stress(struct torn *t, bool rewrite_buffer)
{
	struct sc_ctx *sc = t->sc;

	while (sc_more(sc)) {
		unsigned int g1 = (2 * (unsigned int)sc->loop_iter) & 0xffe, g2 = g1 + 1;
		struct bg_io io, io2;
		struct pat_expect e;
		uint64_t off;

		if (g1 == PREV_GEN || g2 == PREV_GEN)
			continue;
		off = round_prepare(t, g1, g2, &io, &io2);
		e = pat_exp(off, FID_DATA, g1);
		if (bg_start(&io)) {
			sc_fail(sc, "cannot start the writer");
			break;
		}
		if (rewrite_buffer) {
			sleep_us(sc_rand(sc, 50));
			memcpy(t->a, t->b, t->len);
		} else if (bg_start(&io2)) {
			sc_fail(sc, "cannot start the second writer");
		}
		round_join(t, &io, &io2, rewrite_buffer);
		/* read right after the acknowledgement: must not be the previous contents */
		if (pread_full(t->f.rfd, t->back, t->len, (off_t)off) == (ssize_t)t->len &&
		    !(sc_simulate(sc))) {
			pat_or(&e, FID_DATA, g2);
			if (!sc_check(sc, t->back, t->len, &e,
				      "round %lu: read right after the write", sc->loop_iter))
				break;
		}
		verify(t, off, g1, g2);
	}
}

void run_torn_write(struct sc_ctx *sc)
{
	struct torn t = {.sc = sc, .f = WRITTEN_FILE_CLOSED, .len = 4 * sc->env->page};

	t.a = map_buffer(t.len, sc->env->page);
	t.b = map_buffer(t.len, sc->env->page);
	t.back = map_buffer(t.len, sc->env->page);
	t.back2 = map_buffer(t.len, sc->env->page);
	if (!t.a || !t.b || !t.back || !t.back2) {
		sc_fail(sc, "cannot map buffers");
		goto out;
	}
	if (written_file_open(sc, &t.f, "torn.dat", TORN_FILE_SIZE, PREV_GEN))
		goto out;
	sc_split_duration(sc, 2);
	for (int v = 0; v < 2; v++) {
		sc_sub(sc, v ? "concurrent-pwrite" : "buffer-rewrite");
		if (sc->mode == MODE_DETERMINISTIC)
			torn_deterministic(&t, v == 0);
		else
			torn_stress(&t, v == 0);
		sc_pass(sc);
	}
out:
	written_file_close(&t.f);
	unmap_buffer(t.a, t.len);
	unmap_buffer(t.b, t.len);
	unmap_buffer(t.back, t.len);
	unmap_buffer(t.back2, t.len);
}
