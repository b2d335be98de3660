/*
 * ckanpost.c -- a CKAN action sent as POST, read into the same
 * parameters a GET carries.
 *
 * CKAN's own clients send actions as POST: ckanapi's RemoteCKAN posts a
 * JSON object (Content-Type: application/json), an HTML form or
 * `requests.post(url, data=…)` a form-encoded body.  CKAN reads either
 * (ckan/views/api.py, _get_request_data) and, for actions without side
 * effects (every action kueri answers), also the URL's parameters.  Here
 * the body becomes a form-encoded query string, so ckan.c reads one kind
 * of input whatever the method: body parameters first (ckan.c's qparam
 * takes the first occurrence), then the URL's.
 *
 * JSON values: a string as itself, a number as its JSON text, true and
 * false as "true"/"false", null as absent, a list or object as its
 * compact JSON (CKAN's list parameters, e.g. fq_list, take that form on
 * a GET too).  The body is at most 64 KiB (fcgi/record.h KR_MAX_STDIN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "kd_int.h"

/* Append the members of JSON object `o` as name=value pairs, each
 * escaped by kd_url_escape (harvest.c).  -1 when out of memory. */
static int
json_pairs(ku_buf *b, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		char num[64], *text = NULL;
		const char *s = NULL;

		switch (json_typeof(v)) {
		case JSON_NULL:
			continue;
		case JSON_STRING:
			/* json_loads refused any \u0000 (no JSON_ALLOW_NUL),
			 * so the string ends at its length. */
			s = json_string_value(v);
			break;
		case JSON_TRUE:
		case JSON_FALSE:
			s = json_is_true(v) ? "true" : "false";
			break;
		case JSON_INTEGER:
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
			         json_integer_value(v));
			s = num;
			break;
		default:        /* real, array, object: their JSON text */
			if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
			                          JSON_REAL_PRECISION(17))) == NULL) {
				b->oom = 1;
				return -1;
			}
			s = text;
			break;
		}
		if (b->n)
			ku_buf_add(b, "&", 1);
		kd_url_escape(b, k);
		ku_buf_add(b, "=", 1);
		kd_url_escape(b, s);
		free(text);
	}
	return b->oom ? -1 : 0;
}

char *
kd_post_query(const kd_request *r, char *msg, size_t mlen)
{
	const char *ct = r->content_type ? r->content_type : "";
	const char *body = r->body ? r->body : "";
	ku_buf b = { 0 };

	ku_buf_add(&b, "", 0);          /* "" rather than NULL when empty */
	if (strncasecmp(ct, "multipart/", 10) == 0) {
		snprintf(msg, mlen, "Bad request - multipart bodies (file"
		         " uploads) are not accepted: send the parameters as"
		         " JSON or a form");
		free(b.s);
		return NULL;
	}
	if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		ku_buf_puts(&b, body);
	} else if (body[strspn(body, " \t\r\n")] != '\0') {
		/* JSON, whatever the Content-Type says, as CKAN does. */
		json_error_t je;
		json_t *o = json_loads(body, JSON_REJECT_DUPLICATES, &je);

		if (o == NULL || !json_is_object(o)) {
			if (o == NULL)
				snprintf(msg, mlen, "Bad request - JSON Error:"
				         " %s at line %d, column %d", je.text,
				         je.line, je.column);
			else
				snprintf(msg, mlen, "Bad request - JSON Error:"
				         " the request body must be a JSON"
				         " object of parameters");
			json_decref(o);
			free(b.s);
			return NULL;
		}
		if (json_pairs(&b, o) != 0)
			b.oom = 1;
		json_decref(o);
	}
	if (r->query && *r->query) {
		if (b.n)
			ku_buf_add(&b, "&", 1);
		ku_buf_puts(&b, r->query);
	}
	if (b.oom) {
		snprintf(msg, mlen, "out of memory");
		free(b.s);
		return NULL;
	}
	return b.s;
}
