// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mount flags: the remount path of the mount(8) helper, the atime flags of
 * the FUSE mount and the daemon's views of the backing mounts (mount_helper.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include "mount_helper.h"

#define FUSE_SUPER_MAGIC 0x65735546

struct flag_word {
	const char *name;
	unsigned long flag;
	bool set;
};

static const struct flag_word flag_words[] = {
	{"ro", MS_RDONLY, true},	{"rw", MS_RDONLY, false},
	{"nosuid", MS_NOSUID, true},	{"suid", MS_NOSUID, false},
	{"nodev", MS_NODEV, true},	{"dev", MS_NODEV, false},
	{"noexec", MS_NOEXEC, true},	{"exec", MS_NOEXEC, false},
	{"sync", MS_SYNCHRONOUS, true}, {"async", MS_SYNCHRONOUS, false},
	{"dirsync", MS_DIRSYNC, true},	{"nodiratime", MS_NODIRATIME, true},
	{"diratime", MS_NODIRATIME, false},
};

/* The atime mode: one of noatime, relatime, strictatime (atime: the default, relatime). */
static const struct flag_word atime_words[] = {
	{"noatime", MS_NOATIME, true},		{"atime", MS_RELATIME, true},
	{"relatime", MS_RELATIME, true},	{"norelatime", MS_STRICTATIME, true},
	{"strictatime", MS_STRICTATIME, true},
};

static unsigned long apply_word(unsigned long flags, const char *word)
{
	for (size_t i = 0; i < sizeof(atime_words) / sizeof(atime_words[0]); i++)
		if (!strcmp(word, atime_words[i].name))
			return (flags & ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) |
			       atime_words[i].flag;
	for (size_t i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++) {
		if (strcmp(word, flag_words[i].name))
			continue;
		return flag_words[i].set ? flags | flag_words[i].flag : flags & ~flag_words[i].flag;
	}
	return flags;
}

static unsigned long apply_words(unsigned long flags, const char *list)
{
	char *words = list ? strdup(list) : NULL, *save = NULL;

	for (char *w = words ? strtok_r(words, ",", &save) : NULL; w;
	     w = strtok_r(NULL, ",", &save))
		flags = apply_word(flags, w);
	free(words);
	return flags;
}

/*
 * @flags changed by @o's options. dev_suid changes only the default (it clears
 * nodev and nosuid); the flag words then apply in their order, so an explicit
 * nosuid, suid, nodev or dev wins, the last of each pair counting, as mount(8)
 * merges them.
 */
static unsigned long apply_options(unsigned long flags, const struct pinfs_options *o)
{
	if (o->dev_suid)
		flags &= ~(MS_NODEV | MS_NOSUID);
	return apply_words(apply_words(flags, o->mount_flags), o->atime_flags);
}

/*
 * The per-mount flags of @mnt from /proc/self/mountinfo (no request reaches
 * the file system, so this works before the daemon serves). Returns 0 or -errno.
 */
static int current_mount_flags(const char *mnt, unsigned long *flags)
{
	static const struct flag_word words[] = {
		{"ro", MS_RDONLY, true},	  {"nosuid", MS_NOSUID, true},
		{"nodev", MS_NODEV, true},	  {"noexec", MS_NOEXEC, true},
		{"noatime", MS_NOATIME, true},	  {"nodiratime", MS_NODIRATIME, true},
		{"relatime", MS_RELATIME, true},
	};
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], point[4096], opts[1024];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	/* A later line for the same point is the mount on top: keep the last match. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d %*d %*s %*s %4095s %1023s", point, opts) != 2 ||
		    strcmp(point, mnt))
			continue;
		*flags = 0;
		for (char *save = NULL, *w = strtok_r(opts, ",", &save); w;
		     w = strtok_r(NULL, ",", &save))
			for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
				if (!strcmp(w, words[i].name))
					*flags |= words[i].flag;
		if (!(*flags & (MS_NOATIME | MS_RELATIME)))
			*flags |= MS_STRICTATIME;
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* mount(2) @o's mountpoint with @how and its current flags changed by @o's options. */
static int remount_with(const struct pinfs_options *o, unsigned long how)
{
	const char *mnt = o->mountpoint_real;
	unsigned long flags = 0;
	int err = current_mount_flags(mnt, &flags);

	if (err) {
		fprintf(stderr, "pinfs: remount '%s': %s\n", mnt,
			err == -ENOENT ? "not mounted" : strerror(-err));
		return err;
	}
	flags = apply_options(flags, o);
	if (mount(NULL, mnt, NULL, how | flags, NULL)) {
		err = errno;
		fprintf(stderr, "pinfs: remount '%s': %s\n", mnt, strerror(err));
		return -err;
	}
	return 0;
}

int mount_helper_remount(const struct pinfs_options *o)
{
	struct statfs sf;

	/* The daemon is serving: statfs() is answered. */
	if (statfs(o->mountpoint_real, &sf)) {
		fprintf(stderr, "pinfs: remount '%s': %s\n", o->mountpoint_real, strerror(errno));
		return -errno;
	}
	if (sf.f_type != FUSE_SUPER_MAGIC) {
		fprintf(stderr, "pinfs: remount '%s': not a FUSE mount\n", o->mountpoint_real);
		return -EINVAL;
	}
	return remount_with(o, MS_REMOUNT);
}

int mount_apply_atime(const struct pinfs_options *o)
{
	if (!o->atime_flags)
		return 0;
	return remount_with(o, MS_REMOUNT | MS_BIND);
}

void mount_view_attr(const struct pinfs_options *o, struct mount_attr *attr)
{
	unsigned long flags = apply_words(apply_words(MS_RELATIME, o->mount_flags), o->atime_flags);

	*attr = (struct mount_attr){ .attr_clr = MOUNT_ATTR__ATIME };
	if (flags & MS_NOATIME)
		attr->attr_set = MOUNT_ATTR_NOATIME;
	else if (flags & MS_STRICTATIME)
		attr->attr_set = MOUNT_ATTR_STRICTATIME;
	else
		attr->attr_set = MOUNT_ATTR_RELATIME;
	if (flags & MS_NODIRATIME)
		attr->attr_set |= MOUNT_ATTR_NODIRATIME;
	else
		attr->attr_clr |= MOUNT_ATTR_NODIRATIME;
}

int mount_view_open(int dirfd, const struct mount_attr *attr)
{
	struct mount_attr a = *attr;
	int tree, fd;

	tree = open_tree(dirfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return -errno;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a))) {
		fd = -errno;
		close(tree);
		return fd;
	}
	/* open_by_handle_at() refuses O_PATH mount descriptors, and open_tree() gives one. */
	fd = openat(tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	close(tree);
	return fd;
}
