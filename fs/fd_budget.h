/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The descriptor budget: how the daemon's open-file limit (RLIMIT_NOFILE,
 * shared by every user of the mount) is split (docs/usage.md, "Open-file
 * limits").
 *
 * Descriptors a user makes the daemon keep open (open files, open directories,
 * lock owners' descriptors) are charged to the uid that asked. They may take
 * the limit less a reserve: the reserve is the O_PATH cache (fd_cache) plus a
 * quarter of the limit for the daemon's own work (worker pipes and rings, the
 * control socket, FLUSH's duplicate, transient descriptors), at most three
 * quarters of the limit. So the daemon's own operations do not meet EMFILE
 * because of what users hold open.
 *
 * On a mount other users can reach (allow_other), each uid but root may hold
 * at most half of the budget, so one user cannot deny opens to the others.
 * Root is bounded by the budget only, as the kernel lets CAP_SYS_ADMIN past
 * the system-wide file-max.
 *
 * A charge past either bound fails with ENFILE: the table that is full is not
 * the caller's own (EMFILE would say the caller should close descriptors of
 * its own), it is one shared system-wide by the mount's users.
 */
#ifndef PINFS_FD_BUDGET_H
#define PINFS_FD_BUDGET_H

#include <stdbool.h>
#include <sys/types.h>

struct fd_budget;

/*
 * The budget for this process's RLIMIT_NOFILE, with @fd_cache O_PATH
 * descriptors cached by the inode table; @per_user caps each uid but root.
 * NULL on error (errno).
 */
struct fd_budget *fd_budget_create(unsigned long fd_cache, bool per_user);
void fd_budget_destroy(struct fd_budget *b);

/* Charge @n descriptors to @uid. Returns 0, -ENFILE past a bound, or -ENOMEM. */
int fd_budget_charge(struct fd_budget *b, uid_t uid, unsigned int n);

/* Give back @n descriptors charged to @uid. */
void fd_budget_uncharge(struct fd_budget *b, uid_t uid, unsigned int n);

#endif
