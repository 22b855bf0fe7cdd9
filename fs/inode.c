// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The inode table (inode.h): two hash indexes, a bounded LRU of O_PATH
 * descriptors and a bounded FIFO of forgotten ("ghost") records.
 *
 * One mutex protects the indexes, the counters and every record's private
 * part below. Critical sections are short; system calls that can block
 * (open_by_handle_at) run outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containment.h"
#include "inode.h"
#include "mount_helper.h"
#include "stats.h"

/* Intrusive doubly-linked list. */
struct list_node {
	struct list_node *prev, *next;
};

static void list_init(struct list_node *h)
{
	h->prev = h->next = h;
}

static bool list_linked(const struct list_node *n)
{
	return n->next != NULL && n->next != n;
}

static void list_add_tail(struct list_node *h, struct list_node *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#define MAX_HANDLE_BYTES 128

/* A record: the public part first, so a struct pinfs_inode * converts back. */
struct record {
	struct pinfs_inode pub;

	/* under inode_table.lock */
	uint64_t nlookup; /* kernel references */
	unsigned int refs; /* in-flight references */
	int fd; /* O_PATH descriptor or -1 */
	unsigned int fd_users; /* callers between inode_fd_get() and _put() */
	bool pinned; /* fd lives as long as the record (root, no handle) */
	bool ghost; /* on the ghost FIFO */
	struct list_node lru; /* on the LRU: fd >= 0, !pinned, !fd_users */
	struct list_node fifo; /* on the ghost FIFO */
	struct record *id_next;
	struct record *key_next;

	/* constant */
	struct mount_entry *mount; /* for open_by_handle_at, NULL without a handle */
	struct file_handle *fh; /* NULL without a handle */
};

/*
 * A backing mount, by its id in the daemon's mount namespace: the mount
 * descriptors open_by_handle_at() needs. Entries live as long as the table;
 * their descriptor keeps the mount, and so its id, from being reused.
 */
struct mount_entry {
	int mount_id;
	int fd; /* O_RDONLY directory on that mount itself: O_PATH reopens, for walks */
	int io_fd; /* its view (mount_helper.h) for I/O opens, else fd */
	struct mount_entry *next;
};

struct hash {
	struct record **buckets;
	size_t mask;
	size_t count;
};

struct inode_table {
	pthread_mutex_t lock;
	struct hash by_id;
	struct hash by_key;
	struct list_node lru;
	struct list_node ghosts;
	unsigned long nghosts;
	unsigned long nlive;
	unsigned long nfds; /* evictable descriptors open */
	unsigned int fd_cache;
	unsigned int ghost_max;
	bool use_handles;
	bool stable_ids; /* the root's handles are 8-byte FILEID_INO32_GEN */
	int handle_type; /* the root's handle type */
	bool source_is_fs_root; /* no inode of the root's device lies outside SOURCE */
	int source_mount_fd; /* SOURCE's mount (an entry's fd): revival opens by handle here */
	bool views; /* make views of the mounts, with view_attr */
	struct mount_attr view_attr;
	int source_view_err; /* 0 if SOURCE's mount has a view, else why not */
	fuse_ino_t next_id;
	struct mount_entry *mounts;
	struct record *root;
};

static inline struct record *rec(struct pinfs_inode *in)
{
	return (struct record *)in;
}

/* ---- hashing ---- */

static size_t hash_u64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	v *= 0xc4ceb9fe1a85ec53ULL;
	v ^= v >> 33;
	return (size_t)v;
}

static size_t key_hash(dev_t dev, ino_t ino)
{
	return hash_u64((uint64_t)ino ^ hash_u64((uint64_t)dev));
}

static int hash_init(struct hash *h, size_t size)
{
	h->buckets = calloc(size, sizeof(*h->buckets));
	h->mask = size - 1;
	h->count = 0;
	return h->buckets ? 0 : -ENOMEM;
}

static struct record **id_slot(struct hash *h, fuse_ino_t id)
{
	return &h->buckets[hash_u64(id) & h->mask];
}

static struct record **key_slot(struct hash *h, dev_t dev, ino_t ino)
{
	return &h->buckets[key_hash(dev, ino) & h->mask];
}

/* Double the bucket array when the load exceeds 1. Failure just keeps chains longer. */
static void hash_grow(struct hash *h, bool by_id)
{
	size_t nsize = (h->mask + 1) * 2;
	struct record **nb;

	if (h->count <= h->mask + 1)
		return;
	nb = calloc(nsize, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i <= h->mask; i++) {
		struct record *r = h->buckets[i], *next;

		for (; r; r = next) {
			size_t b;

			if (by_id) {
				next = r->id_next;
				b = hash_u64(r->pub.nodeid) & (nsize - 1);
				r->id_next = nb[b];
			} else {
				next = r->key_next;
				b = key_hash(r->pub.dev, r->pub.ino) & (nsize - 1);
				r->key_next = nb[b];
			}
			nb[b] = r;
		}
	}
	free(h->buckets);
	h->buckets = nb;
	h->mask = nsize - 1;
}

static void index_insert(struct inode_table *t, struct record *r)
{
	struct record **s = id_slot(&t->by_id, r->pub.nodeid);

	r->id_next = *s;
	*s = r;
	t->by_id.count++;
	s = key_slot(&t->by_key, r->pub.dev, r->pub.ino);
	r->key_next = *s;
	*s = r;
	t->by_key.count++;
	hash_grow(&t->by_id, true);
	hash_grow(&t->by_key, false);
}

static void index_remove(struct inode_table *t, struct record *r)
{
	struct record **s;

	for (s = id_slot(&t->by_id, r->pub.nodeid); *s; s = &(*s)->id_next) {
		if (*s == r) {
			*s = r->id_next;
			t->by_id.count--;
			break;
		}
	}
	for (s = key_slot(&t->by_key, r->pub.dev, r->pub.ino); *s; s = &(*s)->key_next) {
		if (*s == r) {
			*s = r->key_next;
			t->by_key.count--;
			break;
		}
	}
}

static struct record *find_id(struct inode_table *t, fuse_ino_t id)
{
	struct record *r;

	for (r = *id_slot(&t->by_id, id); r; r = r->id_next)
		if (r->pub.nodeid == id)
			return r;
	return NULL;
}

static bool same_handle(const struct file_handle *a, const struct file_handle *b)
{
	if (!a || !b)
		return a == b;
	return a->handle_type == b->handle_type && a->handle_bytes == b->handle_bytes &&
	       !memcmp(a->f_handle, b->f_handle, a->handle_bytes);
}

/* ---- descriptors ---- */

void proc_fd_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* Close least recently used descriptors until at most @limit remain. Lock held. */
static void evict_to(struct inode_table *t, unsigned long limit)
{
	while (t->nfds > limit && list_linked(&t->lru)) {
		struct record *r =
			(struct record *)((char *)t->lru.next - offsetof(struct record, lru));

		list_del(&r->lru);
		close(r->fd);
		r->fd = -1;
		t->nfds--;
		stats_count_event(STATS_FD_EVICTION);
	}
}

/* Make @r's descriptor evictable again if nobody uses it. Lock held. */
static void fd_idle(struct inode_table *t, struct record *r)
{
	if (r->fd >= 0 && !r->pinned && !r->fd_users && !list_linked(&r->lru))
		list_add_tail(&t->lru, &r->lru);
	evict_to(t, t->fd_cache);
}

static void record_free(struct record *r)
{
	if (r->fd >= 0)
		close(r->fd);
	pthread_mutex_destroy(&r->pub.lock);
	range_lock_destroy(&r->pub.writes);
	free(r->fh);
	free(r);
}

/*
 * The last reference of any kind is gone: keep a ghost (handle only) or free
 * the record. Lock held.
 */
static void record_retire(struct inode_table *t, struct record *r)
{
	if (r == t->root)
		return;
	if (list_linked(&r->lru))
		list_del(&r->lru);
	if (r->fd >= 0 && !r->pinned) {
		close(r->fd);
		r->fd = -1;
		t->nfds--;
	}
	if (r->fh && t->ghost_max) {
		r->ghost = true;
		list_add_tail(&t->ghosts, &r->fifo);
		t->nghosts++;
		while (t->nghosts > t->ghost_max) {
			struct record *old = (struct record *)((char *)t->ghosts.next -
							       offsetof(struct record, fifo));

			list_del(&old->fifo);
			old->ghost = false;
			t->nghosts--;
			index_remove(t, old);
			record_free(old);
		}
		return;
	}
	index_remove(t, r);
	record_free(r);
}

/* A ghost comes back to life (new kernel or in-flight reference). Lock held. */
static void record_revive(struct inode_table *t, struct record *r)
{
	if (r->ghost) {
		list_del(&r->fifo);
		r->ghost = false;
		t->nghosts--;
	}
}

/* ---- table ---- */

static struct record *record_new(const struct stat *st, int fd, struct mount_entry *mount,
				 struct file_handle *fh)
{
	struct record *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->pub.dev = st->st_dev;
	r->pub.ino = st->st_ino;
	r->pub.type = st->st_mode & S_IFMT;
	pthread_mutex_init(&r->pub.lock, NULL);
	range_lock_init(&r->pub.writes);
	r->fd = fd;
	r->mount = fh ? mount : NULL;
	r->fh = fh;
	r->pinned = !fh;
	list_init(&r->lru);
	list_init(&r->fifo);
	return r;
}

/* name_to_handle_at() into a fresh allocation; NULL if the inode has none. */
static struct file_handle *handle_of(int fd, int *mount_id)
{
	struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_BYTES);

	if (!fh)
		return NULL;
	fh->handle_bytes = MAX_HANDLE_BYTES;
	if (name_to_handle_at(fd, "", fh, mount_id, AT_EMPTY_PATH)) {
		free(fh);
		return NULL;
	}
	return fh;
}

/*
 * Add the entry of @mount_id, with @fd (O_RDONLY directory on that mount,
 * taken) and a view of the mount rooted at @fd if the table makes views
 * (*@view_err: 0, or why there is none). NULL (and @fd closed) without
 * memory. Lock held: a mount is added once, when its first inode is seen.
 */
static struct mount_entry *mount_add(struct inode_table *t, int mount_id, int fd, int *view_err)
{
	struct mount_entry *m = malloc(sizeof(*m));

	if (!m) {
		close(fd);
		return NULL;
	}
	m->mount_id = mount_id;
	m->fd = fd;
	m->io_fd = t->views ? mount_view_open(fd, &t->view_attr) : -EOPNOTSUPP;
	if (view_err)
		*view_err = m->io_fd < 0 ? m->io_fd : 0;
	if (m->io_fd < 0)
		m->io_fd = fd;
	m->next = t->mounts;
	t->mounts = m;
	return m;
}

/*
 * The entry of @mount_id, added from the directory @fd if this is the first
 * inode seen on that mount. NULL if none can be had (a non-directory mount
 * root). Lock held.
 */
static struct mount_entry *mount_for(struct inode_table *t, int mount_id, int fd,
				     const struct stat *st)
{
	struct mount_entry *m;
	char path[32];
	int mfd;

	for (m = t->mounts; m; m = m->next)
		if (m->mount_id == mount_id)
			return m;
	if (!S_ISDIR(st->st_mode))
		return NULL;
	proc_fd_path(path, sizeof(path), fd);
	mfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return mfd < 0 ? NULL : mount_add(t, mount_id, mfd, NULL);
}

static void mount_free(struct mount_entry *m)
{
	if (m->io_fd != m->fd)
		close(m->io_fd);
	close(m->fd);
	free(m);
}

#define FILEID_INO32_GEN 1
#define STABLE_HANDLE_BYTES 8

/* The stable node id (inode.h) of a record on @dev with handle @fh, or 0 for none. */
static fuse_ino_t stable_id(const struct inode_table *t, const struct file_handle *fh, dev_t dev)
{
	uint32_t fid[2];	/* ino, generation */

	if (!t->stable_ids || !fh || fh->handle_type != t->handle_type ||
	    fh->handle_bytes != STABLE_HANDLE_BYTES || dev != t->root->pub.dev)
		return 0;
	memcpy(fid, fh->f_handle, sizeof(fid));
	/* Generation 0 would land among the counter ids. */
	return fid[1] ? (fuse_ino_t)fid[1] << 32 | fid[0] : 0;
}

uint64_t inode_generation(const struct pinfs_inode *in, uint64_t epoch)
{
	return in->stable_id ? 0 : epoch;
}

struct inode_table *inode_table_create(const struct inode_table_config *cfg)
{
	struct inode_table *t = calloc(1, sizeof(*t));
	struct file_handle *fh = NULL;
	struct record *root;
	struct stat st;
	int mount_id;

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	list_init(&t->lru);
	list_init(&t->ghosts);
	t->fd_cache = cfg->fd_cache;
	t->ghost_max = cfg->ghost_max;
	t->use_handles = cfg->use_handles;
	t->views = cfg->view_attr != NULL;
	if (t->views)
		t->view_attr = *cfg->view_attr;
	t->source_view_err = -EOPNOTSUPP;
	t->next_id = FUSE_ROOT_ID + 1;
	if (hash_init(&t->by_id, 1024) || hash_init(&t->by_key, 1024))
		goto fail;
	if (fstatat(cfg->root_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		goto fail;

	if (t->use_handles) {
		fh = handle_of(cfg->root_fd, &mount_id);
		if (fh) {
			/* Prove the round trip works (needs CAP_DAC_READ_SEARCH). */
			int probe = open_by_handle_at(cfg->root_mount_fd, fh, O_PATH | O_CLOEXEC);

			if (probe < 0) {
				free(fh);
				fh = NULL;
			} else {
				close(probe);
			}
		}
		if (fh) {
			if (!mount_add(t, mount_id, cfg->root_mount_fd, &t->source_view_err))
				goto fail;
			t->source_mount_fd = cfg->root_mount_fd;
		}
		t->use_handles = fh != NULL;
		t->stable_ids = fh && fh->handle_type == FILEID_INO32_GEN &&
				fh->handle_bytes == STABLE_HANDLE_BYTES;
		t->handle_type = fh ? fh->handle_type : 0;
		t->source_is_fs_root = t->stable_ids && source_is_fs_root(cfg->root_fd);
	}
	if (!t->mounts)
		close(cfg->root_mount_fd);

	root = record_new(&st, cfg->root_fd, t->mounts, fh);
	if (!root)
		goto fail;
	root->pinned = true;
	root->pub.nodeid = FUSE_ROOT_ID;
	root->nlookup = 1;
	t->root = root;
	t->nlive = 1;
	index_insert(t, root);
	return t;
fail:
	free(fh);
	free(t->by_id.buckets);
	free(t->by_key.buckets);
	if (t->mounts)
		mount_free(t->mounts);
	free(t);
	return NULL;
}

void inode_table_destroy(struct inode_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i <= t->by_id.mask; i++) {
		struct record *r = t->by_id.buckets[i], *next;

		for (; r; r = next) {
			next = r->id_next;
			record_free(r);
		}
	}
	while (t->mounts) {
		struct mount_entry *m = t->mounts;

		t->mounts = m->next;
		mount_free(m);
	}
	free(t->by_id.buckets);
	free(t->by_key.buckets);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

bool inode_table_has_handles(struct inode_table *t)
{
	return t->use_handles;
}

int inode_table_view_error(struct inode_table *t)
{
	return t->source_view_err;
}

struct pinfs_inode *inode_get(struct inode_table *t, fuse_ino_t nodeid)
{
	struct record *r;

	pthread_mutex_lock(&t->lock);
	r = find_id(t, nodeid);
	if (r) {
		record_revive(t, r);
		r->refs++;
	}
	pthread_mutex_unlock(&t->lock);
	return r ? &r->pub : NULL;
}

void inode_put(struct inode_table *t, struct pinfs_inode *in)
{
	struct record *r = rec(in);

	pthread_mutex_lock(&t->lock);
	if (--r->refs == 0 && r->nlookup == 0)
		record_retire(t, r);
	pthread_mutex_unlock(&t->lock);
}

int inode_fd_get(struct inode_table *t, struct pinfs_inode *in)
{
	struct record *r = rec(in);
	int fd, retried = 0;

	pthread_mutex_lock(&t->lock);
	if (r->fd >= 0) {
		if (list_linked(&r->lru))
			list_del(&r->lru);
		r->fd_users++;
		fd = r->fd;
		pthread_mutex_unlock(&t->lock);
		return fd;
	}
	pthread_mutex_unlock(&t->lock);
	if (!r->fh)
		return -EIO;
again:
	fd = open_by_handle_at(r->mount->fd, r->fh, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if ((err == EMFILE || err == ENFILE) && !retried++) {
			/* Give back half of the cache and try once more. */
			pthread_mutex_lock(&t->lock);
			evict_to(t, t->nfds / 2);
			pthread_mutex_unlock(&t->lock);
			goto again;
		}
		return -err;
	}
	stats_count_event(STATS_HANDLE_REOPEN);
	pthread_mutex_lock(&t->lock);
	if (r->fd >= 0) {
		/* Another thread reopened it meanwhile. */
		if (list_linked(&r->lru))
			list_del(&r->lru);
		close(fd);
	} else {
		r->fd = fd;
		t->nfds++;
	}
	r->fd_users++;
	fd = r->fd;
	evict_to(t, t->fd_cache);
	pthread_mutex_unlock(&t->lock);
	return fd;
}

void inode_fd_put(struct inode_table *t, struct pinfs_inode *in)
{
	struct record *r = rec(in);

	pthread_mutex_lock(&t->lock);
	r->fd_users--;
	fd_idle(t, r);
	pthread_mutex_unlock(&t->lock);
}

int inode_open(struct inode_table *t, struct pinfs_inode *in, int flags)
{
	struct record *r = rec(in);
	char path[32];
	int fd, pfd;

	if (r->fh) {
		fd = open_by_handle_at(r->mount->io_fd, r->fh, flags | O_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			pthread_mutex_lock(&t->lock);
			evict_to(t, t->nfds / 2);
			pthread_mutex_unlock(&t->lock);
			fd = open_by_handle_at(r->mount->io_fd, r->fh, flags | O_CLOEXEC);
		}
		return fd < 0 ? -errno : fd;
	}
	pfd = inode_fd_get(t, in);
	if (pfd < 0)
		return pfd;
	proc_fd_path(path, sizeof(path), pfd);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	inode_fd_put(t, in);
	return fd;
}

int inode_register(struct inode_table *t, int fd, const struct stat *st, struct pinfs_inode **out)
{
	struct file_handle *fh = NULL;
	struct record *r, *stale = NULL;
	struct mount_entry *mount = NULL;
	int mount_id;
	int close_fd = -1;

	if (t->use_handles)
		fh = handle_of(fd, &mount_id);

	pthread_mutex_lock(&t->lock);
	if (fh) {
		mount = mount_for(t, mount_id, fd, st);
		if (!mount) {
			free(fh);
			fh = NULL;
		}
	}
	for (r = *key_slot(&t->by_key, st->st_dev, st->st_ino); r; r = r->key_next) {
		if (r->pub.dev != st->st_dev || r->pub.ino != st->st_ino)
			continue;
		if (!fh || !r->fh || same_handle(r->fh, fh))
			break;
		/* Same inode number, other handle: the old inode was deleted. */
		if (r->ghost && !r->refs)
			stale = r;
	}
	if (stale) {
		list_del(&stale->fifo);
		stale->ghost = false;
		t->nghosts--;
		index_remove(t, stale);
		record_free(stale);
	}
	if (r) {
		free(fh);
		record_revive(t, r);
		if (r->nlookup++ == 0)
			t->nlive++;
		r->refs++;
		if (r->fd < 0) {
			r->fd = fd;
			t->nfds++;
			fd_idle(t, r);
		} else {
			close_fd = fd;
		}
	} else {
		r = record_new(st, fd, mount, fh);
		if (!r) {
			pthread_mutex_unlock(&t->lock);
			free(fh);
			close(fd);
			return -ENOMEM;
		}
		r->pub.nodeid = stable_id(t, fh, st->st_dev);
		r->pub.stable_id = r->pub.nodeid != 0;
		if (!r->pub.stable_id)
			r->pub.nodeid = t->next_id++;
		r->nlookup = 1;
		r->refs = 1;
		t->nlive++;
		if (!r->pinned) {
			t->nfds++;
			fd_idle(t, r);
		}
		index_insert(t, r);
	}
	pthread_mutex_unlock(&t->lock);
	if (close_fd >= 0)
		close(close_fd);
	*out = &r->pub;
	return 0;
}

struct pinfs_inode *inode_revive(struct inode_table *t, fuse_ino_t nodeid)
{
	struct {
		struct file_handle fh;
		uint32_t fid[2];
	} h = { .fh = { .handle_bytes = STABLE_HANDLE_BYTES } };
	struct pinfs_inode *in = NULL;
	struct stat st;
	int fd;

	if (!t->stable_ids || !(nodeid >> 32))
		return NULL;
	h.fh.handle_type = t->handle_type;
	h.fid[0] = (uint32_t)nodeid;
	h.fid[1] = (uint32_t)(nodeid >> 32);
	fd = open_by_handle_at(t->source_mount_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* A handle names any inode of the device: only those beneath SOURCE (containment.h). */
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ||
	    st.st_dev != t->root->pub.dev ||
	    (!t->source_is_fs_root && inode_beneath_source(t->root->fd, fd, &st))) {
		close(fd);
		return NULL;
	}
	/* inode_register() takes @fd; the id it assigns is @nodeid again. */
	if (inode_register(t, fd, &st, &in))
		return NULL;
	if (in->nodeid != nodeid) {
		inode_forget(t, in->nodeid, 1);
		inode_put(t, in);
		return NULL;
	}
	return in;
}

void inode_ref_kernel(struct inode_table *t, struct pinfs_inode *in)
{
	struct record *r = rec(in);

	pthread_mutex_lock(&t->lock);
	record_revive(t, r);
	if (r->nlookup++ == 0)
		t->nlive++;
	pthread_mutex_unlock(&t->lock);
}

void inode_forget(struct inode_table *t, fuse_ino_t nodeid, uint64_t nlookup)
{
	struct record *r;

	pthread_mutex_lock(&t->lock);
	r = find_id(t, nodeid);
	if (r && r != t->root && r->nlookup) {
		r->nlookup = nlookup >= r->nlookup ? 0 : r->nlookup - nlookup;
		if (r->nlookup == 0) {
			t->nlive--;
			if (r->refs == 0)
				record_retire(t, r);
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void inode_table_counts(struct inode_table *t, unsigned long *live, unsigned long *ghosts,
			unsigned long *fds)
{
	pthread_mutex_lock(&t->lock);
	*live = t->nlive;
	*ghosts = t->nghosts;
	*fds = t->nfds;
	pthread_mutex_unlock(&t->lock);
}

int iref_get(struct pinfs *fs, fuse_ino_t nodeid, struct iref *r)
{
	r->inode = inode_get(fs->itab, nodeid);
	if (!r->inode)
		return -ESTALE;
	r->fd = inode_fd_get(fs->itab, r->inode);
	if (r->fd < 0) {
		int err = r->fd;

		inode_put(fs->itab, r->inode);
		r->inode = NULL;
		return err;
	}
	return 0;
}

void iref_put(struct pinfs *fs, struct iref *r)
{
	if (!r->inode)
		return;
	inode_fd_put(fs->itab, r->inode);
	inode_put(fs->itab, r->inode);
	r->inode = NULL;
	r->fd = -1;
}
