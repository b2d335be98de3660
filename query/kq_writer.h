/*
 * kq_writer.h -- how an answer's rows become a body: one writer per
 * format behind one interface, so the driver (exec.c) never branches on
 * the format.  JSON is json.c, CSV is csv.c; a new format (HTML,
 * GeoJSON) is one new file defining a kq_writer plus one row in
 * writers.c's table.
 *
 * The driver calls, for a collection:
 *   begin(w, b)                     once, before the first row
 *   row(w, b, i)                    per row, i = 0, 1, ... in this page;
 *                                   the row's values are w->st's columns
 *                                   0 .. w->nout-1, typed by w->out[]
 *   end(w, b, nrows, next_link)     once; next_link is the absolute URL
 *                                   of the next page, or NULL
 * for a single entity the same with w->entity = 1 and exactly one row;
 * and for an error answer only error(w, b, err) (err->pos is the byte
 * offset in the option err->target names, or -1).  Writers append to
 * `b`; the driver flushes it to the sink between rows, so a writer keeps
 * no state of its own beyond what w holds.  Each returns 0, or -1 to
 * stop the answer (out of memory).
 *
 * Everything a writer may read is in kq_wctx, borrowed from the answer
 * and valid for its whole life: the set (title, fields, OData name), the
 * request (service root, raw path, every option as sent: for links), the
 * output columns, $count, the format parameters.
 */
#ifndef KUERI_KQ_WRITER_H
#define KUERI_KQ_WRITER_H

#include "kq_int.h"
#include "html.h"

typedef struct kq_wctx {
	const kp_set      *set;          /* the entity set answered          */
	const char        *setname;      /* its OData name                   */
	const char        *service_root; /* absolute root URL, or ""         */
	const char        *rawpath;      /* resource path as requested       */
	const kq_options  *opt;          /* every option, decoded            */
	const char        *context;      /* @odata.context value             */
	const kq_outcol   *out;          /* output columns: name, type       */
	char *const       *outname;      /* "\"name\":" pre-escaped (JSON)   */
	int                nout;
	int                entity;       /* one entity, not a collection     */
	int                property;     /* SET(key)/PROP: {"value": column 0}*/
	int                has_count;    /* $count=true: count is set        */
	long long          count;
	int                ieee754;      /* IEEE754Compatible=true           */
	int                meta_none;    /* odata.metadata=none              */
	sqlite3_stmt      *st;           /* holds the current row in row()   */
	/* for writers that render pages (HTML) or keep state (open/close) */
	kportal           *portal;       /* the portal answering (catalog)   */
	const char        *rawquery;     /* query string as sent, or NULL    */
	const char        *root_path;    /* service root path, "/odata/"     */
	const void        *extra;        /* kq_request.extra, or NULL        */
	void              *state;        /* what open() returned, or NULL    */
} kq_wctx;

typedef struct kq_writer {
	const char *format;     /* $format word: "json", "csv"              */
	const char *media;      /* its media type: "application/json"       */
	const char *wildcard;   /* an Accept range it also answers, e.g.
	                           text/ + star for CSV, or NULL; the first
	                           writer in writers.c is the default     */
	int         paged;      /* 1: pages with nextLink (server page
	                           size, Prefer odata.maxpagesize); 0: one
	                           export up to kq_limits.export_cap        */
	const char *download;   /* file extension for Content-Disposition
	                           (".csv"), or NULL for inline             */
	/* The Content-Type of an answer (is_error: of an error answer). */
	void (*content_type)(const kq_wctx *w, int is_error, char *buf,
	                     size_t len);
	int  (*begin)(const kq_wctx *w, ku_buf *b);
	int  (*row)(const kq_wctx *w, ku_buf *b, long long i);
	int  (*end)(const kq_wctx *w, ku_buf *b, long long nrows,
	            const char *next_link);
	int  (*error)(const kq_wctx *w, ku_buf *b, const kueri_err *err);
	/* Optional (NULL/0 for stateless writers).  page_rows caps the page
	 * below the limits' max_page (HTML: a screenful).  open is called
	 * once before begin or error and its result kept in w->state;
	 * close(state) when the answer is freed, whether or not the answer
	 * was streamed to the end. */
	long long   page_rows;
	void *(*open)(const kq_wctx *w);
	void  (*close)(void *state);
} kq_writer;

extern const kq_writer kq_writer_json;   /* json.c */
extern const kq_writer kq_writer_csv;    /* csv.c  */
extern const kq_writer kq_writer_html;   /* html.c: dataset pages (html/) */
extern const kq_writer kq_writer_geojson;/* geojson.c: FeatureCollection  */

/* What an HTML page shows besides the answer's rows (kq_request.extra),
 * read by the route before the answer is prepared: while an answer lives
 * its authorizer allows reads of its own set only, so the catalog cannot
 * be read from inside the writer. */
typedef struct kq_pageinfo {
	const kb_facet *f;          /* facets (facet.c), n of them          */
	int             n;
	void           *catalog;    /* portal_catalog_json of the set's
	                               package (json_t *), or NULL          */
} kq_pageinfo;

/* facet.c: the page info for SET?rawquery: the catalog entry, and with
 * `facets` the facets (see there for which columns and the time budget).
 * 0 (parts may be missing), or -1 out of memory.  Free with
 * kq_pageinfo_free. */
int  kq_pageinfo_read(kportal *p, const char *setname, const char *rawquery,
                      const kq_limits *lim, int facets, kq_pageinfo *out);
void kq_pageinfo_free(kq_pageinfo *f);

/* html.c: the adapter from this interface to html/'s kb_writer, shared
 * by the HTML and GeoJSON writers (state = kq_kb_open's result). */
void *kq_kb_open(const kq_wctx *w, int html);
void  kq_kb_close(void *state);
int   kq_kb_begin(const kq_wctx *w, ku_buf *b);
int   kq_kb_row(const kq_wctx *w, ku_buf *b, long long n);
int   kq_kb_end(const kq_wctx *w, ku_buf *b, long long nrows,
                const char *next_link);

/* writers.c: the writer whose $format word or media type is t[0..n)
 * (with from_accept, also wildcards); NULL when none.  The first writer
 * in the table is the default. */
const kq_writer *kq_writer_find(const char *t, size_t n, int from_accept);
const kq_writer *kq_writer_default(void);
/* The i-th writer of the table, NULL past its end (negotiation order). */
const kq_writer *kq_writer_at(int i);

/* The OData error body {"error":{...}} for err (json.c). */
void kq_error_json(ku_buf *b, const kueri_err *err);

#endif /* KUERI_KQ_WRITER_H */
