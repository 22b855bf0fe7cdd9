// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the scenario files; see scenarios.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenarios.h"

/* How long a deterministic step may wait for pinfs to park a request. */
#define HOLD_WAIT_MS 5000
/* Holds expire on their own after this, so a crashed suite never wedges pinfs. */
#define HOLD_TIMEOUT_MS 20000

bool sc_check(struct sc_ctx *sc, const void *buf, size_t len, const struct pat_expect *e,
	      const char *what_fmt, ...)
{
	struct pat_mismatch m;
	char what[96], desc[256];
	va_list ap;

	if (pattern_check(buf, len, e, &m))
		return true;
	va_start(ap, what_fmt);
	vsnprintf(what, sizeof(what), what_fmt, ap);
	va_end(ap);
	sc_fail(sc, "%s: %s", what, pattern_describe(&m, e, desc, sizeof(desc)));
	return false;
}

void kid_check_unchanged(struct kid *k, const void *now, const void *before, size_t len,
			 uint64_t pat_off)
{
	const unsigned char *a = now, *b = before;
	struct kid_report r = {.ok = 1};
	/* accepts nothing: used only to classify the word around the first changed byte */
	struct pat_expect none = {.observer_child = true};
	size_t i = 0, ws, bad = 0, run = 0;

	while (i < len && a[i] == b[i])
		i++;
	if (i < len) {
		for (size_t j = i; j < len; j++)
			bad += a[j] != b[j];
		while (i + run < len && a[i + run] != b[i + run])
			run++;
		ws = i - ((pat_off + i) & 7) <= i ? i - ((pat_off + i) & 7) : 0;
		none.off = pat_off + ws;
		pattern_check(a + ws, len - ws, &none, &r.m);
		r.m.index = i;
		r.m.pat_off = pat_off + i;
		r.m.page_off = (uintptr_t)(a + i) % (uintptr_t)sysconf(_SC_PAGESIZE);
		r.m.got = a[i];
		r.m.want = b[i];
		r.m.bad_bytes = bad;
		r.m.run = run;
		r.ok = 0;
	}
	kid_report(k, &r);
}

void kid_check(struct kid *k, const void *buf, size_t len, const struct pat_expect *e)
{
	struct kid_report r = {.ok = 1};

	if (!pattern_check(buf, len, e, &r.m))
		r.ok = 0;
	kid_report(k, &r);
}

int kid_fork_prefill_observer(struct kid *k, const void *buf, size_t len, unsigned int gen)
{
	int kpid = kid_fork(k);

	if (kpid == 0) {
		struct pat_expect pe = pat_exp(0, FID_PREFILL, gen);

		pe.observer_child = true;
		kid_wait_go(k);
		kid_check(k, buf, len, &pe);
		_exit(0);
	}
	return kpid;
}

bool sc_kid_verdict(struct sc_ctx *sc, struct kid *k, const char *what)
{
	struct kid_report r;
	struct pat_expect e = {.observer_child = true};
	char desc[256];
	int ret, status;

	kid_go(k);
	ret = kid_read_report(k, &r, 10000);
	status = kid_reap(k, 5000);
	if (ret) {
		if (status != -ETIMEDOUT && WIFSIGNALED(status))
			sc_fail(sc, "%s: child died of signal %d", what, WTERMSIG(status));
		else
			sc_fail(sc, "%s: no report from the child (%s)", what, strerror(-ret));
		return false;
	}
	if (r.ok == 1)
		return true;
	if (r.ok < 0)
		sc_fail(sc, "%s: child error: %s", what, strerror(r.err));
	else
		sc_fail(sc, "%s: %s", what, pattern_describe(&r.m, &e, desc, sizeof(desc)));
	return false;
}

int sc_hold(struct sc_ctx *sc, const char *at, const char *op, uint64_t ino, uint64_t off,
	    uint64_t len)
{
	int point = hold_point_by_name(at), opk = hold_op_by_name(op), id;
	struct hold_spec spec = {
		.ino = ino,
		.off = off,
		.len = len,
		.count = 1,
		.timeout_ms = HOLD_TIMEOUT_MS,
	};

	if (!sc->ctl) {
		sc_skip(sc, "needs pinfs --control hold hooks");
		return -1;
	}
	if (point < 0 || opk < 0) {
		sc_fail(sc, "no hold at=%s op=%s in docs/control.md", at, op);
		return -1;
	}
	spec.at = point;
	spec.op = opk;
	id = ctl_hold(sc->ctl, &spec);
	if (id <= 0) {
		sc_fail(sc, "pinfs hold at=%s op=%s refused: %s", at, op, strerror(-id));
		return -1;
	}
	return id;
}

bool sc_hold_wait(struct sc_ctx *sc, int id)
{
	int ret = ctl_wait(sc->ctl, id, HOLD_WAIT_MS);

	if (ret >= 0)
		return true;
	sc_fail(sc, "pinfs hold %d parked nothing within %d ms: %s", id, HOLD_WAIT_MS,
		strerror(-ret));
	return false;
}

void sc_hold_release(struct sc_ctx *sc, int id)
{
	if (id > 0 && sc->ctl)
		ctl_release(sc->ctl, id);
}

bool sc_make_file(struct sc_ctx *sc, const char *path, size_t size, unsigned int fid,
		  unsigned int gen)
{
	int ret = make_pattern_file(path, size, fid, gen);

	if (ret)
		sc_fail(sc, "cannot create %s: %s", path, strerror(-ret));
	return ret == 0;
}

int sc_open_data_file(struct sc_ctx *sc, const char *name, size_t size)
{
	char path[4200];

	sc_path(sc, path, sizeof(path), name);
	if (access(path, F_OK) && !sc_make_file(sc, path, size, FID_DATA, 1))
		return -1;
	return sc_open_direct(sc, path, O_RDONLY);
}

int written_file_open(struct sc_ctx *sc, struct written_file *f, const char *name, size_t size,
		      unsigned int gen)
{
	char path[4200];

	*f = WRITTEN_FILE_CLOSED;
	sc_path(sc, path, sizeof(path), name);
	if (!sc_make_file(sc, path, size, FID_DATA, gen))
		return -1;
	f->dfd = sc_open_direct(sc, path, O_WRONLY);
	f->rfd = sc_open(sc, path, O_RDWR);
	return f->dfd < 0 || f->rfd < 0 ? -1 : 0;
}

void written_file_close(struct written_file *f)
{
	if (f->dfd >= 0)
		close(f->dfd);
	if (f->rfd >= 0)
		close(f->rfd);
	*f = WRITTEN_FILE_CLOSED;
}

uint64_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

bool sc_need_dio_align(struct sc_ctx *sc, size_t align)
{
	if (!sc->env->tg.odirect) {
		sc_skip(sc, "no O_DIRECT on the target: %s", sc->env->tg.odirect_why);
		return false;
	}
	if (sc->env->tg.dio_align > align) {
		sc_skip(sc, "needs %zu-byte O_DIRECT alignment; the target requires %zu", align,
			sc->env->tg.dio_align);
		return false;
	}
	return true;
}

static void *bg_main(void *arg)
{
	struct bg_io *io = arg;
	ssize_t r;

	io->tid = my_tid();
	if (io->write)
		r = pwrite(io->fd, io->buf, io->len, io->off);
	else
		r = pread(io->fd, io->buf, io->len, io->off);
	io->ret = r < 0 ? -errno : r;
	return NULL;
}

int bg_start(struct bg_io *io)
{
	int ret;

	io->tid = 0;
	io->ret = 0;
	ret = pthread_create(&io->thread, NULL, bg_main, io);
	io->started = ret == 0;
	return -ret;
}

ssize_t bg_join(struct bg_io *io)
{
	if (io->started) {
		pthread_join(io->thread, NULL);
		io->started = false;
	}
	return io->ret;
}

int bg_wait_blocked(struct bg_io *io, int timeout_ms)
{
	double end = now_sec() + timeout_ms / 1000.0;

	while (!io->tid && now_sec() < end)
		sleep_us(200);
	if (!io->tid)
		return -ETIMEDOUT;
	return wait_in_syscall(io->tid, io->write ? NR_PWRITE64 : NR_PREAD64,
			       (int)((end - now_sec()) * 1000));
}

static void *worker_main(void *arg)
{
	struct sc_worker *k = arg;

	k->fn(k);
	return NULL;
}

unsigned long sc_run_workers(struct sc_ctx *sc, unsigned int n, void (*fn)(struct sc_worker *k),
			     void *work, const char *who)
{
	struct sc_worker *k = calloc(n, sizeof(*k));
	unsigned long ops = 0;

	if (!k) {
		sc_fail(sc, "out of memory");
		return 0;
	}
	sc->t_end = now_sec() + sc->sub_duration;
	for (unsigned int i = 0; i < n; i++) {
		k[i] = (struct sc_worker){.sc = sc, .work = work, .idx = (int)i, .fn = fn};
		k[i].started = pthread_create(&k[i].th, NULL, worker_main, &k[i]) == 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (!k[i].started)
			continue;
		pthread_join(k[i].th, NULL);
		ops += k[i].ops;
		if (k[i].fail[0])
			sc_fail(sc, "%s %u: %s", who, i, k[i].fail);
	}
	sc->res->iterations += ops;
	free(k);
	return ops;
}

bool sc_worker_more(const struct sc_worker *k)
{
	return now_sec() < k->sc->t_end && !k->fail[0] &&
	       (!k->sc->max_iter || k->ops < k->sc->max_iter);
}

/* Start @io under hold @id and wait until it is parked; see sc_park_io(). */
static int park(struct sc_ctx *sc, int id, struct bg_io *io, bool at_receive)
{
	const char *what = io->write ? "write" : "read";
	bool parked;
	int ret;

	if (id < 0)
		return -1;
	ret = bg_start(io);
	if (ret) {
		sc_hold_release(sc, id);
		sc_fail(sc, "cannot start the %s thread: %s", what, strerror(-ret));
		return -1;
	}
	if (at_receive) {
		parked = bg_wait_blocked(io, HOLD_WAIT_MS) == 0;
		if (!parked)
			sc_fail(sc, "the O_DIRECT %s did not block behind the receive hold", what);
	} else {
		parked = sc_hold_wait(sc, id); /* records its own failure */
	}
	if (parked)
		return id;
	sc_hold_release(sc, id);
	bg_join(io);
	return -1;
}

int sc_park_io(struct sc_ctx *sc, const char *at, const char *op, struct bg_io *io)
{
	return park(sc, sc_hold(sc, at, op, fd_ino(io->fd), (uint64_t)io->off, io->len), io, false);
}

int sc_park_io_at_receive(struct sc_ctx *sc, struct bg_io *io)
{
	return park(sc, sc_hold(sc, "receive", "any", 0, 0, 0), io, true);
}

void daemon_forker_off(struct ctl_conn *ctl)
{
	unsigned long forks;

	if (!ctl_forker(ctl, false, 0, &forks))
		forks_count(forks);
}
