// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #12 and #13: vmsplice of a COW-shared page (spec §4.2 items 2-3; cow.c
 * test_vmsplice_in_child and test_vmsplice_{before,after}_fork). vmsplice takes FOLL_GET
 * references (spec §4.1), invisible to fork's pin check, so these depend on COW never reusing a
 * page that someone else still references.
 *
 * #12 (CVE-2020-29374): page P shared by fork; the child vmsplices P and unmaps it; the parent
 *     writes P; the child splices the pipe into a file on the target. Correct: the file has P's
 *     old contents. Broken: the parent's new data (the parent reused the page the pipe holds).
 * #13: the parent vmsplices P (before or after fork) and unmaps it; the child writes P; the
 *     parent splices the pipe into the file. Correct: old contents. Broken: the child's data.
 * Each runs on a base page and on a hugetlb page; on hugetlb a failure is still expected
 * (cow.c KSFT_XFAIL, spec §2.5). The steps are sequential (pipes order them), so the
 * deterministic mode needs no hold; the stress mode repeats them with random delays.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenarios.h"
#include "vmsplice_util.h"

#define HUGETLB_XFAIL "vmsplice on hugetlb is not fixed (cow.c KSFT_XFAIL, spec §2.5)"

/* The file must hold the old contents (FID_DATA gen 1) of the page. */
static void verify(struct sc_ctx *sc, struct vms_file *f, struct vms_buf *b, unsigned int bad_fid)
{
	struct pat_expect e = pat_exp(0, FID_DATA, 1);

	if (vms_file_read_back(sc, f, b->len, bad_fid, 2))
		sc_check(sc, f->back, b->len, &e, "round %lu: file after splicing the pipe",
			 sc->loop_iter);
}

/* #12: one round. */
static void in_child_round(struct sc_ctx *sc, struct vms_buf *b, struct vms_file *f)
{
	struct kid_report rep;
	struct kid k;
	int p[2], pid;

	pattern_fill(b->buf, b->len, 0, FID_DATA, 1);
	if (vms_pipe(p, b->len)) {
		sc_fail(sc, "pipe: %s", strerror(errno));
		return;
	}
	pid = kid_fork(&k);
	if (pid == 0) {
		struct kid_report r = {.ok = 1, .step = 1};
		int ret = vms_splice_in(p[1], b->buf, b->len);

		munmap(b->buf, b->map_len);
		if (ret)
			r = (struct kid_report){.ok = -1, .err = -ret, .step = 1};
		kid_report(&k, &r);
		kid_wait_go(&k);
		r.step = 2;
		r.value = vms_splice_out(p[0], f->fd, 0, b->len);
		r.ok = r.value == (long)b->len ? 1 : -1;
		r.err = r.value < 0 ? (int)-r.value : EIO;
		kid_report(&k, &r);
		_exit(0);
	}
	if (pid < 0) {
		sc_fail(sc, "fork: %s", strerror(-pid));
		goto out;
	}
	if (kid_read_report(&k, &rep, 5000) || rep.ok != 1) {
		sc_fail(sc, "child's vmsplice failed: %s", strerror(rep.err));
		kid_reap(&k, 1000);
		goto out;
	}
	if (sc->mode == MODE_STRESS)
		sleep_us(sc_rand(sc, 100));
	pattern_fill(b->buf, b->len, 0, FID_PARENT, 2); /* the parent writes P */
	kid_go(&k);
	if (kid_read_report(&k, &rep, 5000) || rep.ok != 1)
		sc_fail(sc, "child's splice to the file failed: %ld", rep.value);
	kid_reap(&k, 1000);
	verify(sc, f, b, FID_PARENT);
out:
	close(p[0]);
	close(p[1]);
}

/* #13: one round; @after: vmsplice after fork. The buffer is unmapped and mapped again. */
static void parent_round(struct sc_ctx *sc, struct vms_buf *b, struct vms_file *f, bool after)
{
	struct kid_report rep;
	struct kid k;
	int p[2], pid, ret = 0;

	pattern_fill(b->buf, b->len, 0, FID_DATA, 1);
	if (vms_pipe(p, b->len)) {
		sc_fail(sc, "pipe: %s", strerror(errno));
		return;
	}
	if (!after)
		ret = vms_splice_in(p[1], b->buf, b->len);
	pid = kid_fork(&k);
	if (pid == 0) {
		struct kid_report r = {.ok = 1};

		kid_wait_go(&k);
		pattern_fill(b->buf, b->len, 0, FID_CHILD, 2); /* the child writes P */
		kid_report(&k, &r);
		_exit(0);
	}
	if (pid < 0) {
		sc_fail(sc, "fork: %s", strerror(-pid));
		goto out;
	}
	if (after)
		ret = vms_splice_in(p[1], b->buf, b->len);
	munmap(b->buf, b->map_len);
	b->buf = NULL;
	if (sc->mode == MODE_STRESS)
		sleep_us(sc_rand(sc, 100));
	kid_go(&k);
	if (kid_read_report(&k, &rep, 5000))
		sc_fail(sc, "the child did not report its write");
	kid_reap(&k, 1000);
	if (ret) {
		sc_fail(sc, "vmsplice: %s", strerror(-ret));
		goto out;
	}
	if (vms_splice_out(p[0], f->fd, 0, b->len) != (ssize_t)b->len)
		sc_fail(sc, "splice to the file failed");
	verify(sc, f, b, FID_CHILD);
out:
	close(p[0]);
	close(p[1]);
}

static void run_variant(struct sc_ctx *sc, bool hugetlb, int kind)
{
	static const char *const name[] = {"in-child", "before-fork", "after-fork"};
	struct vms_file f;
	struct vms_buf b;

	sc_sub(sc, "%s/%s", name[kind], hugetlb ? "hugetlb" : "base-page");
	if (hugetlb)
		sc_expect_broken(sc, HUGETLB_XFAIL);
	if (vms_file_open(sc, &f, "vmsplice.dat"))
		goto out;
	while (sc_more(sc)) {
		if (vms_map(sc, &b, hugetlb))
			break;
		if (kind == 0)
			in_child_round(sc, &b, &f);
		else
			parent_round(sc, &b, &f, kind == 2);
		vms_unmap(&b);
	}
	sc_pass(sc);
out:
	vms_file_close(&f);
}

void run_vmsplice_in_child(struct sc_ctx *sc)
{
	sc_split_duration(sc, 2);
	run_variant(sc, false, 0);
	run_variant(sc, true, 0);
}

void run_vmsplice_parent(struct sc_ctx *sc)
{
	sc_split_duration(sc, 4);
	for (int kind = 1; kind <= 2; kind++) {
		run_variant(sc, false, kind);
		run_variant(sc, true, kind);
	}
}
