// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pinfs: arguments, mount, daemonize, serve, unmount.
 *
 * Order matters: everything that can fail because of the user's input is
 * checked before anything is mounted (the control socket is bound then); the
 * mount comes before daemonizing (so mount errors reach the caller's exit
 * status, as mount(8) needs); threads and the workers' MADV_DONTFORK buffers
 * come after it (fork would drop them), and the caller's process waits until
 * the daemon answers FUSE_INIT, so their failures reach it too (daemon.h);
 * where INIT is answered before the loop starts (passthrough,
 * transport=uring), it waits until the loop serves.
 * At the end the control socket stops before the loop's workers and buffers
 * go (loop.h), and the daemon unmounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <pinit/ledger.h>

#include "buffers.h"
#include "control.h"
#include "creds.h"
#include "daemon.h"
#include "engine.h"
#include "fd_budget.h"
#include "fuse_uapi.h"
#include "init_ext.h"
#include "inode.h"
#include "loop.h"
#include "mount_helper.h"
#include "options.h"
#include "passthrough.h"
#include "pinfs.h"
#include "stats.h"
#include "transport_uring.h"
#include "unsafe.h"

/* Forgotten records kept for export handles (about 200 bytes each). */
#define GHOST_MAX 131072

/*
 * The soft open-file limit up to the hard one: every user of the mount shares
 * this one limit (docs/usage.md, "Open-file limits"), and the soft default
 * (1024 under systemd) would cap them all for no reason.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		fprintf(stderr, "pinfs: cannot raise the open-file limit to %llu: %s\n",
			(unsigned long long)rl.rlim_max, strerror(errno));
}

static unsigned int default_fd_cache(void)
{
	struct rlimit rl;
	rlim_t n = 4096;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < n)
		n = rl.rlim_cur / 4;
	if (n < PINFS_FD_CACHE_MIN)
		n = PINFS_FD_CACHE_MIN;
	return (unsigned int)n;
}

/* Does the backing filesystem of @fd (O_PATH) know POSIX ACLs? */
static bool backing_has_acl(int fd)
{
	char path[32];

	proc_fd_path(path, sizeof(path), fd);
	return getxattr(path, "system.posix_acl_access", NULL, 0) >= 0 || errno == ENODATA;
}

/* The mountpoint lies inside SOURCE: remember the directory underneath it. */
static int setup_shadow(struct pinfs *fs)
{
	const struct pinfs_options *o = fs->opts;
	size_t slen = strlen(o->source_real);
	char *copy, *parent;
	struct stat st;

	fs->shadow_fd = -1;
	if (strncmp(o->mountpoint_real, o->source_real, slen) ||
	    (o->mountpoint_real[slen] != '/' && strcmp(o->source_real, "/")))
		return 0;
	fs->shadow_fd = open(o->mountpoint_real, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fs->shadow_fd < 0)
		return -errno;
	copy = strdup(o->mountpoint_real);
	if (!copy)
		return -ENOMEM;
	fs->shadow_name = strdup(basename(copy));
	strcpy(copy, o->mountpoint_real);
	parent = dirname(copy);
	if (stat(parent, &st)) {
		free(copy);
		return -errno;
	}
	fs->shadow_dev = st.st_dev;
	fs->shadow_ino = st.st_ino;
	free(copy);
	return fs->shadow_name ? 0 : -ENOMEM;
}

/*
 * The inode table on SOURCE, opened in the caller's mount namespace: lookups
 * see every mount beneath SOURCE, and I/O goes through views of those mounts
 * that carry the pinfs mount's atime flags (mount_helper.h).
 */
static int setup_backing(struct pinfs *fs)
{
	struct mount_attr view_attr;
	struct inode_table_config cfg = {
		.fd_cache = fs->opts->fd_cache ? fs->opts->fd_cache : default_fd_cache(),
		.ghost_max = GHOST_MAX,
		.view_attr = &view_attr,
	};
	const char *src = fs->opts->source_real;
	int err;

	mount_view_attr(fs->opts, &view_attr);

	fs->is_root = geteuid() == 0;
	cfg.use_handles = fs->is_root;
	cfg.root_fd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0)
		goto fail_errno;
	cfg.root_mount_fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_mount_fd < 0) {
		close(cfg.root_fd);
		goto fail_errno;
	}
	fs->posix_acl = backing_has_acl(cfg.root_fd);
	fs->itab = inode_table_create(&cfg);
	if (!fs->itab)
		goto fail_errno;
	fs->fds = fd_budget_create(cfg.fd_cache, fs->opts->allow_other);
	if (!fs->fds)
		goto fail_errno;
	fs->export_support = inode_table_has_handles(fs->itab);
	err = inode_table_view_error(fs->itab);
	if (err)
		fprintf(stderr, "pinfs: no view of the source's mount (%s): atime follows the "
				"backing mount's flags\n",
			err == -EOPNOTSUPP ? "no file handles" : strerror(-err));
	return 0;
fail_errno:
	err = -errno;
	fprintf(stderr, "pinfs: source '%s': %s\n", fs->opts->source, strerror(errno));
	return err;
}

static bool init_early;	/* INIT is answered by negotiate_early(), not by the loop */

/*
 * -o passthrough and -o transport=uring depend on what the kernel offers in
 * its INIT request: answer INIT before the loop starts, so that a refusal
 * stops the daemon before it serves and a fallback is said at once. After
 * daemonizing (the ring's buffers are MADV_DONTFORK), while the caller's
 * process still waits and shares standard error (daemon.h).
 */
static int negotiate_early(struct pinfs *fs, unsigned int nthreads)
{
	const struct pinfs_options *o = fs->opts;
	bool ring = o->transport == TRANSPORT_URING;
	struct init_ext_result init;
	int err;

	if (!o->passthrough && !ring)
		return 0;
	init_early = true;
	if (ring)
		transport_uring_configure(fs, nthreads);
	init_ext_request((o->passthrough ? FUSE_PASSTHROUGH : 0) | (ring ? FUSE_OVER_IO_URING : 0),
			 PINFS_PASSTHROUGH_STACK_DEPTH);
	err = init_ext_negotiate(fs->se);
	if (err) {
		fprintf(stderr, "pinfs: FUSE_INIT: %s\n", strerror(-err));
		return err;
	}
	if (ring)
		transport_uring_check();
	init_ext_result(&init);
	return o->passthrough ? passthrough_check(fs, fuse_session_fd(fs->se), init.offered) : 0;
}

static uint64_t mount_epoch(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return v;
}

static void (*session_init)(void *userdata, struct fuse_conn_info *conn);

/*
 * FUSE_INIT: the loop serves, so the caller's process may return (daemon.h).
 * An INIT answered by negotiate_early() releases nothing: the loop does once
 * it serves (loop.h).
 */
static void init_then_ready(void *userdata, struct fuse_conn_info *conn)
{
	session_init(userdata, conn);
	if (!init_early)
		daemon_ready();
}

static int run(struct pinfs_options *o, const char *argv0)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_lowlevel_ops ops = {0};
	struct pinfs fs = {.opts = o, .shadow_fd = -1};
	unsigned int nthreads;
	int ret = 1, err;

	/* Before anything is mounted: SOURCE can be wrong. */
	raise_fd_limit();
	if (setup_backing(&fs))
		goto out;
	fs.engine = engine_get(o->engine);
	fs.remote_locks = o->locks == LOCKS_BACKING;
	fs.generation = mount_epoch();

	ops_session_fill(&ops);
	session_init = ops.init;
	ops.init = init_then_ready;
	ops_entry_fill(&ops);
	ops_dir_fill(&ops);
	ops_xattr_fill(&ops);
	ops_file_fill(&ops);
	ops_data_fill(&ops);
	if (fs.remote_locks)
		ops_lock_fill(&ops);

	if (options_fuse_args(o, argv0, &args)) {
		fprintf(stderr, "pinfs: out of memory\n");
		goto out;
	}
	fs.se = fuse_session_new(&args, &ops, sizeof(ops), &fs);
	if (!fs.se) {
		fprintf(stderr, "pinfs: cannot create the FUSE session\n");
		goto out;
	}
	if (fuse_set_signal_handlers(fs.se)) {
		fprintf(stderr, "pinfs: cannot install signal handlers\n");
		goto out_session;
	}
	/* Before mounting: afterwards the path names the mount itself. */
	err = setup_shadow(&fs);
	if (err) {
		fprintf(stderr, "pinfs: mountpoint '%s': %s\n", o->mountpoint, strerror(-err));
		goto out_signals;
	}
	if (o->control && control_listen(o->control))
		goto out_signals;
	if (fuse_session_mount(fs.se, o->mountpoint_real)) {
		fprintf(stderr, "pinfs: cannot mount on '%s'\n", o->mountpoint);
		goto out_control;
	}
	if (mount_apply_atime(o))
		goto out_unmount;
	err = init_ext_install(fs.se);
	if (err)
		fprintf(stderr, "pinfs: cannot hook the INIT reply (%s): MAP_SHARED mmap of "
				"FOPEN_DIRECT_IO files will fail\n", strerror(-err));
	if (daemon_detach(o->foreground))
		goto out_unmount;
	creds_global_init();
	unsafe_set(o->unsafe);
	ledger_set_mode(o->pin_check);
	if (o->pin_check != PIN_CHECK_OFF)
		ledger_install_atfork_check();
	nthreads = o->singlethread  ? 1	/* not with clone_fd (options.c) */
		   : o->max_threads ? o->max_threads
				    : options_default_threads();
	if (negotiate_early(&fs, nthreads))
		goto out_unmount;
	if (o->control && control_start())
		goto out_unmount;

	if (o->clone_fd)
		err = loop_run_libfuse(&fs, nthreads);
	else
		err = loop_run(&fs, nthreads);
	ret = err ? 1 : 0;
	if (err)
		fprintf(stderr, "pinfs: %s\n", strerror(-err));
	/* Every buffer is back (the loop destroyed its arena): whatever is still held leaked. */
	if (buffers_leaked_pages() || ledger_check_leaks())
		ret = 1;
	if (o->foreground) {
		struct stats_snapshot s;

		stats_snapshot(&s);
		stats_print(&s, stderr);
	}
out_unmount:
	fuse_session_unmount(fs.se);
out_control:
	control_stop();
out_signals:
	fuse_remove_signal_handlers(fs.se);
out_session:
	fuse_session_destroy(fs.se);
out:
	fuse_opt_free_args(&args);
	inode_table_destroy(fs.itab);
	fd_budget_destroy(fs.fds);
	if (fs.shadow_fd >= 0)
		close(fs.shadow_fd);
	free(fs.shadow_name);
	return ret;
}

int main(int argc, char **argv)
{
	struct pinfs_options o;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int ret;

	options_init(&o);
	if (options_parse(&o, argc, argv)) {
		ret = 1;
		goto out;
	}
	if (o.show_help) {
		options_print_help(stdout, prog);
		ret = 0;
		goto out;
	}
	if (o.show_version) {
		options_print_version(stdout);
		ret = 0;
		goto out;
	}
	if (options_validate(&o)) {
		ret = 1;
		goto out;
	}
	if (o.remount) {
		ret = mount_helper_remount(&o) ? 1 : 0;
		goto out;
	}
	if (o.fake) {
		ret = 0;
		goto out;
	}
	ret = run(&o, argv[0]);
out:
	options_free(&o);
	return ret;
}
