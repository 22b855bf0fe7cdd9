/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-operation counters of the daemon: calls and errors per FUSE operation,
 * bytes moved, and a few inode-table and payload facts.
 *
 * Relaxed atomics, no lock. opstats_print() writes them when a foreground
 * daemon exits; the control socket's "stats" does not serve them (it serves
 * stats.h's counters).
 */
#ifndef PINFS_OPSTATS_H
#define PINFS_OPSTATS_H

#include <stdatomic.h>
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

struct pinfs_stats {
	atomic_uint_fast64_t calls[PINFS_OP_NR];
	atomic_uint_fast64_t errors[PINFS_OP_NR];
	atomic_uint_fast64_t bytes_read;
	atomic_uint_fast64_t bytes_written;
	atomic_uint_fast64_t caps_cache_hits; /* security.capability answered from cache */
	atomic_uint_fast64_t handle_reopens; /* O_PATH fds reopened by file handle */
	atomic_uint_fast64_t fd_evictions; /* O_PATH fds closed by the LRU */
	atomic_uint_fast64_t write_payload_aligned; /* WRITE payloads on a page boundary */
	atomic_uint_fast64_t write_payload_unaligned;
};

/* Count one call of @op that ended with @err (0 or -errno). */
static inline void stats_count(struct pinfs_stats *s, enum pinfs_stat_op op, int err)
{
	atomic_fetch_add_explicit(&s->calls[op], 1, memory_order_relaxed);
	if (err)
		atomic_fetch_add_explicit(&s->errors[op], 1, memory_order_relaxed);
}

static inline void stats_add(atomic_uint_fast64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

/* The operation's name ("lookup", ...). */
const char *opstats_name(enum pinfs_stat_op op);

/* One "name calls errors" line per operation that was called, then the totals. */
void opstats_print(struct pinfs_stats *s, FILE *out);

#endif
