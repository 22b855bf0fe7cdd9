/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-thread credentials for requests served on behalf of a caller.
 *
 * The daemon runs as root. With allow_other, a file created through the mount
 * by user U, group G must be U:G in the backing store, inherit a setgid
 * directory's group and its default ACL, and honour U's umask. So around every
 * create-type call the worker thread takes U's fsuid and fsgid (per-thread
 * system calls, not glibc's process-wide setxid broadcast), re-raises its file
 * system capabilities (the kernel already checked permissions: the mount
 * always has default_permissions), and sets the request's umask (each worker
 * has its own fs_struct, see creds_thread_init()).
 *
 * For access(2) the thread takes the caller's full identity: fsuid, fsgid,
 * supplementary groups (the raw setgroups system call, which is per-thread),
 * and no capabilities.
 */
#ifndef PINFS_CREDS_H
#define PINFS_CREDS_H

#include <stdbool.h>
#include <sys/types.h>

#include "pinfs.h"

struct creds_saved {
	bool ids; /* fsuid/fsgid switched */
	bool groups; /* supplementary groups switched */
	bool umask_set;
	mode_t old_umask;
};

/*
 * Call once in every thread that serves requests: unshares the fs_struct so the
 * thread's umask is its own. Returns 0 or -errno (then creds_enter_creator()
 * applies the umask to the mode itself).
 */
int creds_thread_init(void);

/* Record the daemon's own supplementary groups (call once, before threads). */
void creds_global_init(void);

/*
 * Become the creator of a new inode for @req. *@mode is adjusted only when the
 * thread has no private umask. Returns 0 or -errno; on error nothing changed.
 */
int creds_enter_creator(struct pinfs *fs, fuse_req_t req, mode_t *mode, struct creds_saved *s);

/* Become the caller of @req with its groups and no capabilities (access checks). */
int creds_enter_caller(struct pinfs *fs, fuse_req_t req, struct creds_saved *s);

/*
 * Return to the daemon's identity. Never fails: if the thread cannot get its
 * ids, capabilities or groups back, the daemon stops (abort(), with a message)
 * rather than serve any further request with a caller's credentials.
 */
void creds_leave(struct creds_saved *s);

/*
 * Is the caller of @req a member of group @gid (primary or supplementary)?
 * Returns 1, 0 or -errno.
 */
int creds_in_group(fuse_req_t req, gid_t gid);

#endif
