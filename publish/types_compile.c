/*
 * types_compile.c -- a Table Schema field descriptor → kvt_field, once per
 * schema: type and format names, missing/true/false values, constraints,
 * enum keys and the PCRE2 pattern; and the "kueri:timezone" of the
 * field, resource or package (kvt_timezone).  See types.h; the per-cell
 * parse and check that use the compiled field are in types.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "kutil.h"

static const char *const type_names[KP__MAX + 1] = {
	[KP_STRING] = "string",   [KP_INTEGER] = "integer",
	[KP_NUMBER] = "number",   [KP_BOOLEAN] = "boolean",
	[KP_DATE] = "date",       [KP_DATETIME] = "datetime",
	[KP_TIME] = "time",       [KP_YEAR] = "year",
	[KP_YEARMONTH] = "yearmonth", [KP_DURATION] = "duration",
	[KP_GEOPOINT] = "geopoint",
};

int
kvt_type(const char *name)
{
	int t;

	if (!name)
		return KP_STRING;  /* Table Schema: type defaults to string */
	if (strcmp(name, "any") == 0 || strcmp(name, "object") == 0 ||
	    strcmp(name, "array") == 0 || strcmp(name, "geojson") == 0 ||
	    strcmp(name, "list") == 0)
		return KP_STRING;  /* kept as text; kvt_field.kind checks shape */
	for (t = 0; t < KP__MAX; t++)
		if (strcmp(name, type_names[t]) == 0)
			return t;
	return -1;
}

/* ---- compile -------------------------------------------------------- */

static int
strs_from(kvt_strs *l, json_t *arr, const char *what, const char *field,
          int objects_ok, kueri_err *err)
{
	size_t  i;
	json_t *v;

	if (!json_is_array(arr))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": %s must be an array of strings",
		                     field, what);
	l->n = (int)json_array_size(arr);
	l->s = calloc((size_t)l->n + 1, sizeof(*l->s));
	l->len = calloc((size_t)l->n + 1, sizeof(*l->len));
	if (!l->s || !l->len)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	json_array_foreach(arr, i, v) {
		/* Table Schema v2: missingValues may be objects
		 * {"value": "-99", "label": "REFUSED"}; the value counts. */
		json_t *val = json_is_object(v) && objects_ok
		              ? json_object_get(v, "value") : v;

		if (!json_is_string(val))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "field \"%s\": %s must be an array of "
			                     "strings%s", field, what, objects_ok
			                     ? " or of objects with a string \"value\""
			                     : "");
		l->s[i] = json_string_value(val);
		l->len[i] = json_string_length(val);
	}
	return 0;
}

static int
strs_static(kvt_strs *l, const char *const *vals, kueri_err *err)
{
	int i;

	for (l->n = 0; vals[l->n]; l->n++)
		;
	l->s = calloc((size_t)l->n + 1, sizeof(*l->s));
	l->len = calloc((size_t)l->n + 1, sizeof(*l->len));
	if (!l->s || !l->len)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	for (i = 0; i < l->n; i++) {
		l->s[i] = vals[i];
		l->len[i] = strlen(vals[i]);
	}
	return 0;
}

static void
strs_free(kvt_strs *l)
{
	free(l->s);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

static int
one_char(json_t *fj, const char *key, char dflt, char *out, kueri_err *err)
{
	json_t     *v = json_object_get(fj, key);
	const char *s;

	*out = dflt;
	if (!v)
		return 0;
	s = json_string_value(v);
	if (!s || strlen(s) > 1 || (s[0] & 0x80))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "%s must be a single ASCII character", key);
	*out = s[0];
	return 0;
}

/* A constraint bound: a JSON number for numeric types, else text parsed
 * with the field's own type. */
static int
bound_from(kvt_field *f, json_t *v, kvt_bound *b, const char *what,
           kueri_err *err)
{
	char        scratch[256];
	kv_value    val;
	const char *why;

	b->set = 1;
	if (json_is_number(v) && (f->type == KP_INTEGER || f->type == KP_YEAR)) {
		if (!json_is_integer(v))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "field \"%s\": %s must be an integer",
			                     f->name, what);
		b->i = json_integer_value(v);
		return 0;
	}
	if (json_is_number(v) && f->type == KP_NUMBER) {
		b->d = json_number_value(v);
		return 0;
	}
	if (json_is_string(v) && json_string_length(v) < 60) {
		kvt_field plain = *f;

		memset(&plain.missing, 0, sizeof(plain.missing));
		if (kvt_parse(&plain, json_string_value(v), json_string_length(v),
		              &val, scratch, &why) == 0 && !val.null) {
			b->i = val.i;
			b->d = val.d;
			if (val.s)
				snprintf(b->s, sizeof(b->s), "%.*s", (int)val.len, val.s);
			return 0;
		}
	}
	return kueri_err_set(err, KUERI_ESCHEMA, -1,
	                     "field \"%s\": %s is not a valid %s value", f->name,
	                     what, f->type_name);
}

static int
compile_pattern(kvt_field *f, kueri_err *err)
{
	int        code;
	PCRE2_SIZE off;

	f->re = pcre2_compile((PCRE2_SPTR)f->pattern, PCRE2_ZERO_TERMINATED,
	                      PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED,
	                      &code, &off, NULL);
	if (!f->re) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(code, msg, sizeof(msg));
		return kueri_err_set(err, KUERI_ESCHEMA, (long long)off,
		                     "field \"%s\": pattern does not compile at "
		                     "offset %zu: %s", f->name, (size_t)off,
		                     (const char *)msg);
	}
	/* JIT when available; without it the interpreter still honours the
	 * limits below, just slower. */
	(void)pcre2_jit_compile(f->re, PCRE2_JIT_COMPLETE);
	f->md = pcre2_match_data_create_from_pattern(f->re, NULL);
	f->mctx = pcre2_match_context_create(NULL);
	if (!f->md || !f->mctx)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	/* A hostile pattern must not hang the verifier: bound the work per
	 * cell (backtracking steps, recursion depth, heap in KiB). */
	pcre2_set_match_limit(f->mctx, 200000);
	pcre2_set_depth_limit(f->mctx, 2000);
	pcre2_set_heap_limit(f->mctx, 8192);
	return 0;
}

/*
 * The canonical keys of `arr` into *k: constraints.enum (what = "enum")
 * or a v2 field's categories (what = "categories", whose entries may
 * also be objects {"value": v, "label": ...}).  Each value is a JSON
 * scalar or its text, read with the field's own type.
 */
static int
keys_from(kvt_field *f, json_t *arr, kvt_keys *k, const char *what,
          kueri_err *err)
{
	size_t  i;
	json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": %s must be a non-empty array",
		                     f->name, what);
	k->n = (int)json_array_size(arr);
	k->key = calloc((size_t)k->n, sizeof(*k->key));
	k->len = calloc((size_t)k->n, sizeof(*k->len));
	if (!k->key || !k->len)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	json_array_foreach(arr, i, v) {
		kv_value    val;
		const char *why;
		char        num[64];
		const char *text;
		size_t      n;
		char       *scratch;
		kvt_field   plain = *f;

		memset(&plain.missing, 0, sizeof(plain.missing));
		if (json_is_object(v) && strcmp(what, "categories") == 0)
			v = json_object_get(v, "value");
		if (json_is_string(v)) {
			text = json_string_value(v);
			n = json_string_length(v);
		} else if (json_is_integer(v)) {
			n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			                     json_integer_value(v));
			text = num;
		} else if (json_is_real(v)) {
			n = (size_t)snprintf(num, sizeof(num), "%.17g", json_real_value(v));
			text = num;
		} else if (json_is_boolean(v)) {
			text = json_is_true(v) ? "true" : "false";
			n = strlen(text);
		} else {
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "field \"%s\": %s values must be scalars%s",
			                     f->name, what,
			                     strcmp(what, "categories") == 0
			                     ? " or objects with a \"value\"" : "");
		}
		if (!(scratch = malloc(2 * n + 64)))
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		if (json_is_boolean(v) && f->type == KP_BOOLEAN) {
			val.null = 0;
			val.i = json_is_true(v);
		} else if (kvt_parse(&plain, text, n, &val, scratch, &why) != 0 ||
		           val.null) {
			free(scratch);
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "field \"%s\": %s value \"%.40s\" is not "
			                     "a valid %s", f->name, what, text,
			                     f->type_name);
		}
		/* kvt_key writes at most 9 + val.len bytes (types_key.c). */
		k->key[i] = malloc(val.len + 16);
		if (!k->key[i]) {
			free(scratch);
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		}
		k->len[i] = kvt_key(f, &val, k->key[i]);
		free(scratch);
	}
	return 0;
}

static void
keys_free(kvt_keys *k)
{
	int i;

	for (i = 0; k->key && i < k->n; i++)
		free(k->key[i]);
	free(k->key);
	free(k->len);
	memset(k, 0, sizeof(*k));
}

static long long
len_constraint(json_t *c, const char *key, kvt_field *f, kueri_err *err)
{
	json_t *v = json_object_get(c, key);

	if (!v)
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		kueri_err_set(err, KUERI_ESCHEMA, -1,
		              "field \"%s\": %s must be a non-negative integer",
		              f->name, key);
		return -2;
	}
	return json_integer_value(v);
}

/* The list type's item (v2): itemType among string, integer, boolean,
 * number, datetime, date, time, read in its default format. */
static int
list_item(kvt_field *f, json_t *fj, int tz_off, kueri_err *err)
{
	static const char *const ok[] = { "string", "integer", "boolean",
	                                  "number", "datetime", "date", "time",
	                                  NULL };
	json_t     *v = json_object_get(fj, "itemType"), *ij;
	const char *it = v ? json_string_value(v) : "string";
	int         k, rc;

	for (k = 0; it && ok[k] && strcmp(it, ok[k]); k++)
		;
	if (!it || !ok[k])
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": itemType must be one of string, "
		                     "integer, boolean, number, datetime, date, time",
		                     f->name);
	v = json_object_get(fj, "delimiter");
	if (v && (!json_is_string(v) || json_string_length(v) == 0))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": delimiter must be a non-empty "
		                     "string", f->name);
	f->list_delim = v ? json_string_value(v) : ",";
	f->list_dlen = strlen(f->list_delim);
	if (!(f->item = calloc(1, sizeof(*f->item))))
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	/* Items have no missing values of their own: an empty item is
	 * checked against the item type like any other. */
	ij = json_pack("{s:s,s:s,s:[]}", "name", f->name, "type", it,
	               "missingValues");
	if (!ij)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = kvt_compile(f->item, ij, NULL, tz_off, err);
	/* The item borrows its name and type from ij: point them at ours. */
	f->item->name = f->name;
	f->item->type_name = ok[k];
	json_decref(ij);
	return rc;
}

int
kvt_compile(kvt_field *f, json_t *fj, json_t *schema_missing, int tz_off,
            kueri_err *err)
{
	static const char *const dtrue[] = { "true", "True", "TRUE", "1", NULL };
	static const char *const dfalse[] = { "false", "False", "FALSE", "0", NULL };
	static const char *const dmissing[] = { "", NULL };
	json_t     *c, *v;
	const char *type, *format;
	int         t;

	memset(f, 0, sizeof(*f));
	f->min_len = f->max_len = -1;
	f->tz_off = tz_off;  /* before the bounds and enum are read */
	if (!json_is_object(fj))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "every field must be an object");
	f->name = json_string_value(json_object_get(fj, "name"));
	if (!f->name)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "every field needs a string \"name\"");
	v = json_object_get(fj, "type");
	if (v && !json_is_string(v))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": type must be a string", f->name);
	type = json_string_value(v);
	if ((t = kvt_type(type)) < 0)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": unknown or unsupported type \"%s\"",
		                     f->name, type);
	f->type = (kp_type)t;
	f->type_name = type ? type : "any";
	if (type && strcmp(type, "object") == 0)
		f->kind = KVT_K_OBJECT;
	else if (type && strcmp(type, "array") == 0)
		f->kind = KVT_K_ARRAY;
	else if (type && strcmp(type, "geojson") == 0)
		f->kind = KVT_K_GEOJSON;
	else if (type && strcmp(type, "list") == 0)
		f->kind = KVT_K_LIST;

	v = json_object_get(fj, "format");
	if (v && !json_is_string(v))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": format must be a string", f->name);
	format = json_string_value(v);
	/* Table Schema v2: a "fmt:" prefix (v0's way of giving a date
	 * pattern) MUST be removed. */
	if (format && strncmp(format, "fmt:", 4) == 0)
		format += 4;
	if (!format || strcmp(format, "default") == 0)
		f->format = KVT_FMT_DEFAULT;
	else if (f->kind == KVT_K_GEOJSON && strcmp(format, "topojson") == 0)
		f->kind = KVT_K_TOPOJSON;
	else if (f->kind != KVT_K_TEXT)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": format \"%s\" is not supported "
		                     "for type %s", f->name, format, f->type_name);
	else if (f->type == KP_STRING && strcmp(format, "email") == 0)
		f->format = KVT_FMT_EMAIL;
	else if (f->type == KP_STRING && strcmp(format, "uri") == 0)
		f->format = KVT_FMT_URI;
	else if (f->type == KP_STRING && strcmp(format, "uuid") == 0)
		f->format = KVT_FMT_UUID;
	else if (f->type == KP_STRING && strcmp(format, "binary") == 0)
		f->format = KVT_FMT_BINARY;
	else if ((f->type == KP_DATE || f->type == KP_TIME ||
	          f->type == KP_DATETIME) && strcmp(format, "any") == 0)
		f->format = KVT_FMT_ANY;
	else if ((f->type == KP_DATE || f->type == KP_TIME ||
	          f->type == KP_DATETIME) && strchr(format, '%')) {
		f->format = KVT_FMT_CUSTOM;
		f->fmt = format;
	} else if (f->type == KP_GEOPOINT &&
	           (strcmp(format, "array") == 0 || strcmp(format, "object") == 0))
		f->format = strcmp(format, "array") == 0 ? KVT_FMT_ANY : KVT_FMT_CUSTOM;
	else if (f->type == KP_STRING && strcmp(format, "any") == 0)
		f->format = KVT_FMT_DEFAULT;
	else
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": format \"%s\" is not supported "
		                     "for type %s", f->name, format, f->type_name);

	if (one_char(fj, "decimalChar", '.', &f->decimal_char, err) < 0 ||
	    one_char(fj, "groupChar", 0, &f->group_char, err) < 0)
		return -1;
	v = json_object_get(fj, "bareNumber");
	f->bare_number = !v || json_is_true(v);

	if ((v = json_object_get(fj, "trueValues"))
	        ? strs_from(&f->truev, v, "trueValues", f->name, 0, err)
	        : strs_static(&f->truev, dtrue, err))
		return -1;
	if ((v = json_object_get(fj, "falseValues"))
	        ? strs_from(&f->falsev, v, "falseValues", f->name, 0, err)
	        : strs_static(&f->falsev, dfalse, err))
		return -1;
	v = json_object_get(fj, "missingValues");
	if (!v)
		v = schema_missing;
	if (v ? strs_from(&f->missing, v, "missingValues", f->name, 1, err)
	      : strs_static(&f->missing, dmissing, err))
		return -1;
	if (f->kind == KVT_K_LIST && list_item(f, fj, tz_off, err) < 0)
		return -1;
	if ((v = json_object_get(fj, "categories"))) {
		/* v2: string and integer fields; values outside are errors. */
		if (f->kind != KVT_K_TEXT ||
		    (f->type != KP_INTEGER && !(f->type == KP_STRING && type &&
		                                strcmp(type, "string") == 0)))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "field \"%s\": categories apply to string "
			                     "and integer fields only", f->name);
		if (keys_from(f, v, &f->cats, "categories", err) < 0)
			return -1;
	}

	c = json_object_get(fj, "constraints");
	if (c && !json_is_object(c))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": constraints must be an object",
		                     f->name);
	if (!c)
		return 0;
	/* "Implementations SHOULD report an error if an attempt is made to
	 * evaluate a value against an unsupported constraint." */
	if (json_object_get(c, "jsonSchema"))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": constraint jsonSchema is not "
		                     "supported", f->name);
	f->required = json_is_true(json_object_get(c, "required"));
	f->unique = json_is_true(json_object_get(c, "unique"));
	if ((f->min_len = len_constraint(c, "minLength", f, err)) == -2 ||
	    (f->max_len = len_constraint(c, "maxLength", f, err)) == -2)
		return -1;
	if ((v = json_object_get(c, "minimum")) &&
	    bound_from(f, v, &f->min, "minimum", err) < 0)
		return -1;
	if ((v = json_object_get(c, "exclusiveMinimum"))) {
		if (bound_from(f, v, &f->min, "exclusiveMinimum", err) < 0)
			return -1;
		f->min.excl = 1;
	}
	if ((v = json_object_get(c, "maximum")) &&
	    bound_from(f, v, &f->max, "maximum", err) < 0)
		return -1;
	if ((v = json_object_get(c, "exclusiveMaximum"))) {
		if (bound_from(f, v, &f->max, "exclusiveMaximum", err) < 0)
			return -1;
		f->max.excl = 1;
	}
	/* v2 lists duration among the ordered types (compared by length,
	 * ku_duration_span); text-kept types and booleans have no order. */
	if ((f->min.set || f->max.set) &&
	    (f->type == KP_STRING || f->type == KP_BOOLEAN ||
	     f->type == KP_GEOPOINT))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "field \"%s\": minimum/maximum do not apply to "
		                     "type %s", f->name, f->type_name);
	if ((v = json_object_get(c, "enum")) &&
	    keys_from(f, v, &f->enums, "enum", err) < 0)
		return -1;
	if ((v = json_object_get(c, "pattern"))) {
		if (!json_is_string(v))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "field \"%s\": pattern must be a string",
			                     f->name);
		f->pattern = json_string_value(v);
		if (compile_pattern(f, err) < 0)
			return -1;
	}
	return 0;
}

void
kvt_free(kvt_field *f)
{
	strs_free(&f->truev);
	strs_free(&f->falsev);
	strs_free(&f->missing);
	keys_free(&f->enums);
	keys_free(&f->cats);
	if (f->item) {
		kvt_free(f->item);
		free(f->item);
	}
	pcre2_match_data_free(f->md);
	pcre2_match_context_free(f->mctx);
	pcre2_code_free(f->re);
	memset(f, 0, sizeof(*f));
}

/* ---- time zones ------------------------------------------------------ */

/* One "kueri:timezone" value → minutes east of UTC.  0 ok, 1 bad. */
static int
tz_value(json_t *v, int *minutes)
{
	static const struct { const char *name; int off; } named[] = {
		{ "Z", 0 }, { "UTC", 0 },
		{ "WIB", 7 * 60 }, { "WITA", 8 * 60 }, { "WIT", 9 * 60 },
	};
	const char *s = json_string_value(v);
	size_t      i;
	int         hh, mm;

	if (s == NULL)
		return 1;
	for (i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcmp(s, named[i].name) == 0) {
			*minutes = named[i].off;
			return 0;
		}
	if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    !isdigit((unsigned char)s[4]) || !isdigit((unsigned char)s[5]))
		return 1;
	hh = (s[1] - '0') * 10 + (s[2] - '0');
	mm = (s[4] - '0') * 10 + (s[5] - '0');
	if (mm > 59 || hh * 60 + mm > 14 * 60)
		return 1;
	*minutes = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
	return 0;
}

int
kvt_timezone(json_t *pkg, json_t *res, json_t *field, int *minutes,
             kueri_err *err)
{
	json_t *const level[3] = { field, res, pkg };
	static const char *const what[3] = { "field", "resource", "package" };
	int k, found = 0, off;

	*minutes = 0;
	for (k = 0; k < 3; k++) {
		json_t *v = json_object_get(level[k], "kueri:timezone");

		if (v == NULL)
			continue;
		if (tz_value(v, &off)) {
			const char *name = json_string_value(
			    json_object_get(level[k], "name"));
			const char *s = json_string_value(v);

			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			    "%s \"%s\": \"kueri:timezone\" must be a UTC offset "
			    "\"+hh:mm\" or \"-hh:mm\" (at most 14:00), \"Z\", "
			    "\"UTC\", \"WIB\" (+07:00), \"WITA\" (+08:00) or "
			    "\"WIT\" (+09:00), not %s%.40s%s", what[k],
			    name ? name : "?", s ? "\"" : "a ", s ? s : "non-string",
			    s ? "\"" : "");
		}
		if (!found)
			*minutes = off;
		found = 1;
	}
	return 0;
}
