/*
 * conn.c -- the engine's state per portal connection.
 */
#include <stdlib.h>
#include <string.h>

#include "kq_int.h"

/*
 * Per-connection state, kept in the portal's aux slot (portal_set_aux):
 * it lives exactly as long as the connection (portal_close frees it
 * before closing), so nothing is keyed by a connection's address.
 *
 * The authorizer stays installed on the connection between requests:
 * sqlite3_set_authorizer() expires every prepared statement of the
 * connection, so setting and clearing it per answer made the service's
 * own cached statements (BEGIN, COMMIT, data_version, ...) and the
 * engine's statement cache re-prepare on every request.  Instead a
 * trampoline is installed once (its user data is this state) and
 * forwards to the answer preparing on the connection (cur), allowing
 * everything otherwise -- exactly what "no authorizer" did.  One answer
 * at a time uses the trampoline; a second answer hooked while one is,
 * installs the authorizer directly and puts the trampoline back when done.
 *
 * Prepared statements are cached here too, keyed by their SQL text: a
 * client paging through a set, or many clients asking for the same page,
 * send the same query again and again, and sqlite3_prepare was a quarter
 * of such a request.  The SQL names only the set's own physical tables
 * ("t<N>", "c<i>") and carries every user value as a bound parameter, so
 * the same text means the same tables and the same authorizer verdict (it
 * was given when the statement was first prepared, under the same rules;
 * an automatic re-prepare after a schema change runs under the current
 * answer's authorizer, since the answer stays hooked).  A statement is
 * taken out of the cache while an answer uses it, so two live answers
 * never share one; at kq_free it is reset, its bindings (which point into
 * the answer's arena) cleared, and put back at the front; the least
 * recently used one is finalized when the cache is full.
 */
#define KQ_STCACHE 8

typedef struct kq_conn {
	int         registered;  /* our SQLite functions are registered    */
	int         trampoline;  /* auth_trampoline is the authorizer      */
	kq_authctx *cur;         /* the answer using the trampoline, or NULL */
	int         called;      /* the trampoline ran since reset          */
	int         n;
	struct {
		char         *sql;
		sqlite3_stmt *st;
	} e[KQ_STCACHE];      /* most recently used first */
} kq_conn;

static void
conn_free(void *v)
{
	kq_conn *c = v;
	int i;

	for (i = 0; i < c->n; i++) {
		sqlite3_finalize(c->e[i].st);
		free(c->e[i].sql);
	}
	free(c);
}

/* p's connection state, created on first use; NULL out of memory. */
static kq_conn *
conn_of(kportal *p)
{
	kq_conn *c = portal_aux(p);

	if (c == NULL && (c = calloc(1, sizeof *c)) != NULL)
		portal_set_aux(p, c, conn_free);
	return c;
}

static int
auth_trampoline(void *ctx, int action, const char *a3, const char *a4,
                const char *a5, const char *a6)
{
	kq_conn *c = ctx;

	if (c->cur == NULL)
		return SQLITE_OK;
	c->called = 1;
	return kq_authorizer(c->cur, action, a3, a4, a5, a6);
}

static void
auth_install(sqlite3 *db, kq_conn *c)
{
	sqlite3_set_authorizer(db, auth_trampoline, c);
	c->trampoline = 1;
}

int
kq_conn_hook(kportal *p, kq_authctx *auth)
{
	kq_conn *c = conn_of(p);
	sqlite3 *db = portal_db(p);

	if (c != NULL && c->cur == NULL) {
		if (!c->trampoline)
			auth_install(db, c);
		c->cur = auth;
		return 2;                       /* through the trampoline */
	}
	sqlite3_set_authorizer(db, kq_authorizer, auth);
	return 1;                           /* directly */
}

void
kq_conn_unhook(kportal *p, int mode)
{
	kq_conn *c = portal_aux(p);
	sqlite3 *db = portal_db(p);

	if (mode == 2)
		c->cur = NULL;
	else if (c != NULL && c->trampoline)
		auth_install(db, c);            /* we replaced the trampoline */
	else
		sqlite3_set_authorizer(db, NULL, NULL);
}

int
kq_conn_prepare(kportal *p, int mode, const char *sql, sqlite3_stmt **st)
{
	kq_conn *c = conn_of(p);
	sqlite3 *db = portal_db(p);
	int rc;

	if (c == NULL)
		return SQLITE_NOMEM;
	if (!c->registered) {
		/* may fail with SQLITE_BUSY while another statement runs; the
		 * functions are then already there */
		(void)kq_funcs_register(db);
		c->registered = 1;
	}
	c->called = 0;
	rc = sqlite3_prepare_v3(db, sql, -1, 0, st, NULL);
	if (rc != SQLITE_OK &&
	    strstr(sqlite3_errmsg(db), "no such function: kq_")) {
		/* the first registration met SQLITE_BUSY: retry once */
		if (kq_funcs_register(db) < 0)
			return SQLITE_ERROR;
		rc = sqlite3_prepare_v3(db, sql, -1, 0, st, NULL);
	}
	if (rc == SQLITE_OK && mode == 2 && !c->called) {
		/* Every SELECT asks the authorizer: someone replaced ours on
		 * this connection.  Put it back and prepare again under it. */
		sqlite3_finalize(*st);
		*st = NULL;
		auth_install(db, c);
		rc = sqlite3_prepare_v3(db, sql, -1, 0, st, NULL);
	}
	return rc;
}

/* Take the statement for sql out of p's cache: NULL when there is none;
 * otherwise *sqlp gets its (heap) text. */
sqlite3_stmt *
kq_conn_take(kportal *p, const char *sql, char **sqlp)
{
	kq_conn *c = portal_aux(p);
	sqlite3_stmt *st;
	int i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].sql, sql) == 0)
			break;
	if (i == c->n)
		return NULL;
	st = c->e[i].st;
	*sqlp = c->e[i].sql;
	memmove(&c->e[i], &c->e[i + 1], (size_t)(c->n - i - 1) * sizeof c->e[0]);
	c->n--;
	return st;
}

/* Give st (text sql, heap, ownership passes) back to p's cache, or
 * finalize it when it cannot be kept. */
void
kq_conn_put(kportal *p, char *sql, sqlite3_stmt *st)
{
	kq_conn *c = conn_of(p);
	int i;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (c == NULL)
		goto drop;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].sql, sql) == 0)
			goto drop;          /* a twin (two live answers) is there */
	if (c->n == KQ_STCACHE) {
		c->n--;
		sqlite3_finalize(c->e[c->n].st);
		free(c->e[c->n].sql);
	}
	memmove(&c->e[1], &c->e[0], (size_t)c->n * sizeof c->e[0]);
	c->e[0].sql = sql;
	c->e[0].st = st;
	c->n++;
	return;
drop:
	sqlite3_finalize(st);
	free(sql);
}

