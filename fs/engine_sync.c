// SPDX-License-Identifier: GPL-2.0-or-later
/* The sync engine (engine.h): each backing syscall is a pread(2) or pwrite(2). */
#include <errno.h>
#include <unistd.h>

#include "datapath.h"
#include "dio.h"
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

const struct pinfs_engine engine_sync = {
	.kind = ENGINE_SYNC,
	.open = dio_open,
	.release = dio_release,
	.read_iter = datapath_read,
	.write_iter = datapath_write,
	.read = sync_read,
	.write = sync_write,
};
