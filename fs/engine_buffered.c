// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The buffered engine: preadv/pwritev on the backing descriptor, which is never
 * opened with O_DIRECT, so no payload alignment can make it fail with EINVAL
 * (the reference passthrough does fail: `dd oflag=direct` writes 0 bytes).
 *
 * A SOURCE pipe iterator (splice-mode WRITE, issue 4) is spliced out to the
 * file; a DEST pipe iterator is spliced into from it.
 */
#include <errno.h>

#include "engine.h"
#include "file.h"

#define ENGINE_IOVECS 16

static ssize_t buffered_read_iter(struct pinfs_file *f, struct iov_iter *to, off_t pos)
{
	size_t done = 0;

	while (iov_iter_count(to)) {
		struct iovec iov[ENGINE_IOVECS];
		ssize_t r;
		int n;

		if (iov_iter_is_pipe(to)) {
			loff_t off = pos + (off_t)done;

			r = iov_iter_splice_in(to, f->fd, &off, iov_iter_count(to), 0);
			if (r < 0)
				return done ? (ssize_t)done : r;
			if (r == 0)
				break;
			done += r;
			continue;
		}
		n = engine_iter_iovecs(to, iov, ENGINE_IOVECS);
		if (n < 0)
			return done ? (ssize_t)done : n;
		r = preadv(f->fd, iov, n, pos + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -errno;
		}
		if (r == 0)
			break;
		iov_iter_advance(to, r);
		done += r;
	}
	return done;
}

static ssize_t buffered_write_iter(struct pinfs_file *f, struct iov_iter *from, off_t pos)
{
	size_t done = 0;

	while (iov_iter_count(from)) {
		struct iovec iov[ENGINE_IOVECS];
		ssize_t r;
		int n;

		if (iov_iter_is_pipe(from)) {
			loff_t off = pos + (off_t)done;

			r = iov_iter_splice_out(from, f->fd, &off, iov_iter_count(from), 0);
			if (r < 0)
				return done ? (ssize_t)done : r;
			if (r == 0)
				break;
			done += r;
			continue;
		}
		n = engine_iter_iovecs(from, iov, ENGINE_IOVECS);
		if (n < 0)
			return done ? (ssize_t)done : n;
		r = pwritev(f->fd, iov, n, pos + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -errno;
		}
		if (r == 0)
			break;
		iov_iter_advance(from, r);
		done += r;
	}
	return done;
}

const struct pinfs_engine engine_buffered = {
	.name = "buffered",
	.read_iter = buffered_read_iter,
	.write_iter = buffered_write_iter,
};
