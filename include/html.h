/*
 * html.h -- the portal in a browser: server-rendered HTML pages, inline SVG
 * charts and the GeoJSON writer (html/, prefix kb_ for "browser":
 * kh_ is fcgi/http.c's and kw_ portal/writer.c's).
 *
 * Data flow (one file per stage under html/):
 *   out.c      kb_out: a small chunk buffer in front of a kueri_sink, and
 *              the escapers (HTML text, HTML attribute, JSON string, URL
 *              query value) that write into it
 *   url.c      links: the request's raw query as a list of options that a
 *              page edits (sort, filter, page, format) and writes back as
 *              an href; which URLs a data value may link to
 *   page.c     the page chrome (head, inline stylesheet, nav, footer), the
 *              Content-Security-Policy and the error page
 *   chart.c    a series (labels + values) → inline SVG bar or line chart
 *   front.c    the catalog (portal_catalog_json) → the front page body
 *   table.c    the HTML writer: begin / row / end / error → a dataset page
 *              (header, table with sort links, paging, filter box,
 *              downloads, facets, chart)
 *   geojson.c  the GeoJSON writer: same four calls → a FeatureCollection
 *
 * Writers stream: each row is escaped into a chunk buffer (KB_CHUNK bytes)
 * that is flushed to the sink when full, so a page never sits whole in
 * memory.  The chart above an aggregate table keeps at most KB_CHART_MAX
 * points (a page's worth) and is drawn after the table; the stylesheet
 * places it above (CSS `order`), so the table still streams.
 *
 * Safety: every value that reaches the page goes through kb_text or
 * kb_attr; every href is built here from parts (kb_url) or passes
 * kb_href_ok (absolute http/https only, no controls, no spaces).  Pages
 * carry no script at all; the policy (KB_CSP) forbids any.
 */
#ifndef KUERI_HTML_H
#define KUERI_HTML_H

#include <stddef.h>

#include "kueri.h"
#include "portal.h"

/* ------------------------------------------------------------- output */

#define KB_CHUNK 8192

typedef struct kb_out {
	const kueri_sink *sink;
	char   buf[KB_CHUNK];
	size_t n;
	int    failed;       /* sticky: the sink went away */
} kb_out;

/* Start a buffer in front of `sink` (borrowed; must outlive `o`). */
void kb_out_init(kb_out *o, const kueri_sink *sink);
/* Append raw bytes (already safe markup).  Flushes when the chunk fills. */
void kb_raw(kb_out *o, const char *s, size_t n);
void kb_puts(kb_out *o, const char *s);                 /* raw, NUL-ended */
void kb_printf(kb_out *o, const char *fmt, ...)         /* raw, < 1 KiB   */
	__attribute__((format(printf, 2, 3)));
/* Flush what is buffered.  0, or -1 once the sink has failed. */
int  kb_flush(kb_out *o);

/*
 * Escapers.  kb_text: element content (& < > escaped; invalid UTF-8 and
 * C0 controls other than tab/LF/CR become U+FFFD).  kb_attr: a quoted
 * attribute value (also " and ').  kb_json_str: a JSON string with quotes.
 * kb_pct: a URL query value (RFC 3986 unreserved kept, everything else
 * %XX, so '+' is %2B and a space %20 -- unambiguous under both of the
 * engine's '+' readings).  `n` may be (size_t)-1 for NUL-terminated.
 */
void kb_text(kb_out *o, const char *s, size_t n);
void kb_attr(kb_out *o, const char *s, size_t n);
void kb_json_str(kb_out *o, const char *s, size_t n);
void kb_pct(kb_out *o, const char *s, size_t n);
/* A double the way JSON wants it: shortest round-trip, NaN/INF as null. */
void kb_json_double(kb_out *o, double d);

/*
 * 1 if `s` may be an href taken from data (a uri field, a catalog link):
 * "http://" or "https://" (any case) followed by at least one byte, and
 * no byte < 0x21 or 0x7f anywhere (browsers strip tabs and newlines
 * inside "java\tscript:", so nothing is stripped here: it is refused).
 * javascript:, data:, vbscript:, relative and protocol-relative URLs → 0.
 */
int kb_href_ok(const char *s);

/* --------------------------------------------------------------- URLs */

#define KB_URL_MAX 32

/*
 * A link under construction: a path and the options of the query string.
 * Options come from the raw query (split on '&' and the first '='; names
 * decoded to find the system option, case-insensitive, '$' optional),
 * keep their raw bytes until edited, and are written back in order.  An
 * edited value is stored decoded and written through kb_pct.  Strings are
 * borrowed from the caller (raw query, literals); edited values that are
 * built (a new $filter) live in the url's own storage (`own`).
 */
typedef struct kb_opt {
	char        name[24];  /* canonical "$filter", or "" for custom     */
	const char *raw;       /* raw "name=value" slice, or NULL if edited */
	size_t      rawn;
	const char *val;       /* decoded value when edited                 */
} kb_opt;

typedef struct kb_url {
	const char *path;      /* "/odata/villages" (ours, written raw)     */
	kb_opt      opt[KB_URL_MAX];
	int         nopt;
	char       *own[4];    /* heap strings this url owns (kb_url_free)  */
	int         nown;
} kb_url;

/* Parse `query` (raw, may be NULL).  Options past KB_URL_MAX are dropped
 * (a page link never needs more; the engine caps the query length). */
void kb_url_init(kb_url *u, const char *path, const char *query);
void kb_url_free(kb_url *u);
/* The decoded value of system option `name` ("$filter") into buf, or NULL
 * when absent.  Decoding is %XX only ('+' stays '+', as typed). */
const char *kb_url_get(const kb_url *u, const char *name, char *buf,
                       size_t len);
/* Set (replace or append) / remove a system option.  `val` is decoded text,
 * borrowed unless `owned` (then freed by kb_url_free; heap from malloc). */
void kb_url_set(kb_url *u, const char *name, const char *val, int owned);
void kb_url_del(kb_url *u, const char *name);
/* Write path?query as an attribute value (already inside quotes). */
void kb_url_attr(kb_out *o, const kb_url *u);

/* OData string literal for `s`: quotes doubled, in single quotes.  New
 * heap string (caller frees); NULL when out of memory. */
char *kb_odata_string(const char *s);

/* ---------------------------------------------------------- the page */

/*
 * The Content-Security-Policy the service must send with every HTML page
 * (and X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer):
 * nothing may load but the page itself; styles only the inline stylesheet
 * by its hash; no script of any kind; forms post back to us only.
 * Written into buf (≥ 256 bytes).  The head also carries the same policy
 * as a <meta> (minus frame-ancestors, which a meta may not set), so a page
 * saved to disk keeps it.
 */
void kb_csp(char *buf, size_t len);
#define KB_CONTENT_TYPE "text/html; charset=utf-8"

/* The stylesheet (also servable as text/css) and its CSP hash source. */
extern const char kb_css[];

typedef struct kb_site {
	const char *base;   /* site root path ending in '/' ("/")            */
	const char *root;   /* OData service root path ("/odata/")           */
	const char *name;   /* portal name in the header ("kueri")           */
} kb_site;

/* <!doctype html> ... <body><header>...<main>; title is escaped. */
void kb_page_begin(kb_out *o, const kb_site *site, const char *title);
/* </main><footer>...</body></html> and a flush. */
int  kb_page_end(kb_out *o, const kb_site *site);

/*
 * The error page body: the message, the option text with a caret under
 * the error's position (counted in characters, not bytes), a hint, a link
 * back (`back` href built by the caller, may be NULL) and to the front.
 * `text` is the decoded text of err->target (NULL when none); `hint` NULL
 * picks one from the code.
 */
void kb_error_body(kb_out *o, const kb_site *site, const kueri_err *err,
                   const char *text, const char *hint, const kb_url *back);

/* A whole error page (begin + body + end).  0 or -1 (sink gone). */
int kb_error_page(const kueri_sink *sink, const kb_site *site,
                  const kueri_err *err, const char *text, const char *hint,
                  const kb_url *back);

/* ------------------------------------------------------------- charts */

#define KB_CHART_MAX 1000

typedef enum kb_chart_kind { KB_BAR = 0, KB_LINE } kb_chart_kind;

typedef struct kb_series {
	kb_chart_kind kind;
	const char   *title;    /* caption (escaped), may be NULL           */
	const char   *xname;    /* axis names (escaped)                     */
	const char   *yname;
	int           n;        /* points (≤ KB_CHART_MAX drawn)            */
	const char  *const *labels; /* x labels, in order (NULL label: "∅") */
	const double *values;   /* y values; NaN points are skipped         */
} kb_series;

/* An <svg> element (role="img", <title>, viewBox, no script, no style
 * attributes) for `s`.  Pure: the same series always gives the same
 * bytes.  Writes nothing for n == 0. */
void kb_chart_svg(kb_out *o, const kb_series *s);

/* ------------------------------------------------------------ writers */

typedef enum kb_vtype { KB_VNULL = 0, KB_VINT, KB_VREAL, KB_VTEXT } kb_vtype;

/* One value of a row (borrowed for the duration of the row call). */
typedef struct kb_value {
	kb_vtype    t;
	long long   i;
	double      d;
	const char *s;          /* KB_VTEXT: bytes, not NUL-terminated     */
	size_t      n;
} kb_value;

/* The value of column i of the row `st` holds (the adapter's one line
 * per value; a text value is borrowed until the next sqlite3_step). */
void kb_value_from_stmt(sqlite3_stmt *st, int i, kb_value *v);

/* One output column. */
typedef struct kb_col {
	const char *name;       /* OData name as in the JSON payload         */
	kp_type     type;       /* schema type; aggregates: KP_NUMBER/INT.   */
	const char *title;      /* may be NULL                              */
	const char *description;/* may be NULL                              */
} kb_col;

/* What the page says about the set besides its rows (all may be NULL). */
typedef struct kb_setmeta {
	const char *title, *owner, *license, *description;
	const char *published, *next_due;   /* ISO 8601 text                */
	int         overdue;
	long long   total_rows;             /* rows in the set, -1 unknown   */
	const char *datapackage;            /* href of its datapackage.json
	                                       (a path of ours), or NULL     */
} kb_setmeta;

/* The request as the browser sent it: known before the query runs, so
 * an error before `begin` can still link back. */
typedef struct kb_request {
	const kb_site *site;
	const char    *set;      /* entity set name (decoded)               */
	const char    *query;    /* raw query string, or NULL               */
	/* A key lookup (SET(key)): the row page -- every column with its
	 * value, type and description, links to the dataset and to the same
	 * row as JSON ({root}RAWPATH?...&$format=json). */
	int            entity;
	const char    *rawpath;  /* the path after the root, as sent, or NULL */
} kb_request;

/* Rows per HTML page unless the URL says $top: what the engine should
 * use as the page size (max_page) for an HTML answer. */
#define KB_PAGE_ROWS 50

/* What `begin` adds once the query has compiled. */
typedef struct kb_begin {
	const kb_setmeta *meta;      /* may be NULL                         */
	const kb_col     *cols;      /* borrowed until end/error            */
	int               ncols;
	long long         count;     /* @odata.count when asked, else -1    */
} kb_begin;

typedef struct kb_writer kb_writer;

/*
 * The writer interface (what the engine's writer refactor calls):
 *   begin  once, before any row; columns known, status 200 decided
 *   row    once per row, values[ncols] in column order
 *   end    after the last row: `count` = rows written in this answer,
 *          `next_link` = @odata.nextLink or NULL
 *   error  instead of (or after) rows when the query fails; after a
 *          begin it closes the page with the error box; before, it writes
 *          the whole error page (the caret under err->pos in the decoded
 *          text of the option err->target names, taken from the request).
 * Each returns 0, or -1 when the sink has gone away (stop stepping).
 * `free` releases the writer (after end or error, or instead).
 */
struct kb_writer {
	int  (*begin)(kb_writer *w, const kb_begin *b);
	int  (*row)(kb_writer *w, const kb_value *v, int n);
	int  (*end)(kb_writer *w, long long count, const char *next_link);
	int  (*error)(kb_writer *w, const kueri_err *err);
	void (*free)(kb_writer *w);
};

/* The dataset page (table.c).  sink and req (and its strings) are
 * borrowed and must outlive the writer.  NULL on OOM. */
kb_writer *kb_html_writer(const kueri_sink *sink, const kb_request *req);
/* GeoJSON FeatureCollection over the first geopoint column ("lat,lon"
 * text as the portal stores it) (geojson.c). NULL on OOM.  An error
 * before begin should be answered with kq_write_error (OData shape) by
 * the caller; the writer's own pre-begin error body is a fallback.  After
 * begin, error closes the collection with an "error" foreign member. */
kb_writer *kb_geojson_writer(const kueri_sink *sink);

/* The facets block: for column `col`, the top values with counts, each a
 * link to the current URL `u` with `col eq value` and-ed to $filter (and
 * $skiptoken/$skip dropped).  values[i] NULL = null. */
typedef struct kb_facet {
	const char        *col;
	kp_type            type;
	int                n;
	const char *const *values;
	const long long   *counts;
} kb_facet;
void kb_facets(kb_out *o, const kb_url *u, const kb_facet *f, int nf);
/* Give the HTML writer its facets before `begin` (borrowed until end). */
void kb_html_set_facets(kb_writer *w, const kb_facet *f, int nf);

/* `col eq value` as OData text (strings quoted, numbers and booleans
 * bare, NULL → null), and-ed to `filter` (may be NULL or "").  New heap
 * string or NULL. */
char *kb_filter_and_eq(const char *filter, const char *col, kp_type t,
                       const char *value);

/*
 * The $apply text that computes a facet for `col` under the current
 * $filter (decoded, may be NULL): "filter(F)/groupby((col),aggregate($count
 * as n))"; $orderby=n desc and $top=k are the caller's.  New heap string
 * or NULL.
 */
char *kb_facet_apply(const char *col, const char *filter);

/* Which answers get a chart: an aggregate page (groupby + aggregate in
 * $apply) whose first column is the group and that has a numeric column.
 * Line for date/datetime/year/yearmonth groups (or a group named year,
 * month, tahun, bulan), bar otherwise.  Returns 1 and fills x/y/kind,
 * or 0. */
int kb_chart_pick(const kb_col *cols, int ncols, const char *apply, int *x,
                  int *y, kb_chart_kind *kind);

/*
 * The filter form's target ({base}html/go): the form's query string
 * (form-encoded: '+' is a space) with fields `set`, `keep` (the raw
 * query of the other options, as the page had it) and `$filter`, turned
 * into the Location of the OData URL it stands for:
 * {root}SET?KEEP&$filter=F (F through kb_pct; empty F drops $filter).
 * Only printable ASCII leaves here.  Returns 0, or -1 with err (400).
 */
int kb_go_location(const kb_site *site, const char *form_query, char *buf,
                   size_t len, kueri_err *err);

/* The UTF-8 byte order mark Excel needs to read a CSV as UTF-8 (asked
 * for with the custom option bom=true on a $format=csv URL). */
#define KB_CSV_BOM "\xEF\xBB\xBF"

/* -------------------------------------------------------- front page */

/*
 * The front page body from portal_catalog_json's array (json_t *, borrowed,
 * declared void * to keep Jansson out of this header): one row per
 * published resource (title linking to its page, owner unit, rows, last
 * published, next update due, overdue mark), a title search box (`q`,
 * case-insensitive substring over package and resource titles and names;
 * NULL shows all) and a "how to query" box with three example URLs.
 */
void kb_front_body(kb_out *o, const kb_site *site, const void *catalog,
                   const char *q);
int  kb_front_page(const kueri_sink *sink, const kb_site *site,
                   const void *catalog, const char *q);

/* The same page with the data inventory's sections under the table
 * (html/inventory.c): `units` and `schedule` are ki_units_json and
 * ki_schedule_json (json_t *, borrowed; either may be NULL). */
int  kb_front_page_inv(const kueri_sink *sink, const kb_site *site,
                       const void *catalog, const char *q, const void *units,
                       const void *schedule);

/* ------------------------------------------------- the data inventory */

/*
 * From the inventory's public JSON only (inventory.h: ki_units_json,
 * ki_schedule_json), which names no private entry:
 *   kb_inventory_front  the front page's sections: public entries
 *                       expected and not yet published (planned, due,
 *                       overdue, with unit and due date) and the counts
 *                       per unit
 *   kb_units_page       /catalog/units for a browser: the report per
 *                       unit (counts by status, on-time rate over the
 *                       last year, what is late with days late)
 *   kb_schedule_page    /catalog/schedule for a browser: the release
 *                       calendar
 * The pages return 0, or -1 when the sink has gone away.
 */
void kb_inventory_front(kb_out *o, const kb_site *site, const void *units,
                        const void *schedule);
int  kb_units_page(const kueri_sink *sink, const kb_site *site,
                   const void *units);
int  kb_schedule_page(const kueri_sink *sink, const kb_site *site,
                      const void *schedule);

#endif /* KUERI_HTML_H */
