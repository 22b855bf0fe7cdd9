/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A connection to a control socket (docs/control.md): lines in and out, and
 * the client's calls, a request and its answer each (ctl_proto.h). Holds a
 * connection arms are released when it closes, so a client that arms them keeps
 * its connection open.
 */
#ifndef PINFS_CTL_CONN_H
#define PINFS_CTL_CONN_H

#include "ctl_proto.h"

struct ctl_conn;

/* Connect to the socket at @path; NULL with errno set on failure. */
struct ctl_conn *ctl_open(const char *path);
/* Take over the connected socket @fd (a server's accepted one); NULL (ENOMEM). */
struct ctl_conn *ctl_adopt(int fd);
/* Close the connection and free @c (NULL: nothing). */
void ctl_close(struct ctl_conn *c);
/* Shut the socket down both ways: a ctl_recv_line() blocked on it returns. */
void ctl_shutdown(struct ctl_conn *c);

/* Send @line and a newline. Returns 0 or -errno. */
int ctl_send_line(struct ctl_conn *c, const char *line);

/*
 * Receive the next line, at most @max bytes with its newline, waiting up to
 * @timeout_ms between reads (-1: for ever). *@line points to it without the
 * newline, until the next call. Returns 0, -ETIMEDOUT, -ECONNRESET (the peer
 * closed), -EMSGSIZE (the line is longer), or -errno.
 */
int ctl_recv_line(struct ctl_conn *c, size_t max, int timeout_ms, char **line);

/*
 * Send @req and parse its answer into @rep, waiting for it 10 s (and a hold's
 * or a wait's own timeout). Returns as ctl_reply_parse(), or -errno.
 */
int ctl_call(struct ctl_conn *c, const struct ctl_request *req, struct ctl_reply *rep);

/* ---- one call per command; each returns a negative errno as ctl_call() ---- */

int ctl_ping(struct ctl_conn *c);
/* `stats` into @st (zeroed on failure). */
int ctl_stats(struct ctl_conn *c, struct ctl_stats *st);
/* `hold`: the hold's id (> 0). */
int ctl_hold(struct ctl_conn *c, const struct hold_spec *spec);
/* `wait id=@id timeout_ms=@timeout_ms`: the requests parked (>= 0), or -ETIMEDOUT. */
int ctl_wait(struct ctl_conn *c, int id, unsigned int timeout_ms);
/* `release id=@id` (@id 0: `release all`): the requests let go (>= 0). */
int ctl_release(struct ctl_conn *c, int id);
/* `forker on interval_us=@interval_us` / `forker off`; off sets *@forks (may be NULL). */
int ctl_forker(struct ctl_conn *c, bool on, unsigned int interval_us, unsigned long *forks);
/*
 * `forkprobe`: does a child the daemon forks now see the @len bytes at
 * @needle (sent encoded, so that only the data itself holds them)? *@visible,
 * and the child's mapping that held them in @where.
 */
int ctl_forkprobe(struct ctl_conn *c, const unsigned char *needle, size_t len, bool *visible,
		  char *where, size_t wlen);

#endif
