// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The unit harness's own verdicts (unit.h, unit_main): a skipped test is listed
 * with its reason and does not fail its suite; a suite whose every test skipped
 * exits 77, so a runner tells "nothing could be tested here" from a pass; a
 * failure still fails. Each case runs unit_main() on a small suite in a child
 * whose output is kept. Exit 0 on success, 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

START_TEST(passes)
{
	ck_assert_int_eq(1 + 1, 2);
}
END_TEST

START_TEST(skips)
{
	unit_skip("no %s here", "frobnicator");
	ck_abort_msg("unit_skip() did not end the test");
}
END_TEST

START_TEST(requires)
{
	unit_require("the widget is missing");
	ck_abort_msg("unit_require() did not end the test");
}
END_TEST

START_TEST(fails)
{
	ck_abort_msg("meant to fail");
}
END_TEST

static int failures;

/* Run unit_main() on a suite of @tests in a child; check its exit status and output. */
static void expect(const char *what, const TTest *const *tests, int ntests, int status,
		   const char *has, const char *lacks)
{
	char out[8192] = "";
	int fd = memfd_create("unit-out", 0), wstatus = -1;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		Suite *s = suite_create(what);
		TCase *tc = tcase_create("cases");

		for (int k = 0; k < ntests; k++)
			tcase_add_test(tc, tests[k]);
		suite_add_tcase(s, tc);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		_exit(unit_main(s));
	}
	waitpid(pid, &wstatus, 0);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != status || !strstr(out, has) ||
	    (lacks && strstr(out, lacks))) {
		printf("FAIL: %s: wait status %#x (want exit %d), output:\n%s\n", what, wstatus,
		       status, out);
		failures++;
		return;
	}
	printf("ok: %s: exit %d\n", what, status);
}

int main(void)
{
	const TTest *pass_skip[] = {passes, skips}, *all_skip[] = {skips, requires},
		    *fail_skip[] = {fails, skips}, *pass_only[] = {passes};

	expect("a pass and a skip", pass_skip, 2, 0,
	       "SKIP: skips: no frobnicator here\n1 of 2 "
	       "tests skipped",
	       NULL);
	expect("every test skipped", all_skip, 2, 77,
	       "SKIP: requires: the widget is missing\n"
	       "2 of 2 tests skipped",
	       NULL);
	expect("a failure and a skip", fail_skip, 2, 1, "1 of 2 tests skipped", NULL);
	expect("a pass", pass_only, 1, 0, "100%", "SKIP");
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
