// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pinfs-ctl: send one command to a pinfs control socket and print the answer
 * (docs/control.md). Exit status 0 if the daemon answered "ok":true, 1 if it
 * answered an error, 2 if it could not be reached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pinfs-ctl SOCKET COMMAND [ARG...]\n"
		"\n"
		"Send COMMAND to the control socket of a pinfs mounted with -o control=SOCKET\n"
		"and print the JSON answer. Commands (see docs/control.md):\n"
		"  ping\n"
		"  stats\n"
		"  hold at=receive|data|reply [op=read|write|any] [ino=N] [off=N] [len=N]\n"
		"       [count=N] [timeout_ms=N]\n"
		"  wait id=N [timeout_ms=N]\n"
		"  release id=N | release all\n"
		"  forker on [interval_us=N] | forker off\n"
		"\n"
		"Exit status: 0 ok, 1 the daemon answered an error, 2 no answer.\n");
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[1024] = "", answer[65536];
	size_t have = 0;
	int fd;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("pinfs-ctl %s\n", PINFS_VERSION);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "pinfs-ctl: socket path too long: %s\n", argv[1]);
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	for (int n = 2; n < argc; n++) {
		if (strlen(line) + strlen(argv[n]) + 2 >= sizeof(line)) {
			fprintf(stderr, "pinfs-ctl: command too long\n");
			return 2;
		}
		strcat(line, argv[n]);
		strcat(line, n + 1 < argc ? " " : "\n");
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "pinfs-ctl: cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "pinfs-ctl: write to %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while (have < sizeof(answer) - 1 && !memchr(answer, '\n', have)) {
		ssize_t n = read(fd, answer + have, sizeof(answer) - 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
	}
	close(fd);
	if (!have) {
		fprintf(stderr, "pinfs-ctl: no answer from %s\n", argv[1]);
		return 2;
	}
	answer[have] = '\0';
	fputs(answer, stdout);
	return strstr(answer, "\"ok\":true") ? 0 : 1;
}
