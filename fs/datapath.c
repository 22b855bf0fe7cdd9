// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The data path shared by the engines (datapath.h): plan a READ or WRITE
 * across O_DIRECT, bounce, page cache and splice; what O_DIRECT pins is the
 * kernel-pin model's (kpin_model.h).
 */
#include <errno.h>

#include <pinit/arena.h>
#include <pinit/uio.h>

#include "buffers.h"
#include "datapath.h"
#include "dio.h"
#include "engine.h"
#include "file.h"
#include "inode.h"
#include "kpin_model.h"

/* ---- O_DIRECT and page-cache transfers ---- */

/*
 * One O_DIRECT transfer of @len bytes, pinned for its duration as the kernel
 * pins it (kpin_model.h). A read stops at end of file (a short or empty
 * result); returns bytes or -errno.
 */
static ssize_t direct_rw(const struct pinfs_file *f, void *buf, size_t len, off_t pos,
			 bool write)
{
	const struct pinfs_engine *e = f->engine;
	int fd = f->dio_fd;
	struct kpins pins;
	size_t done = 0;
	int err;

	err = kpin_direct_io(&pins, buf, len, write ? ITER_SOURCE : ITER_DEST,
			     e->registered && e->registered(buf, len));
	if (err)
		return err;
	while (done < len) {
		ssize_t r = write ? e->write(fd, (char *)buf + done, len - done, pos + done)
				  : e->read(fd, (char *)buf + done, len - done, pos + done);

		if (r == -EINTR)
			continue;
		if (r < 0) {
			if (!done)
				done = r;
			break;
		}
		if (r == 0)
			break;
		done += r;
		if (!write && (size_t)r < len - done + r)
			break;	/* a short O_DIRECT read ends at end of file */
	}
	kpin_direct_io_done(&pins);
	return (ssize_t)done;
}

/* Read into a memory iterator with plain syscalls, advancing it. */
static ssize_t buffered_read(struct pinfs_file *f, struct iov_iter *to, off_t pos)
{
	size_t done = 0;

	while (iov_iter_count(to)) {
		struct iovec iov;
		ssize_t r;

		if (iov_iter_to_iovecs(to, &iov, 1) != 1)
			return done ? (ssize_t)done : -EINVAL;
		r = f->engine->read(f->fd, iov.iov_base, iov.iov_len, pos + done);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return done ? (ssize_t)done : r;
		if (r == 0)
			break;
		iov_iter_advance(to, r);
		done += r;
	}
	stats_count_bytes(PATH_BUFFERED, STATS_READ, done);
	return done;
}

/* Write @len bytes of @from at @pos through the page cache (PIPE: spliced), advancing it. */
static ssize_t buffered_write(struct pinfs_file *f, struct iov_iter *from, off_t pos, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iov_iter part = *from;
		struct iovec iov;
		ssize_t r;

		if (iov_iter_is_pipe(from)) {
			loff_t off = pos + done;

			r = iov_iter_splice_out(from, f->fd, &off, len - done, 0);
			if (r <= 0)
				return done ? (ssize_t)done : r ? r : -EIO;
			stats_count_bytes(PATH_SPLICED, STATS_WRITE, r);
			done += r;
			continue;
		}
		iov_iter_truncate(&part, len - done);
		if (iov_iter_to_iovecs(&part, &iov, 1) != 1)
			return done ? (ssize_t)done : -EINVAL;
		r = f->engine->write(f->fd, iov.iov_base, iov.iov_len, pos + done);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return done ? (ssize_t)done : r ? r : -EIO;
		iov_iter_advance(from, r);
		stats_count_bytes(PATH_BUFFERED, STATS_WRITE, r);
		done += r;
	}
	return done;
}

/* A DEST pipe (splice mode READ): splice from the backing file, O_DIRECT when aligned. */
static ssize_t splice_read(struct pinfs_file *f, struct iov_iter *to, off_t pos)
{
	size_t len = iov_iter_count(to), done = 0;
	unsigned int a = f->dio.off_align;
	int fd = f->fd;

	if (dio_usable(f) && !(pos % a) && !(len % a))
		fd = f->dio_fd;
	while (iov_iter_count(to)) {
		loff_t off = pos + done;
		ssize_t r = iov_iter_splice_in(to, fd, &off, iov_iter_count(to), 0);

		if (r == -EINVAL && fd == f->dio_fd && !done) {
			fd = f->fd;
			continue;
		}
		if (r < 0)
			return done ? (ssize_t)done : r;
		if (r == 0)
			break;
		done += r;
	}
	stats_count_bytes(PATH_SPLICED, STATS_READ, done);
	return done;
}

/* ---- READ ---- */

/*
 * Where the A-aligned span around the data of @to can be read in place: the
 * data lies in one DEST BVEC segment over arena pages, which belong wholly to
 * the request (engine.h), with room for @head bytes before the data and the span's
 * end inside its last page, at an address that satisfies the memory alignment.
 * Returns the span's address, or NULL.
 */
static char *span_in_place(const struct iov_iter *to, size_t head, size_t span,
			   const struct dio_rules *r)
{
	struct bvec_span s;
	char *start;

	if (!iov_iter_bvec_span(to, &s) || !page_is_arena(s.page) || s.before < head)
		return NULL;
	start = s.data - head;
	if ((uintptr_t)start % r->mem_align || span > head + iov_iter_count(to) + s.after)
		return NULL;
	return start;
}

static ssize_t direct_read(struct pinfs_file *f, struct iov_iter *to, off_t pos)
{
	size_t len = iov_iter_count(to);
	off_t start = dio_round_down(pos, f->dio.off_align);
	off_t end = dio_span_end(pos, len, f->dio.off_align);
	size_t head = pos - start;
	size_t span = end - start;
	struct page *bounce = NULL;
	char *buf;
	ssize_t got, n;

	if (end < 0)
		return -ENOBUFS;	/* no aligned span reaches these bytes: the page cache does */
	buf = span_in_place(to, head, span, &f->dio);
	if (!buf) {
		if (span > KPIN_MAX_PAGES * PAGE_SIZE || !buffers_arena())
			return -ENOBUFS;
		bounce = arena_alloc(buffers_arena(), DIV_ROUND_UP(span, PAGE_SIZE));
		if (!bounce)
			return -ENOBUFS;
		buf = page_address(bounce);
	}
	got = direct_rw(f, buf, span, start, false);
	if (got < 0) {
		n = got;
		goto out;
	}
	n = (size_t)got > head ? min_t(size_t, got - head, len) : 0;
	if (bounce) {
		n = copy_to_iter(buf + head, n, to);
		stats_count_bytes(PATH_BOUNCED, STATS_READ, n);
	} else {
		iov_iter_advance(to, n);
		stats_count_bytes(PATH_DIRECT, STATS_READ, n);
	}
out:
	if (bounce)
		arena_free(buffers_arena(), bounce, DIV_ROUND_UP(span, PAGE_SIZE));
	return n;
}

bool datapath_read_plan(struct pinfs_file *f, const struct iov_iter *to, off_t pos,
			struct read_plan *plan)
{
	const struct pinfs_engine *e = f->engine;
	size_t len = iov_iter_count(to);
	off_t start, end;
	struct kpins pins;

	if (!len || !dio_usable(f) || !e->registered)
		return false;
	start = dio_round_down(pos, f->dio.off_align);
	end = dio_span_end(pos, len, f->dio.off_align);
	if (end < 0)
		return false;
	plan->head = pos - start;
	plan->span = end - start;
	plan->buf = span_in_place(to, plan->head, plan->span, &f->dio);
	if (!plan->buf || !e->registered(plan->buf, plan->span))
		return false;
	/* Registered pages are only listed (spec §3.3): nothing to release later. */
	if (kpin_direct_io(&pins, plan->buf, plan->span, ITER_DEST, true))
		return false;
	plan->fd = f->dio_fd;
	plan->start = start;
	return true;
}

ssize_t datapath_read_done(struct pinfs_file *f, struct iov_iter *to, off_t pos,
			   const struct read_plan *plan, ssize_t res)
{
	size_t n;

	if (res == -EINVAL) {
		dio_refused(f);
		return buffered_read(f, to, pos);
	}
	if (res < 0)
		return res;
	n = (size_t)res > plan->head ? min_t(size_t, res - plan->head, iov_iter_count(to)) : 0;
	iov_iter_advance(to, n);
	stats_count_bytes(PATH_DIRECT, STATS_READ, n);
	return n;
}

ssize_t datapath_read(struct pinfs_file *f, struct iov_iter *to, off_t pos)
{
	if (!iov_iter_count(to))
		return 0;
	if (iov_iter_is_pipe(to))
		return splice_read(f, to, pos);
	if (dio_usable(f)) {
		struct iov_iter saved = *to;
		ssize_t n = direct_read(f, to, pos);

		if (n != -EINVAL && n != -ENOBUFS)
			return n;
		if (n == -EINVAL)
			dio_refused(f);
		*to = saved;
	}
	return buffered_read(f, to, pos);
}

/* ---- WRITE ---- */

/*
 * The A-aligned middle of a write: straight from the payload when it is in
 * memory and aligned, spliced when it is in a pipe, otherwise copied once into
 * arena pages. Returns bytes written (advancing @from) or -errno; -ENOBUFS and
 * -EINVAL (before anything was written) ask the caller to use the page cache.
 */
static ssize_t direct_write(struct pinfs_file *f, struct iov_iter *from, off_t pos, size_t len)
{
	struct iov_iter mid = *from;
	struct page *bounce;
	struct iovec iov;
	ssize_t n;

	if (iov_iter_is_pipe(from)) {
		loff_t off = pos;

		n = iov_iter_splice_out(from, f->dio_fd, &off, len, 0);
		if (n > 0)
			stats_count_bytes(PATH_SPLICED, STATS_WRITE, n);
		return n;
	}
	iov_iter_truncate(&mid, len);
	if (iov_iter_is_aligned(&mid, f->dio.mem_align - 1, f->dio.off_align - 1) &&
	    iov_iter_to_iovecs(&mid, &iov, 1) == 1 && iov.iov_len == len) {
		n = direct_rw(f, iov.iov_base, len, pos, true);
		if (n > 0) {
			iov_iter_advance(from, n);
			stats_count_bytes(PATH_DIRECT, STATS_WRITE, n);
		}
		return n;
	}
	if (!buffers_arena() || len > KPIN_MAX_PAGES * PAGE_SIZE)
		return -ENOBUFS;
	bounce = arena_alloc(buffers_arena(), DIV_ROUND_UP(len, PAGE_SIZE));
	if (!bounce)
		return -ENOBUFS;
	if (copy_from_iter(page_address(bounce), len, &mid) != len) {
		n = -EFAULT;
	} else {
		n = direct_rw(f, page_address(bounce), len, pos, true);
		if (n > 0) {
			iov_iter_advance(from, n);
			stats_count_bytes(PATH_BOUNCED, STATS_WRITE, n);
		}
	}
	arena_free(buffers_arena(), bounce, DIV_ROUND_UP(len, PAGE_SIZE));
	return n;
}

/* Write head (page cache), middle (O_DIRECT) and tail (page cache) in order. */
static ssize_t write_split(struct pinfs_file *f, struct iov_iter *from, off_t pos, size_t len)
{
	off_t end = dio_end(pos, len);
	off_t mid_start = dio_round_up(pos, f->dio.off_align);
	off_t mid_end = dio_round_down(end, f->dio.off_align);
	size_t parts[3], done = 0;

	/* No aligned middle (a round-up saturated at DIO_OFF_MAX has none either). */
	if (mid_start >= mid_end || end - pos != (off_t)len)
		return buffered_write(f, from, pos, len);
	parts[0] = mid_start - pos;
	parts[1] = mid_end - mid_start;
	parts[2] = end - mid_end;
	for (int k = 0; k < 3; k++) {
		ssize_t n;

		if (!parts[k])
			continue;
		if (k == 1) {
			n = direct_write(f, from, pos + done, parts[k]);
			if (n == -EINVAL)
				dio_refused(f);
			if (n == -EINVAL || n == -ENOBUFS)
				n = buffered_write(f, from, pos + done, parts[k]);
		} else {
			n = buffered_write(f, from, pos + done, parts[k]);
		}
		if (n < 0)
			return done ? (ssize_t)done : n;
		done += n;
		if ((size_t)n < parts[k])
			break;
	}
	return done;
}

ssize_t datapath_write(struct pinfs_file *f, struct iov_iter *from, off_t pos)
{
	size_t len = iov_iter_count(from);
	unsigned int a = dio_usable(f) ? f->dio.off_align : 1;
	struct range r;
	ssize_t n;

	if (!len)
		return 0;
	/* Whole pages at least, so edges of writes through other descriptors are covered too. */
	if (a < PAGE_SIZE)
		a = PAGE_SIZE;
	range_lock(&f->inode->writes, &r, dio_round_down(pos, a),
		   dio_round_up(dio_end(pos, len), a));
	if (dio_usable(f))
		n = write_split(f, from, pos, len);
	else
		n = buffered_write(f, from, pos, len);
	range_unlock(&f->inode->writes, &r);
	return n;
}
