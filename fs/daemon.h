/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Going to the background without losing the errors that come after fork().
 *
 * The worker threads, their MADV_DONTFORK buffers and the control socket's
 * threads cannot be made before fork(), and they can fail. So the caller's
 * process waits: daemon_detach() forks, and the original process exits only
 * when the daemon calls daemon_ready() (status 0) or ends first (with the
 * daemon's own exit status, after the daemon has unmounted). Until it is
 * ready, the daemon's standard error is still the caller's, so its error
 * messages arrive before the shell prompt. The daemon gets its own session
 * and "/" as its working directory; at daemon_ready() its standard streams
 * go to /dev/null.
 */
#ifndef PINFS_DAEMON_H
#define PINFS_DAEMON_H

#include <stdbool.h>

/*
 * Fork; returns in the daemon: 0, or -errno after one line on stderr. With
 * @foreground nothing forks; only the working directory changes.
 */
int daemon_detach(bool foreground);

/* Release the waiting caller with status 0. Does nothing without daemon_detach(). */
void daemon_ready(void);

#endif
