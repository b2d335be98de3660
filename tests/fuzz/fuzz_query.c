/*
 * fuzz_query.c -- libFuzzer harness for the query engine (URL → answer).
 *
 * Each input is a request "PATH?QUERY" (no '?': the whole input is the
 * query string of the "items" set).  It runs through kq_prepare and
 * kq_stream exactly as `kueri query` does, against a small portal that
 * LLVMFuzzerInitialize publishes into a temporary directory.  Besides the
 * sanitizers, the harness checks properties every answer must have:
 *   - kq_prepare never returns NULL (there is memory);
 *   - the status is a real HTTP status;
 *   - an error answer (>= 400) is OData error JSON: one member "error"
 *     with non-empty "code" and "message";
 *   - a complete JSON answer (kq_stream returned 0) parses.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Limits keep every input fast: a 100 ms query budget, pages of 20 rows,
 * inputs capped at 4 KiB.
 *
 * Build and run: tests/fuzz/run.sh (make fuzz).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "kueri.h"
#include "portal.h"
#include "publish.h"
#include "query.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kq_limits limits;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fz_publish("fuzz_query", fz_items_files);
	kq_limits_default(&limits);
	limits.time_ms = 100;
	limits.max_page = 20;
	limits.export_cap = 100;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';	/* an embedded NUL simply ends the URL */
	kq_request req;
	memset(&req, 0, sizeof req);
	char *q = strchr(in, '?');
	if (q) {
		*q = '\0';
		req.path = in;
		req.query = q + 1;
	} else {
		req.path = "items";
		req.query = in;
	}
	req.service_root = "http://fuzz/odata/";
	/* a byte of the input picks an optional header, so those paths run too */
	if (size > 0 && data[0] == 'P')
		req.prefer = "odata.maxpagesize=3";
	if (size > 1 && data[1] == 'I')
		req.accept = "application/json;IEEE754Compatible=true";

	kq_answer *a = kq_prepare(fz_portal, &req, &limits);
	if (!a)
		abort();	/* only allowed when out of memory */
	const kq_head *h = kq_answer_head(a);
	if (h->status < 200 || h->status > 599)
		abort();
	qt_buf b = { NULL, 0, 0 };
	kueri_sink sink = { qt_buf_sink, &b };
	int rc = kq_stream(a, &sink, NULL);
	int json = strncmp(h->content_type, "application/json", 16) == 0;
	if (b.p && json && (rc == 0 || h->status >= 400)) {
		json_error_t je;
		json_t *body = json_loads(b.p, 0, &je);
		if (!body) {
			fprintf(stderr, "fuzz_query: status %d body is not JSON: %s\n%.500s\n",
			        h->status, je.text, b.p);
			abort();
		}
		if (h->status >= 400) {
			json_t *e = json_object_get(body, "error");
			const char *code = json_string_value(json_object_get(e, "code"));
			const char *msg = json_string_value(json_object_get(e, "message"));
			if (json_object_size(body) != 1 || !code || !*code || !msg || !*msg) {
				fprintf(stderr, "fuzz_query: bad error body: %.500s\n", b.p);
				abort();
			}
		}
		json_decref(body);
	}
	free(b.p);
	kq_free(a);
	free(in);
	return 0;
}
