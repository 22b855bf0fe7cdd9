// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's request holds (fs/hold.c, spec §7 H-1), tested alone: the
 * lifetime of a receive hold against the threads that wait on it.
 *
 * POSIX lets pthread_cond_timedwait() read its abstime at any moment until it
 * returns (glibc hands the pointer to every futex wait it retries). This
 * executable wraps it (-Wl,--wrap) to read abstime once more as it returns, in
 * instrumented code, so that a deadline freed while a thread waited on it is
 * reported by AddressSanitizer every time instead of by chance.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "hold.h"
#include "unit.h"

int __real_pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
				  const struct timespec *abstime);
int __wrap_pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
				  const struct timespec *abstime);

int __wrap_pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
				  const struct timespec *abstime)
{
	int ret = __real_pthread_cond_timedwait(cond, mutex, abstime);

	/* Still the caller's memory here: the wait has not returned yet. */
	*(volatile long *)&abstime->tv_nsec;
	return ret;
}

static const struct hold_spec receive = { .at = HOLD_RECEIVE, .timeout_ms = 30000 };

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A worker: waits for the gate to close, then parks at it until it opens. */
static void *worker(void *arg)
{
	atomic_bool *passed = arg;

	while (!hold_gate_closed())
		usleep(1000);
	hold_gate_enter();
	atomic_store(passed, true);
	return NULL;
}

static void start_worker(pthread_t *t, atomic_bool *passed)
{
	hold_set_workers(1);
	atomic_store(passed, false);
	ck_assert_int_eq(pthread_create(t, NULL, worker, passed), 0);
}

/* Released while a worker waits at the gate: the worker goes on, nothing freed is read. */
START_TEST(gate_released_while_waiting)
{
	atomic_bool passed;
	unsigned int armed, held;
	pthread_t t;
	int id;

	start_worker(&t, &passed);
	id = hold_arm(&receive, 1);	/* returns once the worker is parked */
	ck_assert_int_gt(id, 0);
	hold_counts(&armed, &held);
	ck_assert_uint_eq(armed, 1);
	ck_assert_uint_eq(held, 1);
	ck_assert(!atomic_load(&passed));
	ck_assert_int_eq(hold_release(id), 1);
	pthread_join(t, NULL);
	ck_assert(atomic_load(&passed));
	hold_counts(&armed, &held);
	ck_assert_uint_eq(armed, 0);
	ck_assert_uint_eq(held, 0);
}
END_TEST

/* Timed out while a worker waits at the gate: the worker goes on after the timeout. */
START_TEST(gate_times_out_while_waiting)
{
	struct hold_spec spec = receive;
	unsigned int armed, held;
	atomic_bool passed;
	long start = now_ms();
	pthread_t t;

	spec.timeout_ms = 200;
	start_worker(&t, &passed);
	ck_assert_int_gt(hold_arm(&spec, 1), 0);
	pthread_join(t, NULL);
	ck_assert(atomic_load(&passed));
	ck_assert_int_ge(now_ms() - start, 200);
	hold_counts(&armed, &held);
	ck_assert_uint_eq(armed, 0);
	ck_assert_uint_eq(held, 0);
}
END_TEST

struct arming {
	struct hold_spec spec;
	int ret;
};

static void *arm(void *arg)
{
	struct arming *a = arg;

	a->ret = hold_arm(&a->spec, 1);
	return NULL;
}

/* Arm a receive hold in another thread that no worker ever parks at. */
static void start_arming(pthread_t *t, struct arming *a, unsigned int timeout_ms)
{
	unsigned int armed = 0, held;

	hold_set_workers(1);
	*a = (struct arming){ .spec = receive };
	a->spec.timeout_ms = timeout_ms;
	ck_assert_int_eq(pthread_create(t, NULL, arm, a), 0);
	while (!armed) {
		usleep(1000);
		hold_counts(&armed, &held);
	}
}

/* Released (release all) while its arming still waits for workers: the arming says so. */
START_TEST(released_while_arming)
{
	struct arming a;
	pthread_t t;

	start_arming(&t, &a, 30000);
	ck_assert_int_eq(hold_release(0), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(a.ret, -ECANCELED);
	ck_assert(!hold_gate_closed());
}
END_TEST

/* Expired (reaped by another caller) while its arming still waits: the arming times out. */
START_TEST(expired_while_arming)
{
	unsigned int armed, held;
	struct arming a;
	pthread_t t;

	start_arming(&t, &a, 100);
	usleep(150 * 1000);
	hold_counts(&armed, &held);	/* reaps the expired hold */
	ck_assert_uint_eq(armed, 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(a.ret, -ETIMEDOUT);
	ck_assert(!hold_gate_closed());
}
END_TEST

static Suite *hold_suite(void)
{
	Suite *s = suite_create("hold");
	TCase *tc = tcase_create("receive");

	tcase_add_test(tc, gate_released_while_waiting);
	tcase_add_test(tc, gate_times_out_while_waiting);
	tcase_add_test(tc, released_while_arming);
	tcase_add_test(tc, expired_while_arming);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(hold_suite());
}
