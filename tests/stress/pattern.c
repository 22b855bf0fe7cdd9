// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Data patterns and the checker (spec §5 "verification convention"). See pattern.h for the
 * word layout.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"

static uint8_t check_byte(unsigned int fid, unsigned int gen, uint64_t offw)
{
	uint64_t x = ((uint64_t)fid << 44) ^ ((uint64_t)gen << 32) ^ offw;

	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	return (uint8_t)(x >> 56) | 0x80;
}

uint64_t pattern_word(unsigned int fid, unsigned int gen, uint64_t off)
{
	uint64_t offw = (off >> 3) & 0xffffffffull;

	fid &= 0xfff;
	gen &= 0xfff;
	return (uint64_t)check_byte(fid, gen, offw) << 56 | (uint64_t)fid << 44 |
	       (uint64_t)gen << 32 | offw;
}

bool pattern_decode(uint64_t word, struct pat_origin *o)
{
	unsigned int fid = (word >> 44) & 0xfff, gen = (word >> 32) & 0xfff;
	uint64_t offw = word & 0xffffffffull;

	o->valid = fid != 0 && (uint8_t)(word >> 56) == check_byte(fid, gen, offw);
	o->fid = fid;
	o->gen = gen;
	o->off = offw << 3;
	return o->valid;
}

/* Byte @k (0..7) of a word as it sits in memory (little-endian, as written by memcpy). */
static uint8_t word_byte(uint64_t w, unsigned int k)
{
	uint8_t b[8];

	memcpy(b, &w, 8);
	return b[k];
}

void pattern_fill(void *buf, size_t len, uint64_t off, unsigned int fid, unsigned int gen)
{
	uint8_t *p = buf;
	size_t i = 0;

	/* head up to a word boundary of the pattern axis */
	while (i < len && ((off + i) & 7)) {
		p[i] = word_byte(pattern_word(fid, gen, off + i), (off + i) & 7);
		i++;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w = pattern_word(fid, gen, off + i);

		memcpy(p + i, &w, 8);
	}
	for (; i < len; i++)
		p[i] = word_byte(pattern_word(fid, gen, off + i), (off + i) & 7);
}

struct pat_expect pat_exp(uint64_t off, unsigned int fid, unsigned int gen)
{
	struct pat_expect e = {.off = off, .nalt = 1};

	e.alt[0].fid = fid;
	e.alt[0].gen = gen;
	return e;
}

struct pat_expect *pat_or(struct pat_expect *e, unsigned int fid, unsigned int gen)
{
	if (e->nalt < sizeof(e->alt) / sizeof(e->alt[0])) {
		e->alt[e->nalt].fid = fid;
		e->alt[e->nalt].gen = gen;
		e->nalt++;
	}
	return e;
}

static bool byte_ok(const struct pat_expect *e, const uint64_t *want, uint8_t got, unsigned int k)
{
	if (got == 0 && e->zero_ok)
		return true;
	for (unsigned int a = 0; a < e->nalt; a++)
		if (word_byte(want[a], k) == got)
			return true;
	return false;
}

/* Is @gen older than every alternative of @fid, and than e->current (modulo 4096)? */
static bool older_than_expected(const struct pat_expect *e, unsigned int fid, unsigned int gen)
{
	bool any = false;

	if (e->current.fid == fid) {
		unsigned int d = (e->current.gen - gen) & 0xfff;

		if (d == 0 || d >= 2048)
			return false;
		any = true;
	}

	for (unsigned int a = 0; a < e->nalt; a++) {
		unsigned int d;

		if (e->alt[a].fid != fid)
			continue;
		any = true;
		d = (e->alt[a].gen - gen) & 0xfff;
		if (d == 0 || d >= 2048)
			return false;
	}
	return any;
}

static void classify(const uint8_t *buf, size_t len, const struct pat_expect *e,
		     struct pat_mismatch *m)
{
	uint64_t po = m->pat_off, wo = po & ~7ull;
	size_t back = po - wo;
	uint64_t word;

	m->origin.valid = false;
	if (m->index < back || m->index - back + 8 > len) {
		/* the word is cut by the region edge: judge the byte alone */
		m->cls = m->got == 0 ? PAT_ZERO : PAT_GARBAGE;
		return;
	}
	memcpy(&word, buf + m->index - back, 8);
	if (word == 0) {
		m->cls = PAT_ZERO;
		return;
	}
	if (!pattern_decode(word, &m->origin)) {
		m->cls = PAT_GARBAGE;
		return;
	}
	if (m->origin.fid == FID_CHILD)
		m->cls = PAT_CHILD;
	else if (m->origin.fid == FID_PREFILL && !e->observer_child)
		m->cls = PAT_STALE;
	else if (m->origin.off == wo && older_than_expected(e, m->origin.fid, m->origin.gen))
		m->cls = PAT_STALE;
	else if (e->observer_child)
		m->cls = PAT_LEAK;
	else
		m->cls = PAT_GARBAGE;
}

/*
 * Bytes are compared one by one (alternatives may mix within a word, e.g. a torn write), but a
 * mismatch is reported per pattern word: a wrong word can agree with the right one in a byte or
 * two by chance, and "the word at file offset X is stale" is what a reader wants to know. So the
 * first bad byte is the first byte of the first bad word (clipped to the region), and the counts
 * are the bytes of bad words.
 */
bool pattern_check(const void *buf, size_t len, const struct pat_expect *e, struct pat_mismatch *m)
{
	const uint8_t *p = buf;
	uint64_t want[4];
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	bool found = false, in_run = false;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < len;) {
		uint64_t wo = (e->off + i) & ~7ull;
		size_t n = (size_t)(wo + 8 - (e->off + i)); /* bytes of this word in the region */
		bool bad = false;

		if (n > len - i)
			n = len - i;
		for (unsigned int a = 0; a < e->nalt; a++)
			want[a] = pattern_word(e->alt[a].fid, e->alt[a].gen, wo);
		if (n == 8 && e->nalt && !memcmp(p + i, &want[0], 8)) {
			in_run = false;
			i += 8;
			continue;
		}
		for (size_t j = 0; j < n && !bad; j++)
			bad = !byte_ok(e, want, p[i + j], (unsigned int)((e->off + i + j) & 7));
		if (!bad) {
			in_run = false;
			i += n;
			continue;
		}
		m->bad_bytes += n;
		if (!found) {
			found = true;
			in_run = true;
			m->index = i;
			m->pat_off = e->off + i;
			m->page_off = (uintptr_t)(p + i) % psz;
			m->got = p[i];
			m->want =
				e->nalt ? word_byte(want[0], (unsigned int)((e->off + i) & 7)) : 0;
		}
		if (in_run)
			m->run += n;
		i += n;
	}
	if (found)
		classify(p, len, e, m);
	return !found;
}

const char *pat_class_name(enum pat_class c)
{
	switch (c) {
	case PAT_STALE:
		return "stale";
	case PAT_CHILD:
		return "child's data";
	case PAT_ZERO:
		return "zero";
	case PAT_LEAK:
		return "parent's data (leak into child)";
	case PAT_GARBAGE:
		break;
	}
	return "garbage";
}

const char *pat_class_key(enum pat_class c)
{
	switch (c) {
	case PAT_STALE:
		return "stale";
	case PAT_CHILD:
		return "child";
	case PAT_ZERO:
		return "zero";
	case PAT_LEAK:
		return "leak";
	case PAT_GARBAGE:
		break;
	}
	return "garbage";
}

/* Authors that are not a file, by name (pattern_fid_name, pattern_parse_description). */
static const struct {
	unsigned int fid;
	const char *name;
} fid_names[] = {{FID_PREFILL, "prefill"}, {FID_CHILD, "child"}, {FID_PARENT, "parent write"}};

const char *pattern_fid_name(unsigned int fid, char *tmp, size_t len)
{
	for (size_t k = 0; k < sizeof(fid_names) / sizeof(fid_names[0]); k++)
		if (fid_names[k].fid == fid)
			return fid_names[k].name;
	snprintf(tmp, len, "file %u", fid);
	return tmp;
}

#define DESCRIPTION_START "first bad byte buf+0x"

char *pattern_describe(const struct pat_mismatch *m, const struct pat_expect *e, char *out,
		       size_t len)
{
	char origin[96] = "", tmp[24];
	const struct pat_origin *o = &m->origin;

	(void)e;
	if (o->valid)
		snprintf(origin, sizeof(origin), " (%s gen %u off 0x%llx)",
			 pattern_fid_name(o->fid, tmp, sizeof(tmp)), o->gen,
			 (unsigned long long)o->off);
	else if (m->cls == PAT_GARBAGE)
		snprintf(origin, sizeof(origin), " (byte 0x%02x, want 0x%02x)", m->got, m->want);
	snprintf(out, len,
		 DESCRIPTION_START
		 "%zx (page off 0x%zx, file off 0x%llx): %s%s, run %zu, %zu bad in all",
		 m->index, m->page_off, (unsigned long long)m->pat_off, pat_class_name(m->cls),
		 origin, m->run, m->bad_bytes);
	return out;
}

/* "prefill gen 3 off 0x1000)" etc. -> @o; returns the text after the ')' or NULL. */
static const char *parse_origin(const char *p, struct pat_origin *o)
{
	unsigned long long off;
	int used = 0;

	o->fid = 0;
	for (size_t k = 0; k < sizeof(fid_names) / sizeof(fid_names[0]); k++) {
		size_t n = strlen(fid_names[k].name);

		if (!strncmp(p, fid_names[k].name, n) && p[n] == ' ') {
			o->fid = fid_names[k].fid;
			p += n;
			break;
		}
	}
	if (!o->fid && sscanf(p, "file %u%n", &o->fid, &used) == 1)
		p += used;
	used = 0;
	if (!o->fid || sscanf(p, " gen %u off 0x%llx)%n", &o->gen, &off, &used) != 2 || !used)
		return NULL;
	o->off = off;
	o->valid = true;
	return p + used;
}

bool pattern_parse_description(const char *text, struct pat_mismatch *m)
{
	const char *p = strstr(text, DESCRIPTION_START);
	unsigned long long file_off;
	unsigned int got, want;
	int used = 0;
	bool known = false;

	memset(m, 0, sizeof(*m));
	if (!p ||
	    sscanf(p, DESCRIPTION_START "%zx (page off 0x%zx, file off 0x%llx): %n", &m->index,
		   &m->page_off, &file_off, &used) != 3 ||
	    !used)
		return false;
	m->pat_off = file_off;
	p += used;
	for (enum pat_class c = PAT_STALE; c <= PAT_LEAK && !known; c++) {
		size_t n = strlen(pat_class_name(c));

		if (!strncmp(p, pat_class_name(c), n) && (p[n] == ',' || p[n] == ' ')) {
			m->cls = c;
			p += n;
			known = true;
		}
	}
	if (!known)
		return false;
	used = 0;
	if (!strncmp(p, " (byte 0x", 9) &&
	    sscanf(p, " (byte 0x%x, want 0x%x)%n", &got, &want, &used) == 2 && used) {
		m->got = (uint8_t)got;
		m->want = (uint8_t)want;
		p += used;
	} else if (!strncmp(p, " (", 2)) {
		p = parse_origin(p + 2, &m->origin);
		if (!p)
			return false;
	}
	used = 0;
	return sscanf(p, ", run %zu, %zu bad in all%n", &m->run, &m->bad_bytes, &used) == 2 && used;
}
