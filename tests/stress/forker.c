// SPDX-License-Identifier: GPL-2.0-or-later
/* Fork helpers; see forker.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forker.h"
#include "forkstress.h"

void pin_to_cpu(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpu < 0 || n <= 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % n, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *forker_main(void *arg)
{
	struct forker *f = arg;

	pin_to_cpu(f->cpu);
	while (!f->stop) {
		pid_t pid = fork_counted();

		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			f->error = errno;
			sleep_us(1000);
			continue;
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		f->forks++;
		if (f->interval_us)
			sleep_us(f->interval_us);
	}
	return NULL;
}

int forker_start(struct forker *f, unsigned int interval_us, int cpu)
{
	int ret;

	memset(f, 0, sizeof(*f));
	f->interval_us = interval_us;
	f->cpu = cpu;
	ret = pthread_create(&f->thread, NULL, forker_main, f);
	if (ret)
		return -ret;
	f->running = true;
	return 0;
}

unsigned long forker_stop(struct forker *f)
{
	if (f->running) {
		f->stop = true;
		pthread_join(f->thread, NULL);
		f->running = false;
	}
	return f->forks;
}

int kid_fork(struct kid *k)
{
	int go[2], rep[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(rep, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork_counted();
	if (pid < 0) {
		int e = errno;

		close(go[0]);
		close(go[1]);
		close(rep[0]);
		close(rep[1]);
		return -e;
	}
	if (pid == 0) {
		close(go[1]);
		close(rep[0]);
		k->pid = 0;
		k->go_fd = go[0];
		k->rep_fd = rep[1];
		return 0;
	}
	close(go[0]);
	close(rep[1]);
	k->pid = pid;
	k->go_fd = go[1];
	k->rep_fd = rep[0];
	return pid;
}

int kid_go(struct kid *k)
{
	char c = 'g';

	return write(k->go_fd, &c, 1) == 1 ? 0 : -errno;
}

int kid_wait_go(struct kid *k)
{
	char c;
	ssize_t r;

	do {
		r = read(k->go_fd, &c, 1);
	} while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

void kid_report(struct kid *k, const struct kid_report *r)
{
	const char *p = (const char *)r;
	size_t left = sizeof(*r);

	while (left) {
		ssize_t w = write(k->rep_fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		left -= (size_t)w;
	}
}

int kid_read_report(struct kid *k, struct kid_report *r, int timeout_ms)
{
	char *p = (char *)r;
	size_t left = sizeof(*r);

	while (left) {
		struct pollfd pfd = {.fd = k->rep_fd, .events = POLLIN};
		int pr = poll(&pfd, 1, timeout_ms);
		ssize_t n;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return pr == 0 ? -ETIMEDOUT : -errno;
		n = read(k->rep_fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

int kid_reap(struct kid *k, int timeout_ms)
{
	double end = now_sec() + timeout_ms / 1000.0;
	int status = 0;
	bool killed = false;

	if (k->pid <= 0)
		return 0;
	close(k->go_fd); /* a child waiting for go sees EOF and finishes */
	k->go_fd = -1;
	for (;;) {
		pid_t r = waitpid(k->pid, &status, WNOHANG);

		if (r == k->pid || (r < 0 && errno != EINTR))
			break;
		if (!killed && now_sec() > end) {
			kill(k->pid, SIGKILL);
			killed = true;
			end = now_sec() + 5;
		} else if (killed && now_sec() > end) {
			break; /* unkillable (D state): leave it to the runner's group kill */
		}
		sleep_us(1000);
	}
	close(k->rep_fd);
	k->rep_fd = -1;
	k->pid = 0;
	return killed ? -ETIMEDOUT : status;
}
