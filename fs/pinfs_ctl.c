// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pinfs-ctl: send one command to a pinfs control socket and print the answer
 * (docs/control.md). Exit status 0 if the daemon answered "ok":true, 1 if it
 * answered an error, 2 if it could not be reached.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctl_conn.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pinfs-ctl SOCKET COMMAND [ARG...]\n"
		   "\n"
		   "Send COMMAND to the control socket of a pinfs mounted with -o control=SOCKET\n"
		   "and print the JSON answer. Commands (see docs/control.md):\n");
	for (int k = 0; k < CTL_NR_COMMANDS; k++)
		fprintf(f, "  %s\n", ctl_command_usage(k));
	fprintf(f, "\n"
		   "Exit status: 0 ok, 1 the daemon answered an error, 2 no answer.\n");
}

int main(int argc, char **argv)
{
	char line[CTL_MAX_REQUEST] = "", *answer;
	struct ctl_reply rep;
	struct ctl_conn *c;
	int err;

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
	for (int n = 2; n < argc; n++) {
		if (strlen(line) + strlen(argv[n]) + 2 >= sizeof(line)) {
			fprintf(stderr, "pinfs-ctl: command too long\n");
			return 2;
		}
		strcat(line, argv[n]);
		if (n + 1 < argc)
			strcat(line, " ");
	}
	c = ctl_open(argv[1]);
	if (!c) {
		fprintf(stderr, "pinfs-ctl: cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	err = ctl_send_line(c, line);
	if (err) {
		fprintf(stderr, "pinfs-ctl: write to %s: %s\n", argv[1], strerror(-err));
		ctl_close(c);
		return 2;
	}
	err = ctl_recv_line(c, CTL_MAX_REPLY, -1, &answer);
	if (err) {
		fprintf(stderr, "pinfs-ctl: no answer from %s\n", argv[1]);
		ctl_close(c);
		return 2;
	}
	puts(answer);
	err = ctl_reply_parse(NULL, answer, &rep);
	ctl_close(c);
	return err ? 1 : 0;
}
