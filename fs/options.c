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

/*
 * Every option is a fuse_opt template. Most store their value themselves:
 * "name" or "name=word" stores an int constant, "name=%s" a copy of the value.
 * fuse_opt runs every template that matches, in order, so a key template may
 * check a value before or beside the template that stores it. The keys name
 * what needs more than a store: a range check, a message or a list.
 */
enum {
	/* unsigned numbers and seconds: where they go and their range in numbers[] */
	KEY_MAX_THREADS,
	KEY_MAX_WRITE,
	KEY_MAX_BACKGROUND,
	KEY_FD_CACHE,
	KEY_TIMEOUT,
	KEY_NEGATIVE_TIMEOUT,
	KEY_NONEMPTY,		/* "name=": a "name=%s" template follows; the value is required */
	KEY_WORD,		/* "name=": the value is one of the "name=word" templates */
	KEY_UNSAFE,		/* KEY_WORD, in builds with -Dunsafe_modes=true only */
	KEY_MOUNT_FLAG,		/* passed on to libfuse in mount_flags */
	KEY_ATIME_FLAG,		/* applied after mounting (mount_apply_atime()) */
	KEY_HELPER_ONLY,	/* mount(8) and fstab bookkeeping: helper mode only */
};

/*
 * fuse_opt_parse()'s data: the templates' offsets are into @o, which
 * options_parse() copies in before and out after.
 */
struct parse_ctx {
	struct pinfs_options o;
	char *positional[2];
	int npositional;
	bool failed;
};

#define OPT_OFFSET(field) offsetof(struct parse_ctx, o.field)

/*
 * "templ" stores @value in @field. fuse_opt stores an int, so @field must be
 * int-sized (a bool is not).
 */
#define OPT_SET(templ, field, value)                                                   \
	{ templ,                                                                       \
	  OPT_OFFSET(field) + 0 * sizeof(struct {                                      \
		  _Static_assert(sizeof(((struct pinfs_options *)0)->field) == sizeof(int), \
				 #field " is not int-sized");                          \
		  int unused;                                                          \
	  }),                                                                          \
	  value }

/* "name=%s" stores a copy of the value in the char * @field. */
#define OPT_STR(templ, field) { templ, OPT_OFFSET(field), 0 }

static const struct fuse_opt pinfs_opts[] = {
	OPT_SET("-h", show_help, 1),
	OPT_SET("--help", show_help, 1),
	OPT_SET("-V", show_version, 1),
	OPT_SET("--version", show_version, 1),
	OPT_SET("-f", foreground, 1),
	OPT_SET("-d", debug, 1),
	OPT_SET("-d", foreground, 1),
	OPT_SET("debug", debug, 1),
	OPT_SET("debug", foreground, 1),
	OPT_SET("-s", singlethread, 1),
	OPT_SET("clone_fd", clone_fd, 1),
	FUSE_OPT_KEY("max_threads=", KEY_MAX_THREADS),
	FUSE_OPT_KEY("max_write=", KEY_MAX_WRITE),
	FUSE_OPT_KEY("max_background=", KEY_MAX_BACKGROUND),
	OPT_SET("allow_other", allow_other, 1),
	FUSE_OPT_KEY("default_permissions", FUSE_OPT_KEY_DISCARD), /* always on, see --help */
	OPT_SET("dev_suid", dev_suid, 1),
	OPT_SET("writeback_cache", writeback_cache, 1),
	OPT_SET("no_writeback_cache", writeback_cache, 0),
	FUSE_OPT_KEY("direct_io=", KEY_WORD),
	OPT_SET("direct_io=auto", direct_io, DIRECT_IO_AUTO),
	OPT_SET("direct_io=always", direct_io, DIRECT_IO_ALWAYS),
	OPT_SET("direct_io=never", direct_io, DIRECT_IO_NEVER),
	FUSE_OPT_KEY("backing_dio=", KEY_WORD),
	OPT_SET("backing_dio=auto", backing_dio, BACKING_DIO_AUTO),
	OPT_SET("backing_dio=always", backing_dio, BACKING_DIO_ALWAYS),
	OPT_SET("backing_dio=never", backing_dio, BACKING_DIO_NEVER),
	FUSE_OPT_KEY("engine=", KEY_WORD),
	OPT_SET("engine=sync", engine, ENGINE_MODE_SYNC),
	OPT_SET("engine=uring", engine, ENGINE_MODE_URING),
	FUSE_OPT_KEY("transport=", KEY_WORD),
	OPT_SET("transport=dev", transport, TRANSPORT_DEV),
	OPT_SET("transport=uring", transport, TRANSPORT_URING),
	OPT_SET("passthrough", passthrough, 1),
	FUSE_OPT_KEY("splice=", KEY_WORD),
	OPT_SET("splice=off", splice, SPLICE_OFF),
	OPT_SET("splice=read", splice, SPLICE_READ),
	OPT_SET("splice=write", splice, SPLICE_WRITE),
	OPT_SET("splice=rw", splice, SPLICE_RW),
	OPT_SET("vmsplice", vmsplice, 1),
	FUSE_OPT_KEY("pin_check=", KEY_WORD),
	OPT_SET("pin_check=off", pin_check, PIN_CHECK_OFF),
	OPT_SET("pin_check=on", pin_check, PIN_CHECK_ON),
	OPT_SET("pin_check=strict", pin_check, PIN_CHECK_STRICT),
	FUSE_OPT_KEY("control=", KEY_NONEMPTY),
	OPT_STR("control=%s", control),
	FUSE_OPT_KEY("unsafe=", KEY_UNSAFE),
	OPT_SET("unsafe=none", unsafe, UNSAFE_NONE),
	OPT_SET("unsafe=early_release", unsafe, UNSAFE_EARLY_RELEASE),
	OPT_SET("unsafe=early_ack", unsafe, UNSAFE_EARLY_ACK),
	OPT_SET("unsafe=no_dontfork", unsafe, UNSAFE_NO_DONTFORK),
	OPT_SET("unsafe=vmsplice_reuse", unsafe, UNSAFE_VMSPLICE_REUSE),
	OPT_SET("unsafe=mismatch", unsafe, UNSAFE_MISMATCH),
	OPT_SET("unsafe=leak", unsafe, UNSAFE_LEAK),
	OPT_SET("unsafe=ring_fork_shared", unsafe, UNSAFE_RING_FORK_SHARED),
	FUSE_OPT_KEY("locks=", KEY_WORD),
	OPT_SET("locks=backing", locks, LOCKS_BACKING),
	OPT_SET("locks=kernel", locks, LOCKS_KERNEL),
	FUSE_OPT_KEY("timeout=", KEY_TIMEOUT),
	FUSE_OPT_KEY("negative_timeout=", KEY_NEGATIVE_TIMEOUT),
	FUSE_OPT_KEY("fd_cache=", KEY_FD_CACHE),
	FUSE_OPT_KEY("source=", KEY_NONEMPTY),
	OPT_STR("source=%s", source),
	FUSE_OPT_KEY("fsname=", KEY_NONEMPTY),
	OPT_STR("fsname=%s", fsname),
	OPT_STR("subtype=%s", subtype),
	FUSE_OPT_KEY("rw", KEY_MOUNT_FLAG),
	OPT_SET("rw", read_only, 0),
	FUSE_OPT_KEY("ro", KEY_MOUNT_FLAG),
	OPT_SET("ro", read_only, 1),
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
	OPT_SET("atime", noatime, 0),
	FUSE_OPT_KEY("noatime", KEY_MOUNT_FLAG),
	OPT_SET("noatime", noatime, 1),
	/* libfuse 3.14 rejects these */
	FUSE_OPT_KEY("relatime", KEY_ATIME_FLAG),
	FUSE_OPT_KEY("norelatime", KEY_ATIME_FLAG),
	FUSE_OPT_KEY("strictatime", KEY_ATIME_FLAG),
	FUSE_OPT_KEY("nodiratime", KEY_ATIME_FLAG),
	FUSE_OPT_KEY("diratime", KEY_ATIME_FLAG),
	/* mount(8) and fstab bookkeeping, and x-* (in opt_proc()) */
	FUSE_OPT_KEY("remount", KEY_HELPER_ONLY),
	OPT_SET("remount", remount, 1),
	FUSE_OPT_KEY("defaults", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("auto", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("noauto", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("user", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("nouser", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("users", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("owner", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("group", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("_netdev", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("nofail", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("comment=", KEY_HELPER_ONLY),
	/* the kernel's own FUSE options, which mount(8) merges into a remount */
	FUSE_OPT_KEY("user_id=", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("group_id=", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("rootmode=", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("fd=", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("blksize=", KEY_HELPER_ONLY),
	FUSE_OPT_KEY("max_read=", KEY_HELPER_ONLY),
	/* SELinux contexts go to the kernel */
	FUSE_OPT_KEY("context=", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("fscontext=", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("defcontext=", KEY_MOUNT_FLAG),
	FUSE_OPT_KEY("rootcontext=", KEY_MOUNT_FLAG),
	FUSE_OPT_END,
};

/* The numbers: an unsigned int in min..max, or seconds (a double, 0..1e9). */
static const struct number_opt {
	size_t offset;
	bool seconds;
	unsigned long min, max;
} numbers[] = {
	[KEY_MAX_THREADS] = { OPT_OFFSET(max_threads), false, 1, PINFS_MAX_THREADS_MAX },
	[KEY_MAX_WRITE] = { OPT_OFFSET(max_write), false, PINFS_MAX_WRITE_MIN, PINFS_MAX_WRITE_MAX },
	[KEY_MAX_BACKGROUND] = { OPT_OFFSET(max_background), false, 1, PINFS_MAX_BACKGROUND_MAX },
	[KEY_FD_CACHE] = { OPT_OFFSET(fd_cache), false, PINFS_FD_CACHE_MIN, 1u << 20 },
	[KEY_TIMEOUT] = { OPT_OFFSET(timeout), true, 0, 0 },
	[KEY_NEGATIVE_TIMEOUT] = { OPT_OFFSET(negative_timeout), true, 0, 0 },
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

static int parse_number(struct parse_ctx *ctx, const char *arg, const struct number_opt *n)
{
	void *field = (char *)ctx + n->offset;

	if (n->seconds)
		return parse_seconds(arg, field);
	return parse_uint(arg, n->min, n->max, field);
}

/* Whether @t stores a value (FUSE_OPT_KEY() templates have offset -1U). */
static bool is_store(const struct fuse_opt *t)
{
	return t->offset != -1U;
}

/* Whether a template stores a value for exactly @arg ("name=word"). */
static bool has_word(const char *arg)
{
	for (const struct fuse_opt *t = pinfs_opts; t->templ; t++)
		if (is_store(t) && !strcmp(t->templ, arg))
			return true;
	return false;
}

/* "name=word": the word has its template, or the message lists the words. */
static int check_word(const char *arg)
{
	size_t namelen = opt_value(arg) - arg;
	const char *sep = "";

	if (has_word(arg))
		return 0;
	fprintf(stderr, "pinfs: option '%s': expected one of", arg);
	for (const struct fuse_opt *t = pinfs_opts; t->templ; t++) {
		if (is_store(t) && !strncmp(t->templ, arg, namelen)) {
			fprintf(stderr, "%s %s", sep, t->templ + namelen);
			sep = ",";
		}
	}
	fputc('\n', stderr);
	return -EINVAL;
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

/* "x-*": fstab's options for userspace programs, which mount(8) may pass on. */
static bool is_fstab_userspace(const char *arg)
{
	return !strncmp(arg, "x-", 2);
}

static int parse_key(struct parse_ctx *ctx, const char *arg, int key)
{
	struct pinfs_options *o = &ctx->o;

	switch (key) {
	case KEY_MAX_THREADS:
	case KEY_MAX_WRITE:
	case KEY_MAX_BACKGROUND:
	case KEY_FD_CACHE:
	case KEY_TIMEOUT:
	case KEY_NEGATIVE_TIMEOUT:
		return parse_number(ctx, arg, &numbers[key]);
	case KEY_NONEMPTY:
		if (!*opt_value(arg)) {
			opt_error("option '%s': empty value", arg);
			return -EINVAL;
		}
		return 0;
	case KEY_UNSAFE:
		if (!PINFS_UNSAFE_MODES) {
			opt_error("option '%s': this pinfs was built without -Dunsafe_modes=true", arg);
			return -EINVAL;
		}
		return check_word(arg);
	case KEY_WORD:
		return check_word(arg);
	case KEY_MOUNT_FLAG:
		return append_word(&o->mount_flags, arg);
	case KEY_ATIME_FLAG:
		return append_word(&o->atime_flags, arg);
	case KEY_HELPER_ONLY:
		if (o->helper_mode)
			return 0;
		break;
	}
	opt_error("unknown option '%s'", arg);	/* FUSE_OPT_KEY_OPT: no template matched */
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
	if (key == FUSE_OPT_KEY_OPT && arg[0] == '-') {
		opt_error("unknown argument '%s'", arg);
		goto fail;
	}
	/* A template "x-" would match only itself: fuse_opt has no prefixes without '='. */
	if (key == FUSE_OPT_KEY_OPT && is_fstab_userspace(arg))
		key = KEY_HELPER_ONLY;
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
	o->engine = ENGINE_MODE_SYNC;
	o->splice = SPLICE_OFF;
	o->pin_check = PIN_CHECK_OFF;
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
	struct parse_ctx ctx = {0};
	char *dev = NULL, *dir = NULL;
	int ret = -EINVAL, err;

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
	ctx.o = *o;
	err = fuse_opt_parse(&args, &ctx, pinfs_opts, opt_proc);
	*o = ctx.o;
	if (err == -1 || ctx.failed) {
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
