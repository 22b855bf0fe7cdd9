// SPDX-License-Identifier: GPL-2.0-or-later
/* A connection to a control socket; see ctl_conn.h. */
#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_conn.h"

/* How long an answer may take, besides a hold's or a wait's own timeout. */
#define REPLY_MS 10000

struct ctl_conn {
	int fd;
	size_t have;		/* bytes in @buf */
	size_t taken;		/* of those, the line ctl_recv_line() handed out last */
	char buf[CTL_MAX_REPLY];
};

struct ctl_conn *ctl_adopt(int fd)
{
	struct ctl_conn *c = malloc(sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->have = c->taken = 0;
	return c;
}

struct ctl_conn *ctl_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_conn *c;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	c = ctl_adopt(fd);
	if (c)
		return c;
fail:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}

void ctl_close(struct ctl_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

void ctl_shutdown(struct ctl_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
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

int ctl_send_line(struct ctl_conn *c, const char *line)
{
	int ret = send_all(c->fd, line, strlen(line));

	return ret ? ret : send_all(c->fd, "\n", 1);
}

int ctl_recv_line(struct ctl_conn *c, size_t max, int timeout_ms, char **line)
{
	if (max > sizeof(c->buf))
		max = sizeof(c->buf);
	memmove(c->buf, c->buf + c->taken, c->have - c->taken);
	c->have -= c->taken;
	c->taken = 0;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have < max ? c->have : max);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t r;
		int pr;

		if (nl) {
			*nl = '\0';
			*line = c->buf;
			c->taken = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->have >= max)
			return -EMSGSIZE;
		pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		r = recv(c->fd, c->buf + c->have, max - c->have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		c->have += (size_t)r;
	}
}

int ctl_call(struct ctl_conn *c, const struct ctl_request *req, struct ctl_reply *rep)
{
	char line[CTL_MAX_REQUEST], *answer;
	int timeout_ms = REPLY_MS;
	int ret;

	memset(rep, 0, sizeof(*rep));
	/* `hold at=receive` answers once every worker is parked; `wait` waits its timeout */
	if (req->cmd == CTL_HOLD)
		timeout_ms += (int)req->hold.timeout_ms;
	else if (req->cmd == CTL_WAIT)
		timeout_ms += (int)req->wait.timeout_ms;
	ret = ctl_request_format(req, line, sizeof(line));
	if (ret < 0)
		return ret;
	ret = ctl_send_line(c, line);
	if (!ret)
		ret = ctl_recv_line(c, CTL_MAX_REPLY, timeout_ms, &answer);
	return ret ? ret : ctl_reply_parse(req, answer, rep);
}

int ctl_ping(struct ctl_conn *c)
{
	struct ctl_request req = { .cmd = CTL_PING };
	struct ctl_reply rep;

	return ctl_call(c, &req, &rep);
}

int ctl_stats(struct ctl_conn *c, struct ctl_stats *st)
{
	struct ctl_request req = { .cmd = CTL_STATS };
	struct ctl_reply rep;
	int ret = ctl_call(c, &req, &rep);

	if (ret)
		memset(st, 0, sizeof(*st));
	else
		*st = rep.stats;
	return ret;
}

int ctl_hold(struct ctl_conn *c, const struct hold_spec *spec)
{
	struct ctl_request req = { .cmd = CTL_HOLD, .hold = *spec };
	struct ctl_reply rep;
	int ret = ctl_call(c, &req, &rep);

	return ret ? ret : rep.hold_id;
}

int ctl_wait(struct ctl_conn *c, int id, unsigned int timeout_ms)
{
	struct ctl_request req = { .cmd = CTL_WAIT, .wait = { id, timeout_ms } };
	struct ctl_reply rep;
	int ret = ctl_call(c, &req, &rep);

	if (ret == -EPROTO && !strcmp(rep.error, "timeout"))
		return -ETIMEDOUT;
	return ret ? ret : rep.wait.held;
}

int ctl_release(struct ctl_conn *c, int id)
{
	struct ctl_request req = { .cmd = CTL_RELEASE, .release_id = id };
	struct ctl_reply rep;
	int ret = ctl_call(c, &req, &rep);

	return ret ? ret : rep.released;
}

int ctl_forkprobe(struct ctl_conn *c, const unsigned char *needle, size_t len, bool *visible,
		  char *where, size_t wlen)
{
	struct ctl_request req = { .cmd = CTL_FORKPROBE };
	struct ctl_reply rep;
	int ret;

	if (!len || len > CTL_FORKPROBE_MAX)
		return -EINVAL;
	for (size_t k = 0; k < len; k++)
		req.forkprobe.encoded[k] = needle[k] ^ CTL_FORKPROBE_KEY;
	req.forkprobe.len = len;
	ret = ctl_call(c, &req, &rep);
	if (!ret) {
		*visible = rep.forkprobe.visible;
		snprintf(where, wlen, "%s", rep.forkprobe.where);
	}
	return ret;
}

int ctl_forker(struct ctl_conn *c, bool on, unsigned int interval_us, unsigned long *forks)
{
	struct ctl_request req = { .cmd = CTL_FORKER, .forker = { on, interval_us } };
	struct ctl_reply rep;
	int ret = ctl_call(c, &req, &rep);

	if (!ret && forks)
		*forks = rep.forks;
	return ret;
}
