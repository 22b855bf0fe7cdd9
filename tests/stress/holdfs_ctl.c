// SPDX-License-Identifier: GPL-2.0-or-later
/* holdfs's holds and counters behind the control socket; see holdfs_ctl.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "fs/ctl_server.h"
#include "holdfs_ctl.h"

struct hold {
	int id, owner;
	struct hold_spec spec;
	unsigned int caught, parked;
	bool released;
	struct timespec deadline;
	struct held_request req[CTL_MAX_LISTED];
	int nreq;
	struct hold *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct hold *holds;	/* never freed: a fixture's few holds */
static int next_id = 1;
static struct ctl_stats counted;

static bool matches(const struct hold *h, enum hold_point at, enum hold_op op, uint64_t ino,
		    uint64_t off, uint64_t len)
{
	if (h->released || h->spec.at != at)
		return false;
	if (at == HOLD_RECEIVE)
		return true; /* every request parks at the gate */
	return h->caught < h->spec.count && hold_matches(&h->spec, op, ino, off, len);
}

void holdfs_check(enum hold_point at, enum hold_op op, uint64_t ino, uint64_t off, uint64_t len)
{
	struct hold *h;

	pthread_mutex_lock(&lock);
	for (h = holds; h; h = h->next)
		if (matches(h, at, op, ino, off, len))
			break;
	if (!h) {
		pthread_mutex_unlock(&lock);
		return;
	}
	h->caught++;
	h->parked++;
	/* a receive hold's requests are not listed: pinfs's are still in the kernel */
	if (at != HOLD_RECEIVE && h->nreq < CTL_MAX_LISTED)
		h->req[h->nreq++] = (struct held_request){ op, ino, off, len };
	pthread_cond_broadcast(&changed);
	while (!h->released && pthread_cond_timedwait(&changed, &lock, &h->deadline) != ETIMEDOUT)
		;
	h->parked--;
	pthread_mutex_unlock(&lock);
}

void holdfs_count(bool read, bool direct, bool spliced, uint64_t bytes)
{
	pthread_mutex_lock(&lock);
	if (direct)
		counted.bytes.direct += bytes;
	else
		counted.bytes.buffered += bytes;
	/* the reused reply buffer stands in for a vmspliced reply: "spliced" and "vmspliced" */
	if (spliced) {
		counted.bytes.spliced += bytes;
		counted.bytes.vmspliced += bytes;
	}
	if (read)
		counted.engines.sync.read++;
	else
		counted.engines.sync.write++;
	pthread_mutex_unlock(&lock);
}

static struct timespec deadline_in(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static int arm(const struct hold_spec *spec, int owner)
{
	struct hold *h = calloc(1, sizeof(*h));
	int id;

	if (!h)
		return -ENOMEM;
	h->spec = *spec;
	h->owner = owner;
	h->deadline = deadline_in(spec->timeout_ms);
	pthread_mutex_lock(&lock);
	id = h->id = next_id++;
	h->next = holds;
	holds = h;
	pthread_mutex_unlock(&lock);
	return id;
}

/* Until hold @id has caught a request (a receive hold: at once). */
static int wait_caught(int id, unsigned int timeout_ms, struct held_request *out, int max,
		       int *nout)
{
	struct timespec until = deadline_in(timeout_ms);
	struct hold *h;
	int ret;

	*nout = 0;
	pthread_mutex_lock(&lock);
	for (h = holds; h && h->id != id; h = h->next)
		;
	while (h && h->spec.at != HOLD_RECEIVE && !h->caught && !h->released &&
	       pthread_cond_timedwait(&changed, &lock, &until) != ETIMEDOUT)
		;
	if (!h) {
		ret = -ENOENT;
	} else if (h->spec.at != HOLD_RECEIVE && !h->caught) {
		ret = -ETIMEDOUT;
	} else {
		for (; *nout < max && *nout < h->nreq; (*nout)++)
			out[*nout] = h->req[*nout];
		ret = (int)h->parked;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

/* Release hold @id, every hold of connection @owner (owner > 0), or all (both 0). */
static int release(int id, int owner)
{
	int n = 0;

	pthread_mutex_lock(&lock);
	for (struct hold *h = holds; h; h = h->next) {
		if (h->released || (id && h->id != id) || (owner && h->owner != owner))
			continue;
		h->released = true;
		n += (int)h->parked;
	}
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return n;
}

static int release_id(int id)
{
	return release(id, 0);
}

static void release_owner(int owner)
{
	release(0, owner); /* a closed connection never leaves requests parked */
}

static void stats(struct ctl_stats *st)
{
	pthread_mutex_lock(&lock);
	*st = counted;
	pthread_mutex_unlock(&lock);
}

static const struct ctl_service holdfs_control = {
	.prog = "holdfs",
	.version = "holdfs",
	.stats = stats,
	.hold = arm,
	.wait = wait_caught,
	.release = release_id,
	.closed = release_owner,
};

int holdfs_ctl_start(const char *path)
{
	int ret = ctl_server_listen(path, &holdfs_control);

	return ret ? ret : ctl_server_start();
}

void holdfs_ctl_stop(void)
{
	ctl_server_stop();
}
