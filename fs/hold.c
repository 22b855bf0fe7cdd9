// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Request holds (spec §7 H-1, docs/control.md).
 *
 * All state sits under one mutex with one condition variable, broadcast on
 * every change; the request path touches neither unless a hold is armed. A
 * hold lives until it is released (by the control socket, its timeout, or its
 * connection closing), the last request parked on it has left, and the thread
 * arming it has returned. A thread that waits on the condition variable keeps
 * no other pointer to a hold across the wait.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "hold.h"

#define MAX_RECORDED 16
#define GATE_ARM_TIMEOUT_MS 10000

struct hold {
	int id;
	int owner;
	struct hold_spec spec;
	unsigned int caught;	/* requests that matched so far */
	unsigned int parked;	/* requests parked right now */
	struct held_request recorded[MAX_RECORDED];
	bool released;
	bool arming;		/* hold_arm() is still waiting for the gate to close */
	struct timespec deadline;
	struct hold *next;
};

/*
 * Lock order (docs/design.md): after conns_lock (control.c joins connection
 * threads that take it); no other lock under it. A thread that parks here
 * holds no other lock: hold_check() and hold_gate_enter() are called with
 * none held.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct hold *holds;	/* armed holds, not yet released */
static atomic_uint armed;	/* length of @holds, read without the lock */
static int next_id = 1;

static unsigned int nr_workers;
static unsigned int gate_parked;	/* workers parked at the receive gate */
static unsigned int hold_parked;	/* requests (and so workers) parked at data/reply holds */
static atomic_bool gate_closed;
static int gate_efd = -1;
static struct hold *gate_hold;	/* the receive hold that closed the gate */

static void hold_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&changed, &attr);
	pthread_condattr_destroy(&attr);
	gate_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void ensure_init(void)
{
	pthread_once(&init_once, hold_init);
}

static struct timespec deadline_after(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static bool expired(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static void free_if_unused(struct hold *h)
{
	if (h->released && !h->parked && !h->arming)
		free(h);
}

static void open_gate(void)
{
	uint64_t v;

	atomic_store(&gate_closed, false);
	gate_hold = NULL;
	if (read(gate_efd, &v, sizeof(v)) < 0)
		return;	/* already drained */
}

/* Unlink @h and let its requests go. Called locked. Returns the requests released. */
static int release_locked(struct hold *h)
{
	int released = h->spec.at == HOLD_RECEIVE ? (int)gate_parked : (int)h->parked;

	for (struct hold **p = &holds; *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			atomic_fetch_sub(&armed, 1);
			break;
		}
	}
	h->released = true;
	if (h == gate_hold)
		open_gate();
	pthread_cond_broadcast(&changed);
	free_if_unused(h);
	return released;
}

/* Release holds whose timeout passed. Called locked. */
static void reap_expired(void)
{
	struct hold *h = holds, *next;

	for (; h; h = next) {
		next = h->next;
		if (expired(&h->deadline))
			release_locked(h);
	}
}

static bool ranges_overlap(const struct hold_spec *s, uint64_t off, uint64_t len)
{
	uint64_t end = len ? off + len : UINT64_MAX;
	uint64_t hold_end = s->len ? s->off + s->len : UINT64_MAX;

	return off < hold_end && s->off < end;
}

static struct hold *find_match(enum hold_point at, enum hold_op op, uint64_t ino, uint64_t off,
			       uint64_t len)
{
	for (struct hold *h = holds; h; h = h->next) {
		const struct hold_spec *s = &h->spec;

		if (s->at != at || h->caught >= s->count)
			continue;
		if (s->op != HOLD_OP_ANY && s->op != op)
			continue;
		if (s->ino && s->ino != ino)
			continue;
		if (ranges_overlap(s, off, len))
			return h;
	}
	return NULL;
}

bool hold_any_armed(void)
{
	return atomic_load_explicit(&armed, memory_order_relaxed) != 0;
}

void hold_check(enum hold_point at, enum hold_op op, uint64_t ino, uint64_t off, uint64_t len)
{
	struct hold *h;

	if (!atomic_load_explicit(&armed, memory_order_relaxed))
		return;
	pthread_mutex_lock(&lock);
	reap_expired();
	h = find_match(at, op, ino, off, len);
	if (h) {
		if (h->caught < MAX_RECORDED)
			h->recorded[h->caught] = (struct held_request){ op, ino, off, len };
		h->caught++;
		h->parked++;
		hold_parked++;
		pthread_cond_broadcast(&changed);
		while (!h->released)
			if (pthread_cond_timedwait(&changed, &lock, &h->deadline) == ETIMEDOUT &&
			    !h->released)
				release_locked(h);
		h->parked--;
		hold_parked--;
		pthread_cond_broadcast(&changed);
		free_if_unused(h);
	}
	pthread_mutex_unlock(&lock);
}

/* ---- the receive gate ---- */

void hold_set_workers(unsigned int n)
{
	pthread_mutex_lock(&lock);
	nr_workers = n;
	pthread_mutex_unlock(&lock);
}

int hold_gate_fd(void)
{
	ensure_init();
	return gate_efd;
}

bool hold_gate_closed(void)
{
	return atomic_load_explicit(&gate_closed, memory_order_relaxed);
}

void hold_gate_enter(void)
{
	if (!hold_gate_closed())
		return;
	pthread_mutex_lock(&lock);
	gate_parked++;
	pthread_cond_broadcast(&changed);
	while (atomic_load(&gate_closed)) {
		/*
		 * The gate's hold may be released and freed while this waits:
		 * wait on a copy of its deadline, and on timeout release whatever
		 * expired then.
		 */
		struct timespec deadline = gate_hold->deadline;

		if (pthread_cond_timedwait(&changed, &lock, &deadline) == ETIMEDOUT)
			reap_expired();
	}
	gate_parked--;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

/*
 * Close the gate for @h and wait until no worker can read /dev/fuse: each is
 * parked at the gate or holding a request parked at a data or reply hold.
 * Called locked, with @h->arming set (@h stays allocated across the wait even
 * if it is released meanwhile). Returns 0, -ETIMEDOUT if the workers did not
 * all park in time or @h expired first, -ECANCELED if @h was released first.
 */
static int close_gate(struct hold *h)
{
	struct timespec limit = deadline_after(GATE_ARM_TIMEOUT_MS);
	uint64_t one = 1;

	if (gate_hold)
		return -EBUSY;
	if (!nr_workers)
		return -EOPNOTSUPP;	/* no gated workers: the daemon runs without control polling */
	gate_hold = h;
	atomic_store(&gate_closed, true);
	if (write(gate_efd, &one, sizeof(one)) < 0)
		return -errno;
	while (gate_parked + hold_parked < nr_workers && !h->released)
		if (pthread_cond_timedwait(&changed, &lock, &limit) == ETIMEDOUT)
			return -ETIMEDOUT;
	if (h->released)
		return expired(&h->deadline) ? -ETIMEDOUT : -ECANCELED;
	return 0;
}

/* ---- the control side ---- */

int hold_arm(const struct hold_spec *spec, int owner)
{
	struct hold *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return -ENOMEM;
	ensure_init();
	h->spec = *spec;
	if (!h->spec.count)
		h->spec.count = 1;
	h->owner = owner;
	h->deadline = deadline_after(spec->timeout_ms);
	pthread_mutex_lock(&lock);
	reap_expired();
	h->id = next_id++;
	h->next = holds;
	holds = h;
	atomic_fetch_add(&armed, 1);
	ret = h->id;
	if (spec->at == HOLD_RECEIVE) {
		int err;

		h->arming = true;
		err = close_gate(h);
		h->arming = false;
		if (err) {
			ret = err;
			if (!h->released)
				release_locked(h);
		}
		free_if_unused(h);
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

static struct hold *find_id(int id)
{
	for (struct hold *h = holds; h; h = h->next)
		if (h->id == id)
			return h;
	return NULL;
}

int hold_wait(int id, unsigned int timeout_ms, struct held_request *out, int max, int *nout)
{
	struct timespec limit = deadline_after(timeout_ms);
	struct hold *h;
	int ret;

	*nout = 0;
	pthread_mutex_lock(&lock);
	for (;;) {
		h = find_id(id);
		if (!h) {
			ret = -ENOENT;
			break;
		}
		if (h->spec.at == HOLD_RECEIVE || h->parked) {
			unsigned int n = h->spec.at == HOLD_RECEIVE ? gate_parked : h->parked;

			for (int k = 0; k < max && k < (int)h->caught && k < MAX_RECORDED; k++)
				out[(*nout)++] = h->recorded[k];
			ret = (int)n;
			break;
		}
		if (pthread_cond_timedwait(&changed, &lock, &limit) == ETIMEDOUT) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

int hold_release(int id)
{
	int released = 0;

	pthread_mutex_lock(&lock);
	if (id) {
		struct hold *h = find_id(id);

		released = h ? release_locked(h) : -ENOENT;
	} else {
		while (holds)
			released += release_locked(holds);
	}
	pthread_mutex_unlock(&lock);
	return released;
}

void hold_release_owner(int owner)
{
	struct hold *h, *next;

	pthread_mutex_lock(&lock);
	for (h = holds; h; h = next) {
		next = h->next;
		if (h->owner == owner)
			release_locked(h);
	}
	pthread_mutex_unlock(&lock);
}

void hold_counts(unsigned int *nr_armed, unsigned int *nr_held)
{
	pthread_mutex_lock(&lock);
	reap_expired();
	*nr_armed = atomic_load(&armed);
	*nr_held = gate_parked;
	for (struct hold *h = holds; h; h = h->next)
		*nr_held += h->parked;
	pthread_mutex_unlock(&lock);
}

const char *hold_op_name(enum hold_op op)
{
	static const char *const names[] = { "any", "read", "write" };

	return op <= HOLD_OP_WRITE ? names[op] : "?";
}
