// SPDX-License-Identifier: GPL-2.0-or-later
/* Recording a scenario's outcomes (forkstress.h "recording outcomes"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkstress.h"

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_us(unsigned long us)
{
	struct timespec ts = {.tv_sec = (time_t)(us / 1000000),
			      .tv_nsec = (long)(us % 1000000) * 1000};

	while (nanosleep(&ts, &ts))
		;
}

static struct scenario_result *counted;
static bool refuse_forks;

void forks_attach(struct scenario_result *res, bool refuse)
{
	counted = res;
	refuse_forks = refuse;
}

void forks_count(unsigned long n)
{
	if (counted)
		__atomic_fetch_add(&counted->forks, n, __ATOMIC_RELAXED);
}

pid_t fork_counted(void)
{
	pid_t pid;

	if (refuse_forks) {
		errno = EAGAIN;
		pid = -1;
	} else {
		pid = fork();
	}
	if (pid > 0)
		forks_count(1);
	else if (pid < 0 && counted)
		counted->fork_errno = errno;
	return pid;
}

static struct subcase_result *cur(struct sc_ctx *sc)
{
	if (sc->cur < 0)
		sc_sub(sc, "%s", "");
	return &sc->res->sub[sc->cur];
}

void sc_sub(struct sc_ctx *sc, const char *fmt, ...)
{
	struct scenario_result *r = sc->res;
	struct subcase_result *s;
	va_list ap;

	if (r->nsub == SC_MAX_SUBCASES)
		r->nsub--; /* out of slots: reuse the last one rather than overflow */
	s = &r->sub[r->nsub];
	memset(s, 0, sizeof(*s));
	va_start(ap, fmt);
	vsnprintf(s->name, sizeof(s->name), fmt, ap);
	va_end(ap);
	sc->cur = r->nsub++;
	sc->loop_iter = 0;
	sc->t_end = now_sec() + sc->sub_duration;
}

void sc_split_duration(struct sc_ctx *sc, unsigned int parts)
{
	sc->sub_duration = sc->env->opt.duration / (parts ? parts : 1);
	sc->t_end = now_sec() + sc->sub_duration;
}

void sc_fail(struct sc_ctx *sc, const char *fmt, ...)
{
	struct subcase_result *s = cur(sc);
	va_list ap;

	if (s->verdict != V_FAIL) {
		s->verdict = V_FAIL;
		va_start(ap, fmt);
		vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
		va_end(ap);
	}
	s->failures++;
}

void sc_skip(struct sc_ctx *sc, const char *fmt, ...)
{
	struct subcase_result *s = cur(sc);
	va_list ap;

	if (s->verdict != V_NONE)
		return;
	s->verdict = V_SKIP;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

void sc_pass(struct sc_ctx *sc)
{
	struct subcase_result *s = cur(sc);

	if (s->verdict == V_NONE)
		s->verdict = V_PASS;
}

bool sc_failed(const struct sc_ctx *sc)
{
	return sc->cur >= 0 && sc->res->sub[sc->cur].verdict == V_FAIL;
}

bool sc_done(const struct sc_ctx *sc)
{
	return sc->cur >= 0 && sc->res->sub[sc->cur].verdict != V_NONE &&
	       sc->res->sub[sc->cur].verdict != V_PASS;
}

void sc_expect_broken(struct sc_ctx *sc, const char *reason)
{
	struct subcase_result *s = cur(sc);

	snprintf(s->expect_broken, sizeof(s->expect_broken), "%s", reason);
}

void sc_note(struct sc_ctx *sc, const char *fmt, ...)
{
	char *n = sc->res->note;
	size_t used = strlen(n);
	va_list ap;

	if (sc->mute_notes)
		return;
	if (used && used + 2 < sizeof(sc->res->note)) {
		strcpy(n + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(n + used, sizeof(sc->res->note) - used, fmt, ap);
	va_end(ap);
}

bool sc_more(struct sc_ctx *sc)
{
	bool more;

	if (sc->loop_iter == 0)
		more = true; /* every loop runs at least once */
	else if (sc_failed(sc))
		more = false; /* the first failure is the finding: stop there */
	else if (sc->mode == MODE_DETERMINISTIC)
		more = sc->loop_iter < DETERMINISTIC_ROUNDS;
	else
		more = now_sec() < sc->t_end && (!sc->max_iter || sc->loop_iter < sc->max_iter);
	if (more) {
		sc->loop_iter++;
		sc->res->iterations++;
	}
	return more;
}

bool sc_simulate(const struct sc_ctx *sc)
{
	return sc->env->opt.simulate_broken && sc->loop_iter == 1;
}

unsigned int xorshift32(unsigned int x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

unsigned int sc_rand(struct sc_ctx *sc, unsigned int n)
{
	sc->rnd = xorshift32(sc->rnd ? sc->rnd : 0x9e3779b9u);
	return n ? sc->rnd % n : 0;
}

void sc_path(const struct sc_ctx *sc, char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", sc->env->workdir, name);
}
