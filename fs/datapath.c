// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The data path shared by the engines (datapath.h): plan a READ or WRITE
 * across O_DIRECT, bounce, page cache and splice, and pin what O_DIRECT uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pinit/arena.h>
#include <pinit/gup.h>
#include <pinit/uio.h>

#include "datapath.h"
#include "dio.h"
#include "engine.h"
#include "file.h"
#include "inode.h"
#include "unsafe.h"

/* The largest span one O_DIRECT syscall covers: a 1 MiB request plus its edges. */
#define SPAN_PAGES 260

static struct arena *bounce_arena;

void datapath_set_arena(struct arena *a)
{
	bounce_arena = a;
}

struct arena *datapath_arena(void)
{
	return bounce_arena;
}

/* ---- opening the O_DIRECT descriptor ---- */

static bool wants_backing_dio(const struct pinfs *fs, const struct pinfs_file *f)
{
	if (f->inode->type != S_IFREG || (f->flags & O_APPEND))
		return false;	/* O_APPEND: the kernel picks the offset; DIO would need it aligned */
	switch (fs->opts->backing_dio) {
	case BACKING_DIO_ALWAYS:
		return true;
	case BACKING_DIO_AUTO:
		return f->flags & O_DIRECT;
	case BACKING_DIO_NEVER:
		break;
	}
	return false;
}

int datapath_open(struct pinfs *fs, struct pinfs_file *f)
{
	char path[64];
	int accmode;

	f->dio_fd = -1;
	f->dio = (struct dio_rules){ .usable = false };
	if (!wants_backing_dio(fs, f))
		return 0;
	accmode = fcntl(f->fd, F_GETFL);
	if (accmode < 0)
		return 0;
	/* Same file, same access, plus O_DIRECT: reopen the descriptor through /proc. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	f->dio_fd = open(path, (accmode & (O_ACCMODE | O_NOATIME)) | O_DIRECT | O_CLOEXEC);
	if (f->dio_fd < 0)
		return 0;	/* no O_DIRECT here: the page cache serves this file */
	f->dio = dio_rules_for(f->dio_fd, f->inode->dev);
	if (!f->dio.usable) {
		close(f->dio_fd);
		f->dio_fd = -1;
	}
	atomic_store(&f->dio_ok, f->dio.usable);
	return 0;
}

void datapath_release(struct pinfs *fs, struct pinfs_file *f)
{
	if (f->dio_fd >= 0)
		close(f->dio_fd);
	f->dio_fd = -1;
}

static bool direct_usable(const struct pinfs_file *f)
{
	return f->dio_fd >= 0 && atomic_load_explicit(&f->dio_ok, memory_order_relaxed);
}

/* O_DIRECT said EINVAL although the rules allowed the request: stop using it for this file. */
static void direct_failed(struct pinfs_file *f)
{
	if (atomic_exchange(&f->dio_ok, false))
		fprintf(stderr, "pinfs: O_DIRECT on a backing file refused an aligned request; "
				"using the page cache for it\n");
}

/* ---- pins for one O_DIRECT syscall ---- */

struct io_pins {
	struct page *pages[SPAN_PAGES];
	long n;
};

/*
 * Pin [@buf, @buf + @len) the way the kernel pins the buffer of an O_DIRECT
 * syscall: the syscall sees a UBUF iterator over this process's memory, and
 * iov_iter_extract_pages() pins it (FOLL_WRITE for a read into it). A
 * registered (io_uring fixed) buffer reaches the kernel as a BVEC over pages
 * it already holds long-term: extraction only lists them.
 */
static int pin_for_io(const struct io_ops *io, void *buf, size_t len, unsigned int dir,
		      struct io_pins *p)
{
	struct iov_iter it;

	p->n = 0;
	if (io->registered && io->registered(buf, len)) {
		struct bio_vec bv = { virt_to_page(buf), len, (uintptr_t)buf % PAGE_SIZE };

		iov_iter_bvec(&it, dir, &bv, 1, len);
		while (iov_iter_count(&it)) {
			struct page **slot = p->pages;
			size_t off0;

			if (iov_iter_extract_pages(&it, &slot, iov_iter_count(&it), SPAN_PAGES, 0,
						   &off0) <= 0)
				return -EFAULT;
		}
		return 0;
	}
	iov_iter_ubuf(&it, dir, buf, len);
	while (iov_iter_count(&it)) {
		struct page **slot = &p->pages[p->n];
		size_t off0;
		ssize_t got = iov_iter_extract_pages(&it, &slot, iov_iter_count(&it),
						     SPAN_PAGES - p->n, 0, &off0);

		if (got <= 0) {
			unpin_user_pages(p->pages, p->n);
			p->n = 0;
			return got ? (int)got : -EFAULT;
		}
		p->n += DIV_ROUND_UP(off0 + got, PAGE_SIZE);
	}
	return 0;
}

static void unpin_after_io(struct io_pins *p, bool dirty)
{
	if (unsafe_skip_unpin())
		return;
	if (unsafe_active(UNSAFE_MISMATCH)) {
		for (long k = 0; k < p->n; k++)
			put_page(p->pages[k]);	/* deliberately the wrong release */
		return;
	}
	unpin_user_pages_dirty_lock(p->pages, p->n, dirty);
}

/*
 * One O_DIRECT transfer of @len bytes, pinned for its duration. A read stops
 * at end of file (a short or empty result); returns bytes or -errno.
 */
static ssize_t direct_rw(const struct io_ops *io, int fd, void *buf, size_t len, off_t pos,
			 bool write)
{
	struct io_pins pins;
	size_t done = 0;
	int err;

	err = pin_for_io(io, buf, len, write ? ITER_SOURCE : ITER_DEST, &pins);
	if (err)
		return err;
	while (done < len) {
		ssize_t r = write ? io->write(fd, (char *)buf + done, len - done, pos + done)
				  : io->read(fd, (char *)buf + done, len - done, pos + done);

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
	unpin_after_io(&pins, !write);
	return (ssize_t)done;
}

/* ---- page-cache and pipe transfers ---- */

/* Read into a memory iterator with plain syscalls, advancing it. */
static ssize_t buffered_read(const struct io_ops *io, struct pinfs_file *f, struct iov_iter *to,
			     off_t pos)
{
	size_t done = 0;

	while (iov_iter_count(to)) {
		struct iovec iov;
		ssize_t r;

		if (engine_iter_iovecs(to, &iov, 1) != 1)
			return done ? (ssize_t)done : -EINVAL;
		r = io->read(f->fd, iov.iov_base, iov.iov_len, pos + done);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return done ? (ssize_t)done : r;
		if (r == 0)
			break;
		iov_iter_advance(to, r);
		done += r;
	}
	stats_add_bytes(PATH_BUFFERED, done);
	return done;
}

/* Write @len bytes of @from at @pos through the page cache (PIPE: spliced), advancing it. */
static ssize_t buffered_write(const struct io_ops *io, struct pinfs_file *f,
			      struct iov_iter *from, off_t pos, size_t len)
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
			stats_add_bytes(PATH_SPLICED, r);
			done += r;
			continue;
		}
		iov_iter_truncate(&part, len - done);
		if (engine_iter_iovecs(&part, &iov, 1) != 1)
			return done ? (ssize_t)done : -EINVAL;
		r = io->write(f->fd, iov.iov_base, iov.iov_len, pos + done);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return done ? (ssize_t)done : r ? r : -EIO;
		iov_iter_advance(from, r);
		stats_add_bytes(PATH_BUFFERED, r);
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

	if (direct_usable(f) && !(pos % a) && !(len % a))
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
	stats_add_bytes(PATH_SPLICED, done);
	return done;
}

/* ---- READ ---- */

/*
 * Where the A-aligned span around the data of @to can be read in place: @to
 * is one DEST BVEC segment over arena pages, which belong wholly to the
 * request (engine.h), with room for @head bytes before the data and the span's
 * end inside its last page, at an address that satisfies the memory alignment.
 * Returns the span's address, or NULL.
 */
static char *span_in_place(const struct iov_iter *to, size_t head, size_t span,
			   const struct dio_rules *r)
{
	const struct bio_vec *bv = to->bvec;
	char *first, *data, *start;
	size_t room_end;

	if (!iov_iter_is_bvec(to) || to->nr_segs != 1 ||
	    !(atomic_load(&bv->bv_page->flags) & PG_arena))
		return NULL;
	first = page_address(bv->bv_page);
	data = first + bv->bv_offset + to->iov_offset;
	room_end = dio_round_up(bv->bv_offset + bv->bv_len, PAGE_SIZE);
	if (bv->bv_len - to->iov_offset < iov_iter_count(to) || data - first < (ptrdiff_t)head)
		return NULL;
	start = data - head;
	if ((uintptr_t)start % r->mem_align || (size_t)(start - first) + span > room_end)
		return NULL;
	return start;
}

static ssize_t direct_read(const struct io_ops *io, struct pinfs_file *f, struct iov_iter *to,
			   off_t pos)
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
		if (span > SPAN_PAGES * PAGE_SIZE || !bounce_arena)
			return -ENOBUFS;
		bounce = arena_alloc(bounce_arena, DIV_ROUND_UP(span, PAGE_SIZE));
		if (!bounce)
			return -ENOBUFS;
		buf = page_address(bounce);
	}
	got = direct_rw(io, f->dio_fd, buf, span, start, false);
	if (got < 0) {
		n = got;
		goto out;
	}
	n = (size_t)got > head ? min_t(size_t, got - head, len) : 0;
	if (bounce) {
		n = copy_to_iter(buf + head, n, to);
		stats_add_bytes(PATH_BOUNCED, n);
	} else {
		iov_iter_advance(to, n);
		stats_add_bytes(PATH_DIRECT, n);
	}
out:
	if (bounce)
		arena_free(bounce_arena, bounce, DIV_ROUND_UP(span, PAGE_SIZE));
	return n;
}

bool datapath_read_plan(const struct io_ops *io, struct pinfs_file *f, const struct iov_iter *to,
			off_t pos, struct read_plan *plan)
{
	size_t len = iov_iter_count(to);
	off_t start, end;
	struct io_pins pins;

	if (!len || !direct_usable(f) || !io->registered)
		return false;
	start = dio_round_down(pos, f->dio.off_align);
	end = dio_span_end(pos, len, f->dio.off_align);
	if (end < 0)
		return false;
	plan->head = pos - start;
	plan->span = end - start;
	plan->buf = span_in_place(to, plan->head, plan->span, &f->dio);
	if (!plan->buf || !io->registered(plan->buf, plan->span))
		return false;
	/* Registered pages are only listed (spec §3.3): nothing to release later. */
	if (pin_for_io(io, plan->buf, plan->span, ITER_DEST, &pins))
		return false;
	plan->fd = f->dio_fd;
	plan->start = start;
	return true;
}

ssize_t datapath_read_done(const struct io_ops *io, struct pinfs_file *f, struct iov_iter *to,
			   off_t pos, const struct read_plan *plan, ssize_t res)
{
	size_t n;

	if (res == -EINVAL) {
		direct_failed(f);
		return buffered_read(io, f, to, pos);
	}
	if (res < 0)
		return res;
	n = (size_t)res > plan->head ? min_t(size_t, res - plan->head, iov_iter_count(to)) : 0;
	iov_iter_advance(to, n);
	stats_add_bytes(PATH_DIRECT, n);
	return n;
}

ssize_t datapath_read(const struct io_ops *io, struct pinfs_file *f, struct iov_iter *to,
		      off_t pos)
{
	if (!iov_iter_count(to))
		return 0;
	if (iov_iter_is_pipe(to))
		return splice_read(f, to, pos);
	if (direct_usable(f)) {
		struct iov_iter saved = *to;
		ssize_t n = direct_read(io, f, to, pos);

		if (n != -EINVAL && n != -ENOBUFS)
			return n;
		if (n == -EINVAL)
			direct_failed(f);
		*to = saved;
	}
	return buffered_read(io, f, to, pos);
}

/* ---- WRITE ---- */

/*
 * The A-aligned middle of a write: straight from the payload when it is in
 * memory and aligned, spliced when it is in a pipe, otherwise copied once into
 * arena pages. Returns bytes written (advancing @from) or -errno; -ENOBUFS and
 * -EINVAL (before anything was written) ask the caller to use the page cache.
 */
static ssize_t direct_write(const struct io_ops *io, struct pinfs_file *f,
			    struct iov_iter *from, off_t pos, size_t len)
{
	struct iov_iter mid = *from;
	struct page *bounce;
	struct iovec iov;
	ssize_t n;

	if (iov_iter_is_pipe(from)) {
		loff_t off = pos;

		n = iov_iter_splice_out(from, f->dio_fd, &off, len, 0);
		if (n > 0)
			stats_add_bytes(PATH_SPLICED, n);
		return n;
	}
	iov_iter_truncate(&mid, len);
	if (iov_iter_is_aligned(&mid, f->dio.mem_align - 1, f->dio.off_align - 1) &&
	    engine_iter_iovecs(&mid, &iov, 1) == 1 && iov.iov_len == len) {
		n = direct_rw(io, f->dio_fd, iov.iov_base, len, pos, true);
		if (n > 0) {
			iov_iter_advance(from, n);
			stats_add_bytes(PATH_DIRECT, n);
		}
		return n;
	}
	if (!bounce_arena || len > SPAN_PAGES * PAGE_SIZE)
		return -ENOBUFS;
	bounce = arena_alloc(bounce_arena, DIV_ROUND_UP(len, PAGE_SIZE));
	if (!bounce)
		return -ENOBUFS;
	if (copy_from_iter(page_address(bounce), len, &mid) != len) {
		n = -EFAULT;
	} else {
		n = direct_rw(io, f->dio_fd, page_address(bounce), len, pos, true);
		if (n > 0) {
			iov_iter_advance(from, n);
			stats_add_bytes(PATH_BOUNCED, n);
		}
	}
	arena_free(bounce_arena, bounce, DIV_ROUND_UP(len, PAGE_SIZE));
	return n;
}

/* Write head (page cache), middle (O_DIRECT) and tail (page cache) in order. */
static ssize_t write_split(const struct io_ops *io, struct pinfs_file *f, struct iov_iter *from,
			   off_t pos, size_t len)
{
	off_t end = dio_end(pos, len);
	off_t mid_start = dio_round_up(pos, f->dio.off_align);
	off_t mid_end = dio_round_down(end, f->dio.off_align);
	size_t parts[3], done = 0;

	/* No aligned middle (a round-up saturated at DIO_OFF_MAX has none either). */
	if (mid_start >= mid_end || end - pos != (off_t)len)
		return buffered_write(io, f, from, pos, len);
	parts[0] = mid_start - pos;
	parts[1] = mid_end - mid_start;
	parts[2] = end - mid_end;
	for (int k = 0; k < 3; k++) {
		ssize_t n;

		if (!parts[k])
			continue;
		if (k == 1) {
			n = direct_write(io, f, from, pos + done, parts[k]);
			if (n == -EINVAL)
				direct_failed(f);
			if (n == -EINVAL || n == -ENOBUFS)
				n = buffered_write(io, f, from, pos + done, parts[k]);
		} else {
			n = buffered_write(io, f, from, pos + done, parts[k]);
		}
		if (n < 0)
			return done ? (ssize_t)done : n;
		done += n;
		if ((size_t)n < parts[k])
			break;
	}
	return done;
}

ssize_t datapath_write(const struct io_ops *io, struct pinfs_file *f, struct iov_iter *from,
		       off_t pos)
{
	size_t len = iov_iter_count(from);
	unsigned int a = direct_usable(f) ? f->dio.off_align : 1;
	struct range r;
	ssize_t n;

	if (!len)
		return 0;
	/* Whole pages at least, so edges of writes through other descriptors are covered too. */
	if (a < PAGE_SIZE)
		a = PAGE_SIZE;
	range_lock(&f->inode->writes, &r, dio_round_down(pos, a),
		   dio_round_up(dio_end(pos, len), a));
	if (direct_usable(f))
		n = write_split(io, f, from, pos, len);
	else
		n = buffered_write(io, f, from, pos, len);
	range_unlock(&f->inode->writes, &r);
	return n;
}
