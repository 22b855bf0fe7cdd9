// SPDX-License-Identifier: GPL-2.0-or-later
/* Progress lines, the final table and the --json file; see report.h. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "pattern.h"
#include "report.h"

static bool on_tty(const struct fs_env *env)
{
	return !env->opt.quiet && isatty(STDOUT_FILENO);
}

void progress_live(const struct fs_env *env, const struct scenario *s, enum fs_mode mode,
		   double secs, unsigned long iterations, int index, int total)
{
	if (!on_tty(env))
		return;
	printf("\r\033[K[%2d/%d] #%-2d %-36.36s %-13s %5.1fs %8lu rounds", index, total, s->id,
	       s->title, mode_name(mode), secs, iterations);
	fflush(stdout);
}

char *verdict_text(const struct row *row, char *out, size_t len)
{
	switch (row->verdict) {
	case V_XFAIL:
		snprintf(out, len, "XFAIL(kernel: %s)", row->reason);
		break;
	case V_SKIP:
		snprintf(out, len, "SKIP(%s)", row->reason);
		break;
	default:
		snprintf(out, len, "%s", verdict_name(row->verdict));
	}
	return out;
}

void progress_done(const struct fs_env *env, const struct row *row, int index, int total)
{
	char v[300];

	if (env->opt.quiet)
		return;
	if (on_tty(env))
		printf("\r\033[K");
	printf("[%2d/%d] #%-2d %-36.36s %-13s %s\n", index, total, row->s->id, row->s->title,
	       mode_name(row->mode), verdict_text(row, v, sizeof(v)));
	fflush(stdout);
}

void print_table(FILE *f, const struct row *rows, int nrows, const struct ledger_check *lc)
{
	int n[V_FAIL + 1] = {0};
	char v[300];

	fprintf(f, "\n%-3s %-40s %-13s %-8s %s\n", "#", "title", "mode", "verdict", "detail");
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		const char *detail = r->detail;

		n[r->verdict]++;
		verdict_text(r, v, sizeof(v));
		/* long verdicts (SKIP/XFAIL reasons) go on their own line above the detail */
		if (strlen(v) > 8) {
			fprintf(f, "%-3d %-40.40s %-13s %s\n", r->s->id, r->s->title,
				mode_name(r->mode), v);
			if (detail[0])
				fprintf(f, "%-3s %-40s %-13s %-8s %s\n", "", "", "", "", detail);
		} else {
			fprintf(f, "%-3d %-40.40s %-13s %-8s %s\n", r->s->id, r->s->title,
				mode_name(r->mode), v, detail);
		}
	}
	if (lc && lc->checked) {
		n[lc->verdict]++;
		fprintf(f, "%-3s %-40s %-13s %-8s %s\n", "L", "pinfs pin ledger after the run", "-",
			verdict_name(lc->verdict), lc->detail);
	}
	fprintf(f, "\n%d PASS, %d FAIL, %d XFAIL, %d SKIP\n", n[V_PASS], n[V_FAIL], n[V_XFAIL],
		n[V_SKIP]);
}

static void json_fact(struct jw *w, const char *key, const struct fact *fa)
{
	jw_obj(w, key);
	jw_str(w, "value", tri_name(fa->value));
	jw_str(w, "how", fa->how);
	jw_end(w);
}

static void json_kernel(struct jw *w, const struct kernel_class *kc)
{
	jw_obj(w, "kernel");
	jw_str(w, "release", kc->release);
	jw_arr(w, "version");
	jw_int(w, NULL, kc->major);
	jw_int(w, NULL, kc->minor);
	jw_int(w, NULL, kc->patch);
	jw_end(w);
	jw_bool(w, "assumed", kc->assumed);
	json_fact(w, "fuse_dio_pins", &kc->fuse_dio_pins);
	json_fact(w, "anon_exclusive", &kc->anon_exclusive);
	json_fact(w, "block_dio_pins", &kc->block_dio_pins);
	jw_obj(w, "vmsplice");
	jw_str(w, "mode", vmsplice_name(kc->vmsplice));
	jw_str(w, "how", kc->vmsplice_how);
	jw_end(w);
	jw_bool(w, "io_uring", kc->io_uring);
	if (!kc->io_uring)
		jw_str(w, "io_uring_why", kc->io_uring_why);
	jw_obj(w, "thp");
	jw_str(w, "enabled", kc->thp_enabled);
	jw_int(w, "pmd_kb", kc->pmd_kb);
	jw_obj(w, "mthp");
	for (int i = 0; i < kc->nr_mthp; i++) {
		char k[16];

		snprintf(k, sizeof(k), "%ukB", kc->mthp[i].kb);
		jw_str(w, k, kc->mthp[i].mode);
	}
	jw_end(w);
	jw_end(w);
	jw_bool(w, "foll_pin_vmstat", kc->foll_pin_vmstat);
	jw_int(w, "swap_kb", kc->swap_kb > 0 ? kc->swap_kb : 0);
	jw_obj(w, "hugetlb");
	jw_int(w, "page_kb", kc->hugetlb_kb);
	jw_int(w, "free", kc->hugetlb_free > 0 ? kc->hugetlb_free : 0);
	jw_end(w);
	jw_bool(w, "madv_collapse", kc->madv_collapse);
	jw_bool(w, "madv_pageout", kc->madv_pageout);
	jw_bool(w, "gup_test", kc->gup_test);
	jw_end(w);
}

/*
 * "first_bad": the first bad byte a failure message describes (pattern_describe), as fields: the
 * class, where it is, and what it holds instead (the decoded origin, or the raw bytes).
 */
static void json_first_bad(struct jw *w, const char *detail)
{
	struct pat_mismatch m;
	char name[24];

	if (!pattern_parse_description(detail, &m))
		return;
	jw_obj(w, "first_bad");
	jw_str(w, "class", pat_class_key(m.cls));
	jw_int(w, "index", (long long)m.index);
	jw_int(w, "page_off", (long long)m.page_off);
	jw_int(w, "file_off", (long long)m.pat_off);
	jw_int(w, "run", (long long)m.run);
	jw_int(w, "bad_bytes", (long long)m.bad_bytes);
	if (m.origin.valid) {
		jw_obj(w, "origin");
		jw_int(w, "fid", m.origin.fid);
		jw_str(w, "name", pattern_fid_name(m.origin.fid, name, sizeof(name)));
		jw_int(w, "gen", m.origin.gen);
		jw_int(w, "off", (long long)m.origin.off);
		jw_end(w);
	} else if (m.cls == PAT_GARBAGE) {
		jw_int(w, "got", m.got);
		jw_int(w, "want", m.want);
	}
	jw_end(w);
}

static void json_violation_change(const char *kind, double change, void *arg)
{
	jw_num(arg, kind, change);
}

/* "ledger_change": what pinfs's ledger counted during the scenario, when it changed. */
static void json_ledger_change(struct jw *w, const struct row *r)
{
	const struct pinfs_stats *b = &r->ledger_before, *a = &r->ledger_after;

	jw_obj(w, "ledger_change");
	jw_obj(w, "violations");
	ctl_violation_changes(b, a, json_violation_change, w);
	jw_end(w);
	jw_num(w, "violations_total", a->violations_total - b->violations_total);
	jw_num(w, "warnings", a->warnings - b->warnings);
	jw_num(w, "outstanding", a->pins_outstanding - b->pins_outstanding);
	jw_end(w);
}

/* The subcase whose message the row's detail leads with: the first FAIL, else the first XFAIL. */
static const struct subcase_result *first_failure(const struct row *r)
{
	for (enum verdict v = V_FAIL; v >= V_XFAIL; v--)
		for (int i = 0; i < r->res.nsub; i++)
			if (r->res.sub[i].verdict == v)
				return &r->res.sub[i];
	return NULL;
}

static void json_row(struct jw *w, const struct row *r)
{
	const struct subcase_result *failed = first_failure(r);
	char v[300];

	jw_obj(w, NULL);
	jw_int(w, "scenario", r->s->id);
	jw_str(w, "title", r->s->title);
	jw_str(w, "where", r->s->where == 'D' ? "D" : "M");
	jw_str(w, "mode", mode_name(r->mode));
	jw_str(w, "verdict", verdict_name(r->verdict));
	jw_str(w, "verdict_text", verdict_text(r, v, sizeof(v)));
	jw_str(w, "reason", r->reason);
	jw_str(w, "detail", r->detail);
	jw_num(w, "seconds", r->seconds);
	jw_int(w, "iterations", (long long)r->iterations);
	jw_int(w, "forks", (long long)r->res.forks);
	if (r->res.fork_errno)
		jw_str(w, "fork_error", strerror(r->res.fork_errno));
	jw_obj(w, "pin_balance");
	jw_bool(w, "available", r->pins.available);
	if (r->pins.available) {
		jw_int(w, "before", r->pins.before);
		jw_int(w, "after", r->pins.after);
		jw_int(w, "delta", r->pins.delta);
		jw_bool(w, "exact", r->pins.exact);
		jw_int(w, "spread", r->pins.spread);
		jw_int(w, "noise", r->pins.before_max - r->pins.before);
		jw_str(w, "outcome", pins_outcome_name(r->pins.outcome));
		if (r->pins.allowed)
			jw_int(w, "held_by_target", r->pins.allowed);
		if (r->pins_rerun) {
			jw_str(w, "rerun_outcome", pins_outcome_name(r->pins_rerun_outcome));
			jw_int(w, "rerun_start", r->pins_rerun_start);
			jw_int(w, "rerun_after", r->pins_rerun_after);
			jw_int(w, "rerun_spread", r->pins_rerun_spread);
		}
	}
	jw_end(w);
	if (failed)
		json_first_bad(w, failed->detail);
	if (r->ledger[0]) {
		jw_str(w, "ledger", r->ledger);
		json_ledger_change(w, r);
	}
	jw_arr(w, "subcases");
	for (int i = 0; i < r->res.nsub; i++) {
		const struct subcase_result *s = &r->res.sub[i];

		jw_obj(w, NULL);
		jw_str(w, "name", s->name);
		jw_str(w, "verdict", verdict_name(s->verdict));
		jw_str(w, "detail", s->detail);
		json_first_bad(w, s->detail);
		if (s->expect_broken[0])
			jw_str(w, "kernel", s->expect_broken);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

int write_json(const char *path, const struct fs_env *env, const struct row *rows, int nrows,
	       const struct ledger_check *lc, double seconds)
{
	static const struct pinfs_stats no_stats;
	FILE *f = fopen(path, "w");
	int n[V_FAIL + 1] = {0};
	struct jw w;
	char when[64];
	time_t t = time(NULL);

	if (!f)
		return -errno;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	jw_init(&w, f);
	jw_obj(&w, NULL);
	jw_str(&w, "tool", "forkstress");
	jw_str(&w, "finished", when);
	jw_num(&w, "seconds", seconds);
	jw_int(&w, "seed", (long long)env->opt.seed);
	jw_num(&w, "duration", env->opt.duration);
	jw_int(&w, "iterations", (long long)env->opt.iterations);
	jw_bool(&w, "simulate_broken", env->opt.simulate_broken);
	jw_obj(&w, "target");
	jw_str(&w, "dir", env->opt.dir);
	jw_str(&w, "fstype", env->tg.fstype);
	jw_bool(&w, "fuse", env->tg.fuse);
	jw_bool(&w, "pinfs", env->tg.pinfs);
	jw_bool(&w, "odirect", env->tg.odirect);
	jw_int(&w, "dio_align", (long long)env->tg.dio_align);
	jw_str(&w, "control", env->opt.control ? env->opt.control : "");
	jw_end(&w);
	json_kernel(&w, &env->kc);
	jw_arr(&w, "results");
	for (int i = 0; i < nrows; i++) {
		json_row(&w, &rows[i]);
		n[rows[i].verdict]++;
	}
	jw_end(&w);
	if (lc && lc->checked) {
		jw_obj(&w, "ledger");
		jw_str(&w, "verdict", verdict_name(lc->verdict));
		jw_str(&w, "detail", lc->detail);
		jw_num(&w, "pins_acquired", lc->stats.pins_acquired);
		jw_num(&w, "pins_released", lc->stats.pins_released);
		jw_num(&w, "pins_outstanding", lc->stats.pins_outstanding);
		jw_num(&w, "violations", lc->stats.violations_total);
		jw_obj(&w, "violation_kinds"); /* the kinds counted so far, by pinfs's names */
		ctl_violation_changes(&no_stats, &lc->stats, json_violation_change, &w);
		jw_end(&w);
		jw_num(&w, "warnings", lc->stats.warnings);
		jw_end(&w);
		n[lc->verdict]++;
	}
	jw_obj(&w, "summary");
	jw_int(&w, "pass", n[V_PASS]);
	jw_int(&w, "fail", n[V_FAIL]);
	jw_int(&w, "xfail", n[V_XFAIL]);
	jw_int(&w, "skip", n[V_SKIP]);
	jw_end(&w);
	jw_end(&w);
	return fclose(f) ? -errno : 0;
}
