/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File and buffer helpers shared by the scenarios: pattern files, the O_DIRECT open with the
 * spec §7 H-5 check, page-aligned anonymous buffers, and "is this thread blocked in a syscall"
 * for deterministic interleavings.
 */
#ifndef FORKSTRESS_FILEIO_H
#define FORKSTRESS_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sc_ctx;

/*
 * Create (truncate) @path with @size bytes of pattern (@fid, gen @gen, pattern offset = file
 * offset), written buffered and fsync'ed. Returns 0 or -errno.
 */
int make_pattern_file(const char *path, size_t size, unsigned int fid, unsigned int gen);

/* Overwrite [off, off+len) of @fd with pattern (@fid, @gen) through a buffered write. */
int write_pattern(int fd, uint64_t off, size_t len, unsigned int fid, unsigned int gen);

/*
 * open(@path, @flags | O_DIRECT). The first failure with EINVAL (spec §7 H-5: O_DIRECT not
 * supported) is recorded as a skip of the current subcase; other errors are failures.
 * Returns the fd or -errno.
 */
int sc_open_direct(struct sc_ctx *sc, const char *path, int flags);

/* open() that records a failure on error. */
int sc_open(struct sc_ctx *sc, const char *path, int flags);

/* pread/pwrite the whole length (loops over short counts); returns bytes or -errno. */
ssize_t pread_full(int fd, void *buf, size_t len, off_t off);
ssize_t pwrite_full(int fd, const void *buf, size_t len, off_t off);

/*
 * Anonymous private mapping of @len bytes aligned to @align (a power of two ≥ page size),
 * populated for writing. Returns NULL on failure. Free with unmap_buffer(p, len).
 */
void *map_buffer(size_t len, size_t align);
void unmap_buffer(void *p, size_t len);

/* Remove everything below @dir; with @self also @dir itself. Returns 0 or -errno. */
int remove_tree(const char *dir, bool self);

/* The kernel thread id of the caller. */
pid_t my_tid(void);

/*
 * Wait until thread @tid (of this process) is asleep inside syscall @nr (x86-64 numbers, as
 * /proc/self/task/TID/syscall shows them). Returns 0, or -ETIMEDOUT after @timeout_ms.
 */
int wait_in_syscall(pid_t tid, long nr, int timeout_ms);

#endif
