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

/* Count a warning for @site; returns true so it can be used as WARN_ON(). */
bool pinit_warn(const struct pinit_site *site, const char *what);

/* Log "BUG: @what" with @site and abort(). */
__attribute__((noreturn)) void pinit_bug(const struct pinit_site *site, const char *what);

/* Warnings counted since start (or since the last pinit_warn_reset()). */
uint64_t pinit_warn_count(void);

/*
 * Copy the most recent warning into @w; false if there has been none since the
 * last reset.
 */
bool pinit_warn_last(struct pinit_warning *w);

/* Zero the counter and forget the last warning (tests). */
void pinit_warn_reset(void);

/* Silence (or restore) the stderr log; counting continues. */
void pinit_warn_set_quiet(bool quiet);

#define PINIT_WARN_ON(cond, site) ((cond) ? pinit_warn((site), #cond) : false)

#endif
