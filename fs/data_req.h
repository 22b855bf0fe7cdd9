/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One READ or WRITE through the daemon, from its receipt to its end, and the
 * named points on its way where the data path (ops_data.c) meets the request
 * holds (hold.h, spec §7 H-1) and the statistics (stats.h):
 *
 *   data_req_begin()              received: the request's terms, its clock started
 *   data_req_point(HOLD_DATA)     planned, before the request's data is touched
 *   data_req_point(HOLD_REPLY)    the backing I/O completed, before the reply
 *   data_req_end()                replied to and released: counted, once
 *
 * Every request passes each point exactly once, whichever way its data moves
 * (splice, arena pages, ring payload, the thread's own buffer, queued or not).
 * A request refused before its HOLD_DATA point ends with data_req_refused()
 * instead: no engine served it.
 *
 * The record keeps what the points need (the inode number, the engine), so
 * nothing of the file is used after the reply, when another worker may
 * already have released it.
 */
#ifndef PINFS_DATA_REQ_H
#define PINFS_DATA_REQ_H

#include <stdint.h>
#include <sys/types.h>

#include "ctl_proto.h"	/* enum hold_point */
#include "stats.h"

struct pinfs_file;

struct data_req {
	enum stats_dir dir;
	enum stats_engine engine;
	uint64_t ino, off, len;
	uint64_t start_ns;
};

/* Receipt of @len bytes at @off of @f in direction @dir. */
void data_req_begin(struct data_req *dr, enum stats_dir dir, const struct pinfs_file *f,
		    off_t off, size_t len);

/* Named point @at (HOLD_DATA or HOLD_REPLY): park here if a hold matches (hold.h). */
void data_req_point(const struct data_req *dr, enum hold_point at);

/* The end of a request an engine served, with its @result (bytes or -errno). */
void data_req_end(const struct data_req *dr, ssize_t result);

/* The end of a request refused with @err (-errno) before its HOLD_DATA point. */
void data_req_refused(const struct data_req *dr, int err);

#endif
