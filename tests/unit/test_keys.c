/*
 * test_keys.c -- Table Schema keys compare logical values, not text
 * (publish/types_key.c kvt_key, used by verify.c's key sets): a datetime
 * is its instant whatever offset or "kueri:timezone" wrote it, a number
 * its value, a boolean its truth; a duplicate names both rows.  Cases are
 * the table tests/data/keys.txt (its opening comment gives the format);
 * each runs kv_verify on a small package in a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "publish.h"
#include "tap.h"

static char dir[400];

static int
write_file(const char *name, const char *text, int rows)
{
	char  path[700];
	FILE *f;
	int   rc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	if (rows) {
		/* ROW|ROW|...: '|' is the line break, each line ends with \n */
		for (; *text; text++)
			fputc(*text == '|' ? '\n' : *text, f);
		fputc('\n', f);
	} else {
		fputs(text, f);
	}
	rc = fclose(f);
	return rc == 0 ? 0 : -1;
}

/* "TASK:ROW,FIELD,TYPE;..." of every task's errors, or "-". */
static void
describe(json_t *report, char *out, size_t sz)
{
	json_t *task, *e;
	size_t  i, j, k = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(report, "tasks"), i, task) {
		json_array_foreach(json_object_get(task, "errors"), j, e) {
			json_t *r = json_object_get(e, "rowNumber");
			json_t *f = json_object_get(e, "fieldNumber");
			char    rs[24] = "-", fs[24] = "-";

			if (json_is_integer(r))
				snprintf(rs, sizeof rs, "%lld", (long long)json_integer_value(r));
			if (json_is_integer(f))
				snprintf(fs, sizeof fs, "%lld", (long long)json_integer_value(f));
			if (k < sz)
				k += (size_t)snprintf(out + k, sz - k, "%s%s:%s,%s,%s",
				                      k ? ";" : "",
				                      json_string_value(json_object_get(task, "name")),
				                      rs, fs,
				                      json_string_value(json_object_get(e, "type")));
		}
	}
	if (k == 0)
		snprintf(out, sz, "-");
}

/* The message of TASK's error at ROW ("r:4"), or NULL. */
static const char *
message_at(json_t *report, const char *where)
{
	json_t *task, *e;
	size_t  i, j;
	char    name[64];
	long long row;

	if (sscanf(where, "%63[^:]:%lld", name, &row) != 2)
		return NULL;
	json_array_foreach(json_object_get(report, "tasks"), i, task) {
		if (strcmp(json_string_value(json_object_get(task, "name")) ?: "", name))
			continue;
		json_array_foreach(json_object_get(task, "errors"), j, e)
			if (json_integer_value(json_object_get(e, "rowNumber")) == row)
				return json_string_value(json_object_get(e, "message"));
	}
	return NULL;
}

int
main(void)
{
	FILE   *f = fopen("tests/data/keys.txt", "r");
	char    line[4096], what[400] = "", got[2000], path[600];
	json_t *report = NULL;
	int     cases = 0;

	if (f == NULL) {
		ok(0, "open tests/data/keys.txt (run from the repo root)");
		return tap_done();
	}
	snprintf(dir, sizeof dir, "%s/kueri-keys.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		ok(0, "make a temporary directory");
		fclose(f);
		return tap_done();
	}
	snprintf(path, sizeof path, "%s/datapackage.json", dir);
	while (fgets(line, sizeof line, f)) {
		char *arg;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		arg = strchr(line, ' ');
		arg = arg ? arg + 1 : line + strlen(line);
		if (strncmp(line, "case ", 5) == 0) {
			snprintf(what, sizeof what, "%s", arg);
			cases++;
		} else if (strncmp(line, "package ", 8) == 0) {
			if (write_file("datapackage.json", arg, 0) != 0)
				ok(0, "%s: write datapackage.json", what);
		} else if (strncmp(line, "file ", 5) == 0) {
			char *sp = strchr(arg, ' ');

			if (sp == NULL) {
				ok(0, "malformed file line: %s", line);
				continue;
			}
			*sp = '\0';
			if (write_file(arg, sp + 1, 1) != 0)
				ok(0, "%s: write %s", what, arg);
		} else if (strncmp(line, "want ", 5) == 0) {
			kueri_err   err;
			kv_opts     o = { 0, 0, NULL, NULL };
			kv_package *pkg;

			json_decref(report);
			report = NULL;
			memset(&err, 0, sizeof err);
			if ((pkg = kv_package_load(path, &err)) == NULL) {
				ok(0, "%s: the package loads (%s)", what, err.msg);
				continue;
			}
			if (kv_verify(pkg, &o, NULL, NULL, NULL, &report, NULL, &err) < 0)
				snprintf(got, sizeof got, "verify failed: %s", err.msg);
			else
				describe(report, got, sizeof got);
			kv_package_free(pkg);
			is_str(got, arg, "%s", what);
		} else if (strncmp(line, "says ", 5) == 0) {
			char       *sp = strchr(arg, ' ');
			const char *m;

			if (sp == NULL) {
				ok(0, "malformed says line: %s", line);
				continue;
			}
			*sp = '\0';
			m = message_at(report, arg);
			ok(m && strstr(m, sp + 1), "%s: the error at %s says '%s'", what,
			   arg, sp + 1);
			if (!m || !strstr(m, sp + 1))
				printf("#   message: %s\n", m ? m : "(no error there)");
		} else {
			ok(0, "unknown line: %s", line);
		}
	}
	fclose(f);
	json_decref(report);
	ok(cases >= 18, "the case table has its cases (%d)", cases);
	snprintf(line, sizeof line, "rm -rf '%s'", dir);
	if (system(line) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
