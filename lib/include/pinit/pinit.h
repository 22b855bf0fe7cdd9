/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpinit: everything. See docs/libpinit.md. */
#ifndef PINIT_PINIT_H
#define PINIT_PINIT_H

#include "site.h"
#include "warn.h"
#include "alloc.h"
#include "page.h"
#include "gup.h"
#include "ledger.h"
#include "arena.h"
#include "uio.h"

#endif
