/*
 * kd_int.h -- private to harvest/: the answer object, the package model
 * and the writers' entry points.
 */
#ifndef KUERI_KD_INT_H
#define KUERI_KD_INT_H

#include <jansson.h>

#include "harvest.h"
#include "kutil.h"   /* ku_buf: the project's growing buffer */


enum { KD_BODY = 0, KD_CSV, KD_DATAPACKAGE };

struct kd_answer {
	kd_head       h;
	kportal      *p;
	int           kind;
	ku_buf        body;    /* KD_BODY: the whole body                  */
	const kp_set *set;     /* KD_CSV                                   */
	json_t       *pkg;     /* KD_DATAPACKAGE: the catalog entry (owned)*/
	char         *base;    /* copy of the request's base URL           */
};

/*
 * The public packages as the portal's catalog JSON (portal_catalog_json:
 * name, title, description, publisher, version, published_at, licenses,
 * keywords, contactPoint, temporal, spatial, resources[…]), private ones
 * dropped even if a tampered file held one.  `name` NULL for all.  NULL +
 * err (KUERI_ENOTFOUND for an absent or private name).  Caller decrefs.
 */
json_t *kd_packages(kportal *p, const char *name, kueri_err *err);

/* "2026-01-02T03:04:05[.fff][Z]" (also a bare date) → unix seconds;
 * -1 when it does not parse. */
long long kd_time_parse(const char *s);

/* Append `s` percent-encoded for a URL path segment or query value. */
void kd_url_escape(ku_buf *b, const char *s);

/* URLs every writer agrees on (into b): the dataset IRI / page
 * base+"catalog/NAME", the package download and a resource's CSV. */
void kd_url_dataset(ku_buf *b, const char *base, const char *pkg);
void kd_url_datapackage(ku_buf *b, const char *base, const char *pkg);
void kd_url_csv(ku_buf *b, const char *base, const char *pkg,
                const char *res);

/* dcat.c: the catalog graph serialised; 0 or -1 (out of memory). */
int kd_dcat(kportal *p, json_t *pkgs, const kd_request *r, long long modified,
            int turtle, ku_buf *out);

/* ckanpost.c: a POST's parameters (JSON object or form body, then the
 * URL's) as one form-encoded query string, malloc'd; NULL with msg set
 * (CKAN's "Bad request - ..." text) when the body cannot be read. */
char *kd_post_query(const kd_request *r, char *msg, size_t mlen);

/* ckan.c: answer action `action` (decoded) into a->h.status / a->body;
 * a POST's body is read first (kd_post_query). */
void kd_ckan(kportal *p, const kd_request *r, const char *action,
             kd_answer *a);

/* pkgdl.c */
int kd_csv_write(kportal *p, const kp_set *s, const kueri_sink *sink,
                 long long *rows, long long *bytes, char sha[65]);
int kd_datapackage_write(kportal *p, json_t *pkg, const char *base,
                         const kueri_sink *sink);

#endif /* KUERI_KD_INT_H */
