// SPDX-License-Identifier: GPL-2.0-or-later
/* File and buffer helpers; see fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "forkstress.h"
#include "pattern.h"

#define CHUNK (1u << 20)

int write_pattern(int fd, uint64_t off, size_t len, unsigned int fid, unsigned int gen)
{
	char *buf = malloc(CHUNK);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;
		ssize_t w;

		pattern_fill(buf, n, off, fid, gen);
		w = pwrite_full(fd, buf, n, (off_t)off);
		if (w < 0) {
			ret = (int)w;
			break;
		}
		off += n;
		len -= n;
	}
	free(buf);
	return ret;
}

int make_pattern_file(const char *path, size_t size, unsigned int fid, unsigned int gen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write_pattern(fd, 0, size, fid, gen);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int sc_open_direct(struct sc_ctx *sc, const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT | O_CLOEXEC, 0644);

	if (fd >= 0)
		return fd;
	if (errno == EINVAL) {
		sc_skip(sc, "O_DIRECT not supported on the target (open: EINVAL, spec §7 H-5)");
		return -EINVAL;
	}
	sc_fail(sc, "open(%s, O_DIRECT): %s", path, strerror(errno));
	return -errno;
}

int sc_open(struct sc_ctx *sc, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0)
		sc_fail(sc, "open(%s): %s", path, strerror(errno));
	return fd < 0 ? -errno : fd;
}

ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

void *map_buffer(size_t len, size_t align)
{
	size_t map_len = len + align;
	char *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	/* trim the slack on both sides so unmap_buffer(p, len) frees everything */
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + map_len > a + len)
		munmap((char *)a + len, (uintptr_t)p + map_len - (a + len));
	memset((void *)a, 0, len);
	return (void *)a;
}

void unmap_buffer(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (ftw->level == 0)
		return 0; /* the top directory: remove_tree() decides */
	return (type == FTW_DP ? rmdir(path) : unlink(path)) ? -errno : 0;
}

int remove_tree(const char *dir, bool self)
{
	int ret = nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);

	if (ret)
		return ret < 0 ? ret : -EIO;
	return self && rmdir(dir) ? -errno : 0;
}

pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

int wait_in_syscall(pid_t tid, long nr, int timeout_ms)
{
	double end = now_sec() + timeout_ms / 1000.0;
	char path[64], line[256];

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	do {
		FILE *f = fopen(path, "re");
		long cur = -2;

		if (f) {
			if (fgets(line, sizeof(line), f))
				cur = strtol(line, NULL, 10);
			fclose(f);
		}
		if (cur == nr) {
			/* the number is shown while running too: confirm it sleeps */
			char st[64], *p;

			snprintf(st, sizeof(st), "/proc/self/task/%d/stat", (int)tid);
			f = fopen(st, "re");
			if (f) {
				if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) &&
				    (p[2] == 'S' || p[2] == 'D')) {
					fclose(f);
					return 0;
				}
				fclose(f);
			}
		}
		sleep_us(500);
	} while (now_sec() < end);
	return -ETIMEDOUT;
}
