// SPDX-License-Identifier: GPL-2.0-or-later
/* Progress lines, the final table and the --json file; see report.h. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

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

/* ---- the --json file (json-c) ---- */

/* Add @v to the object @o as @key, or to the array @o when @key is NULL. Returns @v. */
static struct json_object *put(struct json_object *o, const char *key, struct json_object *v)
{
	if (key)
		json_object_object_add(o, key, v);
	else
		json_object_array_add(o, v);
	return v;
}

static struct json_object *put_obj(struct json_object *o, const char *key)
{
	return put(o, key, json_object_new_object());
}

static struct json_object *put_arr(struct json_object *o, const char *key)
{
	return put(o, key, json_object_new_array());
}

static void put_str(struct json_object *o, const char *key, const char *val)
{
	put(o, key, json_object_new_string(val ? val : ""));
}

static void put_int(struct json_object *o, const char *key, long long val)
{
	put(o, key, json_object_new_int64(val));
}

static void put_bool(struct json_object *o, const char *key, bool val)
{
	put(o, key, json_object_new_boolean(val));
}

/* A measured quantity, to 6 significant digits; null when it is not a number. */
static void put_num(struct json_object *o, const char *key, double val)
{
	char text[32];

	snprintf(text, sizeof(text), "%.6g", val);
	put(o, key, isfinite(val) ? json_object_new_double_s(val, text) : NULL);
}

static void json_fact(struct json_object *o, const char *key, const struct fact *fa)
{
	struct json_object *f = put_obj(o, key);

	put_str(f, "value", tri_name(fa->value));
	put_str(f, "how", fa->how);
}

static void json_kernel(struct json_object *o, const struct kernel_class *kc)
{
	struct json_object *k = put_obj(o, "kernel"), *v, *thp, *mthp, *h;

	put_str(k, "release", kc->release);
	v = put_arr(k, "version");
	put_int(v, NULL, kc->major);
	put_int(v, NULL, kc->minor);
	put_int(v, NULL, kc->patch);
	put_bool(k, "assumed", kc->assumed);
	json_fact(k, "fuse_dio_pins", &kc->fuse_dio_pins);
	json_fact(k, "anon_exclusive", &kc->anon_exclusive);
	json_fact(k, "block_dio_pins", &kc->block_dio_pins);
	v = put_obj(k, "vmsplice");
	put_str(v, "mode", vmsplice_name(kc->vmsplice));
	put_str(v, "how", kc->vmsplice_how);
	put_bool(k, "io_uring", kc->io_uring);
	if (!kc->io_uring)
		put_str(k, "io_uring_why", kc->io_uring_why);
	thp = put_obj(k, "thp");
	put_str(thp, "enabled", kc->thp_enabled);
	put_int(thp, "pmd_kb", kc->pmd_kb);
	mthp = put_obj(thp, "mthp");
	for (int i = 0; i < kc->nr_mthp; i++) {
		char size[16];

		snprintf(size, sizeof(size), "%ukB", kc->mthp[i].kb);
		put_str(mthp, size, kc->mthp[i].mode);
	}
	put_bool(k, "foll_pin_vmstat", kc->foll_pin_vmstat);
	put_int(k, "swap_kb", kc->swap_kb > 0 ? kc->swap_kb : 0);
	h = put_obj(k, "hugetlb");
	put_int(h, "page_kb", kc->hugetlb_kb);
	put_int(h, "free", kc->hugetlb_free > 0 ? kc->hugetlb_free : 0);
	put_bool(k, "madv_collapse", kc->madv_collapse);
	put_bool(k, "madv_pageout", kc->madv_pageout);
	put_bool(k, "gup_test", kc->gup_test);
}

/*
 * "first_bad": the first bad byte a failure message describes (pattern_describe), as fields: the
 * class, where it is, and what it holds instead (the decoded origin, or the raw bytes).
 */
static void json_first_bad(struct json_object *o, const char *detail)
{
	struct pat_mismatch m;
	struct json_object *b, *origin;
	char name[24];

	if (!pattern_parse_description(detail, &m))
		return;
	b = put_obj(o, "first_bad");
	put_str(b, "class", pat_class_key(m.cls));
	put_int(b, "index", (long long)m.index);
	put_int(b, "page_off", (long long)m.page_off);
	put_int(b, "file_off", (long long)m.pat_off);
	put_int(b, "run", (long long)m.run);
	put_int(b, "bad_bytes", (long long)m.bad_bytes);
	if (m.origin.valid) {
		origin = put_obj(b, "origin");
		put_int(origin, "fid", m.origin.fid);
		put_str(origin, "name", pattern_fid_name(m.origin.fid, name, sizeof(name)));
		put_int(origin, "gen", m.origin.gen);
		put_int(origin, "off", (long long)m.origin.off);
	} else if (m.cls == PAT_GARBAGE) {
		put_int(b, "got", m.got);
		put_int(b, "want", m.want);
	}
}

/* The violation kinds whose count changed from @b to @a, by pinfs's names, with the change. */
static void json_violation_changes(struct json_object *o, const char *key,
				   const struct ctl_stats *b, const struct ctl_stats *a)
{
	struct json_object *v = put_obj(o, key);

	for (int k = 0; k < LV_NR_KINDS; k++)
		if (a->violations[k] != b->violations[k])
			put_int(v, ctl_violation_key(k),
				(long long)(a->violations[k] - b->violations[k]));
}

/* "ledger_change": what pinfs's ledger counted during the scenario, when it changed. */
static void json_ledger_change(struct json_object *o, const struct row *r)
{
	const struct ctl_stats *b = &r->ledger_before, *a = &r->ledger_after;
	struct json_object *lc = put_obj(o, "ledger_change");

	json_violation_changes(lc, "violations", b, a);
	put_int(lc, "violations_total", (long long)(a->violations_total - b->violations_total));
	put_int(lc, "warnings", (long long)(a->warnings - b->warnings));
	put_int(lc, "outstanding", a->pins.outstanding - b->pins.outstanding);
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

static void json_row(struct json_object *results, const struct row *r)
{
	const struct subcase_result *failed = first_failure(r);
	struct json_object *o = put_obj(results, NULL), *pb, *subs;
	char v[300];

	put_int(o, "scenario", r->s->id);
	put_str(o, "title", r->s->title);
	put_str(o, "where", r->s->where == 'D' ? "D" : "M");
	put_str(o, "mode", mode_name(r->mode));
	put_str(o, "verdict", verdict_name(r->verdict));
	put_str(o, "verdict_text", verdict_text(r, v, sizeof(v)));
	put_str(o, "reason", r->reason);
	put_str(o, "detail", r->detail);
	put_num(o, "seconds", r->seconds);
	put_int(o, "iterations", (long long)r->iterations);
	put_int(o, "forks", (long long)r->res.forks);
	if (r->res.fork_errno)
		put_str(o, "fork_error", strerror(r->res.fork_errno));
	pb = put_obj(o, "pin_balance");
	put_bool(pb, "available", r->pins.available);
	if (r->pins.available) {
		put_int(pb, "before", r->pins.before);
		put_int(pb, "after", r->pins.after);
		put_int(pb, "delta", r->pins.delta);
		put_bool(pb, "exact", r->pins.exact);
		put_int(pb, "spread", r->pins.spread);
		put_int(pb, "noise", r->pins.before_max - r->pins.before);
		put_str(pb, "outcome", pins_outcome_name(r->pins.outcome));
		if (r->pins.allowed)
			put_int(pb, "held_by_target", r->pins.allowed);
		if (r->pins_rerun) {
			put_str(pb, "rerun_outcome", pins_outcome_name(r->pins_rerun_outcome));
			put_int(pb, "rerun_start", r->pins_rerun_start);
			put_int(pb, "rerun_after", r->pins_rerun_after);
			put_int(pb, "rerun_spread", r->pins_rerun_spread);
		}
	}
	if (failed)
		json_first_bad(o, failed->detail);
	if (r->ledger[0]) {
		put_str(o, "ledger", r->ledger);
		json_ledger_change(o, r);
	}
	subs = put_arr(o, "subcases");
	for (int i = 0; i < r->res.nsub; i++) {
		const struct subcase_result *s = &r->res.sub[i];
		struct json_object *sub = put_obj(subs, NULL);

		put_str(sub, "name", s->name);
		put_str(sub, "verdict", verdict_name(s->verdict));
		put_str(sub, "detail", s->detail);
		json_first_bad(sub, s->detail);
		if (s->expect_broken[0])
			put_str(sub, "kernel", s->expect_broken);
	}
}

/* "ledger": the check after the run; "violation_kinds" the kinds counted so far. */
static void json_ledger(struct json_object *o, const struct ledger_check *lc)
{
	static const struct ctl_stats no_stats;
	struct json_object *l = put_obj(o, "ledger");

	put_str(l, "verdict", verdict_name(lc->verdict));
	put_str(l, "detail", lc->detail);
	put_int(l, "pins_acquired", (long long)lc->stats.pins.acquired);
	put_int(l, "pins_released", (long long)lc->stats.pins.released);
	put_int(l, "pins_outstanding", lc->stats.pins.outstanding);
	put_int(l, "violations", (long long)lc->stats.violations_total);
	json_violation_changes(l, "violation_kinds", &no_stats, &lc->stats);
	put_int(l, "warnings", (long long)lc->stats.warnings);
}

int write_json(const char *path, const struct fs_env *env, const struct row *rows, int nrows,
	       const struct ledger_check *lc, double seconds)
{
	struct json_object *o = json_object_new_object(), *t, *results, *sum;
	int n[V_FAIL + 1] = {0}, ret = 0;
	time_t now = time(NULL);
	const char *text;
	char when[64];
	FILE *f;

	if (!o)
		return -ENOMEM;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	put_str(o, "tool", "forkstress");
	put_str(o, "finished", when);
	put_num(o, "seconds", seconds);
	put_int(o, "seed", (long long)env->opt.seed);
	put_num(o, "duration", env->opt.duration);
	put_int(o, "iterations", (long long)env->opt.iterations);
	put_bool(o, "simulate_broken", env->opt.simulate_broken);
	t = put_obj(o, "target");
	put_str(t, "dir", env->opt.dir);
	put_str(t, "fstype", env->tg.fstype);
	put_bool(t, "fuse", env->tg.fuse);
	put_bool(t, "pinfs", env->tg.pinfs);
	put_bool(t, "odirect", env->tg.odirect);
	put_int(t, "dio_align", (long long)env->tg.dio_align);
	put_str(t, "control", env->opt.control);
	json_kernel(o, &env->kc);
	results = put_arr(o, "results");
	for (int i = 0; i < nrows; i++) {
		json_row(results, &rows[i]);
		n[rows[i].verdict]++;
	}
	if (lc && lc->checked) {
		json_ledger(o, lc);
		n[lc->verdict]++;
	}
	sum = put_obj(o, "summary");
	put_int(sum, "pass", n[V_PASS]);
	put_int(sum, "fail", n[V_FAIL]);
	put_int(sum, "xfail", n[V_XFAIL]);
	put_int(sum, "skip", n[V_SKIP]);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	f = text ? fopen(path, "w") : NULL;
	if (!f) {
		ret = text ? -errno : -ENOMEM;
	} else {
		if (fprintf(f, "%s\n", text) < 0)
			ret = -errno;
		if (fclose(f) && !ret)
			ret = -errno;
	}
	json_object_put(o);
	return ret;
}
