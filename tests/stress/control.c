// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket client (docs/control.md). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "forkstress.h"
#include "json.h"

/* An answer must arrive within this long (longer for `wait`, whose own timeout is added). */
#define CTL_REPLY_MS 10000

struct ctl {
	int fd;
	char buf[8192]; /* bytes received after the last answer line */
	size_t have;
};

struct ctl *ctl_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl *c;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	return c;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one line (without the newline) into @out within @timeout_ms. */
static int read_line(struct ctl *c, char *out, size_t len, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have);
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t r;
		int pr;

		if (nl) {
			size_t n = (size_t)(nl - c->buf);

			snprintf(out, len, "%.*s", (int)n, c->buf);
			memmove(c->buf, nl + 1, c->have - n - 1);
			c->have -= n + 1;
			return 0;
		}
		if (c->have == sizeof(c->buf))
			return -EMSGSIZE;
		pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		c->have += (size_t)r;
	}
}

static int vcmd(struct ctl *c, char *resp, size_t len, int timeout_ms, const char *fmt, va_list ap)
{
	char line[512];
	bool ok = false;
	int n, ret;

	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return -EINVAL;
	line[n++] = '\n';
	ret = send_all(c->fd, line, (size_t)n);
	if (ret)
		return ret;
	ret = read_line(c, resp, len, timeout_ms);
	if (ret)
		return ret;
	if (!json_get_bool(resp, "ok", &ok))
		return -EBADMSG;
	return ok ? 0 : -EPROTO;
}

int ctl_cmd(struct ctl *c, char *resp, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcmd(c, resp, len, CTL_REPLY_MS, fmt, ap);
	va_end(ap);
	return ret;
}

static int cmd_timeout(struct ctl *c, char *resp, size_t len, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int cmd_timeout(struct ctl *c, char *resp, size_t len, int timeout_ms, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcmd(c, resp, len, timeout_ms, fmt, ap);
	va_end(ap);
	return ret;
}

int ctl_ping(struct ctl *c)
{
	char resp[512];

	return ctl_cmd(c, resp, sizeof(resp), "ping");
}

int ctl_hold(struct ctl *c, const char *at, const char *op, uint64_t ino, uint64_t off,
	     uint64_t len, unsigned int count, unsigned int timeout_ms)
{
	char resp[512], lenarg[40] = "";
	double id;
	int ret;

	if (len)
		snprintf(lenarg, sizeof(lenarg), " len=%" PRIu64, len);
	/* `receive` answers once every worker is parked: allow for that */
	ret = cmd_timeout(c, resp, sizeof(resp), CTL_REPLY_MS + (int)timeout_ms,
			  "hold at=%s op=%s ino=%" PRIu64 " off=%" PRIu64
			  "%s count=%u timeout_ms=%u",
			  at, op, ino, off, lenarg, count, timeout_ms);
	if (ret)
		return ret;
	if (!json_get_num(resp, "id", &id) || id <= 0)
		return -EBADMSG;
	return (int)id;
}

int ctl_wait(struct ctl *c, int id, unsigned int timeout_ms)
{
	char resp[2048];
	double held = 0;
	int ret;

	ret = cmd_timeout(c, resp, sizeof(resp), CTL_REPLY_MS + (int)timeout_ms,
			  "wait id=%d timeout_ms=%u", id, timeout_ms);
	if (ret == -EPROTO && strstr(resp, "timeout"))
		return -ETIMEDOUT;
	if (ret)
		return ret;
	json_get_num(resp, "held", &held);
	return held > 0 ? (int)held : 1;
}

int ctl_release(struct ctl *c, int id)
{
	char resp[512];
	double n = 0;
	int ret;

	if (id)
		ret = ctl_cmd(c, resp, sizeof(resp), "release id=%d", id);
	else
		ret = ctl_cmd(c, resp, sizeof(resp), "release all");
	if (ret)
		return ret;
	json_get_num(resp, "released", &n);
	return (int)n;
}

int ctl_forker(struct ctl *c, bool on, unsigned int interval_us)
{
	char resp[512];
	double forks;
	int ret;

	if (on)
		return ctl_cmd(c, resp, sizeof(resp), "forker on interval_us=%u", interval_us);
	ret = ctl_cmd(c, resp, sizeof(resp), "forker off");
	if (!ret && json_get_num(resp, "forks", &forks) && forks > 0)
		forks_count((unsigned long)forks);
	return ret;
}

int ctl_stats(struct ctl *c, struct pinfs_stats *st)
{
	char resp[8192];
	const char *v, *e;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = ctl_cmd(c, resp, sizeof(resp), "stats");
	if (ret)
		return ret;
	if (!json_get_num(resp, "pins.acquired", &st->pins_acquired) ||
	    !json_get_num(resp, "pins.released", &st->pins_released) ||
	    !json_get_num(resp, "pins.outstanding", &st->pins_outstanding) ||
	    !json_get_num(resp, "violations.total", &st->violations_total) ||
	    !json_get_num(resp, "warnings", &st->warnings))
		return -EBADMSG;
	json_get_num(resp, "pins.longterm_held", &st->pins_longterm);
	json_get_num(resp, "bytes.direct", &st->bytes_direct);
	json_get_num(resp, "bytes.bounced", &st->bytes_bounced);
	json_get_num(resp, "bytes.buffered", &st->bytes_buffered);
	json_get_num(resp, "bytes.spliced", &st->bytes_spliced);
	json_get_num(resp, "bytes.vmspliced", &st->bytes_vmspliced);
	json_get_num(resp, "engines.uring.read", &st->uring_reads);
	json_get_num(resp, "engines.uring.write", &st->uring_writes);
	v = json_find(resp, "violations");
	e = v ? json_skip(v) : NULL;
	if (v && e)
		snprintf(st->violations_json, sizeof(st->violations_json), "%.*s", (int)(e - v), v);
	return 0;
}

void ctl_violation_changes(const struct pinfs_stats *before, const struct pinfs_stats *after,
			   void (*fn)(const char *kind, double change, void *arg), void *arg)
{
	const char *v;
	char kind[64];

	for (int i = 0; (v = json_member(after->violations_json, i, kind, sizeof(kind))); i++) {
		double now = strtod(v, NULL), then = 0;

		json_get_num(before->violations_json, kind, &then);
		if (strcmp(kind, "total") && now != then)
			fn(kind, now - then, arg);
	}
}
