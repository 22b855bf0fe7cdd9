/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's server (docs/control.md "The socket file"): it listens,
 * serves each connection on a thread of its own, answers `ping` and `forker`
 * itself and the other commands through its service. One per process.
 */
#ifndef PINFS_CTL_SERVER_H
#define PINFS_CTL_SERVER_H

#include "ctl_proto.h"

/*
 * What a server serves: the commands' work, in the terms of pinfs's holds
 * (hold.h), which a server may leave NULL (it answers that the command is
 * unsupported).
 */
struct ctl_service {
	const char *prog;	/* the program, in messages: "pinfs: control socket ..." */
	const char *version;	/* `ping`'s "version" */
	/* `stats` */
	void (*stats)(struct ctl_stats *st);
	/* `hold` from connection @owner (> 0): the hold's id (> 0), or -errno. */
	int (*hold)(const struct hold_spec *spec, int owner);
	/*
	 * `wait`: the requests parked (>= 0), up to @max of those caught in @out
	 * and their number in *@nout; -ETIMEDOUT, or -ENOENT for no such hold.
	 */
	int (*wait)(int id, unsigned int timeout_ms, struct held_request *out, int max, int *nout);
	/* `release` of hold @id (0: all; also at stop): the requests let go, or -ENOENT. */
	int (*release)(int id);
	/* Connection @owner has closed: release the holds it armed. */
	void (*closed)(int owner);
	/*
	 * `forkprobe`: fork once and search the child for the @len bytes at
	 * @encoded (each XOR CTL_FORKPROBE_KEY). 1 (and the mapping in @where),
	 * 0, or -errno.
	 */
	int (*forkprobe)(const unsigned char *encoded, size_t len, char *where, size_t wlen);
};

/*
 * Listen on @path with mode 0600 for @svc. Refuses a path that exists and is
 * not a socket, and a socket another process listens on; replaces a stale
 * socket. Call before daemonizing (errors must reach the caller) and while the
 * process has one thread (it sets the umask for a moment). Returns 0, or -errno
 * after one line on stderr.
 */
int ctl_server_listen(const char *path, const struct ctl_service *svc);

/*
 * Start serving: a thread accepts, a thread per connection. Call after
 * daemonizing. Returns 0, or -errno after one line on stderr.
 */
int ctl_server_start(void);

/*
 * Stop: remove the socket if the path still names it (not one another process
 * bound there since), stop accepting, answer commands that arrive meanwhile
 * "shutting down", end every connection and join its thread (releasing every
 * hold, so that a `wait` returns), stop the forker. Afterwards no thread of the
 * server runs. Idempotent.
 */
void ctl_server_stop(void);

#endif
