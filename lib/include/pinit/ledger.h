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

#include "ledger_violations.h"	/* enum ledger_violation: the kinds, one list */
#include "page.h"
#include "site.h"

enum pin_tag {
	PIN_TAG_GET,		/* FOLL_GET reference; release with put_page() */
	PIN_TAG_PIN,		/* FOLL_PIN; release with unpin_user_page*() */
	PIN_TAG_PIN_LONGTERM,	/* FOLL_PIN | FOLL_LONGTERM; release with unpin */
	PIN_TAG_LISTED,		/* listed by extract on a non-user iterator; nothing to release */
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

void ledger_set_mode(enum pin_check mode);
enum pin_check ledger_mode(void);

/* Snapshot the counters (each read atomically; the set is not a consistent cut). */
void ledger_stats(struct ledger_stats *st);

/* Sum of violations[] in @st. */
uint64_t ledger_violation_total(const struct ledger_stats *st);

/* Copy the most recent report; false if none since the last reset. */
bool ledger_last_report(struct ledger_report *r);

/* Record a violation (used by the library; exposed for the daemon's own checks). */
void ledger_report(enum ledger_violation kind, struct page *page, const struct pinit_site *site);

/*
 * Report every page that still has GETs or pins outstanding as LV_LEAK; returns
 * the number of leaked pages. The daemon calls this at unmount; tests call it at
 * their end.
 */
#define ledger_check_leaks() _ledger_check_leaks(PINIT_SITE)
long _ledger_check_leaks(const struct pinit_site *site);

/* Install the pthread_atfork() prepare check (P-3). Idempotent. */
void ledger_install_atfork_check(void);

/* Zero counters and reports (tests). */
void ledger_reset(void);

/* Human-readable name of a violation kind. */
const char *ledger_violation_name(enum ledger_violation kind);

/* Silence (or restore) the stderr log of violations; counting continues. */
void ledger_set_quiet(bool quiet);

/* Internal accounting hooks used by gup.c and the iterators. */
void ledger_count_acquire(enum pin_tag tag, long npages);
void ledger_count_release(enum pin_tag tag, long npages);
void ledger_count_dirtied(void);

#endif
