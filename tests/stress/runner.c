// SPDX-License-Identifier: GPL-2.0-or-later
/* The runner; see runner.h. */
#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "report.h"
#include "runner.h"

volatile int fs_interrupted;

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case V_PASS:
		return "PASS";
	case V_FAIL:
		return "FAIL";
	case V_XFAIL:
		return "XFAIL";
	case V_SKIP:
		return "SKIP";
	case V_NONE:
		break;
	}
	return "NONE";
}

const char *mode_name(enum fs_mode m)
{
	return m == MODE_DETERMINISTIC ? "deterministic" : "stress";
}

/* Why this scenario cannot run in this mode at all, or NULL. */
static const char *static_skip(const struct fs_env *env, const struct scenario *s,
			       enum fs_mode mode, char *buf, size_t len)
{
	if ((s->needs & NEED_PINFS) && !env->holds) {
		snprintf(buf, len, "needs pinfs --control; target is %s%s", env->tg.fstype,
			 env->opt.control ? " and the control socket did not answer" : "");
		return buf;
	}
	if (mode == MODE_DETERMINISTIC && (s->needs & NEED_HOLD_DET) && !env->holds)
		return "needs pinfs --control hold hooks";
	if ((s->needs & NEED_ODIRECT) && !env->tg.odirect) {
		snprintf(buf, len, "no O_DIRECT on the target: %s", env->tg.odirect_why);
		return buf;
	}
	if ((s->needs & NEED_URING) && !env->kc.io_uring) {
		snprintf(buf, len, "io_uring unavailable: %s", env->kc.io_uring_why);
		return buf;
	}
	return NULL;
}

/* Delete what a scenario left in the work directory. */
static void clean_workdir(const char *workdir)
{
	remove_tree(workdir, false);
}

static void scenario_child(const struct fs_env *env, const struct scenario *s, enum fs_mode mode,
			   struct scenario_result *res)
{
	struct sc_ctx sc = {
		.env = env,
		.res = res,
		.mode = mode,
		.id = s->id,
		.cur = -1,
		.sub_duration = env->opt.duration,
		.max_iter = env->opt.iterations,
		.rnd = (unsigned int)(env->opt.seed * 2654435761u) ^
		       (unsigned int)(s->id * 97 + mode),
	};

	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sc.t_end = now_sec() + sc.sub_duration;
	forks_attach(res, env->opt.inject && !strcmp(env->opt.inject, "no-fork"));
	if (env->holds)
		sc.ctl = ctl_open(env->opt.control);
	s->run(&sc);
	ctl_close(sc.ctl);
	_exit(0);
}

/*
 * --inject pin-leak: hold a real long-term pin across each balance check (testing the check);
 * --inject pin-leak-once: take it at the first check and keep it until the run ends, a leak that
 * happens once and stays. LEAK_PAGES pages, enough to stand out of a busy machine's noise
 * (pinbalance.h); MADV_DONTFORK, so the scenarios' forks do not copy them.
 */
#define LEAK_PAGES 1024
static struct {
	struct io_uring ring;
	void *buf;
	bool held;
} injected;

static void leak_take(const struct fs_env *env)
{
	struct iovec iov;

	if (!env->opt.inject || strncmp(env->opt.inject, "pin-leak", 8) || injected.held)
		return;
	injected.buf = map_buffer(LEAK_PAGES * env->page, env->page);
	iov.iov_base = injected.buf;
	iov.iov_len = LEAK_PAGES * env->page;
	if (!injected.buf || madvise(injected.buf, iov.iov_len, MADV_DONTFORK) ||
	    io_uring_queue_init(2, &injected.ring, 0))
		return;
	injected.held = io_uring_register_buffers(&injected.ring, &iov, 1) == 0;
	if (!injected.held)
		io_uring_queue_exit(&injected.ring);
}

static void leak_drop(const struct fs_env *env)
{
	if (!env->opt.inject || strcmp(env->opt.inject, "pin-leak"))
		return; /* pin-leak-once keeps its pin */
	if (injected.held) {
		io_uring_unregister_buffers(&injected.ring); /* unpins now; ring exit is async */
		io_uring_queue_exit(&injected.ring);
		injected.held = false;
	}
	unmap_buffer(injected.buf, LEAK_PAGES * env->page);
	injected.buf = NULL;
}

/* Reap orphaned grandchildren (the runner is a child subreaper). */
static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void append(char *dst, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *dst, size_t len, const char *fmt, ...)
{
	size_t used = strlen(dst);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (used) {
		strcpy(dst + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(dst + used, len - used, fmt, ap);
	va_end(ap);
}

/* ctl_violation_changes() callback: "kind +N" into the string @arg (KINDS_LEN bytes). */
#define KINDS_LEN 300
static void append_kind(const char *kind, double change, void *arg)
{
	size_t used = strlen(arg);

	snprintf((char *)arg + used, KINDS_LEN - used, "%s%s %+.0f", used ? ", " : "", kind,
		 change);
}

/* "REASON (x3); REASON2; +N more" for the skipped subcases: the same reason once, counted. */
static void summarize_skips(const struct scenario_result *r, char *out, size_t len)
{
	int shown = 0, hidden = 0;

	out[0] = '\0';
	for (int i = 0; i < r->nsub; i++) {
		int count = 0;
		bool seen = false;

		if (r->sub[i].verdict != V_SKIP)
			continue;
		for (int j = 0; j < i && !seen; j++)
			seen = r->sub[j].verdict == V_SKIP &&
			       !strcmp(r->sub[j].detail, r->sub[i].detail);
		if (seen)
			continue;
		for (int j = i; j < r->nsub; j++)
			count += r->sub[j].verdict == V_SKIP &&
				 !strcmp(r->sub[j].detail, r->sub[i].detail);
		if (shown == 2) {
			hidden++;
			continue;
		}
		shown++;
		if (count > 1)
			append(out, len, "%s (x%d)", r->sub[i].detail, count);
		else
			append(out, len, "%s%s%s", r->sub[i].name, r->sub[i].name[0] ? ": " : "",
			       r->sub[i].detail);
	}
	if (hidden)
		append(out, len, "+%d more reasons (see --json)", hidden);
}

/* Combine subcases into the row's verdict, reason and detail. */
static void decide(const struct fs_env *env, struct row *row)
{
	const struct scenario *s = row->s;
	struct scenario_result *r = &row->res;
	const char *kernel = s->predict ? s->predict(env) : NULL;
	int nfail = 0, npass = 0, nskip = 0, nxfail = 0;
	char skips[400];

	for (int i = 0; i < r->nsub; i++) {
		struct subcase_result *sub = &r->sub[i];
		const char *why = sub->expect_broken[0] ? sub->expect_broken : kernel;

		if (sub->verdict == V_NONE)
			sub->verdict = V_PASS; /* ran to the end without a complaint */
		if (sub->verdict == V_FAIL && why) {
			sub->verdict = V_XFAIL;
			if (why != sub->expect_broken)
				snprintf(sub->expect_broken, sizeof(sub->expect_broken), "%s", why);
		}
		if (sub->verdict == V_FAIL && !nfail)
			append(row->detail, sizeof(row->detail), "%s%s%s", sub->name,
			       sub->name[0] ? ": " : "", sub->detail);
		if (sub->verdict == V_XFAIL && !nxfail) {
			snprintf(row->reason, sizeof(row->reason), "%s", sub->expect_broken);
			snprintf(row->xfail_detail, sizeof(row->xfail_detail), "%s%s%s", sub->name,
				 sub->name[0] ? ": " : "", sub->detail);
		}
		nfail += sub->verdict == V_FAIL;
		nxfail += sub->verdict == V_XFAIL;
		nskip += sub->verdict == V_SKIP;
		npass += sub->verdict == V_PASS;
		if (sub->verdict > row->verdict)
			row->verdict = sub->verdict;
	}
	if (r->nsub == 0)
		row->verdict = V_PASS;
	summarize_skips(r, skips, sizeof(skips));
	if (row->verdict == V_SKIP) {
		snprintf(row->reason, sizeof(row->reason), "%s",
			 r->nsub == 1 ? r->sub[0].detail : skips);
		return;
	}
	if (row->verdict == V_XFAIL)
		append(row->detail, sizeof(row->detail), "%s", row->xfail_detail);
	if (r->nsub > 1)
		append(row->detail, sizeof(row->detail),
		       "%d subcases: %d pass, %d fail, %d xfail, %d skip", r->nsub, npass, nfail,
		       nxfail, nskip);
	if (nskip)
		append(row->detail, sizeof(row->detail), "skipped: %s", skips);
}

/*
 * A stress run of a scenario whose hazard is a fork (NEED_FORKS) that did not fork once tested
 * nothing: it is SKIP, naming why, instead of a PASS. A failure it saw stays a failure.
 */
static void no_fork_no_pass(struct row *row)
{
	if (row->mode != MODE_STRESS || !(row->s->needs & NEED_FORKS) || row->verdict != V_PASS ||
	    row->res.forks)
		return;
	row->verdict = V_SKIP;
	if (row->res.fork_errno)
		snprintf(row->reason, sizeof(row->reason),
			 "no evidence: every fork failed during the stress run (fork: %s)",
			 strerror(row->res.fork_errno));
	else
		snprintf(row->reason, sizeof(row->reason),
			 "no evidence: the stress run ended before its first fork (raise "
			 "--duration or --iterations)");
}

/*
 * One run of the scenario process; the pin-balance verdict is left to run_one(). A re-run's
 * balance is judged from @base, the first run's start (pins_rebase), or from its own when NULL.
 */
static int run_attempt(const struct fs_env *env, const struct scenario *s, enum fs_mode mode,
		       struct ctl *ctl, struct row *row, int index, int total,
		       const struct pin_balance *base)
{
	const char *skip;
	char why[300];
	struct scenario_result *res;
	struct pinfs_stats before = {0}, after = {0};
	bool have_ledger = false, timed_out = false;
	double t0, limit, next_progress = 0;
	int status = 0;
	pid_t pid;

	memset(row, 0, sizeof(*row));
	row->s = s;
	row->mode = mode;
	skip = static_skip(env, s, mode, why, sizeof(why));
	if (skip) {
		row->verdict = V_SKIP;
		snprintf(row->reason, sizeof(row->reason), "%s", skip);
		return 0;
	}
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		row->verdict = V_FAIL;
		snprintf(row->detail, sizeof(row->detail), "runner: mmap: %s", strerror(errno));
		return 0;
	}
	memset(res, 0, sizeof(*res));
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pins_begin(&row->pins, 200);
	if (base)
		pins_rebase(&row->pins, base);
	if (ctl)
		have_ledger = ctl_stats(ctl, &before) == 0;

	t0 = now_sec();
	/* stress runs get their duration plus a generous margin; holds time out after 20 s */
	limit = 60 + 4 * env->opt.duration;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		scenario_child(env, s, mode, res);
	if (pid < 0) {
		row->verdict = V_FAIL;
		snprintf(row->detail, sizeof(row->detail), "runner: fork: %s", strerror(errno));
		munmap(res, sizeof(*res));
		return 0;
	}
	setpgid(pid, pid);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		double t = now_sec();

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			status = 0;
			break;
		}
		if (!timed_out && (t - t0 > limit || fs_interrupted)) {
			timed_out = !fs_interrupted;
			kill(-pid, SIGKILL);
			if (ctl)
				ctl_release(ctl, 0); /* a parked request must not outlive us */
		}
		if (t >= next_progress) {
			progress_live(env, s, mode, t - t0, res->iterations, index, total);
			next_progress = t + 0.2;
		}
		sleep_us(10000);
	}
	kill(-pid, SIGKILL); /* stray grandchildren of a scenario that returned early */
	reap_orphans();
	row->seconds = now_sec() - t0;
	row->iterations = res->iterations;
	memcpy(&row->res, res, sizeof(*res));
	munmap(res, sizeof(*res));

	leak_take(env);
	pins_end(&row->pins, 4000);
	leak_drop(env);
	reap_orphans();

	decide(env, row);
	if (row->res.note[0])
		append(row->detail, sizeof(row->detail), "%s", row->res.note);
	no_fork_no_pass(row);
	if (fs_interrupted) {
		row->verdict = V_SKIP;
		snprintf(row->reason, sizeof(row->reason), "interrupted");
	} else if (timed_out) {
		row->verdict = V_FAIL;
		append(row->detail, sizeof(row->detail), "timed out after %.0f s (killed)", limit);
	} else if (WIFSIGNALED(status)) {
		row->verdict = V_FAIL;
		append(row->detail, sizeof(row->detail), "scenario process died of signal %d",
		       WTERMSIG(status));
	}
	if (have_ledger) {
		double end = now_sec() + 2;

		/*
		 * Outstanding pins drain as pinfs finishes the last replies. Pins an earlier
		 * scenario leaked are its finding (and the final check's), not this one's: only
		 * growth counts here.
		 */
		while (ctl_stats(ctl, &after) == 0 &&
		       after.pins_outstanding > before.pins_outstanding && now_sec() < end)
			sleep_us(10000);
		/* pinfs registers its arena with io_uring on a worker's first use, for good */
		pins_allow(&row->pins, (long long)(after.pins_longterm - before.pins_longterm));
		if (after.violations_total > before.violations_total ||
		    after.warnings > before.warnings ||
		    after.pins_outstanding > before.pins_outstanding) {
			char kinds[KINDS_LEN] = "";

			ctl_violation_changes(&before, &after, append_kind, kinds);
			snprintf(row->ledger, sizeof(row->ledger),
				 "pinfs ledger: violations +%.0f%s%s%s, warnings +%.0f, "
				 "outstanding pins %+.0f (now %.0f)",
				 after.violations_total - before.violations_total,
				 kinds[0] ? " (" : "", kinds, kinds[0] ? ")" : "",
				 after.warnings - before.warnings,
				 after.pins_outstanding - before.pins_outstanding,
				 after.pins_outstanding);
			row->ledger_before = before;
			row->ledger_after = after;
			row->verdict = V_FAIL;
			append(row->detail, sizeof(row->detail), "%s", row->ledger);
		}
	}
	return fs_interrupted ? -EINTR : 0;
}

static void pin_verdict(const struct fs_env *env, struct row *row, const struct row *again)
{
	if (row->pins.outcome == PINS_LEAK && again && again->pins.outcome != PINS_LEAK) {
		append(row->detail, sizeof(row->detail),
		       "pin balance: +%lld after the run was gone by the end of a re-run "
		       "(%s against the first run's start): another process's pin, not judged",
		       row->pins.delta, pins_outcome_name(again->pins.outcome));
		return;
	}
	if (row->pins.outcome == PINS_LEAK) {
		if (!env->opt.pins_report_only)
			row->verdict = V_FAIL;
		append(row->detail, sizeof(row->detail),
		       "pin balance: %lld pins still held after quiesce (nr_foll_pin_acquired - "
		       "released went from a still %lld to %lld and stayed, still above it after a "
		       "re-run; spec §7 H-3)%s",
		       row->pins.delta, row->pins.before, row->pins.after,
		       env->opt.pins_report_only ? " [reported only: --pin-balance report]" : "");
	} else if (row->pins.delta > 0) {
		append(row->detail, sizeof(row->detail),
		       "pin balance %s: +%lld over the start (%s)",
		       pins_outcome_name(row->pins.outcome), row->pins.delta,
		       row->pins.outcome == PINS_APPROXIMATE
			       ? "no /proc/sys/vm/stat_refresh: readings inexact"
		       : row->pins.outcome == PINS_NOISY
			       ? "not judged: other processes were pinning pages"
		       : row->pins.outcome == PINS_HELD
			       ? "pinfs's io_uring buffer registrations made during the run, kept "
				 "for the mount's life (stats pins.longterm_held)"
			       : "still moving when the check ended");
	}
}

/*
 * The pin counters are global (pinbalance.h), so a leak must last: when the balance check sees
 * one, the scenario runs once more, and the leak fails it only when the counters are still above
 * the first run's start after the re-run (pins_rebase). A leak that happened once and stayed
 * fails; another process's pin that went away in the meantime is not judged.
 */
int run_one(const struct fs_env *env, const struct scenario *s, enum fs_mode mode, struct ctl *ctl,
	    struct row *row, int index, int total)
{
	struct row *again = NULL;
	int ret = run_attempt(env, s, mode, ctl, row, index, total, NULL);

	if (!ret && row->pins.outcome == PINS_LEAK) {
		again = malloc(sizeof(*again));
		clean_workdir(env->workdir);
		if (again)
			ret = run_attempt(env, s, mode, ctl, again, index, total, &row->pins);
	}
	if (again) {
		row->pins_rerun = true;
		row->pins_rerun_outcome = again->pins.outcome;
		row->pins_rerun_start = again->pins.own_before;
		row->pins_rerun_after = again->pins.after;
		row->pins_rerun_spread = again->pins.spread;
	}
	pin_verdict(env, row, again);
	free(again);
	progress_done(env, row, index, total);
	clean_workdir(env->workdir);
	return ret;
}

void ledger_final(struct ctl *ctl, struct ledger_check *lc)
{
	double end = now_sec() + 3;
	struct pinfs_stats *st = &lc->stats;

	memset(lc, 0, sizeof(*lc));
	if (!ctl)
		return;
	lc->checked = true;
	while (ctl_stats(ctl, st) == 0 && st->pins_outstanding > 0 && now_sec() < end)
		sleep_us(20000);
	if (ctl_stats(ctl, st)) {
		lc->verdict = V_FAIL;
		snprintf(lc->detail, sizeof(lc->detail), "`stats` failed on the control socket");
		return;
	}
	if (st->pins_outstanding > 0 || st->violations_total > 0 || st->warnings > 0) {
		lc->verdict = V_FAIL;
		snprintf(lc->detail, sizeof(lc->detail),
			 "outstanding pins %.0f, violations %.0f %s, warnings %.0f",
			 st->pins_outstanding, st->violations_total, st->violations_json,
			 st->warnings);
		return;
	}
	lc->verdict = V_PASS;
	snprintf(lc->detail, sizeof(lc->detail),
		 "pins acquired %.0f, released %.0f, long-term held %.0f (mount-lifetime "
		 "registrations), 0 outstanding, 0 violations, 0 warnings",
		 st->pins_acquired, st->pins_released, st->pins_longterm);
}
