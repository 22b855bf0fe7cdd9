/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Data patterns (spec §5 "verification convention").
 *
 * Every 8-byte word of a file block or buffer carries (file id, offset, generation) and a check
 * byte, so a wrong byte can be traced to where it came from:
 *
 *	bits 63..56  check: a hash of the rest, top bit set (a pattern word is never zero)
 *	bits 55..44  fid   (12 bits; FID_* below for data that is not file data)
 *	bits 43..32  gen   (12 bits, compared modulo 4096)
 *	bits 31..0   off / 8 (the pattern's offset axis, usually the file offset)
 *
 * Byte i of a region that starts at pattern offset @off is byte ((off + i) & 7) of the word for
 * ((off + i) & ~7), so any offset and length work, aligned or not.
 */
#ifndef FORKSTRESS_PATTERN_H
#define FORKSTRESS_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Authors that are not a file; file ids are 1 .. FID_FILE_MAX. */
#define FID_FILE_MAX 0xf00u
#define FID_PREFILL 0xff0u /* a buffer's contents before the I/O: seeing it = stale */
#define FID_CHILD 0xff1u /* written by a forked child: seeing it = child's data */
#define FID_PARENT 0xff2u /* written by the parent beside the I/O range (spec §5 #3 thread C) */

enum pat_class {
	PAT_STALE, /* the location's older contents: prefill or an older generation */
	PAT_CHILD, /* data a child wrote */
	PAT_ZERO, /* zero-filled */
	PAT_GARBAGE, /* anything else: unknown bytes, or a pattern of another place */
	PAT_LEAK, /* (observer is a child) data the parent produced after fork */
};

/* What a region may hold: any of the alternatives, byte by byte. */
struct pat_expect {
	uint64_t off; /* pattern offset of byte 0 */
	unsigned int nalt;
	struct {
		unsigned int fid, gen;
	} alt[4];
	bool zero_ok; /* zero bytes are acceptable too */
	struct {
		unsigned int fid, gen; /* the location's current generation, when it is not */
	} current; /* one of the alternatives (e.g. zeros written over gen 1) */
	bool observer_child; /* checked inside a child: foreign patterns are a leak */
};

struct pat_origin {
	bool valid;
	unsigned int fid, gen;
	uint64_t off;
};

struct pat_mismatch {
	size_t index; /* first bad byte: buf + index */
	uint64_t pat_off; /* its pattern (file) offset */
	size_t page_off; /* (address of the bad byte) % page size */
	size_t bad_bytes; /* bytes of bad pattern words in the whole region */
	size_t run; /* bytes of the first run of bad words */
	uint8_t got, want;
	enum pat_class cls;
	struct pat_origin origin; /* the decoded word around the first bad byte */
};

uint64_t pattern_word(unsigned int fid, unsigned int gen, uint64_t off);
void pattern_fill(void *buf, size_t len, uint64_t off, unsigned int fid, unsigned int gen);
bool pattern_decode(uint64_t word, struct pat_origin *o);

/* A single-alternative expectation. */
struct pat_expect pat_exp(uint64_t off, unsigned int fid, unsigned int gen);
/* Add an alternative; returns @e for chaining. */
struct pat_expect *pat_or(struct pat_expect *e, unsigned int fid, unsigned int gen);

/*
 * Check @len bytes at @buf against @e. Returns true when every byte is acceptable; otherwise
 * fills @m (first bad byte, page offset, class, decoded origin, counts) and returns false.
 * Mismatches are reported per pattern word (see pattern.c).
 */
bool pattern_check(const void *buf, size_t len, const struct pat_expect *e, struct pat_mismatch *m);

/* One line: "first bad byte buf+0x200 (page off 0x200, file off 0x8200): stale (prefill gen 7),
 * 512 bad bytes in a run of 512, 3584 in all". Returns @out. */
char *pattern_describe(const struct pat_mismatch *m, const struct pat_expect *e, char *out,
		       size_t len);

/*
 * Read back the first description pattern_describe() wrote into @text, whatever a scenario wrote
 * around it: class, offsets, counts, and the decoded origin (or, for garbage that decodes to
 * nothing, the bad byte and the wanted one). Returns false when @text holds none. The report
 * uses it to carry the class as JSON fields (report.c).
 */
bool pattern_parse_description(const char *text, struct pat_mismatch *m);

const char *pat_class_name(enum pat_class c);
/* "prefill", "child", "parent write" or "file N" (in @tmp). */
const char *pattern_fid_name(unsigned int fid, char *tmp, size_t len);
/* The class as a JSON value: "stale", "child", "zero", "garbage", "leak". */
const char *pat_class_key(enum pat_class c);

#endif
