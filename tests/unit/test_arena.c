// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The page arena (spec §6 "daemon buffer policy", §2.6): dedicated mappings
 * with MADV_DONTFORK and MADV_POPULATE_WRITE, page-run allocation, the rule that
 * a pinned page is never handed out again (LV_FREE_PINNED, LV_REUSE_PINNED),
 * check-mode write protection of source-pinned pages (LV_WRITE_SOURCE_PINNED),
 * and io_uring registration as a long-term pin on every page.
 */
#include <errno.h>
#include <stdatomic.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

static bool resident(const void *page)
{
	unsigned char vec = 0;

	ck_assert_int_eq(mincore((void *)page, PAGE_SIZE, &vec), 0);
	return vec & 1;
}

static bool is_protected(const struct page *page)
{
	return page->flags & PG_protected;
}

/* ---- create / destroy / geometry ---- */

START_TEST(create_geometry)
{
	struct arena *a = arena_create(5, 0), *l = arena_create(2, ARENA_LARGE);
	char *base;

	ck_assert_ptr_nonnull(a);
	base = arena_base(a);
	ck_assert(PAGE_ALIGNED(base));
	ck_assert_uint_eq(arena_npages(a), 5);
	ck_assert_uint_eq(arena_free_pages(a), 5);
	for (int k = 0; k < 5; k++) {
		struct page *p = arena_page(a, base + k * PAGE_SIZE + 9);

		ck_assert_ptr_eq(page_address(p), base + k * PAGE_SIZE);
		ck_assert_int_eq(page_ref_count(p), 1);
		ck_assert(p->flags & PG_arena);
		ck_assert(!page_is_large(p));
		/* MADV_POPULATE_WRITE at creation: no fault on the I/O path. */
		ck_assert(resident(base + k * PAGE_SIZE));
	}
	ck_assert_ptr_eq(arena_of(base), a);
	ck_assert_ptr_eq(arena_of(base + 5 * PAGE_SIZE - 1), a);
	ck_assert_ptr_ne(arena_of(base + 5 * PAGE_SIZE), a);
	ck_assert_ptr_null(arena_page(a, base + 5 * PAGE_SIZE));
	ck_assert_ptr_null(arena_page(a, base - 1));
	ck_assert_ptr_null(arena_of(&a));
	ck_assert(page_is_large(arena_page(l, arena_base(l))));
	ck_assert_int_eq(arena_destroy(a), 0);
	ck_assert_int_eq(arena_destroy(l), 0);
	ck_assert_int_eq(arena_destroy(NULL), 0);
}
END_TEST

START_TEST(create_errors)
{
	errno = 0;
	ck_assert_ptr_null(arena_create(0, 0));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(arena_create(SIZE_MAX / PAGE_SIZE + 1, 0));
	ck_assert_int_eq(errno, EINVAL);
	/* Each of the arena's own allocations failing: NULL, ENOMEM, nothing left behind. */
	for (unsigned int skip = 0; skip < 3; skip++) {
		pinit_fail_allocs(skip, 1);
		errno = 0;
		ck_assert_ptr_null(arena_create(4, 0));
		ck_assert_int_eq(errno, ENOMEM);
	}
	pinit_fail_allocs(0, 0);
}
END_TEST

/* Arenas are found lock-free in a fixed table; its slots are reused after destroy. */
START_TEST(arena_slots)
{
	struct arena *a[64];

	for (int k = 0; k < 64; k++)
		ck_assert_ptr_nonnull(a[k] = arena_create(1, 0));
	errno = 0;
	ck_assert_ptr_null(arena_create(1, 0));
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(arena_destroy(a[10]), 0);
	ck_assert_ptr_nonnull(a[10] = arena_create(1, 0));
	ck_assert_ptr_eq(arena_of(arena_base(a[10])), a[10]);
	for (int k = 0; k < 64; k++)
		ck_assert_int_eq(arena_destroy(a[k]), 0);
}
END_TEST

/* MADV_DONTFORK: the region is absent in a child; touching it there is SIGSEGV (§6). */
static void child_touches(void *arg)
{
	signal(SIGSEGV, SIG_DFL);	/* the kernel's behaviour, not the trap's */
	*(volatile char *)arg = 1;
}

START_TEST(dontfork_effective)
{
	struct arena *a = arena_create(1, 0), *unsafe = arena_create(1, ARENA_NO_DONTFORK);
	int status;

	status = run_in_child(child_touches, arena_base(a));
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	status = run_in_child(child_touches, arena_base(unsafe));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(arena_destroy(a), 0);
	ck_assert_int_eq(arena_destroy(unsafe), 0);
}
END_TEST

/* ---- allocation ---- */

START_TEST(alloc_free_runs)
{
	struct arena *a = arena_create(8, 0);
	struct page *p[8], *q;
	int line;

	ck_assert_ptr_null(arena_alloc(a, 0));
	ck_assert_ptr_null(arena_alloc(a, 9));
	p[0] = AT_LINE(line, arena_alloc(a, 3));
	ck_assert_ptr_nonnull(p[0]);
	ck_assert_int_eq(p[0]->owner.site->line, line);
	ck_assert_uint_eq(arena_free_pages(a), 5);
	p[1] = arena_alloc(a, 5);
	ck_assert_ptr_eq(p[1], p[0] + 3);	/* the rest, contiguous */
	ck_assert_uint_eq(arena_free_pages(a), 0);
	ck_assert_ptr_null(arena_alloc(a, 1));	/* exhausted */
	/* Fragmentation: two free pages, but no run of two. */
	arena_free(a, p[0], 1);
	arena_free(a, p[0] + 2, 1);
	ck_assert_uint_eq(arena_free_pages(a), 2);
	ck_assert_ptr_null(arena_alloc(a, 2));
	/* The search wraps around from the hint back to the start. */
	q = arena_alloc(a, 1);
	ck_assert(q == p[0] || q == p[0] + 2);
	arena_free(a, q, 1);
	arena_free(a, p[0] + 1, 1);
	ck_assert_ptr_eq(arena_alloc(a, 3), p[0]);
	arena_free(a, p[0], 3);
	arena_free(a, p[1], 5);
	ck_assert_uint_eq(arena_free_pages(a), 8);
	ck_assert_no_warnings();
	assert_ledger_balanced();
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

START_TEST(free_errors_warn)
{
	struct arena *a = arena_create(4, 0), *b = arena_create(4, 0);
	struct page *p = arena_alloc(a, 2);
	int line;

	arena_free(a, p, 2);
	AT_LINE(line, arena_free(a, p, 1));	/* double free */
	assert_warned_at(__FILE__, line);
	ck_assert_uint_eq(arena_free_pages(a), 4);
	AT_LINE(line, arena_free(a, p + 2, 3));	/* runs past the end */
	assert_warned_at(__FILE__, line);
	arena_free(a, arena_page(b, arena_base(b)), 1);	/* another arena's page */
	ck_assert_uint_eq(pinit_warn_count(), 3);
	ck_assert_int_eq(arena_destroy(a), 0);
	ck_assert_int_eq(arena_destroy(b), 0);
}
END_TEST

/* Pages still allocated, referenced or pinned at destroy are reported as leaks. */
START_TEST(destroy_reports_leaks)
{
	struct arena *a = arena_create(4, 0);
	struct page *p = arena_alloc(a, 2);
	struct ledger_report r;

	ck_assert_ptr_nonnull(p);
	get_page(&p[2]);	/* p[2] is a free page that someone references */
	ck_assert_int_eq(arena_destroy(a), 3);
	ck_assert_uint_eq(violations_of(LV_LEAK), 3);
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_LEAK);
	ck_assert_str_eq(r.site->func, "arena_destroy");
}
END_TEST

/* ---- a pinned page is never handed out again ---- */

START_TEST(free_while_pinned_is_held)
{
	struct arena *a = arena_create(2, 0);
	struct page *p = arena_alloc(a, 1), *pinned, *other;
	struct ledger_report r;
	int pin_line, free_line;

	ck_assert_int_eq(AT_LINE(pin_line, pin_user_pages_fast((unsigned long)page_address(p), 1,
								FOLL_WRITE, &pinned)),
			 1);
	AT_LINE(free_line, arena_free(a, p, 1));
	ck_assert_uint_eq(violations_of(LV_FREE_PINNED), 1);
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_FREE_PINNED);
	ck_assert_uint_eq(r.page, (uintptr_t)page_address(p));
	ck_assert_int_eq(r.site->line, free_line);
	ck_assert_int_eq(r.owner.site->line, pin_line);
	ck_assert(p->flags & PG_held);
	ck_assert_uint_eq(arena_free_pages(a), 1);	/* held back */
	other = arena_alloc(a, 1);
	ck_assert_ptr_nonnull(other);
	ck_assert_ptr_ne(other, p);
	ck_assert_ptr_null(arena_alloc(a, 1));	/* the held page is not handed out */
	unpin_user_page(pinned);	/* the last release hands it back */
	ck_assert(!(p->flags & PG_held));
	ck_assert_uint_eq(arena_free_pages(a), 1);
	ck_assert_ptr_eq(arena_alloc(a, 1), p);
	arena_free(a, p, 1);
	arena_free(a, other, 1);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

START_TEST(free_while_referenced_is_held)
{
	struct arena *a = arena_create(1, 0);
	struct page *p = arena_alloc(a, 1);

	get_page(p);
	arena_free(a, p, 1);
	ck_assert_uint_eq(violations_of(LV_FREE_PINNED), 1);
	ck_assert_ptr_null(arena_alloc(a, 1));
	put_page(p);
	ck_assert_ptr_eq(arena_alloc(a, 1), p);
	arena_free(a, p, 1);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/* Someone pins a page after freeing it: the next allocation reaching it reports and skips it. */
START_TEST(reuse_pinned_reported)
{
	struct arena *a = arena_create(2, 0);
	struct page *p = arena_alloc(a, 1), *pinned, *q;
	struct ledger_report r;

	arena_free(a, p, 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)page_address(p), 1, FOLL_WRITE,
					     &pinned),
			 1);
	ck_assert_ptr_null(arena_alloc(a, 2));	/* reaches p: reported, parked */
	ck_assert_uint_eq(violations_of(LV_REUSE_PINNED), 1);
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_REUSE_PINNED);
	ck_assert_uint_eq(r.page, (uintptr_t)page_address(p));
	q = arena_alloc(a, 1);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_ne(q, p);
	ck_assert_ptr_null(arena_alloc(a, 1));
	ck_assert_uint_eq(violations_of(LV_REUSE_PINNED), 1);	/* reported once */
	unpin_user_page(pinned);
	ck_assert_ptr_eq(arena_alloc(a, 1), p);
	arena_free(a, p, 1);
	arena_free(a, q, 1);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/* ---- check mode: source-pinned pages are read-only ---- */

/*
 * Required example: a write to a source-pinned arena page in check mode is
 * caught, counted and reported with the page and the pin's owner; in ON mode
 * the write then proceeds.
 */
START_TEST(write_to_source_pinned_caught)
{
	struct arena *a = arena_create(2, 0);
	volatile char *base = arena_base(a);
	struct page *p = arena_page(a, (void *)base), *pinned;
	struct ledger_report r;
	int pin_line;

	ck_assert_int_eq(AT_LINE(pin_line, pin_user_pages_fast((unsigned long)base, 1, 0, &pinned)),
			 1);
	ck_assert(is_protected(p));
	ck_assert(!is_protected(arena_page(a, (char *)base + PAGE_SIZE)));
	ck_assert_int_eq(base[10], 0);	/* reads are fine */
	base[10] = 'w';
	ck_assert_int_eq(base[10], 'w');	/* the write went through ... */
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 1);	/* ... and was caught */
	ck_assert(ledger_last_report(&r));
	ck_assert_int_eq(r.kind, LV_WRITE_SOURCE_PINNED);
	ck_assert_uint_eq(r.page, (uintptr_t)base);
	ck_assert_str_eq(r.owner.site->file, __FILE__);
	ck_assert_int_eq(r.owner.site->line, pin_line);
	ck_assert_int_eq(r.pincount, 1);
	/* Left writable for the rest of this pin: one report, not one per store. */
	ck_assert(!is_protected(p));
	ck_assert(p->flags & PG_violated);
	base[11] = 'x';
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 1);
	unpin_user_page(pinned);
	ck_assert(!(p->flags & PG_violated));
	/* A new source pin protects again. */
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)base, 1, 0, &pinned), 1);
	ck_assert(is_protected(p));
	base[12] = 'y';
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 2);
	unpin_user_page(pinned);
	ck_assert(!is_protected(p));
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/* The same through the iterator API: extract from a SOURCE UBUF over arena memory. */
START_TEST(extract_source_protects)
{
	struct arena *a = arena_create(2, 0);
	char *base = arena_base(a);
	struct page *arr[2], **pages = arr;
	struct kvec kv = { base + PAGE_SIZE - 5, 10 };
	struct iov_iter it;
	size_t off0;
	char src[10] = "123456789";

	iov_iter_ubuf(&it, ITER_SOURCE, base, 2 * PAGE_SIZE);
	ck_assert_int_eq(iov_iter_extract_pages(&it, &pages, SIZE_MAX, 2, 0, &off0), 2 * PAGE_SIZE);
	ck_assert(is_protected(arr[0]) && is_protected(arr[1]));
	/* The library's own copy into the page (a KVEC: plain memcpy) is caught too. */
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, 10);
	ck_assert_uint_eq(copy_to_iter(src, 10, &it), 10);
	ck_assert(!memcmp(base + PAGE_SIZE - 5, src, 10));
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 2);
	/* ... and a user copy, which runs under the fault guard. */
	ck_assert_uint_eq(copy_to_user(base + 100, src, 10), 0);
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 2);	/* already unprotected */
	unpin_user_pages(arr, 2);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)base, 1, 0, arr), 1);
	ck_assert_uint_eq(copy_to_user(base + 100, src, 10), 0);
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 3);
	unpin_user_page(arr[0]);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/*
 * Only a page pinned *only* as a source is protected, and for as long as a
 * source pin is held: a destination pin ending does not lift it.
 */
START_TEST(protection_follows_pins)
{
	struct arena *a = arena_create(1, 0);
	char *base = arena_base(a);
	struct page *p = arena_page(a, base), *src, *dst;

	ck_assert_int_eq(pin_user_pages_fast((unsigned long)base, 1, FOLL_WRITE, &dst), 1);
	ck_assert(!is_protected(p));	/* a destination pin: the device writes it */
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)base, 1, 0, &src), 1);
	ck_assert(!is_protected(p));	/* source + destination: not read-only */
	unpin_user_pages_flags(&dst, 1, FOLL_WRITE, true);	/* the destination pin ends */
	ck_assert_int_eq(page_pins(p, PAGE_PIN_SOURCE), 1);
	ck_assert_int_eq(page_pins(p, PAGE_PIN_DEST), 0);
	ck_assert(is_protected(p));	/* only the source pin is left */
	unpin_user_pages_flags(&src, 1, 0, false);
	ck_assert(!is_protected(p));
	ck_assert_int_eq(page_pincount(p), 0);
	/* The kernel-named unpin does not say which: with both held it ends the destination pin. */
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)base, 1, 0, &src), 1);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)base, 1, FOLL_WRITE, &dst), 1);
	ck_assert(!is_protected(p));
	/* GETs do not protect. */
	get_page(p);
	ck_assert(!is_protected(p));
	put_page(p);
	unpin_user_page(dst);
	ck_assert_int_eq(page_pins(p, PAGE_PIN_SOURCE), 1);
	ck_assert(is_protected(p));
	unpin_user_page(src);
	ck_assert(!is_protected(p));
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 0);
	assert_ledger_balanced();
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

START_TEST(strict_write_aborts)
{
	struct arena *a = arena_create(1, 0);
	volatile char *base = arena_base(a);
	struct page *pinned;

	ledger_set_mode(PIN_CHECK_STRICT);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)base, 1, 0, &pinned), 1);
	base[0] = 1;
}
END_TEST

/* PIN_CHECK_OFF: no protection, no reports, nothing caught. */
START_TEST(check_off_does_nothing)
{
	struct arena *a = arena_create(2, 0);
	volatile char *base = arena_base(a);
	struct page *p = arena_alloc(a, 1), *pinned;

	ledger_set_mode(PIN_CHECK_OFF);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)page_address(p), 1, 0, &pinned), 1);
	ck_assert(!is_protected(p));
	((volatile char *)page_address(p))[0] = 1;
	arena_free(a, p, 1);
	base[PAGE_SIZE] = 2;
	ck_assert_uint_eq(violations_of(LV_WRITE_SOURCE_PINNED), 0);
	ck_assert_uint_eq(violations_of(LV_FREE_PINNED), 0);
	unpin_user_page(pinned);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

/* ---- io_uring registration: a long-term pin on every page ---- */

/* NULL when io_uring works here, else why not. */
static const char *uring_missing(void)
{
	static char why[96];
	struct io_uring ring;
	int err = io_uring_queue_init(2, &ring, 0);

	if (!err) {
		io_uring_queue_exit(&ring);
		return NULL;
	}
	snprintf(why, sizeof(why), "io_uring_queue_init: %s", strerror(-err));
	return why;
}

START_TEST(uring_register_longterm)
{
	struct io_uring r1, r2, r3;
	struct ledger_stats st;
	struct arena *a;
	struct page *p;

	unit_require(uring_missing());
	a = arena_create(4, 0);
	ck_assert_int_eq(io_uring_queue_init(2, &r1, 0), 0);
	ck_assert_int_eq(io_uring_queue_init(2, &r2, 0), 0);
	ck_assert_int_eq(io_uring_queue_init(2, &r3, 0), 0);
	ck_assert(!mm_has_pinned());
	ck_assert_int_eq(arena_register_uring(a, &r1), 0);
	ck_assert(mm_has_pinned());
	for (int k = 0; k < 4; k++) {
		p = arena_page(a, (char *)arena_base(a) + k * PAGE_SIZE);
		ck_assert_int_eq(page_pincount(p), 1);
		ck_assert_int_eq(page_pins(p, PAGE_PIN_LONGTERM), 1);
		ck_assert_int_eq(page_ref_count(p), 1 + GUP_PIN_COUNTING_BIAS);
		ck_assert(page_maybe_dma_pinned(p));
		ck_assert(!is_protected(p));	/* FOLL_WRITE: not a source pin */
	}
	ledger_stats(&st);
	ck_assert_uint_eq(st.pin_acquired, 4);
	/* Long-term registration pins do not stop allocation and reuse. */
	p = arena_alloc(a, 4);
	ck_assert_ptr_nonnull(p);
	arena_free(a, p, 4);
	ck_assert_uint_eq(arena_free_pages(a), 4);
	ck_assert_uint_eq(violations_of(LV_FREE_PINNED) + violations_of(LV_REUSE_PINNED), 0);
	/* Each registration holds its own pins. */
	ck_assert_int_eq(arena_register_uring(a, &r2), 0);
	ck_assert_int_eq(page_pincount(p), 2);
	ck_assert_int_eq(arena_unregister_uring(a, &r3), -ENOENT);
	ck_assert_int_eq(arena_unregister_uring(a, &r1), 0);
	ck_assert_int_eq(page_pincount(p), 1);
	ck_assert_int_eq(arena_unregister_uring(a, &r1), -ENOENT);
	ck_assert_int_eq(arena_unregister_uring(a, &r2), 0);
	ck_assert_int_eq(page_pincount(p), 0);
	ck_assert_int_eq(page_pins(p, PAGE_PIN_LONGTERM), 0);
	ck_assert_int_eq(page_ref_count(p), 1);
	assert_ledger_balanced();
	ck_assert_int_eq(arena_destroy(a), 0);
	io_uring_queue_exit(&r1);
	io_uring_queue_exit(&r2);
	io_uring_queue_exit(&r3);
}
END_TEST

/* Registered + a source pin: the source pin still protects; destroy while registered leaks. */
START_TEST(uring_with_source_pin_and_leak)
{
	struct io_uring ring;
	struct page *p, *pinned;
	struct arena *a;

	unit_require(uring_missing());
	a = arena_create(2, 0);
	p = arena_page(a, arena_base(a));
	ck_assert_int_eq(io_uring_queue_init(2, &ring, 0), 0);
	ck_assert_int_eq(arena_register_uring(a, &ring), 0);
	ck_assert_int_eq(pin_user_pages_fast((unsigned long)arena_base(a), 1, 0, &pinned), 1);
	ck_assert(is_protected(p));
	unpin_user_page(pinned);	/* the short-term source pin goes first */
	ck_assert(!is_protected(p));
	ck_assert_int_eq(page_pins(p, PAGE_PIN_LONGTERM), 1);
	ck_assert_int_eq(arena_destroy(a), 2);	/* still registered: every page pinned */
	ck_assert_uint_eq(violations_of(LV_LEAK), 2);
	io_uring_queue_exit(&ring);
}
END_TEST

/*
 * Short-term pins and unpins racing io_uring registrations of the same arena
 * (the uring engine registers lazily, while I/O runs): no release may take the
 * other kind's pin, so every count is exact at the end.
 */
enum { RACE_PAGES = 32, RACE_PINNERS = 3, RACE_REGISTRATIONS = 40000 };

struct race_pinner {
	struct arena *a;
	atomic_bool *stop;
	unsigned long rounds;
	unsigned int errors;
};

static void *race_pinner(void *arg)
{
	struct race_pinner *w = arg;

	while (!atomic_load(w->stop)) {
		struct page *pages[RACE_PAGES];
		unsigned int flags = w->rounds & 1 ? FOLL_WRITE : 0;

		long got = pin_user_pages_fast((unsigned long)arena_base(w->a), RACE_PAGES,
					       flags, pages);

		if (got != RACE_PAGES) {
			w->errors++;
			break;
		}
		if (w->rounds & 2)
			unpin_user_pages_flags(pages, RACE_PAGES, flags, false);
		else
			unpin_user_pages(pages, RACE_PAGES);
		w->rounds++;
	}
	return NULL;
}

START_TEST(uring_register_races_short_pins)
{
	struct arena *a = arena_create(RACE_PAGES, 0);
	struct race_pinner w[RACE_PINNERS];
	pthread_t tid[RACE_PINNERS];
	atomic_bool stop = false;
	struct io_uring ring;
	struct ledger_stats st;
	unsigned long rounds = 0;
	int bad_register = 0;

	unit_require(uring_missing());
	ledger_set_mode(PIN_CHECK_OFF);	/* counting only: the race is in the counts */
	ck_assert_int_eq(io_uring_queue_init(2, &ring, 0), 0);
	for (int k = 0; k < RACE_PINNERS; k++) {
		w[k] = (struct race_pinner){ a, &stop, 0, 0 };
		ck_assert_int_eq(pthread_create(&tid[k], NULL, race_pinner, &w[k]), 0);
	}
	for (int n = 0; n < RACE_REGISTRATIONS; n++) {
		struct page *p = arena_page(a, (char *)arena_base(a) + n % RACE_PAGES * PAGE_SIZE);

		if (arena_register_uring(a, &ring) || page_pins(p, PAGE_PIN_LONGTERM) != 1 ||
		    arena_unregister_uring(a, &ring))
			bad_register++;
	}
	atomic_store(&stop, true);
	for (int k = 0; k < RACE_PINNERS; k++) {
		pthread_join(tid[k], NULL);
		ck_assert_uint_eq(w[k].errors, 0);
		rounds += w[k].rounds;
	}
	ck_assert_int_eq(bad_register, 0);
	ck_assert_uint_gt(rounds, 0);
	ledger_stats(&st);
	ck_assert_uint_eq(ledger_violation_total(&st), 0);
	ck_assert_uint_eq(st.longterm_acquired, (uint64_t)RACE_REGISTRATIONS * RACE_PAGES);
	ck_assert_uint_eq(st.longterm_released, (uint64_t)RACE_REGISTRATIONS * RACE_PAGES);
	ck_assert_uint_eq(st.pin_acquired, (rounds + RACE_REGISTRATIONS) * RACE_PAGES);
	ck_assert_uint_eq(st.pin_released, (rounds + RACE_REGISTRATIONS) * RACE_PAGES);
	for (int k = 0; k < RACE_PAGES; k++) {
		struct page *p = arena_page(a, (char *)arena_base(a) + k * PAGE_SIZE);

		ck_assert_uint_eq(atomic_load(&p->pins), 0);
		ck_assert_int_eq(page_ref_count(p), 1);
	}
	ck_assert_int_eq(arena_destroy(a), 0);
	io_uring_queue_exit(&ring);
}
END_TEST

/* ---- concurrency ---- */

struct alloc_worker {
	struct arena *a;
	unsigned int failures;
};

static void *alloc_worker(void *arg)
{
	struct alloc_worker *w = arg;
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	for (int n = 0; n < 20000; n++) {
		size_t len = 1 + rand_r(&seed) % 3;
		struct page *p = arena_alloc(w->a, len);
		struct page *pinned;

		if (!p) {
			w->failures++;
			continue;
		}
		if (n % 4 == 0) {
			/* pin, free while pinned (held back), unpin (handed back) */
			pin_user_pages_fast((unsigned long)page_address(p), 1, FOLL_WRITE, &pinned);
			arena_free(w->a, p, len);
			unpin_user_page(pinned);
		} else {
			arena_free(w->a, p, len);
		}
	}
	return NULL;
}

START_TEST(threads_alloc_free)
{
	struct arena *a = arena_create(16, 0);
	struct alloc_worker w[2] = { { a, 0 }, { a, 0 } };
	pthread_t tid[2];

	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&tid[k], NULL, alloc_worker, &w[k]), 0);
	for (int k = 0; k < 2; k++)
		pthread_join(tid[k], NULL);
	ck_assert_uint_eq(w[0].failures + w[1].failures, 0);
	ck_assert_uint_eq(arena_free_pages(a), 16);
	ck_assert_uint_eq(violations_of(LV_FREE_PINNED), 10000);
	ck_assert_uint_eq(violations_of(LV_REUSE_PINNED), 0);
	ck_assert_int_eq(arena_destroy(a), 0);
}
END_TEST

static Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc;

	tc = tcase_create("lifecycle");
	unit_fixture(tc);
	tcase_add_test(tc, create_geometry);
	tcase_add_test(tc, create_errors);
	tcase_add_test(tc, arena_slots);
	tcase_add_test(tc, dontfork_effective);
	tcase_add_test(tc, alloc_free_runs);
	tcase_add_test(tc, free_errors_warn);
	tcase_add_test(tc, destroy_reports_leaks);
	suite_add_tcase(s, tc);

	tc = tcase_create("pinned_pages");
	unit_fixture(tc);
	tcase_add_test(tc, free_while_pinned_is_held);
	tcase_add_test(tc, free_while_referenced_is_held);
	tcase_add_test(tc, reuse_pinned_reported);
	tcase_add_test(tc, threads_alloc_free);
	suite_add_tcase(s, tc);

	tc = tcase_create("check_mode");
	unit_fixture(tc);
	tcase_add_test(tc, write_to_source_pinned_caught);
	tcase_add_test(tc, extract_source_protects);
	tcase_add_test(tc, protection_follows_pins);
	tcase_add_test_raise_signal(tc, strict_write_aborts, SIGABRT);
	tcase_add_test(tc, check_off_does_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("io_uring"); /* each test skips where io_uring is missing */
	unit_fixture(tc);
	tcase_add_test(tc, uring_register_longterm);
	tcase_add_test(tc, uring_with_source_pin_and_leak);
	tcase_add_test(tc, uring_register_races_short_pins);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(arena_suite());
}
