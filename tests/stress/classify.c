// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel and target classification (spec §7 H-2, H-5). The probes that pin or map memory run in
 * a forked child so the runner process stays clean (no MMF_HAS_PINNED, no registered buffers).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "classify.h"
#include "fs/ctl_conn.h"
#include "fileio.h"
#include "forkstress.h"
#include "pattern.h"
#include "pinbalance.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

const char *tri_name(enum tri t)
{
	return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "unknown";
}

const char *vmsplice_name(enum vmsplice_mode m)
{
	return m == VMSPLICE_ZERO_COPY ? "zero-copy" : m == VMSPLICE_COPY ? "copying" : "unknown";
}

bool kernel_at_least(const struct kernel_class *kc, int major, int minor)
{
	return kc->major > major || (kc->major == major && kc->minor >= minor);
}

static void version_fact(struct fact *f, const struct kernel_class *kc, int major, int minor,
			 const char *what)
{
	bool yes = kernel_at_least(kc, major, minor);

	f->value = yes ? TRI_YES : TRI_NO;
	snprintf(f->how, sizeof(f->how), "version %d.%d %s %d.%d (%s)", kc->major, kc->minor,
		 yes ? ">=" : "<", major, minor, what);
}

/* Run @fn in a forked child; it returns a small int through the exit status (0..250). */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ---- V-4: does vmsplice copy? (spec §4.3) ---- */

enum { PROBE_ERR = 1, PROBE_OLD = 2, PROBE_NEW = 3 };

static int vmsplice_probe(void *arg)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *buf = map_buffer((size_t)psz, (size_t)psz), *back = malloc((size_t)psz);
	struct iovec iov = {.iov_base = buf, .iov_len = (size_t)psz};
	int p[2];

	(void)arg;
	if (!buf || !back || pipe(p) < 0)
		return PROBE_ERR;
	pattern_fill(buf, (size_t)psz, 0, FID_PREFILL, 1); /* marker */
	if (vmsplice(p[1], &iov, 1, 0) != psz)
		return PROBE_ERR;
	pattern_fill(buf, (size_t)psz, 0, FID_PREFILL, 2); /* overwrite */
	if (read(p[0], back, (size_t)psz) != psz)
		return PROBE_ERR;
	return memcmp(back, buf, (size_t)psz) ? PROBE_OLD : PROBE_NEW;
}

/*
 * ---- PageAnonExclusive: the cow.c "R/O-mapping a page registered as io_uring fixed buffer"
 * mechanism, spec §2.4 "write-fault reuse" and scenario 7 ----
 */
static int anon_exclusive_probe(void *arg)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *buf = map_buffer((size_t)psz, (size_t)psz), *back = malloc((size_t)psz);
	struct iovec iov = {.iov_base = buf, .iov_len = (size_t)psz};
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int fd, cr;

	(void)arg;
	fd = memfd_create("forkstress-probe", MFD_CLOEXEC);
	if (!buf || !back || fd < 0 || io_uring_queue_init(4, &ring, 0))
		return PROBE_ERR;
	pattern_fill(buf, (size_t)psz, 0, FID_PREFILL, 1);
	if (io_uring_register_buffers(&ring, &iov, 1))
		return PROBE_ERR;
	/* write-protect, clear soft-dirty (forces a write fault), make writable, write */
	if (mprotect(buf, (size_t)psz, PROT_READ))
		return PROBE_ERR;
	cr = open("/proc/self/clear_refs", O_WRONLY);
	if (cr >= 0) {
		if (write(cr, "4", 1) != 1)
			cr = -1;
		close(cr);
	}
	if (mprotect(buf, (size_t)psz, PROT_READ | PROT_WRITE))
		return PROBE_ERR;
	pattern_fill(buf, (size_t)psz, 0, FID_PREFILL, 2);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write_fixed(sqe, fd, buf, (unsigned int)psz, 0, 0);
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) || cqe->res != psz)
		return PROBE_ERR;
	if (pread(fd, back, (size_t)psz, 0) != psz)
		return PROBE_ERR;
	return memcmp(back, buf, (size_t)psz) ? PROBE_OLD : PROBE_NEW;
}

static int uring_probe(void *arg)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(4, &ring, 0);

	(void)arg;
	if (ret)
		return -ret > 250 ? 250 : -ret;
	io_uring_queue_exit(&ring);
	return 0;
}

static int collapse_probe(void *arg)
{
	size_t pmd = *(size_t *)arg;
	char *p = map_buffer(pmd, pmd);

	if (!p)
		return PROBE_ERR;
	if (madvise(p, pmd, MADV_COLLAPSE) == 0)
		return PROBE_NEW;
	return errno == EINVAL ? PROBE_OLD : PROBE_NEW; /* EAGAIN/ENOMEM: exists */
}

/* ---- sysfs and procfs facts ---- */

static bool read_file(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(out, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\n")] = '\0';
	return ok;
}

/* "always [madvise] never" -> "madvise" */
static void bracketed(const char *s, char *out, size_t len)
{
	const char *a = strchr(s, '['), *b = a ? strchr(a, ']') : NULL;

	if (a && b)
		snprintf(out, len, "%.*s", (int)(b - a - 1), a + 1);
	else
		snprintf(out, len, "%s", s);
}

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	size_t klen = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

static int cmp_mthp(const void *a, const void *b)
{
	const unsigned int *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static void read_thp(struct kernel_class *kc)
{
	const char *base = "/sys/kernel/mm/transparent_hugepage";
	char path[512], val[128];
	DIR *d;
	struct dirent *de;

	if (read_file("/sys/kernel/mm/transparent_hugepage/enabled", val, sizeof(val)))
		bracketed(val, kc->thp_enabled, sizeof(kc->thp_enabled));
	snprintf(path, sizeof(path), "%s/hpage_pmd_size", base);
	if (read_file(path, val, sizeof(val)))
		kc->pmd_kb = (unsigned int)(strtoul(val, NULL, 10) / 1024);
	d = opendir(base);
	if (!d)
		return;
	while ((de = readdir(d)) && kc->nr_mthp < MAX_MTHP) {
		unsigned int kb;

		if (sscanf(de->d_name, "hugepages-%ukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/enabled", base, de->d_name);
		if (!read_file(path, val, sizeof(val)))
			continue;
		kc->mthp[kc->nr_mthp].kb = kb;
		bracketed(val, kc->mthp[kc->nr_mthp].mode, sizeof(kc->mthp[0].mode));
		kc->nr_mthp++;
	}
	closedir(d);
	qsort(kc->mthp, (size_t)kc->nr_mthp, sizeof(kc->mthp[0]), cmp_mthp);
}

void classify_kernel(struct kernel_class *kc, const char *assume)
{
	struct utsname u;
	long long dummy;
	size_t pmd;
	int r;

	memset(kc, 0, sizeof(*kc));
	uname(&u);
	snprintf(kc->release, sizeof(kc->release), "%s", u.release);
	sscanf(u.release, "%d.%d.%d", &kc->major, &kc->minor, &kc->patch);
	if (assume) {
		kc->assumed = true;
		kc->major = kc->minor = kc->patch = 0;
		sscanf(assume, "%d.%d.%d", &kc->major, &kc->minor, &kc->patch);
		snprintf(kc->release, sizeof(kc->release), "%.24s (assumed; real %.64s)", assume,
			 u.release);
	}

	version_fact(&kc->fuse_dio_pins, kc, 6, 9, "738adade96b2: FUSE DIO uses FOLL_PIN");
	version_fact(&kc->block_dio_pins, kc, 6, 3, "iov_iter_extract_pages in block DIO");
	version_fact(&kc->anon_exclusive, kc, 5, 19, "PG_anon_exclusive");

	r = in_child(uring_probe, NULL);
	kc->io_uring = r == 0;
	if (r > 0)
		snprintf(kc->io_uring_why, sizeof(kc->io_uring_why), "io_uring_queue_init: %s",
			 strerror(r));
	else if (r < 0)
		snprintf(kc->io_uring_why, sizeof(kc->io_uring_why), "probe crashed");

	if (!kc->assumed && kc->io_uring) {
		r = in_child(anon_exclusive_probe, NULL);
		if (r == PROBE_NEW || r == PROBE_OLD) {
			char ver[120];

			snprintf(ver, sizeof(ver), "%.100s", kc->anon_exclusive.how);
			kc->anon_exclusive.value = r == PROBE_NEW ? TRI_YES : TRI_NO;
			snprintf(kc->anon_exclusive.how, sizeof(kc->anon_exclusive.how),
				 "probe (registered buffer, R/O->R/W, WRITE_FIXED): %s; %s",
				 r == PROBE_NEW ? "pin reliable" : "pin lost", ver);
		}
	}

	r = in_child(vmsplice_probe, NULL);
	kc->vmsplice = r == PROBE_NEW	? VMSPLICE_ZERO_COPY
		       : r == PROBE_OLD ? VMSPLICE_COPY
					: VMSPLICE_UNKNOWN;
	snprintf(kc->vmsplice_how, sizeof(kc->vmsplice_how), "%s",
		 r == PROBE_NEW	  ? "probe: pipe shows the overwrite (zero-copy)"
		 : r == PROBE_OLD ? "probe: pipe kept the marker (copy at call time)"
				  : "probe failed");

	read_thp(kc);
	kc->foll_pin_vmstat = pins_in_flight(&dummy, NULL);
	kc->swap_kb = meminfo_kb("SwapTotal");
	kc->hugetlb_kb =
		(unsigned int)(meminfo_kb("Hugepagesize") > 0 ? meminfo_kb("Hugepagesize") : 0);
	kc->hugetlb_free = meminfo_kb("HugePages_Free");
	kc->madv_pageout = kernel_at_least(kc, 5, 4);
	pmd = (size_t)(kc->pmd_kb ? kc->pmd_kb : 2048) * 1024;
	kc->madv_collapse =
		!kc->thp_enabled[0] ? false : in_child(collapse_probe, &pmd) == PROBE_NEW;
	kc->gup_test = access("/sys/kernel/debug/gup_test", R_OK) == 0;
}

/* ---- the target (spec §7 H-5) ---- */

static void mount_fstype(const char *dir, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct stat st;
	char line[4096];

	snprintf(out, len, "unknown");
	if (!f || stat(dir, &st) < 0) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		char *sep;

		if (sscanf(line, "%*d %*d %u:%u", &maj, &min) != 2)
			continue;
		if (maj != major(st.st_dev) || min != minor(st.st_dev))
			continue;
		sep = strstr(line, " - ");
		if (sep)
			sscanf(sep + 3, "%63s", out);
	}
	fclose(f);
}

int classify_target(struct target *tg, const char *dir, const char *workdir)
{
	struct statfs sfs;
	long psz = sysconf(_SC_PAGESIZE);
	char probe[4200];
	char *buf;
	int fd;

	memset(tg, 0, sizeof(*tg));
	if (statfs(dir, &sfs) < 0)
		return -errno;
	tg->magic = (unsigned long)sfs.f_type;
	tg->fuse = sfs.f_type == FUSE_SUPER_MAGIC;
	tg->tmpfs = sfs.f_type == TMPFS_MAGIC;
	tg->block = sfs.f_type == EXT4_SUPER_MAGIC || sfs.f_type == XFS_SUPER_MAGIC ||
		    sfs.f_type == BTRFS_SUPER_MAGIC || sfs.f_type == F2FS_SUPER_MAGIC;
	mount_fstype(dir, tg->fstype, sizeof(tg->fstype));

	snprintf(probe, sizeof(probe), "%s/.odirect-probe", workdir);
	fd = open(probe, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(tg->odirect_why, sizeof(tg->odirect_why),
			 "open(O_CREAT|O_DIRECT): %s (spec §7 H-5)", strerror(errno));
		return 0;
	}
	tg->odirect = true;
	buf = map_buffer(2 * (size_t)psz, (size_t)psz);
	if (!buf || pwrite(fd, buf, (size_t)psz, 0) != psz) {
		tg->odirect = false;
		snprintf(tg->odirect_why, sizeof(tg->odirect_why),
			 "O_DIRECT write of an aligned page failed: %s", strerror(errno));
	} else {
		/* smallest alignment that works: 512, else the page */
		tg->dio_align = pread(fd, buf + 512, 512, 512) == 512 ? 512 : (size_t)psz;
	}
	unmap_buffer(buf, 2 * (size_t)psz);
	close(fd);
	unlink(probe);
	return 0;
}

/* ---- FUSE pin probe: hold an O_DIRECT read at `reply`, watch nr_foll_pin_* ---- */

struct probe_read {
	int fd;
	void *buf;
	size_t len;
	ssize_t ret;
};

static void *probe_reader(void *arg)
{
	struct probe_read *pr = arg;

	pr->ret = pread(pr->fd, pr->buf, pr->len, 0);
	return NULL;
}

void classify_fuse_pins(struct kernel_class *kc, const struct target *tg, const char *workdir,
			struct ctl_conn *ctl)
{
	enum { PAGES = 16 };
	long psz = sysconf(_SC_PAGESIZE);
	struct probe_read pr = {.len = PAGES * (size_t)psz};
	struct hold_spec spec = {
		.at = HOLD_REPLY, .op = HOLD_OP_READ, .count = 1, .timeout_ms = 10000};
	struct pin_balance pb;
	char path[4200];
	struct stat st;
	pthread_t th;
	long long during = 0;
	int id;

	if (kc->assumed || !tg->pinfs || !ctl || !tg->odirect || !kc->foll_pin_vmstat)
		return; /* stays inferred from the version */
	snprintf(path, sizeof(path), "%s/.pin-probe", workdir);
	if (make_pattern_file(path, pr.len, 1, 1) || stat(path, &st) < 0)
		return;
	pr.fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	pr.buf = map_buffer(pr.len, (size_t)psz);
	if (pr.fd < 0 || !pr.buf)
		goto out;
	pins_begin(&pb, 20);
	spec.ino = (uint64_t)st.st_ino;
	id = ctl_hold(ctl, &spec);
	if (id <= 0)
		goto out;
	if (pthread_create(&th, NULL, probe_reader, &pr)) {
		ctl_release(ctl, id);
		goto out;
	}
	if (ctl_wait(ctl, id, 5000) >= 0)
		pins_in_flight(&during, NULL);
	ctl_release(ctl, id);
	pthread_join(th, NULL);
	if (during) {
		long long rise = during - pb.before;

		kc->fuse_dio_pins.value = rise >= PAGES ? TRI_YES : TRI_NO;
		snprintf(kc->fuse_dio_pins.how, sizeof(kc->fuse_dio_pins.how),
			 "probe: %lld pins in flight while a %d-page O_DIRECT read was held at "
			 "reply",
			 rise, PAGES);
	}
out:
	if (pr.fd >= 0)
		close(pr.fd);
	unmap_buffer(pr.buf, pr.len);
	unlink(path);
}

void classify_print(const struct kernel_class *kc, const struct target *tg, const char *dir)
{
	printf("kernel      %s\n", kc->release);
	printf("  FUSE O_DIRECT pins app pages: %s (%s)\n", tri_name(kc->fuse_dio_pins.value),
	       kc->fuse_dio_pins.how);
	printf("  PageAnonExclusive semantics:  %s (%s)\n", tri_name(kc->anon_exclusive.value),
	       kc->anon_exclusive.how);
	printf("  block O_DIRECT pins:          %s (%s)\n", tri_name(kc->block_dio_pins.value),
	       kc->block_dio_pins.how);
	printf("  vmsplice:                     %s (%s)\n", vmsplice_name(kc->vmsplice),
	       kc->vmsplice_how);
	printf("  io_uring:                     %s%s%s\n", kc->io_uring ? "yes" : "no",
	       kc->io_uring ? "" : ": ", kc->io_uring_why);
	printf("  THP:                          %s, PMD %u kB; mTHP:",
	       kc->thp_enabled[0] ? kc->thp_enabled : "absent", kc->pmd_kb);
	for (int i = 0; i < kc->nr_mthp; i++)
		printf(" %ukB=%s", kc->mthp[i].kb, kc->mthp[i].mode);
	printf("\n");
	printf("  nr_foll_pin_* in vmstat:      %s\n", kc->foll_pin_vmstat ? "yes" : "no");
	printf("  swap:                         %ld kB\n", kc->swap_kb > 0 ? kc->swap_kb : 0);
	printf("  hugetlb:                      %ld free of %u kB\n",
	       kc->hugetlb_free > 0 ? kc->hugetlb_free : 0, kc->hugetlb_kb);
	printf("  MADV_COLLAPSE: %s, MADV_PAGEOUT: %s, gup_test: %s\n",
	       kc->madv_collapse ? "yes" : "no", kc->madv_pageout ? "yes" : "no",
	       kc->gup_test ? "yes" : "no");
	printf("target      %s (%s%s)\n", dir, tg->fstype,
	       tg->pinfs     ? ", control socket answers: hold hooks on"
	       : tg->control ? ", control socket answers: ledger only"
			     : "");
	if (tg->odirect)
		printf("  O_DIRECT:                     yes, alignment %zu\n", tg->dio_align);
	else
		printf("  O_DIRECT:                     no: %s\n", tg->odirect_why);
}
