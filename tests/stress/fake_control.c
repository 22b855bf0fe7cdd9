// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-control: a control socket (docs/control.md) with no file system behind it, for testing
 * forkstress's ledger check without pinfs (detect-ledger.sh). It is served by pinfs's control
 * socket server (fs/ctl_server.h), answers `stats` with a ledger of its own making, and does
 * not do `hold` or `wait`.
 *
 *   fake-control SOCKET clean   stats always show a balanced ledger
 *   fake-control SOCKET dirty   from the second `stats` on: a leaked pin, violations
 *                               (fork_unprotected, leak) and warnings grow with each call
 *
 * It serves until SIGTERM or SIGINT, then removes SOCKET.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "fs/ctl_server.h"

static bool dirty;
static atomic_uint calls;

/* The ledger after @n calls of `stats`. */
static void ledger(struct ctl_stats *st, unsigned int n)
{
	unsigned int bad = dirty && n > 1 ? n : 0;

	st->pins.acquired = 100 + bad;
	st->pins.released = 100;
	st->pins.outstanding = bad;
	st->pins.has_pinned = true;
	st->violations[LV_LEAK] = bad;
	st->violations[LV_FORK_UNPROTECTED] = bad;
	st->violations_total = 2 * bad;
	st->warnings = bad;
}

static void stats(struct ctl_stats *st)
{
	ledger(st, atomic_fetch_add(&calls, 1) + 1);
}

/* `release` lets nothing go: nothing is ever held. */
static int release(int id)
{
	return 0;
}

static const struct ctl_service fake_control = {
	.prog = "fake-control",
	.version = "fake",
	.stats = stats,
	.release = release,
};

int main(int argc, char **argv)
{
	sigset_t stop;
	int sig;

	if (argc != 3 || (strcmp(argv[2], "clean") && strcmp(argv[2], "dirty"))) {
		fprintf(stderr, "usage: fake-control SOCKET clean|dirty\n");
		return 2;
	}
	dirty = !strcmp(argv[2], "dirty");
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);	/* the server's threads inherit the mask */
	if (ctl_server_listen(argv[1], &fake_control) || ctl_server_start())
		return 1;
	sigwait(&stop, &sig);
	ctl_server_stop();
	return 0;
}
