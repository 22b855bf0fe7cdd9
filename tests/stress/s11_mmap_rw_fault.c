// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #11: the mmap-rw-fault test of the gfs2 fault-in series (xfstests generic/647), done
 * through the target: the I/O buffer is a MAP_PRIVATE mapping of the very file being read or
 * written, so serving the syscall needs page faults on the same file (fault_in_iov_iter_*,
 * spec §1.9; on FUSE the fault needs the daemon while it serves the syscall).
 *
 * The file has a hole at page 0 and data at page 1; addr maps both pages. Steps:
 *   1 pread(fd, addr, pg, pg)        read page 1 into the mapping of page 0
 *   2 pwrite(fd, addr + pg, pg, 0)   write the mapping of page 1 to page 0
 *   3 pread of a hole into addr      page 0 of the mapping reads zero
 *   4 pwrite(fd, addr + pg, pg, pg)  write page 1 from its own mapping (source = destination)
 * Correct: every call returns pg and the data compares equal. Broken: a hang (the fault waits
 * for a daemon that waits for the fault), -EFAULT, a short count, wrong data. Each variant runs
 * in a child with a time bound, so a hang is reported, not suffered.
 * Variants: buffered and O_DIRECT. The stress mode runs both at once, repeatedly.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenarios.h"

#define HANG_MS 10000

static const char *const step_name[] = {
	"setup",
	"pread page 1 into the mapping of page 0",
	"pwrite the mapping of page 1 to page 0",
	"pread a hole into the mapping",
	"pwrite page 1 from its own mapping",
};

/* The child: run the four steps, report the first problem. */
static void fault_child(struct kid *k, const char *path, bool direct, size_t pg, char *scratch,
			bool simulate)
{
	struct kid_report r = {.ok = 1};
	struct pat_expect page1 = pat_exp(pg, FID_DATA, 1), zero = {.zero_ok = true};
	int fd = open(path, O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0));
	char *addr;
	ssize_t n;

	if (fd < 0 ||
	    (addr = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		r = (struct kid_report){.ok = -1, .err = errno, .step = 0};
		goto out;
	}
	r.step = 1;
	n = pread(fd, addr, pg, (off_t)pg);
	if (simulate)
		memset(addr, 0, pg); /* the spec's "broken" column: wrong data */
	if (n != (ssize_t)pg || !pattern_check(addr, pg, &page1, &r.m))
		goto bad;
	r.step = 2;
	n = pwrite(fd, addr + pg, pg, 0);
	if (n != (ssize_t)pg || pread(fd, scratch, pg, 0) != (ssize_t)pg ||
	    !pattern_check(scratch, pg, &page1, &r.m))
		goto bad;
	r.step = 3;
	if (ftruncate(fd, (off_t)(3 * pg))) {
		n = -1;
		goto bad;
	}
	n = pread(fd, addr, pg, (off_t)(2 * pg));
	if (n != (ssize_t)pg || !pattern_check(addr, pg, &zero, &r.m))
		goto bad;
	r.step = 4;
	n = pwrite(fd, addr + pg, pg, (off_t)pg);
	if (n != (ssize_t)pg || pread(fd, scratch, pg, (off_t)pg) != (ssize_t)pg ||
	    !pattern_check(scratch, pg, &page1, &r.m))
		goto bad;
	goto out;
bad:
	r.value = n;
	r.err = errno;
	r.ok = n == (ssize_t)pg ? 0 : -1;
out:
	kid_report(k, &r);
	_exit(0);
}

struct variant {
	bool direct;
	char path[4200];
	struct kid k;
	bool running;
};

static int prepare(struct sc_ctx *sc, struct variant *v, size_t pg, char *page)
{
	int fd = open(v->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		sc_fail(sc, "create %s: %s", v->path, strerror(errno));
		return -1;
	}
	pattern_fill(page, pg, pg, FID_DATA, 1);
	if (pwrite_full(fd, page, pg, (off_t)pg) != (ssize_t)pg) { /* page 0 stays a hole */
		sc_fail(sc, "write page 1: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* @mode names the variant in messages when several run in one subcase (stress), else "". */
static void judge(struct sc_ctx *sc, struct variant *v, const char *mode)
{
	struct kid_report r;
	char desc[256];
	int ret = kid_read_report(&v->k, &r, HANG_MS);

	if (ret == -ETIMEDOUT) {
		sc_fail(sc, "%shang: no progress within %d ms (killed)", mode, HANG_MS);
	} else if (ret) {
		sc_fail(sc, "%sthe child died without a report", mode);
	} else if (r.ok == -1 && r.step == 0 && r.err == ENODEV) {
		sc_skip(sc, "%sMAP_PRIVATE of the file refused (ENODEV)", mode);
	} else if (r.ok == -1) {
		sc_fail(sc, "%sstep %d (%s) returned %ld: %s", mode, r.step, step_name[r.step],
			r.value, strerror(r.err));
	} else if (r.ok == 0) {
		sc_fail(sc, "%sstep %d (%s): %s", mode, r.step, step_name[r.step],
			pattern_describe(&r.m, NULL, desc, sizeof(desc)));
	}
	kid_reap(&v->k, 100);
	v->running = false;
}

static void start(struct sc_ctx *sc, struct variant *v, size_t pg, char *scratch)
{
	int pid = kid_fork(&v->k);

	if (pid == 0)
		fault_child(&v->k, v->path, v->direct, pg, scratch, sc_simulate(sc));
	if (pid < 0)
		sc_fail(sc, "fork: %s", strerror(-pid));
	v->running = pid > 0;
}

void run_mmap_rw_fault(struct sc_ctx *sc)
{
	size_t pg = sc->env->page;
	char *page = map_buffer(pg, pg), *scratch = map_buffer(pg, pg);
	struct variant v[2] = {{.direct = false}, {.direct = true}};
	static const char *const names[] = {"buffered", "o_direct"};

	if (!page || !scratch) {
		sc_fail(sc, "cannot map buffers");
		goto out;
	}
	for (int i = 0; i < 2; i++)
		sc_path(sc, v[i].path, sizeof(v[i].path), i ? "fault-direct.dat" : "fault-buf.dat");
	if (sc->mode == MODE_DETERMINISTIC) {
		/* one variant at a time, in order */
		for (int i = 0; i < 2; i++) {
			sc_sub(sc, "%s", names[i]);
			if (v[i].direct && !sc->env->tg.odirect) {
				sc_skip(sc, "no O_DIRECT on the target: %s",
					sc->env->tg.odirect_why);
				continue;
			}
			while (sc_more(sc) && !sc_done(sc)) {
				if (prepare(sc, &v[i], pg, page))
					break;
				start(sc, &v[i], pg, scratch);
				if (v[i].running)
					judge(sc, &v[i], "");
			}
			sc_pass(sc);
		}
		goto out;
	}
	/* stress: both variants concurrently (two application threads on the same mount) */
	sc_sub(sc, "both-concurrently");
	while (sc_more(sc)) {
		int n = sc->env->tg.odirect ? 2 : 1;

		for (int i = 0; i < n; i++)
			if (!prepare(sc, &v[i], pg, page))
				start(sc, &v[i], pg, scratch);
		for (int i = 0; i < n; i++)
			if (v[i].running)
				judge(sc, &v[i], i ? "o_direct: " : "buffered: ");
	}
	sc_pass(sc);
out:
	unmap_buffer(page, pg);
	unmap_buffer(scratch, pg);
}
