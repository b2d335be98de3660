/*
 * test_functab.c -- the OData function table (query/functab.c) is
 * consistent, so adding a function really is one row: every row is found
 * by its name (in any case), its arity is sane, its SQL template names
 * only arguments it can have and only bound literals it carries, and the
 * SQLite function it calls is one the authorizer allows.
 */
#include <ctype.h>
#include <string.h>
#include <sqlite3.h>

#include "../../query/kq_int.h"
#include "tap.h"

int
main(void)
{
	const kq_fninfo *f;
	size_t i;
	int rows = 0;

	for (i = 0; (f = kq_fn_at(i)) != NULL; i++) {
		char upper[64];
		size_t k, n = strlen(f->name);
		int tmpl_ok = 1;
		kq_authctx ac = { "t1", "", 0, 0 };

		rows++;
		if (f == kq_fn_case) {
			ok(kq_fn_find("case", 4) == NULL,
			   "case() is parsed by its own rule, never found by name");
			continue;
		}
		ok(kq_fn_find(f->name, n) == f, "%s: found by its name", f->name);
		for (k = 0; k < n && k < sizeof upper - 1; k++)
			upper[k] = (char)toupper((unsigned char)f->name[k]);
		ok(kq_fn_find(upper, n) == f, "%s: found ignoring case", f->name);
		ok(f->min >= 0 && f->min <= f->max && f->max <= 3,
		   "%s: arity %d..%d is sane", f->name, f->min, f->max);
		for (k = 0; f->sql && f->sql[k]; k++) {
			char c;

			if (f->sql[k] != '%')
				continue;
			c = f->sql[++k];
			if (c == '*' || c == 'T')
				continue;
			if (c == 'L' && f->lit != NULL)
				continue;
			if (c >= '0' && c <= '9' && c - '0' < f->min)
				continue;
			tmpl_ok = 0;
		}
		ok(f->sql != NULL && tmpl_ok,
		   "%s: SQL template '%s' uses only arguments it always has",
		   f->name, f->sql ? f->sql : "(null)");
		ok(f->sqlfn == NULL || strstr(f->sql, f->sqlfn) != NULL,
		   "%s: the template calls its SQLite function", f->name);
		ok(f->sqlfn == NULL ||
		   kq_authorizer(&ac, SQLITE_FUNCTION, NULL, f->sqlfn, NULL,
		                 NULL) == SQLITE_OK,
		   "%s: the authorizer allows %s", f->name,
		   f->sqlfn ? f->sqlfn : "-");
	}
	ok(rows >= 29, "the table has every function (%d rows)", rows);
	ok(kq_fn_find("nosuch", 6) == NULL, "an unknown name is not found");
	{
		kq_authctx ac = { "t1", "", 0, 0 };

		ok(kq_authorizer(&ac, SQLITE_FUNCTION, NULL, "load_extension",
		                 NULL, NULL) == SQLITE_DENY,
		   "a function in no table is refused");
	}
	return tap_done();
}
