/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command line and mount options of pinfs.
 *
 * Two syntaxes feed one struct: the program syntax
 *	pinfs SOURCE MOUNTPOINT [-o OPTIONS] [-f] [-d] [-s]
 * and the mount(8) helper syntax (argv[0] "mount.fuse.pinfs" or "mount.pinfs")
 *	mount.fuse.pinfs DEV MOUNTPOINT [-o OPTIONS] [-n] [-s] [-f] [-v] [-t TYPE]
 * in which DEV is the fsname and also the source unless -o source=DIR is given.
 * Every option is parsed with fuse_opt; anything unknown or malformed is an
 * error with a one-line message (options_parse() returns -EINVAL).
 */
#ifndef PINFS_OPTIONS_H
#define PINFS_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include <fuse_opt.h>

#include <pinit/ledger.h>

/* FOPEN_DIRECT_IO policy (docs/usage.md, direct_io=). */
enum direct_io_mode {
	DIRECT_IO_AUTO, /* when the application opened with O_DIRECT */
	DIRECT_IO_ALWAYS, /* every open */
	DIRECT_IO_NEVER, /* never; O_DIRECT opens use the kernel's generic DIO path */
};

/* When the backing file is opened with O_DIRECT (docs/usage.md, backing_dio=). */
enum backing_dio_mode {
	BACKING_DIO_AUTO,	/* when the application opened with O_DIRECT */
	BACKING_DIO_ALWAYS,	/* for every open of a regular file */
	BACKING_DIO_NEVER,	/* never: the backing page cache serves everything */
};

/* Which FUSE splice paths are used (FUSE_CAP_SPLICE_READ/WRITE). */
enum splice_mode {
	SPLICE_OFF = 0,
	SPLICE_READ = 1,	/* READ replies spliced from the backing file */
	SPLICE_WRITE = 2,	/* WRITE payloads received in a pipe, spliced to the file */
	SPLICE_RW = 3,
};

/* How backing I/O is issued (engine.h). */
enum engine_mode {
	ENGINE_MODE_SYNC,	/* pread/pwrite */
	ENGINE_MODE_URING,	/* io_uring, the buffer arena registered as fixed buffers */
};

/* How requests reach the daemon and replies leave it. */
enum transport_mode {
	TRANSPORT_DEV,		/* read() and writev() on /dev/fuse */
	TRANSPORT_URING,	/* FUSE over io_uring (Linux 6.14), falling back to /dev/fuse */
};

/* Deliberately broken data paths, compiled only with -Dunsafe_modes=true (tests). */
enum unsafe_mode {
	UNSAFE_NONE,
	UNSAFE_EARLY_RELEASE,	/* READ pages go back to the arena before the backing read */
	UNSAFE_EARLY_ACK,	/* WRITE acknowledged 5 ms before the backing write */
	UNSAFE_NO_DONTFORK,	/* daemon buffers left fork-shareable */
	UNSAFE_VMSPLICE_REUSE,	/* a vmspliced reply buffer reused before the pipe drains */
	UNSAFE_MISMATCH,	/* pins released with put_page() */
	UNSAFE_LEAK,		/* every 16th direct write never unpins */
	UNSAFE_RING_FORK_SHARED,	/* io_uring ring payload buffers left fork-shareable */
};

/* Where POSIX (fcntl) and BSD (flock) locks live. */
enum lock_mode {
	LOCKS_BACKING, /* daemon takes them on the backing file (getlk/setlk/flock) */
	LOCKS_KERNEL, /* the FUSE kernel module keeps them locally */
};

#define PINFS_MAX_WRITE_MIN 4096u
#define PINFS_MAX_WRITE_MAX (1024u * 1024u)
#define PINFS_MAX_THREADS_MAX 64u
#define PINFS_MAX_BACKGROUND_MAX 65535u /* FUSE_INIT: a 16-bit field */
#define PINFS_MAX_BACKGROUND_DEFAULT 64u
#define PINFS_FD_CACHE_MIN 4u

/*
 * The flags and choices that options.c's fuse_opt templates set are int-sized:
 * fuse_opt stores an int (int rather than bool for the flags).
 */
struct pinfs_options {
	/* positional / identity */
	char *source; /* as given */
	char *mountpoint; /* as given */
	char *source_real; /* realpath()s, filled by options_validate() */
	char *mountpoint_real;
	char *fsname; /* default: helper DEV, else SOURCE */
	char *subtype; /* default: "pinfs", none in helper mode */

	/* process */
	bool helper_mode; /* invoked as mount.fuse.pinfs */
	int remount; /* helper: -o remount */
	bool fake; /* helper: -f (mount(8) --fake): validate only */
	int foreground;
	int debug;
	int singlethread;
	int clone_fd;
	unsigned int max_threads; /* 0: default */
	int show_help;
	int show_version;

	/* filesystem behaviour */
	unsigned int max_write;
	unsigned int max_background; /* kernel's limit on async requests in flight */
	int allow_other;
	int dev_suid; /* mount with dev,suid (mount(8) strips them) */
	int writeback_cache;
	enum direct_io_mode direct_io;
	enum backing_dio_mode backing_dio;
	enum engine_mode engine;
	enum transport_mode transport;
	int passthrough;	/* kernel FUSE passthrough for regular files (Linux 6.9) */
	enum splice_mode splice;
	int vmsplice;		/* READ replies vmspliced from the daemon's pages */
	enum pin_check pin_check;
	char *control;		/* control socket path, or NULL */
	enum unsafe_mode unsafe;
	enum lock_mode locks;
	double timeout; /* entry and attribute timeout, seconds */
	double negative_timeout;
	unsigned int fd_cache; /* O_PATH descriptors kept open; 0: automatic */
	int read_only; /* "ro" */
	int noatime; /* "noatime": backing files opened with O_NOATIME */

	/* mount flags passed on to libfuse (ro, nosuid, ...), as "-o a,b" */
	char *mount_flags;
	/* atime flags libfuse 3.14 does not know (nodiratime, strictatime, ...), same form */
	char *atime_flags;
};

/* Fill @o with defaults. */
void options_init(struct pinfs_options *o);

/* Free what options_parse() and options_validate() allocated. */
void options_free(struct pinfs_options *o);

/*
 * Parse @argc/@argv. The syntax is chosen by the basename of argv[0]. Returns 0,
 * or -EINVAL after printing one line "pinfs: <problem>" to stderr.
 */
int options_parse(struct pinfs_options *o, int argc, char **argv);

/*
 * Check the parsed options against the system: SOURCE and MOUNTPOINT exist and
 * are directories, SOURCE is not MOUNTPOINT nor inside it. Resolves the real
 * paths. Returns 0 or -EINVAL after printing one line to stderr.
 */
int options_validate(struct pinfs_options *o);

/*
 * Build the argument vector for fuse_session_new(): fsname, subtype, mount
 * flags, allow_other, default_permissions, debug. Returns 0 or -ENOMEM.
 */
int options_fuse_args(const struct pinfs_options *o, const char *argv0, struct fuse_args *args);

/* The --help text (every option with its default) and --version. */
void options_print_help(FILE *out, const char *progname);
void options_print_version(FILE *out);

/* Default worker count for the own loop: max(8, 4 * online CPUs). */
unsigned int options_default_threads(void);

#endif
