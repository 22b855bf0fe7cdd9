// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One READ or WRITE's record and its named points; see data_req.h.
 */
#include "data_req.h"
#include "engine.h"
#include "file.h"
#include "hold.h"
#include "inode.h"

void data_req_begin(struct data_req *dr, enum stats_dir dir, const struct pinfs_file *f,
		    off_t off, size_t len)
{
	*dr = (struct data_req){ .dir = dir, .engine = f->engine->kind, .ino = f->inode->ino,
				 .off = off, .len = len, .start_ns = stats_now_ns() };
}

void data_req_point(const struct data_req *dr, enum hold_point at)
{
	hold_check(at, dr->dir == STATS_READ ? HOLD_OP_READ : HOLD_OP_WRITE, dr->ino, dr->off,
		   dr->len);
}

void data_req_end(const struct data_req *dr, ssize_t result)
{
	stats_count_data(dr->dir, dr->engine, result < 0 ? (int)result : 0,
			 stats_now_ns() - dr->start_ns);
}

void data_req_refused(const struct data_req *dr, int err)
{
	stats_count_op(stats_data_op(dr->dir), err);
}
