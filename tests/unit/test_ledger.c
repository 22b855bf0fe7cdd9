// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pin ledger (spec §2.6 P-3, P-5, §1.11 M-3): violation reports with the
 * detecting site and the owner's site, the counters, the teardown leak check,
 * the check modes, and the pthread_atfork check.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

START_TEST(modes_and_names)
{
	const char *seen[LV_NR_KINDS];

	ck_assert_int_eq(ledger_mode(), PIN_CHECK_ON);
	ledger_set_mode(PIN_CHECK_STRICT);
	ck_assert_int_eq(ledger_mode(), PIN_CHECK_STRICT);
	ledger_set_mode(PIN_CHECK_OFF);
	ck_assert_int_eq(ledger_mode(), PIN_CHECK_OFF);
	for (int k = 0; k < LV_NR_KINDS; k++) {
		seen[k] = ledger_violation_name(k);
		ck_assert_ptr_nonnull(seen[k]);
		for (int j = 0; j < k; j++)
			ck_assert_str_ne(seen[j], seen[k]);
	}
	ck_assert_str_eq(ledger_violation_name(LV_NR_KINDS), "unknown violation");
}
END_TEST

/* Required example: a double unpin is reported with the page, both sites and the counts. */
START_TEST(double_unpin_report)
{
	char *buf = map_pages(1);
	struct page *page;
	struct ledger_report r;
	int pin_line, unpin_line;

	ck_assert(!ledger_last_report(&r));
	ck_assert_int_eq(AT_LINE(pin_line, pin_user_pages_fast((unsigned long)buf, 1, 0, &page)),
			 1);
	unpin_user_page(page);
	ck_assert(!ledger_last_report(&r));
	AT_LINE(unpin_line, unpin_user_page(page));
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_UNPIN_UNPINNED);
	ck_assert_uint_eq(r.page, (uintptr_t)buf);
	ck_assert_str_eq(r.site->file, __FILE__);
	ck_assert_int_eq(r.site->line, unpin_line);
	ck_assert_str_eq(r.owner.site->file, __FILE__);
	ck_assert_int_eq(r.owner.site->line, pin_line);
	ck_assert_int_eq(r.owner.tid, (int)syscall(SYS_gettid));
	ck_assert_int_eq(r.refcount, 1);
	ck_assert_int_eq(r.pincount, 0);
	ck_assert_int_eq(r.gets, 0);
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 1);
	unmap_pages(buf, 1);
}
END_TEST

/* Required example: a put of a pinned page (release does not match acquisition). */
START_TEST(put_of_pinned_page_report)
{
	char *buf = map_pages(1);
	struct page *page;
	struct ledger_report r;
	struct ledger_stats st;
	int pin_line, put_line;

	ck_assert_int_eq(AT_LINE(pin_line, pin_user_pages_fast((unsigned long)buf, 1, 0, &page)),
			 1);
	AT_LINE(put_line, put_page(page));
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_PUT_PINNED);
	ck_assert_uint_eq(r.page, (uintptr_t)buf);
	ck_assert_int_eq(r.site->line, put_line);
	ck_assert_int_eq(r.owner.site->line, pin_line);
	ck_assert_int_eq(r.pincount, 1);
	ck_assert_int_eq(r.refcount, 1 + GUP_PIN_COUNTING_BIAS);
	ledger_stats(&st);
	ck_assert_uint_eq(st.violations[LV_PUT_PINNED], 1);
	ck_assert_uint_eq(ledger_violation_total(&st), 1);
	ck_assert_uint_eq(st.get_released, 0);	/* nothing was released */
	unpin_user_page(page);
	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired, st.pin_released);
	unmap_pages(buf, 1);
}
END_TEST

START_TEST(counters_and_reset)
{
	char *buf = map_pages(2);
	struct page *pages[2];
	struct ledger_stats st;
	struct ledger_report r;

	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 2, 0, pages), 2);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf, 1, FOLL_LONGTERM, pages), 1);
	ledger_count_acquire(PIN_TAG_LISTED, 5);
	ledger_count_release(PIN_TAG_LISTED, 5);	/* nothing to release for LISTED */
	ledger_stats(&st);
	ck_assert_uint_eq(st.get_acquired, 2);
	ck_assert_uint_eq(st.pin_acquired, 1);
	ck_assert_uint_eq(st.listed, 5);
	ck_assert_uint_eq(st.pin_released + st.get_released, 0);
	ledger_report(LV_LEAK, NULL, PINIT_SITE);	/* the daemon's own checks may report */
	ck_assert(ledger_last_report(&r));
	ck_assert_uint_eq(r.page, 0);
	ck_assert_ptr_null(r.owner.site);
	ledger_reset();
	ledger_stats(&st);
	ck_assert_uint_eq(st.get_acquired + st.pin_acquired + st.listed, 0);
	ck_assert_uint_eq(ledger_violation_total(&st), 0);
	ck_assert(!ledger_last_report(&r));
	unmap_pages(buf, 2);
}
END_TEST

/* Run @fn with stderr captured into @out. */
static void capture_stderr(void (*fn)(void *), void *arg, char *out, size_t len)
{
	int fd = memfd_create("pinit-log", 0), saved = dup(STDERR_FILENO);
	ssize_t n;

	dup2(fd, STDERR_FILENO);
	fn(arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static int log_pin_line, log_unpin_line;

static void double_unpin(void *arg)
{
	struct page *page;

	AT_LINE(log_pin_line, pin_user_pages_fast((unsigned long)arg, 1, 0, &page));
	unpin_user_page(page);
	AT_LINE(log_unpin_line, unpin_user_page(page));
	ledger_report(LV_LEAK, NULL, PINIT_SITE);
}

/* One line per violation: the kind, the page, where, and who acquired it last. */
START_TEST(violation_log_line)
{
	char *buf = map_pages(1);
	char text[2048], want[512];

	ledger_set_quiet(false);
	capture_stderr(double_unpin, buf, text, sizeof(text));
	snprintf(want, sizeof(want),
		 "pinit: pin ledger: unpin of a pin the page does not hold: page %#lx at %s:%d "
		 "(double_unpin); last acquired at %s:%d (double_unpin) by tid %d "
		 "(refcount 1, pins 0, gets 0)\n",
		 (unsigned long)buf, __FILE__, log_unpin_line, __FILE__, log_pin_line,
		 (int)syscall(SYS_gettid));
	ck_assert_ptr_nonnull(strstr(text, want));
	ck_assert_ptr_nonnull(strstr(text, "reference or pin leaked: page 0 at "));
	ck_assert_ptr_nonnull(strstr(text, "last acquired at - by tid 0"));
	/* Quiet: counted, not logged. */
	ledger_set_quiet(true);
	capture_stderr(double_unpin, buf, text, sizeof(text));
	ck_assert_str_eq(text, "");
	ck_assert_uint_eq(violations_of(LV_UNPIN_UNPINNED), 2);
	unmap_pages(buf, 1);
}
END_TEST

START_TEST(strict_mode_aborts)
{
	char *buf = map_pages(1);
	struct page *page = virt_to_page(buf);

	ledger_set_mode(PIN_CHECK_STRICT);
	put_page(page);
}
END_TEST

/* ledger_check_leaks(): every page with a GET or a pin outstanding, at the caller's site. */
START_TEST(leak_check)
{
	char *buf = map_pages(3);
	struct arena *a = arena_create(2, 0);
	struct page *pages[3], *ap;
	struct ledger_report r;
	int line;

	ck_assert_int_eq(ledger_check_leaks(), 0);
	ck_assert_int_eq(get_user_pages_fast((unsigned long)buf, 1, 0, &pages[0]), 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)buf + PAGE_SIZE, 1, 0, &pages[1]), 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(a), 1, 0, &ap), 1);
	virt_to_page(buf + 2 * PAGE_SIZE);	/* a descriptor with nothing held: no leak */
	ck_assert_int_eq(AT_LINE(line, ledger_check_leaks()), 3);
	ck_assert_uint_eq(violations_of(LV_LEAK), 3);
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_LEAK);
	ck_assert_int_eq(r.site->line, line);
	put_page(pages[0]);
	unpin_user_page(pages[1]);
	unpin_user_page(ap);
	ck_assert_int_eq(ledger_check_leaks(), 0);
	ck_assert_int_eq(arena_destroy(a), 0);
	unmap_pages(buf, 3);
}
END_TEST

/* ---- P-3: the fork check ---- */

static void fork_and_reap(void)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

/* fork() with a GET (or a pin) outstanding on malloc memory: reported. */
START_TEST(atfork_reports_unprotected)
{
	char *mem = malloc(3 * PAGE_SIZE);
	char *page = (char *)(((uintptr_t)mem + PAGE_SIZE) & PAGE_MASK);
	struct page *p;
	struct ledger_report r;

	memset(mem, 0, 3 * PAGE_SIZE);
	ledger_install_atfork_check();
	ledger_install_atfork_check();	/* idempotent: still one check per fork */
	fork_and_reap();	/* nothing held: nothing reported */
	ck_assert_uint_eq(violations_of(LV_FORK_UNPROTECTED), 0);

	ck_assert_int_eq(get_user_pages_fast((unsigned long)page, 1, 0, &p), 1);
	fork_and_reap();
	ck_assert_uint_eq(violations_of(LV_FORK_UNPROTECTED), 1);
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_FORK_UNPROTECTED);
	ck_assert_uint_eq(r.page, (uintptr_t)page);
	ck_assert_str_eq(r.site->func, "fork");
	ck_assert_int_eq(r.gets, 1);
	put_page(p);

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)page, 1, FOLL_WRITE, &p), 1);
	fork_and_reap();
	ck_assert_uint_eq(violations_of(LV_FORK_UNPROTECTED), 2);
	/* Checks off: no fork check. */
	ledger_set_mode(PIN_CHECK_OFF);
	fork_and_reap();
	ck_assert_uint_eq(violations_of(LV_FORK_UNPROTECTED), 2);
	unpin_user_page(p);
	free(mem);
}
END_TEST

/* DONTFORK or WIPEONFORK memory, and arena pages, are protected: no report. */
START_TEST(atfork_protected_regions)
{
	char *dc = map_pages(1), *wf = map_pages(1);
	struct arena *a = arena_create(1, 0), *unsafe = arena_create(1, ARENA_NO_DONTFORK);
	struct page *p[4];

	ck_assert_int_eq(madvise(dc, PAGE_SIZE, MADV_DONTFORK), 0);
	ck_assert_int_eq(madvise(wf, PAGE_SIZE, MADV_WIPEONFORK), 0);
	ledger_install_atfork_check();
	ck_assert_int_eq(get_user_pages_fast((unsigned long)dc, 1, 0, &p[0]), 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)wf, 1, 0, &p[1]), 1);
	ck_assert_int_eq(get_user_pages_fast((unsigned long)arena_base(a), 1, 0, &p[2]), 1);
	fork_and_reap();
	ck_assert_uint_eq(violations_of(LV_FORK_UNPROTECTED), 0);
	/* An arena without DONTFORK (tests only) is not protected. */
	ck_assert_int_eq(get_user_pages_fast((unsigned long)arena_base(unsafe), 1, 0, &p[3]), 1);
	fork_and_reap();
	ck_assert_uint_eq(violations_of(LV_FORK_UNPROTECTED), 1);
	put_page(p[0]);
	unpin_user_page(p[1]);
	put_page(p[2]);
	put_page(p[3]);
	ck_assert_int_eq(arena_destroy(a), 0);
	ck_assert_int_eq(arena_destroy(unsafe), 0);
	unmap_pages(dc, 1);
	unmap_pages(wf, 1);
}
END_TEST

static Suite *ledger_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc;

	tc = tcase_create("reports");
	unit_fixture(tc);
	tcase_add_test(tc, modes_and_names);
	tcase_add_test(tc, double_unpin_report);
	tcase_add_test(tc, put_of_pinned_page_report);
	tcase_add_test(tc, counters_and_reset);
	tcase_add_test(tc, violation_log_line);
	tcase_add_test_raise_signal(tc, strict_mode_aborts, SIGABRT);
	tcase_add_test(tc, leak_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("atfork");
	unit_fixture(tc);
	tcase_add_test(tc, atfork_reports_unprotected);
	tcase_add_test(tc, atfork_protected_regions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(ledger_suite());
}
