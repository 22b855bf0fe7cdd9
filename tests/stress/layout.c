// SPDX-License-Identifier: GPL-2.0-or-later
/* Buffer layouts of the THP matrix (spec §5 #15, #16); see layout.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "layout.h"

#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16

static bool read_u64(const char *path, uint64_t index, uint64_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, out, 8, (off_t)(index * 8)) == 8;
	close(fd);
	return ok;
}

static bool pagemap(const void *addr, uint64_t *ent)
{
	long psz = sysconf(_SC_PAGESIZE);

	return read_u64("/proc/self/pagemap", (uintptr_t)addr / (uintptr_t)psz, ent);
}

int page_is_large(const void *addr)
{
	uint64_t ent, flags, pfn;

	if (!pagemap(addr, &ent) || !(ent >> 63))
		return -1;
	pfn = ent & ((1ull << 55) - 1);
	if (!pfn || !read_u64("/proc/kpageflags", pfn, &flags))
		return -1; /* PFNs are hidden from non-root */
	return (flags & (1ull << KPF_COMPOUND_HEAD | 1ull << KPF_COMPOUND_TAIL)) ? 1 : 0;
}

bool page_is_swapped(const void *addr)
{
	uint64_t ent;

	return pagemap(addr, &ent) && ((ent >> 62) & 1);
}

static const char *mthp_mode(const struct kernel_class *kc, unsigned int kb)
{
	for (int i = 0; i < kc->nr_mthp; i++)
		if (kc->mthp[i].kb == kb)
			return kc->mthp[i].mode;
	return "absent";
}

int layout_list(const struct fs_env *env, struct layout *out, int max)
{
	static const struct {
		enum layout_kind kind;
		const char *name;
	} fixed[] = {
		{L_BASE, "base-page"},
		{L_PMD, "pmd-thp"},
		{L_PTE_MAPPED, "pte-mapped-thp"},
		{L_SINGLE_PTE, "single-pte-thp"},
		{L_MREMAP, "mremapped-thp"},
		{L_PARTIAL_SHARED, "shared-thp"},
	};
	int n = 0;

	for (int swapped = 0; swapped < 2; swapped++) {
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && n < max; i++) {
			out[n] = (struct layout){.kind = fixed[i].kind, .swapped = swapped};
			snprintf(out[n].name, sizeof(out[n].name), "%s%s", fixed[i].name,
				 swapped ? "-swapped" : "");
			n++;
		}
		for (int i = 0; i < env->kc.nr_mthp && n < max; i++) {
			unsigned int kb = env->kc.mthp[i].kb;

			if (kb >= env->kc.pmd_kb)
				continue; /* the PMD size is the pmd-thp layout */
			out[n] = (struct layout){.kind = L_MTHP, .mthp_kb = kb, .swapped = swapped};
			snprintf(out[n].name, sizeof(out[n].name), "mthp-%ukB%s", kb,
				 swapped ? "-swapped" : "");
			n++;
		}
	}
	return n;
}

static int thp_region(const struct fs_env *env, size_t folio, size_t need, struct layout_buf *b,
		      char *why, size_t wlen)
{
	size_t len = (need + folio - 1) / folio * folio;

	b->map = map_buffer(len, folio);
	if (!b->map)
		return -ENOMEM;
	b->map_len = len;
	munmap(b->map, len); /* map_buffer populated it: start over with MADV_HUGEPAGE */
	if (mmap(b->map, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) == MAP_FAILED)
		return -errno;
	if (madvise(b->map, len, MADV_HUGEPAGE)) {
		snprintf(why, wlen, "MADV_HUGEPAGE: %s", strerror(errno));
		return 1;
	}
	memset(b->map, 0x5a, len);
	b->buf = b->map;
	b->len = len;
	switch (page_is_large(b->map)) {
	case 1:
		break;
	case 0:
		snprintf(why, wlen, "the kernel gave small pages for a %zu kB THP request",
			 folio / 1024);
		return 1;
	default:
		snprintf(why, wlen,
			 "cannot see whether the buffer is a THP (/proc/self/pagemap and "
			 "/proc/kpageflags need root)");
		return 1;
	}
	(void)env;
	return 0;
}

/* A child that keeps sharing the pages it inherited until layout_free() kills it. */
static int start_sharer(struct layout_buf *b)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	b->sharer = pid;
	b->sharer_fd = p[1];
	return 0;
}

int layout_make(const struct fs_env *env, const struct layout *l, size_t need, struct layout_buf *b,
		char *why, size_t wlen)
{
	size_t pmd = (size_t)env->kc.pmd_kb * 1024, psz = env->page;
	int ret;

	memset(b, 0, sizeof(*b));
	b->sharer_fd = -1;
	need = (need + psz - 1) / psz * psz;
	if (l->swapped && env->kc.swap_kb <= 0) {
		snprintf(why, wlen,
			 "no swap (SwapTotal 0 kB): MADV_PAGEOUT cannot swap anon memory");
		return 1;
	}
	if (l->kind != L_BASE &&
	    (!env->kc.thp_enabled[0] || !strcmp(env->kc.thp_enabled, "never") || !pmd)) {
		snprintf(why, wlen, "THP disabled (transparent_hugepage/enabled=%s)",
			 env->kc.thp_enabled[0] ? env->kc.thp_enabled : "absent");
		return 1;
	}
	switch (l->kind) {
	case L_BASE:
		b->map = b->buf = map_buffer(need, psz);
		b->map_len = b->len = need;
		if (!b->map)
			return -ENOMEM;
		madvise(b->map, need, MADV_NOHUGEPAGE);
		break;
	case L_MTHP: {
		const char *mode = mthp_mode(&env->kc, l->mthp_kb);

		if (!strcmp(mode, "never") ||
		    (!strcmp(mode, "inherit") && !strcmp(env->kc.thp_enabled, "never"))) {
			snprintf(why, wlen, "mTHP %ukB disabled (hugepages-%ukB/enabled=%s)",
				 l->mthp_kb, l->mthp_kb, mode);
			return 1;
		}
		ret = thp_region(env, (size_t)l->mthp_kb * 1024, need, b, why, wlen);
		if (ret)
			return ret;
		break;
	}
	default:
		if (need > pmd / 2) {
			snprintf(why, wlen, "buffer of %zu bytes does not fit half a THP", need);
			return 1;
		}
		ret = thp_region(env, pmd, pmd, b, why, wlen);
		if (ret)
			return ret;
		break;
	}
	switch (l->kind) {
	case L_PTE_MAPPED:
		/* changing one subpage's protection splits the PMD; the folio stays large */
		mprotect(b->map + psz, psz, PROT_READ);
		mprotect(b->map + psz, psz, PROT_READ | PROT_WRITE);
		b->buf = b->map + 2 * psz;
		break;
	case L_SINGLE_PTE:
		b->buf = b->map + 4 * psz;
		madvise(b->map, 4 * psz, MADV_DONTNEED);
		madvise(b->buf + need, pmd - 4 * psz - need, MADV_DONTNEED);
		break;
	case L_MREMAP: {
		char *dst = map_buffer(pmd, pmd);

		if (!dst)
			return -ENOMEM;
		/* move the second half of the THP to a PMD-aligned spot elsewhere */
		if (mremap(b->map + pmd / 2, pmd / 2, pmd / 2, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst) == MAP_FAILED) {
			munmap(dst, pmd);
			snprintf(why, wlen, "mremap: %s", strerror(errno));
			return 1;
		}
		munmap(dst + pmd / 2, pmd / 2);
		b->map_len = pmd / 2;
		b->map2 = dst;
		b->map2_len = pmd / 2;
		b->buf = dst;
		break;
	}
	case L_PARTIAL_SHARED:
		/* the child inherits only the first half; the THP is then partly COW-shared */
		madvise(b->map + pmd / 2, pmd / 2, MADV_DONTFORK);
		ret = start_sharer(b);
		madvise(b->map + pmd / 2, pmd / 2, MADV_DOFORK);
		if (ret)
			return ret;
		b->buf = b->map;
		break;
	default:
		break;
	}
	b->len = need;
	if (l->kind != L_BASE && page_is_large(b->buf) != 1) {
		snprintf(why, wlen, "buffer page is not in a large folio after building %s",
			 l->name);
		return 1;
	}
	if (l->swapped) {
		if (madvise(b->buf, need, MADV_PAGEOUT)) {
			snprintf(why, wlen, "MADV_PAGEOUT: %s", strerror(errno));
			return 1;
		}
		if (!page_is_swapped(b->buf)) {
			snprintf(why, wlen, "MADV_PAGEOUT did not swap the buffer out");
			return 1;
		}
	}
	return 0;
}

void layout_free(struct layout_buf *b)
{
	if (b->sharer > 0) {
		close(b->sharer_fd);
		kill(b->sharer, SIGKILL);
		waitpid(b->sharer, NULL, 0);
	}
	if (b->map)
		munmap(b->map, b->map_len);
	if (b->map2)
		munmap(b->map2, b->map2_len);
	memset(b, 0, sizeof(*b));
}

/* --mthp-enable */

static struct {
	unsigned int kb;
	char mode[16];
} saved[MAX_MTHP];
static int nsaved;

static bool write_mode(unsigned int kb, const char *mode)
{
	char path[128];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/sys/kernel/mm/transparent_hugepage/hugepages-%ukB/enabled",
		 kb);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, mode, strlen(mode)) == (ssize_t)strlen(mode);
	close(fd);
	return ok;
}

void mthp_enable_all(struct kernel_class *kc)
{
	for (int i = 0; i < kc->nr_mthp; i++) {
		if (strcmp(kc->mthp[i].mode, "never"))
			continue;
		if (!write_mode(kc->mthp[i].kb, "madvise")) {
			fprintf(stderr, "forkstress: --mthp-enable: cannot enable %ukB: %s\n",
				kc->mthp[i].kb, strerror(errno));
			continue;
		}
		saved[nsaved].kb = kc->mthp[i].kb;
		strcpy(saved[nsaved].mode, "never");
		nsaved++;
		snprintf(kc->mthp[i].mode, sizeof(kc->mthp[i].mode), "madvise*");
	}
}

void mthp_restore(void)
{
	for (int i = 0; i < nsaved; i++)
		write_mode(saved[i].kb, saved[i].mode);
	nsaved = 0;
}
