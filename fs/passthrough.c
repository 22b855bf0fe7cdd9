// SPDX-License-Identifier: GPL-2.0-or-later
/* Kernel FUSE passthrough (passthrough.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "file.h"
#include "fuse_uapi.h"
#include "inode.h"
#include "passthrough.h"

#define BUCKETS 1024

/* One backing id, shared by every passthrough handle of an inode. */
struct backing {
	const struct pinfs_inode *inode;
	int id;
	unsigned int handles;
	struct backing *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct backing *table[BUCKETS];
static int dev_fd = -1;		/* /dev/fuse, where the backing ioctls go; -1: passthrough off */
static atomic_ulong opens, live_ids;
static atomic_bool refusal_reported;

/* The open reply this thread sends next for the file at @fh carries @id. */
static __thread struct {
	uintptr_t fh;
	int id;
} armed;

static struct backing **bucket(const struct pinfs_inode *in)
{
	return &table[((uintptr_t)in >> 6) % BUCKETS];
}

int passthrough_check(struct pinfs *fs, int fuse_fd, uint64_t offered)
{
	struct fuse_backing_map map = { 0 };
	struct pinfs_inode *root;
	int fd, id;

	if (!(offered & FUSE_PASSTHROUGH)) {
		fprintf(stderr, "pinfs: -o passthrough: this kernel offers no FUSE passthrough "
				"(it needs Linux 6.9 or later with CONFIG_FUSE_PASSTHROUGH)\n");
		return -EOPNOTSUPP;
	}
	/*
	 * Ask for a backing id on a directory: the kernel checks the mount's
	 * passthrough and CAP_SYS_ADMIN (EPERM) before the file type
	 * (EISDIR), so this tells without touching any file.
	 */
	root = inode_get(fs->itab, FUSE_ROOT_ID);
	fd = root ? inode_open(fs->itab, root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -ESTALE;
	if (root)
		inode_put(fs->itab, root);
	if (fd < 0) {
		fprintf(stderr, "pinfs: -o passthrough: cannot open the source: %s\n",
			strerror(-fd));
		return fd;
	}
	map.fd = fd;
	id = ioctl(fuse_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (id > 0) {
		uint32_t u = (uint32_t)id;

		ioctl(fuse_fd, FUSE_DEV_IOC_BACKING_CLOSE, &u);
	} else if (errno == EPERM || errno == ENOTTY) {
		int err = errno;

		close(fd);
		fprintf(stderr, "pinfs: -o passthrough: the kernel refused it for this mount "
				"(FUSE_DEV_IOC_BACKING_OPEN: %s; it needs CAP_SYS_ADMIN)\n",
			strerror(err));
		return -err;
	}
	close(fd);
	dev_fd = fuse_fd;
	return 0;
}

static int backing_get(struct pinfs_file *f)
{
	struct backing **head = bucket(f->inode), *b;
	struct fuse_backing_map map = { .fd = f->fd };
	int id;

	pthread_mutex_lock(&table_lock);
	for (b = *head; b && b->inode != f->inode; b = b->next)
		;
	if (b) {
		b->handles++;
		id = b->id;
		goto out;
	}
	id = ioctl(dev_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (id <= 0) {
		id = -errno;
		goto out;
	}
	b = malloc(sizeof(*b));
	if (!b) {
		uint32_t u = (uint32_t)id;

		ioctl(dev_fd, FUSE_DEV_IOC_BACKING_CLOSE, &u);
		id = -ENOMEM;
		goto out;
	}
	*b = (struct backing){ .inode = f->inode, .id = id, .handles = 1, .next = *head };
	*head = b;
	atomic_fetch_add(&live_ids, 1);
out:
	pthread_mutex_unlock(&table_lock);
	return id;
}

void passthrough_open(struct pinfs *fs, struct pinfs_file *f)
{
	int id;

	f->passthrough = false;
	armed.fh = 0;
	if (dev_fd < 0 || f->inode->type != S_IFREG)
		return;
	id = backing_get(f);
	if (id < 0) {
		/* ELOOP: the backing filesystem is stacked itself. */
		if (!atomic_exchange(&refusal_reported, true))
			fprintf(stderr, "pinfs: passthrough: FUSE_DEV_IOC_BACKING_OPEN failed (%s); "
					"such files are served by the daemon\n",
				strerror(-id));
		return;
	}
	f->passthrough = true;
	armed.fh = (uintptr_t)f;
	armed.id = id;
	atomic_fetch_add(&opens, 1);
}

void passthrough_release(struct pinfs *fs, struct pinfs_file *f)
{
	struct backing **p, *b = NULL;

	if (armed.fh == (uintptr_t)f)
		armed.fh = 0;	/* its reply was never sent */
	if (!f->passthrough)
		return;
	pthread_mutex_lock(&table_lock);
	for (p = bucket(f->inode); *p; p = &(*p)->next) {
		if ((*p)->inode == f->inode) {
			b = *p;
			if (--b->handles == 0)
				*p = b->next;
			else
				b = NULL;
			break;
		}
	}
	if (b) {
		uint32_t u = (uint32_t)b->id;

		/* The kernel keeps the file open for as long as its files use it. */
		ioctl(dev_fd, FUSE_DEV_IOC_BACKING_CLOSE, &u);
		atomic_fetch_sub(&live_ids, 1);
	}
	pthread_mutex_unlock(&table_lock);
	free(b);
}

/*
 * libfuse sends an open reply as a header and one buffer whose last 16 bytes
 * are fuse_open_out (after fuse_entry_out for a create); it is the reply for
 * the armed file if its fh says so.
 */
void passthrough_reply(struct iovec *iov, int count)
{
	struct fuse_open_out *out;
	int32_t id = armed.id;

	if (!armed.fh || count != 2 || iov[1].iov_len < sizeof(*out))
		return;
	out = (void *)((char *)iov[1].iov_base + iov[1].iov_len - sizeof(*out));
	if (out->fh != armed.fh)
		return;
	out->open_flags |= FOPEN_PASSTHROUGH;
	memcpy((char *)out + PINFS_OPEN_OUT_BACKING_ID, &id, sizeof(id));
	armed.fh = 0;
}

void passthrough_counts(uint64_t *nopens, uint64_t *nids)
{
	*nopens = atomic_load(&opens);
	*nids = atomic_load(&live_ids);
}
