/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared fixtures for the libpinit unit suites (tests/unit/).
 *
 * Every suite runs each test in its own forked child (Check's default,
 * CK_FORK=yes), so the library's global state (ledger counters, warnings, page
 * descriptors, arenas) never leaks from one test into the next. The checked
 * fixture unit_setup() still resets it explicitly, so a run with CK_FORK=no
 * starts each test from a known state too.
 */
#ifndef PINIT_TESTS_UNIT_H
#define PINIT_TESTS_UNIT_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinit/pinit.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory fixtures ---- */

/* @npages private anonymous pages, read-write and faulted in. Fails the test on error. */
char *map_pages(size_t npages);

/* @npages private anonymous pages, read-write, never touched (not present). */
char *map_untouched(size_t npages);

/* munmap() @npages pages at @p (pages already unmapped are fine). */
void unmap_pages(void *p, size_t npages);

/* mprotect() the one page at @page. */
void page_protect(void *page, int prot);

/* Punch a hole: munmap() the one page at @page. */
void page_hole(void *page);

/* Fill @len bytes with a pattern that depends on @seed and the byte's index. */
void fill_pattern(void *p, size_t len, unsigned int seed);

/* True if @p holds fill_pattern(@seed) over @len bytes. */
bool check_pattern(const void *p, size_t len, unsigned int seed);

/* True if all @len bytes at @p equal @c. */
bool all_bytes(const void *p, size_t len, unsigned char c);

/* ---- library state ---- */

/*
 * Checked fixture: warnings and ledger reports counted but not logged, counters
 * zeroed, check mode ON, no injected allocation failures.
 */
void unit_setup(void);
void unit_teardown(void);

/* Add the checked fixture to @tc. */
void unit_fixture(TCase *tc);

/* No warning was counted. */
#define ck_assert_no_warnings() ck_assert_uint_eq(pinit_warn_count(), 0)

/*
 * The most recent warning came from @file:@line (M-2: "counts a warning with
 * its call site").
 */
void assert_warned_at(const char *file, int line);

/* P-5: acquired == released for pins and GETs, and no violation was reported. */
void assert_ledger_balanced(void);

/* Number of violations of @kind counted so far. */
uint64_t violations_of(enum ledger_violation kind);

/*
 * Evaluate @expr and record the line it is on in @line. Use on one source line:
 * the library records the site of the macro's expansion, i.e. this line.
 */
#define AT_LINE(line, expr)                                                           \
	({                                                                            \
		(line) = __LINE__;                                                    \
		(expr);                                                               \
	})

/* ---- processes ---- */

/*
 * Run @fn(@arg) in a fork()ed child that exits 0 when @fn returns; return its
 * wait status. For behaviour that kills the process (SIGSEGV, abort()) when a
 * test must look at more than the signal.
 */
int run_in_child(void (*fn)(void *arg), void *arg);

/* ---- skipping ---- */

/*
 * End the current test as skipped, saying why (printf format): a feature this
 * kernel or machine lacks. Use in the test body itself: it returns from the
 * test function. Check counts the test as passed; unit_main() lists the skips.
 */
#define unit_skip(...)                                   \
	do {                                             \
		unit_record_skip(__func__, __VA_ARGS__); \
		return;                                  \
	} while (0)

/* Skip the current test when @why (the reason a feature is missing) is not NULL. */
#define unit_require(why)                           \
	do {                                        \
		const char *unit_why_ = (why);      \
		if (unit_why_)                      \
			unit_skip("%s", unit_why_); \
	} while (0)

void unit_record_skip(const char *test_fn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run @s with a srunner (CK_FORK as configured) and return the exit status:
 * 1 when a test failed; else 77 (skip) when every test skipped; else 0. The
 * skipped tests are listed with their reasons either way.
 */
int unit_main(Suite *s);

#endif
