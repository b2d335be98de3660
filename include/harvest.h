/*
 * harvest.h -- what a harvesting portal pulls from kueri (harvest/):
 *
 *   dcat.c   the catalog as DCAT-AP 3.0.1, JSON-LD and Turtle (one graph,
 *            two writers, so both say the same thing)
 *   ckan.c   the read-only CKAN Action API subset ckanext-harvest uses
 *   pkgdl.c  /catalog/NAME/datapackage.json and each resource's full CSV
 *   harvest.c  request → answer: routing inside the module, parameters,
 *            ETag/Last-Modified, the package model read from the portal
 *
 * Like the query engine (query.h) the module knows nothing of HTTP
 * transport: kd_prepare decides status and headers, the caller writes
 * them (or answers 304 / HEAD), then kd_stream writes the body to a sink.
 * Nothing here prints; nothing here writes to the portal.
 */
#ifndef KUERI_HARVEST_H
#define KUERI_HARVEST_H

#include "kueri.h"
#include "portal.h"

typedef struct kd_request {
	const char *base;   /* absolute base URL ending in '/', e.g.
	                       "http://h:8080/": every IRI and URL we emit
	                       starts with it                              */
	const char *odata;  /* absolute OData service root ("…/odata/")   */
	const char *path;   /* path after base, raw (percent-encoded), no
	                       query: "catalog.ttl", "api/3/action/x", …   */
	const char *query;  /* raw query string, or NULL                  */
	const char *accept; /* Accept header, or NULL                     */
	int         head_only;
	int         post;   /* a POST (CKAN actions only): the parameters
	                       come from body, not query                  */
	const char *body;   /* POST body, NUL-terminated, or NULL         */
	const char *content_type; /* its Content-Type, or NULL           */
} kd_request;

typedef struct kd_head {
	int       status;            /* 200, 400, 404, 409, 500           */
	char      content_type[64];
	char      etag[96];          /* strong, with quotes; "" on errors */
	long long last_modified;     /* unix seconds; 0 on errors         */
	char      filename[96];      /* download name for a CSV, or ""    */
} kd_head;

typedef struct kd_answer kd_answer;

/*
 * Which answers this module gives: 1 when `path` (as in kd_request.path)
 * with this Accept is one of ours, 0 when the caller should route it
 * elsewhere.  /catalog itself is ours only when Accept asks for JSON-LD
 * or Turtle; otherwise it stays the portal's own JSON catalog.
 */
int kd_is_route(const char *path, const char *accept);

/*
 * Prepare the answer: everything that decides status and headers is done
 * here (parameters checked, package looked up, body built unless it is
 * streamed).  NULL only when out of memory.  The portal must outlive the
 * answer; the request's strings need not.  Free with kd_free().
 */
kd_answer     *kd_prepare(kportal *p, const kd_request *req);
const kd_head *kd_answer_head(const kd_answer *a);

/* Write the body.  0, or -1 when the sink failed or the data could not be
 * read mid-stream (the body is then truncated).  Rows counted in *rows
 * (may be NULL) for a CSV download. */
int  kd_stream(kd_answer *a, const kueri_sink *sink, long long *rows);
void kd_free(kd_answer *a);

/* The EU frequency vocabulary term for an ISO 8601 updateFrequency
 * ("P1D" → "DAILY"), or NULL when there is no exact match (see
 * docs/harvest.md for the fallback). */
const char *kd_frequency(const char *iso);

#endif /* KUERI_HARVEST_H */
