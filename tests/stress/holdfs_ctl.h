/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * holdfs's side of the control socket (docs/control.md): its holds and what it counts, served by
 * pinfs's control socket server (fs/ctl_server.h), so that forkstress's deterministic mode and
 * its daemon-side scenarios can be exercised without pinfs. holdfs is a test fixture, not pinfs:
 * it has no pin ledger (stats report zeros), and its `receive` point parks every request inside
 * its handler (after /dev/fuse delivered it), not before it is read; `wait` on any hold answers
 * once the hold has caught a request, and `release` of an unknown hold releases nothing.
 */
#ifndef HOLDFS_CTL_H
#define HOLDFS_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/ctl_proto.h"

/* Park the calling request if an armed hold matches it (returns when released or timed out). */
void holdfs_check(enum hold_point at, enum hold_op op, uint64_t ino, uint64_t off, uint64_t len);

/* Byte and request counters reported by `stats`. */
void holdfs_count(bool read, bool direct, bool spliced, uint64_t bytes);

/* Serve the control socket at @path; returns 0 or -errno (after a line on stderr). */
int holdfs_ctl_start(const char *path);
/* Stop serving: every hold released, the socket removed. */
void holdfs_ctl_stop(void);

#endif
