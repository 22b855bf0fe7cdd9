// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The remount path of the mount(8) helper (mount_helper.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

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
	{"dirsync", MS_DIRSYNC, true},	{"noatime", MS_NOATIME, true},
	{"atime", MS_NOATIME, false},
};

static unsigned long apply_word(unsigned long flags, const char *word)
{
	for (size_t i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++) {
		if (strcmp(word, flag_words[i].name))
			continue;
		return flag_words[i].set ? flags | flag_words[i].flag : flags & ~flag_words[i].flag;
	}
	return flags;
}

int mount_helper_remount(const struct pinfs_options *o)
{
	const char *mnt = o->mountpoint_real;
	unsigned long flags = 0;
	struct statvfs sv;
	struct statfs sf;
	char *words, *save = NULL;

	if (statfs(mnt, &sf) || statvfs(mnt, &sv)) {
		int err = errno;

		fprintf(stderr, "pinfs: remount '%s': %s\n", mnt, strerror(err));
		return -err;
	}
	if (sf.f_type != FUSE_SUPER_MAGIC) {
		fprintf(stderr, "pinfs: remount '%s': not a FUSE mount\n", mnt);
		return -EINVAL;
	}
	if (sv.f_flag & ST_RDONLY)
		flags |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		flags |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		flags |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		flags |= MS_NOEXEC;
	if (sv.f_flag & ST_SYNCHRONOUS)
		flags |= MS_SYNCHRONOUS;
	if (sv.f_flag & ST_NOATIME)
		flags |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		flags |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		flags |= MS_RELATIME;

	words = o->mount_flags ? strdup(o->mount_flags) : NULL;
	for (char *w = words ? strtok_r(words, ",", &save) : NULL; w;
	     w = strtok_r(NULL, ",", &save))
		flags = apply_word(flags, w);
	free(words);
	if (o->dev_suid)
		flags &= ~(MS_NODEV | MS_NOSUID);

	if (mount(NULL, mnt, NULL, MS_REMOUNT | flags, NULL)) {
		int err = errno;

		fprintf(stderr, "pinfs: remount '%s': %s\n", mnt, strerror(err));
		return -err;
	}
	return 0;
}
