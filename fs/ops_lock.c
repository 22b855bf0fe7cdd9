// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * getlk, setlk and flock on the backing file (locks.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fd_budget.h"
#include "file.h"
#include "inode.h"
#include "locks.h"

struct lock_owner {
	uint64_t owner;
	pid_t pid; /* of the last lock request: reported by getlk */
	int fd; /* backing descriptor holding this owner's OFD locks */
	uid_t uid; /* fd is charged to this user (fd_budget.h) */
	struct pinfs_file *file; /* the open file it was created through */
	unsigned int refs; /* waiters using fd */
	bool dead; /* flushed or released while a waiter held it: unlocked, never locks again */
	struct lock_owner *next;
};

/*
 * Waiters sleep until any lock on the mount is released (or a back-off
 * passes). Lock order (docs/design.md): no other pinfs lock is held with
 * wait_lock. It is taken in libfuse's interrupt callback, under libfuse's
 * request lock: nothing holding it may call into libfuse.
 */
static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond = PTHREAD_COND_INITIALIZER;
static unsigned long release_generation;
/* Under wait_lock: waiter threads not yet ended, and locks_stop()'s wait for them. */
static unsigned int live_waiters;
static pthread_cond_t waiters_gone = PTHREAD_COND_INITIALIZER;
static atomic_bool stopping;	/* locks_stop() was called: no waiter waits any more */

static void locks_released(void)
{
	pthread_mutex_lock(&wait_lock);
	release_generation++;
	pthread_cond_broadcast(&wait_cond);
	pthread_mutex_unlock(&wait_lock);
}

/* in->lock held. */
static struct lock_owner *owner_find(struct pinfs_inode *in, uint64_t owner)
{
	struct lock_owner *o;

	for (o = in->lock_owners; o; o = o->next)
		if (o->owner == owner && !o->dead)
			return o;
	return NULL;
}

/* A descriptor for a new owner: read-write if possible, else like the file. */
static int owner_open(struct pinfs *fs, struct pinfs_file *f)
{
	int fd = inode_open(fs->itab, f->inode, O_RDWR | O_NONBLOCK | O_NOATIME);

	if (fd == -EPERM)
		fd = inode_open(fs->itab, f->inode, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		fd = inode_open(fs->itab, f->inode, (f->flags & O_ACCMODE) | O_NONBLOCK);
	return fd;
}

/*
 * The owner @owner of @f's inode, created for @uid's request if new. Its
 * descriptor is charged to @uid; when there is no descriptor for it, the lock
 * table is full (ENOLCK), as fcntl(2) says. in->lock held.
 */
static int owner_get(struct pinfs *fs, struct pinfs_file *f, uint64_t owner, pid_t pid, uid_t uid,
		     struct lock_owner **out)
{
	struct pinfs_inode *in = f->inode;
	struct lock_owner *o = owner_find(in, owner);
	int fd, err;

	if (o) {
		if (pid > 0)
			o->pid = pid;
		*out = o;
		return 0;
	}
	err = fd_budget_charge(fs->fds, uid, 1);
	if (err)
		return err == -ENFILE ? -ENOLCK : err;
	fd = owner_open(fs, f);
	if (fd < 0) {
		err = fd == -EMFILE || fd == -ENFILE ? -ENOLCK : fd;
		goto uncharge;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		close(fd);
		err = -ENOMEM;
		goto uncharge;
	}
	o->owner = owner;
	o->pid = pid;
	o->fd = fd;
	o->uid = uid;
	o->file = f;
	o->next = in->lock_owners;
	in->lock_owners = o;
	*out = o;
	return 0;
uncharge:
	fd_budget_uncharge(fs->fds, uid, 1);
	return err;
}

/* Unlink and close @o, or unlock it and mark it dead if a waiter uses it. in->lock held. */
static void owner_drop(struct pinfs *fs, struct pinfs_inode *in, struct lock_owner *o)
{
	struct lock_owner **p;

	if (o->refs) {
		struct flock all = {.l_type = F_UNLCK, .l_whence = SEEK_SET};

		fcntl(o->fd, F_OFD_SETLK, &all);
		o->dead = true;
		return;
	}
	for (p = &in->lock_owners; *p; p = &(*p)->next) {
		if (*p == o) {
			*p = o->next;
			break;
		}
	}
	close(o->fd);
	fd_budget_uncharge(fs->fds, o->uid, 1);
	free(o);
}

void locks_flush(struct pinfs *fs, struct pinfs_file *f, uint64_t owner)
{
	struct pinfs_inode *in = f->inode;
	struct lock_owner *o;

	pthread_mutex_lock(&in->lock);
	o = owner_find(in, owner);
	if (o)
		owner_drop(fs, in, o);
	pthread_mutex_unlock(&in->lock);
	if (o)
		locks_released();
}

void locks_file_release(struct pinfs *fs, struct pinfs_file *f)
{
	struct pinfs_inode *in = f->inode;
	struct lock_owner *o, *next;

	pthread_mutex_lock(&in->lock);
	f->released = true;
	/*
	 * flock locks go with the file's description, closed by the last
	 * file_put(). A flock waiter still holds a reference: drop the lock now.
	 */
	if (f->refs > 1)
		flock(f->fd, LOCK_UN);
	for (o = in->lock_owners; o; o = next) {
		next = o->next;
		if (o->file != f)
			continue;
		o->file = NULL;
		if (!o->dead)
			owner_drop(fs, in, o);
	}
	pthread_mutex_unlock(&in->lock);
	/* Wakes the other waiters, and ends this file's own. */
	locks_released();
}

/* ---- blocking requests ---- */

enum wait_kind { WAIT_POSIX, WAIT_FLOCK };

struct lock_wait {
	struct pinfs *fs;
	fuse_req_t req;
	enum wait_kind kind;
	struct pinfs_inode *inode; /* in-flight reference */
	struct lock_owner *owner; /* WAIT_POSIX, with a reference */
	struct pinfs_file *file; /* WAIT_FLOCK, with a reference: its description stays open */
	int op; /* WAIT_FLOCK */
	struct flock fl; /* WAIT_POSIX */
	atomic_bool interrupted;
};

static void wait_interrupted(fuse_req_t req, void *data)
{
	struct lock_wait *w = data;

	atomic_store(&w->interrupted, true);
	locks_released();
}

/*
 * One attempt, under the inode's lock so that it cannot interleave with FLUSH
 * or RELEASE: once the owner is dead or the file released, nothing is locked
 * through them any more, and the waiter ends with EINTR.
 */
static int try_lock(struct lock_wait *w)
{
	struct pinfs_inode *in = w->inode;
	int err;

	pthread_mutex_lock(&in->lock);
	if (w->kind == WAIT_FLOCK) {
		if (w->file->released)
			err = -EINTR;
		else
			err = flock(w->file->fd, w->op | LOCK_NB) ? -errno : 0;
	} else {
		if (w->owner->dead)
			err = -EINTR;
		else
			err = fcntl(w->owner->fd, F_OFD_SETLK, &w->fl) ? -errno : 0;
	}
	pthread_mutex_unlock(&in->lock);
	return err;
}

static bool would_block(int err)
{
	return err == -EAGAIN || err == -EACCES || err == -EWOULDBLOCK;
}

/* A waiter thread ends, or was never started: the last one wakes locks_stop(). */
static void waiter_ended(void)
{
	pthread_mutex_lock(&wait_lock);
	if (--live_waiters == 0)
		pthread_cond_broadcast(&waiters_gone);
	pthread_mutex_unlock(&wait_lock);
}

static void *waiter_main(void *arg)
{
	struct lock_wait *w = arg;
	struct pinfs *fs = w->fs;
	long backoff_ms = 1;
	int err;

	for (;;) {
		unsigned long gen;

		pthread_mutex_lock(&wait_lock);
		gen = release_generation;
		pthread_mutex_unlock(&wait_lock);
		err = try_lock(w);
		if (!would_block(err))
			break;
		if (atomic_load(&w->interrupted)) {
			err = -EINTR;
			break;
		}
		if (atomic_load(&stopping)) {
			/*
			 * Not EINTR: without a signal the kernel would hand its restart
			 * code (ERESTARTSYS, 512) to the caller. ENOTCONN is what every
			 * request gets once the daemon is gone.
			 */
			err = -ENOTCONN;
			break;
		}
		pthread_mutex_lock(&wait_lock);
		if (gen == release_generation && !atomic_load(&w->interrupted) &&
		    !atomic_load(&stopping)) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += backoff_ms * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&wait_cond, &wait_lock, &until);
		}
		pthread_mutex_unlock(&wait_lock);
		if (backoff_ms < 100)
			backoff_ms *= 2;
	}

	fuse_req_interrupt_func(w->req, NULL, NULL);
	if (w->kind == WAIT_POSIX) {
		struct pinfs_inode *in = w->inode;

		pthread_mutex_lock(&in->lock);
		w->owner->refs--;
		/* Dead after the lock was granted: the close dropped it, as it would natively. */
		if (w->owner->dead)
			owner_drop(fs, in, w->owner);
		pthread_mutex_unlock(&in->lock);
	} else {
		file_put(fs, w->file);
	}
	stats_count_op(w->kind == WAIT_FLOCK ? PINFS_OP_FLOCK : PINFS_OP_SETLK, err);
	fuse_reply_err(w->req, -err);
	inode_put(fs->itab, w->inode);
	free(w);
	waiter_ended();
	return NULL;
}

/*
 * Hand @w to its own thread. Returns 0, or -errno with @w untouched (ENOTCONN
 * once locks_stop() was called; op_flock() answers any failure with ENOLCK).
 */
static int wait_start(struct lock_wait *w)
{
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	pthread_mutex_lock(&wait_lock);
	err = atomic_load(&stopping) ? -ENOTCONN : 0;
	if (!err)
		live_waiters++;
	pthread_mutex_unlock(&wait_lock);
	if (err)
		return err;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	fuse_req_interrupt_func(w->req, wait_interrupted, w);
	err = pthread_create(&tid, &attr, waiter_main, w);
	pthread_attr_destroy(&attr);
	if (err) {
		fuse_req_interrupt_func(w->req, NULL, NULL);
		waiter_ended();
		return -err;
	}
	return 0;
}

void locks_stop(void)
{
	pthread_mutex_lock(&wait_lock);
	atomic_store(&stopping, true);
	pthread_cond_broadcast(&wait_cond);
	while (live_waiters)
		pthread_cond_wait(&waiters_gone, &wait_lock);
	pthread_mutex_unlock(&wait_lock);
}

/* ---- handlers ---- */

static struct flock ofd_lock(const struct flock *lock)
{
	struct flock fl = *lock;

	fl.l_pid = 0; /* F_OFD_* insist */
	return fl;
}

static void op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock)
{
	struct pinfs_file *f = file_of(fi);
	struct pinfs_inode *in = f->inode;
	struct flock fl = ofd_lock(lock);
	struct lock_owner *o, *y;
	int err;

	pthread_mutex_lock(&in->lock);
	/*
	 * An owner not met yet holds no lock: the file's own descriptor, which
	 * holds no record locks, sees the same conflicts.
	 */
	o = owner_find(in, fi->lock_owner);
	err = fcntl(o ? o->fd : f->fd, F_OFD_GETLK, &fl) ? -errno : 0;
	if (!err && fl.l_type != F_UNLCK && fl.l_pid <= 0) {
		/* Held through one of our owners: find which (it no longer conflicts from there). */
		fl.l_pid = 0;
		for (y = in->lock_owners; y; y = y->next) {
			struct flock q = ofd_lock(lock);

			if (y == o || y->dead)
				continue;
			if (!fcntl(y->fd, F_OFD_GETLK, &q) &&
			    (q.l_type == F_UNLCK || q.l_start != fl.l_start ||
			     q.l_len != fl.l_len)) {
				fl.l_pid = y->pid;
				break;
			}
		}
	}
	pthread_mutex_unlock(&in->lock);
	stats_count_op(PINFS_OP_GETLK, err);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_lock(req, &fl);
}

static void op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
		     int sleep)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	struct pinfs_inode *in = f->inode;
	struct flock fl = ofd_lock(lock);
	struct lock_owner *o;
	struct lock_wait *w;
	int err;

	pthread_mutex_lock(&in->lock);
	if (fl.l_type == F_UNLCK) {
		o = owner_find(in, fi->lock_owner);
		err = 0;
		if (o && fcntl(o->fd, F_OFD_SETLK, &fl))
			err = -errno;
		pthread_mutex_unlock(&in->lock);
		if (o)
			locks_released();
		goto reply;
	}
	err = owner_get(fs, f, fi->lock_owner,
			lock->l_pid > 0 ? lock->l_pid : fuse_req_ctx(req)->pid, fuse_req_ctx(req)->uid,
			&o);
	if (err) {
		/* Not a conflict, even if it says EWOULDBLOCK (a lease on O_NONBLOCK open). */
		if (would_block(err))
			err = -ENOLCK;
		pthread_mutex_unlock(&in->lock);
		goto reply;
	}
	if (fcntl(o->fd, F_OFD_SETLK, &fl))
		err = -errno;
	if (!would_block(err) || !sleep) {
		pthread_mutex_unlock(&in->lock);
		goto reply;
	}
	o->refs++;
	pthread_mutex_unlock(&in->lock);

	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOLCK;
		goto unref;
	}
	w->fs = fs;
	w->req = req;
	w->kind = WAIT_POSIX;
	w->inode = inode_get(fs->itab, in->nodeid);
	w->owner = o;
	w->fl = fl;
	if (!w->inode) {
		free(w);
		err = -ESTALE;
		goto unref;
	}
	err = wait_start(w);
	if (!err)
		return;
	inode_put(fs->itab, w->inode);
	free(w);
unref:
	pthread_mutex_lock(&in->lock);
	o->refs--;
	if (o->dead)
		owner_drop(fs, in, o);
	pthread_mutex_unlock(&in->lock);
reply:
	stats_count_op(PINFS_OP_SETLK, err);
	fuse_reply_err(req, -err);
}

static void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	struct pinfs *fs = pinfs_from_req(req);
	struct pinfs_file *f = file_of(fi);
	struct lock_wait *w;
	int err;

	err = flock(f->fd, op | ((op & LOCK_UN) ? 0 : LOCK_NB)) ? -errno : 0;
	if (op & LOCK_UN)
		locks_released();
	if (!would_block(err) || (op & LOCK_NB))
		goto reply;
	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOLCK;
		goto reply;
	}
	w->fs = fs;
	w->req = req;
	w->kind = WAIT_FLOCK;
	w->inode = inode_get(fs->itab, f->inode->nodeid);
	w->file = f;
	w->op = op & ~LOCK_NB;
	/* The waiter's own reference: f->fd stays this file's until the waiter ends. */
	pthread_mutex_lock(&f->inode->lock);
	f->refs++;
	pthread_mutex_unlock(&f->inode->lock);
	if (w->inode && !wait_start(w))
		return;
	file_put(fs, f);
	if (w->inode)
		inode_put(fs->itab, w->inode);
	free(w);
	err = -ENOLCK;
reply:
	stats_count_op(PINFS_OP_FLOCK, err);
	fuse_reply_err(req, -err);
}

void ops_lock_fill(struct fuse_lowlevel_ops *ops)
{
	ops->getlk = op_getlk;
	ops->setlk = op_setlk;
	ops->flock = op_flock;
}
