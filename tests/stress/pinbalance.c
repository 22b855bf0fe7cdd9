// SPDX-License-Identifier: GPL-2.0-or-later
/* Pin balance from /proc/vmstat (spec §7 H-3); see pinbalance.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "forkstress.h"
#include "pinbalance.h"

#define SAMPLE_US 20000
#define QUIET_MS 2500.0

/* Fold the per-CPU vmstat deltas into the global counters (root only). */
static bool refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

bool pins_in_flight(long long *out, bool *exact)
{
	FILE *f;
	char name[64];
	long long v, acq = -1, rel = -1;
	bool fresh = refresh();

	f = fopen("/proc/vmstat", "re");
	if (!f)
		return false;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acq = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			rel = v;
	}
	fclose(f);
	if (acq < 0 || rel < 0)
		return false;
	*out = acq - rel;
	if (exact)
		*exact = fresh;
	return true;
}

void pins_begin(struct pin_balance *pb, int window_ms)
{
	double end = now_sec() + window_ms / 1000.0;
	long long v;

	memset(pb, 0, sizeof(*pb));
	pb->before = LLONG_MAX;
	pb->max_seen = LLONG_MIN;
	pb->exact = true;
	do {
		bool exact;

		if (!pins_in_flight(&v, &exact))
			return;
		pb->exact &= exact;
		if (v < pb->before)
			pb->before = v;
		if (v > pb->max_seen)
			pb->max_seen = v;
		sleep_us(SAMPLE_US / 4);
	} while (now_sec() < end);
	pb->before_max = pb->max_seen;
	pb->available = true;
}

void pins_rebase(struct pin_balance *pb, const struct pin_balance *first)
{
	if (!pb->available || !first->available)
		return;
	pb->own_before = pb->before;
	pb->before = first->before + first->allowed;
	pb->before_max = first->before_max + first->allowed;
}

void pins_allow(struct pin_balance *pb, long long held)
{
	if (held <= 0)
		return;
	pb->allowed = held;
	if (pb->outcome == PINS_LEAK && pb->delta <= held + (pb->before_max - pb->before))
		pb->outcome = PINS_HELD;
}

/* Readings at or below this cannot be (part of) a leak. */
static long long leak_threshold(const struct pin_balance *pb)
{
	long long noise = pb->before_max - pb->before;

	/* on a busy machine an excess must clear the start's whole range once more */
	return noise ? pb->before_max + noise : pb->before;
}

void pins_end(struct pin_balance *pb, int timeout_ms)
{
	double start = now_sec(), end = start + timeout_ms / 1000.0, changed = start;
	long long v, prev = LLONG_MIN, threshold;

	if (!pb->available) {
		pb->outcome = PINS_UNAVAILABLE;
		return;
	}
	threshold = leak_threshold(pb);
	pb->after = LLONG_MAX;
	for (;;) {
		bool exact;

		if (!pins_in_flight(&v, &exact)) {
			pb->available = false;
			pb->outcome = PINS_UNAVAILABLE;
			return;
		}
		pb->exact &= exact;
		if (v != prev)
			changed = now_sec();
		prev = v;
		if (v < pb->after)
			pb->after = v;
		if (v > pb->max_seen)
			pb->max_seen = v;
		/* stop as soon as no leak is possible, else watch the excess for the whole time */
		if (v <= threshold || now_sec() >= end)
			break;
		sleep_us(SAMPLE_US);
	}
	pb->last = v;
	pb->quiet_ms = (now_sec() - changed) * 1000.0;
	pb->settle_ms = (now_sec() - start) * 1000.0;
	pb->delta = pb->after > pb->before ? pb->after - pb->before : 0;
	pb->spread = pb->max_seen - (pb->after < pb->before ? pb->after : pb->before);
	pb->outcome = pins_judge(pb);
}

enum pin_outcome pins_judge(const struct pin_balance *pb)
{
	bool noisy = pb->before_max > pb->before;

	if (!pb->available)
		return PINS_UNAVAILABLE;
	if (pb->after <= pb->before)
		return noisy ? PINS_NOISY : PINS_BALANCED;
	if (!pb->exact)
		return PINS_APPROXIMATE;
	if (noisy) /* busy machine: only an excess far beyond the start's range counts */
		return pb->after > leak_threshold(pb) && pb->settle_ms >= QUIET_MS ? PINS_LEAK
										   : PINS_NOISY;
	if (pb->quiet_ms < QUIET_MS || pb->last != pb->after)
		return PINS_UNATTRIBUTABLE; /* still moving when time ran out */
	return PINS_LEAK; /* still start, then constant above it for QUIET_MS */
}

const char *pins_outcome_name(enum pin_outcome o)
{
	switch (o) {
	case PINS_BALANCED:
		return "balanced";
	case PINS_LEAK:
		return "leak";
	case PINS_UNATTRIBUTABLE:
		return "unattributable";
	case PINS_NOISY:
		return "noisy";
	case PINS_HELD:
		return "held";
	case PINS_APPROXIMATE:
		return "approximate";
	case PINS_UNAVAILABLE:
		break;
	}
	return "unavailable";
}
