// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket's protocol (docs/control.md); see ctl_proto.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl_proto.h"

#define MAX_WORDS 16

/* How replies go on the wire: one line, no spaces, '/' as it is. */
#define JSON_LINE (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *const point_names[] = { "receive", "data", "reply" };
static const char *const op_names[] = { "any", "read", "write" };

#define VIOLATION_KEY(id, key, description) [LV_##id] = #key,
static const char *const violation_keys[LV_NR_KINDS] = { LEDGER_VIOLATIONS(VIOLATION_KEY) };
#undef VIOLATION_KEY

static int name_index(const char *const *names, int n, const char *name)
{
	for (int k = 0; k < n; k++)
		if (!strcmp(names[k], name))
			return k;
	return -1;
}

int hold_point_by_name(const char *name)
{
	return name_index(point_names, 3, name);
}

int hold_op_by_name(const char *name)
{
	return name_index(op_names, 3, name);
}

static const char *hold_op_name(enum hold_op op)
{
	return op <= HOLD_OP_WRITE ? op_names[op] : "?";
}

const char *ctl_violation_key(enum ledger_violation kind)
{
	return kind < LV_NR_KINDS ? violation_keys[kind] : "?";
}

bool hold_matches(const struct hold_spec *s, enum hold_op op, uint64_t ino, uint64_t off,
		  uint64_t len)
{
	uint64_t end = len ? off + len : UINT64_MAX;
	uint64_t hold_end = s->len ? s->off + s->len : UINT64_MAX;

	if (s->op != HOLD_OP_ANY && s->op != op)
		return false;
	if (s->ino && s->ino != ino)
		return false;
	return off < hold_end && s->off < end;
}

/* ---- JSON members ---- */

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	add(o, key, json_object_new_uint64(v));
}

static void add_s64(struct json_object *o, const char *key, int64_t v)
{
	add(o, key, json_object_new_int64(v));
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static bool get_u64(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *m = member(o, key, json_type_int);

	if (m)
		*v = json_object_get_uint64(m);
	return m;
}

static bool get_s64(struct json_object *o, const char *key, int64_t *v)
{
	struct json_object *m = member(o, key, json_type_int);

	if (m)
		*v = json_object_get_int64(m);
	return m;
}

static bool get_int(struct json_object *o, const char *key, int *v)
{
	int64_t n;

	if (!get_s64(o, key, &n) || n < INT32_MIN || n > INT32_MAX)
		return false;
	*v = (int)n;
	return true;
}

/* ---- `stats`: one table of its fields makes both the answer and its reading ---- */

enum field_type { F_U64, F_S64, F_UINT, F_BOOL, F_NAME };	/* F_NAME: char[8] */

struct stats_field {
	const char *path;	/* slash-separated members from the answer's top */
	size_t offset;		/* in struct ctl_stats */
	enum field_type type;
};

#define FIELD(path, m, type) { path, offsetof(struct ctl_stats, m), type }
#define ENGINE(name, e)								\
	FIELD("engines/" name "/read", engines.e.read, F_U64),			\
	FIELD("engines/" name "/write", engines.e.write, F_U64),		\
	FIELD("engines/" name "/latency_us/p50", engines.e.p50_us, F_U64),	\
	FIELD("engines/" name "/latency_us/p90", engines.e.p90_us, F_U64),	\
	FIELD("engines/" name "/latency_us/p99", engines.e.p99_us, F_U64),	\
	FIELD("engines/" name "/latency_us/max", engines.e.max_us, F_U64)
#define VIOLATION(id, key, description) FIELD("violations/" #key, violations[LV_##id], F_U64),

static const struct stats_field stats_fields[] = {
	FIELD("pins/acquired", pins.acquired, F_U64),
	FIELD("pins/released", pins.released, F_U64),
	FIELD("pins/outstanding", pins.outstanding, F_S64),
	FIELD("pins/longterm_held", pins.longterm_held, F_S64),
	FIELD("pins/get_acquired", pins.get_acquired, F_U64),
	FIELD("pins/get_released", pins.get_released, F_U64),
	FIELD("pins/listed", pins.listed, F_U64),
	FIELD("pins/dirtied", pins.dirtied, F_U64),
	FIELD("pins/has_pinned", pins.has_pinned, F_BOOL),
	LEDGER_VIOLATIONS(VIOLATION)
	FIELD("violations/total", violations_total, F_U64),
	FIELD("warnings", warnings, F_U64),
	FIELD("bytes/direct", bytes.direct, F_U64),
	FIELD("bytes/bounced", bytes.bounced, F_U64),
	FIELD("bytes/buffered", bytes.buffered, F_U64),
	FIELD("bytes/spliced", bytes.spliced, F_U64),
	FIELD("bytes/vmspliced", bytes.vmspliced, F_U64),
	ENGINE("sync", sync),
	ENGINE("uring", uring),
	FIELD("batches/submissions", batches.submissions, F_U64),
	FIELD("batches/reads", batches.reads, F_U64),
	FIELD("holds/armed", holds.armed, F_UINT),
	FIELD("holds/held", holds.held, F_UINT),
	FIELD("transport/name", transport.name, F_NAME),
	FIELD("transport/queues", transport.queues, F_UINT),
	FIELD("transport/workers", transport.workers, F_UINT),
	FIELD("transport/entries", transport.entries, F_U64),
	FIELD("transport/payload_bytes", transport.payload_bytes, F_U64),
	FIELD("transport/requests", transport.requests, F_U64),
	FIELD("transport/parked", transport.parked, F_U64),
	FIELD("transport/reply_bytes/in_place", transport.reply_in_place, F_U64),
	FIELD("transport/reply_bytes/copied", transport.reply_copied, F_U64),
	FIELD("passthrough/opens", passthrough.opens, F_U64),
	FIELD("passthrough/backing_ids", passthrough.backing_ids, F_U64),
};
_Static_assert(sizeof(((struct ctl_stats *)0)->transport.name) == 8, "F_NAME is char[8]");

#undef VIOLATION
#undef ENGINE
#undef FIELD

/*
 * The object that holds @f's value, below @top (made as needed when @create);
 * *@key gets the value's own name (in @buf). NULL if a member is missing.
 */
static struct json_object *field_parent(struct json_object *top, const struct stats_field *f,
					bool create, char *buf, size_t len, const char **key)
{
	char *save = NULL, *name;

	snprintf(buf, len, "%s", f->path);
	name = strtok_r(buf, "/", &save);
	for (char *next; (next = strtok_r(NULL, "/", &save)); name = next) {
		struct json_object *o = member(top, name, json_type_object);

		if (!o && create) {
			o = json_object_new_object();
			add(top, name, o);
		}
		if (!o)
			return NULL;
		top = o;
	}
	*key = name;
	return top;
}

static void stats_encode(struct json_object *top, const struct ctl_stats *st)
{
	for (size_t k = 0; k < sizeof(stats_fields) / sizeof(stats_fields[0]); k++) {
		const struct stats_field *f = &stats_fields[k];
		const void *v = (const char *)st + f->offset;
		char buf[64];
		const char *key;
		struct json_object *o = field_parent(top, f, true, buf, sizeof(buf), &key);

		switch (f->type) {
		case F_U64:
			add_u64(o, key, *(const uint64_t *)v);
			break;
		case F_S64:
			add_s64(o, key, *(const int64_t *)v);
			break;
		case F_UINT:
			add_u64(o, key, *(const unsigned int *)v);
			break;
		case F_BOOL:
			add(o, key, json_object_new_boolean(*(const bool *)v));
			break;
		case F_NAME:
			add(o, key, json_object_new_string(v));
			break;
		}
	}
}

static bool stats_decode(struct json_object *top, struct ctl_stats *st)
{
	for (size_t k = 0; k < sizeof(stats_fields) / sizeof(stats_fields[0]); k++) {
		const struct stats_field *f = &stats_fields[k];
		void *v = (char *)st + f->offset;
		char buf[64];
		const char *key;
		struct json_object *o = field_parent(top, f, false, buf, sizeof(buf), &key), *b;
		uint64_t u;

		if (!o)
			return false;
		switch (f->type) {
		case F_U64:
			if (!get_u64(o, key, v))
				return false;
			break;
		case F_S64:
			if (!get_s64(o, key, v))
				return false;
			break;
		case F_UINT:
			if (!get_u64(o, key, &u) || u > UINT32_MAX)
				return false;
			*(unsigned int *)v = (unsigned int)u;
			break;
		case F_BOOL:
			b = member(o, key, json_type_boolean);
			if (!b)
				return false;
			*(bool *)v = json_object_get_boolean(b);
			break;
		case F_NAME:
			b = member(o, key, json_type_string);
			if (!b)
				return false;
			snprintf(v, 8, "%s", json_object_get_string(b));
			break;
		}
	}
	return true;
}

/* ---- the commands ---- */

struct words {
	int argc;
	char *argv[MAX_WORDS];
};

/* The value of argument @key ("key=value"), or NULL. */
static const char *arg(const struct words *w, const char *key)
{
	size_t klen = strlen(key);

	for (int n = 1; n < w->argc; n++)
		if (!strncmp(w->argv[n], key, klen) && w->argv[n][klen] == '=')
			return w->argv[n] + klen + 1;
	return NULL;
}

/* A number argument, @dflt when absent; false if present but malformed. */
static bool num_arg(const struct words *w, const char *key, uint64_t *v, uint64_t dflt)
{
	const char *s = arg(w, key);
	char *end;

	*v = dflt;
	if (!s)
		return true;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end;
}

static const char *parse_hold(const struct words *w, struct ctl_request *req)
{
	const char *at = arg(w, "at"), *op = arg(w, "op");
	struct hold_spec *s = &req->hold;
	uint64_t ino, off, len, count, timeout;
	int k;

	k = at ? hold_point_by_name(at) : -1;
	if (k < 0)
		return "hold needs at=receive|data|reply";
	s->at = k;
	k = op ? hold_op_by_name(op) : HOLD_OP_ANY;
	if (k < 0)
		return "op must be read, write or any";
	s->op = k;
	if (!num_arg(w, "ino", &ino, 0) || !num_arg(w, "off", &off, 0) ||
	    !num_arg(w, "len", &len, 0) || !num_arg(w, "count", &count, 1) ||
	    !num_arg(w, "timeout_ms", &timeout, 30000) || !count || count > 1000000 ||
	    timeout > 3600000)
		return "malformed number";
	s->ino = ino;
	s->off = off;
	s->len = len;
	s->count = count;
	s->timeout_ms = timeout;
	return NULL;
}

static int format_hold(const struct ctl_request *req, char *buf, size_t len)
{
	const struct hold_spec *s = &req->hold;
	char lenarg[40] = "";

	if (s->len)
		snprintf(lenarg, sizeof(lenarg), " len=%" PRIu64, s->len);
	return snprintf(buf, len,
			"hold at=%s op=%s ino=%" PRIu64 " off=%" PRIu64 "%s count=%u timeout_ms=%u",
			point_names[s->at], op_names[s->op], s->ino, s->off, lenarg, s->count,
			s->timeout_ms);
}

static void encode_hold(const struct ctl_request *req, const struct ctl_reply *rep,
			struct json_object *o)
{
	add_s64(o, "id", rep->hold_id);
}

static bool decode_hold(const struct ctl_request *req, struct json_object *o,
			struct ctl_reply *rep)
{
	return get_int(o, "id", &rep->hold_id) && rep->hold_id > 0;
}

static const char *parse_wait(const struct words *w, struct ctl_request *req)
{
	uint64_t id, timeout;

	if (!num_arg(w, "id", &id, 0) || !id || !num_arg(w, "timeout_ms", &timeout, 10000))
		return "wait needs id=N";
	req->wait.id = (int)id;
	req->wait.timeout_ms = (unsigned int)timeout;
	return NULL;
}

static int format_wait(const struct ctl_request *req, char *buf, size_t len)
{
	return snprintf(buf, len, "wait id=%d timeout_ms=%u", req->wait.id, req->wait.timeout_ms);
}

static void encode_wait(const struct ctl_request *req, const struct ctl_reply *rep,
			struct json_object *o)
{
	struct json_object *list = json_object_new_array();

	add_s64(o, "held", rep->wait.held);
	for (int k = 0; k < rep->wait.listed; k++) {
		const struct held_request *r = &rep->wait.requests[k];
		struct json_object *e = json_object_new_object();

		add(e, "op", json_object_new_string(hold_op_name(r->op)));
		add_u64(e, "ino", r->ino);
		add_u64(e, "off", r->off);
		add_u64(e, "len", r->len);
		json_object_array_add(list, e);
	}
	add(o, "requests", list);
}

static bool decode_wait(const struct ctl_request *req, struct json_object *o,
			struct ctl_reply *rep)
{
	struct json_object *list = member(o, "requests", json_type_array);
	size_t n = list ? json_object_array_length(list) : 0;

	if (!get_int(o, "held", &rep->wait.held) || !list || n > CTL_MAX_LISTED)
		return false;
	for (size_t k = 0; k < n; k++) {
		struct json_object *e = json_object_array_get_idx(list, k);
		struct held_request *r = &rep->wait.requests[k];
		struct json_object *op = member(e, "op", json_type_string);
		int opk = op ? hold_op_by_name(json_object_get_string(op)) : -1;

		if (opk < 0 || !get_u64(e, "ino", &r->ino) || !get_u64(e, "off", &r->off) ||
		    !get_u64(e, "len", &r->len))
			return false;
		r->op = opk;
	}
	rep->wait.listed = (int)n;
	return true;
}

static const char *parse_release(const struct words *w, struct ctl_request *req)
{
	const char *which = w->argc > 1 ? w->argv[1] : "";
	uint64_t id = 0;

	if (strcmp(which, "all") && (!num_arg(w, "id", &id, 0) || !id))
		return "release needs id=N or all";
	req->release_id = (int)id;
	return NULL;
}

static int format_release(const struct ctl_request *req, char *buf, size_t len)
{
	if (!req->release_id)
		return snprintf(buf, len, "release all");
	return snprintf(buf, len, "release id=%d", req->release_id);
}

static void encode_release(const struct ctl_request *req, const struct ctl_reply *rep,
			   struct json_object *o)
{
	add_s64(o, "released", rep->released);
}

static bool decode_release(const struct ctl_request *req, struct json_object *o,
			   struct ctl_reply *rep)
{
	return get_int(o, "released", &rep->released);
}

static const char *parse_forker(const struct words *w, struct ctl_request *req)
{
	const char *state = w->argc > 1 ? w->argv[1] : "";
	uint64_t interval;

	if (!num_arg(w, "interval_us", &interval, 100) || interval > 10000000)
		return "malformed interval_us";
	if (strcmp(state, "on") && strcmp(state, "off"))
		return "forker on|off";
	req->forker.on = !strcmp(state, "on");
	req->forker.interval_us = interval;
	return NULL;
}

static int format_forker(const struct ctl_request *req, char *buf, size_t len)
{
	if (!req->forker.on)
		return snprintf(buf, len, "forker off");
	return snprintf(buf, len, "forker on interval_us=%u", req->forker.interval_us);
}

static void encode_forker(const struct ctl_request *req, const struct ctl_reply *rep,
			  struct json_object *o)
{
	if (!req->forker.on)
		add_u64(o, "forks", rep->forks);
}

static bool decode_forker(const struct ctl_request *req, struct json_object *o,
			  struct ctl_reply *rep)
{
	uint64_t forks = 0;

	if (!req->forker.on && !get_u64(o, "forks", &forks))
		return false;
	rep->forks = forks;
	return true;
}

static const char *parse_forkprobe(const struct words *w, struct ctl_request *req)
{
	const char *hex = arg(w, "hex");
	size_t len = 0;

	while (hex && len < CTL_FORKPROBE_MAX && isxdigit((unsigned char)hex[2 * len]) &&
	       isxdigit((unsigned char)hex[2 * len + 1]) &&
	       sscanf(hex + 2 * len, "%2hhx", &req->forkprobe.encoded[len]) == 1)
		len++;
	if (!hex || !len || hex[2 * len])
		return "forkprobe needs hex=BYTES (1 to 256 bytes, each XOR 0x5a)";
	req->forkprobe.len = len;
	return NULL;
}

static int format_forkprobe(const struct ctl_request *req, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "forkprobe hex=");

	for (size_t k = 0; k < req->forkprobe.len && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, "%02x", req->forkprobe.encoded[k]);
	return used < len ? (int)used : -ENOSPC;
}

static void encode_forkprobe(const struct ctl_request *req, const struct ctl_reply *rep,
			     struct json_object *o)
{
	add(o, "visible", json_object_new_boolean(rep->forkprobe.visible));
	add(o, "where", json_object_new_string(rep->forkprobe.where));
}

static bool decode_forkprobe(const struct ctl_request *req, struct json_object *o,
			     struct ctl_reply *rep)
{
	struct json_object *v = member(o, "visible", json_type_boolean);
	struct json_object *where = member(o, "where", json_type_string);

	if (!v || !where)
		return false;
	rep->forkprobe.visible = json_object_get_boolean(v);
	snprintf(rep->forkprobe.where, sizeof(rep->forkprobe.where), "%s",
		 json_object_get_string(where));
	return true;
}

static void encode_ping(const struct ctl_request *req, const struct ctl_reply *rep,
			struct json_object *o)
{
	add(o, "version", json_object_new_string(rep->ping.version));
	add_s64(o, "pid", rep->ping.pid);
}

static bool decode_ping(const struct ctl_request *req, struct json_object *o,
			struct ctl_reply *rep)
{
	struct json_object *v = member(o, "version", json_type_string);

	if (!v || !get_int(o, "pid", &rep->ping.pid))
		return false;
	snprintf(rep->ping.version, sizeof(rep->ping.version), "%s", json_object_get_string(v));
	return true;
}

static void encode_stats(const struct ctl_request *req, const struct ctl_reply *rep,
			 struct json_object *o)
{
	stats_encode(o, &rep->stats);
}

static bool decode_stats(const struct ctl_request *req, struct json_object *o,
			 struct ctl_reply *rep)
{
	return stats_decode(o, &rep->stats);
}

/*
 * A command: its arguments (parse, format; NULL: it has none) and its answer's
 * members (encode, decode).
 */
static const struct command {
	const char *name;
	const char *usage;
	const char *(*parse)(const struct words *w, struct ctl_request *req);
	int (*format)(const struct ctl_request *req, char *buf, size_t len);
	void (*encode)(const struct ctl_request *req, const struct ctl_reply *rep,
		       struct json_object *o);
	bool (*decode)(const struct ctl_request *req, struct json_object *o, struct ctl_reply *rep);
} commands[CTL_NR_COMMANDS] = {
	[CTL_PING] = { "ping", "ping", NULL, NULL, encode_ping, decode_ping },
	[CTL_STATS] = { "stats", "stats", NULL, NULL, encode_stats, decode_stats },
	[CTL_HOLD] = { "hold",
		       "hold at=receive|data|reply [op=read|write|any] [ino=N] [off=N] [len=N]\n"
		       "       [count=N] [timeout_ms=N]",
		       parse_hold, format_hold, encode_hold, decode_hold },
	[CTL_WAIT] = { "wait", "wait id=N [timeout_ms=N]", parse_wait, format_wait, encode_wait,
		       decode_wait },
	[CTL_RELEASE] = { "release", "release id=N | release all", parse_release, format_release,
			  encode_release, decode_release },
	[CTL_FORKER] = { "forker", "forker on [interval_us=N] | forker off", parse_forker,
			 format_forker, encode_forker, decode_forker },
	[CTL_FORKPROBE] = { "forkprobe", "forkprobe hex=BYTES", parse_forkprobe, format_forkprobe,
			    encode_forkprobe, decode_forkprobe },
};

const char *ctl_command_name(enum ctl_command cmd)
{
	return cmd < CTL_NR_COMMANDS ? commands[cmd].name : "?";
}

const char *ctl_command_usage(enum ctl_command cmd)
{
	return cmd < CTL_NR_COMMANDS ? commands[cmd].usage : "?";
}

/* ---- requests ---- */

int ctl_request_parse(char *line, struct ctl_request *req, const char **error)
{
	struct words w = { 0 };
	char *save = NULL;
	int k;

	memset(req, 0, sizeof(*req));
	for (char *tok = strtok_r(line, " \t\r\n", &save); tok && w.argc < MAX_WORDS;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		w.argv[w.argc++] = tok;
	if (!w.argc) {
		*error = "empty command";
		return -ENODATA;
	}
	for (k = 0; k < CTL_NR_COMMANDS && strcmp(w.argv[0], commands[k].name); k++)
		;
	if (k == CTL_NR_COMMANDS) {
		*error = "unknown command";
		return -EINVAL;
	}
	req->cmd = k;
	*error = commands[k].parse ? commands[k].parse(&w, req) : NULL;
	return *error ? -EINVAL : 0;
}

int ctl_request_format(const struct ctl_request *req, char *buf, size_t len)
{
	const struct command *c = &commands[req->cmd];
	int n = c->format ? c->format(req, buf, len) : snprintf(buf, len, "%s", c->name);

	return n >= 0 && (size_t)n < len ? n : -ENOSPC;
}

/* ---- replies ---- */

void ctl_fail(struct ctl_reply *rep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->error, sizeof(rep->error), fmt, ap);
	va_end(ap);
	if (!rep->error[0])
		snprintf(rep->error, sizeof(rep->error), "error");
}

/* @o as a line into @buf, and @o dropped. */
static int format_object(struct json_object *o, char *buf, size_t len)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_LINE) : NULL;
	int n = s ? snprintf(buf, len, "%s", s) : -ENOMEM;

	json_object_put(o);
	return n < 0 ? n : (size_t)n < len ? n : -ENOSPC;
}

int ctl_reply_format(const struct ctl_request *req, const struct ctl_reply *rep, char *buf,
		     size_t len)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	add(o, "ok", json_object_new_boolean(!rep->error[0]));
	if (rep->error[0] || !req)
		add(o, "error", json_object_new_string(rep->error[0] ? rep->error : "error"));
	else if (commands[req->cmd].encode)
		commands[req->cmd].encode(req, rep, o);
	return format_object(o, buf, len);
}

int ctl_reply_parse(const struct ctl_request *req, const char *line, struct ctl_reply *rep)
{
	struct json_object *o = json_tokener_parse(line), *ok, *error;
	int ret = -EBADMSG;

	memset(rep, 0, sizeof(*rep));
	ok = json_object_is_type(o, json_type_object) ? member(o, "ok", json_type_boolean) : NULL;
	if (!ok)
		goto out;
	if (!json_object_get_boolean(ok)) {
		error = member(o, "error", json_type_string);
		ctl_fail(rep, "%s", error ? json_object_get_string(error) : "");
		ret = -EPROTO;
	} else if (!req || commands[req->cmd].decode(req, o, rep)) {
		ret = 0;
	}
out:
	json_object_put(o);
	return ret;
}

int ctl_stats_format_violations(const struct ctl_stats *st, char *buf, size_t len)
{
	struct json_object *o = json_object_new_object(), *v;

	if (!o)
		return -ENOMEM;
	stats_encode(o, st);
	v = json_object_get(member(o, "violations", json_type_object));
	json_object_put(o);
	return format_object(v, buf, len);
}
