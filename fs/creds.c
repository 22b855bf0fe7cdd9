// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-thread credentials (creds.h).
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "creds.h"

#define MAX_GROUPS 1024

static __thread bool thread_has_umask;
static gid_t daemon_groups[MAX_GROUPS];
static int daemon_ngroups;

void creds_global_init(void)
{
	int n = getgroups(MAX_GROUPS, daemon_groups);

	daemon_ngroups = n < 0 ? 0 : n;
}

int creds_thread_init(void)
{
	if (thread_has_umask)
		return 0;
	if (unshare(CLONE_FS))
		return -errno;
	thread_has_umask = true;
	return 0;
}

/*
 * Raw per-thread system calls: glibc would broadcast setgroups to all threads.
 * setfsuid() and setfsgid() report no error; an invalid id (-1) changes
 * nothing and returns the current one, which tells whether the switch took.
 */
static bool set_fsuid(uid_t uid)
{
	syscall(SYS_setfsuid, uid);
	return (uid_t)syscall(SYS_setfsuid, (uid_t)-1) == uid;
}

static bool set_fsgid(gid_t gid)
{
	syscall(SYS_setfsgid, gid);
	return (gid_t)syscall(SYS_setfsgid, (gid_t)-1) == gid;
}

static int set_groups(int n, const gid_t *list)
{
	return syscall(SYS_setgroups, (size_t)n, list) ? -errno : 0;
}

/* effective = permitted: undo the drop of file system capabilities by setfsuid(). */
static int raise_fs_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* effective = 0 for the rest of this identity switch (the caller's own rights). */
static int drop_all_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective = 0;
	data[1].effective = 0;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/*
 * A worker that cannot return to the daemon's identity would serve its next
 * request with what is left of a caller's (groups, ids, no capabilities). No
 * request may be served so, and the cause (a denied setgroups or capset as
 * root) is not one this thread can repair: stop the daemon. The kernel then
 * fails the mount's requests with ENOTCONN, and the message says why.
 */
static void __attribute__((noreturn)) restore_failed(const char *call, int err)
{
	fprintf(stderr,
		"pinfs: cannot return a worker to the daemon's credentials (%s: %s); "
		"stopping rather than serve a request with a caller's credentials\n",
		call, strerror(err));
	abort();
}

/* Take the ids of @ctx; false if either did not take. */
static bool switch_ids(const struct fuse_ctx *ctx)
{
	bool gid_ok = set_fsgid(ctx->gid);

	return set_fsuid(ctx->uid) && gid_ok;
}

int creds_enter_creator(struct pinfs *fs, fuse_req_t req, mode_t *mode, struct creds_saved *s)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	int err;

	memset(s, 0, sizeof(*s));
	if (!thread_has_umask)
		creds_thread_init(); /* a thread libfuse started (clone_fd) */
	if (thread_has_umask) {
		s->old_umask = umask(ctx->umask);
		s->umask_set = true;
	} else if (mode) {
		*mode &= ~ctx->umask;
	}
	if (!fs->is_root || (ctx->uid == 0 && ctx->gid == 0))
		return 0;
	s->ids = true;
	err = switch_ids(ctx) ? raise_fs_caps() : -EPERM;
	if (err) {
		creds_leave(s);
		return err;
	}
	return 0;
}

int creds_enter_caller(struct pinfs *fs, fuse_req_t req, struct creds_saved *s)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[MAX_GROUPS];
	int n, err;

	memset(s, 0, sizeof(*s));
	if (!fs->is_root)
		return 0;
	n = fuse_req_getgroups(req, MAX_GROUPS, groups);
	if (n < 0 || n > MAX_GROUPS)
		n = 0;
	err = set_groups(n, groups);
	if (err)
		return err;
	s->groups = true;
	s->ids = true;
	err = switch_ids(ctx) ? 0 : -EPERM;
	if (!err && ctx->uid != 0)
		err = drop_all_caps();
	if (err) {
		creds_leave(s);
		return err;
	}
	return 0;
}

void creds_leave(struct creds_saved *s)
{
	int err;

	if (s->ids) {
		if (!set_fsuid(0) || !set_fsgid(0))
			restore_failed("setfsuid/setfsgid", EPERM);
		err = raise_fs_caps();
		if (err)
			restore_failed("capset", -err);
	}
	if (s->groups) {
		err = set_groups(daemon_ngroups, daemon_groups);
		if (err)
			restore_failed("setgroups", -err);
	}
	if (s->umask_set)
		umask(s->old_umask);
	memset(s, 0, sizeof(*s));
}

int creds_in_group(fuse_req_t req, gid_t gid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[MAX_GROUPS];
	int n;

	if (ctx->gid == gid)
		return 1;
	n = fuse_req_getgroups(req, MAX_GROUPS, groups);
	if (n < 0)
		return n;
	if (n > MAX_GROUPS)
		n = MAX_GROUPS;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}
