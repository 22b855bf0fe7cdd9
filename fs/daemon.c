// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Going to the background (daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

static int ready_fd = -1;	/* the write end of the pipe the caller's process waits on */

/* The caller's process: exit 0 at the daemon's word, else with the daemon's status. */
static void __attribute__((noreturn)) wait_for_daemon(pid_t pid, int fd)
{
	int status;
	ssize_t n;
	char ok;

	do
		n = read(fd, &ok, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

int daemon_detach(bool foreground)
{
	int fds[2], err;
	pid_t pid;

	if (foreground)
		goto out;
	if (pipe2(fds, O_CLOEXEC))
		goto fail;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(fds[0]);
		close(fds[1]);
		errno = err;
		goto fail;
	}
	if (pid > 0) {
		close(fds[1]);
		wait_for_daemon(pid, fds[0]);
	}
	close(fds[0]);
	ready_fd = fds[1];
	if (setsid() < 0)
		goto fail;
out:
	if (!chdir("/"))
		return 0;
fail:
	err = errno;
	fprintf(stderr, "pinfs: cannot start the daemon: %s\n", strerror(err));
	return -err;
}

void daemon_ready(void)
{
	char ok = 1;
	ssize_t n;
	int null;

	if (ready_fd < 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	n = write(ready_fd, &ok, 1);	/* fails only if the caller's process is gone */
	(void)n;
	close(ready_fd);
	ready_fd = -1;
}
