// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control-socket answers forkstress judges are parsed with json.c's path lookup; this test
 * feeds it the `stats` answer of docs/control.md (and some awkward JSON) and checks every field
 * the ledger check reads. Exit 0 on success, 1 on failure.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"

static int failures;

#define EXPECT(cond, what)                                                    \
	do {                                                                  \
		if (!(cond)) {                                                \
			failures++;                                           \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, what); \
		}                                                             \
	} while (0)

static const char stats[] =
	"{\"ok\":true,"
	" \"pins\":{\"acquired\":120,\"released\":118,\"outstanding\":2,\"get_acquired\":5,"
	"\"get_released\":5,\"listed\":0,\"dirtied\":3,\"has_pinned\":true},"
	" \"violations\":{\"unpin_unpinned\":0,\"put_unreferenced\":0,\"put_pinned\":0,\"leak\":1,"
	"\"reuse_pinned\":0,\"free_pinned\":0,\"write_source_pinned\":0,\"fork_unprotected\":4,"
	"\"total\":5},"
	" \"warnings\":7,"
	" \"bytes\":{\"direct\":4096,\"bounced\":0,\"buffered\":1.5e3,\"spliced\":0},"
	" \"engines\":{\"sync\":{\"read\":3,\"write\":4,\"latency_us\":{\"p50\":1,\"p90\":2,"
	"\"p99\":3,\"max\":4}},\"uring\":{\"read\":9,\"write\":10,\"latency_us\":{}}},"
	" \"holds\":{\"armed\":0,\"held\":0},"
	" \"note\":\"a \\\"quoted\\\" }{ string\", \"list\":[1,{\"a\":[2,3]},\"x]\"]}";

int main(void)
{
	double v = -1;
	bool b = false;
	char s[64];

	EXPECT(json_get_bool(stats, "ok", &b) && b, "ok");
	EXPECT(json_get_num(stats, "pins.acquired", &v) && v == 120, "pins.acquired");
	EXPECT(json_get_num(stats, "pins.outstanding", &v) && v == 2, "pins.outstanding");
	EXPECT(json_get_bool(stats, "pins.has_pinned", &b) && b, "pins.has_pinned");
	EXPECT(json_get_num(stats, "violations.total", &v) && v == 5, "violations.total");
	EXPECT(json_get_num(stats, "violations.fork_unprotected", &v) && v == 4,
	       "violations.fork_unprotected");
	EXPECT(json_get_num(stats, "warnings", &v) && v == 7, "warnings");
	EXPECT(json_get_num(stats, "bytes.buffered", &v) && v == 1500, "bytes.buffered (exponent)");
	EXPECT(json_get_num(stats, "engines.uring.write", &v) && v == 10, "engines.uring.write");
	EXPECT(json_get_num(stats, "engines.sync.latency_us.p99", &v) && v == 3, "nested latency");
	EXPECT(!json_get_num(stats, "engines.uring.latency_us.p50", &v), "missing in empty object");
	EXPECT(!json_get_num(stats, "pins.nothing", &v), "missing member");
	EXPECT(!json_get_num(stats, "warnings.sub", &v), "member of a number");
	EXPECT(json_get_str(stats, "note", s, sizeof(s)) && !strcmp(s, "a \"quoted\" }{ string"),
	       "string with escapes and braces");
	EXPECT(json_skip("[1,{\"a\":[2,3]},\"x]\"] tail") != NULL, "skip array");
	EXPECT(json_find("{\"ok\":false,\"error\":\"timeout\"}", "error") != NULL, "error member");
	EXPECT(json_find("{\"ok\":tru", "ok.x") == NULL, "malformed input");
	EXPECT(json_find("not json", "ok") == NULL, "not an object");
	{
		const char *viol = json_find(stats, "violations"), *val;
		int n = 0;

		while ((val = json_member(viol, n, s, sizeof(s))))
			n++;
		EXPECT(n == 9, "9 members in violations");
		val = json_member(viol, 7, s, sizeof(s));
		EXPECT(val && !strcmp(s, "fork_unprotected") && *val == '4',
		       "member 7 of violations");
		EXPECT(!json_member("{}", 0, s, sizeof(s)), "no member in an empty object");
		EXPECT(!json_member("[1]", 0, s, sizeof(s)), "no member in an array");
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
