/*
 * inventory.h -- the data inventory (daftar data): what each work unit
 * (produsen data) must deliver, from when, how often; statuses computed
 * at a given day; the per-unit report (rapor), the annual action plan,
 * the public release calendar (jadwal rilis); the link to publishing and
 * the history of deliveries and status changes.
 *
 *   kdate.c   strict ISO 8601 dates and schedule durations, calendar
 *             arithmetic in whole days (month-end clamping, leap days)
 *   store.c   the portal tables (kueri_inventory, kueri_inventory_version,
 *             kueri_history): import a verified inventory package as a new
 *             version, read the current one, record history, the publish
 *             check
 *   status.c  statuses, deadlines met, the report and the plan
 *   write.c   text / JSON / CSV writers through a kueri_sink, and the
 *             HTTP answers (/catalog/units, /catalog/schedule)
 *
 * Privacy: a private entry's name, title, contact and note are given to
 * the CLI writers only; every HTTP writer counts private entries and
 * never names them.
 */
#ifndef KUERI_INVENTORY_H
#define KUERI_INVENTORY_H

#include "kueri.h"
#include "portal.h"

/* ---- dates and durations (kdate.c) ----------------------------------- */

/* A day: days since 1970-01-01 (negative before).  Years 1..9999 only. */
typedef long long ki_day;

/* "yyyy-mm-dd" exactly (month and day in range, Feb 29 only in leap
 * years).  0 ok, -1 malformed or out of range (`why` says which). */
int ki_day_parse(const char *s, size_t n, ki_day *out, const char **why);

/* "yyyy-mm-dd" into buf (11 bytes). */
void ki_day_format(ki_day d, char buf[11]);

/* Today (UTC) from the clock. */
ki_day ki_day_today(void);

/* The UTC day of unix time t. */
ki_day ki_day_of(long long unix_seconds);

/* A schedule period: PnYnMnWnD, whole days only (no time part). */
typedef struct ki_period {
	long long months;  /* 12 * years + months */
	long long days;    /* 7 * weeks + days    */
} ki_period;

/* Limits: each number at most 9 digits and the whole period at most
 * KI_PERIOD_MAX_DAYS long; a zero period is refused. */
#define KI_PERIOD_MAX_DAYS 36600 /* about a hundred years */

int ki_period_parse(const char *s, size_t n, ki_period *out,
                    const char **why);

/* d + k * p: months on the calendar first (the day clamped to the month's
 * end: 2027-01-31 + P1M = 2027-02-28), then days.  0 ok, -1 when the
 * result leaves years 1..9999. */
int ki_day_add(ki_day d, const ki_period *p, long long k, ki_day *out);

/* d shifted by n calendar months (n may be negative), clamped. */
int ki_day_add_months(ki_day d, long long n, ki_day *out);

/* ---- the inventory --------------------------------------------------- */

typedef enum ki_status {
	KI_PLANNED = 0,   /* first delivery not yet within the window    */
	KI_DUE,           /* a deadline within the window, not delivered */
	KI_OVERDUE,       /* first deadline passed, nothing delivered    */
	KI_PUBLISHED,     /* delivered for the latest deadline           */
	KI_STALE,         /* delivered once, a later deadline missed     */
	KI_WITHDRAWN,     /* no longer expected (withdrawn date reached) */
	KI__MAX
} ki_status;

const char *ki_status_name(ki_status s);
/* 0 ok, -1 unknown name. */
int ki_status_parse(const char *s, ki_status *out);

typedef struct ki_entry {
	char     *name;
	char     *title;
	char     *publisher;
	int       private_;      /* classification "private"             */
	int       priority;
	ki_day    first;         /* first delivery due                   */
	char     *frequency;     /* as written, or NULL: delivered once  */
	ki_period period;        /* meaningful when frequency != NULL    */
	char     *contact;       /* or NULL                              */
	char     *note;          /* or NULL                              */
	int       has_withdrawn;
	ki_day    withdrawn;     /* no deliveries due from this day on   */

	/* Deliveries (publishes and recorded deliveries) on days <= the
	 * report's day, ascending; filled by ki_inventory_load. */
	int       ndeliv;
	ki_day   *deliv;

	/* Computed by ki_evaluate. */
	ki_status status;
	int       has_next;
	ki_day    next_due;      /* the deadline the status is about      */
	long long days_late;     /* overdue / stale: today - next_due     */
	int       has_last;
	ki_day    last;          /* latest delivery                       */
	int       last_on_time;  /* the latest delivery met its deadline  */
	long long deadlines;     /* deadlines in the last year            */
	long long met;           /* of which met                          */
} ki_entry;

typedef struct ki_inventory {
	long long version;       /* 0: no inventory imported              */
	long long imported_at;   /* unix seconds                          */
	long long due_window;    /* days (stored with the version)        */
	int       n;
	ki_entry *e;             /* sorted by publisher, then name        */
} ki_inventory;

/* Default due window in days when the import names none. */
#define KI_DUE_WINDOW_DEFAULT 14

/*
 * Read the current inventory version and the deliveries on or before
 * `today` (deliveries after it are not yet known "as of" that day).
 * An empty inventory (version 0) when none was imported.  NULL + err on
 * a database error.  Caller frees with ki_inventory_free().
 */
ki_inventory *ki_inventory_load(kportal *p, ki_day today, kueri_err *err);
void          ki_inventory_free(ki_inventory *inv);

/* Compute every entry's status and counts as of `today` with the given
 * due window (days; < 0: the inventory's own). */
void ki_evaluate(ki_inventory *inv, ki_day today, long long window);

/* ---- import, history, publishing (store.c) --------------------------- */

/* Create the inventory tables if missing (on a writable portal). */
int ki_schema(kportal *p, kueri_err *err);

/* What a library function has to say that is not an error: warnings go
 * to the caller's sink, one line each, never to stderr directly. */
typedef struct ki_import_opts {
	long long         due_window;  /* days; < 0: KI_DUE_WINDOW_DEFAULT */
	ki_day            today;       /* for the status events recorded   */
	const kueri_sink *report;      /* row/field report lines, or NULL  */
} ki_import_opts;

/*
 * Verify the inventory package at `path` (a datapackage.json whose one
 * resource has the inventory's Table Schema; see ki_table_schema) and
 * replace the inventory with it as a new version, in one transaction.
 * Every bad row is reported to opts->report as "row R, field F (name):
 * message".  Returns 0 imported (version in *version), 1 refused (bad
 * rows, or a public package already published under an entry now
 * private), 2 unchanged (the same entries and window are the current
 * version, *version), -1 error (err set).
 */
int ki_import(kportal *p, const char *path, const ki_import_opts *opts,
              long long *version, kueri_err *err);

/* The inventory's Table Schema (JSON text, static). */
const char *ki_table_schema(void);

/* Record a delivery made outside `kueri publish` (back-filled history). */
int ki_record_delivery(kportal *p, const char *name, ki_day day,
                       const char *who, kueri_err *err);

/* Append a 'status' event for each entry whose status as of `today`
 * differs from the last recorded one.  Number recorded, or -1. */
int ki_record_statuses(kportal *p, ki_day today, kueri_err *err);

/* Print the history (all, or of one name) as text lines to `out`. */
int ki_history_text(kportal *p, const char *name, const kueri_sink *out,
                    kueri_err *err);

/*
 * Before publishing: does the package at `package_path` agree with its
 * inventory entry?  0 yes, or no inventory entry (a warning line to
 * `warn`), or no inventory at all; 1 refused (publisher or classification
 * contradicts the entry; err says how); -1 error.
 */
int ki_publish_check(const char *db_path, const char *package_path,
                     const kueri_sink *warn, kueri_err *err);

/*
 * After a publish (kv_publish returned 0, or 2 with `unchanged` set):
 * record the delivery (package name, version, publisher, today) and any
 * status changes.  0 ok, -1 error (the publish itself stands).
 */
int ki_publish_record(const char *db_path, const char *package_path,
                      int unchanged, kueri_err *err);

/* ---- writers (write.c) ----------------------------------------------- */

/* KI_HTML: only an HTTP answer's choice ($format=html); the page itself is
 * html/'s (kb_units_page, kb_schedule_page) from ki_http_json. */
typedef enum ki_format { KI_TEXT = 0, KI_JSON, KI_CSV, KI_HTML } ki_format;

/* Filters for the list (NULL / -1 for none). */
int ki_write_list(const ki_inventory *inv, ki_day today,
                  const char *publisher, int status, ki_format f,
                  const kueri_sink *out);

/* The per-unit report; `public_view` 1 names no private entry. */
int ki_write_units(const ki_inventory *inv, ki_day today, ki_format f,
                   int public_view, const kueri_sink *out);

/* The release calendar: public entries only. */
int ki_write_schedule(const ki_inventory *inv, ki_day today, ki_format f,
                      const kueri_sink *out);

/*
 * The public views as JSON (json_t *, new reference; declared void * to
 * keep Jansson out of this header): what ki_write_units(..., KI_JSON, 1)
 * and ki_write_schedule(..., KI_JSON) write.  Every HTTP answer and every
 * HTML page about the inventory is built from these two, so the privacy
 * rule lives in one place.  NULL when out of memory.
 */
void *ki_units_json(const ki_inventory *inv, ki_day today);
void *ki_schedule_json(const ki_inventory *inv, ki_day today);

/*
 * Add to each package of a catalog (portal_catalog_json's array, json_t *)
 * what the evaluated inventory `inv` says about it (ki_evaluate's figures,
 * the same the schedule shows; nothing computed twice):
 *   "status"            the public entry's status (published, due, stale,
 *                       ...); without an entry (or a private one, which
 *                       is never named): "stale" when the catalog's own
 *                       `overdue` is true, else "published"
 *   "lastUpdateOnTime"  the entry's lastUpdateOnTime as in the schedule,
 *                       null without an entry or delivery
 *   "scheduleDue"       the entry's next deadline (yyyy-mm-dd) or null
 *   "daysLate"          days past that deadline (0 unless stale/overdue)
 * 0, or -1 when out of memory.
 */
int ki_catalog_annotate(const ki_inventory *inv, void *catalog);

/* The action plan of `year`: every deadline per unit and month. */
int ki_write_plan(const ki_inventory *inv, int year, ki_format f,
                  const kueri_sink *out);

/*
 * The HTTP answers under base "catalog/": `what` is the path after it
 * ("units", "units.csv", "schedule", "schedule.csv"); `query` the raw
 * query string (only "$format=json|csv|html" and "today=yyyy-mm-dd" are
 * allowed).  ki_http_prepare reads and computes everything, so errors
 * come before any header: NULL + err (KUERI_ENOTFOUND, KUERI_EBADREQ,
 * KUERI_EDB...).  Then write the head with ki_http_content_type() and the
 * body with ki_http_stream().  Caller frees with ki_http_free().
 */
typedef struct ki_http ki_http;

/* 1 when `what` is one of ours (so the router can send it here). */
int         ki_http_handles(const char *what);
ki_http    *ki_http_prepare(kportal *p, const char *what, const char *query,
                            long long now, kueri_err *err);
const char *ki_http_content_type(const ki_http *a);
int         ki_http_stream(ki_http *a, const kueri_sink *out);
void        ki_http_free(ki_http *a);
/* The answer's format (KI_JSON, KI_CSV or KI_HTML for $format=html); the
 * route may turn a JSON default into KI_HTML for a browser's Accept. */
ki_format   ki_http_format(const ki_http *a);
void        ki_http_set_format(ki_http *a, ki_format f);
/* The answer as JSON (ki_units_json / ki_schedule_json), for the HTML
 * page; new reference or NULL. */
void       *ki_http_json(const ki_http *a);

#endif /* KUERI_INVENTORY_H */
