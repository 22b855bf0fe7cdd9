/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fork helpers.
 *
 * A forker thread forks in a loop like dma_thread_diotest's (spec §5 #1): fork(); the child
 * _exit(0)s at once; waitpid; usleep. A kid is a forked child that waits for the parent's go
 * signals and reports a pattern check through a pipe. Children of a multi-threaded parent use
 * only async-signal-safe calls (read, write, _exit) and the allocation-free pattern checker.
 */
#ifndef FORKSTRESS_FORKER_H
#define FORKSTRESS_FORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "pattern.h"

struct forker {
	pthread_t thread;
	volatile bool stop;
	volatile unsigned long forks;
	unsigned int interval_us; /* sleep between forks (spec #1: 100) */
	int cpu; /* pin the thread to this CPU, or -1 (spec §7 H-4) */
	bool running;
	int error; /* errno of a failed fork, 0 if none */
};

/* Start forking in the background; return after the first fork (or failure). 0 or -errno. */
int forker_start(struct forker *f, unsigned int interval_us, int cpu);
/* Stop and join; returns the number of forks done. */
unsigned long forker_stop(struct forker *f);

/* A forked child with two pipes: parent → child (go signals), child → parent (reports). */
struct kid {
	pid_t pid;
	int go_fd; /* parent: write end; child: read end */
	int rep_fd; /* parent: read end; child: write end */
};

/* What a kid reports. */
struct kid_report {
	int ok; /* 1: check passed; 0: mismatch in m; -1: error */
	int err; /* errno for ok == -1 */
	int step; /* which step of the child's work this is about */
	long value; /* e.g. a syscall's return value */
	struct pat_mismatch m;
};

/*
 * fork() with the pipes set up. Returns 0 in the child, the pid in the parent, -errno on
 * failure.
 */
int kid_fork(struct kid *k);
/* Parent: let the child go on (one step). */
int kid_go(struct kid *k);
/* Child: wait for the parent's go; returns 0 or -1 when the parent went away. */
int kid_wait_go(struct kid *k);
/* Child: report and keep running. */
void kid_report(struct kid *k, const struct kid_report *r);
/* Parent: read a report within @timeout_ms; returns 0 or -errno. */
int kid_read_report(struct kid *k, struct kid_report *r, int timeout_ms);
/*
 * Parent: wait for the child to exit within @timeout_ms, killing it after that (and giving up
 * on it 5 s later if it cannot even die, e.g. stuck in a FUSE request). Returns the wait
 * status, or -ETIMEDOUT when it had to be killed.
 */
int kid_reap(struct kid *k, int timeout_ms);

/* Pin the calling thread to @cpu (no-op for cpu < 0). */
void pin_to_cpu(int cpu);

#endif
