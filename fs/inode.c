// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The inode table (inode.h): records, two hash indexes over them (by node id
 * and by backing (dev, ino)), and a bounded FIFO of forgotten ("ghost")
 * records. Descriptors are the cache's (fd_cache.h), mounts the registry's
 * (mounts.h), node ids the scheme's (nodeid.h).
 *
 * One mutex protects the indexes, the FIFO and every record's references.
 * Critical sections are short; system calls that can block
 * (name_to_handle_at, open_by_handle_at) run outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containment.h"
#include "fd_cache.h"
#include "inode.h"
#include "list.h"
#include "mounts.h"

#define MAX_HANDLE_BYTES 128

/* A hash chain link; the index finds the record with container_of(). */
struct hash_link {
	struct hash_link *next;
};

/*
 * Chained hashing over links embedded in the records, doubled when the load
 * exceeds 1. @hash gives the hash of a linked record's key.
 */
struct hash_index {
	struct hash_link **buckets;
	size_t mask;
	size_t count;
	size_t (*hash)(const struct hash_link *l);
};

struct record {
	struct pinfs_inode pub;

	/* under inode_table.lock */
	uint64_t nlookup; /* kernel references */
	unsigned int refs; /* in-flight references */
	bool ghost; /* on the ghost FIFO */
	struct list_node fifo; /* on the ghost FIFO */
	struct hash_link by_id;
	struct hash_link by_key;

	struct fd_cache_entry opath; /* its O_PATH descriptor (fd_cache.h) */

	/* constant */
	struct backing_mount *mount; /* for open_by_handle_at, NULL without a handle */
	struct file_handle *fh; /* NULL without a handle */
};

struct inode_table {
	/* constant */
	unsigned int ghost_max;
	bool use_handles;
	bool source_is_fs_root; /* no inode of the root's device lies outside SOURCE */
	int source_fd; /* SOURCE's O_PATH descriptor (the root record's, pinned) */
	int source_mount_fd; /* SOURCE's mount (an entry's fd): revival opens by handle here */
	int source_view_err; /* 0 if SOURCE's mount has a view, else why not */
	struct record *root;
	struct fd_cache *fds;
	struct mount_registry *mounts;
	struct nodeid_scheme ids;
	struct pinfs_stats *stats;

	/*
	 * Lock order (docs/design.md): after any pinfs_dir.lock, before the
	 * descriptor cache's; never together with the mount registry's.
	 */
	pthread_mutex_t lock;
	struct hash_index by_id;
	struct hash_index by_key;
	struct list_node ghosts;
	unsigned long nghosts;
};

static inline struct record *rec(struct pinfs_inode *in)
{
	return container_of(in, struct record, pub);
}

/* ---- the indexes ---- */

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

static size_t id_hash_of(const struct hash_link *l)
{
	return hash_u64(container_of(l, struct record, by_id)->pub.nodeid);
}

static size_t key_hash_of(const struct hash_link *l)
{
	const struct record *r = container_of(l, struct record, by_key);

	return key_hash(r->pub.dev, r->pub.ino);
}

static int hash_init(struct hash_index *h, size_t size, size_t (*hash)(const struct hash_link *))
{
	h->buckets = calloc(size, sizeof(*h->buckets));
	h->mask = size - 1;
	h->count = 0;
	h->hash = hash;
	return h->buckets ? 0 : -ENOMEM;
}

/* The chain of hash value @hv. */
static struct hash_link *hash_chain(const struct hash_index *h, size_t hv)
{
	return h->buckets[hv & h->mask];
}

/* Double the bucket array when the load exceeds 1. Failure just keeps chains longer. */
static void hash_grow(struct hash_index *h)
{
	size_t nsize = (h->mask + 1) * 2;
	struct hash_link **nb;

	if (h->count <= h->mask + 1)
		return;
	nb = calloc(nsize, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i <= h->mask; i++) {
		struct hash_link *l = h->buckets[i], *next;

		for (; l; l = next) {
			size_t b = h->hash(l) & (nsize - 1);

			next = l->next;
			l->next = nb[b];
			nb[b] = l;
		}
	}
	free(h->buckets);
	h->buckets = nb;
	h->mask = nsize - 1;
}

static void hash_insert(struct hash_index *h, struct hash_link *l)
{
	struct hash_link **s = &h->buckets[h->hash(l) & h->mask];

	l->next = *s;
	*s = l;
	h->count++;
	hash_grow(h);
}

static void hash_remove(struct hash_index *h, struct hash_link *l)
{
	for (struct hash_link **s = &h->buckets[h->hash(l) & h->mask]; *s; s = &(*s)->next) {
		if (*s == l) {
			*s = l->next;
			h->count--;
			return;
		}
	}
}

static void index_insert(struct inode_table *t, struct record *r)
{
	hash_insert(&t->by_id, &r->by_id);
	hash_insert(&t->by_key, &r->by_key);
}

static void index_remove(struct inode_table *t, struct record *r)
{
	hash_remove(&t->by_id, &r->by_id);
	hash_remove(&t->by_key, &r->by_key);
}

static struct record *find_id(struct inode_table *t, fuse_ino_t id)
{
	for (struct hash_link *l = hash_chain(&t->by_id, hash_u64(id)); l; l = l->next) {
		struct record *r = container_of(l, struct record, by_id);

		if (r->pub.nodeid == id)
			return r;
	}
	return NULL;
}

/* ---- records ---- */

static bool same_handle(const struct file_handle *a, const struct file_handle *b)
{
	if (!a || !b)
		return a == b;
	return a->handle_type == b->handle_type && a->handle_bytes == b->handle_bytes &&
	       !memcmp(a->f_handle, b->f_handle, a->handle_bytes);
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
 * A record for the inode @st, with its O_PATH descriptor @fd (taken; never
 * evicted if @pinned) and handle @fh (taken) on @mount. NULL without memory
 * (and nothing taken).
 */
static struct record *record_new(struct inode_table *t, const struct stat *st, int fd,
				 bool pinned, struct backing_mount *mount, struct file_handle *fh)
{
	struct record *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->pub.dev = st->st_dev;
	r->pub.ino = st->st_ino;
	r->pub.type = st->st_mode & S_IFMT;
	pthread_mutex_init(&r->pub.lock, NULL);
	range_lock_init(&r->pub.writes);
	r->mount = fh ? mount : NULL;
	r->fh = fh;
	list_init(&r->fifo);
	fd_cache_entry_init(t->fds, &r->opath, fd, pinned);
	return r;
}

/* Free a record that no index, list or thread reaches any more. */
static void record_free(struct record *r)
{
	fd_cache_entry_close(&r->opath);
	pthread_mutex_destroy(&r->pub.lock);
	range_lock_destroy(&r->pub.writes);
	free(r->fh);
	free(r);
}

/* Take the ghost @r off the FIFO. Locked. */
static void ghost_unlink(struct inode_table *t, struct record *r)
{
	list_del(&r->fifo);
	r->ghost = false;
	t->nghosts--;
}

/*
 * The last reference of any kind is gone: keep a ghost (handle only) or free
 * the record. Locked.
 */
static void record_retire(struct inode_table *t, struct record *r)
{
	if (r == t->root)
		return;
	fd_cache_drop(t->fds, &r->opath);
	if (r->fh && t->ghost_max) {
		r->ghost = true;
		list_add_tail(&t->ghosts, &r->fifo);
		t->nghosts++;
		while (t->nghosts > t->ghost_max) {
			struct record *old = container_of(t->ghosts.next, struct record, fifo);

			ghost_unlink(t, old);
			index_remove(t, old);
			record_free(old);
		}
		return;
	}
	index_remove(t, r);
	record_free(r);
}

/* A ghost comes back to life (new kernel or in-flight reference). Locked. */
static void record_revive(struct inode_table *t, struct record *r)
{
	if (r->ghost)
		ghost_unlink(t, r);
}

/* ---- the table ---- */

/*
 * SOURCE's file handle (@fd: its O_PATH descriptor), if it also reopens on
 * @mount_fd (that needs CAP_DAC_READ_SEARCH); else NULL.
 */
static struct file_handle *source_handle(int fd, int mount_fd, int *mount_id)
{
	struct file_handle *fh = handle_of(fd, mount_id);
	int probe;

	if (!fh)
		return NULL;
	probe = open_by_handle_at(mount_fd, fh, O_PATH | O_CLOEXEC);
	if (probe < 0) {
		free(fh);
		return NULL;
	}
	close(probe);
	return fh;
}

struct inode_table *inode_table_create(const struct inode_table_config *cfg)
{
	struct inode_table *t = calloc(1, sizeof(*t));
	struct file_handle *fh = NULL;
	struct backing_mount *source_mount = NULL;
	struct stat st;
	int mount_id, err;

	if (!t)
		goto fail;
	pthread_mutex_init(&t->lock, NULL);
	list_init(&t->ghosts);
	t->ghost_max = cfg->ghost_max;
	t->stats = cfg->stats;
	t->source_view_err = -EOPNOTSUPP;
	t->fds = fd_cache_create(cfg->fd_cache, &cfg->stats->fd_evictions);
	t->mounts = mounts_create(cfg->view_attr);
	if (!t->fds || !t->mounts || hash_init(&t->by_id, 1024, id_hash_of) ||
	    hash_init(&t->by_key, 1024, key_hash_of))
		goto fail;
	if (fstatat(cfg->root_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		goto fail;

	if (cfg->use_handles)
		fh = source_handle(cfg->root_fd, cfg->root_mount_fd, &mount_id);
	if (fh) {
		source_mount = mounts_add(t->mounts, mount_id, cfg->root_mount_fd,
					  &t->source_view_err);
		if (!source_mount)
			goto fail_taken;
		t->source_mount_fd = cfg->root_mount_fd;
	} else {
		close(cfg->root_mount_fd);
	}
	t->use_handles = fh != NULL;
	nodeid_scheme_init(&t->ids, fh, st.st_dev);
	t->source_is_fs_root = t->ids.stable && source_is_fs_root(cfg->root_fd);

	/* SOURCE's descriptor is where every lookup starts: never evicted. */
	t->root = record_new(t, &st, cfg->root_fd, true, source_mount, fh);
	if (!t->root)
		goto fail_taken;
	t->source_fd = cfg->root_fd;
	t->root->pub.nodeid = FUSE_ROOT_ID;
	t->root->nlookup = 1;
	index_insert(t, t->root);
	return t;
fail:
	close(cfg->root_mount_fd);
fail_taken:
	err = errno;
	close(cfg->root_fd);
	free(fh);
	inode_table_destroy(t);
	errno = err;
	return NULL;
}

void inode_table_destroy(struct inode_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->by_id.buckets && i <= t->by_id.mask; i++) {
		struct hash_link *l = t->by_id.buckets[i], *next;

		for (; l; l = next) {
			next = l->next;
			record_free(container_of(l, struct record, by_id));
		}
	}
	free(t->by_id.buckets);
	free(t->by_key.buckets);
	mounts_destroy(t->mounts);
	fd_cache_destroy(t->fds);
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

/*
 * open_by_handle_at() of @r with @flags on the mount @mount_fd; on EMFILE or
 * ENFILE once more after closing half of the cached descriptors. Returns the
 * descriptor or -errno.
 */
static int open_by_handle(struct inode_table *t, struct record *r, int mount_fd, int flags)
{
	int fd = open_by_handle_at(mount_fd, r->fh, flags | O_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		fd_cache_shrink(t->fds);
		fd = open_by_handle_at(mount_fd, r->fh, flags | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int inode_fd_get(struct inode_table *t, struct pinfs_inode *in)
{
	struct record *r = rec(in);
	int fd = fd_cache_get(t->fds, &r->opath);

	if (fd != -ENOENT)
		return fd;
	if (!r->fh)
		return -EIO;
	fd = open_by_handle(t, r, r->mount->fd, O_PATH);
	if (fd < 0)
		return fd;
	stats_add(&t->stats->handle_reopens, 1);
	return fd_cache_install(t->fds, &r->opath, fd);
}

void inode_fd_put(struct inode_table *t, struct pinfs_inode *in)
{
	fd_cache_put(t->fds, &rec(in)->opath);
}

int inode_open(struct inode_table *t, struct pinfs_inode *in, int flags)
{
	struct record *r = rec(in);
	char path[32];
	int fd, pfd;

	if (r->fh)
		return open_by_handle(t, r, r->mount->io_fd, flags);
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

/* The record of (@dev, @ino) with handle @fh, after dropping a stale ghost of that key. Locked. */
static struct record *find_key(struct inode_table *t, const struct stat *st,
			       const struct file_handle *fh)
{
	struct record *r, *stale = NULL;
	struct hash_link *l;

	for (l = hash_chain(&t->by_key, key_hash(st->st_dev, st->st_ino)); l; l = l->next) {
		r = container_of(l, struct record, by_key);
		if (r->pub.dev != st->st_dev || r->pub.ino != st->st_ino)
			continue;
		if (!fh || !r->fh || same_handle(r->fh, fh))
			break;
		/* Same inode number, other handle: the old inode was deleted. */
		if (r->ghost && !r->refs)
			stale = r;
	}
	if (stale) {
		ghost_unlink(t, stale);
		index_remove(t, stale);
		record_free(stale);
	}
	return l ? container_of(l, struct record, by_key) : NULL;
}

int inode_register(struct inode_table *t, int fd, const struct stat *st, struct pinfs_inode **out)
{
	struct file_handle *fh = NULL;
	struct backing_mount *mount = NULL;
	struct record *r;
	bool fd_taken = true;
	int mount_id;

	if (t->use_handles)
		fh = handle_of(fd, &mount_id);
	if (fh) {
		mount = mounts_get(t->mounts, mount_id, fd, st);
		if (!mount) {
			free(fh);
			fh = NULL;
		}
	}

	pthread_mutex_lock(&t->lock);
	r = find_key(t, st, fh);
	if (r) {
		free(fh);
		record_revive(t, r);
		r->nlookup++;
		r->refs++;
		fd_taken = fd_cache_offer(t->fds, &r->opath, fd);
	} else {
		r = record_new(t, st, fd, !fh, mount, fh);
		if (!r) {
			pthread_mutex_unlock(&t->lock);
			free(fh);
			close(fd);
			return -ENOMEM;
		}
		r->pub.nodeid = nodeid_assign(&t->ids, fh, st->st_dev, &r->pub.stable_id);
		r->nlookup = 1;
		r->refs = 1;
		index_insert(t, r);
	}
	pthread_mutex_unlock(&t->lock);
	if (!fd_taken)
		close(fd);
	*out = &r->pub;
	return 0;
}

struct pinfs_inode *inode_revive(struct inode_table *t, fuse_ino_t nodeid)
{
	union {
		struct file_handle fh;
		char room[sizeof(struct file_handle) + NODEID_HANDLE_BYTES];
	} h;
	struct pinfs_inode *in = NULL;
	struct stat st;
	int fd;

	if (!nodeid_handle(&t->ids, nodeid, &h.fh))
		return NULL;
	fd = open_by_handle_at(t->source_mount_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* A handle names any inode of the device: only those beneath SOURCE (containment.h). */
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ||
	    st.st_dev != t->root->pub.dev ||
	    (!t->source_is_fs_root && inode_beneath_source(t->source_fd, fd, &st))) {
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
	r->nlookup++;
	pthread_mutex_unlock(&t->lock);
}

void inode_forget(struct inode_table *t, fuse_ino_t nodeid, uint64_t nlookup)
{
	struct record *r;

	pthread_mutex_lock(&t->lock);
	r = find_id(t, nodeid);
	if (r && r != t->root && r->nlookup) {
		r->nlookup = nlookup >= r->nlookup ? 0 : r->nlookup - nlookup;
		if (r->nlookup == 0 && r->refs == 0)
			record_retire(t, r);
	}
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
