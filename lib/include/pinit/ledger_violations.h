/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pin ledger's violation kinds (ledger.h; spec §2.6 P-1 … P-5), alone so
 * that the control socket's protocol (fs/ctl_proto.h) names them without the
 * page model.
 */
#ifndef PINIT_LEDGER_VIOLATIONS_H
#define PINIT_LEDGER_VIOLATIONS_H

/*
 * The violation kinds, an entry each: X(ID, key, description). LV_ID is the
 * constant, key the kind's name on the control socket (docs/control.md
 * "stats"), description what the ledger logs. Every table of kinds is made
 * from this list, so adding a kind is adding an entry here. WRITE_SOURCE_PINNED
 * is seen in check mode only; FORK_UNPROTECTED is P-3's check.
 */
#define LEDGER_VIOLATIONS(X)								\
	X(UNPIN_UNPINNED, unpin_unpinned, "unpin of a pin the page does not hold")	\
	X(PUT_UNREFERENCED, put_unreferenced, "put_page of a page with no reference taken") \
	X(PUT_PINNED, put_pinned,							\
	  "put_page of a pinned page (release does not match acquisition)")		\
	X(LEAK, leak, "reference or pin leaked")					\
	X(REUSE_PINNED, reuse_pinned, "pinned page handed out again")			\
	X(FREE_PINNED, free_pinned, "pinned page freed to its arena")			\
	X(WRITE_SOURCE_PINNED, write_source_pinned,					\
	  "write to a page pinned as an I/O source")					\
	X(FORK_UNPROTECTED, fork_unprotected,						\
	  "fork with referenced or pinned pages outside DONTFORK memory")

#define LEDGER_VIOLATION_ENUM(id, key, description) LV_##id,
enum ledger_violation {
	LEDGER_VIOLATIONS(LEDGER_VIOLATION_ENUM)
	LV_NR_KINDS
};
#undef LEDGER_VIOLATION_ENUM

#endif
