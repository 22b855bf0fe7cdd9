// SPDX-License-Identifier: GPL-2.0-or-later
/* FUSE over io_uring (transport_uring.h). */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <pinit/arena.h>
#include <pinit/gup.h>

#include "buffers.h"
#include "fuse_uapi.h"
#include "hold.h"
#include "init_ext.h"
#include "transport_uring.h"
#include "unsafe.h"

/* Submission slots per ring; a worker with more entries submits in rounds. */
#define RING_SQ_ENTRIES 64
#define RING_CQ_ENTRIES 256
/* Entries per arena made when the first one is full (entries for lock waiters). */
#define ENTRIES_PER_EXTRA_ARENA 8
#define MAX_ARENAS 32
/* How the payloads are pinned while the ring has them (spec §3.4): long-term, written into. */
#define PAYLOAD_PIN (FOLL_WRITE | FOLL_LONGTERM)

/*
 * Flags of the entries' arenas: MADV_DONTFORK, except in the unsafe variants that leave the
 * daemon's buffers (no_dontfork) or only these (ring_fork_shared) fork-shareable.
 */
static unsigned int arena_flags(void)
{
	return unsafe_active(UNSAFE_RING_FORK_SHARED) || unsafe_active(UNSAFE_NO_DONTFORK)
		       ? ARENA_NO_DONTFORK
		       : 0;
}

/* user_data of the worker's polls; entries are tagged with their (aligned) address. */
enum { TAG_WAKE = 1, TAG_GATE, TAG_DEV, TAG_STOP };

enum entry_state {
	ENT_KERNEL,	/* registered or committed: waits for a request */
	ENT_SERVING,	/* its request is being handled by its worker */
	ENT_PARKED,	/* the handler returned unreplied: the reply comes from elsewhere */
	ENT_REPLYING,	/* a reply is being written into it */
	ENT_REPLIED,	/* replied by another thread: its worker commits it */
	ENT_LOST,	/* the kernel refused a command on it: never used again */
};

struct ring_worker;

struct ring_entry {
	struct ring_worker *w;
	uint16_t qid;
	uint32_t cmd_op;		/* the command last sent on it */
	atomic_int state;
	_Atomic uint64_t unique;	/* the request it carries (the commit id) */
	struct fuse_uring_req_header *hdr;
	char *payload;
	struct page *pages;		/* the run: header page, then the payload */
	struct arena *arena;
	struct page **pins;		/* the payload's long-term pins */
	struct iovec iov[2];		/* the register command's buffers */
	struct ring_entry *next_commit;
};

struct ring_worker {
	struct io_uring ring;
	bool ring_ok;
	unsigned int index;
	unsigned int *waiting;		/* per queue: this worker's entries waiting in the kernel */
	pthread_mutex_t lock;		/* the two below */
	int wake_fd;			/* eventfd: commits waiting */
	struct ring_entry *commits;	/* replied by other threads, to be committed */
};

static struct {
	struct pinfs *fs;
	int dev_fd;
	int stop_fd;			/* the loop's: readable once the workers are to stop */
	unsigned int nqueues, nworkers;
	size_t payload_size, run_pages;
	bool gated;
	atomic_bool active;
	struct ring_worker *workers;

	pthread_mutex_t lock;		/* the start barrier, the entries and their arenas */
	pthread_cond_t arrived_cond;
	unsigned int arrived;
	int setup_err;			/* the first worker's, if its ring could not be set up */
	struct arena *arenas[MAX_ARENAS];
	unsigned int narenas;
	struct ring_entry **entries;
	size_t nentries, cap;

	atomic_ulong requests, parked;
	atomic_ulong reply_in_place, reply_copied;	/* payload bytes of replies */
	atomic_bool entry_warned, error_warned;
} ring = { .lock = PTHREAD_MUTEX_INITIALIZER, .arrived_cond = PTHREAD_COND_INITIALIZER };

static __thread struct ring_entry *serving;
static __thread struct ring_worker *self;

/* ---- setup ---- */

/* The kernel's queues: one per possible CPU (num_possible_cpus()). */
static unsigned int possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	unsigned int n = 0, a, b;
	int c;

	if (!f)
		goto fallback;
	while (fscanf(f, "%u", &a) == 1) {
		b = a;
		c = fgetc(f);
		if (c == '-') {
			if (fscanf(f, "%u", &b) != 1)
				break;
			c = fgetc(f);
		}
		n += b - a + 1;
		if (c != ',')
			break;
	}
	fclose(f);
	if (n)
		return n;
fallback:
	c = (int)sysconf(_SC_NPROCESSORS_CONF);
	return c > 0 ? (unsigned int)c : 1;
}

/* The parameters of every worker's ring (and of the probe). */
static struct io_uring_params ring_params(void)
{
	return (struct io_uring_params){
		.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
			 IORING_SETUP_DEFER_TASKRUN,
		.cq_entries = RING_CQ_ENTRIES,
	};
}

void transport_uring_configure(struct pinfs *fs, unsigned int nworkers)
{
	ring.fs = fs;
	ring.dev_fd = fuse_session_fd(fs->se);
	ring.nworkers = nworkers;
	ring.gated = fs->opts->control != NULL;
}

int transport_uring_prepare(uint32_t max_write, uint16_t max_pages)
{
	struct io_uring_params p = ring_params();
	struct io_uring probe;
	size_t payload, entries;
	int err;

	if (!ring.fs)
		return -EINVAL;	/* not configured: never granted */
	/* The kernel wants room for its largest request or reply (ring->max_payload_sz). */
	payload = max_write > FUSE_MIN_READ_BUFFER ? max_write : FUSE_MIN_READ_BUFFER;
	if ((size_t)max_pages * PAGE_SIZE > payload)
		payload = (size_t)max_pages * PAGE_SIZE;
	ring.payload_size = (payload + PAGE_SIZE - 1) & PAGE_MASK;
	ring.run_pages = 1 + ring.payload_size / PAGE_SIZE;
	ring.nqueues = possible_cpus();
	/* Every worker's first entries, and as many again for lock waiters. */
	entries = 2 * (ring.nworkers > ring.nqueues ? ring.nworkers : ring.nqueues);
	ring.arenas[0] = arena_create(entries * ring.run_pages, arena_flags());
	if (!ring.arenas[0]) {
		err = -errno;
		fprintf(stderr, "pinfs: transport=uring: cannot map %zu MiB for ring entries (%s); "
				"using /dev/fuse\n",
			entries * ring.run_pages * PAGE_SIZE >> 20, strerror(-err));
		return err;
	}
	ring.narenas = 1;
	err = io_uring_queue_init_params(RING_SQ_ENTRIES, &probe, &p);
	if (!err)
		io_uring_queue_exit(&probe);
	ring.workers = err ? NULL : calloc(ring.nworkers, sizeof(*ring.workers));
	if (!ring.workers) {
		err = err ? err : -ENOMEM;
		fprintf(stderr, "pinfs: transport=uring: cannot set up an io_uring (%s); using "
				"/dev/fuse\n",
			strerror(-err));
		arena_destroy(ring.arenas[0]);
		ring.narenas = 0;
		return err;
	}
	for (unsigned int k = 0; k < ring.nworkers; k++) {
		pthread_mutex_init(&ring.workers[k].lock, NULL);
		ring.workers[k].wake_fd = -1;
	}
	atomic_store(&ring.active, true);
	return 0;
}

bool transport_uring_check(void)
{
	struct init_ext_result init;

	init_ext_result(&init);
	if (init.done && (init.granted & FUSE_OVER_IO_URING))
		return true;
	if (!(init.offered & FUSE_OVER_IO_URING))
		fprintf(stderr, "pinfs: transport=uring: the kernel offers no FUSE over io_uring "
				"(Linux 6.14 or later, with /sys/module/fuse/parameters/enable_uring "
				"set to Y); using /dev/fuse\n");
	return false;	/* else transport_uring_prepare() said why */
}

int transport_uring_start(int stop_fd)
{
	if (!atomic_load(&ring.active))
		return -EOPNOTSUPP;
	ring.stop_fd = stop_fd;
	return 0;
}

/* Called with ring.lock held: a run of pages for one entry, from the arenas. */
static struct page *run_alloc(struct arena **from)
{
	struct page *pages;
	struct arena *a;

	for (unsigned int k = 0; k < ring.narenas; k++) {
		pages = arena_alloc(ring.arenas[k], ring.run_pages);
		if (pages) {
			*from = ring.arenas[k];
			return pages;
		}
	}
	if (ring.narenas == MAX_ARENAS)
		return NULL;
	a = arena_create(ENTRIES_PER_EXTRA_ARENA * ring.run_pages, arena_flags());
	if (!a)
		return NULL;
	ring.arenas[ring.narenas++] = a;
	*from = a;
	return arena_alloc(a, ring.run_pages);
}

static struct ring_entry *entry_new(struct ring_worker *w, uint16_t qid)
{
	size_t npins = ring.payload_size / PAGE_SIZE;
	struct ring_entry *ent = calloc(1, sizeof(*ent));
	struct ring_entry **grown;
	long got;

	if (!ent)
		return NULL;
	ent->pins = calloc(npins, sizeof(*ent->pins));
	if (!ent->pins)
		goto fail;
	ent->w = w;
	ent->qid = qid;
	atomic_init(&ent->state, ENT_KERNEL);
	pthread_mutex_lock(&ring.lock);
	if (ring.nentries == ring.cap) {
		grown = realloc(ring.entries, (ring.cap + 64) * sizeof(*grown));
		if (!grown)
			goto fail_unlock;
		ring.entries = grown;
		ring.cap += 64;
	}
	ent->pages = run_alloc(&ent->arena);
	if (!ent->pages)
		goto fail_unlock;
	ent->hdr = page_address(ent->pages);
	ent->payload = (char *)ent->hdr + PAGE_SIZE;
	ent->iov[0] = (struct iovec){ ent->hdr, sizeof(*ent->hdr) };
	ent->iov[1] = (struct iovec){ ent->payload, ring.payload_size };
	/* The kernel keeps the payload's address until the ring goes (spec §3.4). */
	got = pin_user_pages_fast((uintptr_t)ent->payload, (int)npins, PAYLOAD_PIN, ent->pins);
	if (got != (long)npins) {
		if (got > 0)
			unpin_user_pages_flags(ent->pins, got, PAYLOAD_PIN, false);
		memset(ent->pins, 0, npins * sizeof(*ent->pins));
	}
	ring.entries[ring.nentries++] = ent;
	pthread_mutex_unlock(&ring.lock);
	return ent;
fail_unlock:
	pthread_mutex_unlock(&ring.lock);
fail:
	free(ent->pins);
	free(ent);
	return NULL;
}

static struct io_uring_sqe *get_sqe(struct ring_worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

/* Queue a command on @ent; it goes to the kernel with the worker's next io_uring_enter(). */
static bool queue_cmd(struct ring_worker *w, struct ring_entry *ent, uint32_t op)
{
	struct io_uring_sqe *sqe = get_sqe(w);
	struct fuse_uring_cmd_req *req;

	if (!sqe)
		return false;
	memset(sqe, 0, 2 * sizeof(*sqe));	/* a 128-byte SQE */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->fd = 0;				/* /dev/fuse, registered */
	sqe->cmd_op = op;
	req = (struct fuse_uring_cmd_req *)sqe->cmd;
	req->qid = ent->qid;
	if (op == FUSE_IO_URING_CMD_REGISTER) {
		sqe->addr = (uintptr_t)ent->iov;
		sqe->len = 2;
	} else {
		req->commit_id = atomic_load_explicit(&ent->unique, memory_order_relaxed);
	}
	io_uring_sqe_set_data(sqe, ent);
	ent->cmd_op = op;
	atomic_store(&ent->state, ENT_KERNEL);
	w->waiting[ent->qid]++;
	return true;
}

static void arm_poll(struct ring_worker *w, int fd, uintptr_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	io_uring_sqe_set_data(sqe, (void *)tag);
}

/* Give queue @qid one more entry of @w. */
static bool add_entry(struct ring_worker *w, uint16_t qid)
{
	struct ring_entry *ent = entry_new(w, qid);

	if (ent && queue_cmd(w, ent, FUSE_IO_URING_CMD_REGISTER))
		return true;
	if (!atomic_exchange(&ring.entry_warned, true))
		fprintf(stderr, "pinfs: transport=uring: cannot add a ring entry for queue %u; "
				"its requests wait until a blocked lock request is answered\n",
			qid);
	return false;
}

/* The queues worker @index serves: @index mod Q, or every queue q with q mod N == @index. */
static bool serves_queue(unsigned int index, unsigned int q)
{
	if (ring.nworkers >= ring.nqueues)
		return q == index % ring.nqueues;
	return q % ring.nworkers == index;
}

static int worker_setup(struct ring_worker *w, unsigned int index)
{
	struct io_uring_params p = ring_params();
	int err;

	w->index = index;
	w->waiting = calloc(ring.nqueues, sizeof(*w->waiting));
	pthread_mutex_lock(&w->lock);
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	err = w->wake_fd < 0 ? -errno : 0;
	pthread_mutex_unlock(&w->lock);
	if (err)
		return err;
	if (!w->waiting)
		return -ENOMEM;
	err = io_uring_queue_init_params(RING_SQ_ENTRIES, &w->ring, &p);
	if (err)
		return err;
	w->ring_ok = true;
	return io_uring_register_files(&w->ring, &ring.dev_fd, 1);
}

static void worker_teardown(struct ring_worker *w)
{
	/* Closing the ring withdraws its waiting entries (the kernel's IO_URING_F_CANCEL). */
	if (w->ring_ok)
		io_uring_queue_exit(&w->ring);
	w->ring_ok = false;
	pthread_mutex_lock(&w->lock);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->wake_fd = -1;
	pthread_mutex_unlock(&w->lock);
}

/*
 * Called with ring.lock held: a worker arrives at the start barrier with the
 * result @err of setting up its ring (a worker that never started arrives with
 * why). The first error is reported, and every waiter is woken to count again.
 */
static void arrive(int err)
{
	if (err && !ring.setup_err) {
		fprintf(stderr, "pinfs: transport=uring: setting up a ring failed (%s); the kernel "
				"granted the ring at INIT and serves the mount only once every "
				"queue has an entry: stopping\n",
			strerror(-err));
		ring.setup_err = err;
	}
	ring.arrived++;
	pthread_cond_broadcast(&ring.arrived_cond);
}

/*
 * Every worker sets up its ring before any registers an entry. The kernel
 * granted the ring at INIT and waits for it (transport_uring_prepare()): if a
 * worker cannot set up its ring now, no worker serves, and the daemon stops.
 * Returns 0, or the first worker's error.
 */
static int barrier(int err)
{
	pthread_mutex_lock(&ring.lock);
	arrive(err);
	while (ring.arrived < ring.nworkers)
		pthread_cond_wait(&ring.arrived_cond, &ring.lock);
	err = ring.setup_err;
	pthread_mutex_unlock(&ring.lock);
	return err;
}

void transport_uring_worker_lost(int err)
{
	if (!atomic_load(&ring.active))
		return;
	pthread_mutex_lock(&ring.lock);
	arrive(err);
	pthread_mutex_unlock(&ring.lock);
}

/* ---- serving ---- */

/* A request in @ent: hand it to libfuse as one buffer with the payload in place. */
static void serve_entry(struct ring_worker *w, struct ring_entry *ent)
{
	struct fuse_uring_req_header *hdr = ent->hdr;
	struct fuse_in_header in;
	uint32_t payload = hdr->ring_ent_in_out.payload_sz;
	size_t op;
	char *start;
	int expect = ENT_SERVING;

	memcpy(&in, hdr->in_out, sizeof(in));
	atomic_store_explicit(&ent->unique, in.unique, memory_order_relaxed);
	atomic_store(&ent->state, ENT_SERVING);
	atomic_fetch_add_explicit(&ring.requests, 1, memory_order_relaxed);
	if (in.len < sizeof(in) + (size_t)payload || payload > ring.payload_size ||
	    in.len - sizeof(in) - payload > FUSE_URING_OP_IN_OUT_SZ) {
		struct fuse_out_header out = { sizeof(out), -EIO, in.unique };
		struct iovec iov = { &out, sizeof(out) };

		fprintf(stderr, "pinfs: transport=uring: malformed request (opcode %u, length %u, "
				"payload %u)\n",
			in.opcode, in.len, payload);
		serving = ent;
		transport_uring_send(&iov, 1);
		serving = NULL;
		return;
	}
	op = in.len - sizeof(in) - payload;
	start = ent->payload - sizeof(in) - op;
	memcpy(start, &in, sizeof(in));
	memcpy(start + sizeof(in), hdr->op_in, op);
	serving = ent;
	fuse_session_process_buf(ring.fs->se, &(struct fuse_buf){ .mem = start, .size = in.len });
	serving = NULL;
	if (atomic_compare_exchange_strong(&ent->state, &expect, ENT_PARKED)) {
		/* Its reply comes from another thread: keep the queue served meanwhile. */
		atomic_fetch_add_explicit(&ring.parked, 1, memory_order_relaxed);
		if (!w->waiting[ent->qid])
			add_entry(w, ent->qid);
	}
}

/* Commit what other threads replied (woken by the eventfd). */
static void take_commits(struct ring_worker *w)
{
	struct ring_entry *ent, *next;
	uint64_t v;

	if (read(w->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->lock);
	ent = w->commits;
	w->commits = NULL;
	pthread_mutex_unlock(&w->lock);
	for (; ent; ent = next) {
		next = ent->next_commit;
		queue_cmd(w, ent, FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
	}
}

/*
 * Worker 0: FORGET, INTERRUPT and whatever else the kernel sends there. It
 * is the only reader of /dev/fuse, so a read after poll() said POLLIN finds
 * its request.
 */
static void serve_dev(struct pinfs_thread *th)
{
	struct fuse_session *se = ring.fs->se;
	struct pollfd p = { ring.dev_fd, POLLIN, 0 };

	while (!fuse_session_exited(se) && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		struct fuse_buf buf = { .mem = th->rx_mem, .size = th->rx_size };

		if (fuse_session_receive_buf(se, &buf) <= 0)
			break;	/* ENODEV: libfuse ended the session */
		fuse_session_process_buf(se, &buf);
	}
}

/* An entry's command completed with an error. Returns false when the session is over. */
static bool entry_failed(struct ring_worker *w, struct ring_entry *ent, int res)
{
	if (res == -ENOTCONN || res == -ECONNABORTED || res == -ECANCELED) {
		fuse_session_exit(ring.fs->se);	/* unmounted: the kernel tore the ring down */
		return false;
	}
	if (ent->cmd_op == FUSE_IO_URING_CMD_REGISTER && res == -EAGAIN) {
		queue_cmd(w, ent, FUSE_IO_URING_CMD_REGISTER);	/* INIT not processed yet */
		return true;
	}
	/* The kernel keeps this entry as "in userspace": it must never be registered again. */
	atomic_store(&ent->state, ENT_LOST);
	if (!atomic_exchange(&ring.error_warned, true))
		fprintf(stderr, "pinfs: transport=uring: a ring command failed (%s); replacing "
				"the entry\n",
			strerror(-res));
	if (!w->waiting[ent->qid])
		add_entry(w, ent->qid);
	return true;
}

/* Handle one completion; false when the worker is to return. */
static bool complete(struct ring_worker *w, struct pinfs_thread *th, uintptr_t tag, int res,
		     unsigned int flags)
{
	struct ring_entry *ent;

	switch (tag) {
	case TAG_WAKE:
		take_commits(w);
		if (!(flags & IORING_CQE_F_MORE))
			arm_poll(w, w->wake_fd, TAG_WAKE);
		return true;
	case TAG_GATE:
		if (!(flags & IORING_CQE_F_MORE))
			arm_poll(w, hold_gate_fd(), TAG_GATE);
		return true;	/* the loop parks at the gate */
	case TAG_DEV:
		serve_dev(th);
		if (!(flags & IORING_CQE_F_MORE))
			arm_poll(w, ring.dev_fd, TAG_DEV);
		return true;
	case TAG_STOP:
		return false;
	}
	ent = (struct ring_entry *)tag;
	w->waiting[ent->qid]--;
	if (res < 0)
		return entry_failed(w, ent, res);
	serve_entry(w, ent);
	return true;
}

static int worker_loop(struct ring_worker *w, struct pinfs_thread *th)
{
	struct fuse_session *se = ring.fs->se;

	arm_poll(w, ring.stop_fd, TAG_STOP);
	arm_poll(w, w->wake_fd, TAG_WAKE);
	if (ring.gated)
		arm_poll(w, hold_gate_fd(), TAG_GATE);
	if (w->index == 0)
		arm_poll(w, ring.dev_fd, TAG_DEV);
	for (unsigned int q = 0; q < ring.nqueues; q++)
		if (serves_queue(w->index, q) && !add_entry(w, (uint16_t)q))
			return -ENOMEM;
	while (!fuse_session_exited(se)) {
		struct io_uring_cqe *cqe;
		int ret;

		if (ring.gated && hold_gate_closed()) {
			io_uring_submit(&w->ring);	/* replies leave before the worker parks */
			hold_gate_enter();
			continue;
		}
		/* Commit the replies and wait for the next request: the ring's read(). */
		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			fprintf(stderr, "pinfs: transport=uring: io_uring_enter: %s\n",
				strerror(-ret));
			return ret;
		}
		while (io_uring_peek_cqe(&w->ring, &cqe) == 0) {
			uintptr_t tag = (uintptr_t)io_uring_cqe_get_data(cqe);
			int res = cqe->res;
			unsigned int flags = cqe->flags;

			io_uring_cqe_seen(&w->ring, cqe);
			if (!complete(w, th, tag, res, flags)) {
				io_uring_submit(&w->ring);	/* the replies made so far */
				return 0;
			}
			/* A reply waits for no other request of this batch. */
			if (io_uring_sq_ready(&w->ring) && io_uring_cq_ready(&w->ring))
				io_uring_submit(&w->ring);
		}
	}
	return 0;
}

int transport_uring_serve(struct pinfs_thread *th, unsigned int index)
{
	struct ring_worker *w;
	int err;

	if (!atomic_load(&ring.active) || index >= ring.nworkers)
		return -EOPNOTSUPP;
	w = &ring.workers[index];
	err = barrier(worker_setup(w, index));
	if (err) {
		worker_teardown(w);
		return err;
	}
	self = w;
	err = worker_loop(w, th);
	self = NULL;
	worker_teardown(w);
	return err;
}

void transport_uring_finish(void)
{
	size_t npins = ring.payload_size / PAGE_SIZE;

	if (!atomic_exchange(&ring.active, false))
		return;
	pthread_mutex_lock(&ring.lock);
	for (size_t k = 0; k < ring.nentries; k++) {
		struct ring_entry *ent = ring.entries[k];

		if (ent->pins[0])
			unpin_user_pages_flags(ent->pins, (long)npins, PAYLOAD_PIN, false);
		arena_free(ent->arena, ent->pages, ring.run_pages);
		free(ent->pins);
		free(ent);
	}
	free(ring.entries);
	ring.entries = NULL;
	ring.nentries = ring.cap = 0;
	for (unsigned int k = 0; k < ring.narenas; k++)
		arena_destroy(ring.arenas[k]);
	ring.narenas = 0;
	pthread_mutex_unlock(&ring.lock);
	for (unsigned int k = 0; k < ring.nworkers; k++) {
		free(ring.workers[k].waiting);
		pthread_mutex_destroy(&ring.workers[k].lock);
	}
	free(ring.workers);
	ring.workers = NULL;
}

/* ---- replies ---- */

static bool claim(struct ring_entry *ent)
{
	int s = ENT_SERVING;

	if (atomic_compare_exchange_strong(&ent->state, &s, ENT_REPLYING))
		return true;
	s = ENT_PARKED;
	return atomic_compare_exchange_strong(&ent->state, &s, ENT_REPLYING);
}

/* Called with ring.lock held: the entry waiting for the reply to @unique, claimed. */
static struct ring_entry *find_claim(uint64_t unique)
{
	for (size_t k = 0; k < ring.nentries; k++) {
		struct ring_entry *ent = ring.entries[k];

		if (atomic_load_explicit(&ent->unique, memory_order_relaxed) == unique &&
		    claim(ent))
			return ent;
	}
	return NULL;
}

/* Write the reply into @ent: the header, and the rest into the payload. */
static ssize_t fill(struct ring_entry *ent, const struct iovec *iov, int count)
{
	struct fuse_out_header out;
	size_t off = 0;

	memcpy(&out, iov[0].iov_base, sizeof(out));
	for (int k = 1; k < count; k++) {
		if (off + iov[k].iov_len > ring.payload_size) {
			/* Cannot happen: no reply exceeds max_write or max_pages. */
			out.error = -EIO;
			off = 0;
			break;
		}
		if (iov[k].iov_base != ent->payload + off) {
			memmove(ent->payload + off, iov[k].iov_base, iov[k].iov_len);
			atomic_fetch_add_explicit(&ring.reply_copied, iov[k].iov_len,
						  memory_order_relaxed);
		} else {
			atomic_fetch_add_explicit(&ring.reply_in_place, iov[k].iov_len,
						  memory_order_relaxed);
		}
		off += iov[k].iov_len;
	}
	memcpy(ent->hdr->in_out, &out, sizeof(out));
	ent->hdr->ring_ent_in_out.payload_sz = (uint32_t)off;
	return out.error == -EIO ? -EIO : (ssize_t)(sizeof(out) + off);
}

ssize_t transport_uring_send(const struct iovec *iov, int count)
{
	const struct fuse_out_header *oh;
	struct ring_entry *ent = serving;
	struct ring_worker *w;
	bool locked = false;
	uint64_t one = 1;
	ssize_t n;

	if (!atomic_load_explicit(&ring.active, memory_order_relaxed) || count < 1 ||
	    iov[0].iov_len != sizeof(*oh))
		return 0;
	oh = iov[0].iov_base;
	if (!ent || atomic_load_explicit(&ent->unique, memory_order_relaxed) != oh->unique ||
	    !claim(ent)) {
		/* Another thread's request (a lock waiter), or one that came over /dev/fuse. */
		pthread_mutex_lock(&ring.lock);
		locked = true;
		ent = oh->unique ? find_claim(oh->unique) : NULL;
		if (!ent) {
			pthread_mutex_unlock(&ring.lock);
			return 0;
		}
	}
	n = fill(ent, iov, count);
	w = ent->w;
	if (w == self) {
		queue_cmd(w, ent, FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
	} else {
		atomic_store(&ent->state, ENT_REPLIED);
		pthread_mutex_lock(&w->lock);
		ent->next_commit = w->commits;
		w->commits = ent;
		if (w->wake_fd >= 0 && write(w->wake_fd, &one, sizeof(one)) < 0)
			n = -errno;
		pthread_mutex_unlock(&w->lock);
	}
	if (locked)
		pthread_mutex_unlock(&ring.lock);
	return n;
}

struct page *transport_uring_reply_pages(size_t *npages)
{
	if (!serving)
		return NULL;
	*npages = ring.payload_size / PAGE_SIZE;
	return nth_page(serving->pages, 1);
}

void transport_uring_stats(struct ctl_stats *st)
{
	typeof(st->transport) *t = &st->transport;

	memset(t, 0, sizeof(*t));
	if (!atomic_load(&ring.active)) {
		snprintf(t->name, sizeof(t->name), "dev");
		return;
	}
	snprintf(t->name, sizeof(t->name), "uring");
	pthread_mutex_lock(&ring.lock);
	t->entries = ring.nentries;
	pthread_mutex_unlock(&ring.lock);
	t->queues = ring.nqueues;
	t->workers = ring.nworkers;
	t->payload_bytes = ring.payload_size;
	t->requests = atomic_load(&ring.requests);
	t->parked = atomic_load(&ring.parked);
	t->reply_in_place = atomic_load(&ring.reply_in_place);
	t->reply_copied = atomic_load(&ring.reply_copied);
}
