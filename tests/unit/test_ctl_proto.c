// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket's protocol (fs/ctl_proto.c, fs/ctl_conn.c; docs/control.md),
 * tested alone: requests as lines and back, answers as the JSON lines
 * docs/control.md shows and back, the `stats` answer field by field, the
 * violation kinds by their names, and the line framing of a connection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fs/ctl_conn.h"
#include "unit.h"

static int parse(const char *line, struct ctl_request *req, const char **error)
{
	char buf[CTL_MAX_REQUEST];

	snprintf(buf, sizeof(buf), "%s", line);
	return ctl_request_parse(buf, req, error);
}

static void assert_refused(const char *line, const char *why)
{
	struct ctl_request req;
	const char *error = NULL;

	ck_assert_int_eq(parse(line, &req, &error), -EINVAL);
	ck_assert_str_eq(error, why);
}

/* Every refusal pinfs answers, with docs/control.md's texts. */
START_TEST(requests_refused)
{
	struct ctl_request req;
	const char *error;

	ck_assert_int_eq(parse(" \t\r\n", &req, &error), -ENODATA);
	ck_assert_str_eq(error, "empty command");
	assert_refused("bogus", "unknown command");
	assert_refused("hold", "hold needs at=receive|data|reply");
	assert_refused("hold at=nowhere", "hold needs at=receive|data|reply");
	assert_refused("hold at=data op=frob", "op must be read, write or any");
	assert_refused("hold at=data count=x", "malformed number");
	assert_refused("hold at=data count=0", "malformed number");
	assert_refused("hold at=data count=1000001", "malformed number");
	assert_refused("hold at=data timeout_ms=3600001", "malformed number");
	assert_refused("hold at=data off=", "malformed number");
	assert_refused("wait", "wait needs id=N");
	assert_refused("wait id=0", "wait needs id=N");
	assert_refused("wait id=1 timeout_ms=x", "wait needs id=N");
	assert_refused("release", "release needs id=N or all");
	assert_refused("release id=0", "release needs id=N or all");
	assert_refused("forker", "forker on|off");
	assert_refused("forker on interval_us=10000001", "malformed interval_us");
	assert_refused("forker off interval_us=x", "malformed interval_us");
	static const char probe_usage[] =
		"forkprobe needs hex=BYTES (1 to 256 bytes, each XOR 0x5a)";
	assert_refused("forkprobe", probe_usage);
	assert_refused("forkprobe hex=", probe_usage);
	assert_refused("forkprobe hex=abc", probe_usage);
	assert_refused("forkprobe hex=0g", probe_usage);
}
END_TEST

/* Absent arguments take docs/control.md's defaults; numbers may be hex or octal. */
START_TEST(request_defaults)
{
	struct ctl_request req;
	const char *error;

	ck_assert_int_eq(parse("hold at=reply", &req, &error), 0);
	ck_assert_int_eq(req.cmd, CTL_HOLD);
	ck_assert_int_eq(req.hold.at, HOLD_REPLY);
	ck_assert_int_eq(req.hold.op, HOLD_OP_ANY);
	ck_assert_uint_eq(req.hold.ino, 0);
	ck_assert_uint_eq(req.hold.len, 0);
	ck_assert_uint_eq(req.hold.count, 1);
	ck_assert_uint_eq(req.hold.timeout_ms, 30000);
	ck_assert_int_eq(parse("hold op=write ino=0x10 off=010 at=data", &req, &error), 0);
	ck_assert_int_eq(req.hold.at, HOLD_DATA);
	ck_assert_int_eq(req.hold.op, HOLD_OP_WRITE);
	ck_assert_uint_eq(req.hold.ino, 16);
	ck_assert_uint_eq(req.hold.off, 8);
	ck_assert_int_eq(parse("wait id=3", &req, &error), 0);
	ck_assert_int_eq(req.wait.id, 3);
	ck_assert_uint_eq(req.wait.timeout_ms, 10000);
	ck_assert_int_eq(parse("release all", &req, &error), 0);
	ck_assert_int_eq(req.release_id, 0);
	ck_assert_int_eq(parse("forker on", &req, &error), 0);
	ck_assert(req.forker.on);
	ck_assert_uint_eq(req.forker.interval_us, 100);
	ck_assert_int_eq(parse("stats and words after it", &req, &error), 0);
	ck_assert_int_eq(req.cmd, CTL_STATS);
}
END_TEST

/* A request written by a client reads back as the same request on the server. */
START_TEST(requests_round_trip)
{
	static const struct ctl_request reqs[] = {
		{ .cmd = CTL_PING },
		{ .cmd = CTL_STATS },
		{ .cmd = CTL_HOLD, .hold = { HOLD_RECEIVE, HOLD_OP_ANY, 0, 0, 0, 1, 100 } },
		{ .cmd = CTL_HOLD, .hold = { HOLD_REPLY, HOLD_OP_READ, 12, 4096, 8192, 3, 5000 } },
		{ .cmd = CTL_WAIT, .wait = { 7, 250 } },
		{ .cmd = CTL_RELEASE, .release_id = 9 },
		{ .cmd = CTL_RELEASE, .release_id = 0 },
		{ .cmd = CTL_FORKER, .forker = { true, 50 } },
		{ .cmd = CTL_FORKER, .forker = { false, 100 } },
		{ .cmd = CTL_FORKPROBE, .forkprobe = { { 0x00, 0x5a, 0xff }, 3 } },
	};
	char line[CTL_MAX_REQUEST];
	struct ctl_request back;
	const char *error;

	for (size_t k = 0; k < ARRAY_SIZE(reqs); k++) {
		ck_assert_int_gt(ctl_request_format(&reqs[k], line, sizeof(line)), 0);
		ck_assert_msg(!ctl_request_parse(line, &back, &error), "%s", error);
		ck_assert_msg(!memcmp(&back, &reqs[k], sizeof(back)), "request %zu", k);
	}
	ctl_request_format(&reqs[3], line, sizeof(line));
	ck_assert_str_eq(line, "hold at=reply op=read ino=12 off=4096 len=8192 count=3 "
			       "timeout_ms=5000");
	ck_assert_int_eq(ctl_request_format(&reqs[3], line, 20), -ENOSPC);
}
END_TEST

static const char *format(const struct ctl_request *req, const struct ctl_reply *rep)
{
	static char line[CTL_MAX_REPLY];

	ck_assert_int_gt(ctl_reply_format(req, rep, line, sizeof(line)), 0);
	return line;
}

/* The answers, to the byte, as docs/control.md shows them (tests grep them so). */
START_TEST(answers_as_documented)
{
	struct ctl_request req = { .cmd = CTL_PING };
	struct ctl_reply rep = { 0 };

	snprintf(rep.ping.version, sizeof(rep.ping.version), "0.1.0");
	rep.ping.pid = 1234;
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":true,\"version\":\"0.1.0\",\"pid\":1234}");
	req.cmd = CTL_HOLD;
	rep.hold_id = 5;
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":true,\"id\":5}");
	req.cmd = CTL_WAIT;
	rep.wait.held = 1;
	rep.wait.listed = 1;
	rep.wait.requests[0] = (struct held_request){ HOLD_OP_READ, 12, 0, 4096 };
	ck_assert_str_eq(format(&req, &rep),
			 "{\"ok\":true,\"held\":1,\"requests\":["
			 "{\"op\":\"read\",\"ino\":12,\"off\":0,\"len\":4096}]}");
	rep.wait.listed = 0;
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":true,\"held\":1,\"requests\":[]}");
	req.cmd = CTL_RELEASE;
	rep.released = 2;
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":true,\"released\":2}");
	req = (struct ctl_request){ .cmd = CTL_FORKER, .forker = { true, 100 } };
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":true}");
	req.forker.on = false;
	rep.forks = 42;
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":true,\"forks\":42}");
	req.cmd = CTL_FORKPROBE;
	rep.forkprobe.visible = false;
	rep.forkprobe.where[0] = '\0';
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":true,\"visible\":false,\"where\":\"\"}");
	ctl_fail(&rep, "no such hold");
	ck_assert_str_eq(format(&req, &rep), "{\"ok\":false,\"error\":\"no such hold\"}");
	ck_assert_str_eq(format(NULL, &rep), "{\"ok\":false,\"error\":\"no such hold\"}");
	ctl_fail(&rep, "a \"quoted\" /path\n");
	ck_assert_str_eq(format(NULL, &rep),
			 "{\"ok\":false,\"error\":\"a \\\"quoted\\\" /path\\n\"}");
}
END_TEST

/* The `stats` answer of docs/control.md, members in its order. */
static const char stats_answer[] =
	"{\"ok\":true,"
	"\"pins\":{\"acquired\":120,\"released\":118,\"outstanding\":-2,\"longterm_held\":4,"
	"\"get_acquired\":5,\"get_released\":6,\"listed\":7,\"dirtied\":3,\"has_pinned\":true},"
	"\"violations\":{\"unpin_unpinned\":11,\"put_unreferenced\":12,\"put_pinned\":13,"
	"\"leak\":14,\"reuse_pinned\":15,\"free_pinned\":16,\"write_source_pinned\":17,"
	"\"fork_unprotected\":18,\"total\":116},"
	"\"warnings\":19,"
	"\"bytes\":{\"direct\":4096,\"bounced\":21,\"buffered\":22,\"spliced\":23,"
	"\"vmspliced\":18446744073709551615},"
	"\"engines\":{\"sync\":{\"read\":31,\"write\":32,\"latency_us\":{\"p50\":33,\"p90\":34,"
	"\"p99\":35,\"max\":36}},\"uring\":{\"read\":41,\"write\":42,\"latency_us\":{\"p50\":43,"
	"\"p90\":44,\"p99\":45,\"max\":46}}},"
	"\"batches\":{\"submissions\":51,\"reads\":52},"
	"\"holds\":{\"armed\":61,\"held\":62},"
	"\"transport\":{\"name\":\"uring\",\"queues\":2,\"workers\":4,\"entries\":71,"
	"\"payload_bytes\":72,\"requests\":73,\"parked\":74,"
	"\"reply_bytes\":{\"in_place\":75,\"copied\":76}},"
	"\"passthrough\":{\"opens\":81,\"backing_ids\":82}}";

/* Every field is read from its own place, and written back to the same text. */
START_TEST(stats_both_ways)
{
	struct ctl_request req = { .cmd = CTL_STATS };
	struct ctl_reply rep;
	const struct ctl_stats *st = &rep.stats;
	char violations[512];

	ck_assert_int_eq(ctl_reply_parse(&req, stats_answer, &rep), 0);
	ck_assert_uint_eq(st->pins.acquired, 120);
	ck_assert_uint_eq(st->pins.released, 118);
	ck_assert_int_eq(st->pins.outstanding, -2);
	ck_assert_int_eq(st->pins.longterm_held, 4);
	ck_assert_uint_eq(st->pins.get_acquired, 5);
	ck_assert_uint_eq(st->pins.get_released, 6);
	ck_assert_uint_eq(st->pins.listed, 7);
	ck_assert_uint_eq(st->pins.dirtied, 3);
	ck_assert(st->pins.has_pinned);
	for (int k = 0; k < LV_NR_KINDS; k++)
		ck_assert_uint_eq(st->violations[k], 11 + k);
	ck_assert_uint_eq(st->violations_total, 116);
	ck_assert_uint_eq(st->warnings, 19);
	ck_assert_uint_eq(st->bytes.direct, 4096);
	ck_assert_uint_eq(st->bytes.bounced, 21);
	ck_assert_uint_eq(st->bytes.buffered, 22);
	ck_assert_uint_eq(st->bytes.spliced, 23);
	ck_assert_uint_eq(st->bytes.vmspliced, UINT64_MAX);
	ck_assert_uint_eq(st->engines.sync.read, 31);
	ck_assert_uint_eq(st->engines.sync.max_us, 36);
	ck_assert_uint_eq(st->engines.uring.write, 42);
	ck_assert_uint_eq(st->engines.uring.p99_us, 45);
	ck_assert_uint_eq(st->batches.reads, 52);
	ck_assert_uint_eq(st->holds.armed, 61);
	ck_assert_uint_eq(st->holds.held, 62);
	ck_assert_str_eq(st->transport.name, "uring");
	ck_assert_uint_eq(st->transport.queues, 2);
	ck_assert_uint_eq(st->transport.workers, 4);
	ck_assert_uint_eq(st->transport.entries, 71);
	ck_assert_uint_eq(st->transport.payload_bytes, 72);
	ck_assert_uint_eq(st->transport.requests, 73);
	ck_assert_uint_eq(st->transport.parked, 74);
	ck_assert_uint_eq(st->transport.reply_in_place, 75);
	ck_assert_uint_eq(st->transport.reply_copied, 76);
	ck_assert_uint_eq(st->passthrough.opens, 81);
	ck_assert_uint_eq(st->passthrough.backing_ids, 82);
	ck_assert_str_eq(format(&req, &rep), stats_answer);
	ck_assert_int_gt(ctl_stats_format_violations(st, violations, sizeof(violations)), 0);
	ck_assert_ptr_nonnull(strstr(stats_answer, violations));
	ck_assert_int_eq(ctl_stats_format_violations(st, violations, 20), -ENOSPC);
}
END_TEST

/* The kinds' names come from the ledger's one list, in its order. */
START_TEST(violation_keys)
{
	const char *prev = strstr(stats_answer, "\"violations\":{");

	for (int k = 0; k < LV_NR_KINDS; k++) {
		char key[64];
		const char *at;

		snprintf(key, sizeof(key), "\"%s\":%d", ctl_violation_key(k), 11 + k);
		at = strstr(stats_answer, key);
		ck_assert_msg(at && at > prev, "%s", key);
		prev = at;
	}
	ck_assert_str_eq(ctl_violation_key(LV_LEAK), "leak");
	ck_assert_str_eq(ctl_violation_key(LV_FORK_UNPROTECTED), "fork_unprotected");
}
END_TEST

/* An answer a client cannot use is -EBADMSG; a refusal is -EPROTO with its text. */
START_TEST(answers_refused_or_malformed)
{
	struct ctl_request stats = { .cmd = CTL_STATS }, hold = { .cmd = CTL_HOLD };
	struct ctl_reply rep;
	char partial[sizeof(stats_answer)];

	ck_assert_int_eq(ctl_reply_parse(&hold, "{\"ok\":false,\"error\":\"timeout\"}", &rep),
			 -EPROTO);
	ck_assert_str_eq(rep.error, "timeout");
	ck_assert_int_eq(ctl_reply_parse(NULL, "{\"ok\":true,\"anything\":1}", &rep), 0);
	ck_assert_int_eq(ctl_reply_parse(&hold, "{\"ok\":true,\"id\":0}", &rep), -EBADMSG);
	ck_assert_int_eq(ctl_reply_parse(&hold, "{\"ok\":true,\"id\":\"1\"}", &rep), -EBADMSG);
	ck_assert_int_eq(ctl_reply_parse(&hold, "{\"ok\":tru", &rep), -EBADMSG);
	ck_assert_int_eq(ctl_reply_parse(&hold, "not json", &rep), -EBADMSG);
	ck_assert_int_eq(ctl_reply_parse(&hold, "[true]", &rep), -EBADMSG);
	ck_assert_int_eq(ctl_reply_parse(&hold, "{\"id\":1}", &rep), -EBADMSG);
	/* a `stats` answer without one of its fields */
	snprintf(partial, sizeof(partial), "%s", stats_answer);
	memcpy(strstr(partial, "\"p99\":45"), "\"p98\"", 5);
	ck_assert_int_eq(ctl_reply_parse(&stats, partial, &rep), -EBADMSG);
}
END_TEST

/* docs/control.md's matching rule for `data` and `reply` holds, which every server applies. */
START_TEST(hold_matching)
{
	struct hold_spec any = { .at = HOLD_DATA, .count = 1 };
	struct hold_spec s = { HOLD_REPLY, HOLD_OP_READ, 12, 4096, 4096, 1, 100 };

	ck_assert(hold_matches(&any, HOLD_OP_WRITE, 99, 1ull << 40, 1));
	ck_assert(hold_matches(&s, HOLD_OP_READ, 12, 0, 4097));
	ck_assert(hold_matches(&s, HOLD_OP_READ, 12, 8191, 1));
	ck_assert(!hold_matches(&s, HOLD_OP_WRITE, 12, 4096, 1));
	ck_assert(!hold_matches(&s, HOLD_OP_READ, 13, 4096, 1));
	ck_assert(!hold_matches(&s, HOLD_OP_READ, 12, 0, 4096));
	ck_assert(!hold_matches(&s, HOLD_OP_READ, 12, 8192, 1));
	s.len = 0;	/* to the end of the file */
	ck_assert(hold_matches(&s, HOLD_OP_READ, 12, 1ull << 40, 1));
	ck_assert(!hold_matches(&s, HOLD_OP_READ, 12, 0, 4096));
	s.op = HOLD_OP_ANY;
	s.ino = 0;
	ck_assert(hold_matches(&s, HOLD_OP_WRITE, 7, 4095, 2));
}
END_TEST

/* Lines in and out of a connection: split, joined, too long, cut off, late. */
START_TEST(connection_lines)
{
	char big[CTL_MAX_REQUEST + 1], *line;
	struct ctl_conn *c;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = ctl_adopt(sv[0]);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(write(sv[1], "ping\nsta", 8), 8);
	ck_assert_int_eq(ctl_recv_line(c, CTL_MAX_REQUEST, 1000, &line), 0);
	ck_assert_str_eq(line, "ping");
	ck_assert_int_eq(ctl_recv_line(c, CTL_MAX_REQUEST, 50, &line), -ETIMEDOUT);
	ck_assert_int_eq(write(sv[1], "ts\n", 3), 3);
	ck_assert_int_eq(ctl_recv_line(c, CTL_MAX_REQUEST, 1000, &line), 0);
	ck_assert_str_eq(line, "stats");
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(write(sv[1], big, sizeof(big)), sizeof(big));
	ck_assert_int_eq(ctl_recv_line(c, CTL_MAX_REQUEST, 1000, &line), -EMSGSIZE);
	ck_assert_int_eq(ctl_send_line(c, "{\"ok\":true}"), 0);
	ck_assert_int_eq(read(sv[1], big, sizeof(big)), 12);
	ck_assert(!memcmp(big, "{\"ok\":true}\n", 12));
	close(sv[1]);
	ck_assert_int_eq(ctl_recv_line(c, CTL_MAX_REPLY, 1000, &line), -ECONNRESET);
	ctl_close(c);
}
END_TEST

static Suite *ctl_proto_suite(void)
{
	Suite *s = suite_create("ctl_proto");
	TCase *tc = tcase_create("protocol");

	tcase_add_test(tc, requests_refused);
	tcase_add_test(tc, request_defaults);
	tcase_add_test(tc, requests_round_trip);
	tcase_add_test(tc, answers_as_documented);
	tcase_add_test(tc, stats_both_ways);
	tcase_add_test(tc, violation_keys);
	tcase_add_test(tc, answers_refused_or_malformed);
	tcase_add_test(tc, hold_matching);
	tcase_add_test(tc, connection_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_main(ctl_proto_suite());
}
