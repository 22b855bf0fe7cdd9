// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared fixtures for the libpinit unit suites; see unit.h. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

static char *map_anon(size_t npages, bool touch)
{
	char *p = mmap(NULL, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_msg(p != MAP_FAILED, "mmap of %zu pages failed", npages);
	ck_assert(PAGE_ALIGNED(p));
	if (touch)
		memset(p, 0, npages * PAGE_SIZE);
	return p;
}

char *map_pages(size_t npages)
{
	return map_anon(npages, true);
}

char *map_untouched(size_t npages)
{
	return map_anon(npages, false);
}

void unmap_pages(void *p, size_t npages)
{
	munmap(p, npages * PAGE_SIZE);
}

void page_protect(void *page, int prot)
{
	ck_assert(PAGE_ALIGNED(page));
	ck_assert_int_eq(mprotect(page, PAGE_SIZE, prot), 0);
}

void page_hole(void *page)
{
	ck_assert(PAGE_ALIGNED(page));
	ck_assert_int_eq(munmap(page, PAGE_SIZE), 0);
}

static unsigned char pattern_byte(size_t n, unsigned int seed)
{
	return (unsigned char)((n * 131 + seed * 17 + (n >> 8)) | 1);
}

void fill_pattern(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;

	for (size_t n = 0; n < len; n++)
		c[n] = pattern_byte(n, seed);
}

bool check_pattern(const void *p, size_t len, unsigned int seed)
{
	const unsigned char *c = p;

	for (size_t n = 0; n < len; n++)
		if (c[n] != pattern_byte(n, seed))
			return false;
	return true;
}

bool all_bytes(const void *p, size_t len, unsigned char c)
{
	const unsigned char *b = p;

	for (size_t n = 0; n < len; n++)
		if (b[n] != c)
			return false;
	return true;
}

void unit_setup(void)
{
	pinit_warn_set_quiet(true);
	pinit_warn_reset();
	ledger_set_quiet(true);
	ledger_set_mode(PIN_CHECK_ON);
	ledger_reset();
	pinit_fail_allocs(0, 0);
}

void unit_teardown(void)
{
	pinit_fail_allocs(0, 0);
}

void unit_fixture(TCase *tc)
{
	tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
}

void assert_warned_at(const char *file, int line)
{
	struct pinit_warning w;

	ck_assert_msg(pinit_warn_last(&w), "no warning was recorded");
	ck_assert_ptr_nonnull(w.site);
	ck_assert_str_eq(w.site->file, file);
	ck_assert_int_eq(w.site->line, line);
	ck_assert_ptr_nonnull(w.what);
}

void assert_ledger_balanced(void)
{
	struct ledger_stats st;

	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired, st.pin_released);
	ck_assert_uint_eq(st.get_acquired, st.get_released);
	ck_assert_uint_eq(ledger_violation_total(&st), 0);
}

uint64_t violations_of(enum ledger_violation kind)
{
	struct ledger_stats st;

	ledger_stats(&st);
	return st.violations[kind];
}

int run_in_child(void (*fn)(void *arg), void *arg)
{
	int status = -1;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/*
 * The skips of a run, in memory shared with the forked test processes (Check's
 * CK_FORK), so the runner sees what each child recorded.
 */
#define MAX_SKIPS 256
struct skip_log {
	int n;
	struct {
		char test[64];
		char why[192];
	} skip[MAX_SKIPS];
};
static struct skip_log *skips;

void unit_record_skip(const char *test_fn, const char *fmt, ...)
{
	size_t len = strlen(test_fn);
	va_list ap;
	int k;

	ck_assert_msg(skips, "unit_skip() outside unit_main()");
	k = __atomic_fetch_add(&skips->n, 1, __ATOMIC_RELAXED);
	if (k >= MAX_SKIPS)
		return;
	/* START_TEST(name) defines name_fn */
	if (len > 3 && !strcmp(test_fn + len - 3, "_fn"))
		len -= 3;
	snprintf(skips->skip[k].test, sizeof(skips->skip[k].test), "%.*s", (int)len, test_fn);
	va_start(ap, fmt);
	vsnprintf(skips->skip[k].why, sizeof(skips->skip[k].why), fmt, ap);
	va_end(ap);
}

int unit_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int run, failed, nskip;

	skips = mmap(NULL, sizeof(*skips), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (skips == MAP_FAILED) {
		perror("unit_main: mmap");
		return EXIT_FAILURE;
	}
	skips->n = 0;
	srunner_run_all(sr, CK_ENV);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nskip = skips->n < MAX_SKIPS ? skips->n : MAX_SKIPS;
	for (int k = 0; k < nskip; k++)
		printf("SKIP: %s: %s\n", skips->skip[k].test, skips->skip[k].why);
	if (skips->n)
		printf("%d of %d tests skipped\n", skips->n, run);
	fflush(stdout);
	if (failed)
		return EXIT_FAILURE;
	return run > 0 && skips->n >= run ? 77 : EXIT_SUCCESS;
}
