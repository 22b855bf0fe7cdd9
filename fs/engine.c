// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Engine registry (engine.h).
 */
#include "engine.h"

static const struct pinfs_engine *const engines[] = {
	[ENGINE_MODE_SYNC] = &engine_sync,
	[ENGINE_MODE_URING] = &engine_uring,
};

const struct pinfs_engine *engine_get(enum engine_mode mode)
{
	return engines[mode];
}
