// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-operation counters (opstats.h).
 */
#include "opstats.h"

static const char *const op_names[PINFS_OP_NR] = {
#define PINFS_STAT_NAME(id, name) [PINFS_OP_##id] = name,
	PINFS_STAT_OPS(PINFS_STAT_NAME)
#undef PINFS_STAT_NAME
};

const char *opstats_name(enum pinfs_stat_op op)
{
	return op < PINFS_OP_NR ? op_names[op] : "?";
}

static unsigned long long load(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

void opstats_print(struct pinfs_stats *s, FILE *out)
{
	fprintf(out, "pinfs: %-16s %12s %10s\n", "operation", "calls", "errors");
	for (int op = 0; op < PINFS_OP_NR; op++) {
		unsigned long long calls = load(&s->calls[op]);

		if (calls)
			fprintf(out, "pinfs: %-16s %12llu %10llu\n", op_names[op], calls,
				load(&s->errors[op]));
	}
	fprintf(out, "pinfs: bytes read %llu, written %llu\n", load(&s->bytes_read),
		load(&s->bytes_written));
	fprintf(out, "pinfs: write payloads page-aligned %llu, unaligned %llu\n",
		load(&s->write_payload_aligned), load(&s->write_payload_unaligned));
	fprintf(out, "pinfs: capability cache hits %llu, handle reopens %llu, fd evictions %llu\n",
		load(&s->caps_cache_hits), load(&s->handle_reopens), load(&s->fd_evictions));
}
