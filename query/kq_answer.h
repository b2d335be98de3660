/*
 * kq_answer.h -- one answer under construction, shared by the driver
 * (exec.c: request, negotiation, headers, streaming) and the statement
 * builder (codegen.c).  Private to those two files.
 */
#ifndef KUERI_KQ_ANSWER_H
#define KUERI_KQ_ANSWER_H

#include <time.h>

#include "kq_writer.h"

/* The service document and $metadata are routes of their own
 * (query/route.c); the engine answers entity sets. */
enum akind { A_ERROR, A_COLLECTION, A_ENTITY, A_COUNT };

struct kq_answer {
	kq_head        head;
	ku_arena       arena;
	kportal       *portal;
	sqlite3       *db;
	const kp_set  *set;
	kq_limits      lim;
	kueri_err      err;
	enum akind     kind;
	int            head_only;
	const kq_writer *writer;    /* the body's format (kq_writer.h)       */
	kq_wctx        w;           /* what the writer reads                 */
	const char    *service_root;
	kq_options     opt;
	/* the statement */
	sqlite3_stmt  *st;
	char          *st_sql;      /* st's SQL text (heap) when it goes back
	                               to the portal's cache at kq_free      */
	int            step_rc;     /* result of the first sqlite3_step      */
	int            last_page;   /* LIMIT leaves no row after the page:
	                               no $skiptoken is ever needed          */
	kq_binds       binds;
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
	long long      entity_count;
	const char    *context;
	const char    *rawpath;
	const char    *setname;     /* the set's OData name (path, context)  */
	int            keys[16];    /* the key $metadata declares            */
	int            nkeys;
	unsigned long long qhash;
	kq_authctx     auth;
	int            hooked;
	struct timespec deadline;
};

/* codegen.c.  Each returns 0, or -1 with a->err set. */
int  kq_build_collection(kq_answer *a, const kq_request *req);
int  kq_build_entity(kq_answer *a, const char *pred, size_t n);
int  kq_build_count(kq_answer *a);
/* Name the option an error is about (err->target), returns -1. */
int  kq_opt_err(kq_answer *a, int id);
/* a->err = out of memory; returns -1. */
int  kq_oom(kq_answer *a);
/* a->err from a SQLite result code (timeout, memory, refused); -1. */
int  kq_sqlite_err(kq_answer *a, int rc);
/* Give the answer's statement back to the cache (or finalize it). */
void kq_release_st(kq_answer *a);
/* Remove the answer's authorizer and deadline from the connection. */
void kq_unhook(kq_answer *a);

#endif /* KUERI_KQ_ANSWER_H */
