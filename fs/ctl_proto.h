/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's protocol (docs/control.md), both ways: the command
 * table, a request as a line and back, a reply as a JSON line and back. Every
 * server (pinfs, holdfs, the tests' fake) and every client (pinfs-ctl,
 * forkstress, ctlconn) speaks it through this module; ctl_conn.h carries the
 * lines. No I/O here.
 */
#ifndef PINFS_CTL_PROTO_H
#define PINFS_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinit/ledger_violations.h>

#define CTL_MAX_REQUEST 1024	/* the longest request line, its newline included */
#define CTL_MAX_REPLY 65536	/* the longest reply line, its newline included */
#define CTL_MAX_LISTED 16	/* the most requests a `wait` answer lists */
#define CTL_MAX_ERROR 256	/* an error text, its NUL included */
#define CTL_FORKPROBE_MAX 256	/* the longest `forkprobe` needle, in bytes */
#define CTL_FORKPROBE_KEY 0x5a	/* each needle byte travels XOR this (forkprobe.h) */

/* The commands, in docs/control.md's order. */
enum ctl_command {
	CTL_PING,
	CTL_STATS,
	CTL_HOLD,
	CTL_WAIT,
	CTL_RELEASE,
	CTL_FORKER,
	CTL_FORKPROBE,
	CTL_NR_COMMANDS
};

/* Where a hold parks a request (`at=`; spec §7 H-1). */
enum hold_point {
	HOLD_RECEIVE,	/* before a worker reads its next request from /dev/fuse */
	HOLD_DATA,	/* after receiving, before the request's data is touched */
	HOLD_REPLY,	/* after the backing I/O, before the reply is sent */
};

enum hold_op { HOLD_OP_ANY, HOLD_OP_READ, HOLD_OP_WRITE };

/* The arguments of `hold`. */
struct hold_spec {
	enum hold_point at;
	enum hold_op op;
	uint64_t ino;		/* 0: any */
	uint64_t off, len;	/* len 0: to the end of the file */
	unsigned int count;	/* requests to catch (>= 1) */
	unsigned int timeout_ms;
};

/*
 * Does a request (@op on inode @ino, bytes [@off, @off + @len)) match @s by
 * docs/control.md's rule for `data` and `reply` holds: its op, its inode (0:
 * any) and an overlap of the ranges (len 0: to the end of the file)?
 */
bool hold_matches(const struct hold_spec *s, enum hold_op op, uint64_t ino, uint64_t off,
		  uint64_t len);

/* A request a hold caught, as `wait` lists it. */
struct held_request {
	enum hold_op op;
	uint64_t ino, off, len;
};

struct ctl_request {
	enum ctl_command cmd;
	union {
		struct hold_spec hold;
		struct {
			int id;
			unsigned int timeout_ms;
		} wait;
		int release_id;		/* 0: `release all` */
		struct {
			bool on;
			unsigned int interval_us;
		} forker;
		struct {
			unsigned char encoded[CTL_FORKPROBE_MAX];	/* XOR CTL_FORKPROBE_KEY */
			size_t len;
		} forkprobe;
	};
};

/* Per engine: requests served and their latency from receipt to reply. */
struct ctl_engine_stats {
	uint64_t read, write;
	uint64_t p50_us, p90_us, p99_us, max_us;
};

/* The answer to `stats`, field by field (docs/control.md "stats"). */
struct ctl_stats {
	struct {
		uint64_t acquired, released;
		int64_t outstanding;	/* short-term pins held now: I/O in flight */
		int64_t longterm_held;	/* long-term pins held now (io_uring registrations) */
		uint64_t get_acquired, get_released, listed, dirtied;
		bool has_pinned;
	} pins;
	uint64_t violations[LV_NR_KINDS];
	uint64_t violations_total;
	uint64_t warnings;
	struct {
		uint64_t direct, bounced, buffered, spliced, vmspliced;
	} bytes;
	struct {
		struct ctl_engine_stats sync, uring;
	} engines;
	struct {
		uint64_t submissions, reads;
	} batches;
	struct {
		unsigned int armed, held;
	} holds;
	/* How requests arrive (docs/control.md): "dev" (/dev/fuse; counts 0) or "uring". */
	struct {
		char name[8];
		unsigned int queues, workers;
		uint64_t entries, payload_bytes, requests, parked;
		uint64_t reply_in_place, reply_copied;
	} transport;
	struct {
		uint64_t opens, backing_ids;
	} passthrough;
};

struct ctl_reply {
	char error[CTL_MAX_ERROR];	/* "" when the answer is "ok":true */
	union {
		struct {
			char version[64];
			int pid;
		} ping;
		struct ctl_stats stats;
		int hold_id;
		struct {
			int held;	/* requests parked now */
			int listed;	/* of @requests */
			struct held_request requests[CTL_MAX_LISTED];
		} wait;
		int released;
		unsigned long forks;	/* `forker off` */
		struct {
			bool visible;
			char where[512];	/* the child's mapping that held it; "" if none */
		} forkprobe;
	};
};

/* ---- requests ---- */

/*
 * Parse the request line @line (changed in place) into @req. Returns 0,
 * -ENODATA for a line without words, or -EINVAL; both set *@error to the text
 * to answer.
 */
int ctl_request_parse(char *line, struct ctl_request *req, const char **error);

/* Write @req as a request line (no newline) into @buf. Returns its length or -ENOSPC. */
int ctl_request_format(const struct ctl_request *req, char *buf, size_t len);

/* ---- replies ---- */

/* Make @rep an error answer. */
void ctl_fail(struct ctl_reply *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Write the answer @rep to @req (NULL: a request that did not parse; @rep is
 * then an error) as a JSON line (no newline) into @buf. Returns its length,
 * -ENOSPC or -ENOMEM.
 */
int ctl_reply_format(const struct ctl_request *req, const struct ctl_reply *rep, char *buf,
		     size_t len);

/*
 * Parse the answer @line to @req into @rep (@req NULL: only whether it is
 * "ok"). Returns 0 for "ok":true with every field @req's answer has, -EPROTO
 * for "ok":false (@rep->error says why), -EBADMSG for anything else.
 */
int ctl_reply_parse(const struct ctl_request *req, const char *line, struct ctl_reply *rep);

/* The "violations" member of a `stats` answer, as the answer has it, into @buf; as above. */
int ctl_stats_format_violations(const struct ctl_stats *st, char *buf, size_t len);

/* ---- names ---- */

const char *ctl_command_name(enum ctl_command cmd);
/* The command's syntax, for pinfs-ctl --help. */
const char *ctl_command_usage(enum ctl_command cmd);
/* A violation kind's name in `stats` (LEDGER_VIOLATIONS, pinit/ledger_violations.h). */
const char *ctl_violation_key(enum ledger_violation kind);
/* The point or op of that name, or -1. */
int hold_point_by_name(const char *name);
int hold_op_by_name(const char *name);

#endif
