// SPDX-License-Identifier: GPL-2.0-or-later
/* The sync engine: the data path (datapath.h) with pread(2)/pwrite(2). */
#include <errno.h>
#include <unistd.h>

#include "datapath.h"
#include "engine.h"

static ssize_t sync_read(int fd, void *buf, size_t len, off_t pos)
{
	ssize_t r = pread(fd, buf, len, pos);

	return r < 0 ? -errno : r;
}

static ssize_t sync_write(int fd, const void *buf, size_t len, off_t pos)
{
	ssize_t r = pwrite(fd, buf, len, pos);

	return r < 0 ? -errno : r;
}

const struct io_ops sync_io = {
	.kind = ENGINE_SYNC,
	.read = sync_read,
	.write = sync_write,
};

static ssize_t sync_read_iter(struct pinfs_file *f, struct iov_iter *to, off_t pos)
{
	return datapath_read(&sync_io, f, to, pos);
}

static ssize_t sync_write_iter(struct pinfs_file *f, struct iov_iter *from, off_t pos)
{
	return datapath_write(&sync_io, f, from, pos);
}

const struct pinfs_engine engine_sync = {
	.kind = ENGINE_SYNC,
	.open = datapath_open,
	.release = datapath_release,
	.read_iter = sync_read_iter,
	.write_iter = sync_write_iter,
};
