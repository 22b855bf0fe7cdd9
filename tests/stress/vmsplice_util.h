/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the vmsplice scenarios (spec §4, §5 #12-#14). */
#ifndef FORKSTRESS_VMSPLICE_UTIL_H
#define FORKSTRESS_VMSPLICE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sc_ctx;

/* The page(s) a vmsplice scenario works on: a base page or a hugetlb page. */
struct vms_buf {
	char *buf;
	size_t map_len; /* what was mapped */
	size_t len; /* what goes through the pipe (≤ the pipe's capacity) */
	bool hugetlb;
};

/*
 * Map the buffer for subcase @hugetlb. Returns 0, or 1 after recording a skip (no free hugetlb
 * pages), or -1 after recording a failure.
 */
int vms_map(struct sc_ctx *sc, struct vms_buf *b, bool hugetlb);
void vms_unmap(struct vms_buf *b);

/* pipe2() with room for @len bytes. Returns 0 or -errno. */
int vms_pipe(int p[2], size_t len);

/* vmsplice all @len bytes at @buf into @pipe_w. Returns 0 or -errno. */
int vms_splice_in(int pipe_w, void *buf, size_t len);

/* splice @len bytes from @pipe_r to @fd at @off. Returns bytes moved or -errno. */
ssize_t vms_splice_out(int pipe_r, int fd, off_t off, size_t len);

/* The file on the target that the pipe is spliced into, and a buffer to read it back. */
struct vms_file {
	int fd;
	char *back; /* room for any vms_buf's len */
};

/*
 * Create (truncate) @name in the work directory. Returns 0, or -1 with the failure recorded;
 * vms_file_close() either way.
 */
int vms_file_open(struct sc_ctx *sc, struct vms_file *f, const char *name);
void vms_file_close(struct vms_file *f);

/*
 * Read the file's first @len bytes into @f->back; with --simulate-broken first store the
 * (@bad_fid, @bad_gen) pattern there (the spec's "broken" column). Returns false with the
 * failure recorded.
 */
bool vms_file_read_back(struct sc_ctx *sc, struct vms_file *f, size_t len, unsigned int bad_fid,
			unsigned int bad_gen);

#endif
