/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The forker of the control socket's `forker` command (docs/control.md): a
 * thread that forks in a loop, each child exiting at once, so that the daemon's
 * own buffers meet fork() while it serves requests (spec §5 scenarios 21, 22,
 * 25).
 */
#ifndef PINFS_CTL_FORKER_H
#define PINFS_CTL_FORKER_H

/*
 * Start forking, @interval_us between forks, and count from 0 (running
 * already: nothing changes). Returns 0 or -errno.
 */
int ctl_forker_start(unsigned int interval_us);

/* Stop forking (idle: nothing to stop). Returns the forks since the last start. */
unsigned long ctl_forker_stop(void);

#endif
