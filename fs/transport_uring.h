/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE over io_uring (-o transport=uring; Linux 6.14, spec §3.4): requests
 * arrive in ring entries and replies leave through them, one io_uring_enter()
 * per request where /dev/fuse costs a read() and a writev().
 *
 * The protocol (the kernel's fs/fuse/dev_uring.c): the kernel has one queue
 * per possible CPU and puts a request on the queue of the CPU its caller runs
 * on. The daemon gives each queue entries with an IORING_OP_URING_CMD
 * (FUSE_IO_URING_CMD_REGISTER): a header buffer and a payload buffer. The
 * command completes once a request has been copied into them (fuse_in_header
 * and the opcode's own header into the header buffer, the rest into the
 * payload); the reply is written into the same buffers and sent with
 * FUSE_IO_URING_CMD_COMMIT_AND_FETCH, which leaves the entry waiting for the
 * next request. FORGET and INTERRUPT still come through /dev/fuse; the
 * kernel holds every other request until every queue has an entry.
 *
 * How pinfs uses it:
 *  - Each worker (loop.h) owns one io_uring, created single-issuer with
 *    deferred task work, so the kernel copies a request into an entry only
 *    while the entry's worker waits in io_uring_enter(), and one entry for
 *    the queue it serves (worker i serves queue i mod Q; with fewer workers
 *    than queues, one entry per queue it serves). An entry waits in the kernel
 *    only while its worker is free, as a worker blocked in read() on /dev/fuse
 *    would: holds, the receive gate and the spare workers of loop.h keep their
 *    meaning, per queue. Unlike /dev/fuse, a request waits for a worker of its
 *    CPU's queue even while other workers are idle. Worker 0 also serves
 *    /dev/fuse.
 *  - libfuse gets a request as one buffer: the worker copies fuse_in_header
 *    and the opcode's header in front of the payload, so a WRITE's data is
 *    used in place, page-aligned. A READ is read into the payload itself
 *    (transport_uring_reply_pages()), and the reply taken from there uncopied.
 *  - A worker's replies are committed by its next io_uring_enter(), the one
 *    that waits for its next request. A reply from another thread (a blocking
 *    lock granted, ops_lock.c) is written into the entry by that thread and
 *    committed by the entry's worker, which an eventfd wakes.
 *  - A request whose handler returned without replying (a lock waiter) keeps
 *    its entry until the reply; the worker registers another entry for that
 *    queue at once, so no number of waiters can leave a queue without entries.
 *    Entries cannot be withdrawn: a worker keeps the extra ones (as many as it
 *    had waiters at once), and a request may then wait behind another one on
 *    that worker.
 *  - Each entry is one run of arena pages (spec §6 daemon buffer policy:
 *    page-aligned, MADV_DONTFORK, populated): the header buffer and the staging
 *    area in the first page, the payload from the second. The kernel keeps the
 *    payload's address for the ring's life and copies through it with FOLL_GET
 *    references (spec §3.4); the ledger records a long-term pin on every
 *    payload page from registration until the ring is gone (spec §5
 *    scenario 26).
 * If the kernel does not offer FUSE_OVER_IO_URING (the fuse module's
 * enable_uring parameter is off, or Linux before 6.14), or the entries' buffers
 * or an io_uring cannot be made when INIT is answered, pinfs does not grant it,
 * says so in one line and serves /dev/fuse as without the option. Once
 * granted, the kernel serves the mount only over the ring (it holds every
 * request until each queue has an entry): a worker whose ring still cannot be
 * set up stops the daemon.
 */
#ifndef PINFS_TRANSPORT_URING_H
#define PINFS_TRANSPORT_URING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "ctl_proto.h"
#include "pinfs.h"

struct page;
struct pinfs_thread;

/* Before INIT, after daemonizing: the session and the number of workers that will serve. */
void transport_uring_configure(struct pinfs *fs, unsigned int nworkers);

/*
 * init_ext.c, as the INIT reply goes out, if the kernel offers the ring: map
 * the entries' buffers (@max_write and @max_pages size them) and try an
 * io_uring with the workers' parameters. Returns 0: grant the ring; or -errno
 * after one line saying that /dev/fuse serves.
 */
int transport_uring_prepare(uint32_t max_write, uint16_t max_pages);

/*
 * After INIT (init_ext_negotiate()): whether the ring was granted. If the
 * kernel did not offer it, prints the one line that says why and that
 * /dev/fuse serves instead.
 */
bool transport_uring_check(void);

/*
 * loop.c, before the workers start: 0 if the ring was granted, and a worker
 * then returns once @stop_fd (the loop's eventfd) is readable; -EOPNOTSUPP if
 * /dev/fuse serves.
 */
int transport_uring_start(int stop_fd);

/*
 * Worker @index (0 .. nworkers - 1) serves its ring, and worker 0 /dev/fuse,
 * until the session ends or the stop eventfd fires; @th is its thread context
 * (its receive buffer serves /dev/fuse). Returns 0, -EOPNOTSUPP without the
 * ring (the worker serves /dev/fuse instead), or another -errno (the session
 * must end: also when another worker's ring could not be set up).
 */
int transport_uring_serve(struct pinfs_thread *th, unsigned int index);

/*
 * loop.c: one worker will never run (its thread could not be made: @err).
 * Called once per such worker; the workers that did start then stop at the
 * start barrier instead of waiting there for it.
 */
void transport_uring_worker_lost(int err);

/*
 * Every worker has returned (and the control socket is stopped, loop.h):
 * unpin and free the entries.
 */
void transport_uring_finish(void);

/*
 * Every reply goes through here (init_ext.c). A reply to a request that came
 * over the ring is written into its entry and committed; returns its length.
 * Returns 0 for a reply that belongs to /dev/fuse, -errno on failure.
 */
ssize_t transport_uring_send(const struct iovec *iov, int count);

/*
 * The payload pages of the entry whose request the calling thread serves (a
 * READ fills them and replies from them), and their number; NULL if the
 * request did not come over the ring.
 */
struct page *transport_uring_reply_pages(size_t *npages);

/* The control socket's "transport" member of @st (docs/control.md). */
void transport_uring_stats(struct ctl_stats *st);

#endif
