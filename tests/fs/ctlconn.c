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

#include "fs/ctl_conn.h"

int main(int argc, char **argv)
{
	char line[CTL_MAX_REQUEST], *answer;
	struct ctl_conn *c;

	if (argc != 2) {
		fprintf(stderr, "usage: ctlconn SOCKET\n");
		return 2;
	}
	c = ctl_open(argv[1]);
	if (!c) {
		fprintf(stderr, "ctlconn: cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (ctl_send_line(c, line) || ctl_recv_line(c, CTL_MAX_REPLY, -1, &answer))
			break;
		puts(answer);
		fflush(stdout);
	}
	ctl_close(c);
	return 0;
}
