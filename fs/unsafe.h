/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The deliberately broken data paths (-o unsafe=MODE), compiled only with
 * -Dunsafe_modes=true. They exist so the stress suite can show that each of
 * its detectors fires (docs/pinning.md, "Which proof each scenario has"). In a normal build
 * every test here is a compile-time false and the code paths vanish.
 */
#ifndef PINFS_UNSAFE_H
#define PINFS_UNSAFE_H

#include <stdbool.h>

#include "config.h"
#include "options.h"

#if PINFS_UNSAFE_MODES
void unsafe_set(enum unsafe_mode mode);
bool unsafe_active(enum unsafe_mode mode);
/* UNSAFE_LEAK: true for every 16th O_DIRECT syscall, whose pins are never released. */
bool unsafe_skip_unpin(void);
#else
static inline void unsafe_set(enum unsafe_mode mode)
{
}

static inline bool unsafe_active(enum unsafe_mode mode)
{
	return false;
}

static inline bool unsafe_skip_unpin(void)
{
	return false;
}
#endif

#endif
