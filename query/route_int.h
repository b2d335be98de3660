/*
 * route_int.h -- what route.c (the route table, JSON answers) and
 * route_html.c (the HTML pages) share, and nothing else; private to
 * query/.
 */
#ifndef KUERI_ROUTE_INT_H
#define KUERI_ROUTE_INT_H

#include <stddef.h>

#include "harvest.h"
#include "inventory.h"
#include "kq_writer.h"

enum bodyk {
	B_NONE = 0,   /* headers only (204, 304, HEAD)                    */
	B_TEXT,       /* r->text, a heap string we own                    */
	B_ENGINE,     /* r->ans, a prepared query                         */
	B_SERVICE,    /* service document                                 */
	B_METAXML,    /* CSDL XML                                         */
	B_METAJSON,   /* CSDL JSON                                        */
	B_ERROR,      /* r->err as the engine's OData error JSON          */
	B_HARVEST,    /* r->kd, a prepared harvest/ answer (DCAT, CKAN, …) */
	B_INVENTORY   /* r->ki, a prepared inventory/ answer               */
};

struct kq_resp {
	kq_resp_head      head;
	enum bodyk        body;
	char             *text;
	kq_answer        *ans;
	kd_answer        *kd;
	ki_http          *ki;
	kportal          *portal;
	const char       *root_url;
	int               head_only;
	int               meta_none;    /* odata.metadata=none asked for */
	kq_limits         lim;
	kueri_err         err;
	size_t            base_len;  /* length of the base path ("/" → 1) */
	kq_pageinfo       facets;    /* an HTML page's (facet.c)        */
};

/* route.c: the service's own error answer, the Content-Type, and the
 * inventory's day (query option today=) and state for that day. */
void kq_set_ctype(kq_resp *r, const char *ct);
int kq_fail(kq_resp *r, int status, const char *code, const char *msg,
         const char *extra);
int kq_query_today(const char *qs, ki_day *day);
ki_inventory *kq_inventory_at(kportal *p, ki_day day);

/* route_html.c: does the request want a page, the page's headers and
 * site paths, and the HTML routes (front page, html/go, error pages). */
int kq_wants_html(const kq_route_req *q);
int kq_html_page_wanted(const kq_route_req *q, const char *rest);
size_t kq_html_headers(char *buf, size_t len);
void kq_html_site(const kq_route_req *q, kb_site *site, char *base, size_t len);
int kq_sink_to_buf(void *ctx, const char *s, size_t n);
int kq_answer_html(kq_resp *r, ku_buf *b, int status);
int kq_route_front(kportal *p, const kq_route_req *q, kq_resp *r,
                const char *rest);
int kq_route_browser_root(kportal *p, const kq_route_req *q, kq_resp *r,
                       const char *rest);
int kq_route_go(kportal *p, const kq_route_req *q, kq_resp *r, const char *rest);
int kq_html_fail_page(const kq_route_req *q, kq_resp *r);

#endif
