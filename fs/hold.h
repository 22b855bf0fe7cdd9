/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request holds: the test hooks that park a chosen request at a chosen point
 * so that a race becomes a deterministic interleaving (spec §7 H-1; protocol in
 * docs/control.md). Free when nothing is armed: one relaxed atomic load.
 */
#ifndef PINFS_HOLD_H
#define PINFS_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_proto.h"	/* the holds' terms: hold_point, hold_op, hold_spec, held_request */

/* ---- the request path ---- */

/*
 * Park here if a hold at @at matches this request; returns once it is
 * released. The data path's one caller is data_req_point() (data_req.h): each
 * READ and WRITE passes HOLD_DATA and HOLD_REPLY exactly once.
 */
void hold_check(enum hold_point at, enum hold_op op, uint64_t ino, uint64_t off, uint64_t len);

/* True while a hold is armed (one relaxed load). */
bool hold_any_armed(void);

/*
 * The receive gate. Workers that can be gated call hold_gate_enter() before each
 * read of /dev/fuse (it parks them while a receive hold is armed) and poll
 * hold_gate_fd() alongside /dev/fuse, which becomes readable when the gate
 * closes. hold_set_workers() says how many workers must be parked before a
 * receive hold counts as armed.
 */
void hold_set_workers(unsigned int n);
void hold_gate_enter(void);
int hold_gate_fd(void);
bool hold_gate_closed(void);

/* ---- the control side ---- */

/* Arm a hold for connection @owner; returns its id (> 0) or a negative errno. */
int hold_arm(const struct hold_spec *spec, int owner);

/*
 * Wait up to @timeout_ms until hold @id has parked a request; copies up to @max
 * of the requests it caught into @out and their number into *@nout (none for a
 * receive hold: its requests are still in the kernel). Returns the number
 * parked, -ETIMEDOUT, or -ENOENT.
 */
int hold_wait(int id, unsigned int timeout_ms, struct held_request *out, int max, int *nout);

/* Release hold @id (0: every hold); returns the requests let go, or -ENOENT. */
int hold_release(int id);

/* Release every hold armed by @owner (its connection closed). */
void hold_release_owner(int owner);

/* Holds armed and requests parked right now. */
void hold_counts(unsigned int *armed, unsigned int *held);

#endif
