// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WARN/BUG bookkeeping (spec §1.11 M-2) and allocation fault injection (the
 * should_failslab() analogue the -ENOMEM tests of the other suites rely on).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

/* Run @fn with stderr captured; the text goes to @out (NUL-terminated). */
static void capture_stderr(void (*fn)(void), char *out, size_t len)
{
	int fd = memfd_create("pinit-stderr", 0), saved = dup(STDERR_FILENO);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static int warn_line_a, warn_line_b;

static void warn_twice_from_one_site_once_from_another(void)
{
	for (int k = 0; k < 2; k++)
		AT_LINE(warn_line_a, PINIT_WARN_ON(k >= 0, PINIT_SITE));
	AT_LINE(warn_line_b, pinit_warn(PINIT_SITE, "second site"));
}

/* The first warning from a site is logged, later ones only counted (M-2). */
START_TEST(warn_logs_first_per_site)
{
	char text[1024], want[256];

	pinit_warn_set_quiet(false);
	capture_stderr(warn_twice_from_one_site_once_from_another, text, sizeof(text));
	ck_assert_uint_eq(pinit_warn_count(), 3);
	snprintf(want, sizeof(want), "pinit: WARNING: k >= 0 at %s:%d", __FILE__, warn_line_a);
	ck_assert_ptr_nonnull(strstr(text, want));
	ck_assert_ptr_null(strstr(strstr(text, want) + 1, want));	/* exactly once */
	snprintf(want, sizeof(want), "pinit: WARNING: second site at %s:%d", __FILE__,
		 warn_line_b);
	ck_assert_ptr_nonnull(strstr(text, want));
	assert_warned_at(__FILE__, warn_line_b);

	/* Quiet: counted, not logged. */
	pinit_warn_reset();
	pinit_warn_set_quiet(true);
	capture_stderr(warn_twice_from_one_site_once_from_another, text, sizeof(text));
	ck_assert_uint_eq(pinit_warn_count(), 3);
	ck_assert_str_eq(text, "");
}
END_TEST

START_TEST(warn_counter_and_last)
{
	struct pinit_warning w;

	ck_assert_uint_eq(pinit_warn_count(), 0);
	ck_assert(!pinit_warn_last(&w));
	ck_assert(!PINIT_WARN_ON(1 == 2, PINIT_SITE));
	ck_assert_uint_eq(pinit_warn_count(), 0);
	ck_assert(pinit_warn(PINIT_SITE, "first"));
	ck_assert(pinit_warn(PINIT_SITE, "second"));
	ck_assert_uint_eq(pinit_warn_count(), 2);
	ck_assert(pinit_warn_last(&w));
	ck_assert_str_eq(w.what, "second");
	ck_assert_str_eq(w.site->file, __FILE__);
	pinit_warn_reset();
	ck_assert_uint_eq(pinit_warn_count(), 0);
	ck_assert(!pinit_warn_last(&w));
}
END_TEST

/* More distinct sites than the logged-site table holds: still counted (and logged). */
START_TEST(warn_many_sites)
{
	static struct pinit_site sites[100];

	for (int k = 0; k < 100; k++) {
		sites[k] = (struct pinit_site){ __FILE__, __func__, 1000 + k };
		pinit_warn(&sites[k], "many");
	}
	ck_assert_uint_eq(pinit_warn_count(), 100);
}
END_TEST

START_TEST(bug_aborts)
{
	pinit_bug(PINIT_SITE, "a test BUG");
}
END_TEST

/* ---- allocation fault injection ---- */

START_TEST(fail_allocs_skip_then_fail)
{
	void *p[5];

	pinit_fail_allocs(2, 2);
	p[0] = pinit_malloc(8);
	p[1] = pinit_calloc(1, 8);
	errno = 0;
	p[2] = pinit_malloc(8);
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	p[3] = pinit_calloc(2, 8);
	ck_assert_int_eq(errno, ENOMEM);
	p[4] = pinit_malloc(8);
	ck_assert(p[0] && p[1] && !p[2] && !p[3] && p[4]);
	ck_assert(all_bytes(p[1], 8, 0));
	/* Disabled with nfail 0, whatever the skip. */
	pinit_fail_allocs(0, 0);
	ck_assert_ptr_nonnull(p[2] = pinit_malloc(1));
	for (int k = 0; k < 5; k++)
		free(p[k]);
}
END_TEST

static Suite *warn_suite(void)
{
	Suite *s = suite_create("warn");
	TCase *tc = tcase_create("warn");

	unit_fixture(tc);
	tcase_add_test(tc, warn_logs_first_per_site);
	tcase_add_test(tc, warn_counter_and_last);
	tcase_add_test(tc, warn_many_sites);
	tcase_add_test_raise_signal(tc, bug_aborts, SIGABRT);
	tcase_add_test(tc, fail_allocs_skip_then_fail);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(warn_suite());
}
