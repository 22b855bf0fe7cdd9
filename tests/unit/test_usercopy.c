// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * copy_to_user / copy_from_user / clear_user (the kernel's uaccess contract:
 * return the bytes NOT copied, stop at the first inaccessible byte, never
 * crash; copy_from_user zeroes the uncopied tail), and the fault trap under
 * them (lib/trap.c): faults it does not own still reach whatever handled them
 * before, and a fault with SIGSEGV ignored still kills, as the kernel's
 * force_sig_fault() would.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

/* A sanitizer (ASan, TSan) installs its own SIGSEGV handler: the default the trap chains to. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

START_TEST(healthy_copies)
{
	char *a = map_pages(2), *b = map_pages(2);

	fill_pattern(a, 2 * PAGE_SIZE, 4);
	ck_assert_uint_eq(copy_to_user(b + 1, a + 3, 2 * PAGE_SIZE - 3), 0);
	ck_assert(!memcmp(b + 1, a + 3, 2 * PAGE_SIZE - 3));
	memset(b, 0, 2 * PAGE_SIZE);
	ck_assert_uint_eq(copy_from_user(b, a, 2 * PAGE_SIZE), 0);
	ck_assert(check_pattern(b, 2 * PAGE_SIZE, 4));
	ck_assert_uint_eq(clear_user(a + 5, 100), 0);
	ck_assert(all_bytes(a + 5, 100, 0));
	ck_assert(check_pattern(a, 5, 4));
	/* n == 0: nothing, whatever the pointers. */
	ck_assert_uint_eq(copy_to_user(NULL, NULL, 0), 0);
	ck_assert_uint_eq(copy_from_user(NULL, NULL, 0), 0);
	ck_assert_uint_eq(clear_user(NULL, 0), 0);
	unmap_pages(a, 2);
	unmap_pages(b, 2);
}
END_TEST

START_TEST(copy_to_user_short)
{
	char *dst = map_pages(2), *src = map_pages(2);

	fill_pattern(src, 2 * PAGE_SIZE, 2);
	page_protect(dst + PAGE_SIZE, PROT_NONE);
	ck_assert_uint_eq(copy_to_user(dst + PAGE_SIZE - 300, src + 5, 1000), 700);
	ck_assert(!memcmp(dst + PAGE_SIZE - 300, src + 5, 300));
	/* Both sides misaligned, with different page phases: still exact. */
	page_protect(dst + PAGE_SIZE, PROT_READ);
	ck_assert_uint_eq(copy_to_user(dst + PAGE_SIZE - 123, src + 4000, 96 + 123), 96);
	ck_assert(!memcmp(dst + PAGE_SIZE - 123, src + 4000, 123));
	unmap_pages(dst, 2);
	unmap_pages(src, 2);
}
END_TEST

/* copy_from_user(): the part not copied is zeroed, as the kernel does. */
START_TEST(copy_from_user_short_zeroes_tail)
{
	char *src = map_pages(2), *dst = map_pages(1);

	fill_pattern(src, PAGE_SIZE, 6);
	page_hole(src + PAGE_SIZE);
	memset(dst, 'z', PAGE_SIZE);
	ck_assert_uint_eq(copy_from_user(dst + 3000, src + PAGE_SIZE - 1000, 1000 + 90), 90);
	ck_assert(!memcmp(dst + 3000, src + PAGE_SIZE - 1000, 1000));
	ck_assert(all_bytes(dst + 4000, 90, 0));
	ck_assert(all_bytes(dst + 4090, 6, 'z'));
	ck_assert(all_bytes(dst, 3000, 'z'));
	unmap_pages(src, 2);
	unmap_pages(dst, 1);
}
END_TEST

START_TEST(clear_user_short)
{
	char *buf = map_pages(2);

	memset(buf, 'x', PAGE_SIZE);
	page_protect(buf + PAGE_SIZE, PROT_READ);
	ck_assert_uint_eq(clear_user(buf + PAGE_SIZE - 10, 100), 90);
	ck_assert(all_bytes(buf + PAGE_SIZE - 10, 10, 0));
	ck_assert(all_bytes(buf, PAGE_SIZE - 10, 'x'));
	unmap_pages(buf, 2);
}
END_TEST

/* access_ok() fails: nothing copied (and copy_from_user zeroes the destination). */
START_TEST(access_ok_failures)
{
	char buf[10];
	void *high = (void *)(TASK_SIZE_MAX - 5);

	memset(buf, 'y', sizeof(buf));
	ck_assert_uint_eq(copy_to_user(high, buf, 10), 10);
	ck_assert_uint_eq(clear_user(high, 10), 10);
	ck_assert_uint_eq(copy_from_user(buf, high, 10), 10);
	ck_assert(all_bytes(buf, 10, 0));
	ck_assert_uint_eq(copy_from_user(buf, (void *)-5UL, 10), 10);
}
END_TEST

/* A SIGBUS (file mapping past EOF) is recovered like a SIGSEGV. */
START_TEST(sigbus_recovered)
{
	int fd = memfd_create("pinit-bus", 0);
	char out[2 * PAGE_SIZE];
	char *map;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, PAGE_SIZE), 0);
	map = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_uint_eq(copy_from_user(out, map + 10, 2 * PAGE_SIZE - 10), PAGE_SIZE);
	ck_assert_uint_eq(copy_to_user(map + PAGE_SIZE - 1, out, 2), 1);
	ck_assert_uint_eq(clear_user(map + PAGE_SIZE, 1), 1);
	munmap(map, 2 * PAGE_SIZE);
	close(fd);
}
END_TEST

/* The trap's state is per thread: concurrent faulting copies each get their own count. */
struct fault_thread {
	char *dst;
	unsigned int errors;
};

static void *faulting_copies(void *arg)
{
	struct fault_thread *t = arg;
	char src[512];

	memset(src, 'w', sizeof(src));
	for (int n = 0; n < 2000; n++) {
		size_t before = (size_t)(n % 256) + 1;

		if (copy_to_user(t->dst + PAGE_SIZE - before, src, sizeof(src)) !=
		    sizeof(src) - before)
			t->errors++;
	}
	return NULL;
}

START_TEST(trap_is_per_thread)
{
	char *buf = map_pages(4);
	struct fault_thread t[2] = { { buf, 0 }, { buf + 2 * PAGE_SIZE, 0 } };
	pthread_t tid[2];

	page_protect(buf + PAGE_SIZE, PROT_NONE);
	page_protect(buf + 3 * PAGE_SIZE, PROT_NONE);
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&tid[k], NULL, faulting_copies, &t[k]), 0);
	for (int k = 0; k < 2; k++) {
		pthread_join(tid[k], NULL);
		ck_assert_uint_eq(t[k].errors, 0);
	}
	unmap_pages(buf, 4);
}
END_TEST

/* ---- faults the trap does not own ---- */

static void install_trap(void)
{
	char c = 0;

	/* Any guarded copy installs the trap (once). */
	ck_assert_uint_eq(copy_to_user(&c, "x", 1), 0);
}

static void touch(void *addr)
{
	*(volatile char *)addr = 1;
}

static void crash_after_trap(void *arg)
{
	install_trap();
	touch(arg);
}

/* A wild access outside any guarded copy still crashes (chained to the default). */
START_TEST(unowned_fault_still_crashes)
{
	char *buf = map_pages(1);
	int status;

	page_protect(buf, PROT_NONE);
	status = run_in_child(crash_after_trap, buf);
	if (UNDER_SANITIZER)	/* chained to the sanitizer's handler, which reports and exits */
		ck_assert(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status)));
	else
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	unmap_pages(buf, 1);
}
END_TEST

static void siginfo_handler(int sig, siginfo_t *si, void *uc)
{
	_exit(sig == SIGSEGV && si->si_code > 0 ? 42 : 1);
}

static void plain_handler(int sig)
{
	_exit(sig == SIGBUS ? 43 : 1);
}

static void chain_siginfo(void *arg)
{
	struct sigaction sa = { .sa_sigaction = siginfo_handler, .sa_flags = SA_SIGINFO };

	sigaction(SIGSEGV, &sa, NULL);
	crash_after_trap(arg);
}

static void chain_plain(void *arg)
{
	int fd = memfd_create("pinit-chain", 0);
	char *map;

	signal(SIGBUS, plain_handler);
	ftruncate(fd, 0);
	map = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	crash_after_trap(map);
}

/* A handler installed before the trap still gets the faults the trap does not own. */
START_TEST(unowned_fault_chains_to_previous_handler)
{
	char *buf = map_pages(1);
	int status;

	page_protect(buf, PROT_NONE);
	status = run_in_child(chain_siginfo, buf);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 42);
	status = run_in_child(chain_plain, NULL);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 43);
	unmap_pages(buf, 1);
}
END_TEST

static void crash_with_segv_ignored(void *arg)
{
	signal(SIGSEGV, SIG_IGN);
	signal(SIGALRM, SIG_DFL);
	alarm(10);	/* a re-executed fault would spin forever: SIGALRM says so */
	crash_after_trap(arg);
}

/*
 * SIGSEGV ignored: the kernel still kills on a synchronous fault
 * (force_sig_fault() unblocks and resets an ignored SIGSEGV). The trap must not
 * "chain" to SIG_IGN by returning, which would re-execute the access forever.
 */
START_TEST(unowned_fault_with_segv_ignored_kills)
{
	char *buf = map_pages(1);
	int status;

	page_protect(buf, PROT_NONE);
	status = run_in_child(crash_with_segv_ignored, buf);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
		      "child status %#x (SIGALRM = spinning on the fault)", status);
	unmap_pages(buf, 1);
}
END_TEST

static void sent_segv(void *arg)
{
	install_trap();
	kill(getpid(), SIGSEGV);
	_exit(0);
}

static void sent_segv_ignored(void *arg)
{
	signal(SIGSEGV, SIG_IGN);
	sent_segv(arg);
}

/* A SIGSEGV sent with kill(2) is not a fault: default kills, SIG_IGN ignores. */
START_TEST(sent_segv_default_or_ignored)
{
	int status = run_in_child(sent_segv, NULL);

	if (UNDER_SANITIZER)
		ck_assert(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status)));
	else
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
			      "child status %#x", status);
	status = run_in_child(sent_segv_ignored, NULL);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

static Suite *usercopy_suite(void)
{
	Suite *s = suite_create("usercopy");
	TCase *tc;

	tc = tcase_create("uaccess");
	unit_fixture(tc);
	tcase_add_test(tc, healthy_copies);
	tcase_add_test(tc, copy_to_user_short);
	tcase_add_test(tc, copy_from_user_short_zeroes_tail);
	tcase_add_test(tc, clear_user_short);
	tcase_add_test(tc, access_ok_failures);
	tcase_add_test(tc, sigbus_recovered);
	tcase_add_test(tc, trap_is_per_thread);
	suite_add_tcase(s, tc);

	tc = tcase_create("trap");
	unit_fixture(tc);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, unowned_fault_still_crashes);
	tcase_add_test(tc, unowned_fault_chains_to_previous_handler);
	tcase_add_test(tc, unowned_fault_with_segv_ignored_kills);
	tcase_add_test(tc, sent_segv_default_or_ignored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(usercopy_suite());
}
