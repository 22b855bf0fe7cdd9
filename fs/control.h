/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket (-o control=PATH): statistics and the test hooks of
 * docs/control.md, served by a thread per connection.
 */
#ifndef PINFS_CONTROL_H
#define PINFS_CONTROL_H

#include <stddef.h>

/*
 * Listen on @path with mode 0600. Refuses a path that exists and is not a
 * socket, and a socket another process listens on; replaces a stale socket.
 * Call before daemonizing (errors must reach the caller) and while the process
 * has one thread (it sets the umask for a moment). Returns 0, or -errno after
 * one line on stderr.
 */
int control_listen(const char *path);

/*
 * Serve the socket: a thread accepts, a thread per connection. Call after
 * daemonizing. Returns 0, or -errno after one line on stderr.
 */
int control_start(void);

/*
 * Stop: remove the socket if the path still names it (not one another daemon
 * bound there since), stop accepting, end every connection and join its
 * thread, release every hold, stop the forker. Afterwards no thread of the
 * control socket runs and no hold parks a worker. Idempotent.
 */
void control_stop(void);

/* The JSON answer to "stats" into @buf (@len bytes). Returns 0, or -ENOSPC if it was cut short. */
int control_stats_json(char *buf, size_t len);

#endif
