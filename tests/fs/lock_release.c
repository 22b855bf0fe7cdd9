// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lock_release: a blocking lock waiter whose file is released while it waits
 * (locks.h). The daemon's own handlers (ops_file.c, ops_lock.c, on the real
 * inode table) are driven here through a stand-in for libfuse's request and
 * reply calls, without a mount: the Linux FUSE client keeps a file open while
 * a request on it is in flight, so no mount produces this order on demand.
 * The daemon must be right anyway: the waiter ends (EINTR) and never locks
 * anything after the RELEASE, in particular not a file that reuses the
 * released file's descriptor number. And when the daemon stops, every waiter
 * has replied and ended before locks_stop() returns.
 *
 * Exit status 0 if every check passed, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "engine.h"
#include "fd_budget.h"
#include "file.h"
#include "inode.h"
#include "locks.h"
#include "pinfs.h"

/* ---- the stand-in for libfuse ---- */

struct fuse_req {
	const char *name;
	bool replied;
	int err; /* the errno replied, 0 for success */
};

static pthread_mutex_t reply_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reply_cond = PTHREAD_COND_INITIALIZER;
static struct pinfs fs;

static int reply(fuse_req_t req, int err)
{
	pthread_mutex_lock(&reply_lock);
	req->replied = true;
	req->err = err;
	pthread_cond_broadcast(&reply_cond);
	pthread_mutex_unlock(&reply_lock);
	return 0;
}

int fuse_reply_err(fuse_req_t req, int err)
{
	return reply(req, err);
}

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	return reply(req, 0);
}

int fuse_reply_lock(fuse_req_t req, const struct flock *lock)
{
	return reply(req, 0);
}

void *fuse_req_userdata(fuse_req_t req)
{
	return &fs;
}

const struct fuse_ctx *fuse_req_ctx(fuse_req_t req)
{
	static struct fuse_ctx ctx;

	ctx.pid = getpid();
	return &ctx;
}

void fuse_req_interrupt_func(fuse_req_t req, fuse_interrupt_func_t func, void *data)
{
}

/* Linked in with ops_file.c, never called by these scenarios. */
static void unused(const char *name)
{
	fprintf(stderr, "lock_release: %s called\n", name);
	abort();
}

int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
		      const struct fuse_file_info *fi)
{
	unused(__func__);
	return 0;
}

int fuse_reply_lseek(fuse_req_t req, off_t off)
{
	unused(__func__);
	return 0;
}

int fuse_reply_write(fuse_req_t req, size_t count)
{
	unused(__func__);
	return 0;
}

int creds_enter_creator(struct pinfs *f, fuse_req_t req, mode_t *mode, struct creds_saved *s)
{
	unused(__func__);
	return 0;
}

void creds_leave(struct creds_saved *s)
{
	unused(__func__);
}

int pinfs_kill_suid(struct pinfs *f, fuse_req_t req, fuse_ino_t ino, int fd)
{
	unused(__func__);
	return 0;
}

/* ---- the harness ---- */

static struct fuse_lowlevel_ops ops;
static struct pinfs_options opts;
static struct pinfs_engine engine;	/* no data operations */
static char dir[] = "/tmp/pinfs-lock-release.XXXXXX";
static int dir_fd;
static int failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Wait up to @ms for @req's reply. */
static bool wait_reply(struct fuse_req *req, long ms)
{
	struct timespec until;
	bool replied;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&reply_lock);
	while (!req->replied && pthread_cond_timedwait(&reply_cond, &reply_lock, &until) == 0)
		;
	replied = req->replied;
	pthread_mutex_unlock(&reply_lock);
	return replied;
}

/* What LOOKUP leaves behind: a record with a kernel reference. */
static fuse_ino_t lookup(const char *name)
{
	struct pinfs_inode *in;
	struct stat st;
	fuse_ino_t id;
	int fd;

	fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die(name);
	close(fd);
	fd = openat(dir_fd, name, O_PATH | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die(name);
	if (inode_register(fs.itab, fd, &st, &in))
		die("inode_register");
	id = in->nodeid;
	inode_put(fs.itab, in);
	return id;
}

static void do_open(fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_req r = {.name = "open"};

	memset(fi, 0, sizeof(*fi));
	fi->flags = O_RDWR;
	ops.open(&r, ino, fi);
	if (!r.replied || r.err) {
		fprintf(stderr, "lock_release: OPEN failed: %s\n", strerror(r.err));
		exit(1);
	}
}

static void do_release(fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_req r = {.name = "release"};

	ops.release(&r, ino, fi);
	if (!r.replied || r.err)
		die("RELEASE");
}

static int open_native(const char *name)
{
	int fd = openat(dir_fd, name, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(name);
	return fd;
}

/*
 * flock: a waiter for "a" (another description holds it), RELEASE of its
 * file, then "b" opened so that it may get the released descriptor's number.
 */
static void flock_waiter(fuse_ino_t a, fuse_ino_t b)
{
	struct fuse_file_info fa, fb;
	struct fuse_req r = {.name = "flock"};
	int holder = open_native("a"), probe, fd_a;
	bool ended;

	if (flock(holder, LOCK_EX))
		die("flock holder");
	do_open(a, &fa);
	fd_a = file_of(&fa)->fd;
	ops.flock(&r, a, &fa, LOCK_EX);
	check(!wait_reply(&r, 200), "flock: the request waits while another file holds the lock");
	do_release(a, &fa);
	do_open(b, &fb);
	printf("     (released file's descriptor %d, the next file's %d)\n", fd_a,
	       file_of(&fb)->fd);
	ended = wait_reply(&r, 2000);
	check(ended && r.err == EINTR, "flock: RELEASE ends the waiter with EINTR (%s)",
	      ended ? strerror(r.err) : "still waiting");
	flock(holder, LOCK_UN);
	usleep(300 * 1000); /* longer than the waiter's longest back-off */
	wait_reply(&r, 2000);
	probe = open_native("b");
	check(!flock(probe, LOCK_EX | LOCK_NB), "flock: the file opened after RELEASE is not locked");
	close(probe);
	probe = open_native("a");
	check(!flock(probe, LOCK_EX | LOCK_NB), "flock: the released file holds no lock");
	close(probe);
	do_release(b, &fb);
	close(holder);
}

/* fcntl: a waiter for a record lock on "a", RELEASE of the file it came through. */
static void posix_waiter(fuse_ino_t a)
{
	struct flock all = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct flock l = all, q = all;
	struct fuse_file_info fa;
	struct fuse_req r = {.name = "setlkw"};
	int holder = open_native("a"), probe;
	bool ended;

	if (fcntl(holder, F_OFD_SETLK, &all))
		die("F_OFD_SETLK holder");
	do_open(a, &fa);
	fa.lock_owner = 42;
	l.l_pid = getpid();
	ops.setlk(&r, a, &fa, &l, 1);
	check(!wait_reply(&r, 200), "fcntl: the request waits while another owner holds the lock");
	do_release(a, &fa);
	ended = wait_reply(&r, 2000);
	check(ended && r.err == EINTR, "fcntl: RELEASE ends the waiter with EINTR (%s)",
	      ended ? strerror(r.err) : "still waiting");
	all.l_type = F_UNLCK;
	fcntl(holder, F_OFD_SETLK, &all);
	wait_reply(&r, 2000);
	probe = open_native("a");
	check(!fcntl(probe, F_OFD_GETLK, &q) && q.l_type == F_UNLCK,
	      "fcntl: no record lock is left on the file");
	close(probe);
	close(holder);
}

/*
 * The daemon stops (locks.h locks_stop()) while a flock request waits: by the
 * time locks_stop() returns the waiter has replied ENOTCONN (not EINTR, which
 * the kernel would turn into ERESTARTSYS without a signal) and its thread has
 * ended, and a blocking request after it is refused at once.
 */
static void stop_waiter(fuse_ino_t a)
{
	struct fuse_file_info fa;
	struct fuse_req r = {.name = "flock"}, late = {.name = "late flock"};
	int holder = open_native("a");
	bool replied;
	int err;

	if (flock(holder, LOCK_EX))
		die("flock holder");
	do_open(a, &fa);
	ops.flock(&r, a, &fa, LOCK_EX);
	check(!wait_reply(&r, 200), "stop: the request waits while another file holds the lock");
	locks_stop();
	pthread_mutex_lock(&reply_lock);
	replied = r.replied;
	err = r.err;
	pthread_mutex_unlock(&reply_lock);
	check(replied && err == ENOTCONN,
	      "stop: locks_stop() returns after the waiter replied ENOTCONN (%s)",
	      replied ? strerror(err) : "not replied");
	ops.flock(&late, a, &fa, LOCK_EX);
	check(late.replied && late.err, "stop: a blocking request after it is refused at once (%s)",
	      late.replied ? strerror(late.err) : "not replied");
	do_release(a, &fa);
	close(holder);
}

int main(void)
{
	struct inode_table_config cfg = {
		.fd_cache = 16,
		.ghost_max = 16,
	};
	fuse_ino_t a, b;

	if (!mkdtemp(dir))
		die("mkdtemp");
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cfg.root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cfg.root_mount_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0 || cfg.root_fd < 0 || cfg.root_mount_fd < 0)
		die(dir);
	fs.opts = &opts;
	fs.engine = &engine;
	fs.remote_locks = true;
	fs.itab = inode_table_create(&cfg);
	fs.fds = fd_budget_create(cfg.fd_cache, false);
	if (!fs.itab || !fs.fds)
		die("setup");
	ops_file_fill(&ops);
	ops_lock_fill(&ops);
	a = lookup("a");
	b = lookup("b");

	flock_waiter(a, b);
	posix_waiter(a);
	stop_waiter(a);	/* last: no waiter waits after it */

	unlinkat(dir_fd, "a", 0);
	unlinkat(dir_fd, "b", 0);
	rmdir(dir);
	printf("%s\n", failures ? "failed" : "passed");
	return failures ? 1 : 0;
}
