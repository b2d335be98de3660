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
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ks_conf   conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fz_publish("fuzz_fcgi", fz_items_files);
	ks_conf_default(&conf);
	conf.db = fz_db;
	conf.lim.time_ms = 100;
	conf.lim.max_page = 20;
	conf.lim.export_cap = 100;
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

		kh_handle(fz_portal, &conf, kr_param, &req, &out, &st);
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
