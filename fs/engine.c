// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Engine registry (engine.h).
 */
#include <string.h>

#include "engine.h"

static const struct pinfs_engine *const engines[] = {
	&engine_sync,
	&engine_uring,
};

const struct pinfs_engine *engine_find(const char *name)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}
