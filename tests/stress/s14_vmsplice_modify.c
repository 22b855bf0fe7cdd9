// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #14: modify a buffer after vmsplicing it, then splice the pipe into a file on the
 * target (spec §4.2 item 1, rule V-4).
 *   no-fork:      a zero-copy kernel shows the new data (the documented hazard); a copying
 *                 kernel (7.2?) the old data. The verdict holds the file to the mode the V-4
 *                 probe classified: a mismatch means the kernel changed under us.
 *   fork-between: vmsplice, fork, the child writes the buffer, the parent modifies it: old or
 *                 new data are both legitimate, the child's data never is.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "scenarios.h"
#include "vmsplice_util.h"

static void round_once(struct sc_ctx *sc, struct vms_file *f, struct vms_buf *b, bool with_fork)
{
	enum vmsplice_mode vm = sc->env->kc.vmsplice;
	struct pat_expect e = pat_exp(0, FID_DATA, 1); /* old */
	struct kid_report rep;
	struct kid k;
	int p[2], pid = 0;

	pattern_fill(b->buf, b->len, 0, FID_DATA, 1);
	if (vms_pipe(p, b->len)) {
		sc_fail(sc, "pipe: %s", strerror(errno));
		return;
	}
	if (vms_splice_in(p[1], b->buf, b->len)) {
		sc_fail(sc, "vmsplice: %s", strerror(errno));
		goto out;
	}
	if (with_fork) {
		pid = kid_fork(&k);
		if (pid == 0) {
			struct kid_report r = {.ok = 1};

			pattern_fill(b->buf, b->len, 0, FID_CHILD, 3);
			kid_report(&k, &r);
			kid_wait_go(&k);
			_exit(0);
		}
		if (pid > 0 && kid_read_report(&k, &rep, 5000))
			sc_fail(sc, "the child did not report its write");
	}
	pattern_fill(b->buf, b->len, 0, FID_DATA, 2); /* modify after vmsplice */
	if (pid > 0)
		kid_reap(&k, 1000);
	if (vms_splice_out(p[0], f->fd, 0, b->len) != (ssize_t)b->len) {
		sc_fail(sc, "splice to the file failed");
		goto out;
	}
	/* with --simulate-broken the child's data got in first (the spec's "broken" column) */
	if (!vms_file_read_back(sc, f, b->len, FID_CHILD, 3))
		goto out;
	if (with_fork || vm == VMSPLICE_UNKNOWN)
		pat_or(&e, FID_DATA, 2);
	else if (vm == VMSPLICE_ZERO_COPY)
		e = pat_exp(0, FID_DATA, 2);
	sc_check(sc, f->back, b->len, &e, "round %lu: file (vmsplice classified %s)", sc->loop_iter,
		 vmsplice_name(vm));
out:
	close(p[0]);
	close(p[1]);
}

void run_vmsplice_modify(struct sc_ctx *sc)
{
	struct vms_file f;
	struct vms_buf b;

	if (vms_file_open(sc, &f, "vmsplice-modify.dat"))
		goto out;
	sc_split_duration(sc, 2);
	for (int v = 0; v < 2; v++) {
		sc_sub(sc, v ? "fork-between" : "no-fork");
		while (sc_more(sc)) {
			if (vms_map(sc, &b, false))
				break;
			round_once(sc, &f, &b, v == 1);
			vms_unmap(&b);
		}
		sc_pass(sc);
	}
out:
	vms_file_close(&f);
}
