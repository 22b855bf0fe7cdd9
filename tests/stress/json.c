// SPDX-License-Identifier: GPL-2.0-or-later
/* A small JSON writer and a path-lookup reader; see json.h. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---- writer ---- */

void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->first[0] = true;
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void member(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (w->depth)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	if (key) {
		put_string(w->f, key);
		fputs(": ", w->f);
	}
}

static void open_scope(struct jw *w, const char *key, char c)
{
	member(w, key);
	fputc(c, w->f);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
	w->close[w->depth] = c == '{' ? '}' : ']';
}

void jw_obj(struct jw *w, const char *key)
{
	open_scope(w, key, '{');
}

void jw_arr(struct jw *w, const char *key)
{
	open_scope(w, key, '[');
}

void jw_end(struct jw *w)
{
	char c = w->close[w->depth];

	if (w->depth)
		w->depth--;
	fprintf(w->f, "\n%*s%c", 2 * w->depth, "", c);
	if (!w->depth)
		fputc('\n', w->f);
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	member(w, key);
	put_string(w->f, val ? val : "");
}

void jw_num(struct jw *w, const char *key, double val)
{
	member(w, key);
	if (isfinite(val))
		fprintf(w->f, "%.6g", val);
	else
		fputs("null", w->f);
}

void jw_int(struct jw *w, const char *key, long long val)
{
	member(w, key);
	fprintf(w->f, "%lld", val);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	member(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	member(w, key);
	fputs("null", w->f);
}

/* ---- reader ---- */

static const char *ws(const char *p)
{
	while (p && *p && isspace((unsigned char)*p))
		p++;
	return p;
}

static const char *skip_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p; p++) {
		if (*p == '\\') {
			if (!*++p)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

const char *json_skip(const char *p)
{
	p = ws(p);
	if (!p || !*p)
		return NULL;
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = skip_string(ws(p));
				if (!p || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			p = json_skip(p);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == close ? p + 1 : NULL;
		}
	}
	/* number, true, false, null */
	while (*p && !strchr(",}] \t\r\n", *p))
		p++;
	return p;
}

/* The member starting at @p: its quoted key in [*@ks, *@ke); returns its value or NULL. */
static const char *member_at(const char *p, const char **ks, const char **ke)
{
	*ks = ws(p);
	*ke = skip_string(*ks);
	if (!*ke)
		return NULL;
	p = ws(*ke);
	return *p == ':' ? ws(p + 1) : NULL;
}

/* The first member of the object at @p: its quoted key in [*@ks, *@ke); returns its value. */
static const char *first_member(const char *p, const char **ks, const char **ke)
{
	p = ws(p);
	if (!p || *p != '{')
		return NULL;
	p = ws(p + 1);
	if (*p == '}')
		return NULL;
	return member_at(p, ks, ke);
}

/* The member after the one whose value is at @v (keys as above), or NULL at the object's end. */
static const char *next_member(const char *v, const char **ks, const char **ke)
{
	const char *p = json_skip(v);

	if (!p || *(p = ws(p)) != ',')
		return NULL;
	return member_at(p + 1, ks, ke);
}

/* In the object at @p, the value of member @key (length @klen), or NULL. */
static const char *member_value(const char *p, const char *key, size_t klen)
{
	const char *ks, *ke;

	for (p = first_member(p, &ks, &ke); p; p = next_member(p, &ks, &ke))
		if ((size_t)(ke - ks - 2) == klen && !strncmp(ks + 1, key, klen))
			return p;
	return NULL;
}

const char *json_member(const char *obj, int index, char *key, size_t klen)
{
	const char *ks, *ke, *p;

	for (p = first_member(obj, &ks, &ke); p && index > 0; index--)
		p = next_member(p, &ks, &ke);
	if (p && klen)
		snprintf(key, klen, "%.*s", (int)(ke - ks - 2), ks + 1);
	return p;
}

const char *json_find(const char *text, const char *path)
{
	const char *p = text;

	while (p && *path) {
		const char *dot = strchr(path, '.');
		size_t klen = dot ? (size_t)(dot - path) : strlen(path);

		p = member_value(p, path, klen);
		path += klen + (dot ? 1 : 0);
	}
	return p;
}

bool json_get_num(const char *text, const char *path, double *out)
{
	const char *p = json_find(text, path);
	char *end;

	if (!p)
		return false;
	*out = strtod(p, &end);
	return end != p;
}

bool json_get_bool(const char *text, const char *path, bool *out)
{
	const char *p = json_find(text, path);

	if (!p)
		return false;
	if (!strncmp(p, "true", 4))
		*out = true;
	else if (!strncmp(p, "false", 5))
		*out = false;
	else
		return false;
	return true;
}

bool json_get_str(const char *text, const char *path, char *out, size_t len)
{
	const char *p = json_find(text, path), *end;
	size_t n = 0;

	if (!p || *p != '"' || !(end = skip_string(p)) || !len)
		return false;
	for (p++; p < end - 1 && n + 1 < len; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return true;
}
