/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small JSON writer (for --json) and a path lookup reader (for the control socket's answers,
 * docs/control.md). Enough for flat objects of numbers, strings, booleans and nested objects.
 */
#ifndef FORKSTRESS_JSON_H
#define FORKSTRESS_JSON_H

#include <stdbool.h>
#include <stdio.h>

/* ---- writer ---- */

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	int depth;
	bool first[JW_MAX_DEPTH];
	char close[JW_MAX_DEPTH];
};

void jw_init(struct jw *w, FILE *f);
/* @key is NULL inside arrays and for the outermost value. */
void jw_obj(struct jw *w, const char *key);
void jw_arr(struct jw *w, const char *key);
void jw_end(struct jw *w); /* closes the innermost object or array */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_num(struct jw *w, const char *key, double val);
void jw_int(struct jw *w, const char *key, long long val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);

/* ---- reader ---- */

/*
 * Find the value at @path ("pins.outstanding") in the JSON object @text. Returns a pointer to
 * the first character of the value, or NULL when a component is missing or @text is malformed.
 */
const char *json_find(const char *text, const char *path);
bool json_get_num(const char *text, const char *path, double *out);
bool json_get_bool(const char *text, const char *path, bool *out);
/* Copies a string value (escapes other than \" and \\ are kept as they are). */
bool json_get_str(const char *text, const char *path, char *out, size_t len);
/*
 * The member number @index (from 0) of the object @obj: its key (unescaped quotes are not
 * expected in keys) goes to @key, and the result points at its value; NULL past the last member.
 */
const char *json_member(const char *obj, int index, char *key, size_t klen);
/* Returns the end of the value starting at @p (one past its last character), or NULL. */
const char *json_skip(const char *p);

#endif
