/*
 * test_query_abnf.c -- the OASIS odata-abnf syntax cases against the engine.
 *
 * tests/data/odata-abnf-cases/abnf_cases_core.jsonl holds 275 in-scope
 * cases from the OASIS odata-abnf test suite (see its README.md): an ABNF
 * rule, an input, and whether a server must accept it.  Each case is sent
 * in the place its rule lives in a URL, over tests/data/abnf-fixture (the
 * suite's model names: Products/Customers with Name, Price, Rating, ...):
 *   boolCommonExpr / notExpr             $filter=INPUT
 *   commonExpr / firstMemberExpr         $orderby=INPUT
 *   a literal rule                       $filter=PROP eq INPUT, PROP of the
 *                                        literal's type (X, Price, D, T,
 *                                        BirthDate, LifeTime, Name, ...)
 *   odataIdentifier                      $compute=X as INPUT
 *   searchExpr                           $search=INPUT
 *   query options / $search / paths      the input is the query string
 *                                        (or PATH?QUERY)
 * Spaces, tabs, '"' and non-ASCII bytes are percent-encoded as a browser
 * would; '&' and '#' too when the input is one option's value.
 *
 * Outcome per case (url_expect, else expect) -- only what ../shared/ODATA.md
 * documents passes:
 *   accept -> ok when the answer is 2xx.  Any other answer fails unless the
 *             id is listed in tests/query/documented-abnf.txt with exactly
 *             that status and a phrase of ODATA.md that documents it (the
 *             phrase must occur in ODATA.md, whitespace aside);
 *   reject -> ok when the answer is 400.
 * Ids in tests/query/pending-abnf.txt ("ID reason" lines) are known gaps:
 * while they fail they print "not ok ... # TODO" (tests/run.sh counts them
 * as pending, not failed); a listed case that passes fails, so the list
 * cannot go stale.  An unlisted 501 fails like any other wrong answer.
 * Literal cases tagged payload-form test the JSON payload form, not URL
 * literals: "ok # SKIP", and so are the other ...Value rules.
 */
#include <ctype.h>
#include <strings.h>

#include "qtest.h"
#include "tap.h"

#define ROOT "http://kueri.test/odata/"

/* Encode what cannot travel raw in a URL; `value` also encodes & and #. */
static char *
enc(const char *s, int value)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = malloc(strlen(s) * 3 + 1), *q = o;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || c == '"' ||
		    (value && (c == '&' || c == '#'))) {
			*q++ = '%';
			*q++ = hex[c >> 4];
			*q++ = hex[c & 15];
		} else {
			*q++ = (char)c;
		}
	}
	*q = '\0';
	return o;
}

/* The property a literal of this ABNF rule is compared with, or NULL for
 * "compare the literal with itself". */
static const char *
literal_property(const char *rule)
{
	static const struct { const char *prefix, *prop; } map[] = {
		{ "boolean", "Completed" }, { "dateTimeOffset", "BirthDate" },
		{ "date", "D" }, { "decimal", "Price" }, { "double", "Price" },
		{ "single", "Price" }, { "duration", "LifeTime" },
		{ "sbyte", "X" }, { "byte", "X" }, { "int16", "X" },
		{ "int32", "X" }, { "int64", "X" }, { "null", "Name" },
		{ "string", "Name" }, { "timeOfDay", "T" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strncmp(rule, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].prop;
	return NULL;
}

/* Build path and query for a case; NULL query + reason for a skip. */
static int
build(json_t *c, char **path, char **query, const char **skip)
{
	const char *rule = json_string_value(json_object_get(c, "rule"));
	const char *cat = json_string_value(json_object_get(c, "category"));
	const char *in = json_string_value(json_object_get(c, "input"));
	json_t *tags = json_object_get(c, "tags");
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t)
		if (strcmp(json_string_value(t), "payload-form") == 0) {
			*skip = "payload lexical form, not a URL literal";
			return -1;
		}
	/* The ...Value rules are the payload forms even when untagged
	 * (booleanValue: lower-case only); ...ValueInUrl is a URL rule. */
	size_t rl = strlen(rule);
	if (strcmp(cat, "literal") == 0 && rl > 5 && strcmp(rule + rl - 5, "Value") == 0) {
		*skip = "payload lexical form (a ...Value rule), not a URL literal";
		return -1;
	}
	*path = strdup("Products");
	qt_buf b = {0};
	qt_buf_add(&b, "", 0);
	char *e = enc(in, 1);
	if (strcmp(cat, "literal") == 0) {
		if (strcmp(rule, "odataIdentifier") == 0) {
			qt_buf_add(&b, "$compute=X%20as%20", 18);
			qt_buf_add(&b, e, strlen(e));
		} else {
			const char *prop = literal_property(rule);
			qt_buf_add(&b, "$filter=", 8);
			qt_buf_add(&b, prop ? prop : e, strlen(prop ? prop : e));
			qt_buf_add(&b, "%20eq%20", 8);
			qt_buf_add(&b, e, strlen(e));
		}
	} else if (strcmp(cat, "expression") == 0) {
		int boolean = strcasecmp(rule, "boolCommonExpr") == 0 ||
		              strcmp(rule, "notExpr") == 0;
		qt_buf_add(&b, boolean ? "$filter=" : "$orderby=", boolean ? 8 : 9);
		qt_buf_add(&b, e, strlen(e));
	} else if (strcmp(cat, "search-expr") == 0) {
		qt_buf_add(&b, "$search=", 8);
		qt_buf_add(&b, e, strlen(e));
	} else {	/* query-options, search: the input is (PATH?)QUERY */
		free(e);
		e = enc(in, 0);
		const char *q = strchr(e, '?');
		if (strcmp(rule, "odataRelativeUri") == 0 && q) {
			free(*path);
			*path = strndup(e, (size_t)(q - e));
			qt_buf_add(&b, q + 1, strlen(q + 1));
		} else {
			qt_buf_add(&b, e, strlen(e));
		}
	}
	free(e);
	*query = b.p;
	return 0;
}

/* The line of `list` ("\nID ..." lines) for `id`, up to its newline, or NULL. */
static const char *
listed(const char *list, const char *id, size_t *len)
{
	char key[64];
	snprintf(key, sizeof key, "\n%s ", id);
	const char *l = list ? strstr(list, key) : NULL;
	if (!l)
		return NULL;
	l++;
	*len = strcspn(l, "\n");
	return l;
}

/* `s` with every run of white space as one space (caller frees). */
static char *
squeeze(const char *s)
{
	char *o = malloc(strlen(s) + 1), *q = o;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			*q++ = *s;
		else if (q > o && q[-1] != ' ')
			*q++ = ' ';
	*q = '\0';
	return o;
}

/* Read a list file as "\n" + text + "\n" (so every id is "\nID "). */
static char *
read_list(const char *path)
{
	char *t = qt_slurp(path, NULL), *l = NULL;
	if (t && asprintf(&l, "\n%s\n", t) < 0)
		l = NULL;
	free(t);
	return l;
}

int
main(void)
{
	char *pending = read_list("tests/query/pending-abnf.txt");
	char *documented = read_list("tests/query/documented-abnf.txt");
	const char *shared = getenv("SHARED");
	char odata_path[600];
	snprintf(odata_path, sizeof odata_path, "%s/ODATA.md",
	         shared && *shared ? shared : "../shared");
	char *odata_raw = qt_slurp(odata_path, NULL);
	char *odata = odata_raw ? squeeze(odata_raw) : NULL;
	free(odata_raw);
	char *dir = qt_tmpdir();
	char db[600];
	snprintf(db, sizeof db, "%s/portal.db", dir ? dir : "/nonexistent");
	int pub = dir ? qt_publish(db, "tests/data/abnf-fixture/datapackage.json") : -1;
	ok(pub == 0, "the ABNF model fixture publishes");
	ok(pending && documented, "tests/query/pending-abnf.txt and documented-abnf.txt are readable");
	kueri_err err;
	kueri_err_clear(&err);
	kportal *p = pub == 0 ? portal_open_ro(db, &err) : NULL;
	FILE *f = fopen("tests/data/odata-abnf-cases/abnf_cases_core.jsonl", "r");
	ok(f != NULL, "the ABNF case file is readable");
	if (!p || !f) {
		if (f)
			fclose(f);
		qt_rmtree(dir);
		free(dir);
		free(pending);
		free(documented);
		free(odata);
		return tap_done();
	}
	int total = 0, pass = 0, documented_n = 0, skipped = 0, pend = 0, failed = 0;
	int phrases_missing = 0;
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		json_error_t je;
		json_t *c = json_loads(line, 0, &je);
		if (!c)
			continue;
		if (!json_is_true(json_object_get(c, "in_scope"))) {
			json_decref(c);
			continue;
		}
		total++;
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *ue = json_string_value(json_object_get(c, "url_expect"));
		if (!ue)
			ue = json_string_value(json_object_get(c, "expect"));
		int accept = strncmp(ue, "accept", 6) == 0;
		char *path = NULL, *query = NULL;
		const char *skip = NULL;
		if (build(c, &path, &query, &skip) < 0) {
			skip("%s: %s", id, skip);
			skipped++;
			json_decref(c);
			continue;
		}
		qt_resp r;
		qt_run(p, ROOT, path, query, NULL, NULL, NULL, &r);
		json_t *body = json_loads(r.body.p, 0, &je);
		json_t *e = json_object_get(body, "error");
		const char *msg = json_string_value(json_object_get(e, "message"));
		size_t plen = 0, dlen = 0;
		const char *pl = listed(pending, id, &plen);
		const char *dl = listed(documented, id, &dlen);
		char desc[600];
		snprintf(desc, sizeof desc, "%s %s %s?%s (want %s)", id,
		         json_string_value(json_object_get(c, "rule")), path, query, ue);
		int good, doc = 0;
		char why[300] = "";
		if (accept && dl) {
			/* "ID STATUS "phrase of ODATA.md" reason" */
			int want = 0;
			const char *q1 = memchr(dl, '"', dlen), *q2 = NULL;
			if (q1)
				q2 = memchr(q1 + 1, '"', dlen - (size_t)(q1 + 1 - dl));
			sscanf(dl + strlen(id), "%d", &want);
			char phrase[256] = "";
			if (q1 && q2 && q2 - q1 - 1 < (long)sizeof phrase)
				memcpy(phrase, q1 + 1, (size_t)(q2 - q1 - 1));
			char *ph = squeeze(phrase);
			int in_doc = odata && *ph && strstr(odata, ph);
			if (!in_doc && odata)
				phrases_missing++;
			good = r.status == want && *ph && (in_doc || !odata);
			doc = 1;
			snprintf(why, sizeof why, "; documented %d: ODATA.md \"%.150s\"%s", want, ph,
			         !odata ? " (ODATA.md not found: phrase unchecked)" :
			         in_doc ? "" : " NOT FOUND in ODATA.md");
			free(ph);
		} else if (accept) {
			good = r.status >= 200 && r.status < 300;
		} else {
			good = r.status == 400;
		}
		if (pl && !good) {
			pend++;
			todo(desc, "pending: %.*s", (int)(plen - strlen(id) - 1),
			     pl + strlen(id) + 1);
			printf("#   got %d: %.200s\n", r.status, msg ? msg : r.body.p);
		} else if (pl) {
			failed++;
			ok(0, "%s -- listed in tests/query/pending-abnf.txt but passes now: "
			   "remove it from the list", desc);
		} else {
			ok(good, "%s%s", desc, why);
			if (!good) {
				failed++;
				printf("#   got %d: %.300s\n", r.status, r.body.p);
				if (accept && r.status == 501)
					printf("#   a 501 passes only when listed in tests/query/pending-abnf.txt\n");
				else if (accept && !dl)
					printf("#   an accepted case must be 2xx, or listed in "
					       "tests/query/documented-abnf.txt with the ODATA.md text that documents it\n");
			} else {
				pass++;
				documented_n += doc;
			}
		}
		json_decref(body);
		qt_resp_free(&r);
		free(path);
		free(query);
		json_decref(c);
	}
	fclose(f);
	if (odata)
		ok(phrases_missing == 0, "every documented-abnf.txt reason quotes ODATA.md (%d do not)",
		   phrases_missing);
	else
		skip("%s not found: documented-abnf.txt phrases unchecked", odata_path);
	printf("# ABNF cases: %d in scope, %d pass (%d of them a documented non-2xx), "
	       "%d skipped (payload form), %d pending, %d failed\n",
	       total, pass, documented_n, skipped, pend, failed);
	portal_close(p);
	qt_rmtree(dir);
	free(dir);
	free(pending);
	free(documented);
	free(odata);
	return tap_done();
}
