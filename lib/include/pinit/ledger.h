/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pin ledger (spec §2.6 P-1 … P-5, §1.11 M-3).
 *
 * Every page handed out carries a tag saying how it was obtained. The ledger
 * counts acquisitions and releases like /proc/vmstat's nr_foll_pin_* (per page),
 * checks that each release matches an acquisition, and reports violations with
 * the site that detected them and the site of the page's last acquisition.
 *
 * The hot path takes no global lock: counters are relaxed atomics, and per-page
 * state lives in the page descriptor.
 */
#ifndef PINIT_LEDGER_H
#define PINIT_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "page.h"
#include "site.h"

enum pin_tag {
	PIN_TAG_GET,		/* FOLL_GET reference; release with put_page() */
	PIN_TAG_PIN,		/* FOLL_PIN; release with unpin_user_page*() */
	PIN_TAG_PIN_LONGTERM,	/* FOLL_PIN | FOLL_LONGTERM; release with unpin */
	PIN_TAG_LISTED,		/* listed by extract on a non-user iterator; nothing to release */
};

enum ledger_violation {
	LV_UNPIN_UNPINNED,	/* unpin with no pin of its kind outstanding (double unpin) */
	LV_PUT_UNREFERENCED,	/* put_page() with no GET outstanding */
	LV_PUT_PINNED,		/* put_page() of a page held only by pins (release mismatch) */
	LV_LEAK,		/* GET or pin still outstanding at a teardown check */
	LV_REUSE_PINNED,	/* a pinned page handed out again (arena allocation) */
	LV_FREE_PINNED,		/* a pinned page returned to its arena */
	LV_WRITE_SOURCE_PINNED,	/* a write to a page pinned as an I/O source (check mode) */
	LV_FORK_UNPROTECTED,	/* fork() with GET/pinned pages outside DONTFORK memory (P-3) */
	LV_NR_KINDS
};

enum pin_check {
	PIN_CHECK_OFF,		/* no checks beyond counting; nothing protected */
	PIN_CHECK_ON,		/* violations counted and logged */
	PIN_CHECK_STRICT,	/* any violation logs and aborts */
};

struct ledger_report {
	enum ledger_violation kind;
	uintptr_t page;			/* page address (0 if none) */
	const struct pinit_site *site;	/* where it was detected */
	struct pin_owner owner;		/* last acquisition of the page */
	int refcount, pincount, gets;	/* page counts when detected */
};

struct ledger_stats {
	uint64_t pin_acquired;		/* nr_foll_pin_acquired: pages pinned */
	uint64_t pin_released;		/* nr_foll_pin_released */
	uint64_t longterm_acquired;	/* of pin_acquired: FOLL_LONGTERM pins */
	uint64_t longterm_released;	/* of pin_released: FOLL_LONGTERM pins */
	uint64_t get_acquired;		/* FOLL_GET references taken */
	uint64_t get_released;
	uint64_t listed;		/* pages listed without a reference */
	uint64_t dirtied;		/* clean pages marked dirty (set_page_dirty_lock) */
	uint64_t violations[LV_NR_KINDS];
};

/**
 * ledger_set_mode() - choose how much the ledger checks
 * @mode: enum pin_check (the default is PIN_CHECK_ON)
 *
 * Context: Any thread; lock-free.
 */
void ledger_set_mode(enum pin_check mode);

/**
 * ledger_mode() - the current mode
 *
 * Context: Any thread; lock-free.
 * Return: the enum pin_check in force.
 */
enum pin_check ledger_mode(void);

/**
 * ledger_stats() - snapshot the counters
 * @st: receives them
 *
 * Context: Any thread; lock-free. Each counter is read atomically; the set is
 * not a consistent cut.
 */
void ledger_stats(struct ledger_stats *st);

/**
 * ledger_violation_total() - all violations in a snapshot
 * @st: from ledger_stats()
 *
 * Context: Any thread.
 * Return: the sum of @st->violations.
 */
uint64_t ledger_violation_total(const struct ledger_stats *st);

/**
 * ledger_last_report() - the most recent violation
 * @r: receives it
 *
 * Context: Any thread; takes the ledger's last_lock.
 * Return: true, or false if there was none since the last reset.
 */
bool ledger_last_report(struct ledger_report *r);

/**
 * ledger_report() - record a violation
 * @kind: what
 * @page: the page concerned, or NULL
 * @site: where it was detected
 *
 * Counts it, keeps it as the last report, and logs one line to stderr unless
 * quiet. Used by the library; exposed for the daemon's own checks.
 *
 * Context: Any thread, also the SIGSEGV trap; takes the ledger's last_lock.
 * In PIN_CHECK_STRICT it logs even when quiet, then aborts the process.
 */
void ledger_report(enum ledger_violation kind, struct page *page, const struct pinit_site *site);

/**
 * ledger_check_leaks() - report every page still referenced or pinned
 *
 * Each page with GETs or pins outstanding is reported as LV_LEAK. The daemon
 * calls this at unmount; tests call it at their end.
 *
 * Context: Any thread; lock-free walk of every descriptor, so a page taken
 * meanwhile by another thread is reported too. In PIN_CHECK_STRICT a leak
 * aborts the process.
 * Return: the number of pages reported.
 */
#define ledger_check_leaks() _ledger_check_leaks(PINIT_SITE)
long _ledger_check_leaks(const struct pinit_site *site);

/**
 * ledger_install_atfork_check() - check every fork() (P-3)
 *
 * Installs a pthread_atfork() prepare handler that, unless the mode is
 * PIN_CHECK_OFF, reports each page with GETs or pins outstanding outside
 * DONTFORK or WIPEONFORK memory as LV_FORK_UNPROTECTED. Idempotent.
 *
 * Context: Any thread. The handler then runs in every thread that forks and
 * reads /proc/self/smaps for non-arena pages.
 */
void ledger_install_atfork_check(void);

/**
 * ledger_reset() - zero the counters and forget the last report
 *
 * Context: For tests, with no I/O in flight.
 */
void ledger_reset(void);

/**
 * ledger_violation_name() - a violation kind in words
 * @kind: the kind
 *
 * Context: Any thread.
 * Return: a static string; "unknown violation" for a kind out of range.
 */
const char *ledger_violation_name(enum ledger_violation kind);

/**
 * ledger_set_quiet() - silence (or restore) the stderr log of violations
 * @quiet: true to silence
 *
 * Counting continues; PIN_CHECK_STRICT logs regardless.
 *
 * Context: Any thread.
 */
void ledger_set_quiet(bool quiet);

/**
 * ledger_count_acquire() - count @npages pages acquired with @tag
 * @tag: how they were taken
 * @npages: how many
 *
 * The accounting hook of gup.c and the iterators: acquiring code calls it, and
 * ledger_count_release() on release, so the counters follow nr_foll_pin_*.
 *
 * Context: Any thread; lock-free.
 */
void ledger_count_acquire(enum pin_tag tag, long npages);

/**
 * ledger_count_release() - count @npages pages released that were taken with @tag
 * @tag: how they were taken (LISTED pages are never released)
 * @npages: how many
 *
 * Context: Any thread; lock-free.
 */
void ledger_count_release(enum pin_tag tag, long npages);

/**
 * ledger_count_dirtied() - count one clean page made dirty
 *
 * Context: Any thread; lock-free.
 */
void ledger_count_dirtied(void);

#endif
