// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec §5 #20: the userspace mitigations of spec §6 as a control. The #1 and #3 bodies run on
 * buffers marked MADV_DONTFORK (resp. MADV_WIPEONFORK): the child never shares the pages, so
 * these pass even on kernels that take FOLL_GET references (< 6.9 on FUSE). Also checked: a
 * child touching a DONTFORK range gets SIGSEGV, a WIPEONFORK range reads zero in the child.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenarios.h"

#define DONTFORK_THREADS 4u

static void bodies(struct sc_ctx *sc, int advice, const char *name)
{
	size_t pg = sc->env->page, len = (DONTFORK_THREADS + 1) * pg;
	char *buf;

	sc_sub(sc, "%s/#1", name);
	buf = map_buffer(len, pg);
	if (!buf || madvise(buf, len, advice)) {
		sc_fail(sc, "madvise(%s) failed", name);
	} else {
		struct dma_args a = {.buf = buf, .buflen = len, .nthreads = DONTFORK_THREADS};

		dma_body(sc, &a);
	}
	unmap_buffer(buf, len);

	sc_sub(sc, "%s/#3", name);
	buf = map_buffer(pg, pg);
	if (!buf || madvise(buf, pg, advice)) {
		sc_fail(sc, "madvise(%s) failed", name);
	} else {
		struct rw_args a = {.page = buf};

		rw_body(sc, &a);
	}
	unmap_buffer(buf, pg);
}

/* The child's view: DONTFORK -> SIGSEGV on touch; WIPEONFORK -> zeros. */
static void child_view(struct sc_ctx *sc, bool wipe)
{
	size_t pg = sc->env->page;
	char *buf = map_buffer(pg, pg);
	struct kid k;
	int pid, status;

	sc_sub(sc, wipe ? "wipeonfork-child-reads-zero" : "dontfork-child-sigsegv");
	if (!buf || madvise(buf, pg, wipe ? MADV_WIPEONFORK : MADV_DONTFORK)) {
		sc_fail(sc, "madvise failed");
		goto out;
	}
	pattern_fill(buf, pg, 0, FID_PREFILL, 1);
	pid = kid_fork(&k);
	if (pid == 0) {
		struct pat_expect zero = {.zero_ok = true, .observer_child = true};

		kid_wait_go(&k);
		if (!wipe)
			*(volatile char *)buf = 1; /* must not return */
		kid_check(&k, buf, pg, &zero);
		_exit(0);
	}
	if (pid < 0) {
		sc_fail(sc, "fork failed");
		goto out;
	}
	if (wipe) {
		if (sc->env->opt.simulate_broken) /* the mitigation did not take effect */
			sc_fail(sc, "child read the parent's data through WIPEONFORK (simulated)");
		sc_kid_verdict(sc, &k, "child's view of the WIPEONFORK page");
	} else {
		kid_go(&k);
		status = kid_reap(&k, 5000);
		if (sc->env->opt.simulate_broken)
			status = 0;
		if (status < 0 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
			sc_fail(sc,
				"child touching the DONTFORK page was not killed by SIGSEGV "
				"(status 0x%x)",
				status);
	}
	sc_pass(sc);
out:
	unmap_buffer(buf, pg);
}

void run_dontfork(struct sc_ctx *sc)
{
	sc_split_duration(sc, 4);
	sc->mute_notes = true;
	bodies(sc, MADV_DONTFORK, "dontfork");
	bodies(sc, MADV_WIPEONFORK, "wipeonfork");
	child_view(sc, false);
	child_view(sc, true);
}
