// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pin ledger: counters, violation reports, the teardown leak check and the
 * fork check (spec §2.6 P-3, P-5; §1.11 M-3).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "pinit/ledger.h"

enum {
	CNT_PIN_ACQ,
	CNT_PIN_REL,
	CNT_GET_ACQ,
	CNT_GET_REL,
	CNT_LISTED,
	CNT_DIRTIED,
	CNT_LONGTERM_ACQ,
	CNT_LONGTERM_REL,
	NR_COUNTERS
};

static atomic_uint_fast64_t counters[NR_COUNTERS];
static atomic_uint_fast64_t violations[LV_NR_KINDS];
static _Atomic enum pin_check mode = PIN_CHECK_ON;
static atomic_bool quiet;

/*
 * Guards last and have_last. Lock order: innermost, nothing under it; taken
 * under the arena's lock, and in the SIGSEGV trap (arena_handle_fault()), so
 * nothing may write an arena page holding it.
 */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ledger_report last;
static bool have_last;

static const char *const violation_names[LV_NR_KINDS] = {
	[LV_UNPIN_UNPINNED] = "unpin of a pin the page does not hold",
	[LV_PUT_UNREFERENCED] = "put_page of a page with no reference taken",
	[LV_PUT_PINNED] = "put_page of a pinned page (release does not match acquisition)",
	[LV_LEAK] = "reference or pin leaked",
	[LV_REUSE_PINNED] = "pinned page handed out again",
	[LV_FREE_PINNED] = "pinned page freed to its arena",
	[LV_WRITE_SOURCE_PINNED] = "write to a page pinned as an I/O source",
	[LV_FORK_UNPROTECTED] = "fork with referenced or pinned pages outside DONTFORK memory",
};

const char *ledger_violation_name(enum ledger_violation kind)
{
	return kind < LV_NR_KINDS ? violation_names[kind] : "unknown violation";
}

void ledger_set_mode(enum pin_check m)
{
	atomic_store(&mode, m);
}

enum pin_check ledger_mode(void)
{
	return atomic_load_explicit(&mode, memory_order_relaxed);
}

void ledger_set_quiet(bool q)
{
	atomic_store(&quiet, q);
}

static enum pin_tag counted_tag(enum pin_tag tag)
{
	return tag == PIN_TAG_PIN_LONGTERM ? PIN_TAG_PIN : tag;
}

void ledger_count_acquire(enum pin_tag tag, long npages)
{
	static const int which[] = { [PIN_TAG_GET] = CNT_GET_ACQ, [PIN_TAG_PIN] = CNT_PIN_ACQ,
				     [PIN_TAG_LISTED] = CNT_LISTED };

	atomic_fetch_add_explicit(&counters[which[counted_tag(tag)]], npages,
				  memory_order_relaxed);
	if (tag == PIN_TAG_PIN_LONGTERM)
		atomic_fetch_add_explicit(&counters[CNT_LONGTERM_ACQ], npages, memory_order_relaxed);
}

void ledger_count_release(enum pin_tag tag, long npages)
{
	int which = counted_tag(tag) == PIN_TAG_GET ? CNT_GET_REL : CNT_PIN_REL;

	if (tag != PIN_TAG_LISTED)
		atomic_fetch_add_explicit(&counters[which], npages, memory_order_relaxed);
	if (tag == PIN_TAG_PIN_LONGTERM)
		atomic_fetch_add_explicit(&counters[CNT_LONGTERM_REL], npages, memory_order_relaxed);
}

void ledger_count_dirtied(void)
{
	atomic_fetch_add_explicit(&counters[CNT_DIRTIED], 1, memory_order_relaxed);
}

void ledger_stats(struct ledger_stats *st)
{
	st->pin_acquired = atomic_load(&counters[CNT_PIN_ACQ]);
	st->pin_released = atomic_load(&counters[CNT_PIN_REL]);
	st->get_acquired = atomic_load(&counters[CNT_GET_ACQ]);
	st->get_released = atomic_load(&counters[CNT_GET_REL]);
	st->listed = atomic_load(&counters[CNT_LISTED]);
	st->dirtied = atomic_load(&counters[CNT_DIRTIED]);
	st->longterm_acquired = atomic_load(&counters[CNT_LONGTERM_ACQ]);
	st->longterm_released = atomic_load(&counters[CNT_LONGTERM_REL]);
	for (int k = 0; k < LV_NR_KINDS; k++)
		st->violations[k] = atomic_load(&violations[k]);
}

uint64_t ledger_violation_total(const struct ledger_stats *st)
{
	uint64_t total = 0;

	for (int k = 0; k < LV_NR_KINDS; k++)
		total += st->violations[k];
	return total;
}

bool ledger_last_report(struct ledger_report *r)
{
	bool have;

	pthread_mutex_lock(&last_lock);
	have = have_last;
	if (have)
		*r = last;
	pthread_mutex_unlock(&last_lock);
	return have;
}

static void site_text(char *buf, size_t len, const struct pinit_site *site)
{
	if (site)
		snprintf(buf, len, "%s:%d (%s)", site->file, site->line, site->func);
	else
		snprintf(buf, len, "unknown site");
}

/*
 * One line per violation, written with a single write(2) so that it can be
 * emitted from the fault trap and does not interleave with other threads.
 */
void ledger_log(const struct ledger_report *r)
{
	char line[512], at[192], owner[192];
	int n;

	site_text(at, sizeof(at), r->site);
	site_text(owner, sizeof(owner), r->owner.site);
	n = snprintf(line, sizeof(line),
		     "pinit: pin ledger: %s: page %#lx at %s; last acquired at %s by tid %d "
		     "(refcount %d, pins %d, gets %d)\n",
		     ledger_violation_name(r->kind), (unsigned long)r->page, at,
		     r->owner.site ? owner : "-", r->owner.tid, r->refcount, r->pincount, r->gets);
	if (n > (int)sizeof(line))
		n = sizeof(line);
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void ledger_report(enum ledger_violation kind, struct page *page, const struct pinit_site *site)
{
	struct ledger_report r = { .kind = kind, .site = site };

	if (page) {
		r.page = page->addr;
		r.owner = page_owner(page);
		r.refcount = page_ref_count(page);
		r.pincount = page_pincount(page);
		r.gets = atomic_load(&page->gets);
	}
	atomic_fetch_add(&violations[kind], 1);
	pthread_mutex_lock(&last_lock);
	last = r;
	have_last = true;
	pthread_mutex_unlock(&last_lock);
	if (!atomic_load(&quiet) || ledger_mode() == PIN_CHECK_STRICT)
		ledger_log(&r);
	if (ledger_mode() == PIN_CHECK_STRICT)
		abort();
}

static bool page_held(const struct page *page)
{
	return atomic_load(&page->gets) > 0 || atomic_load(&page->pins);
}

struct leak_walk {
	const struct pinit_site *site;
	long leaked;
};

static int report_leak(struct page *page, void *arg)
{
	struct leak_walk *w = arg;

	if (page_held(page)) {
		w->leaked++;
		ledger_report(LV_LEAK, page, w->site);
	}
	return 0;
}

long _ledger_check_leaks(const struct pinit_site *site)
{
	struct leak_walk w = { site, 0 };

	for_each_page(report_leak, &w);
	return w.leaked;
}

/* ---- P-3: the fork check ---- */

static int check_fork_page(struct page *page, void *arg)
{
	static const struct pinit_site fork_site = { "pthread_atfork", "fork", 0 };
	bool is_protected;

	if (!page_held(page))
		return 0;
	if (atomic_load(&page->flags) & PG_arena)
		is_protected = arena_page_fork_protected(page);
	else
		is_protected = region_fork_protected(page->addr);
	if (!is_protected)
		ledger_report(LV_FORK_UNPROTECTED, page, &fork_site);
	return 0;
}

static void atfork_prepare(void)
{
	if (ledger_mode() != PIN_CHECK_OFF)
		for_each_page(check_fork_page, NULL);
}

static void atfork_install(void)
{
	pthread_atfork(atfork_prepare, NULL, NULL);
}

void ledger_install_atfork_check(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, atfork_install);
}

/*
 * Is @addr in a mapping that fork() does not share: VmFlags "dc" (DONTFORK) or
 * "wf" (WIPEONFORK) in /proc/self/smaps.
 */
bool region_fork_protected(uintptr_t addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool inside = false, found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			inside = addr >= start && addr < end;
			continue;
		}
		if (inside && !strncmp(line, "VmFlags:", 8)) {
			found = strstr(line, " dc") || strstr(line, " wf");
			break;
		}
	}
	fclose(f);
	return found;
}

void ledger_reset(void)
{
	for (int c = 0; c < NR_COUNTERS; c++)
		atomic_store(&counters[c], 0);
	for (int k = 0; k < LV_NR_KINDS; k++)
		atomic_store(&violations[k], 0);
	pthread_mutex_lock(&last_lock);
	have_last = false;
	pthread_mutex_unlock(&last_lock);
}
