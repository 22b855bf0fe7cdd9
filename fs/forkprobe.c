// SPDX-License-Identifier: GPL-2.0-or-later
/* What a forked child of the daemon can see (forkprobe.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forkprobe.h"

#define MAPS_MAX (4u << 20)
#define CHILD_SECONDS 30

enum { PROBE_ABSENT = 0, PROBE_FOUND = 1, PROBE_ERROR = 2 };

/* A mapping worth searching: readable, private, anonymous, not the kernel's pages. */
static bool searchable(const char *perms, unsigned long inode, const char *name)
{
	static const char *const skip[] = { "[vvar]", "[vvar_vclock]", "[vsyscall]", "[vdso]" };

	if (perms[0] != 'r' || perms[3] != 'p' || inode)
		return false;
	for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
		if (!strcmp(name, skip[k]))
			return false;
	return true;
}

/* In the child: the first mapping holding the needle, other than @self. */
static int child_search(const unsigned char *needle, size_t len, const void *self, char *maps,
			int out)
{
	ssize_t n, used = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char *line, *save = NULL;

	if (fd < 0)
		return PROBE_ERROR;
	while ((n = read(fd, maps + used, MAPS_MAX - 1 - used)) > 0)
		used += n;
	close(fd);
	maps[used] = 0;
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uintptr_t start, end;
		unsigned long inode;
		char perms[8], name[256] = "";
		const char *from, *hit;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*s %*s %lu %255s", &start, &end,
			   perms, &inode, name) < 4 ||
		    !searchable(perms, inode, name))
			continue;
		for (from = (const char *)start;
		     (hit = memmem(from, end - (uintptr_t)from, needle, len)) != NULL;
		     from = hit + 1) {
			if (hit == self)
				continue;
			if (write(out, line, strlen(line)) < 0)
				return PROBE_ERROR;
			return PROBE_FOUND;
		}
	}
	return PROBE_ABSENT;
}

int forkprobe(const unsigned char *encoded, size_t len, char *where, size_t wlen)
{
	char *maps = malloc(MAPS_MAX);	/* before fork: the child allocates nothing */
	int pipefd[2], status, ret;
	ssize_t got = 0, n;
	pid_t pid;

	if (!maps)
		return -ENOMEM;
	if (!len || len > CTL_FORKPROBE_MAX || pipe2(pipefd, O_CLOEXEC)) {
		free(maps);
		return len && len <= CTL_FORKPROBE_MAX ? -errno : -EINVAL;
	}
	pid = fork();
	if (pid == 0) {
		unsigned char needle[CTL_FORKPROBE_MAX];

		alarm(CHILD_SECONDS);
		close(pipefd[0]);
		for (size_t k = 0; k < len; k++)
			needle[k] = encoded[k] ^ CTL_FORKPROBE_KEY;
		_exit(child_search(needle, len, needle, maps, pipefd[1]));
	}
	close(pipefd[1]);
	if (pid < 0) {
		ret = -errno;
		close(pipefd[0]);
		free(maps);
		return ret;
	}
	while (got < (ssize_t)wlen - 1 && (n = read(pipefd[0], where + got, wlen - 1 - got)) > 0)
		got += n;
	where[got] = 0;
	close(pipefd[0]);
	free(maps);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == PROBE_ERROR)
		return -EIO;
	return WEXITSTATUS(status) == PROBE_FOUND;
}
