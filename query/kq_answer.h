/*
 * kq_answer.h -- one answer, shared by the driver (exec.c: request,
 * negotiation, the three stages, headers, streaming) and the statement
 * builder (codegen.c).  Private to those two files.
 */
#ifndef KUERI_KQ_ANSWER_H
#define KUERI_KQ_ANSWER_H

#include <time.h>

#include "kq_writer.h"

/* The service document and $metadata are routes of their own
 * (query/route.c); the engine answers entity sets. */
enum akind { A_ERROR, A_COLLECTION, A_ENTITY, A_COUNT };

/*
 * What streaming needs once the statement is prepared: the request's
 * parse context (its arena holds every string below; its err a failure
 * mid-stream), the statement, the output columns, paging and the
 * writer.  The query tree is gone by then (exec.c frees it after
 * codegen).
 */
struct kq_answer {
	kq_parse       pc;          /* arena, set, binds, limits, error      */
	kq_head        head;
	kportal       *portal;
	sqlite3       *db;
	enum akind     kind;
	int            head_only;
	const kq_writer *writer;    /* the body's format (kq_writer.h)       */
	kq_wctx        w;           /* what the writer reads                 */
	const char    *service_root;
	const char    *rawpath;
	kq_options     opt;         /* every option, for the nextLink        */
	/* the statement */
	sqlite3_stmt  *st;
	char          *st_sql;      /* st's SQL text (heap) when it goes back
	                               to the portal's cache at kq_free      */
	sqlite3_stmt  *cst;         /* $count=true's count, until kq_run     */
	int            step_rc;     /* result of the first sqlite3_step      */
	int            last_page;   /* LIMIT leaves no row after the page:
	                               no $skiptoken is ever needed          */
	kq_outcol     *out;
	char         **outname;     /* "\"name\":" pre-escaped               */
	int            nout;
	int            nhidden;     /* sort keys + rowid after the out cols  */
	int            offset_mode;
	long long      offset;      /* rows skipped before this page         */
	long long      page;        /* rows to write (-1 unlimited)          */
	long long      top;         /* $top, -1 when absent                  */
	long long      count;
	int            has_count;
	const char    *context;
	unsigned long long qhash;
	kq_authctx     auth;
	int            hooked;
	struct timespec deadline;
	/* SET(key)/PROP (PROT 11.2.4.1): 1 the property as {"value": ...},
	 * 2 its raw /$value; 0 otherwise.  prop_null: the value is null
	 * (204 No Content). */
	int            prop;
	int            prop_null;
	/* admission (kq_limits.admit): 1 while kq_run steps; admitted once
	 * admit() said yes; refused when it said no */
	unsigned long long key;     /* the ETag's hash, 0 without one        */
	int            in_run;
	int            admitted;
	int            refused;
};

/* codegen.c: the whole statement of the resolved tree q, prepared but
 * not run; 0, or -1 with a->pc.err set. */
int  kq_codegen(kq_answer *a, const kq_query *q, const kq_request *req);
/* Run it: the count, then the first step; 0, or -1 with a->pc.err set. */
int  kq_run(kq_answer *a);
/* a->pc.err from a SQLite result code (timeout, memory, refused); -1. */
int  kq_sqlite_err(kq_answer *a, int rc);
/* Give the answer's statement back to the cache (or finalize it). */
void kq_release_st(kq_answer *a);
/* Remove the answer's authorizer and deadline from the connection. */
void kq_unhook(kq_answer *a);

#endif /* KUERI_KQ_ANSWER_H */
