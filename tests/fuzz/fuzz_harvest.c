/*
 * fuzz_harvest.c -- libFuzzer harness for the harvest module's request
 * parsing (harvest/: path routing, percent-decoding, CKAN parameters, fq
 * terms, dates, sort, rows/start) and every answer behind it.
 *
 * An input is "PATH?QUERY" relative to the site root (no '?': the input is
 * the query string of package_search); a first byte 'T' / 'L' sends
 * Accept text/turtle / application/ld+json.  It runs kd_prepare and
 * kd_stream against a small published portal.  Properties checked:
 *   - kd_prepare never returns NULL (there is memory);
 *   - the status is one of 200, 400, 404, 409, 500;
 *   - a 200 answer has an ETag and a Last-Modified;
 *   - a CKAN answer (api/…) is JSON with "success" matching the status,
 *     and an error answer has error.__type;
 *   - a JSON answer that streamed completely parses.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Build and run: tests/fuzz/run.sh harvest.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harvest.h"
#include "kueri.h"
#include "portal.h"
#include "publish.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pkg[] =
	"{\"name\": \"pangan\", \"title\": \"Harga \\\"pangan\\\"\",\n"
	" \"description\": \"line\\nbreak <tag> & \\\\\", \"publisher\": \"Dinas Pangan\",\n"
	" \"classification\": \"public\", \"updateFrequency\": \"P3M\",\n"
	" \"keywords\": [\"harga\", \"pangan\"],\n"
	" \"contactPoint\": {\"name\": \"X\", \"email\": \"x@example.org\"},\n"
	" \"temporal\": {\"start\": \"2024-01-01\", \"end\": \"2024-12-31\"},\n"
	" \"licenses\": [{\"name\": \"CC0-1.0\", \"path\": \"https://creativecommons.org/publicdomain/zero/1.0/\"}],\n"
	" \"resources\": [{\"name\": \"harga\", \"path\": \"harga.csv\",\n"
	"  \"description\": \"Harga harian\",\n"
	"  \"schema\": {\"fields\": [\n"
	"   {\"name\": \"kode\", \"type\": \"string\"},\n"
	"   {\"name\": \"Harga Kemarin\", \"type\": \"integer\"},\n"
	"   {\"name\": \"x\", \"type\": \"number\"},\n"
	"   {\"name\": \"ok\", \"type\": \"boolean\"},\n"
	"   {\"name\": \"g\", \"type\": \"geopoint\"}],\n"
	"  \"primaryKey\": \"kode\"}}]}\n";

static const char csv[] =
	"kode,Harga Kemarin,x,ok,g\n"
	"A1,1000,0.1,true,\"107.6, -6.9\"\n"
	"\"b,2\",,1e300,false,\n"
	"日本,-5,,,\n";

static const char *const files[] = {
	"harga.csv", csv, "datapackage.json", pkg, NULL,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fz_publish("fuzz_harvest", files);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kd_request req;
	kd_answer *a;
	const kd_head *h;
	qt_buf b = { NULL, 0, 0 };
	kueri_sink sink = { qt_buf_sink, &b };
	char *in, *q;
	int rc;

	if (size > 4096 || (in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	memset(&req, 0, sizeof req);
	req.base = "http://fuzz/";
	req.odata = "http://fuzz/odata/";
	if ((q = strchr(in, '?')) != NULL) {
		*q = '\0';
		req.path = in;
		req.query = q + 1;
	} else {
		req.path = "api/3/action/package_search";
		req.query = in;
	}
	if (size > 0 && data[0] == 'T')
		req.accept = "text/turtle";
	else if (size > 0 && data[0] == 'L')
		req.accept = "application/ld+json";
	if (!kd_is_route(req.path, req.accept)) {
		free(in);
		return 0;
	}
	if ((a = kd_prepare(fz_portal, &req)) == NULL)
		abort();
	h = kd_answer_head(a);
	if (h->status != 200 && h->status != 400 && h->status != 404 &&
	    h->status != 409 && h->status != 500)
		abort();
	if (h->status == 200 && (h->etag[0] != '"' || h->last_modified <= 0))
		abort();
	rc = kd_stream(a, &sink, NULL);
	if (rc == 0 && strstr(h->content_type, "json") != NULL) {
		json_t *j = json_loadb(b.p ? b.p : "", b.n, 0, NULL);

		if (j == NULL)
			abort();
		if (strncmp(req.path, "api/", 4) == 0 &&
		    (json_is_true(json_object_get(j, "success")) !=
		     (h->status == 200) ||
		     (h->status != 200 && !json_is_string(json_object_get(
		         json_object_get(j, "error"), "__type")))))
			abort();
		json_decref(j);
	}
	kd_free(a);
	free(b.p);
	free(in);
	return 0;
}
