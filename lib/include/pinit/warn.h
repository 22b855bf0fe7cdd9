/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * WARN and BUG, the userspace way (spec §1.11 M-2).
 *
 * A WARN site returns whatever the kernel returns there and counts one warning
 * with the call site; tests assert the count is zero. The first warning from
 * each of the first 64 distinct sites is logged to stderr; everything else is
 * only counted. A BUG site logs and
 * abort()s: the model never "fixes up" a state the kernel treats as fatal.
 */
#ifndef PINIT_WARN_H
#define PINIT_WARN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "site.h"

struct pinit_warning {
	const struct pinit_site *site;	/* caller of the library entry point */
	const char *what;		/* the condition, as in WARN_ON(cond) */
};

/**
 * pinit_warn() - count a warning
 * @site: the caller of the library entry point
 * @what: the condition, as in WARN_ON(cond)
 *
 * Logged to stderr if it is the first from @site among the first 64 sites,
 * and the log is not quiet.
 *
 * Context: Any thread; takes warn_lock.
 * Return: true, so that it can stand for WARN_ON()'s value.
 */
bool pinit_warn(const struct pinit_site *site, const char *what);

/**
 * pinit_bug() - log "BUG: @what" with @site and abort()
 * @site: the caller of the library entry point
 * @what: the condition
 *
 * Context: Any thread. Does not return.
 */
__attribute__((noreturn)) void pinit_bug(const struct pinit_site *site, const char *what);

/**
 * pinit_warn_count() - warnings counted since start or the last reset
 *
 * Context: Any thread; lock-free.
 * Return: the count.
 */
uint64_t pinit_warn_count(void);

/**
 * pinit_warn_last() - the most recent warning
 * @w: receives it
 *
 * Context: Any thread; takes warn_lock.
 * Return: true, or false if there was none since the last reset.
 */
bool pinit_warn_last(struct pinit_warning *w);

/**
 * pinit_warn_reset() - zero the counter, forget the last warning and the
 * sites already logged
 *
 * Context: For tests; takes warn_lock.
 */
void pinit_warn_reset(void);

/**
 * pinit_warn_set_quiet() - silence (or restore) the stderr log
 * @quiet: true to silence
 *
 * Counting continues.
 *
 * Context: Any thread.
 */
void pinit_warn_set_quiet(bool quiet);

/* WARN_ON(): true if @cond holds, after counting a warning for @site. */
#define PINIT_WARN_ON(cond, site) ((cond) ? pinit_warn((site), #cond) : false)

#endif
