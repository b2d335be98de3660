/*
 * page.c -- what every page shares: the head with the policy and the
 * stylesheet, the header bar, the footer, and the error page.
 *
 * The stylesheet is inline and named in the policy by its SHA-256, so a
 * page is one request, works from a saved file, and nothing else may
 * style it.  There is no script at all (script-src 'none'); charts are
 * SVG drawn on the server, sorting and paging are links, the filter is a
 * form.  SVG uses presentation attributes (fill=, stroke=), never style=,
 * which the policy would refuse.
 */
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "publish.h"

const char kb_css[] =
":root{--fg:#1d2433;--mute:#5b6475;--line:#d9dee7;--bg:#fff;--soft:#f4f6f9;"
"--accent:#1f5fbf;--warn:#a23b00;--warnbg:#fff1e8;--err:#a3142b}\n"
"*{box-sizing:border-box}\n"
"html{-webkit-text-size-adjust:100%}\n"
"body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
"\"Noto Sans\",\"DejaVu Sans\",sans-serif;color:var(--fg);background:var(--bg)}\n"
"a{color:var(--accent)}a:hover{text-decoration:none}\n"
"header.site{background:#17325c;color:#fff;padding:.6rem 1rem;display:flex;"
"gap:1rem;align-items:baseline;flex-wrap:wrap}\n"
"header.site a{color:#fff;text-decoration:none}\n"
"header.site .brand{font-weight:700;font-size:1.15rem}\n"
"header.site nav a{margin-right:1rem;opacity:.9;display:inline-block}\n"
"main{max-width:72rem;margin:0 auto;padding:1rem}\n"
"footer.site{max-width:72rem;margin:2rem auto 1rem;padding:0 1rem;"
"color:var(--mute);font-size:.85rem;border-top:1px solid var(--line)}\n"
"h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0}\n"
"h2{font-size:1.15rem;margin:1.5rem 0 .5rem}\n"
".meta{color:var(--mute);margin:.25rem 0 1rem}\n"
".meta span{margin-right:1rem;display:inline-block}\n"
".scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}\n"
"table{border-collapse:collapse;width:100%;font-size:.92rem}\n"
"th,td{padding:.4rem .6rem;text-align:left;vertical-align:top;"
"border-bottom:1px solid var(--line)}\n"
"th{background:var(--soft);white-space:nowrap;position:sticky;top:0}\n"
"th a{text-decoration:none;color:var(--fg)}th a:hover{color:var(--accent)}\n"
"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
"td.null{color:var(--mute);font-style:italic}\n"
"td{overflow-wrap:anywhere;max-width:28rem}\n"
"td.num,td.nw{white-space:nowrap;overflow-wrap:normal}\n"
"select{font:inherit;padding:.35rem .4rem;border:1px solid var(--line);"
"border-radius:4px;background:#fff;max-width:100%}\n"
"tr:nth-child(even) td{background:#fafbfc}\n"
".overdue{color:var(--warn);background:var(--warnbg);border-radius:4px;"
"padding:0 .35rem;font-size:.85rem;white-space:nowrap}\n"
".ok{color:#236b2e;font-size:.85rem}\n"
".box{background:var(--soft);border:1px solid var(--line);border-radius:6px;"
"padding:.75rem 1rem;margin:1rem 0}\n"
".box h2{margin-top:0}\n"
"code,pre{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;"
"font-size:.88rem}\n"
"pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}\n"
"code.url{display:block;overflow-wrap:anywhere;background:#fff;"
"border:1px solid var(--line);padding:.3rem .5rem;border-radius:4px}\n"
"form.inline{display:flex;gap:.5rem;flex-wrap:wrap;margin:.5rem 0}\n"
"input[type=text],input[type=search]{flex:1 1 16rem;min-width:0;"
"font:inherit;padding:.35rem .5rem;border:1px solid #aab3c2;border-radius:4px}\n"
"button{font:inherit;padding:.35rem .9rem;border:1px solid var(--accent);"
"background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}\n"
".pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0;"
"flex-wrap:wrap}\n"
".downloads a{margin-right:1rem;white-space:nowrap}\n"
".facets{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));"
"gap:.75rem;margin:1rem 0}\n"
".facet{border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem}\n"
".facet h3{font-size:.95rem;margin:0 0 .25rem}\n"
".facet ul{list-style:none;margin:0;padding:0}\n"
".facet li{display:flex;justify-content:space-between;gap:.5rem}\n"
".facet .n{color:var(--mute);font-variant-numeric:tabular-nums}\n"
".view{display:flex;flex-direction:column}\n"
".view .chart{order:-1}\n"
"figure.chart{margin:1rem 0}\n"
"figure.chart svg{width:100%;height:auto;max-height:26rem}\n"
"figure.chart figcaption{color:var(--mute);font-size:.9rem}\n"
"svg .bar{fill:#3b78d8}svg .line{fill:none;stroke:#3b78d8;stroke-width:2}\n"
"svg .dot{fill:#3b78d8}svg .axis{stroke:#8a93a3;stroke-width:1}\n"
"svg .grid{stroke:#e6e9ef;stroke-width:1}\n"
"svg text{fill:#4a5263;font-size:12px;font-family:inherit}\n"
".error{border-left:4px solid var(--err);background:#fff5f6;padding:.75rem 1rem;"
"margin:1rem 0;border-radius:0 6px 6px 0}\n"
".error .msg{font-weight:600;color:var(--err)}\n"
".error pre.caret{background:#fff;border:1px solid var(--line);padding:.4rem;"
"white-space:pre;overflow-x:auto;overflow-wrap:normal}\n"
"dl.cols{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;"
"margin:.5rem 0}\n"
"dl.cols dt{font-weight:600}dl.cols dd{margin:0;color:var(--mute)}\n"
"details summary{cursor:pointer;color:var(--accent)}\n"
".howto code{overflow-wrap:anywhere;word-break:break-all}\n"
"form.inline label{align-self:center;font-weight:600}\n"
"@media (max-width:40rem){body{font-size:15px}main{padding:.6rem}"
"h1{font-size:1.3rem}th,td{padding:.35rem .45rem}"
"table.catalog thead{display:none}table.catalog tr{display:block;"
"border-bottom:1px solid var(--line);padding:.4rem 0}"
"table.catalog td{display:block;border:0;padding:.1rem .5rem;max-width:none;"
"text-align:left}table.rows td{min-width:7rem}"
"table.catalog td[data-label]::before{content:attr(data-label) \": \";"
"color:var(--mute)}"
"dl.cols{grid-template-columns:1fr}dl.cols dd{margin-bottom:.4rem}}\n"
".st{border-radius:4px;padding:0 .35rem;font-size:.85rem;white-space:nowrap;"
"border:1px solid var(--line)}\n"
".st-published{color:#236b2e;background:#eef8ef}"
".st-due{color:#7a5600;background:#fff8e1}"
".st-overdue,.st-stale{color:var(--warn);background:var(--warnbg)}"
".st-planned,.st-withdrawn,.st-other{color:var(--mute);background:var(--soft)}\n"
".mute{color:var(--mute)}td.late{color:var(--warn);font-weight:600}span.nw{white-space:nowrap}\n"
".meta span.st{margin-right:.3rem}\n"
"table.record th{position:static;white-space:normal;width:1%}\n"
"table.record td.desc{color:var(--mute)}\n"
"@media (max-width:40rem){table.units td{display:inline-block;padding:.1rem .4rem}"
"table.units td:first-child,table.units td:last-child{display:block}"
"table.units tr{padding:.3rem 0}table.record td,table.record th{display:block;"
"border:0;padding:.1rem .5rem;max-width:none;width:auto}"
"table.record thead{display:none}table.record tr{display:block;"
"border-bottom:1px solid var(--line);padding:.3rem 0}}\n";

/* base64 of the stylesheet's SHA-256, computed once. */
static const char *
css_hash(void)
{
	static char b64[48];
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char d[33] = { 0 };
	char          hex[65];
	ksha256       c;
	int           i, k = 0;

	if (b64[0])
		return b64;
	ksha256_init(&c);
	ksha256_update(&c, kb_css, strlen(kb_css));
	ksha256_hex(&c, hex);
	for (i = 0; i < 32; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		d[i] = (unsigned char)v;
	}
	for (i = 0; i < 32; i += 3) {
		unsigned v = (unsigned)d[i] << 16 |
		             (i + 1 < 32 ? (unsigned)d[i + 1] << 8 : 0) |
		             (i + 2 < 32 ? d[i + 2] : 0);

		b64[k++] = tbl[(v >> 18) & 63];
		b64[k++] = tbl[(v >> 12) & 63];
		b64[k++] = i + 1 < 32 ? tbl[(v >> 6) & 63] : '=';
		b64[k++] = i + 2 < 32 ? tbl[v & 63] : '=';
	}
	b64[k] = '\0';
	return b64;
}

/* The policy without frame-ancestors (what a <meta> may carry). */
static void
csp_meta(char *buf, size_t len)
{
	snprintf(buf, len, "default-src 'none'; style-src 'sha256-%s'; "
	         "img-src 'self' data:; form-action 'self'; base-uri 'none'",
	         css_hash());
}

void
kb_csp(char *buf, size_t len)
{
	char m[200];

	csp_meta(m, sizeof(m));
	snprintf(buf, len, "%s; frame-ancestors 'none'", m);
}

void
kb_page_begin(kb_out *o, const kb_site *site, const char *title)
{
	char csp[256];

	csp_meta(csp, sizeof(csp));
	kb_puts(o, "<!doctype html>\n<html lang=\"id\">\n<head>\n"
	        "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\""
	        " content=\"");
	kb_attr(o, csp, (size_t)-1);
	kb_puts(o, "\">\n<meta name=\"viewport\" content=\"width=device-width,"
	        "initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
	        "<link rel=\"icon\" href=\"data:,\">\n<title>");
	kb_text(o, title, (size_t)-1);
	kb_puts(o, " · ");
	kb_text(o, site->name, (size_t)-1);
	kb_puts(o, "</title>\n<style>");
	kb_puts(o, kb_css);
	kb_puts(o, "</style>\n</head>\n<body>\n<header class=\"site\"><a class=\"brand\""
	        " href=\"");
	kb_attr(o, site->base, (size_t)-1);
	kb_puts(o, "\">");
	kb_text(o, site->name, (size_t)-1);
	kb_puts(o, "</a><nav><a href=\"");
	kb_attr(o, site->base, (size_t)-1);
	kb_puts(o, "\">Datasets</a><a href=\"");
	kb_attr(o, site->root, (size_t)-1);
	kb_puts(o, "$metadata\">$metadata</a><a href=\"");
	kb_attr(o, site->base, (size_t)-1);
	kb_puts(o, "catalog\">Catalog JSON</a><a href=\"");
	kb_attr(o, site->base, (size_t)-1);
	kb_puts(o, "catalog/units\">Units</a><a href=\"");
	kb_attr(o, site->base, (size_t)-1);
	kb_puts(o, "catalog/schedule\">Calendar</a></nav></header>\n<main>\n");
}

int
kb_page_end(kb_out *o, const kb_site *site)
{
	kb_puts(o, "</main>\n<footer class=\"site\"><p>Every page here is also an"
	        " OData URL: drop <code>$format=html</code> (or ask for JSON) to get"
	        " the same view as data. Service root: <a href=\"");
	kb_attr(o, site->root, (size_t)-1);
	kb_puts(o, "\">");
	kb_text(o, site->root, (size_t)-1);
	kb_puts(o, "</a>.</p></footer>\n</body>\n</html>\n");
	return kb_flush(o);
}

static const char *
default_hint(kueri_code c)
{
	switch (c) {
	case KUERI_ESYNTAX:
		return "Check the text at the caret. Strings are in single quotes"
		       " ('Jakarta'), a quote inside a string is doubled ('Jum''at'),"
		       " and operators are words: eq ne gt ge lt le and or not.";
	case KUERI_ETYPE:
		return "The two sides do not have the same type: compare a number"
		       " column with a number, a date column with a date"
		       " (2024-01-31), a text column with a 'quoted' string.";
	case KUERI_ELIMIT:
		return "The request is larger than the service allows; ask for"
		       " fewer rows or a simpler expression.";
	case KUERI_ENOTFOUND:
		return "The name may be misspelt; the front page lists every"
		       " dataset.";
	case KUERI_ETIMEOUT:
		return "The query took too long; add a $filter or ask for fewer"
		       " rows.";
	case KUERI_ENOTIMPL:
		return "This part of OData is valid but not supported here.";
	case KUERI_EBUSY:
		return "Many people are asking for expensive answers right now;"
		       " reload the page in a moment.";
	default:
		return "Go back and change the query, or start from the front"
		       " page.";
	}
}

/* Characters (UTF-8 code points) in s[0..pos): where the caret goes. */
static size_t
chars_before(const char *s, long long pos)
{
	size_t n = 0;
	long long i;

	for (i = 0; i < pos && s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

void
kb_error_body(kb_out *o, const kb_site *site, const kueri_err *err,
              const char *text, const char *hint, const kb_url *back)
{
	const char *msg = err->msg[0] ? err->msg : kueri_strerror(err->code);

	kb_printf(o, "<h1>Cannot answer this request (%d)</h1>\n",
	          kueri_http_status(err->code));
	kb_puts(o, "<div class=\"error\" role=\"alert\"><p class=\"msg\">");
	kb_text(o, msg, (size_t)-1);
	kb_puts(o, "</p>\n");
	if (text && err->pos >= 0) {
		size_t k = chars_before(text, err->pos), i;

		kb_puts(o, "<pre class=\"caret\" aria-label=\"position of the error\">");
		if (err->target[0]) {
			kb_text(o, err->target, (size_t)-1);
			kb_puts(o, "=");
		}
		kb_text(o, text, (size_t)-1);
		kb_puts(o, "\n");
		for (i = 0; i < (err->target[0] ? strlen(err->target) + 1 : 0) + k; i++)
			kb_raw(o, " ", 1);
		kb_printf(o, "^</pre>\n<p>at position %lld", err->pos);
		if (err->target[0]) {
			kb_puts(o, " of <code>");
			kb_text(o, err->target, (size_t)-1);
			kb_puts(o, "</code>");
		}
		kb_puts(o, "</p>\n");
	}
	kb_puts(o, "<p class=\"hint\"><strong>Hint:</strong> ");
	kb_text(o, hint ? hint : default_hint(err->code), (size_t)-1);
	kb_puts(o, "</p></div>\n<p>");
	if (back) {
		kb_puts(o, "<a rel=\"back\" href=\"");
		kb_url_attr(o, back);
		kb_puts(o, "\">← Back to the dataset</a> · ");
	}
	kb_puts(o, "<a href=\"");
	kb_attr(o, site->base, (size_t)-1);
	kb_puts(o, "\">All datasets</a></p>\n");
}

int
kb_error_page(const kueri_sink *sink, const kb_site *site,
              const kueri_err *err, const char *text, const char *hint,
              const kb_url *back)
{
	kb_out o;

	kb_out_init(&o, sink);
	kb_page_begin(&o, site, "Error");
	kb_error_body(&o, site, err, text, hint, back);
	return kb_page_end(&o, site);
}
