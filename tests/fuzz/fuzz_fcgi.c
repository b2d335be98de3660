/*
 * fuzz_fcgi.c -- libFuzzer harness for the request path: raw FastCGI
 * records → fcgi/record.c → fcgi/http.c (routing, headers, conditional
 * requests) → the query engine, $metadata and catalog writers → STDOUT
 * records.
 *
 * Each input is the bytes a peer sends on one connection.  They are
 * written into one end of a socketpair, which is then half-closed; the
 * worker's side runs exactly what a kueri serve worker runs per
 * connection (kr_read, kh_handle, kr_finish) against a small portal that
 * LLVMFuzzerInitialize publishes.  Besides the sanitizers, the harness
 * checks properties of what went back to the peer:
 *   - it is a sequence of whole version-1 records, of the types an
 *     application may send (STDOUT, END_REQUEST, GET_VALUES_RESULT,
 *     UNKNOWN_TYPE);
 *   - when kr_read accepted a request, the STDOUT stream starts with
 *     "Status: NNN " (a real status), has a blank line ending the headers,
 *     no header line carries a bare CR or LF, and the last record is
 *     END_REQUEST.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Build and run: tests/fuzz/run.sh fcgi (make fuzz).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "kueri.h"
#include "portal.h"
#include "publish.h"
#include "query.h"
#include "../../fcgi/record.h"
#include "../../fcgi/service.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kportal  *portal;
static ks_conf   conf;
static char      tmpdir[512];

/* The fixture: a handful of rows with every type and a few traps. */
static const char csv[] =
	"id,name,city,n,x,flag,day,ts,t,dur\n"
	"1,Alice,Bali,5,2.5,true,2024-02-29,2024-02-29T10:00:00Z,13:52:00,P1D\n"
	"2,alice,bali,-5,-2.5,false,2023-12-31,2024-02-29T17:00:00+07:00,00:00:00,PT1H\n"
	"3,a%b_c\\d,,0,0.5,,,2024-01-01T03:00:00-05:00,,\n"
	"4,it's,Jakarta,,,true,2000-01-01,,23:59:59.5,P1Y2M\n"
	"5,日本 😀,BALI,9223372036854775807,1e10,false,1970-01-01,1970-01-01T00:00:00Z,12:00:00,PT0S\n"
	"6,,Bandung,-9223372036854775808,-0.5,true,2100-12-31,2100-12-31T23:59:59.999Z,01:02:03,P2D\n";

static const char pkg[] =
	"{\"name\": \"fuzz\", \"title\": \"fuzz\", \"publisher\": \"Test\",\n"
	" \"classification\": \"public\",\n"
	" \"resources\": [{\"name\": \"items\", \"path\": \"items.csv\",\n"
	"  \"schema\": {\"fields\": [\n"
	"   {\"name\": \"id\", \"type\": \"integer\"},\n"
	"   {\"name\": \"name\", \"type\": \"string\"},\n"
	"   {\"name\": \"city\", \"type\": \"string\"},\n"
	"   {\"name\": \"n\", \"type\": \"integer\"},\n"
	"   {\"name\": \"x\", \"type\": \"number\"},\n"
	"   {\"name\": \"flag\", \"type\": \"boolean\"},\n"
	"   {\"name\": \"day\", \"type\": \"date\"},\n"
	"   {\"name\": \"ts\", \"type\": \"datetime\"},\n"
	"   {\"name\": \"t\", \"type\": \"time\"},\n"
	"   {\"name\": \"dur\", \"type\": \"duration\"}],\n"
	"  \"primaryKey\": \"id\"}},\n"
	"  {\"name\": \"codes\", \"path\": \"codes.csv\",\n"
	"  \"schema\": {\"fields\": [{\"name\": \"code\", \"type\": \"string\"},\n"
	"   {\"name\": \"v\", \"type\": \"integer\"}], \"primaryKey\": \"code\"}}]}\n";

static const char codes[] = "code,v\nA1,1\nit's,2\n日本,3\n";

static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fuzz_fcgi: cannot write %s\n", path);
		abort();
	}
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* Close the portal first: never unlink a database that is still open. */
static void
cleanup(void)
{
	portal_close(portal);
	portal = NULL;
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	const char *base = getenv("TMPDIR");
	char *dir = tmpdir;
	snprintf(tmpdir, sizeof tmpdir, "%s/kueri-fuzz.XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("fuzz_fcgi: mkdtemp");
		abort();
	}
	put(dir, "items.csv", csv);
	put(dir, "codes.csv", codes);
	put(dir, "datapackage.json", pkg);
	char db[600], dp[600];
	snprintf(db, sizeof db, "%s/portal.db", dir);
	snprintf(dp, sizeof dp, "%s/datapackage.json", dir);
	kueri_err err;
	kueri_err_clear(&err);
	json_t *report = NULL;
	if (kv_publish(db, dp, NULL, &report, &err) != 0) {
		fprintf(stderr, "fuzz_fcgi: publish failed: %s\n", err.msg);
		abort();
	}
	json_decref(report);
	portal = portal_open_ro(db, &err);
	if (!portal) {
		fprintf(stderr, "fuzz_fcgi: open failed: %s\n", err.msg);
		abort();
	}
	ks_conf_default(&conf);
	conf.db = db;
	conf.lim.time_ms = 100;
	conf.lim.max_page = 20;
	conf.lim.export_cap = 100;
	atexit(cleanup);
	return 0;
}

/* What went back to the peer: check the record framing and, for an
 * accepted request, the CGI response head. */
static void
check_reply(const unsigned char *p, size_t n, int accepted, int cut)
{
	size_t o = 0, slen = 0;
	char head[4096];
	int last = 0;

	while (o < n) {
		size_t len;

		if (n - o < 8) {
			if (cut)
				return;
			abort();
		}
		if (p[o] != 1)
			abort();
		len = (size_t)p[o + 4] << 8 | p[o + 5];
		if (n - o - 8 < len + p[o + 6]) {
			if (cut)
				return;
			abort();
		}
		last = p[o + 1];
		if (last != 6 && last != 3 && last != 10 && last != 11)
			abort();
		if (last == 6 && slen < sizeof head - 1) {
			size_t k = len < sizeof head - 1 - slen ? len
			                                        : sizeof head - 1 - slen;

			memcpy(head + slen, p + o + 8, k);
			slen += k;
		}
		o += 8 + len + p[o + 6];
	}
	if (!accepted || cut)
		return;
	head[slen] = '\0';
	if (last != 3 || strncmp(head, "Status: ", 8) != 0 ||
	    atoi(head + 8) < 100 || atoi(head + 8) > 599)
		abort();
	{
		char *end = strstr(head, "\r\n\r\n"), *q;

		if (end == NULL) {
			/* Only a head longer than what we kept may lack it. */
			if (slen < sizeof head - 1)
				abort();
			return;
		}
		for (q = head; q < end; q++)
			if ((*q == '\r' && q[1] != '\n') ||
			    (*q == '\n' && (q == head || q[-1] != '\r')))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char reply[1 << 20];
	int sv[2], big = 1 << 20;
	size_t got = 0, off = 0;
	kr_req req;
	enum kr_err e;
	int cut = 0;

	if (size > 16384)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	while (off < size) {
		ssize_t w = send(sv[0], data + off, size - off, MSG_NOSIGNAL);

		if (w <= 0)
			abort();        /* 16 KiB always fits the buffer */
		off += (size_t)w;
	}
	shutdown(sv[0], SHUT_WR);
	memset(&req, 0, sizeof req);
	/* The deadline is now: everything the peer sent is already there. */
	e = kr_read(&req, sv[1], kr_now_ms(), 2, 10);
	if (e == KR_OK) {
		kueri_sink out = { kr_write, &req };
		kh_stats st;

		kh_handle(portal, &conf, kr_param, &req, &out, &st);
		/* A write that found the buffer full gave up: the reply may
		 * end inside a record. */
		cut = kr_finish(&req) < 0 || req.failed;
	} else {
		kr_close(&req);
	}
	for (;;) {
		ssize_t r = recv(sv[0], reply + got, sizeof reply - got, 0);

		if (r <= 0 || (got += (size_t)r) == sizeof reply)
			break;
	}
	close(sv[0]);
	check_reply(reply, got, e == KR_OK, cut || got == sizeof reply);
	return 0;
}
