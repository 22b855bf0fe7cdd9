// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #26: the payload buffers of FUSE over io_uring, and a forking daemon. The kernel
 * copies every request into a ring entry's payload buffer and every reply out of it, through
 * the daemon's own memory (spec §3.4); the buffers live as long as the ring. It needs pinfs with
 * --control mounted with -o transport=uring on a kernel that grants the ring (its stats then
 * show a "transport" object named "uring"); otherwise each mode is a SKIP that says so.
 *
 * stress: the daemon forks in a loop (`forker on`) while application threads stream verified
 *   O_DIRECT and buffered writes and O_DIRECT reads through the mount, so every request and
 *   reply crosses a payload buffer while children come and go. Correct: exact data.
 * deterministic: a WRITE is parked at `data` (its payload lies in a ring entry, not yet
 *   written); the daemon forks a child that searches what it inherited for a piece of that
 *   payload (`forkprobe`, docs/control.md). Correct: the child cannot see it, because the
 *   buffers are MADV_DONTFORK. Broken: the application's data in a process that never read it,
 *   a leak (libfuse's own ring buffers are not DONTFORK, spec §3.4). The write is then let go
 *   and the file verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios.h"

#define R_FORKER_INTERVAL_US 50
/* The piece of the parked payload the daemon's child looks for. */
#define NEEDLE_LEN 64

/* Requests pinfs served over its ring so far, or -1 when it serves none (no ring). */
static double ring_requests(struct sc_ctx *sc)
{
	struct ctl_stats st;

	if (ctl_stats(sc->ctl, &st) || strcmp(st.transport.name, "uring"))
		return -1;
	return (double)st.transport.requests;
}

/* Skip unless the requests of this mount reach pinfs over its io_uring ring (probing @path). */
static bool ring_used(struct sc_ctx *sc, const char *path)
{
	double before = ring_requests(sc);
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool used;

	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (pread(fd, buf, sizeof(buf), 0) < 0)
			sc_fail(sc, "probe read failed: %s", strerror(errno));
		close(fd);
	}
	used = before >= 0 && ring_requests(sc) > before;
	if (!used)
		sc_skip(sc, "pinfs does not serve this mount over FUSE-over-io_uring (pinfs: -o "
			    "transport=uring, on Linux 6.14+ with the fuse module's enable_uring on)");
	return used;
}

/*
 * `forkprobe`: does a child the daemon forks now see @needle? Returns 1 (and where), 0, or -1
 * after recording a failure.
 */
static int child_sees(struct sc_ctx *sc, const unsigned char *needle, char *where, size_t wlen)
{
	bool visible = false;
	int err = ctl_forkprobe(sc->ctl, needle, NEEDLE_LEN, &visible, where, wlen);

	if (err) {
		sc_fail(sc, "pinfs `forkprobe` failed: %s", strerror(-err));
		return -1;
	}
	return visible;
}

static void det_workload(struct sc_ctx *sc, struct dstream *s)
{
	char *buf = map_buffer(DSTREAM_BLOCK, sc->env->page);
	char *back = map_buffer(DSTREAM_BLOCK, sc->env->page);
	int fd = sc_open_direct(sc, s->path[0], O_RDWR);

	while (fd >= 0 && buf && back && sc_more(sc)) {
		unsigned int b =
			(unsigned int)sc->loop_iter * 5 % (DSTREAM_FILE_SIZE / DSTREAM_BLOCK);
		unsigned int g = (unsigned int)sc->loop_iter + 2;
		uint64_t off = (uint64_t)b * DSTREAM_BLOCK;
		struct bg_io io = {.fd = fd,
				   .buf = buf,
				   .len = DSTREAM_BLOCK,
				   .off = (off_t)off,
				   .write = true};
		struct pat_expect e = pat_exp(off, FID_DATA, g);
		char where[512] = "";
		int id, seen;

		pattern_fill(buf, DSTREAM_BLOCK, off, FID_DATA, g);
		id = sc_park_io(sc, "data", "write", &io);
		if (id < 0)
			break;
		/* The payload is in a ring entry now: what does a child of the daemon get? */
		seen = child_sees(sc, (unsigned char *)buf + DSTREAM_BLOCK / 2, where,
				  sizeof(where));
		if (seen > 0)
			sc_fail(sc, "round %lu: leak: a child the daemon forked holds the payload of "
				    "the parked WRITE (block %u, gen %u) in the mapping %s",
				sc->loop_iter, b, g, where);
		sc_hold_release(sc, id);
		if (bg_join(&io) != DSTREAM_BLOCK)
			sc_fail(sc, "parked write returned %zd", io.ret);
		memset(back, 0, DSTREAM_BLOCK);
		if (pread_full(fd, back, DSTREAM_BLOCK, (off_t)off) != DSTREAM_BLOCK)
			sc_fail(sc, "read back of block %u failed: %s", b, strerror(errno));
		else
			sc_check(sc, back, DSTREAM_BLOCK, &e,
				 "round %lu: block %u after the parked write", sc->loop_iter, b);
		if (seen < 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	unmap_buffer(buf, DSTREAM_BLOCK);
	unmap_buffer(back, DSTREAM_BLOCK);
}

void run_daemon_ring(struct sc_ctx *sc)
{
	struct dstream *s = calloc(1, sizeof(*s));

	if (!s) {
		sc_fail(sc, "out of memory");
		return;
	}
	s->writes = true;
	if (!dstream_create(sc, s, "ring", 1) || !ring_used(sc, s->path[0]))
		goto out;
	if (sc->mode == MODE_DETERMINISTIC) {
		det_workload(sc, s);
	} else {
		if (ctl_forker(sc->ctl, true, R_FORKER_INTERVAL_US, NULL)) {
			sc_fail(sc, "pinfs refused `forker on`");
			goto out;
		}
		sc_note(sc, "%lu verified operations over the ring", dstream_run(sc, s));
		daemon_forker_off(sc->ctl);
	}
	sc_pass(sc);
out:
	free(s);
}
