// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket server (protocol: docs/control.md). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pinit/ledger.h>
#include <pinit/page.h>
#include <pinit/warn.h>

#include "config.h"
#include "control.h"
#include "forkprobe.h"
#include "hold.h"
#include "passthrough.h"
#include "stats.h"
#include "transport_uring.h"

#define MAX_LINE 1024
#define MAX_ARGS 16
#define RESPONSE_SIZE 8192

#define SOCKET_MODE 0600

/* The listening socket, the directory it is in, and the inode bound there. */
static int listen_fd = -1;
static int dir_fd = -1;
static char socket_name[sizeof(((struct sockaddr_un *)0)->sun_path)];
static dev_t socket_dev;
static ino_t socket_ino;

static pthread_t accept_thread;
static bool accepting;
static atomic_bool stopping;	/* control_stop() has begun: commands are refused */

/* A connection's thread, joined by the accept thread once done, or by control_stop(). */
struct conn {
	pthread_t thread;
	int fd;		/* closed by whoever joins the thread */
	int id;
	atomic_bool done;
	struct conn *next;
};

/*
 * The connection list. Lock order (docs/design.md): outermost. It is held
 * while joining connection threads, so they must not take it; what they take
 * (forker_lock, the hold lock) comes after it.
 */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns;
static int next_conn = 1;

/* ---- a bounded string builder ---- */

struct out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < o->len - o->used ? (size_t)n : o->len - o->used;
}

/* ---- stats ---- */

static const char *const violation_keys[LV_NR_KINDS] = {
	[LV_UNPIN_UNPINNED] = "unpin_unpinned",
	[LV_PUT_UNREFERENCED] = "put_unreferenced",
	[LV_PUT_PINNED] = "put_pinned",
	[LV_LEAK] = "leak",
	[LV_REUSE_PINNED] = "reuse_pinned",
	[LV_FREE_PINNED] = "free_pinned",
	[LV_WRITE_SOURCE_PINNED] = "write_source_pinned",
	[LV_FORK_UNPROTECTED] = "fork_unprotected",
};

static void put_engine(struct out *o, enum stats_engine e)
{
	put(o, "\"%s\":{\"read\":%lu,\"write\":%lu,\"latency_us\":{\"p50\":%lu,\"p90\":%lu,"
	       "\"p99\":%lu,\"max\":%lu}}",
	    stats_engine_name(e), (unsigned long)stats_requests(e, false),
	    (unsigned long)stats_requests(e, true), (unsigned long)stats_latency_us(e, 50),
	    (unsigned long)stats_latency_us(e, 90), (unsigned long)stats_latency_us(e, 99),
	    (unsigned long)stats_latency_us(e, 100));
}

int control_stats_json(char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	struct ledger_stats st;
	unsigned int armed, held;
	uint64_t submissions, batched;
	unsigned long pt_opens, pt_ids;
	char transport[384];

	ledger_stats(&st);
	hold_counts(&armed, &held);
	/* Long-term pins (io_uring registrations) are held for the mount's life. */
	put(&o, "{\"ok\":true,\"pins\":{\"acquired\":%lu,\"released\":%lu,\"outstanding\":%ld,"
		"\"longterm_held\":%ld,\"get_acquired\":%lu,\"get_released\":%lu,\"listed\":%lu,"
		"\"dirtied\":%lu,\"has_pinned\":%s},",
	    (unsigned long)st.pin_acquired, (unsigned long)st.pin_released,
	    (long)((st.pin_acquired - st.pin_released) -
		   (st.longterm_acquired - st.longterm_released)),
	    (long)(st.longterm_acquired - st.longterm_released), (unsigned long)st.get_acquired,
	    (unsigned long)st.get_released, (unsigned long)st.listed, (unsigned long)st.dirtied,
	    mm_has_pinned() ? "true" : "false");
	put(&o, "\"violations\":{");
	for (int k = 0; k < LV_NR_KINDS; k++)
		put(&o, "\"%s\":%lu,", violation_keys[k], (unsigned long)st.violations[k]);
	put(&o, "\"total\":%lu},", (unsigned long)ledger_violation_total(&st));
	put(&o, "\"warnings\":%lu,\"bytes\":{", (unsigned long)pinit_warn_count());
	for (int p = 0; p < PATH_NR; p++)
		put(&o, "%s\"%s\":%lu", p ? "," : "", stats_path_name(p),
		    (unsigned long)stats_bytes(p));
	put(&o, "},\"engines\":{");
	for (int e = 0; e < ENGINE_NR; e++) {
		put(&o, "%s", e ? "," : "");
		put_engine(&o, e);
	}
	stats_batches(&submissions, &batched);
	put(&o, "},\"batches\":{\"submissions\":%lu,\"reads\":%lu}", (unsigned long)submissions,
	    (unsigned long)batched);
	put(&o, ",\"holds\":{\"armed\":%u,\"held\":%u}", armed, held);
	transport_uring_describe(transport, sizeof(transport));
	passthrough_counts(&pt_opens, &pt_ids);
	put(&o, ",\"transport\":%s,\"passthrough\":{\"opens\":%lu,\"backing_ids\":%lu}}",
	    transport, pt_opens, pt_ids);
	return o.used < o.len ? 0 : -ENOSPC;
}

/* ---- the forker (spec §5 scenarios 21, 22, 25) ---- */

/*
 * Starting and stopping the forker. Lock order (docs/design.md): after
 * conns_lock. It is held while joining the forker, whose fork() runs the pin
 * ledger's fork check (lib/ledger.c last_lock): that comes after it.
 */
static pthread_mutex_t forker_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t forker_thread;
static atomic_bool forker_running;
static atomic_ulong forker_forks;
static unsigned int forker_interval_us;

static void *forker_main(void *arg)
{
	while (atomic_load(&forker_running)) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			atomic_fetch_add(&forker_forks, 1);
		}
		if (forker_interval_us)
			usleep(forker_interval_us);
	}
	return NULL;
}

static int forker_set(bool on, unsigned int interval_us)
{
	int ret = 0;

	pthread_mutex_lock(&forker_lock);
	if (on && !atomic_load(&forker_running)) {
		forker_interval_us = interval_us;
		atomic_store(&forker_forks, 0);
		atomic_store(&forker_running, true);
		ret = -pthread_create(&forker_thread, NULL, forker_main, NULL);
		if (ret)
			atomic_store(&forker_running, false);
	} else if (!on && atomic_load(&forker_running)) {
		atomic_store(&forker_running, false);
		pthread_join(forker_thread, NULL);
	}
	pthread_mutex_unlock(&forker_lock);
	return ret;
}

/* ---- commands ---- */

struct args {
	int argc;
	char *argv[MAX_ARGS];
};

static const char *arg(const struct args *a, const char *key)
{
	size_t klen = strlen(key);

	for (int n = 1; n < a->argc; n++)
		if (!strncmp(a->argv[n], key, klen) && a->argv[n][klen] == '=')
			return a->argv[n] + klen + 1;
	return NULL;
}

/* Parse an unsigned number argument; false if present but malformed. */
static bool num_arg(const struct args *a, const char *key, uint64_t *v, uint64_t dflt)
{
	const char *s = arg(a, key);
	char *end;

	*v = dflt;
	if (!s)
		return true;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end;
}

static void error_reply(struct out *o, const char *msg)
{
	put(o, "{\"ok\":false,\"error\":\"%s\"}", msg);
}

static void cmd_hold(const struct args *a, struct out *o, int conn)
{
	static const char *const points[] = { "receive", "data", "reply" };
	static const char *const ops[] = { "any", "read", "write" };
	struct hold_spec spec = { .op = HOLD_OP_ANY };
	const char *at = arg(a, "at"), *op = arg(a, "op");
	uint64_t ino, off, len, count, timeout;
	unsigned int k;
	int id;

	for (k = 0; at && k < 3 && strcmp(at, points[k]); k++)
		;
	if (!at || k == 3)
		return error_reply(o, "hold needs at=receive|data|reply");
	spec.at = k;
	for (k = 0; op && k < 3 && strcmp(op, ops[k]); k++)
		;
	if (op && k == 3)
		return error_reply(o, "op must be read, write or any");
	spec.op = op ? k : HOLD_OP_ANY;
	if (!num_arg(a, "ino", &ino, 0) || !num_arg(a, "off", &off, 0) ||
	    !num_arg(a, "len", &len, 0) || !num_arg(a, "count", &count, 1) ||
	    !num_arg(a, "timeout_ms", &timeout, 30000) || !count || count > 1000000 ||
	    timeout > 3600000)
		return error_reply(o, "malformed number");
	spec.ino = ino;
	spec.off = off;
	spec.len = len;
	spec.count = count;
	spec.timeout_ms = timeout;
	id = hold_arm(&spec, conn);
	if (id < 0)
		return error_reply(o, strerror(-id));
	put(o, "{\"ok\":true,\"id\":%d}", id);
}

static void cmd_wait(const struct args *a, struct out *o)
{
	struct held_request reqs[16];
	uint64_t id, timeout;
	int n, nreqs;

	if (!num_arg(a, "id", &id, 0) || !id || !num_arg(a, "timeout_ms", &timeout, 10000))
		return error_reply(o, "wait needs id=N");
	n = hold_wait((int)id, timeout, reqs, 16, &nreqs);
	if (n == -ETIMEDOUT)
		return error_reply(o, "timeout");
	if (n < 0)
		return error_reply(o, "no such hold");
	put(o, "{\"ok\":true,\"held\":%d,\"requests\":[", n);
	for (int k = 0; k < nreqs; k++)
		put(o, "%s{\"op\":\"%s\",\"ino\":%lu,\"off\":%lu,\"len\":%lu}", k ? "," : "",
		    hold_op_name(reqs[k].op), (unsigned long)reqs[k].ino,
		    (unsigned long)reqs[k].off, (unsigned long)reqs[k].len);
	put(o, "]}");
}

static void cmd_release(const struct args *a, struct out *o)
{
	const char *which = a->argc > 1 ? a->argv[1] : "";
	uint64_t id = 0;
	int n;

	if (strcmp(which, "all") && (!num_arg(a, "id", &id, 0) || !id))
		return error_reply(o, "release needs id=N or all");
	n = hold_release((int)id);
	if (n < 0)
		return error_reply(o, "no such hold");
	put(o, "{\"ok\":true,\"released\":%d}", n);
}

static void cmd_forker(const struct args *a, struct out *o)
{
	const char *state = a->argc > 1 ? a->argv[1] : "";
	uint64_t interval;
	int err;

	if (!num_arg(a, "interval_us", &interval, 100) || interval > 10000000)
		return error_reply(o, "malformed interval_us");
	if (!strcmp(state, "on")) {
		err = forker_set(true, interval);
		if (err)
			return error_reply(o, strerror(-err));
		put(o, "{\"ok\":true}");
	} else if (!strcmp(state, "off")) {
		forker_set(false, 0);
		put(o, "{\"ok\":true,\"forks\":%lu}", atomic_load(&forker_forks));
	} else {
		error_reply(o, "forker on|off");
	}
}

/* forkprobe hex=BYTES: what a child forked now sees (forkprobe.h). */
static void cmd_forkprobe(const struct args *a, struct out *o)
{
	const char *hex = arg(a, "hex");
	unsigned char encoded[FORKPROBE_MAX];
	char where[512];
	size_t len = 0;
	int found;

	while (hex && hex[2 * len] && hex[2 * len + 1] && len < FORKPROBE_MAX &&
	       sscanf(hex + 2 * len, "%2hhx", &encoded[len]) == 1)
		len++;
	if (!hex || !len || hex[2 * len]) {
		error_reply(o, "forkprobe needs hex=BYTES (1 to 256 bytes, each XOR 0x5a)");
		return;
	}
	found = forkprobe(encoded, len, where, sizeof(where));
	if (found < 0) {
		error_reply(o, strerror(-found));
		return;
	}
	put(o, "{\"ok\":true,\"visible\":%s,\"where\":\"", found ? "true" : "false");
	for (const char *c = found ? where : ""; *c; c++)
		put(o, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
	put(o, "\"}");
}

static void dispatch(char *line, struct out *o, int conn)
{
	struct args a = { 0 };
	char *save = NULL;

	for (char *tok = strtok_r(line, " \t\r\n", &save); tok && a.argc < MAX_ARGS;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		a.argv[a.argc++] = tok;
	if (!a.argc)
		return error_reply(o, "empty command");
	if (atomic_load(&stopping))
		return error_reply(o, "shutting down");
	if (!strcmp(a.argv[0], "ping"))
		put(o, "{\"ok\":true,\"version\":\"%s\",\"pid\":%d}", PINFS_VERSION, getpid());
	else if (!strcmp(a.argv[0], "stats"))
		control_stats_json(o->buf, o->len), o->used = strlen(o->buf);
	else if (!strcmp(a.argv[0], "hold"))
		cmd_hold(&a, o, conn);
	else if (!strcmp(a.argv[0], "wait"))
		cmd_wait(&a, o);
	else if (!strcmp(a.argv[0], "release"))
		cmd_release(&a, o);
	else if (!strcmp(a.argv[0], "forker"))
		cmd_forker(&a, o);
	else if (!strcmp(a.argv[0], "forkprobe"))
		cmd_forkprobe(&a, o);
	else
		error_reply(o, "unknown command");
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= n;
	}
	return true;
}

/* Serve one connection: a line in, a JSON line out, until EOF. */
static void *connection_main(void *arg)
{
	struct conn *c = arg;
	char line[MAX_LINE], response[RESPONSE_SIZE];
	size_t have = 0;

	for (;;) {
		char *nl = memchr(line, '\n', have);
		ssize_t n;

		if (nl) {
			struct out o = { response, sizeof(response) - 1, 0 };
			size_t used = nl - line + 1;

			*nl = '\0';
			dispatch(line, &o, c->id);
			response[o.used++] = '\n';
			if (!write_all(c->fd, response, o.used))
				break;
			memmove(line, line + used, have - used);
			have -= used;
			continue;
		}
		if (have == sizeof(line))
			break;	/* a line longer than any command */
		n = recv(c->fd, line + have, sizeof(line) - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
	}
	hold_release_owner(c->id);
	atomic_store(&c->done, true);
	return NULL;
}

/* Join the connection threads that are done (@all: every one, done or not). */
static void reap_connections(bool all)
{
	struct conn **p = &conns, *c;

	pthread_mutex_lock(&conns_lock);
	while ((c = *p)) {
		if (!all && !atomic_load(&c->done)) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		pthread_join(c->thread, NULL);
		close(c->fd);
		free(c);
	}
	pthread_mutex_unlock(&conns_lock);
}

static void *accept_main(void *arg)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;	/* the socket was shut down */
		}
		reap_connections(false);
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		pthread_mutex_lock(&conns_lock);
		c->id = next_conn++;
		if (pthread_create(&c->thread, NULL, connection_main, c)) {
			close(fd);
			free(c);
		} else {
			c->next = conns;
			conns = c;
		}
		pthread_mutex_unlock(&conns_lock);
	}
	return NULL;
}

/* Is a process listening on @addr? Only "connection refused" says no. */
static bool socket_live(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return true;
	live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ||
	       (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return live;
}

/*
 * Make room for the socket at @addr (its directory locked): nothing there, or
 * a stale socket, which goes. Returns 0, -EEXIST (not a socket), -EADDRINUSE
 * (a live socket) or another -errno.
 */
static int clear_path(const struct sockaddr_un *addr)
{
	struct stat st;

	if (fstatat(dir_fd, socket_name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (socket_live(addr))
		return -EADDRINUSE;
	if (unlinkat(dir_fd, socket_name, 0) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Open the directory of @path (kept: the daemon's working directory changes). */
static int open_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[sizeof(socket_name)] = ".";

	strcpy(socket_name, slash ? slash + 1 : path);
	if (!*socket_name)
		return -EISDIR;
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dir_fd < 0 ? -errno : 0;
}

static int bind_socket(const struct sockaddr_un *addr)
{
	struct stat st;
	mode_t umask_was;
	int err;

	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	/* The socket is born with its final mode: nobody else can connect in between. */
	umask_was = umask(~SOCKET_MODE & 0777);
	err = bind(listen_fd, (const struct sockaddr *)addr, sizeof(*addr)) ? -errno : 0;
	umask(umask_was);
	if (err)
		return err;
	if (fstatat(dir_fd, socket_name, &st, AT_SYMLINK_NOFOLLOW) || listen(listen_fd, 16)) {
		err = -errno;
		unlinkat(dir_fd, socket_name, 0);
		return err;
	}
	socket_dev = st.st_dev;
	socket_ino = st.st_ino;
	return 0;
}

int control_listen(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int err = -ENAMETOOLONG;

	if (strlen(path) >= sizeof(addr.sun_path))
		goto fail;
	strcpy(addr.sun_path, path);
	err = open_dir(path);
	if (err)
		goto fail;
	/*
	 * Of two daemons starting on one path, one checks and binds, then the
	 * other (where the file system has no flock, without that guarantee).
	 */
	flock(dir_fd, LOCK_EX);
	err = clear_path(&addr);
	if (!err)
		err = bind_socket(&addr);
	if (!err) {
		flock(dir_fd, LOCK_UN);
		return 0;
	}
fail:
	fprintf(stderr, "pinfs: control socket '%s': %s\n", path,
		err == -EEXIST	       ? "exists and is not a socket"
		: err == -EADDRINUSE ? "in use by another process"
				     : strerror(-err));
	if (listen_fd >= 0)
		close(listen_fd);
	if (dir_fd >= 0)
		close(dir_fd);	/* and its lock */
	listen_fd = dir_fd = -1;
	return err;
}

int control_start(void)
{
	int err = -pthread_create(&accept_thread, NULL, accept_main, NULL);

	if (err)
		fprintf(stderr, "pinfs: control socket: cannot start its thread: %s\n",
			strerror(-err));
	accepting = !err;
	return err;
}

/* Unlink the socket if the path still names the one bound here. */
static void remove_socket(void)
{
	struct stat st;

	if (!fstatat(dir_fd, socket_name, &st, AT_SYMLINK_NOFOLLOW) && st.st_dev == socket_dev &&
	    st.st_ino == socket_ino)
		unlinkat(dir_fd, socket_name, 0);
}

void control_stop(void)
{
	if (listen_fd < 0)
		return;
	atomic_store(&stopping, true);
	/* While it still listens, no other daemon replaces it (control_listen()). */
	remove_socket();
	close(dir_fd);
	dir_fd = -1;
	shutdown(listen_fd, SHUT_RDWR);
	if (accepting)
		pthread_join(accept_thread, NULL);
	accepting = false;
	close(listen_fd);
	listen_fd = -1;
	/* Each connection ends after its current command: a wait on a hold returns at release. */
	pthread_mutex_lock(&conns_lock);
	for (struct conn *c = conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&conns_lock);
	hold_release(0);
	reap_connections(true);
	forker_set(false, 0);
}
