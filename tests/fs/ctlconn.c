// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctlconn: one long-lived connection to a pinfs control socket
 * (docs/control.md), for tests that arm holds: a hold lives only as long as
 * the connection that armed it, and pinfs-ctl closes its connection after one
 * command.
 *
 * usage: ctlconn SOCKET
 *	Sends each line read from standard input as a command and writes the
 *	one-line answer to standard output, flushed. Ends at end of input
 *	(closing the connection, which releases its holds) or when the daemon
 *	closes it. Exit status 0, or 2 if the socket cannot be reached.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char line[1024], answer[65536];
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: ctlconn SOCKET\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "ctlconn: cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		size_t len = strlen(line), have = 0;

		if (len && line[len - 1] != '\n' && len + 1 < sizeof(line)) {
			line[len++] = '\n';
			line[len] = '\0';
		}
		if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
		while (have < sizeof(answer) - 1 && !memchr(answer, '\n', have)) {
			ssize_t n = read(fd, answer + have, sizeof(answer) - 1 - have);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				goto out;
			have += n;
		}
		fwrite(answer, 1, have, stdout);
		fflush(stdout);
	}
out:
	close(fd);
	return 0;
}
