// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket's forker; see ctl_forker.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_forker.h"

/*
 * Starting and stopping the forker. Lock order (docs/design.md): after
 * conns_lock. It is held while joining the forker, whose fork() runs the pin
 * ledger's fork check (lib/ledger.c last_lock): that comes after it.
 */
static pthread_mutex_t forker_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t forker_thread;
static atomic_bool running;
static atomic_ulong forks;
static unsigned int interval;

static void *forker_main(void *arg)
{
	while (atomic_load(&running)) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			atomic_fetch_add(&forks, 1);
		}
		if (interval)
			usleep(interval);
	}
	return NULL;
}

int ctl_forker_start(unsigned int interval_us)
{
	int ret = 0;

	pthread_mutex_lock(&forker_lock);
	if (!atomic_load(&running)) {
		interval = interval_us;
		atomic_store(&forks, 0);
		atomic_store(&running, true);
		ret = -pthread_create(&forker_thread, NULL, forker_main, NULL);
		if (ret)
			atomic_store(&running, false);
	}
	pthread_mutex_unlock(&forker_lock);
	return ret;
}

unsigned long ctl_forker_stop(void)
{
	pthread_mutex_lock(&forker_lock);
	if (atomic_load(&running)) {
		atomic_store(&running, false);
		pthread_join(forker_thread, NULL);
	}
	pthread_mutex_unlock(&forker_lock);
	return atomic_load(&forks);
}
