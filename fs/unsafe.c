// SPDX-License-Identifier: GPL-2.0-or-later
/* The unsafe-mode switch (unsafe.h); built only with -Dunsafe_modes=true. */
#include <stdatomic.h>
#include <stdio.h>

#include "unsafe.h"

static enum unsafe_mode active_mode = UNSAFE_NONE;
static atomic_uint leak_counter;

void unsafe_set(enum unsafe_mode mode)
{
	active_mode = mode;
	if (mode != UNSAFE_NONE)
		fprintf(stderr, "pinfs: WARNING: unsafe mode %d is active: data is NOT safe\n", mode);
}

bool unsafe_active(enum unsafe_mode mode)
{
	return active_mode == mode;
}

bool unsafe_skip_unpin(void)
{
	return active_mode == UNSAFE_LEAK && atomic_fetch_add(&leak_counter, 1) % 16 == 15;
}
