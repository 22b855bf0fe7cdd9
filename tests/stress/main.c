// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forkstress: command line, classification header, the run over the selected scenarios, the
 * final table and the JSON file. Exit status: 0 nothing failed, 1 something FAILed, 2 usage,
 * 3 the target could not be set up, 130 interrupted.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "layout.h"
#include "report.h"
#include "runner.h"

enum { OPT_SIMULATE = 256, OPT_ASSUME, OPT_INJECT, OPT_MTHP, OPT_PINS };

static const struct option long_opts[] = {
	{"dir", required_argument, NULL, 'd'},
	{"scenario", required_argument, NULL, 's'},
	{"list", no_argument, NULL, 'l'},
	{"duration", required_argument, NULL, 't'},
	{"iterations", required_argument, NULL, 'n'},
	{"seed", required_argument, NULL, 'S'},
	{"control", required_argument, NULL, 'c'},
	{"json", required_argument, NULL, 'j'},
	{"mode", required_argument, NULL, 'm'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"simulate-broken", no_argument, NULL, OPT_SIMULATE},
	{"assume-kernel", required_argument, NULL, OPT_ASSUME},
	{"inject", required_argument, NULL, OPT_INJECT},
	{"mthp-enable", no_argument, NULL, OPT_MTHP},
	{"pin-balance", required_argument, NULL, OPT_PINS},
	{0},
};

/* The help text reads best laid out as it prints. */
/* clang-format off */
static const char usage_text[] =
"Usage: forkstress --dir DIR [options]\n"
"\n"
"The fork-stress coherency suite of pinfs (spec §5 scenarios, §7 harness rules). It works on\n"
"any directory: a pinfs mount, its native backing filesystem, another FUSE filesystem, tmpfs.\n"
"Files go to DIR/forkstress.PID, which is removed afterwards. Run as root for the full set\n"
"(the THP matrix reads /proc/kpageflags; exact pin counts need /proc/sys/vm/stat_refresh).\n"
"\n"
"Options:\n"
"  -d, --dir DIR          directory under test (required unless --list)\n"
"  -s, --scenario LIST    comma-separated scenario numbers and ranges (1,3,15-20) or 'all'\n"
"                         (default: all)\n"
"  -l, --list             list the scenarios and what each needs, and exit\n"
"  -t, --duration SECS    stress time per scenario and mode (default 2; fractions allowed);\n"
"                         scenarios with several subcases share it among them\n"
"  -n, --iterations N     at most N rounds per stress loop (default: bounded by --duration)\n"
"      --seed N           seed for the random timing choices (default: time-based; printed)\n"
"  -c, --control SOCKET   pinfs control socket (docs/control.md): enables the deterministic\n"
"                         hold-based mode, the FUSE pin probe, the daemon-side scenarios 21-26\n"
"                         and the pin-ledger check after each scenario and after the run\n"
"  -j, --json FILE        write the classification and every result as JSON\n"
"  -m, --mode MODE        deterministic, stress or both (default: both)\n"
"  -q, --quiet            no progress and no header; only the final table\n"
"      --pin-balance MODE strict (default): a pin leak seen after a scenario fails it when\n"
"                         the counters are still above that run's start after a re-run\n"
"                         (spec §7 H-3); report: it is only reported, for machines where\n"
"                         other processes hold pins for seconds\n"
"  -h, --help             this text\n"
"\n"
"Testing the suite itself (each detector must be seen to fire):\n"
"      --simulate-broken  make each application-side scenario end as its spec §5 'broken\n"
"                         implementation' column says (the data lands in the child's page,\n"
"                         the secret reaches the file, ...), to prove its verdict logic\n"
"      --assume-kernel V  classify as kernel version V (e.g. 5.4) instead of probing, so the\n"
"                         expected outcomes are those of V (a failure becomes XFAIL)\n"
"      --inject pin-leak  hold a real io_uring long-term pin across each pin-balance check\n"
"      --inject pin-leak-once\n"
"                         take that pin at the first check and keep it until the run ends\n"
"      --inject no-fork   make every fork of the scenarios' fork helpers fail with EAGAIN\n"
"      --mthp-enable      set every mTHP size that is 'never' to 'madvise' for the run (root),\n"
"                         restoring the settings at exit, so the #15 matrix covers them\n"
"\n"
"Verdicts: PASS, FAIL, XFAIL(kernel: reason) for a failure this kernel is known to have,\n"
"SKIP(reason) naming what is missing. A stress run of a scenario about a fork during the I/O\n"
"(1-6, 8, 12, 13, 15, 16, 20-22, 25) that did not fork once is SKIP(no evidence: ...), not PASS; a\n"
"failure it saw is still a FAIL. The JSON counts each row's forks. Exit status: 0 when nothing FAILed, 1 when something\n"
"did, 2 on a usage error, 3 when DIR cannot be used, 130 when interrupted.\n";
/* clang-format on */

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static void list_scenarios(void)
{
	printf("%-3s %-2s %-44s %-18s %s\n", "#", "at", "title", "fixed in (spec ≥)", "needs");
	for (size_t i = 0; i < nr_scenarios; i++) {
		const struct scenario *s = &scenarios[i];
		char needs[96] = "";

		if (s->needs & NEED_ODIRECT)
			strcat(needs, "O_DIRECT ");
		if (s->needs & NEED_URING)
			strcat(needs, "io_uring ");
		if (s->needs & NEED_HOLD_DET)
			strcat(needs, "holds(det) ");
		if (s->needs & NEED_PINFS)
			strcat(needs, "pinfs+control ");
		if (s->needs & NEED_FORKS)
			strcat(needs, "forks(stress) ");
		printf("%-3d %-2c %-44s %-18s %s\n", s->id, s->where, s->title, s->fixed, needs);
	}
}

/* "1,3,15-20" or "all" -> ids; returns the count or -1. */
static int parse_list(const char *arg, int *ids, int max)
{
	char *copy, *tok, *save = NULL;
	int n = 0;

	if (!strcmp(arg, "all")) {
		for (size_t i = 0; i < nr_scenarios && n < max; i++)
			ids[n++] = scenarios[i].id;
		return n;
	}
	copy = strdup(arg);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long a = strtol(tok, &end, 10), b = a;

		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (*end || a > b) {
			free(copy);
			return -1;
		}
		for (long id = a; id <= b; id++) {
			if (!scenario_find((int)id) || n == max) {
				free(copy);
				return -1;
			}
			ids[n++] = (int)id;
		}
	}
	free(copy);
	return n;
}

static void on_signal(int sig)
{
	(void)sig;
	fs_interrupted = 1;
}

static void remove_workdir(const char *workdir)
{
	if (workdir[0] && remove_tree(workdir, true))
		fprintf(stderr, "forkstress: could not remove %s\n", workdir);
}

int main(int argc, char **argv)
{
	static struct fs_env env;
	static struct row rows[256];
	static int ids[128];
	const char *list = "all", *json = NULL, *mode = "both";
	int nids, nrows = 0, c, ret = 0;
	struct ledger_check lc = {0};
	struct ctl_conn *ctl = NULL;
	struct timespec ts;
	double t0;

	clock_gettime(CLOCK_REALTIME, &ts);
	env.opt.duration = 2.0;
	env.opt.seed = (unsigned long)ts.tv_nsec ^ (unsigned long)getpid();
	env.page = (size_t)sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "d:s:lt:n:c:j:m:qh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			env.opt.dir = optarg;
			break;
		case 's':
			list = optarg;
			break;
		case 'l':
			list_scenarios();
			return 0;
		case 't':
			env.opt.duration = strtod(optarg, NULL);
			if (env.opt.duration < 0) {
				fprintf(stderr, "forkstress: bad --duration %s\n", optarg);
				return 2;
			}
			break;
		case 'n':
			env.opt.iterations = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			env.opt.seed = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			env.opt.control = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'm':
			mode = optarg;
			if (strcmp(mode, "both") && strcmp(mode, "deterministic") &&
			    strcmp(mode, "stress")) {
				fprintf(stderr,
					"forkstress: --mode is deterministic, stress or both\n");
				return 2;
			}
			break;
		case 'q':
			env.opt.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_SIMULATE:
			env.opt.simulate_broken = true;
			break;
		case OPT_ASSUME:
			env.opt.assume_kernel = optarg;
			break;
		case OPT_INJECT:
			if (strcmp(optarg, "pin-leak") && strcmp(optarg, "pin-leak-once") &&
			    strcmp(optarg, "no-fork")) {
				fprintf(stderr,
					"forkstress: --inject is pin-leak, pin-leak-once or "
					"no-fork\n");
				return 2;
			}
			env.opt.inject = optarg;
			break;
		case OPT_PINS:
			if (strcmp(optarg, "strict") && strcmp(optarg, "report")) {
				fprintf(stderr, "forkstress: --pin-balance is strict or report\n");
				return 2;
			}
			env.opt.pins_report_only = !strcmp(optarg, "report");
			break;
		case OPT_MTHP:
			env.opt.mthp_enable = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !env.opt.dir) {
		fprintf(stderr, "forkstress: %s\n",
			optind < argc ? "unexpected argument" : "--dir DIR is required");
		usage(stderr);
		return 2;
	}
	nids = parse_list(list, ids, (int)(sizeof(ids) / sizeof(ids[0])));
	if (nids <= 0) {
		fprintf(stderr, "forkstress: bad --scenario '%s' (see --list)\n", list);
		return 2;
	}

	snprintf(env.workdir, sizeof(env.workdir), "%s/forkstress.%d", env.opt.dir, (int)getpid());
	if (mkdir(env.workdir, 0755) < 0) {
		fprintf(stderr, "forkstress: cannot create %s: %s\n", env.workdir, strerror(errno));
		return 3;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	classify_kernel(&env.kc, env.opt.assume_kernel);
	if (classify_target(&env.tg, env.opt.dir, env.workdir)) {
		fprintf(stderr, "forkstress: cannot use %s: %s\n", env.opt.dir, strerror(errno));
		remove_workdir(env.workdir);
		return 3;
	}
	if (env.opt.control) {
		ctl = ctl_open(env.opt.control);
		if (ctl && ctl_ping(ctl) == 0) {
			env.tg.control = true;
			env.tg.pinfs = env.tg.fuse;
			env.holds = env.tg.pinfs;
		} else {
			fprintf(stderr, "forkstress: control socket %s does not answer: %s\n",
				env.opt.control, strerror(errno));
			ctl_close(ctl);
			ctl = NULL;
		}
		if (ctl && !env.tg.fuse)
			fprintf(stderr,
				"forkstress: %s is not a FUSE mount: hold hooks unused, only "
				"the ledger is checked\n",
				env.opt.dir);
	}
	classify_fuse_pins(&env.kc, &env.tg, env.workdir, env.holds ? ctl : NULL);
	if (env.opt.mthp_enable)
		mthp_enable_all(&env.kc);
	if (!env.opt.quiet) {
		printf("forkstress %s  seed %lu  duration %.2fs%s%s\n", PINFS_VERSION, env.opt.seed,
		       env.opt.duration,
		       env.opt.simulate_broken ? "  SIMULATING BROKEN KERNEL" : "",
		       !env.opt.inject			    ? ""
		       : !strcmp(env.opt.inject, "no-fork") ? "  REFUSING FORKS"
							    : "  INJECTING A PIN LEAK");
		classify_print(&env.kc, &env.tg, env.opt.dir);
		printf("\n");
		fflush(stdout);
	}

	t0 = now_sec();
	for (int i = 0; i < nids && !fs_interrupted; i++) {
		const struct scenario *s = scenario_find(ids[i]);
		int per = strcmp(mode, "both") ? 1 : 2;

		for (int m = 0; m < 2 && !fs_interrupted; m++) {
			enum fs_mode fm = m ? MODE_STRESS : MODE_DETERMINISTIC;

			if (strcmp(mode, "both") && strcmp(mode, mode_name(fm)))
				continue;
			run_one(&env, s, fm, ctl, &rows[nrows], nrows + 1, nids * per);
			nrows++;
		}
	}
	if (!fs_interrupted)
		ledger_final(ctl, &lc);
	print_table(stdout, rows, nrows, &lc);
	if (json && write_json(json, &env, rows, nrows, &lc, now_sec() - t0))
		fprintf(stderr, "forkstress: cannot write %s: %s\n", json, strerror(errno));

	for (int i = 0; i < nrows; i++)
		if (rows[i].verdict == V_FAIL)
			ret = 1;
	if (lc.checked && lc.verdict == V_FAIL)
		ret = 1;
	if (fs_interrupted)
		ret = 130;
	ctl_close(ctl);
	mthp_restore();
	remove_workdir(env.workdir);
	return ret;
}
