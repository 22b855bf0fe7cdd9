// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers for the vmsplice scenarios; see vmsplice_util.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fileio.h"
#include "forkstress.h"
#include "pattern.h"
#include "vmsplice_util.h"

#define VMS_LEN (64u << 10) /* the default pipe capacity */

int vms_map(struct sc_ctx *sc, struct vms_buf *b, bool hugetlb)
{
	const struct kernel_class *kc = &sc->env->kc;

	memset(b, 0, sizeof(*b));
	b->hugetlb = hugetlb;
	if (!hugetlb) {
		b->map_len = b->len = sc->env->page;
		b->buf = map_buffer(b->map_len, sc->env->page);
		if (!b->buf) {
			sc_fail(sc, "cannot map the buffer");
			return -1;
		}
		return 0;
	}
	if (kc->hugetlb_free <= 0 || !kc->hugetlb_kb) {
		sc_skip(sc, "no free hugetlb pages (HugePages_Free=%ld; set vm.nr_hugepages)",
			kc->hugetlb_free > 0 ? kc->hugetlb_free : 0);
		return 1;
	}
	b->map_len = (size_t)kc->hugetlb_kb * 1024;
	b->len = VMS_LEN;
	b->buf = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (b->buf == MAP_FAILED) {
		b->buf = NULL;
		sc_skip(sc, "MAP_HUGETLB: %s", strerror(errno));
		return 1;
	}
	memset(b->buf, 0, b->len);
	return 0;
}

void vms_unmap(struct vms_buf *b)
{
	if (b->buf)
		munmap(b->buf, b->map_len);
	b->buf = NULL;
}

int vms_pipe(int p[2], size_t len)
{
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (len > VMS_LEN)
		fcntl(p[1], F_SETPIPE_SZ, (int)len);
	return 0;
}

int vms_splice_in(int pipe_w, void *buf, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	while (iov.iov_len) {
		ssize_t n = vmsplice(pipe_w, &iov, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
	}
	return 0;
}

ssize_t vms_splice_out(int pipe_r, int fd, off_t off, size_t len)
{
	size_t done = 0;

	while (done < len) {
		loff_t o = off + (off_t)done;
		ssize_t n = splice(pipe_r, NULL, fd, &o, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : (ssize_t)done;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int vms_file_open(struct sc_ctx *sc, struct vms_file *f, const char *name)
{
	char path[4200];

	f->back = map_buffer(VMS_LEN, sc->env->page);
	sc_path(sc, path, sizeof(path), name);
	f->fd = sc_open(sc, path, O_RDWR | O_CREAT | O_TRUNC);
	if (!f->back)
		sc_fail(sc, "cannot map the read-back buffer");
	return f->fd < 0 || !f->back ? -1 : 0;
}

void vms_file_close(struct vms_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	unmap_buffer(f->back, VMS_LEN);
}

bool vms_file_read_back(struct sc_ctx *sc, struct vms_file *f, size_t len, unsigned int bad_fid,
			unsigned int bad_gen)
{
	if (sc_simulate(sc)) {
		pattern_fill(f->back, len, 0, bad_fid, bad_gen);
		pwrite_full(f->fd, f->back, len, 0);
	}
	if (pread_full(f->fd, f->back, len, 0) != (ssize_t)len) {
		sc_fail(sc, "read-back failed");
		return false;
	}
	return true;
}
