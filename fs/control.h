/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket (-o control=PATH): statistics and the test hooks of
 * docs/control.md, served by a thread per connection.
 */
#ifndef PINFS_CONTROL_H
#define PINFS_CONTROL_H

#include <stddef.h>

/*
 * Listen on @path (replacing a stale socket there). Call after daemonizing:
 * the server runs in threads. Returns 0 or a negative errno.
 */
int control_start(const char *path);

/* Stop listening, remove the socket, release every hold, stop the forker. */
void control_stop(void);

/* The JSON answer to "stats" (also used by the daemon's exit summary). */
int control_stats_json(char *buf, size_t len);

#endif
