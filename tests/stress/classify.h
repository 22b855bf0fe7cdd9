/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel and target classification (spec §7 H-2, H-5). Run once, before any scenario; every
 * scenario picks its expected outcome from it.
 */
#ifndef FORKSTRESS_CLASSIFY_H
#define FORKSTRESS_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_conn;

enum tri {
	TRI_UNKNOWN,
	TRI_NO,
	TRI_YES,
};

/* A yes/no property of the kernel and how it was decided ("probe: ...", "version ≥ 6.9"). */
struct fact {
	enum tri value;
	char how[256];
};

enum vmsplice_mode {
	VMSPLICE_UNKNOWN,
	VMSPLICE_ZERO_COPY, /* the pipe references the user's page (spec §4.1) */
	VMSPLICE_COPY, /* vmsplice copies at call time (spec §4.2 item 5, 7.2?) */
};

#define MAX_MTHP 16

struct kernel_class {
	char release[128];
	int major, minor, patch;
	bool assumed; /* --assume-kernel replaced the version and the probes */
	struct fact fuse_dio_pins; /* FUSE O_DIRECT pins application pages (6.9) */
	struct fact anon_exclusive; /* PageAnonExclusive semantics (5.19) */
	struct fact block_dio_pins; /* block/iomap O_DIRECT pins (6.3) */
	enum vmsplice_mode vmsplice;
	char vmsplice_how[120];
	bool io_uring;
	char io_uring_why[120];
	char thp_enabled[16]; /* always / madvise / never / "" (absent) */
	unsigned int pmd_kb;
	int nr_mthp;
	struct {
		unsigned int kb;
		char mode[16]; /* always / inherit / madvise / never */
	} mthp[MAX_MTHP];
	bool foll_pin_vmstat; /* /proc/vmstat nr_foll_pin_acquired/released */
	long swap_kb; /* SwapTotal */
	unsigned int hugetlb_kb; /* default hugetlb page size */
	long hugetlb_free; /* free hugetlb pages */
	bool madv_collapse; /* MADV_COLLAPSE (6.1) */
	bool madv_pageout; /* MADV_PAGEOUT (5.4) */
	bool gup_test; /* /sys/kernel/debug/gup_test */
};

struct target {
	char fstype[64]; /* from /proc/self/mountinfo, e.g. "ext4", "fuse.pinfs" */
	unsigned long magic; /* statfs f_type */
	bool fuse;
	bool tmpfs;
	bool block; /* a block-device filesystem (ext4, xfs, btrfs, ...) */
	bool odirect; /* open(O_CREAT|O_DIRECT) works (spec §7 H-5) */
	char odirect_why[120];
	size_t dio_align; /* smallest alignment O_DIRECT accepted (probe) */
	bool control; /* --control answers ping */
	bool pinfs; /* control answers and the target is a FUSE mount */
};

/* Version at least a.b? */
bool kernel_at_least(const struct kernel_class *kc, int major, int minor);

/*
 * Fill @kc: uname, or @assume ("6.8" etc.) when set; then the probes (V-4 vmsplice, the
 * cow.c-style registered-buffer probe for PageAnonExclusive), sysfs/procfs facts.
 * The FUSE pin probe needs the target and is done by classify_fuse_pins().
 */
void classify_kernel(struct kernel_class *kc, const char *assume);

/*
 * Classify the target directory @dir (fstype, O_DIRECT, alignment) using @workdir for probe
 * files. Returns 0 or -errno when @dir is unusable.
 */
int classify_target(struct target *tg, const char *dir, const char *workdir);

/*
 * Decide whether FUSE O_DIRECT pins application pages: with pinfs holds (@ctl non-NULL and the
 * target is pinfs), hold an O_DIRECT read at `reply` and watch nr_foll_pin_acquired - released
 * rise; otherwise infer from the version (≥ 6.9).
 */
void classify_fuse_pins(struct kernel_class *kc, const struct target *tg, const char *workdir,
			struct ctl_conn *ctl);

/* Print the classification as a header (several lines, each prefixed by @prefix). */
void classify_print(const struct kernel_class *kc, const struct target *tg, const char *dir);

const char *tri_name(enum tri t);
const char *vmsplice_name(enum vmsplice_mode m);

#endif
