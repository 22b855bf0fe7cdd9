/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client of pinfs's control socket (docs/control.md): one command per line, one JSON line back.
 * Holds armed on a connection are released by pinfs when that connection closes, so every
 * scenario process opens its own connection.
 */
#ifndef FORKSTRESS_CONTROL_H
#define FORKSTRESS_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ctl;

/* The `stats` fields forkstress judges (spec §2.6 P-5, M-2). */
struct pinfs_stats {
	double pins_acquired, pins_released, pins_outstanding;
	double pins_longterm; /* long-term pins held for the mount's life (io_uring arena) */
	double violations_total;
	double warnings;
	double bytes_direct, bytes_bounced, bytes_buffered, bytes_spliced, bytes_vmspliced;
	double uring_reads, uring_writes;
	char violations_json[256]; /* the "violations" object as pinfs sent it */
};

/* Connect; returns NULL (errno set) on failure. */
struct ctl *ctl_open(const char *path);
void ctl_close(struct ctl *c);

/*
 * Send one command and read the one-line answer into @resp. Returns 0 when the answer has
 * "ok": true, -EPROTO when "ok" is false (the error text is in @resp), -errno on I/O errors.
 */
int ctl_cmd(struct ctl *c, char *resp, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* `ping`; returns 0 when the daemon answers. */
int ctl_ping(struct ctl *c);

/*
 * `hold at=@at op=@op ino=@ino off=@off len=@len count=@count timeout_ms=@timeout_ms`; returns
 * the hold id (> 0) or -errno. @len 0 = to the end of the file; @ino 0 = any.
 */
int ctl_hold(struct ctl *c, const char *at, const char *op, uint64_t ino, uint64_t off,
	     uint64_t len, unsigned int count, unsigned int timeout_ms);
/* `wait id=N`: returns the number of parked requests (> 0) or -errno (-ETIMEDOUT). */
int ctl_wait(struct ctl *c, int id, unsigned int timeout_ms);
/* `release id=N`; @id 0 = `release all`. Returns the number released or -errno. */
int ctl_release(struct ctl *c, int id);
/*
 * `forker on interval_us=N` / `forker off`; off adds the daemon's forks since on to the running
 * scenario's count (forks_count).
 */
int ctl_forker(struct ctl *c, bool on, unsigned int interval_us);
/* `stats`, parsed. */
int ctl_stats(struct ctl *c, struct pinfs_stats *st);
/*
 * Call @fn for each violation kind (lib/include/pinit/ledger.h, by pinfs's names) whose count
 * changed from @before to @after, with the change; "total" is not a kind.
 */
void ctl_violation_changes(const struct pinfs_stats *before, const struct pinfs_stats *after,
			   void (*fn)(const char *kind, double change, void *arg), void *arg);

#endif
