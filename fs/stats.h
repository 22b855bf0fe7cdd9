/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's statistics, one set per process: calls and errors per FUSE
 * operation, bytes by data path and direction, READ and WRITE requests and
 * their latency per engine, engine=uring's batched submissions, and a few
 * events of the inode table and the payloads.
 *
 * A READ or WRITE is counted once, at its end (stats_count_data() from
 * data_req.h): its call and the engine's request together.
 *
 * Counting is a relaxed atomic add, no lock. stats_snapshot() reads them all
 * at once; the control socket's `stats` (control.c, docs/control.md) and the
 * foreground daemon's exit summary (stats_print()) are made from it.
 */
#ifndef PINFS_STATS_H
#define PINFS_STATS_H

#include <stdint.h>
#include <stdio.h>

/* clang-format off */
#define PINFS_STAT_OPS(X)                                                              \
	X(LOOKUP, "lookup") X(FORGET, "forget") X(GETATTR, "getattr")                  \
	X(SETATTR, "setattr") X(READLINK, "readlink") X(MKNOD, "mknod")                \
	X(MKDIR, "mkdir") X(UNLINK, "unlink") X(RMDIR, "rmdir")                        \
	X(SYMLINK, "symlink") X(RENAME, "rename") X(LINK, "link") X(OPEN, "open")      \
	X(CREATE, "create") X(READ, "read") X(WRITE, "write") X(FLUSH, "flush")        \
	X(RELEASE, "release") X(FSYNC, "fsync") X(OPENDIR, "opendir")                  \
	X(READDIR, "readdir") X(READDIRPLUS, "readdirplus")                            \
	X(RELEASEDIR, "releasedir") X(FSYNCDIR, "fsyncdir") X(STATFS, "statfs")        \
	X(SETXATTR, "setxattr") X(GETXATTR, "getxattr") X(LISTXATTR, "listxattr")      \
	X(REMOVEXATTR, "removexattr") X(ACCESS, "access") X(FALLOCATE, "fallocate")    \
	X(COPY_FILE_RANGE, "copy_file_range") X(LSEEK, "lseek") X(GETLK, "getlk")      \
	X(SETLK, "setlk") X(FLOCK, "flock")

enum pinfs_stat_op {
#define PINFS_STAT_ENUM(id, name) PINFS_OP_##id,
	PINFS_STAT_OPS(PINFS_STAT_ENUM)
#undef PINFS_STAT_ENUM
	PINFS_OP_NR
};
/* clang-format on */

/* How a request's data moved between it and the backing file. */
enum stats_path {
	PATH_DIRECT,	/* O_DIRECT on the backing file straight from/to the request buffer */
	PATH_BOUNCED,	/* O_DIRECT through arena pages (one copy) */
	PATH_BUFFERED,	/* the backing file's page cache */
	PATH_SPLICED,	/* moved through a pipe without a userspace copy */
	/*
	 * READ replies vmspliced from the daemon's pages (-o vmsplice): how the
	 * reply went, not the backing I/O; those bytes are counted on their
	 * backing read's path too.
	 */
	PATH_VMSPLICED,
	PATH_NR
};

enum stats_dir { STATS_READ, STATS_WRITE, STATS_DIRS };

enum stats_engine { ENGINE_SYNC, ENGINE_URING, ENGINE_NR };

enum stats_event {
	STATS_CAPS_CACHE_HIT,	/* security.capability answered from the cache */
	STATS_HANDLE_REOPEN,	/* an O_PATH descriptor reopened by file handle */
	STATS_FD_EVICTION,	/* an O_PATH descriptor closed by the LRU */
	STATS_PAYLOAD_ALIGNED,	/* a WRITE payload on a page boundary */
	STATS_PAYLOAD_UNALIGNED, /* a WRITE payload elsewhere */
	STATS_EVENT_NR
};

/* ---- counting ---- */

/* One call of @op that ended with @err (0 or -errno); READ and WRITE: stats_count_data(). */
void stats_count_op(enum pinfs_stat_op op, int err);

/* @bytes of a request moved by @path in direction @dir. */
void stats_count_bytes(enum stats_path path, enum stats_dir dir, uint64_t bytes);

/* The operation that moves data in direction @dir. */
static inline enum pinfs_stat_op stats_data_op(enum stats_dir dir)
{
	return dir == STATS_READ ? PINFS_OP_READ : PINFS_OP_WRITE;
}

/*
 * One READ or WRITE (@dir) that an engine served, counted once at its end
 * (data_req.h): a call of its operation that ended with @err (0 or -errno),
 * and a request of @engine that took @ns from receipt to its end.
 */
void stats_count_data(enum stats_dir dir, enum stats_engine engine, int err, uint64_t ns);

/* One submission of @reads queued READs (engine.h flush()). */
void stats_count_batch(unsigned int reads);

void stats_count_event(enum stats_event event);

/* Monotonic nanoseconds, for latency measurement. */
uint64_t stats_now_ns(void);

/* ---- reading ---- */

struct stats_snapshot {
	uint64_t calls[PINFS_OP_NR], errors[PINFS_OP_NR];
	uint64_t bytes[STATS_DIRS][PATH_NR];
	struct {
		uint64_t requests[STATS_DIRS];
		/* latency percentiles of all its requests, in microseconds */
		uint64_t p50_us, p90_us, p99_us, max_us;
	} engines[ENGINE_NR];
	uint64_t batch_submissions, batch_reads;
	uint64_t events[STATS_EVENT_NR];
};

/* Everything counted so far (each counter read atomically, the set not a consistent cut). */
void stats_snapshot(struct stats_snapshot *s);

/* The bytes @path moved, both directions. */
uint64_t stats_path_bytes(const struct stats_snapshot *s, enum stats_path path);

/*
 * The exit summary of a foreground daemon: one "name calls errors" line per
 * operation that was called, the bytes read and written (by the backing
 * paths), the WRITE payloads' alignment, the inode table's events.
 */
void stats_print(const struct stats_snapshot *s, FILE *out);

#endif
