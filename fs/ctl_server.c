// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket's server; see ctl_server.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_conn.h"
#include "ctl_forker.h"
#include "ctl_server.h"

#define SOCKET_MODE 0600

static const struct ctl_service *service;

/* The listening socket, the directory it is in, and the inode bound there. */
static int listen_fd = -1;
static int dir_fd = -1;
static char socket_name[sizeof(((struct sockaddr_un *)0)->sun_path)];
static dev_t socket_dev;
static ino_t socket_ino;

static pthread_t accept_thread;
static bool accepting;
static atomic_bool stopping;	/* ctl_server_stop() has begun: commands are refused */

/* A connection's thread, joined by the accept thread once done, or by ctl_server_stop(). */
struct conn {
	pthread_t thread;
	struct ctl_conn *ctl;	/* closed by whoever joins the thread */
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

static void answer_hold(const struct hold_spec *spec, struct ctl_reply *rep, int conn)
{
	int id = service->hold(spec, conn);

	if (id < 0)
		return ctl_fail(rep, "%s", strerror(-id));
	rep->hold_id = id;
}

static void answer_wait(int id, unsigned int timeout_ms, struct ctl_reply *rep)
{
	int n = service->wait(id, timeout_ms, rep->wait.requests, CTL_MAX_LISTED,
			      &rep->wait.listed);

	if (n == -ETIMEDOUT)
		return ctl_fail(rep, "timeout");
	if (n < 0)
		return ctl_fail(rep, "no such hold");
	rep->wait.held = n;
}

static void answer_release(int id, struct ctl_reply *rep)
{
	rep->released = service->release(id);
	if (rep->released < 0)
		ctl_fail(rep, "no such hold");
}

static void answer_forker(bool on, unsigned int interval_us, struct ctl_reply *rep)
{
	int err;

	if (!on) {
		rep->forks = ctl_forker_stop();
		return;
	}
	err = ctl_forker_start(interval_us);
	if (err)
		ctl_fail(rep, "%s", strerror(-err));
}

static void answer_forkprobe(const unsigned char *encoded, size_t len, struct ctl_reply *rep)
{
	int found = service->forkprobe(encoded, len, rep->forkprobe.where,
				       sizeof(rep->forkprobe.where));

	if (found < 0)
		return ctl_fail(rep, "%s", strerror(-found));
	rep->forkprobe.visible = found;
	if (!found)
		rep->forkprobe.where[0] = '\0';
}

/* Does the service do @cmd? */
static bool serves(enum ctl_command cmd)
{
	switch (cmd) {
	case CTL_STATS:
		return service->stats;
	case CTL_HOLD:
		return service->hold;
	case CTL_WAIT:
		return service->wait;
	case CTL_RELEASE:
		return service->release;
	case CTL_FORKPROBE:
		return service->forkprobe;
	default:
		return true;
	}
}

/* The answer to the request @line from connection @conn, into @rep. */
static void answer(char *line, int conn, struct ctl_request *req, struct ctl_reply *rep)
{
	const char *error;
	int ret = ctl_request_parse(line, req, &error);

	memset(rep, 0, sizeof(*rep));
	if (ret != -ENODATA && atomic_load(&stopping))
		return ctl_fail(rep, "shutting down");
	if (ret)
		return ctl_fail(rep, "%s", error);
	if (!serves(req->cmd))
		return ctl_fail(rep, "%s: %s unsupported", service->prog,
				ctl_command_name(req->cmd));
	switch (req->cmd) {
	case CTL_PING:
		snprintf(rep->ping.version, sizeof(rep->ping.version), "%s", service->version);
		rep->ping.pid = getpid();
		break;
	case CTL_STATS:
		service->stats(&rep->stats);
		break;
	case CTL_HOLD:
		answer_hold(&req->hold, rep, conn);
		break;
	case CTL_WAIT:
		answer_wait(req->wait.id, req->wait.timeout_ms, rep);
		break;
	case CTL_RELEASE:
		answer_release(req->release_id, rep);
		break;
	case CTL_FORKER:
		answer_forker(req->forker.on, req->forker.interval_us, rep);
		break;
	case CTL_FORKPROBE:
		answer_forkprobe(req->forkprobe.encoded, req->forkprobe.len, rep);
		break;
	case CTL_NR_COMMANDS:
		break;
	}
}

/* Serve one connection: a line in, a JSON line out, until EOF. */
static void *connection_main(void *arg)
{
	struct conn *c = arg;
	char response[CTL_MAX_REPLY];
	struct ctl_request req;
	struct ctl_reply rep;
	char *line;

	while (!ctl_recv_line(c->ctl, CTL_MAX_REQUEST, -1, &line)) {
		answer(line, c->id, &req, &rep);
		if (ctl_reply_format(rep.error[0] ? NULL : &req, &rep, response,
				     sizeof(response)) < 0) {
			memset(&rep, 0, sizeof(rep));
			ctl_fail(&rep, "cannot encode the answer");
			ctl_reply_format(NULL, &rep, response, sizeof(response));
		}
		if (ctl_send_line(c->ctl, response))
			break;
	}
	if (service->closed)
		service->closed(c->id);
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
		ctl_close(c->ctl);
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
		if (c)
			c->ctl = ctl_adopt(fd);
		if (!c || !c->ctl) {
			free(c);
			close(fd);
			continue;
		}
		pthread_mutex_lock(&conns_lock);
		c->id = next_conn++;
		if (pthread_create(&c->thread, NULL, connection_main, c)) {
			ctl_close(c->ctl);
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

/* Open the directory of @path (kept: a daemon's working directory changes). */
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

int ctl_server_listen(const char *path, const struct ctl_service *svc)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int err = -ENAMETOOLONG;

	service = svc;
	if (strlen(path) >= sizeof(addr.sun_path))
		goto fail;
	strcpy(addr.sun_path, path);
	err = open_dir(path);
	if (err)
		goto fail;
	/*
	 * Of two servers starting on one path, one checks and binds, then the
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
	fprintf(stderr, "%s: control socket '%s': %s\n", svc->prog, path,
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

int ctl_server_start(void)
{
	int err = -pthread_create(&accept_thread, NULL, accept_main, NULL);

	if (err)
		fprintf(stderr, "%s: control socket: cannot start its thread: %s\n", service->prog,
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

void ctl_server_stop(void)
{
	if (listen_fd < 0)
		return;
	atomic_store(&stopping, true);
	/* While it still listens, no other server replaces it (ctl_server_listen()). */
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
		ctl_shutdown(c->ctl);
	pthread_mutex_unlock(&conns_lock);
	if (service->release)
		service->release(0);
	reap_connections(true);
	ctl_forker_stop();
}
