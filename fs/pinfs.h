/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's shared state and the operation tables.
 *
 * Conventions: negative errno inside, replies only at the FUSE
 * reply sites (the ops_*.c handlers), static by default.
 */
#ifndef PINFS_PINFS_H
#define PINFS_PINFS_H

#define FUSE_USE_VERSION 314

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <fuse_lowlevel.h>

#include "options.h"
#include "opstats.h"

#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* "/proc/self/fd/N" for @fd into @buf (at least 32 bytes): the path that reopens @fd. */
static inline void proc_fd_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

struct fd_budget;
struct inode_table;
struct pinfs_engine;

struct pinfs {
	struct pinfs_options *opts;
	struct fuse_session *se;
	struct inode_table *itab;
	struct fd_budget *fds; /* descriptors users keep the daemon holding */
	const struct pinfs_engine *engine;
	struct pinfs_stats stats;

	bool is_root; /* euid 0: handles, creds switching, O_NOATIME */
	bool posix_acl; /* backing supports POSIX ACLs; FUSE_CAP_POSIX_ACL wanted */
	bool writeback; /* FUSE_CAP_WRITEBACK_CACHE negotiated */
	bool export_support; /* stable nodeids across forget (file handles) */
	bool remote_locks; /* getlk/setlk/flock served on the backing file */
	uint64_t generation; /* per-mount epoch: export handles of older mounts go stale */

	/*
	 * The mountpoint may lie inside SOURCE. The daemon's view of that
	 * directory is the one underneath the mount (shadow_fd, O_PATH, opened
	 * before mounting): a lookup of shadow_name in the directory
	 * (shadow_dev, shadow_ino) is answered with it, so the daemon never
	 * walks into its own mount.
	 */
	int shadow_fd;
	dev_t shadow_dev;
	ino_t shadow_ino;
	char *shadow_name;
};

static inline struct pinfs *pinfs_from_req(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Operation tables, one file each (ops_*.c); pinfs_ops_fill() merges them. */
void ops_entry_fill(struct fuse_lowlevel_ops *ops);
void ops_dir_fill(struct fuse_lowlevel_ops *ops);
void ops_xattr_fill(struct fuse_lowlevel_ops *ops);
void ops_file_fill(struct fuse_lowlevel_ops *ops);
void ops_data_fill(struct fuse_lowlevel_ops *ops);
void ops_lock_fill(struct fuse_lowlevel_ops *ops);
void ops_session_fill(struct fuse_lowlevel_ops *ops);

/*
 * Helpers shared by the handlers (ops_entry.c).
 *
 * pinfs_do_lookup(): look @name up in directory @parent, add a kernel
 * reference to the resulting inode and fill @e. Returns 0 or -errno.
 */
int pinfs_do_lookup(struct pinfs *fs, fuse_ino_t parent, const char *name,
		    struct fuse_entry_param *e);

/*
 * Clear S_ISUID, and S_ISGID if group-executable, after a data change by a
 * caller without CAP_FSETID (uid != 0): the daemon acts as root, so the
 * backing filesystem would keep them (xfstests generic/355, 683-685).
 * @fd is an open descriptor of the file. Returns 0 or -errno.
 */
int pinfs_kill_suid(struct pinfs *fs, fuse_req_t req, fuse_ino_t ino, int fd);

#endif
