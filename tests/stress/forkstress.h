/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forkstress: the fork-stress coherency suite (spec §5, harness notes §7).
 *
 * The program runs the scenarios of spec §5 against any directory. Each scenario runs in a
 * forked child process (so a crash or a hang is contained and reported), in one or both modes:
 *   deterministic: the racing step happens while pinfs holds the request (spec §7 H-1), or the
 *                  scenario is sequential by nature;
 *   stress:        free-running loops bounded by --duration / --iterations (spec §7 H-4).
 * The verdict of a scenario is chosen against the kernel classification (spec §7 H-2).
 */
#ifndef FORKSTRESS_H
#define FORKSTRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "classify.h"

enum fs_mode {
	MODE_DETERMINISTIC,
	MODE_STRESS,
};

/* Ordered by how much they matter when subcases are combined: the worst one wins. */
enum verdict {
	V_NONE, /* nothing recorded yet */
	V_SKIP,
	V_PASS,
	V_XFAIL,
	V_FAIL,
};

#define SC_MAX_SUBCASES 128
#define SC_DETAIL_LEN 320
#define SC_NAME_LEN 40

struct subcase_result {
	char name[SC_NAME_LEN];
	enum verdict verdict;
	char detail[SC_DETAIL_LEN]; /* first failure, or the skip reason */
	char expect_broken[160]; /* non-empty: this kernel is expected to fail here */
	unsigned long failures;
};

/*
 * What a scenario process reports back. It lives in a MAP_SHARED page set up by the runner, so
 * a scenario that dies still leaves what it had recorded.
 */
struct scenario_result {
	volatile unsigned long iterations; /* progress, read live by the runner */
	unsigned long forks; /* forks done for the scenario (fork_counted, forks_count) */
	int fork_errno; /* errno of the last fork that failed, 0 if none */
	int nsub;
	struct subcase_result sub[SC_MAX_SUBCASES];
	char note[SC_DETAIL_LEN]; /* informational, shown in the detail column */
};

/* Options that reach the scenarios. */
struct fs_options {
	const char *dir; /* --dir: the directory under test */
	const char *control; /* --control: pinfs control socket, or NULL */
	double duration; /* --duration: seconds per stress run */
	unsigned long iterations; /* --iterations: 0 = bounded by duration only */
	unsigned long seed; /* --seed */
	bool quiet;
	bool simulate_broken; /* --simulate-broken (testing the suite, see --help) */
	const char *inject; /* --inject pin-leak|pin-leak-once|no-fork (testing the suite) */
	const char *assume_kernel; /* --assume-kernel (testing the suite) */
	bool mthp_enable; /* --mthp-enable */
	bool pins_report_only; /* --pin-balance report: a confirmed leak does not fail */
};

/* Everything a scenario may consult; read-only once the run starts. */
struct fs_env {
	struct fs_options opt;
	struct kernel_class kc;
	struct target tg;
	char workdir[4096]; /* DIR/forkstress.PID: every file the suite creates */
	bool holds; /* target is pinfs and its control socket answers */
	size_t page;
};

/* The handle a running scenario uses to record outcomes. */
struct sc_ctx {
	const struct fs_env *env;
	struct scenario_result *res;
	enum fs_mode mode;
	int id;
	int cur; /* current subcase index */
	double t_end; /* stress loops stop at this monotonic time */
	double sub_duration; /* stress time each subcase gets (sc_split_duration) */
	unsigned long max_iter; /* --iterations per loop, 0 = unbounded */
	unsigned long loop_iter; /* rounds of the current loop (sc_more) */
	unsigned int rnd; /* per-process random state (seeded from --seed) */
	struct ctl *ctl; /* this scenario's control connection, or NULL */
	bool mute_notes; /* shared bodies run as subcases (#15, #20): no notes */
};

struct scenario {
	int id;
	const char *title;
	char where; /* 'M' application side, 'D' daemon side (spec §5 legend) */
	const char *fixed; /* the spec's "≥" column */
	unsigned int needs; /* NEED_* */
	/*
	 * Returns NULL when this kernel and target should pass, or the reason a failure is
	 * expected here (then a failure is reported as XFAIL(kernel: reason)).
	 */
	const char *(*predict)(const struct fs_env *env);
	/* Runs one mode; records its outcome through sc_pass/sc_fail/sc_skip. */
	void (*run)(struct sc_ctx *sc);
};

#define NEED_ODIRECT 0x01u /* O_DIRECT on the target (spec §7 H-5) */
#define NEED_URING 0x02u /* io_uring */
#define NEED_HOLD_DET 0x04u /* the deterministic mode needs pinfs's hold hooks */
#define NEED_PINFS 0x08u /* both modes need pinfs with --control (D scenarios) */
/*
 * The hazard is a fork during the I/O (by the application or by the daemon): a stress run that
 * did not fork once exercised nothing and is not a PASS (runner.c).
 */
#define NEED_FORKS 0x10u

extern const struct scenario scenarios[];
extern const size_t nr_scenarios;
const struct scenario *scenario_find(int id);

/* ---- recording outcomes (scenario.c) ---- */

/*
 * Count the forks of the scenario process (and its children) into @res; @refuse: every
 * fork_counted() fails with EAGAIN (--inject no-fork). Called by the runner in the scenario
 * process before the scenario runs.
 */
void forks_attach(struct scenario_result *res, bool refuse);
/* fork() for the scenarios' fork helpers: counted into the result, or refused (above). */
pid_t fork_counted(void);
/* Count @n forks done elsewhere for the scenario (the daemon's forker, docs/control.md). */
void forks_count(unsigned long n);

/* Start a named subcase; outcomes until the next sc_sub() belong to it. */
void sc_sub(struct sc_ctx *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record a failure (the first message per subcase is kept, later ones are counted). */
void sc_fail(struct sc_ctx *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The subcase cannot run here; the reason names what is missing. */
void sc_skip(struct sc_ctx *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The subcase ran and nothing failed (a no-op if a failure was already recorded). */
void sc_pass(struct sc_ctx *sc);
/* This kernel is known to break the current subcase (e.g. vmsplice on hugetlb, spec §2.5). */
void sc_expect_broken(struct sc_ctx *sc, const char *reason);
/* A note for the detail column. */
void sc_note(struct sc_ctx *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * True while a loop may run another round; counts the round. Every loop runs at least once;
 * it stops at the first failure; in deterministic mode it runs DETERMINISTIC_ROUNDS rounds; in
 * stress mode it runs until the subcase's share of --duration or --iterations is used up.
 */
bool sc_more(struct sc_ctx *sc);
#define DETERMINISTIC_ROUNDS 3
/* Give each of the next @parts subcases an equal share of --duration. */
void sc_split_duration(struct sc_ctx *sc, unsigned int parts);
/* The current subcase has a failure already. */
bool sc_failed(const struct sc_ctx *sc);
/* The current subcase is decided (failed or skipped): stop working on it. */
bool sc_done(const struct sc_ctx *sc);
/*
 * --simulate-broken: true in the round where the scenario should end the way its spec §5 "broken
 * implementation shows" column says (the first round of each loop), so the verdict logic can be
 * seen to catch it.
 */
bool sc_simulate(const struct sc_ctx *sc);
/* A random number in [0, n). */
unsigned int sc_rand(struct sc_ctx *sc, unsigned int n);
/*
 * One xorshift32 step from the non-zero state @x: reproducible from --seed, cheap, good enough to
 * vary timing and offsets. Returns the next state (never zero).
 */
unsigned int xorshift32(unsigned int x);
/* Where the scenario creates files: workdir/NAME. */
void sc_path(const struct sc_ctx *sc, char *out, size_t len, const char *name);
/* Seconds since an arbitrary epoch (CLOCK_MONOTONIC). */
double now_sec(void);
/* Sleep for a number of microseconds. */
void sleep_us(unsigned long us);

#endif
