// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Detector test for the pattern checker (spec §5 "verification convention"): feed it buffers
 * corrupted in each way a broken kernel or daemon corrupts them, and check that it names the
 * first bad byte, its page offset and file offset, and the right class: stale, child's data,
 * zero, garbage, and (for a child observer) the parent's data; and that each description reads
 * back into the same fields from inside a scenario's message (pattern_parse_description, which
 * gives the JSON its class fields). Exit 0 on success, 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pattern.h"

static int failures;

#define EXPECT(cond, ...)                                           \
	do {                                                        \
		if (!(cond)) {                                      \
			failures++;                                 \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                        \
			printf("\n");                               \
		}                                                   \
	} while (0)

static size_t psz;
static char *page_buf(size_t pages)
{
	char *p =
		mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* @m described inside a scenario's message reads back as @m. */
static void expect_parsed(const char *name, const struct pat_mismatch *m,
			  const struct pat_expect *e)
{
	char desc[256], text[400];
	struct pat_mismatch p;
	bool bytes = m->cls == PAT_GARBAGE && !m->origin.valid;

	snprintf(text, sizeof(text), "worker 2: file 0 block 7 (read): %s; 12 verified operations",
		 pattern_describe(m, e, desc, sizeof(desc)));
	EXPECT(pattern_parse_description(text, &p), "%s: description not read back: %s", name,
	       text);
	EXPECT(p.cls == m->cls && p.index == m->index && p.page_off == m->page_off &&
		       p.pat_off == m->pat_off && p.run == m->run && p.bad_bytes == m->bad_bytes,
	       "%s: read back differently: %s", name, text);
	EXPECT(p.origin.valid == m->origin.valid &&
		       (!m->origin.valid ||
			(p.origin.fid == m->origin.fid && p.origin.gen == m->origin.gen &&
			 p.origin.off == m->origin.off)),
	       "%s: origin read back differently: %s", name, text);
	EXPECT(!bytes || (p.got == m->got && p.want == m->want),
	       "%s: bytes read back differently: %s", name, text);
}

static void expect_class(const char *name, const void *buf, size_t len, const struct pat_expect *e,
			 enum pat_class cls, size_t index, size_t page_off, uint64_t pat_off,
			 size_t bad)
{
	struct pat_mismatch m;
	char desc[256];
	bool ok = pattern_check(buf, len, e, &m);

	EXPECT(!ok, "%s: corruption not detected", name);
	if (ok)
		return;
	pattern_describe(&m, e, desc, sizeof(desc));
	printf("  %-28s %s\n", name, desc);
	EXPECT(m.cls == cls, "%s: class %s, want %s", name, pat_class_name(m.cls),
	       pat_class_name(cls));
	EXPECT(m.index == index, "%s: index %zu, want %zu", name, m.index, index);
	EXPECT(m.page_off == page_off, "%s: page off %zu, want %zu", name, m.page_off, page_off);
	EXPECT(m.pat_off == pat_off, "%s: file off 0x%llx, want 0x%llx", name,
	       (unsigned long long)m.pat_off, (unsigned long long)pat_off);
	EXPECT(m.bad_bytes == bad, "%s: %zu bad bytes, want %zu", name, m.bad_bytes, bad);
	EXPECT(strstr(desc, pat_class_name(cls)) != NULL, "%s: description lacks the class", name);
	expect_parsed(name, &m, e);
}

int main(void)
{
	const uint64_t foff = 0x28000; /* the file offset the buffer holds */
	struct pat_expect e;
	struct pat_mismatch m;
	char *buf;
	int valid = 0;

	psz = (size_t)sysconf(_SC_PAGESIZE);
	buf = page_buf(4);

	/* clean data passes, also at an odd offset and length */
	pattern_fill(buf, 4 * psz, foff, 1, 7);
	e = pat_exp(foff, 1, 7);
	EXPECT(pattern_check(buf, 4 * psz, &e, &m), "clean buffer reported bad");
	e = pat_exp(foff + 3, 1, 7);
	EXPECT(pattern_check(buf + 3, 1001, &e, &m), "clean unaligned region reported bad");

	/* stale: the buffer's prefill left in the middle of page 1 (the read went elsewhere) */
	pattern_fill(buf, 4 * psz, foff, 1, 7);
	pattern_fill(buf + psz + 512, 1024, psz + 512, FID_PREFILL, 3);
	e = pat_exp(foff, 1, 7);
	expect_class("stale (prefill)", buf, 4 * psz, &e, PAT_STALE, psz + 512, 512,
		     foff + psz + 512, 1024);

	/* stale: an older generation of the same place */
	pattern_fill(buf, 4 * psz, foff, 1, 7);
	pattern_fill(buf + 2 * psz, 64, foff + 2 * psz, 1, 6);
	expect_class("stale (older generation)", buf, 4 * psz, &e, PAT_STALE, 2 * psz, 0,
		     foff + 2 * psz, 64);

	/*
	 * child's data: the secret of spec #5. Bytes 100..299 change; the last word's changed
	 * bytes (its offset field) agree with the file's, so 25 words = 200 bytes are bad.
	 */
	pattern_fill(buf, 4 * psz, foff, 1, 7);
	pattern_fill(buf + 100, 200, foff + 100, FID_CHILD, 1);
	expect_class("child's data", buf, 4 * psz, &e, PAT_CHILD, 96, 96, foff + 96, 200);

	/* zero: data lost to a zapped page (spec #9) */
	pattern_fill(buf, 4 * psz, foff, 1, 7);
	memset(buf + 3 * psz, 0, psz);
	expect_class("zero", buf, 4 * psz, &e, PAT_ZERO, 3 * psz, 0, foff + 3 * psz, psz);

	/* garbage: bytes that are no pattern at all */
	pattern_fill(buf, 4 * psz, foff, 1, 7);
	for (int i = 0; i < 16; i++)
		buf[2048 + i] = (char)(0x5a ^ i * 37);
	expect_class("garbage (noise)", buf, 4 * psz, &e, PAT_GARBAGE, 2048, 2048, foff + 2048, 16);

	/* garbage: a valid pattern of another place (misplaced data, e.g. another request's) */
	pattern_fill(buf, 4 * psz, foff, 1, 7);
	pattern_fill(buf + 4096, 512, foff + 0x100000, 1, 7);
	expect_class("garbage (misplaced)", buf, 4 * psz, &e, PAT_GARBAGE, 4096, 0, foff + 4096,
		     512);

	/* the child's view must stay its pre-fork prefill: file data there is a leak */
	pattern_fill(buf, psz, 0, FID_PREFILL, 5);
	pattern_fill(buf, 2048, foff, 1, 7);
	e = pat_exp(0, FID_PREFILL, 5);
	e.observer_child = true;
	expect_class("leak into the child", buf, psz, &e, PAT_LEAK, 0, 0, 0, 2048);

	/* alternatives: a torn write may mix old and new per byte, but not the previous contents */
	pattern_fill(buf, psz, foff, 1, 10);
	pattern_fill(buf + 1000, 1000, foff + 1000, 1, 11);
	e = pat_exp(foff, 1, 10);
	pat_or(&e, 1, 11);
	EXPECT(pattern_check(buf, psz, &e, &m), "old/new mix rejected");
	pattern_fill(buf + 3000, 8, foff + 3000, 1, 2);
	expect_class("torn: previous contents", buf, psz, &e, PAT_STALE, 3000, 3000, foff + 3000,
		     8);

	/* zero_ok + current: dio_read (spec #19) accepts zeros; old blocks are stale */
	memset(buf, 0, psz);
	e = (struct pat_expect){.off = foff, .zero_ok = true, .current = {1, 2}};
	EXPECT(pattern_check(buf, psz, &e, &m), "zeros rejected with zero_ok");
	pattern_fill(buf + 512, 512, foff + 512, 1, 1);
	expect_class("stale block under zeros", buf, psz, &e, PAT_STALE, 512, 512, foff + 512, 512);

	/* unaligned region: the buffer starts mid-word (buffer at page + 3) */
	pattern_fill(buf, 2 * psz, foff, 1, 7);
	pattern_fill(buf + 3 + 77, 8, foff + 3 + 77, FID_CHILD, 1);
	e = pat_exp(foff + 3, 1, 7);
	pattern_check(buf + 3, psz, &e, &m);
	EXPECT(m.index == 77 && m.cls == PAT_CHILD, "unaligned: first bad index %zu (want 77), %s",
	       m.index, pat_class_name(m.cls));

	/* read back: the parent's write as an origin; text with no description */
	m = (struct pat_mismatch){
		.index = 8,
		.pat_off = 0x2008,
		.page_off = 8,
		.bad_bytes = 16,
		.run = 8,
		.cls = PAT_LEAK,
		.origin = {.valid = true, .fid = FID_PARENT, .gen = 4095, .off = 8}};
	e = pat_exp(0, FID_PREFILL, 5);
	expect_parsed("parent write origin", &m, &e);
	EXPECT(!pattern_parse_description("round 3: pread returned -5", &m),
	       "a message without a description was read as one");
	EXPECT(!pattern_parse_description("first bad byte buf+0x10 (page off", &m),
	       "a cut description was read as one");

	/* random words almost never decode as a pattern (the check byte) */
	srand(1);
	for (int i = 0; i < 100000; i++) {
		uint64_t w = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
		struct pat_origin o;

		valid += pattern_decode(w, &o);
	}
	EXPECT(valid < 1000, "%d of 100000 random words decode as patterns", valid);

	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
