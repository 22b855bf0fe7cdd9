// SPDX-License-Identifier: GPL-2.0-or-later
/* holdfs's control socket; see holdfs_ctl.h and docs/control.md for the protocol. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "holdfs_ctl.h"

#define MAX_REQ 8

struct hold {
	int id, owner;
	enum hold_at at;
	enum hold_op op;
	uint64_t ino, off, len; /* len 0: to the end of the file */
	int count, caught, parked;
	bool released;
	struct timespec deadline;
	struct {
		enum hold_op op;
		uint64_t ino, off, len;
	} req[MAX_REQ];
	int nreq;
	struct hold *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct hold *holds;
static int next_id = 1, next_conn = 1;
static uint64_t n_direct, n_buffered, n_spliced, n_reads, n_writes;

static struct {
	pthread_t thread;
	volatile bool on;
	unsigned int interval_us;
	unsigned long forks;
} forker;

static int listen_fd = -1;
static char sock_path[108];

static const char *op_name(enum hold_op op)
{
	return op == OP_READ ? "read" : op == OP_WRITE ? "write" : op == OP_ANY ? "any" : "other";
}

static bool matches(const struct hold *h, enum hold_at at, enum hold_op op, uint64_t ino,
		    uint64_t off, uint64_t len)
{
	if (h->released || h->at != at)
		return false;
	if (at == AT_RECEIVE)
		return true; /* every request parks at the gate */
	if (h->caught >= h->count)
		return false;
	if (h->op != OP_ANY && h->op != op)
		return false;
	if (h->ino && h->ino != ino)
		return false;
	return off + len > h->off && (!h->len || off < h->off + h->len);
}

void hold_point(enum hold_at at, enum hold_op op, uint64_t ino, uint64_t off, uint64_t len)
{
	struct hold *h;

	pthread_mutex_lock(&lock);
	for (h = holds; h; h = h->next)
		if (matches(h, at, op, ino, off, len))
			break;
	if (!h) {
		pthread_mutex_unlock(&lock);
		return;
	}
	h->caught++;
	h->parked++;
	if (h->nreq < MAX_REQ) {
		h->req[h->nreq].op = op;
		h->req[h->nreq].ino = ino;
		h->req[h->nreq].off = off;
		h->req[h->nreq].len = len;
		h->nreq++;
	}
	pthread_cond_broadcast(&changed);
	while (!h->released && pthread_cond_timedwait(&changed, &lock, &h->deadline) != ETIMEDOUT)
		;
	h->parked--;
	pthread_mutex_unlock(&lock);
}

void stats_add(bool read, bool direct, bool spliced, uint64_t bytes)
{
	pthread_mutex_lock(&lock);
	if (direct)
		n_direct += bytes;
	else
		n_buffered += bytes;
	if (spliced)
		n_spliced += bytes;
	if (read)
		n_reads++;
	else
		n_writes++;
	pthread_mutex_unlock(&lock);
}

static void deadline_in(struct timespec *ts, unsigned long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* "key=value" among @argv, or NULL. */
static const char *arg(char **argv, int argc, const char *key)
{
	size_t k = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, k) && argv[i][k] == '=')
			return argv[i] + k + 1;
	return NULL;
}

static uint64_t num(char **argv, int argc, const char *key, uint64_t dflt)
{
	const char *v = arg(argv, argc, key);

	return v ? strtoull(v, NULL, 0) : dflt;
}

static void *forker_main(void *unused)
{
	(void)unused;
	while (forker.on) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			forker.forks++;
		}
		usleep(forker.interval_us);
	}
	return NULL;
}

static void cmd_hold(char **argv, int argc, int conn, char *out, size_t len)
{
	const char *at = arg(argv, argc, "at"), *op = arg(argv, argc, "op");
	struct hold *h = calloc(1, sizeof(*h));

	if (!h || !at || (strcmp(at, "receive") && strcmp(at, "data") && strcmp(at, "reply"))) {
		free(h);
		snprintf(out, len, "{\"ok\":false,\"error\":\"hold needs at=receive|data|reply\"}");
		return;
	}
	h->at = !strcmp(at, "receive") ? AT_RECEIVE : !strcmp(at, "data") ? AT_DATA : AT_REPLY;
	h->op = !op || !strcmp(op, "any") ? OP_ANY : !strcmp(op, "read") ? OP_READ : OP_WRITE;
	h->ino = num(argv, argc, "ino", 0);
	h->off = num(argv, argc, "off", 0);
	h->len = num(argv, argc, "len", 0);
	h->count = (int)num(argv, argc, "count", 1);
	h->owner = conn;
	deadline_in(&h->deadline, num(argv, argc, "timeout_ms", 30000));
	pthread_mutex_lock(&lock);
	h->id = next_id++;
	h->next = holds;
	holds = h;
	pthread_mutex_unlock(&lock);
	snprintf(out, len, "{\"ok\":true,\"id\":%d}", h->id);
}

static struct hold *find(int id)
{
	struct hold *h;

	for (h = holds; h && h->id != id; h = h->next)
		;
	return h;
}

static void cmd_wait(char **argv, int argc, char *out, size_t len)
{
	struct timespec until;
	struct hold *h;
	size_t n;

	deadline_in(&until, num(argv, argc, "timeout_ms", 30000));
	pthread_mutex_lock(&lock);
	h = find((int)num(argv, argc, "id", 0));
	while (h && h->at != AT_RECEIVE && !h->caught && !h->released &&
	       pthread_cond_timedwait(&changed, &lock, &until) != ETIMEDOUT)
		;
	if (!h || (h->at != AT_RECEIVE && !h->caught)) {
		pthread_mutex_unlock(&lock);
		snprintf(out, len, "{\"ok\":false,\"error\":\"%s\"}",
			 h ? "timeout" : "no such hold");
		return;
	}
	n = (size_t)snprintf(out, len, "{\"ok\":true,\"held\":%d,\"requests\":[", h->parked);
	for (int i = 0; i < h->nreq && n < len; i++)
		n += (size_t)snprintf(out + n, len - n,
				      "%s{\"op\":\"%s\",\"ino\":%" PRIu64 ",\"off\":%" PRIu64
				      ",\"len\":%" PRIu64 "}",
				      i ? "," : "", op_name(h->req[i].op), h->req[i].ino,
				      h->req[i].off, h->req[i].len);
	pthread_mutex_unlock(&lock);
	if (n < len)
		snprintf(out + n, len - n, "]}");
}

/* Release hold @id, every hold of connection @owner (owner > 0), or all (both 0). */
static int release(int id, int owner)
{
	int n = 0;

	pthread_mutex_lock(&lock);
	for (struct hold *h = holds; h; h = h->next) {
		if (h->released || (id && h->id != id) || (owner && h->owner != owner))
			continue;
		h->released = true;
		n += h->parked;
	}
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return n;
}

/* The reused reply buffer stands in for a vmspliced reply path: "spliced" and "vmspliced". */
static void cmd_stats(char *out, size_t len)
{
	pthread_mutex_lock(&lock);
	snprintf(out, len,
		 "{\"ok\":true,\"pins\":{\"acquired\":0,\"released\":0,\"outstanding\":0},"
		 "\"violations\":{\"total\":0},\"warnings\":0,"
		 "\"bytes\":{\"direct\":%" PRIu64 ",\"bounced\":0,\"buffered\":%" PRIu64
		 ",\"spliced\":%" PRIu64 ",\"vmspliced\":%" PRIu64 "},"
		 "\"engines\":{\"sync\":{\"read\":%" PRIu64 ",\"write\":%" PRIu64 "}},"
		 "\"holds\":{\"armed\":0,\"held\":0}}",
		 n_direct, n_buffered, n_spliced, n_spliced, n_reads, n_writes);
	pthread_mutex_unlock(&lock);
}

static void answer(char *line, int conn, char *out, size_t len)
{
	char *argv[16], *save = NULL;
	int argc = 0;

	for (char *t = strtok_r(line, " \t\r", &save); t && argc < 16;
	     t = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = t;
	if (!argc) {
		snprintf(out, len, "{\"ok\":false,\"error\":\"empty command\"}");
	} else if (!strcmp(argv[0], "ping")) {
		snprintf(out, len, "{\"ok\":true,\"version\":\"holdfs\",\"pid\":%d}",
			 (int)getpid());
	} else if (!strcmp(argv[0], "stats")) {
		cmd_stats(out, len);
	} else if (!strcmp(argv[0], "hold")) {
		cmd_hold(argv, argc, conn, out, len);
	} else if (!strcmp(argv[0], "wait")) {
		cmd_wait(argv, argc, out, len);
	} else if (!strcmp(argv[0], "release")) {
		int n = release(
			argc > 1 && !strcmp(argv[1], "all") ? 0 : (int)num(argv, argc, "id", 0), 0);

		snprintf(out, len, "{\"ok\":true,\"released\":%d}", n);
	} else if (!strcmp(argv[0], "forker") && argc > 1 && !strcmp(argv[1], "on")) {
		if (!forker.on) {
			forker.interval_us = (unsigned int)num(argv, argc, "interval_us", 100);
			forker.forks = 0;
			forker.on = true;
			pthread_create(&forker.thread, NULL, forker_main, NULL);
		}
		snprintf(out, len, "{\"ok\":true}");
	} else if (!strcmp(argv[0], "forker")) {
		if (forker.on) {
			forker.on = false;
			pthread_join(forker.thread, NULL);
		}
		snprintf(out, len, "{\"ok\":true,\"forks\":%lu}", forker.forks);
	} else {
		snprintf(out, len, "{\"ok\":false,\"error\":\"unknown command\"}");
	}
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg, conn;
	char buf[4096], out[8192];
	size_t have = 0;

	pthread_mutex_lock(&lock);
	conn = next_conn++;
	pthread_mutex_unlock(&lock);
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *nl;

		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			answer(buf, conn, out, sizeof(out) - 1);
			strcat(out, "\n");
			if (write(fd, out, strlen(out)) < 0)
				goto done;
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			break;
	}
done:
	release(0, conn); /* a closed connection never leaves requests parked */
	close(fd);
	return NULL;
}

static void *accept_main(void *unused)
{
	(void)unused;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		pthread_t th;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pthread_create(&th, NULL, conn_main, (void *)(intptr_t)fd))
			close(fd);
		else
			pthread_detach(th);
	}
}

int ctl_serve(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pthread_t th;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(listen_fd, 16))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&th, NULL, accept_main, NULL))
		return -EAGAIN;
	pthread_detach(th);
	return 0;
}

void ctl_stop(void)
{
	release(0, 0);
	if (forker.on) {
		forker.on = false;
		pthread_join(forker.thread, NULL);
	}
	if (sock_path[0])
		unlink(sock_path);
}
