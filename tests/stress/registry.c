// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenario table (spec §5) and each scenario's expected outcome on a given kernel and
 * target (spec §2.5 version ladder, §7 H-2). A predict function returns NULL when the scenario
 * must pass here, or the reason this kernel is known to fail it.
 */
#include <stddef.h>

#include "scenarios.h"

/*
 * Application-side O_DIRECT (spec §3.2, §2.5): what pins the application's pages depends on the
 * filesystem. FUSE: FOLL_PIN since 6.9 (738adade96b2). Block filesystems: the block layer
 * extracts with FOLL_PIN since 6.3. tmpfs copies inside the syscall: no window at all.
 */
static const char *predict_app_dio(const struct fs_env *env)
{
	const struct kernel_class *kc = &env->kc;

	if (env->tg.fuse && kc->fuse_dio_pins.value == TRI_NO)
		return "FUSE O_DIRECT takes FOLL_GET references before 6.9 (738adade96b2)";
	if (env->tg.block && kc->block_dio_pins.value == TRI_NO)
		return "block O_DIRECT takes FOLL_GET references before 6.3";
	if ((env->tg.fuse || env->tg.block) && kc->anon_exclusive.value == TRI_NO)
		return "no PageAnonExclusive before 5.19: pins are not reliable across fork";
	return NULL;
}

/* R/O pin (O_DIRECT write source): page_count-based COW since 5.9 protects it (spec §2.5). */
static const char *predict_ro_dio(const struct fs_env *env)
{
	if (!kernel_at_least(&env->kc, 5, 9))
		return "mapcount-based COW reuse before 5.9 lets a child's write reach a pinned "
		       "page";
	return predict_app_dio(env);
}

/* io_uring fixed buffers: FOLL_PIN|FOLL_LONGTERM, reliable with PageAnonExclusive (5.19). */
static const char *predict_uring(const struct fs_env *env)
{
	if (env->kc.anon_exclusive.value == TRI_NO)
		return "long-term R/W pins are not reliable across fork/mprotect before 5.19";
	return NULL;
}

/* vmsplice COW leaks (CVE-2020-29374): fixed by page_count COW in 5.9. */
static const char *predict_vmsplice(const struct fs_env *env)
{
	if (!kernel_at_least(&env->kc, 5, 9))
		return "vmsplice leaks COW-shared pages before 5.9 (CVE-2020-29374)";
	return NULL;
}

static const char *predict_thp(const struct fs_env *env)
{
	if (env->kc.anon_exclusive.value == TRI_NO)
		return "THP pins are reliable across fork only with PageAnonExclusive (5.19)";
	return predict_app_dio(env);
}

static const char *predict_fault_in(const struct fs_env *env)
{
	if (env->tg.fuse && !kernel_at_least(&env->kc, 5, 16))
		return "no fault_in_iov_iter_* protocol before 5.16 (gfs2 series)";
	return NULL;
}

/*
 * #22: the daemon's backing O_DIRECT while the daemon forks. Before 6.3 it takes FOLL_GET
 * references, which only buffers the fork does not share (MADV_DONTFORK) survive.
 */
static const char *predict_backing_dio(const struct fs_env *env)
{
	if (env->kc.block_dio_pins.value == TRI_NO)
		return "the backing filesystem's O_DIRECT takes FOLL_GET references before 6.3: "
		       "a forking daemon's buffers must be MADV_DONTFORK";
	return NULL;
}

const struct scenario scenarios[] = {
	{1, "dma_thread_diotest, aligned", 'M', "FUSE 6.9",
	 NEED_ODIRECT | NEED_HOLD_DET | NEED_FORKS, predict_app_dio, run_dma_aligned},
	{2, "dma_thread_diotest, unaligned (+512)", 'M', "FUSE 6.9",
	 NEED_ODIRECT | NEED_HOLD_DET | NEED_FORKS, predict_app_dio, run_dma_unaligned},
	{3, "R/W reproducer (read, fork, write)", 'M', "FUSE 6.9 (5.9/5.19)",
	 NEED_ODIRECT | NEED_HOLD_DET | NEED_FORKS, predict_app_dio, run_rw_sync},
	{4, "R/W reproducer, async (io_uring READ)", 'M', "FUSE 6.9",
	 NEED_ODIRECT | NEED_URING | NEED_HOLD_DET | NEED_FORKS, predict_app_dio, run_rw_async},
	{5, "R/O reproducer (child's secret)", 'M', "5.9 / FUSE 6.9",
	 NEED_ODIRECT | NEED_HOLD_DET | NEED_FORKS, predict_ro_dio, run_ro_secret},
	{6, "io_uring fixed buffer + fork (cow.c)", 'M', "5.9/5.19", NEED_URING | NEED_FORKS,
	 predict_uring, run_uring_fork},
	{7, "io_uring fixed buffer R/O->R/W (cow.c)", 'M', "5.19", NEED_URING, predict_uring,
	 run_uring_ro},
	{8, "READ_FIXED registered buffer + fork", 'M', "5.19",
	 NEED_ODIRECT | NEED_URING | NEED_HOLD_DET | NEED_FORKS, predict_uring,
	 run_uring_read_fixed},
	{9, "MADV_DONTNEED/munmap during O_DIRECT", 'M', "6.9", NEED_ODIRECT | NEED_HOLD_DET,
	 predict_app_dio, run_unmap_race},
	{10, "torn concurrent O_DIRECT write", 'M', "any", NEED_ODIRECT | NEED_HOLD_DET, NULL,
	 run_torn_write},
	{11, "mmap-rw-fault (generic/647)", 'M', "5.16", 0, predict_fault_in, run_mmap_rw_fault},
	{12, "vmsplice+unmap in child (CVE-2020-29374)", 'M', "5.9 (hugetlb XFAIL)", NEED_FORKS,
	 predict_vmsplice, run_vmsplice_in_child},
	{13, "vmsplice before/after fork", 'M', "5.9 (hugetlb XFAIL)", NEED_FORKS, predict_vmsplice,
	 run_vmsplice_parent},
	{14, "vmsplice, modify after (V-4)", 'M', "detect", 0, NULL, run_vmsplice_modify},
	{15, "THP matrix x {#1, #3, #6} (cow.c)", 'M', "5.19", NEED_FORKS, predict_thp,
	 run_thp_matrix},
	{16, "THP collapse while O_DIRECT pinned", 'M', "5.19+",
	 NEED_ODIRECT | NEED_HOLD_DET | NEED_FORKS, predict_thp, run_thp_collapse},
	{17, "swap-out under pin (MADV_PAGEOUT)", 'M', "5.19", NEED_ODIRECT | NEED_HOLD_DET,
	 predict_thp, run_swapout},
	{18, "O_DIRECT into MAP_SHARED file mapping", 'M', "6.9", NEED_ODIRECT | NEED_HOLD_DET,
	 predict_app_dio, run_shared_mapping},
	{19, "dio_read: stale data exposure", 'M', "any", NEED_ODIRECT | NEED_HOLD_DET, NULL,
	 run_stale_read},
	{20, "MADV_DONTFORK/WIPEONFORK control", 'M', "2.6.16 / 4.14", NEED_ODIRECT | NEED_FORKS,
	 NULL, run_dontfork},
	{21, "daemon copy buffers vs daemon fork", 'D', "probe", NEED_PINFS | NEED_FORKS, NULL,
	 run_daemon_copybuf},
	{22, "daemon backing O_DIRECT + fork", 'D', "6.3", NEED_PINFS | NEED_ODIRECT | NEED_FORKS,
	 predict_backing_dio, run_daemon_backing_dio},
	{23, "daemon vmsplice reply buffer reuse", 'D', "detect", NEED_PINFS, NULL,
	 run_daemon_vmsplice},
	{24, "SPLICE_F_GIFT+MOVE page-cache READ", 'D', "detect", NEED_PINFS, NULL,
	 run_daemon_gift_move},
	{25, "daemon io_uring fixed buffers + fork", 'D', "5.19 / 6.5", NEED_PINFS | NEED_FORKS,
	 predict_uring, run_daemon_uring},
	{26, "FUSE io_uring payload buffers + fork", 'D', "6.14; probe",
	 NEED_PINFS | NEED_ODIRECT | NEED_FORKS, NULL, run_daemon_ring},
};

const size_t nr_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct scenario *scenario_find(int id)
{
	for (size_t i = 0; i < nr_scenarios; i++)
		if (scenarios[i].id == id)
			return &scenarios[i];
	return NULL;
}
