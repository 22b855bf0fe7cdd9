// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pinfs's control socket: what it counts and its request holds, served by the
 * control socket server (ctl_server.h; protocol: docs/control.md).
 */
#include <string.h>

#include <pinit/ledger.h>
#include <pinit/page.h>
#include <pinit/warn.h>

#include "config.h"
#include "control.h"
#include "ctl_server.h"
#include "forkprobe.h"
#include "hold.h"
#include "passthrough.h"
#include "stats.h"
#include "transport_uring.h"

static void engine_stats(struct ctl_engine_stats *es, const struct stats_snapshot *s,
			 enum stats_engine k)
{
	es->read = s->engines[k].requests[STATS_READ];
	es->write = s->engines[k].requests[STATS_WRITE];
	es->p50_us = s->engines[k].p50_us;
	es->p90_us = s->engines[k].p90_us;
	es->p99_us = s->engines[k].p99_us;
	es->max_us = s->engines[k].max_us;
}

/* The answer to `stats`: the ledger's counts, the daemon's (stats.h) and its holds'. */
static void control_stats(struct ctl_stats *st)
{
	struct stats_snapshot s;
	struct ledger_stats ls;

	ledger_stats(&ls);
	st->pins.acquired = ls.pin_acquired;
	st->pins.released = ls.pin_released;
	/* Long-term pins (io_uring registrations) are held for the mount's life. */
	st->pins.longterm_held = (int64_t)(ls.longterm_acquired - ls.longterm_released);
	st->pins.outstanding =
		(int64_t)(ls.pin_acquired - ls.pin_released) - st->pins.longterm_held;
	st->pins.get_acquired = ls.get_acquired;
	st->pins.get_released = ls.get_released;
	st->pins.listed = ls.listed;
	st->pins.dirtied = ls.dirtied;
	st->pins.has_pinned = mm_has_pinned();
	memcpy(st->violations, ls.violations, sizeof(st->violations));
	st->violations_total = ledger_violation_total(&ls);
	st->warnings = pinit_warn_count();
	stats_snapshot(&s);
	st->bytes.direct = stats_path_bytes(&s, PATH_DIRECT);
	st->bytes.bounced = stats_path_bytes(&s, PATH_BOUNCED);
	st->bytes.buffered = stats_path_bytes(&s, PATH_BUFFERED);
	st->bytes.spliced = stats_path_bytes(&s, PATH_SPLICED);
	st->bytes.vmspliced = stats_path_bytes(&s, PATH_VMSPLICED);
	engine_stats(&st->engines.sync, &s, ENGINE_SYNC);
	engine_stats(&st->engines.uring, &s, ENGINE_URING);
	st->batches.submissions = s.batch_submissions;
	st->batches.reads = s.batch_reads;
	hold_counts(&st->holds.armed, &st->holds.held);
	transport_uring_stats(st);
	passthrough_counts(&st->passthrough.opens, &st->passthrough.backing_ids);
}

static const struct ctl_service pinfs_control = {
	.prog = "pinfs",
	.version = PINFS_VERSION,
	.stats = control_stats,
	.hold = hold_arm,
	.wait = hold_wait,
	.release = hold_release,
	.closed = hold_release_owner,
	.forkprobe = forkprobe,
};

int control_listen(const char *path)
{
	return ctl_server_listen(path, &pinfs_control);
}

int control_start(void)
{
	return ctl_server_start();
}

void control_stop(void)
{
	ctl_server_stop();
}
