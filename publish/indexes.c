/*
 * indexes.c -- a schema's field lists ("a" or ["a","b"] → field indexes)
 * and the indexes a resource declares (kueri:index on a field,
 * kueri:indexes on the resource), for package.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgint.h"

static int
field_index(json_t *schema, const char *name)
{
	json_t *fields = json_object_get(schema, "fields"), *f;
	size_t  i;

	json_array_foreach(fields, i, f) {
		const char *n = json_string_value(json_object_get(f, "name"));

		if (n && strcmp(n, name) == 0)
			return (int)i;
	}
	return -1;
}

int *
kvp_field_list(json_t *list, json_t *schema, int *n, const char *what,
               kueri_err *err)
{
	int    *idx;
	size_t  i, cnt;
	json_t *v;

	if (json_is_string(list)) {
		if (!(idx = malloc(sizeof(int))))
			goto oom;
		if ((idx[0] = field_index(schema, json_string_value(list))) < 0) {
			kueri_err_set(err, KUERI_ESCHEMA, -1,
			              "%s names \"%s\", which is not a field", what,
			              json_string_value(list));
			free(idx);
			return NULL;
		}
		*n = 1;
		return idx;
	}
	if (!json_is_array(list) || !(cnt = json_array_size(list))) {
		kueri_err_set(err, KUERI_ESCHEMA, -1,
		              "%s must be a field name or a non-empty array of them",
		              what);
		return NULL;
	}
	if (!(idx = malloc(sizeof(int) * cnt)))
		goto oom;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (!s || (idx[i] = field_index(schema, s)) < 0) {
			kueri_err_set(err, KUERI_ESCHEMA, -1,
			              "%s names \"%s\", which is not a field", what,
			              s ? s : "(not a string)");
			free(idx);
			return NULL;
		}
	}
	*n = (int)cnt;
	return idx;
oom:
	kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	return NULL;
}

/* ---- declared indexes ------------------------------------------------ */

/* Add one index (fields idx[0..n-1]) to r, refusing repeats and caps.
 * `what` names the declaration in errors. */
static int
add_index(kv_resource *r, const int *idx, int n, const char *what,
          json_t *schema, kueri_err *err)
{
	json_t   *fields = json_object_get(schema, "fields");
	kp_index *ix;
	int       i, j;

	if (n > KP_INDEX_MAXCOLS)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "index %s has %d fields, over the limit of %d fields per"
		        " index (KP_INDEX_MAXCOLS)", what, n, KP_INDEX_MAXCOLS);
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (idx[i] == idx[j])
				return kueri_err_set(err, KUERI_ESCHEMA, -1,
				        "index %s names \"%s\" twice", what,
				        json_string_value(json_object_get(
				            json_array_get(fields, (size_t)idx[i]),
				            "name")));
	for (i = 0; i < r->nindexes; i++)
		if (r->indexes[i].ncols == n &&
		    memcmp(r->indexes[i].cols, idx, (size_t)n * sizeof *idx) == 0)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "index %s repeats an index declared before it", what);
	if (r->nindexes >= KV_MAX_INDEXES)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "index %s is over the limit of %d indexes per resource"
		        " (KV_MAX_INDEXES; kueri:index and kueri:indexes count"
		        " together)", what, KV_MAX_INDEXES);
	ix = realloc(r->indexes, (size_t)(r->nindexes + 1) * sizeof *ix);
	if (ix == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	r->indexes = ix;
	ix = &r->indexes[r->nindexes++];
	memset(ix, 0, sizeof *ix);
	ix->ncols = n;
	memcpy(ix->cols, idx, (size_t)n * sizeof *idx);
	return 0;
}

/*
 * The indexes a resource declares (docs/publishing.md "Indexes"):
 * "kueri:index": true on a field (one-field index), and on the resource
 * "kueri:indexes": [ "field" | ["field", ...], ... ] (composite ones, in
 * the order given).  Errors name the declaration and the field.
 */
int
kvp_parse_indexes(kv_resource *r, json_t *rj, json_t *schema, kueri_err *err)
{
	json_t *fields = json_object_get(schema, "fields"), *f, *list, *e;
	size_t  i;
	char    what[200];

	json_array_foreach(fields, i, f) {
		json_t *v = json_object_get(f, "kueri:index");
		int     one = (int)i;

		if (v == NULL || json_is_false(v))
			continue;
		snprintf(what, sizeof what, "on field \"%s\" (kueri:index)",
		         json_string_value(json_object_get(f, "name")));
		if (!json_is_true(v))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "field \"%s\": kueri:index must be true or false",
			        json_string_value(json_object_get(f, "name")));
		if (add_index(r, &one, 1, what, schema, err))
			return -1;
	}
	if ((list = json_object_get(rj, "kueri:indexes")) == NULL)
		return 0;
	r->declared = 1;
	if (!json_is_array(list))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "kueri:indexes must be an array of indexes, each a field"
		        " name or an array of field names");
	json_array_foreach(list, i, e) {
		char  *shown = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
		int    n = 0, *idx, rc;
		size_t k;
		json_t *name;

		snprintf(what, sizeof what, "kueri:indexes[%zu] %.150s", i,
		         shown ? shown : "");
		free(shown);
		if (!json_is_string(e) &&
		    (!json_is_array(e) || json_array_size(e) == 0))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "index %s must be a field name or a non-empty array"
			        " of field names", what);
		if (json_is_array(e) && json_array_size(e) > KP_INDEX_MAXCOLS)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "index %s has %zu fields, over the limit of %d fields"
			        " per index (KP_INDEX_MAXCOLS)", what,
			        json_array_size(e), KP_INDEX_MAXCOLS);
		/* name the unknown field ourselves: kvp_field_list's message
		 * does not say which index */
		json_array_foreach(json_is_array(e) ? e : NULL, k, name)
			if (!json_is_string(name) ||
			    field_index(schema, json_string_value(name)) < 0)
				return kueri_err_set(err, KUERI_ESCHEMA, -1,
				        "index %s names %s%s%s, which is not a field",
				        what, json_is_string(name) ? "\"" : "",
				        json_is_string(name) ? json_string_value(name)
				                             : "a non-string",
				        json_is_string(name) ? "\"" : "");
		if (json_is_string(e) &&
		    field_index(schema, json_string_value(e)) < 0)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "index %s names \"%s\", which is not a field", what,
			        json_string_value(e));
		if ((idx = kvp_field_list(e, schema, &n, "kueri:indexes",
		                          err)) == NULL)
			return -1;
		rc = add_index(r, idx, n, what, schema, err);
		free(idx);
		if (rc)
			return -1;
	}
	return 0;
}
