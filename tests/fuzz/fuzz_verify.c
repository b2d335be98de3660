/*
 * fuzz_verify.c -- libFuzzer harness for package loading and verification
 * (publish/package.c, types.c, verify.c, csv.c).
 *
 * Input: a datapackage.json, a NUL byte, then the CSV (no NUL: the whole
 * input is the descriptor and the CSV is empty).  Both are written to a
 * temporary folder made once per process (datapackage.json and data.csv;
 * the seeds' resources say "path": "data.csv"), then kv_package_load and,
 * if the package loads, kv_verify with no row callback, as `kueri verify`
 * does.  Hostile schemas (patterns, enums, huge numbers, deep nesting)
 * must neither crash nor hang (libFuzzer's -timeout catches a hang).
 * Besides the sanitizers, the harness checks:
 *   - a refused package or failed verification carries an error code and
 *     a message;
 *   - kv_verify returns 0 (valid) or 1 (invalid) with a report whose
 *     "valid" agrees and that has one task per resource, each with an
 *     "errors" array that is empty exactly when the task is valid;
 *   - the stats of a resource read from data.csv count every byte of it
 *     and carry its SHA-256.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Build and run: tests/fuzz/run.sh verify (make fuzz runs every harness).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "kueri.h"
#include "publish.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char pkgpath[600], csvpath[600];
static char *csvreal;  /* realpath of data.csv, to spot resources on it */

#define CHECK(cond, ...) FZ_CHECK("fuzz_verify", cond, __VA_ARGS__)

static void put(const char *path, const void *buf, size_t n);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fz_mkdtemp("fuzz_verify");
	snprintf(pkgpath, sizeof pkgpath, "%s/datapackage.json", fz_tmpdir);
	snprintf(csvpath, sizeof csvpath, "%s/data.csv", fz_tmpdir);
	put(csvpath, "", 0);
	if (!(csvreal = realpath(csvpath, NULL))) {
		perror("fuzz_verify: realpath");
		abort();
	}
	return 0;
}

static void
put(const char *path, const void *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(buf, 1, n, f) != n) || fclose(f) != 0) {
		fprintf(stderr, "fuzz_verify: cannot write %s\n", path);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t jn = nul ? (size_t)(nul - data) : size;
	const uint8_t *csv = nul ? nul + 1 : data + size;
	size_t cn = (size_t)(data + size - csv);
	put(pkgpath, data, jn);
	put(csvpath, csv, cn);

	kueri_err err;
	kueri_err_clear(&err);
	kv_package *pkg = kv_package_load(pkgpath, &err);
	if (!pkg) {
		CHECK(err.code != KUERI_OK && err.msg[0], "refused without a reason");
		return 0;
	}
	CHECK(pkg->nres >= 1 && pkg->name && pkg->dir && pkg->json,
	      "a loaded package lacks its parts");
	kueri_err_clear(&err);
	if (kv_package_check_catalog(pkg, &err) != 0)
		CHECK(err.code == KUERI_ESCHEMA && err.msg[0], "catalog check");

	kv_stats *st = calloc((size_t)pkg->nres, sizeof *st);
	if (!st)
		abort();
	json_t *report = NULL;
	kueri_err_clear(&err);
	int rc = kv_verify(pkg, NULL, NULL, NULL, NULL, &report, st, &err);
	CHECK(rc >= -1 && rc <= 1, "kv_verify returned %d", rc);
	if (rc < 0) {
		CHECK(err.code != KUERI_OK && err.msg[0], "failed without a reason");
		CHECK(report == NULL, "a failed verification left a report");
	} else {
		CHECK(json_is_object(report), "no report");
		json_t *tasks = json_object_get(report, "tasks");
		CHECK(json_is_boolean(json_object_get(report, "valid")) &&
		      json_is_true(json_object_get(report, "valid")) == (rc == 0),
		      "report \"valid\" disagrees with %d", rc);
		CHECK(json_is_array(tasks) && json_array_size(tasks) == (size_t)pkg->nres,
		      "%zu tasks for %d resources", json_array_size(tasks), pkg->nres);
		char want[65];
		ksha256 s;
		ksha256_init(&s);
		ksha256_update(&s, csv, cn);
		ksha256_hex(&s, want);
		for (int i = 0; i < pkg->nres; i++) {
			json_t *t = json_array_get(tasks, (size_t)i);
			json_t *errs = json_object_get(t, "errors");
			int     tv = json_is_true(json_object_get(t, "valid"));
			CHECK(json_is_array(errs) && tv == (json_array_size(errs) == 0) &&
			      tv == (st[i].errors == 0),
			      "task %d: valid %d with %zu errors (%lld counted)", i, tv,
			      json_array_size(errs), st[i].errors);
			CHECK(st[i].rows >= 0 && st[i].errors >= 0, "negative stats");
			char *real = realpath(pkg->res[i].path, NULL);
			if (real && strcmp(real, csvreal) == 0)
				CHECK(st[i].bytes == (long long)cn &&
				      strcmp(st[i].sha256, want) == 0,
				      "resource %d: %lld bytes, sha %s; the file has %zu, %s",
				      i, st[i].bytes, st[i].sha256, cn, want);
			free(real);
		}
		if (rc == 0)
			for (int i = 0; i < pkg->nres; i++)
				CHECK(st[i].errors == 0, "valid with errors");
	}
	json_decref(report);
	free(st);
	kv_package_free(pkg);
	return 0;
}
