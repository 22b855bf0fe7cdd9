/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What scenario files share: the helpers below and every scenario's entry point. One scenario
 * (or a small family) per file; registry.c lists them.
 */
#ifndef FORKSTRESS_SCENARIOS_H
#define FORKSTRESS_SCENARIOS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/ctl_conn.h"
#include "fileio.h"
#include "forker.h"
#include "forkstress.h"
#include "pattern.h"

/* File ids of the data files (pattern.h: 1 .. FID_FILE_MAX). */
#define FID_DATA 1u
#define FID_DATA2 2u

/* x86-64 syscall numbers, as /proc/PID/task/TID/syscall reports them. */
#define NR_PREAD64 17
#define NR_PWRITE64 18

/* ---- checking ---- */

/*
 * Check @len bytes against @e; on a mismatch record a failure "WHAT: <pattern_describe>" and
 * return false.
 */
bool sc_check(struct sc_ctx *sc, const void *buf, size_t len, const struct pat_expect *e,
	      const char *what_fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Child side: compare @now with the @before snapshot; report the first changed byte, classified
 * from the word it now holds as seen by a child (pattern.h PAT_LEAK for the parent's data).
 */
void kid_check_unchanged(struct kid *k, const void *now, const void *before, size_t len,
			 uint64_t pat_off);
/* Child side: check against a pattern expectation and report. */
void kid_check(struct kid *k, const void *buf, size_t len, const struct pat_expect *e);

/*
 * Fork a child that, once let go (sc_kid_verdict()), checks that its view of @len bytes at
 * @buf still holds the FID_PREFILL pattern of @gen from offset 0, reports and exits. Returns
 * kid_fork()'s result in the parent: the child's pid or -errno.
 */
int kid_fork_prefill_observer(struct kid *k, const void *buf, size_t len, unsigned int gen);

/*
 * Parent side: let the kid go, read its report, reap it. A mismatch or error is recorded as a
 * failure naming @what. Returns true when the kid reported success.
 */
bool sc_kid_verdict(struct sc_ctx *sc, struct kid *k, const char *what);

/* ---- pinfs hold hooks (docs/control.md, spec §7 H-1) ---- */

/* Arm a hold; records a failure and returns -1 when pinfs refuses. */
int sc_hold(struct sc_ctx *sc, const char *at, const char *op, uint64_t ino, uint64_t off,
	    uint64_t len);
/* Wait until the hold has parked a request; records a failure on timeout. */
bool sc_hold_wait(struct sc_ctx *sc, int id);
void sc_hold_release(struct sc_ctx *sc, int id);
/* Stop the daemon's forker (`forker off`); its forks count as the scenario's. */
void daemon_forker_off(struct ctl_conn *ctl);

/* make_pattern_file(), recording a failure (with the error) when it fails. */
bool sc_make_file(struct sc_ctx *sc, const char *path, size_t size, unsigned int fid,
		  unsigned int gen);

/*
 * Open the scenario's data file @name in the work directory read-only with O_DIRECT, first
 * creating it as @size bytes of FID_DATA gen 1 unless it exists: the shared bodies run once per
 * subcase of #15 and #20 and reuse it (the runner empties the work directory between
 * scenarios). Returns the fd, or -1 with the failure (or, without O_DIRECT, the skip) recorded.
 */
int sc_open_data_file(struct sc_ctx *sc, const char *name, size_t size);

/* The file of the O_DIRECT write scenarios (#5, #10), open twice. */
struct written_file {
	int dfd; /* O_DIRECT, write-only: the writes under test */
	int rfd; /* plain, read-write: to check and reset what they wrote */
};
#define WRITTEN_FILE_CLOSED ((struct written_file){.dfd = -1, .rfd = -1})

/*
 * Create @name in the work directory as @size bytes of FID_DATA gen @gen and open it into @f.
 * Returns 0, or -1 with the failure (or, without O_DIRECT, the skip) recorded;
 * written_file_close() either way.
 */
int written_file_open(struct sc_ctx *sc, struct written_file *f, const char *name, size_t size,
		      unsigned int gen);
/* Close what is open of @f (also one still WRITTEN_FILE_CLOSED). */
void written_file_close(struct written_file *f);

/* The inode number of @fd (what pinfs matches holds on). */
uint64_t fd_ino(int fd);

/* Skip the current subcase unless O_DIRECT works at @align bytes on the target. */
bool sc_need_dio_align(struct sc_ctx *sc, size_t align);

/* ---- background I/O: one syscall in a thread, so the main thread can act while it waits ---- */

struct bg_io {
	pthread_t thread;
	int fd;
	void *buf;
	size_t len;
	off_t off;
	bool write;
	volatile pid_t tid; /* the thread's tid, set before it enters the syscall */
	ssize_t ret; /* bytes, or -errno */
	bool started;
};

int bg_start(struct bg_io *io);
ssize_t bg_join(struct bg_io *io);
/* Wait until the thread sleeps in its pread/pwrite (e.g. behind a `receive` hold). */
int bg_wait_blocked(struct bg_io *io, int timeout_ms);

/*
 * The deterministic step (spec §7 H-1): arm a hold at @at for @op requests on @io's file and
 * range, start @io and wait until pinfs has parked its request there. Returns the hold id; the
 * caller acts while the request is parked, then calls sc_hold_release() and bg_join(). Returns
 * -1 with the hold released, @io joined and the failure (or, without hold hooks, the skip)
 * recorded.
 */
int sc_park_io(struct sc_ctx *sc, const char *at, const char *op, struct bg_io *io);
/*
 * sc_park_io() at the `receive` hold, which parks every request in the kernel's queue (pages
 * pinned, data not copied). Its `wait` answers at once (docs/control.md), so this waits instead
 * until @io's thread sleeps in its syscall.
 */
int sc_park_io_at_receive(struct sc_ctx *sc, struct bg_io *io);

/* ---- worker threads: stress mode's verified I/O from several threads at once ---- */

struct sc_worker {
	struct sc_ctx *sc;
	void *work; /* the scenario's state, shared by its workers */
	int idx; /* 0 .. n - 1 */
	char fail[SC_DETAIL_LEN]; /* the worker's failure; it stops there */
	unsigned long ops; /* verified operations */
	void (*fn)(struct sc_worker *k);
	pthread_t th;
	bool started;
};

/*
 * Stress mode: give the subcase its share of --duration from now, run @fn in @n threads on
 * @work and join them. Each worker's failure is recorded as "@who I: <its fail>"; the workers'
 * operations count as the scenario's iterations. Returns that sum.
 */
unsigned long sc_run_workers(struct sc_ctx *sc, unsigned int n, void (*fn)(struct sc_worker *k),
			     void *work, const char *who);
/*
 * Worker side: whether to do another operation: time is left, the worker has not failed and
 * has done fewer than --iterations operations (it counts k->ops after each verified one).
 */
bool sc_worker_more(const struct sc_worker *k);

/* ---- the daemon scenarios' stress workload (daemon_stream.c) ---- */

#define DSTREAM_FILE_SIZE (2u << 20)
#define DSTREAM_BLOCK (8u << 10)

/* Verified I/O streamed through the mount from several threads (spec §5 #21, #23-#26). */
struct dstream {
	unsigned int nfiles; /* 1 or 2 */
	char path[2][4200];
	unsigned short gen[2][DSTREAM_FILE_SIZE / DSTREAM_BLOCK]; /* what each block holds */
	bool writes; /* write each block before reading it back (#23/#24 only read) */
	bool buffered_reads; /* #24: read through the page cache */
	bool misalign; /* O_DIRECT writes from sources misaligned by a multiple of 512 bytes */
};

/*
 * Create @nfiles files NAME-F.dat in the work directory, file F holding FID_DATA + F gen 1.
 * Returns false with the failure recorded.
 */
bool dstream_create(struct sc_ctx *sc, struct dstream *s, const char *name, unsigned int nfiles);
/* Stream for the subcase's share of --duration (sc_run_workers()); returns the operations. */
unsigned long dstream_run(struct sc_ctx *sc, struct dstream *s);

/* ---- shared bodies (also used by the THP matrix #15, DONTFORK #20 and daemon #22) ---- */

struct dma_args {
	char *buf; /* region for the slices: (nthreads + 1) * page bytes at least */
	size_t buflen;
	size_t misalign; /* 0 (#1) or 512 (#2) */
	unsigned int nthreads;
	bool child_may_touch; /* false for MADV_DONTFORK buffers (#20) */
};
/* spec §5 #1/#2: O_DIRECT reads into slices of @a->buf while forking. */
void dma_body(struct sc_ctx *sc, const struct dma_args *a);

struct rw_args {
	char *page; /* the page P the read lands in */
	bool async; /* #4: io_uring IORING_OP_READ instead of pread */
	bool child_may_touch;
};
/* spec §5 #3/#4: Hildenbrand's R/W reproducer on page @a->page. */
void rw_body(struct sc_ctx *sc, const struct rw_args *a);

/* spec §5 #6: registered buffer, fork, modify, WRITE_FIXED. @buf/@len: the buffer to register. */
void uring_fork_body(struct sc_ctx *sc, char *buf, size_t len);

/* ---- entry points (registry.c) ---- */

void run_dma_aligned(struct sc_ctx *sc); /* #1 */
void run_dma_unaligned(struct sc_ctx *sc); /* #2 */
void run_rw_sync(struct sc_ctx *sc); /* #3 */
void run_rw_async(struct sc_ctx *sc); /* #4 */
void run_ro_secret(struct sc_ctx *sc); /* #5 */
void run_uring_fork(struct sc_ctx *sc); /* #6 */
void run_uring_ro(struct sc_ctx *sc); /* #7 */
void run_uring_read_fixed(struct sc_ctx *sc); /* #8 */
void run_unmap_race(struct sc_ctx *sc); /* #9 */
void run_torn_write(struct sc_ctx *sc); /* #10 */
void run_mmap_rw_fault(struct sc_ctx *sc); /* #11 */
void run_vmsplice_in_child(struct sc_ctx *sc); /* #12 */
void run_vmsplice_parent(struct sc_ctx *sc); /* #13 */
void run_vmsplice_modify(struct sc_ctx *sc); /* #14 */
void run_thp_matrix(struct sc_ctx *sc); /* #15 */
void run_thp_collapse(struct sc_ctx *sc); /* #16 */
void run_swapout(struct sc_ctx *sc); /* #17 */
void run_shared_mapping(struct sc_ctx *sc); /* #18 */
void run_stale_read(struct sc_ctx *sc); /* #19 */
void run_dontfork(struct sc_ctx *sc); /* #20 */
void run_daemon_copybuf(struct sc_ctx *sc); /* #21 */
void run_daemon_backing_dio(struct sc_ctx *sc); /* #22 */
void run_daemon_vmsplice(struct sc_ctx *sc); /* #23 */
void run_daemon_gift_move(struct sc_ctx *sc); /* #24 */
void run_daemon_uring(struct sc_ctx *sc); /* #25 */
void run_daemon_ring(struct sc_ctx *sc); /* #26 */

#endif
