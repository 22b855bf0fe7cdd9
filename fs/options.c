// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Option parsing for pinfs (see options.h for the two syntaxes).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "pinfs.h"

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_FOREGROUND,
	KEY_DEBUG,
	KEY_SINGLE,
	KEY_CLONE_FD,
	KEY_MAX_THREADS,
	KEY_MAX_BACKGROUND,
	KEY_MAX_WRITE,
	KEY_ALLOW_OTHER,
	KEY_DEFAULT_PERMISSIONS,
	KEY_DEV_SUID,
	KEY_WRITEBACK,
	KEY_NO_WRITEBACK,
	KEY_DIRECT_IO,
	KEY_BACKING_DIO,
	KEY_ENGINE,
	KEY_TRANSPORT,
	KEY_PASSTHROUGH,
	KEY_SPLICE,
	KEY_VMSPLICE,
	KEY_PIN_CHECK,
	KEY_CONTROL,
	KEY_UNSAFE,
	KEY_LOCKS,
	KEY_TIMEOUT,
	KEY_NEGATIVE_TIMEOUT,
	KEY_FD_CACHE,
	KEY_SOURCE,
	KEY_FSNAME,
	KEY_SUBTYPE,
	KEY_MOUNT_FLAG,
	KEY_RELATIME,
	KEY_HELPER_IGNORED,
	KEY_HELPER_IGNORED_PREFIX,
	KEY_REMOUNT,
};

static const struct fuse_opt pinfs_opts[] = {
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_KEY("-s", KEY_SINGLE),
	FUSE_OPT_KEY("clone_fd", KEY_CLONE_FD),
	FUSE_OPT_KEY("max_threads=", KEY_MAX_THREADS),
	FUSE_OPT_KEY("max_write=", KEY_MAX_WRITE),
	FUSE_OPT_KEY("max_background=", KEY_MAX_BACKGROUND),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_KEY("default_permissions", KEY_DEFAULT_PERMISSIONS),
	FUSE_OPT_KEY("dev_suid", KEY_DEV_SUID),
	FUSE_OPT_KEY("writeback_cache", KEY_WRITEBACK),
	FUSE_OPT_KEY("no_writeback_cache", KEY_NO_WRITEBACK),
	FUSE_OPT_KEY("direct_io=", KEY_DIRECT_IO),
	FUSE_OPT_KEY("backing_dio=", KEY_BACKING_DIO),
	FUSE_OPT_KEY("engine=", KEY_ENGINE),
	FUSE_OPT_KEY("transport=", KEY_TRANSPORT),
	FUSE_OPT_KEY("passthrough", KEY_PASSTHROUGH),
	FUSE_OPT_KEY("splice=", KEY_SPLICE),
	FUSE_OPT_KEY("vmsplice", KEY_VMSPLICE),
	FUSE_OPT_KEY("pin_check=", KEY_PIN_CHECK),
	FUSE_OPT_KEY("control=", KEY_CONTROL),
	FUSE_OPT_KEY("unsafe=", KEY_UNSAFE),
	FUSE_OPT_KEY("locks=", KEY_LOCKS),
	FUSE_OPT_KEY("timeout=", KEY_TIMEOUT),
	FUSE_OPT_KEY("negative_timeout=", KEY_NEGATIVE_TIMEOUT),
	FUSE_OPT_KEY("fd_cache=", KEY_FD_CACHE),
	FUSE_OPT_KEY("source=", KEY_SOURCE),
	FUSE_OPT_KEY("fsname=", KEY_FSNAME),
	FUSE_OPT_KEY("subtype=", KEY_SUBTYPE),
	FUSE_OPT_KEY("rw", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("ro", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("dev", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("nodev", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("suid", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("nosuid", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("exec", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("noexec", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("sync", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("async", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("dirsync", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("atime", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("noatime", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("relatime", KEY_RELATIME),
	FUSE_OPT_KEY("norelatime", KEY_RELATIME),
	FUSE_OPT_KEY("strictatime", KEY_RELATIME),
	FUSE_OPT_KEY("nodiratime", KEY_RELATIME),
	FUSE_OPT_KEY("diratime", KEY_RELATIME),
	/* mount(8) and fstab bookkeeping, accepted in helper mode only */
	FUSE_OPT_KEY("remount", KEY_REMOUNT),
	FUSE_OPT_KEY("defaults", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("auto", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("noauto", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("user", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("nouser", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("users", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("owner", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("group", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("_netdev", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("nofail", KEY_HELPER_IGNORED),
	FUSE_OPT_KEY("x-", KEY_HELPER_IGNORED_PREFIX),
	FUSE_OPT_KEY("comment=", KEY_HELPER_IGNORED_PREFIX),
	/* the kernel's own FUSE options, which mount(8) merges into a remount */
	FUSE_OPT_KEY("user_id=", KEY_HELPER_IGNORED_PREFIX),
	FUSE_OPT_KEY("group_id=", KEY_HELPER_IGNORED_PREFIX),
	FUSE_OPT_KEY("rootmode=", KEY_HELPER_IGNORED_PREFIX),
	FUSE_OPT_KEY("fd=", KEY_HELPER_IGNORED_PREFIX),
	FUSE_OPT_KEY("blksize=", KEY_HELPER_IGNORED_PREFIX),
	FUSE_OPT_KEY("max_read=", KEY_HELPER_IGNORED_PREFIX),
	/* SELinux contexts go to the kernel */
	FUSE_OPT_KEY("context=", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("fscontext=", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("defcontext=", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("rootcontext=", KEY_MOUNT_FLAG),
	FUSE_OPT_END,
};

/* Parser state around the options struct. */
struct parse_ctx {
	struct pinfs_options *o;
	char *positional[2];
	int npositional;
	bool failed;
};

static void __attribute__((format(printf, 1, 2))) opt_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pinfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* strdup(), saying so when memory runs out. */
static char *dup_arg(const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		opt_error("out of memory");
	return copy;
}

/* The value part of "name=value". */
static const char *opt_value(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq ? eq + 1 : "";
}

static int parse_uint(const char *arg, unsigned long min, unsigned long max, unsigned int *out)
{
	const char *s = opt_value(arg);
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+') {
		opt_error("option '%s': expected a number", arg);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end) {
		opt_error("option '%s': expected a number", arg);
		return -EINVAL;
	}
	if (v < min || v > max) {
		opt_error("option '%s': out of range (%lu..%lu)", arg, min, max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

static int parse_seconds(const char *arg, double *out)
{
	const char *s = opt_value(arg);
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || errno || *end || !isfinite(v) || v < 0 || v > 1e9) {
		opt_error("option '%s': expected a non-negative number of seconds", arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Parse "name=WORD" against @words; the index goes to *@out. */
static int parse_word(const char *arg, const char *const *words, int nwords, int *out)
{
	const char *v = opt_value(arg);

	for (int k = 0; k < nwords; k++) {
		if (!strcmp(v, words[k])) {
			*out = k;
			return 0;
		}
	}
	fprintf(stderr, "pinfs: option '%s': expected one of", arg);
	for (int k = 0; k < nwords; k++)
		fprintf(stderr, "%s %s", k ? "," : "", words[k]);
	fputc('\n', stderr);
	return -EINVAL;
}

#define PARSE_WORD(arg, words, out)                                                   \
	({                                                                            \
		int __v, __err = parse_word((arg), (words),                           \
					    sizeof(words) / sizeof((words)[0]), &__v); \
		if (!__err)                                                           \
			(out) = __v;                                                  \
		__err;                                                                \
	})

static const char *const backing_dio_words[] = { "auto", "always", "never" };
static const char *const engine_words[] = { "sync", "uring" };
static const char *const transport_words[] = { "dev", "uring" };
static const char *const splice_words[] = { "off", "read", "write", "rw" };
static const char *const pin_check_words[] = { "off", "on", "strict" };
static const char *const unsafe_words[] = { "none", "early_release", "early_ack", "no_dontfork",
					    "vmsplice_reuse", "mismatch", "leak",
					    "ring_fork_shared" };

static int set_string(char **dst, const char *arg, bool nonempty)
{
	const char *v = opt_value(arg);

	if (nonempty && !*v) {
		opt_error("option '%s': empty value", arg);
		return -EINVAL;
	}
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int append_word(char **list, const char *flag)
{
	size_t len = *list ? strlen(*list) : 0;
	char *s = realloc(*list, len + strlen(flag) + 2);

	if (!s)
		return -ENOMEM;
	if (len)
		s[len++] = ',';
	strcpy(s + len, flag);
	*list = s;
	return 0;
}

static int append_flag(struct pinfs_options *o, const char *flag)
{
	return append_word(&o->mount_flags, flag);
}

static int parse_mount_flag(struct pinfs_options *o, const char *arg)
{
	if (!strcmp(arg, "ro"))
		o->read_only = true;
	else if (!strcmp(arg, "rw"))
		o->read_only = false;
	else if (!strcmp(arg, "noatime"))
		o->noatime = true;
	else if (!strcmp(arg, "atime"))
		o->noatime = false;
	return append_flag(o, arg);
}

static int parse_key(struct parse_ctx *ctx, const char *arg, int key)
{
	struct pinfs_options *o = ctx->o;

	switch (key) {
	case KEY_HELP:
		o->show_help = true;
		return 0;
	case KEY_VERSION:
		o->show_version = true;
		return 0;
	case KEY_FOREGROUND:
		o->foreground = true;
		return 0;
	case KEY_DEBUG:
		o->debug = true;
		o->foreground = true;
		return 0;
	case KEY_SINGLE:
		o->singlethread = true;
		return 0;
	case KEY_CLONE_FD:
		o->clone_fd = true;
		return 0;
	case KEY_MAX_THREADS:
		return parse_uint(arg, 1, PINFS_MAX_THREADS_MAX, &o->max_threads);
	case KEY_MAX_WRITE:
		return parse_uint(arg, PINFS_MAX_WRITE_MIN, PINFS_MAX_WRITE_MAX, &o->max_write);
	case KEY_MAX_BACKGROUND:
		return parse_uint(arg, 1, PINFS_MAX_BACKGROUND_MAX, &o->max_background);
	case KEY_ALLOW_OTHER:
		o->allow_other = true;
		return 0;
	case KEY_DEFAULT_PERMISSIONS:
		return 0; /* always on, see --help */
	case KEY_DEV_SUID:
		o->dev_suid = true;
		return 0;
	case KEY_WRITEBACK:
		o->writeback_cache = true;
		return 0;
	case KEY_NO_WRITEBACK:
		o->writeback_cache = false;
		return 0;
	case KEY_DIRECT_IO: {
		const char *v = opt_value(arg);

		if (!strcmp(v, "auto"))
			o->direct_io = DIRECT_IO_AUTO;
		else if (!strcmp(v, "always"))
			o->direct_io = DIRECT_IO_ALWAYS;
		else if (!strcmp(v, "never"))
			o->direct_io = DIRECT_IO_NEVER;
		else {
			opt_error("option '%s': expected auto, always or never", arg);
			return -EINVAL;
		}
		return 0;
	}
	case KEY_BACKING_DIO:
		return PARSE_WORD(arg, backing_dio_words, o->backing_dio);
	case KEY_ENGINE: {
		int k = 0;
		int err = PARSE_WORD(arg, engine_words, k);

		if (err)
			return err;
		free(o->engine);
		o->engine = strdup(engine_words[k]);
		return o->engine ? 0 : -ENOMEM;
	}
	case KEY_TRANSPORT:
		return PARSE_WORD(arg, transport_words, o->transport);
	case KEY_PASSTHROUGH:
		o->passthrough = true;
		return 0;
	case KEY_SPLICE:
		return PARSE_WORD(arg, splice_words, o->splice);
	case KEY_VMSPLICE:
		o->vmsplice = true;
		return 0;
	case KEY_PIN_CHECK:
		return PARSE_WORD(arg, pin_check_words, o->pin_check);
	case KEY_CONTROL:
		return set_string(&o->control, arg, true);
	case KEY_UNSAFE:
		if (!PINFS_UNSAFE_MODES) {
			opt_error("option '%s': this pinfs was built without -Dunsafe_modes=true", arg);
			return -EINVAL;
		}
		return PARSE_WORD(arg, unsafe_words, o->unsafe);
	case KEY_LOCKS: {
		const char *v = opt_value(arg);

		if (!strcmp(v, "backing"))
			o->locks = LOCKS_BACKING;
		else if (!strcmp(v, "kernel"))
			o->locks = LOCKS_KERNEL;
		else {
			opt_error("option '%s': expected backing or kernel", arg);
			return -EINVAL;
		}
		return 0;
	}
	case KEY_TIMEOUT:
		return parse_seconds(arg, &o->timeout);
	case KEY_NEGATIVE_TIMEOUT:
		return parse_seconds(arg, &o->negative_timeout);
	case KEY_FD_CACHE:
		return parse_uint(arg, PINFS_FD_CACHE_MIN, 1u << 20, &o->fd_cache);
	case KEY_SOURCE:
		return set_string(&o->source, arg, true);
	case KEY_FSNAME:
		return set_string(&o->fsname, arg, true);
	case KEY_SUBTYPE:
		return set_string(&o->subtype, arg, false);
	case KEY_MOUNT_FLAG:
		return parse_mount_flag(o, arg);
	case KEY_RELATIME:
		/* Applied after mounting (mount_apply_atime()); libfuse 3.14 rejects them. */
		return append_word(&o->atime_flags, arg);
	case KEY_REMOUNT:
	case KEY_HELPER_IGNORED:
	case KEY_HELPER_IGNORED_PREFIX:
		if (!o->helper_mode)
			break;
		if (key == KEY_REMOUNT)
			o->remount = true;
		return 0;
	}
	opt_error("unknown option '%s'", arg);
	return -EINVAL;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_ctx *ctx = data;

	(void)outargs;
	if (ctx->failed)
		return -1;
	if (key == FUSE_OPT_KEY_NONOPT) {
		if (ctx->npositional == 2) {
			opt_error("unexpected argument '%s'", arg);
			goto fail;
		}
		ctx->positional[ctx->npositional] = strdup(arg);
		if (!ctx->positional[ctx->npositional])
			goto fail;
		ctx->npositional++;
		return 0;
	}
	if (key == FUSE_OPT_KEY_OPT) {
		if (arg[0] == '-')
			opt_error("unknown argument '%s'", arg);
		else
			opt_error("unknown option '%s'", arg);
		goto fail;
	}
	if (parse_key(ctx, arg, key) == 0)
		return 0;
fail:
	ctx->failed = true;
	return -1;
}

void options_init(struct pinfs_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_write = PINFS_MAX_WRITE_MAX;
	o->max_background = PINFS_MAX_BACKGROUND_DEFAULT;
	o->direct_io = DIRECT_IO_AUTO;
	o->backing_dio = BACKING_DIO_AUTO;
	o->engine = strdup("sync");
	o->splice = SPLICE_OFF;
	o->pin_check = 0;
	o->locks = LOCKS_BACKING;
	o->timeout = 1.0;
	o->negative_timeout = 0.0;
}

void options_free(struct pinfs_options *o)
{
	free(o->source);
	free(o->mountpoint);
	free(o->source_real);
	free(o->mountpoint_real);
	free(o->fsname);
	free(o->subtype);
	free(o->mount_flags);
	free(o->atime_flags);
	free(o->engine);
	free(o->control);
	memset(o, 0, sizeof(*o));
}

static bool is_helper_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return !strncmp(base, "mount.fuse.", 11) || !strncmp(base, "mount.pinfs", 11);
}

/*
 * mount(8) helper syntax: DEV DIR [-sfnv] [-N ns] [-o opts] [-t type]. Turns it
 * into "pinfs -o opts" for fuse_opt and remembers DEV and DIR.
 */
static int helper_collect(struct pinfs_options *o, int argc, char **argv, struct fuse_args *out,
			  char **dev, char **dir)
{
	int npos = 0;

	if (fuse_opt_add_arg(out, argv[0]))
		return -ENOMEM;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-o") || !strcmp(a, "-t") || !strcmp(a, "-N")) {
			if (i + 1 >= argc) {
				opt_error("option '%s' needs a value", a);
				return -EINVAL;
			}
			if (!strcmp(a, "-o") &&
			    (fuse_opt_add_arg(out, "-o") || fuse_opt_add_arg(out, argv[i + 1])))
				return -ENOMEM;
			if (!strcmp(a, "-N")) {
				opt_error("mount namespaces (-N) are not supported");
				return -EINVAL;
			}
			i++;
		} else if (!strncmp(a, "-o", 2)) {
			if (fuse_opt_add_arg(out, "-o") || fuse_opt_add_arg(out, a + 2))
				return -ENOMEM;
		} else if (!strncmp(a, "-t", 2) || !strcmp(a, "-s") || !strcmp(a, "-n") ||
			   !strcmp(a, "-v")) {
			/* type, sloppy, no-mtab, verbose: nothing to do */
		} else if (!strcmp(a, "-f")) {
			o->fake = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->show_help = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			o->show_version = true;
		} else if (a[0] == '-' && a[1]) {
			opt_error("unknown argument '%s'", a);
			return -EINVAL;
		} else if (npos == 0) {
			*dev = dup_arg(a);
			if (!*dev)
				return -ENOMEM;
			npos++;
		} else if (npos == 1) {
			*dir = dup_arg(a);
			if (!*dir)
				return -ENOMEM;
			npos++;
		} else {
			opt_error("unexpected argument '%s'", a);
			return -EINVAL;
		}
	}
	return 0;
}

int options_parse(struct pinfs_options *o, int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct parse_ctx ctx = {.o = o};
	char *dev = NULL, *dir = NULL;
	int ret = -EINVAL;

	if (!o->engine) {	/* options_init()'s default could not be allocated */
		opt_error("out of memory");
		return -ENOMEM;
	}
	o->helper_mode = argc > 0 && is_helper_name(argv[0]);
	if (o->helper_mode) {
		ret = helper_collect(o, argc, argv, &args, &dev, &dir);
		if (ret)
			goto out;
	} else {
		for (int i = 0; i < argc; i++) {
			if (fuse_opt_add_arg(&args, argv[i])) {
				ret = -ENOMEM;
				goto out;
			}
		}
	}
	ret = -EINVAL;
	if (fuse_opt_parse(&args, &ctx, pinfs_opts, opt_proc) == -1 || ctx.failed) {
		if (!ctx.failed)
			opt_error("malformed options");
		goto out;
	}
	if (o->show_help || o->show_version) {
		ret = 0;
		goto out;
	}

	if (o->helper_mode) {
		if (!dev || !dir) {
			opt_error("usage: mount.fuse.pinfs DEV MOUNTPOINT [-o OPTIONS]");
			goto out;
		}
		if (!o->source) {
			o->source = dev;
			dev = NULL;
		}
		if (!o->fsname) {
			o->fsname = dup_arg(dev ? dev : o->source);
			if (!o->fsname) {
				ret = -ENOMEM;
				goto out;
			}
		}
		o->mountpoint = dir;
		dir = NULL;
	} else {
		int next = 0;

		if (!o->source && ctx.npositional > 0) {
			o->source = ctx.positional[next];
			ctx.positional[next++] = NULL;
		}
		if (next < ctx.npositional) {
			o->mountpoint = ctx.positional[next];
			ctx.positional[next++] = NULL;
		}
		if (next < ctx.npositional) {
			opt_error("unexpected argument '%s' (source given twice?)",
				  ctx.positional[next]);
			goto out;
		}
		if (!o->source) {
			opt_error("missing SOURCE (usage: pinfs SOURCE MOUNTPOINT [-o OPTIONS])");
			goto out;
		}
		if (!o->mountpoint) {
			opt_error(
				"missing MOUNTPOINT (usage: pinfs SOURCE MOUNTPOINT [-o OPTIONS])");
			goto out;
		}
		if (!o->subtype) {
			o->subtype = dup_arg("pinfs");
			if (!o->subtype) {
				ret = -ENOMEM;
				goto out;
			}
		}
	}
	if (o->clone_fd && o->singlethread) {
		opt_error("options 'clone_fd' and '-s' exclude each other");
		goto out;
	}
	if (o->max_threads && o->singlethread) {
		opt_error("options 'max_threads' and '-s' exclude each other");
		goto out;
	}
	if (o->transport == TRANSPORT_URING &&
	    (o->clone_fd || o->splice != SPLICE_OFF || o->vmsplice)) {
		opt_error("option 'transport=uring' excludes clone_fd, splice= and vmsplice "
			  "(they read or write /dev/fuse)");
		goto out;
	}
	if (o->passthrough && o->writeback_cache) {
		opt_error("options 'passthrough' and 'writeback_cache' exclude each other (the "
			  "kernel does not combine them)");
		goto out;
	}
	ret = 0;
out:
	for (int i = 0; i < 2; i++)
		free(ctx.positional[i]);
	free(dev);
	free(dir);
	fuse_opt_free_args(&args);
	return ret;
}

static int resolve_dir(const char *what, const char *path, char **real)
{
	struct stat st;

	if (stat(path, &st)) {
		opt_error("%s '%s': %s", what, path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		opt_error("%s '%s' is not a directory", what, path);
		return -EINVAL;
	}
	*real = realpath(path, NULL);
	if (!*real) {
		opt_error("%s '%s': %s", what, path, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

int options_validate(struct pinfs_options *o)
{
	size_t mlen;

	if (resolve_dir("mountpoint", o->mountpoint, &o->mountpoint_real))
		return -EINVAL;
	if (o->remount)
		return 0; /* the source belongs to the running daemon */
	if (resolve_dir("source", o->source, &o->source_real))
		return -EINVAL;
	if (!strcmp(o->source_real, o->mountpoint_real)) {
		opt_error("source '%s' is the mountpoint", o->source);
		return -EINVAL;
	}
	mlen = strlen(o->mountpoint_real);
	if (!strncmp(o->source_real, o->mountpoint_real, mlen) &&
	    (o->source_real[mlen] == '/' || mlen == 1)) {
		opt_error("source '%s' is inside the mountpoint '%s'", o->source, o->mountpoint);
		return -EINVAL;
	}
	return 0;
}

/* Append "name=value" to the -o string, escaping ',' and '\\' in @value. */
static int add_named_opt(char **mo, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 1;
	char *opt = malloc(len);
	int ret;

	if (!opt)
		return -ENOMEM;
	snprintf(opt, len, "%s%s", name, value);
	ret = fuse_opt_add_opt_escaped(mo, opt) == -1 ? -ENOMEM : 0;
	free(opt);
	return ret;
}

int options_fuse_args(const struct pinfs_options *o, const char *argv0, struct fuse_args *args)
{
	char *mo = NULL;
	int ret = -ENOMEM;

	if (fuse_opt_add_arg(args, argv0))
		goto out;
	if (add_named_opt(&mo, "fsname=", o->fsname ? o->fsname : o->source_real))
		goto out;
	if (o->subtype && *o->subtype && add_named_opt(&mo, "subtype=", o->subtype))
		goto out;
	/* Permission checks are the kernel's (the daemon acts as root). */
	if (fuse_opt_add_opt(&mo, "default_permissions") == -1)
		goto out;
	if (o->allow_other && fuse_opt_add_opt(&mo, "allow_other") == -1)
		goto out;
	/* dev_suid changes the default; the user's own nodev or nosuid, later, wins. */
	if (o->dev_suid && fuse_opt_add_opt(&mo, "dev,suid") == -1)
		goto out;
	if (o->mount_flags && fuse_opt_add_opt(&mo, o->mount_flags) == -1)
		goto out;
	if (fuse_opt_add_arg(args, "-o") || fuse_opt_add_arg(args, mo))
		goto out;
	if (o->debug && fuse_opt_add_arg(args, "-d"))
		goto out;
	ret = 0;
out:
	free(mo);
	return ret;
}

unsigned int options_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	/*
	 * Workers wait on backing I/O, not on the CPU: with 32 O_DIRECT reads in
	 * flight, 4 workers on 2 CPUs served a third of what 8 to 16 did. Each
	 * worker costs about 4 MiB of arena.
	 */
	unsigned int t = n > 0 ? 4 * (unsigned int)n : 8;

	if (t < 8)
		t = 8;
	if (t > PINFS_MAX_THREADS_MAX)
		t = PINFS_MAX_THREADS_MAX;
	return t;
}

void options_print_version(FILE *out)
{
	fprintf(out, "pinfs %s (libfuse %s)\n", PINFS_VERSION, fuse_pkgversion());
}

void options_print_help(FILE *out, const char *progname)
{
	/* clang-format off */
	fprintf(out,
		"usage: %s SOURCE MOUNTPOINT [-o OPTIONS] [-f] [-d] [-s]\n"
		"       %s -o source=SOURCE MOUNTPOINT [-o OPTIONS]\n"
		"       mount.fuse.pinfs DEV MOUNTPOINT -o source=SOURCE[,OPTIONS]   (mount(8) helper)\n"
		"\n"
		"pinfs mirrors the directory SOURCE at MOUNTPOINT (a FUSE passthrough). Every\n"
		"read and write moves through libpinit iterators; see pinfs(1).\n"
		"\n"
		"general:\n"
		"  -h, --help               print this help and exit\n"
		"  -V, --version            print the version and exit\n"
		"  -f                       stay in the foreground (default: daemonize once mounted)\n"
		"  -d, -o debug             log every FUSE request to stderr (implies -f)\n"
		"  -s                       single-threaded: one worker serves every request\n"
		"\n"
		"options (-o NAME[=VALUE], comma separated):\n"
		"  source=DIR               the directory to mirror (instead of the SOURCE argument)\n"
		"  max_threads=N            worker threads, 1..%u (default: max(8, 4 x CPUs) = %u)\n"
		"  clone_fd                 use libfuse's own multi-threaded loop with one /dev/fuse\n"
		"                           descriptor per thread; its buffers are libfuse's, so\n"
		"                           WRITE payloads are not page-aligned (default: off)\n"
		"  max_write=BYTES          largest WRITE request, %u..%u (default: %u)\n"
		"  max_background=N         asynchronous requests (readahead, io_uring and AIO\n"
		"                           O_DIRECT, release) the kernel keeps in flight to the\n"
		"                           daemon at once, 1..%u; the kernel caps it at\n"
		"                           fs.fuse.max_user_bgreq for an unprivileged daemon\n"
		"                           (default: %u; the kernel's own default is 12)\n"
		"  allow_other              let other users access the mount (default: off)\n"
		"  default_permissions      accepted; always on: the kernel checks permissions\n"
		"  dev_suid                 mount with dev,suid; mount(8) drops those two options\n"
		"                           before it runs mount helpers (default: off, nodev,nosuid)\n"
		"  direct_io=auto|always|never\n"
		"                           FOPEN_DIRECT_IO (no kernel page cache) for opens with\n"
		"                           O_DIRECT (auto; not with writeback_cache), for every\n"
		"                           open (always) or never (default: auto). MAP_SHARED\n"
		"                           mmap of such files works on kernels that offer\n"
		"                           FUSE_DIRECT_IO_ALLOW_MMAP (6.6 and later)\n"
		"  backing_dio=auto|always|never\n"
		"                           open the backing file with O_DIRECT when the\n"
		"                           application opened with O_DIRECT (auto), for every\n"
		"                           open (always), or never (default: auto). The alignment\n"
		"                           comes from statx(STATX_DIOALIGN), or one probe per\n"
		"                           filesystem; misaligned parts of a request are bounced\n"
		"                           through aligned buffers or go through the page cache,\n"
		"                           so no payload ever fails with EINVAL\n"
		"  engine=sync|uring        how backing I/O is issued: pread/pwrite (sync) or one\n"
		"                           io_uring per worker with the buffer arena registered as\n"
		"                           fixed buffers (uring; READs that arrive together are\n"
		"                           batched into one submission; falls back to sync, with a\n"
		"                           message, if io_uring or the registration is unavailable)\n"
		"                           (default: sync)\n"
		"  transport=dev|uring      how requests reach the daemon: read() and writev() on\n"
		"                           /dev/fuse (dev), or FUSE over io_uring (uring: one\n"
		"                           io_uring_enter() per request; Linux 6.14 or later with the\n"
		"                           fuse module's enable_uring parameter set to Y, which pinfs\n"
		"                           never sets; otherwise pinfs says so in one line and uses\n"
		"                           /dev/fuse). Not with clone_fd, splice= or vmsplice\n"
		"                           (default: dev)\n"
		"  passthrough              kernel FUSE passthrough (Linux 6.9 or later, root): reads,\n"
		"                           writes and mmap of regular files go from the kernel to the\n"
		"                           backing file and never reach the daemon; an application's\n"
		"                           O_DIRECT then follows the backing filesystem's rules (a\n"
		"                           misaligned request fails with EINVAL). The mount is refused\n"
		"                           where the kernel does not grant it. Not with\n"
		"                           writeback_cache (default: off)\n"
		"  splice=off|read|write|rw READ replies spliced from the backing file (read; 8 KiB up\n"
		"                           to pipe-max-size less 12 KiB, as libfuse splices), WRITE\n"
		"                           payloads received through a pipe and spliced to it\n"
		"                           (write), both (rw) or neither (default: off)\n"
		"  vmsplice                 send READ replies by vmsplice()ing the daemon's pages\n"
		"                           into a pipe (spec 4.3 rules V-1..V-3; default: off)\n"
		"  pin_check=off|on|strict  the pin ledger's checks: off counts acquisitions and\n"
		"                           releases only; on also write-protects pages pinned as an\n"
		"                           I/O source and reports every violation on stderr and in\n"
		"                           the control socket's stats; strict aborts the daemon on\n"
		"                           the first violation (default: off)\n"
		"  control=PATH             serve statistics and the test hooks of docs/control.md\n"
		"                           on a UNIX socket at PATH (default: none)\n"
		"  unsafe=MODE              deliberately broken data paths for the stress suite's\n"
		"                           proof that it can fail; only in builds configured with\n"
		"                           -Dunsafe_modes=true (this build: %s). MODE: early_release,\n"
		"                           early_ack, no_dontfork, vmsplice_reuse, mismatch, leak,\n"
		"                           ring_fork_shared\n"
		"  writeback_cache          kernel writeback cache (default: off)\n"
		"  no_writeback_cache       turn it off again\n"
		"  locks=backing|kernel     where fcntl and flock locks live: taken on the backing\n"
		"                           file by the daemon, or kept by the kernel's FUSE module\n"
		"                           (default: backing)\n"
		"  timeout=SECONDS          entry and attribute cache timeout (default: 1)\n"
		"  negative_timeout=SECONDS cache time of failed lookups (default: 0)\n"
		"  fd_cache=N               O_PATH descriptors kept open for cached inodes; the\n"
		"                           rest are reopened by file handle (default:\n"
		"                           min(4096, RLIMIT_NOFILE / 4))\n"
		"  fsname=NAME              name shown in the mount table (default: SOURCE, or DEV\n"
		"                           in helper mode)\n"
		"  subtype=NAME             type shown as fuse.NAME (default: pinfs; none in helper\n"
		"                           mode, where the type is plain \"fuse\")\n"
		"  ro, rw, nodev, dev, nosuid, suid, noexec, exec, sync, async, dirsync,\n"
		"  noatime, atime, relatime, norelatime, strictatime, nodiratime, diratime\n"
		"                           generic mount flags (default: rw,nodev,nosuid,relatime)\n"
		"\n"
		"helper mode only (mount.fuse.pinfs, run by mount(8) and fstab):\n"
		"  remount                  change the flags of the existing mount (mount(2)\n"
		"                           MS_REMOUNT); never starts a second daemon\n"
		"  defaults, auto, noauto, user, nouser, users, owner, group, _netdev, nofail,\n"
		"  x-*, comment=*, user_id=*, group_id=*, rootmode=*, fd=*, blksize=*, max_read=*\n"
		"                           ignored\n"
		"SELinux: context=, fscontext=, defcontext=, rootcontext= are passed to the kernel\n",
		progname, progname, PINFS_MAX_THREADS_MAX, options_default_threads(),
		PINFS_MAX_WRITE_MIN, PINFS_MAX_WRITE_MAX, PINFS_MAX_WRITE_MAX,
		PINFS_MAX_BACKGROUND_MAX, PINFS_MAX_BACKGROUND_DEFAULT, PINFS_UNSAFE_MODES ? "yes" : "no");
	/* clang-format on */
}
