// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The backing mount registry (mounts.h): a list that only grows, under one
 * mutex. Adding an entry opens its mount's root and makes its view under the
 * mutex; that happens once per mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "mount_helper.h"
#include "mounts.h"
#include "pinfs.h"

struct mount_registry {
	bool views;			/* constant: make a view of each mount */
	struct mount_attr view_attr;	/* constant */

	/*
	 * Lock order (docs/design.md): after any pinfs_dir.lock; never
	 * together with the inode table's; no other lock under it.
	 */
	pthread_mutex_t lock;
	struct backing_mount *mounts;
};

struct mount_registry *mounts_create(const struct mount_attr *view_attr)
{
	struct mount_registry *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->views = view_attr != NULL;
	if (view_attr)
		m->view_attr = *view_attr;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

static void entry_free(struct backing_mount *b)
{
	if (b->io_fd != b->fd)
		close(b->io_fd);
	close(b->fd);
	free(b);
}

void mounts_destroy(struct mount_registry *m)
{
	if (!m)
		return;
	while (m->mounts) {
		struct backing_mount *b = m->mounts;

		m->mounts = b->next;
		entry_free(b);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* mounts_add(), locked. */
static struct backing_mount *add_locked(struct mount_registry *m, int mount_id, int fd,
					int *view_err)
{
	struct backing_mount *b = malloc(sizeof(*b));

	if (!b) {
		close(fd);
		return NULL;
	}
	b->mount_id = mount_id;
	b->fd = fd;
	b->io_fd = m->views ? mount_view_open(fd, &m->view_attr) : -EOPNOTSUPP;
	if (view_err)
		*view_err = b->io_fd < 0 ? b->io_fd : 0;
	if (b->io_fd < 0)
		b->io_fd = fd;
	b->next = m->mounts;
	m->mounts = b;
	return b;
}

struct backing_mount *mounts_add(struct mount_registry *m, int mount_id, int fd, int *view_err)
{
	struct backing_mount *b;

	pthread_mutex_lock(&m->lock);
	b = add_locked(m, mount_id, fd, view_err);
	pthread_mutex_unlock(&m->lock);
	return b;
}

struct backing_mount *mounts_get(struct mount_registry *m, int mount_id, int fd,
				 const struct stat *st)
{
	struct backing_mount *b;
	char path[32];
	int mfd;

	pthread_mutex_lock(&m->lock);
	for (b = m->mounts; b; b = b->next)
		if (b->mount_id == mount_id)
			goto out;
	if (!S_ISDIR(st->st_mode))
		goto out;
	proc_fd_path(path, sizeof(path), fd);
	mfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd >= 0)
		b = add_locked(m, mount_id, mfd, NULL);
out:
	pthread_mutex_unlock(&m->lock);
	return b;
}
