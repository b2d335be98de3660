/*
 * record.c -- FastCGI 1.0 records, read defensively (see record.h).
 *
 * Why our own: libfcgi's record layer trusts the lengths it reads.  A
 * PARAMS pair whose name and value lengths are both 0x40000000 makes its
 * ReadParams ask Malloc for 2^31+2 bytes, which asserts and kills the
 * worker; a flood of such records kept a whole pool down (issue 11).  Here
 * every length is compared with the bytes actually received, never added
 * to another length first, and every total has a cap, so no input can ask
 * for more than KR_MAX_PARAMS bytes.  The record layer is ~500 lines; it
 * replaces libfcgi's request layer entirely (kueri no longer links it).
 *
 * Reading has one deadline for the whole request (BEGIN_REQUEST through
 * the empty STDIN record): a peer that sends one byte a second is cut off
 * at the deadline whatever it sends.  Writing polls with io_ms per write
 * that makes no progress.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

enum {
	FCGI_BEGIN_REQUEST = 1, FCGI_ABORT_REQUEST, FCGI_END_REQUEST,
	FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, FCGI_STDERR, FCGI_DATA,
	FCGI_GET_VALUES, FCGI_GET_VALUES_RESULT, FCGI_UNKNOWN_TYPE
};
enum { FCGI_RESPONDER = 1 };
enum { FCGI_REQUEST_COMPLETE = 0, FCGI_CANT_MPX_CONN, FCGI_OVERLOADED,
       FCGI_UNKNOWN_ROLE };

static const char *const kr_msg[KR__MAX] = {
	[KR_OK]       = "ok",
	[KR_CLOSED]   = "the peer closed the connection",
	[KR_TIMEOUT]  = "the request was not complete before the read deadline",
	[KR_IO]       = "read or write error",
	[KR_VERSION]  = "a record with a version other than 1",
	[KR_SEQUENCE] = "a record out of sequence",
	[KR_TOOBIG]   = "the request is past a size cap",
	[KR_PAIRS]    = "a malformed name-value pair in PARAMS",
	[KR_ROLE]     = "a role other than Responder",
	[KR_ABORTED]  = "the peer aborted the request",
};

const char *
kr_strerror(enum kr_err e)
{
	return (unsigned)e < KR__MAX ? kr_msg[e] : "unknown error";
}

long long
kr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- raw I/O ------------------------------------------------------------ */

/* Fill r->in with at least one more byte by the deadline.  KR_OK,
 * KR_CLOSED, KR_TIMEOUT or KR_IO. */
static enum kr_err
fill(kr_req *r, long long deadline)
{
	for (;;) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };
		long long left = deadline - kr_now_ms();
		ssize_t n;

		if (r->ipos == r->iend)
			r->ipos = r->iend = 0;
		n = recv(r->fd, r->in + r->iend, sizeof r->in - r->iend,
		         MSG_DONTWAIT);
		if (n > 0) {
			r->iend += (size_t)n;
			return KR_OK;
		}
		if (n == 0)
			return KR_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == ECONNRESET ? KR_CLOSED : KR_IO;
		if (left <= 0)
			return KR_TIMEOUT;
		if (poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left) < 0 &&
		    errno != EINTR)
			return KR_IO;
	}
}

/* Copy exactly n bytes (n ≤ what dst holds) from the peer. */
static enum kr_err
get(kr_req *r, unsigned char *dst, size_t n, long long deadline)
{
	while (n > 0) {
		size_t k;
		enum kr_err e;

		if (r->ipos == r->iend && (e = fill(r, deadline)) != KR_OK)
			return e;
		k = r->iend - r->ipos < n ? r->iend - r->ipos : n;
		if (dst != NULL) {
			memcpy(dst, r->in + r->ipos, k);
			dst += k;
		}
		r->ipos += k;
		n -= k;
	}
	return KR_OK;
}

/* Write all of buf, polling at most io_ms for each bit of progress. */
static int
put(kr_req *r, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = send(r->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { r->fd, POLLOUT, 0 };
			int rc = poll(&pfd, 1, r->io_ms);

			if (rc > 0 || (rc < 0 && errno == EINTR))
				continue;
		}
		r->failed = 1;
		return -1;
	}
	return 0;
}

static void
header(unsigned char h[8], int type, unsigned id, size_t len)
{
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;
	h[7] = 0;
}

static int
put_record(kr_req *r, int type, unsigned id, const unsigned char *c,
           size_t len)
{
	unsigned char h[8];

	header(h, type, id, len);
	return put(r, h, 8) || (len > 0 && put(r, c, len)) ? -1 : 0;
}

static int
put_end(kr_req *r, unsigned id, int proto)
{
	unsigned char b[8] = { 0, 0, 0, 0, (unsigned char)proto, 0, 0, 0 };

	return put_record(r, FCGI_END_REQUEST, id, b, 8);
}

/* ---- name-value pairs ---------------------------------------------------- */

/* One length (1 or 4 bytes) at p[*i] of n bytes; -1 when the bytes run
 * out.  The result is < 2^31 and is only ever compared with n - *i. */
static inline long
pair_len(const unsigned char *p, size_t n, size_t *i)
{
	long v;

	if (*i >= n)
		return -1;
	if (p[*i] < 0x80)
		return p[(*i)++];
	if (n - *i < 4)
		return -1;
	v = ((long)(p[*i] & 0x7f) << 24) | ((long)p[*i + 1] << 16) |
	    ((long)p[*i + 2] << 8) | p[*i + 3];
	*i += 4;
	return v;
}

/* A name as one word: its length, first and last byte.  kr_param
 * compares these words before any bytes: a request looks up ~12 names
 * among ~15 pairs, half of them absent (HTTP_PREFER, HTTP_IF_NONE_MATCH
 * ...), and most names start alike (HTTP_), so a first-byte test left a
 * strcmp call for most pairs (~2,300 instructions a request). */
static inline unsigned
name_key(const char *s, size_t n)
{
	return n == 0 ? 0 : (unsigned)n << 16 ^ (unsigned)(unsigned char)s[0] << 8 ^
	                    (unsigned char)s[n - 1];
}

/* The slot of a name key in r->slot (64 slots, Fibonacci hashing). */
#define KR_SLOTS 64
static inline unsigned
slot_of(unsigned key)
{
	return (key * 2654435761u) >> 26;
}

enum kr_err
kr_parse_pairs(kr_req *r, const unsigned char *p, size_t n)
{
	size_t i = 0, o = 0, k = 0, cnt = 0, cap;
	char *buf;
	char **env;
	unsigned *keys;

	free(r->params);
	free(r->envp);
	r->params = NULL;
	r->envp = NULL;
	r->nkeys = NULL;
	r->nparams = 0;
	/* One pass: each length is checked against the bytes left before it
	 * is used, and the pair copied at once.  Each pair has >= 2 length
	 * bytes, which become its two NULs, so the copy is never longer than
	 * the input, and there are at most n / 2 pairs (and the cap). */
	cap = n / 2 < KR_MAX_NPARAMS ? n / 2 : KR_MAX_NPARAMS;
	if ((buf = malloc(n + 1)) == NULL ||
	    (env = malloc((2 * cap + 1) * sizeof *env +
	                  (cap + 1) * sizeof *keys)) == NULL) {
		free(buf);
		return KR_TOOBIG;
	}
	keys = (unsigned *)(env + 2 * cap + 1);   /* pointer-aligned */
	while (i < n) {
		long nl = pair_len(p, n, &i), vl = nl < 0 ? -1 : pair_len(p, n, &i);
		enum kr_err e = KR_PAIRS;

		if (nl < 0 || vl < 0 || (size_t)nl > n - i ||
		    (size_t)vl > n - i - (size_t)nl ||
		    memchr(p + i, '\0', (size_t)nl + (size_t)vl) != NULL ||
		    (e = KR_TOOBIG, ++cnt > KR_MAX_NPARAMS)) {
			free(buf);
			free(env);
			return e;
		}
		keys[k / 2] = name_key((const char *)p + i, (size_t)nl);
		env[k++] = buf + o;
		memcpy(buf + o, p + i, (size_t)nl);
		o += (size_t)nl;
		buf[o++] = '\0';
		env[k++] = buf + o;
		memcpy(buf + o, p + i + nl, (size_t)vl);
		o += (size_t)vl;
		buf[o++] = '\0';
		i += (size_t)nl + (size_t)vl;
	}
	env[k] = NULL;
	r->params = buf;
	r->envp = env;
	r->nkeys = keys;
	r->nparams = cnt;
	/* Hash the names (at most half full, linear probing).  Pairs go in
	 * in order, so of two pairs with the same name the first sits
	 * earlier on the probe path and is found first, as by a scan. */
	memset(r->slot, 0, sizeof(r->slot));
	if (cnt <= KR_SLOTS / 2)
		for (i = 0; i < cnt; i++) {
			unsigned h = slot_of(keys[i]);

			while (r->slot[h])
				h = (h + 1) & (KR_SLOTS - 1);
			r->slot[h] = (unsigned short)(i + 1);
		}
	return KR_OK;
}

const char *
kr_param(void *ctx, const char *name)
{
	kr_req  *r = ctx;
	size_t   i;
	unsigned key;

	if (name == NULL)
		return r->body;
	if (r->envp == NULL)
		return NULL;
	key = name_key(name, strlen(name));
	if (r->nparams <= KR_SLOTS / 2) {
		unsigned h = slot_of(key), j;

		for (; (j = r->slot[h]) != 0; h = (h + 1) & (KR_SLOTS - 1))
			if (r->nkeys[j - 1] == key &&
			    strcmp(r->envp[2 * (j - 1)], name) == 0)
				return r->envp[2 * (j - 1) + 1];
		return NULL;
	}
	for (i = 0; i < r->nparams; i++)
		if (r->nkeys[i] == key && strcmp(r->envp[2 * i], name) == 0)
			return r->envp[2 * i + 1];
	return NULL;
}

/* ---- management records -------------------------------------------------- */

/* Answer GET_VALUES: the three names the spec defines; others are left
 * out, as the spec says.  The content was received whole (≤ 65535). */
static int
get_values(kr_req *r, const unsigned char *c, size_t n)
{
	unsigned char out[256];
	char num[16];
	size_t i = 0, o = 0;

	while (i < n && o < sizeof out - 64) {
		long nl = pair_len(c, n, &i), vl = nl < 0 ? -1 : pair_len(c, n, &i);
		const char *val = NULL;
		size_t vlen;

		if (nl < 0 || vl < 0 || (size_t)nl > n - i ||
		    (size_t)vl > n - i - (size_t)nl)
			break;
#define IS(s) ((size_t)nl == sizeof(s) - 1 && memcmp(c + i, s, (size_t)nl) == 0)
		if (IS("FCGI_MAX_CONNS") || IS("FCGI_MAX_REQS")) {
			snprintf(num, sizeof num, "%d", r->max_conns);
			val = num;
		} else if (IS("FCGI_MPXS_CONNS")) {
			val = "0";
		}
#undef IS
		if (val != NULL) {
			vlen = strlen(val);
			out[o++] = (unsigned char)nl;
			out[o++] = (unsigned char)vlen;
			memcpy(out + o, c + i, (size_t)nl);
			o += (size_t)nl;
			memcpy(out + o, val, vlen);
			o += vlen;
		}
		i += (size_t)nl + (size_t)vl;
	}
	return put_record(r, FCGI_GET_VALUES_RESULT, 0, out, o);
}

/* ---- reading a request --------------------------------------------------- */

static void
reset(kr_req *r, int fd)
{
	free(r->raw);
	free(r->body);
	free(r->params);
	free(r->envp);
	memset(r, 0, offsetof(kr_req, in));
	r->ipos = r->iend = 0;
	r->olen = 0;
	r->fd = fd;
}

enum kr_err
kr_read(kr_req *r, int fd, long long deadline, int max_conns, int io_ms)
{
	/* content ≤ 65535 and padding ≤ 255: one static-size buffer. */
	static unsigned char c[65535 + 255];
	int begun = 0, params_done = 0, stdin_done = 0, nrec = 0;
	enum kr_err e;

	reset(r, fd);
	r->max_conns = max_conns;
	r->io_ms = io_ms;
	while (!(params_done && stdin_done)) {
		unsigned char h[8];
		unsigned type, id;
		size_t len, pad;

		if (++nrec > KR_MAX_RECORDS)
			return KR_TOOBIG;
		if ((e = get(r, h, 8, deadline)) != KR_OK)
			return e;
		if (h[0] != 1)
			return KR_VERSION;
		type = h[1];
		id = (unsigned)h[2] << 8 | h[3];
		len = (size_t)h[4] << 8 | h[5];
		pad = h[6];
		if ((e = get(r, c, len + pad, deadline)) != KR_OK)
			return e;

		switch (type) {
		case FCGI_GET_VALUES:
			if (id != 0 || get_values(r, c, len) < 0)
				return id != 0 ? KR_SEQUENCE : KR_IO;
			continue;
		case FCGI_BEGIN_REQUEST:
			if (len != 8 || id == 0)
				return KR_SEQUENCE;
			if (begun) {
				/* One request per connection. */
				if (id == r->id || put_end(r, id,
				                           FCGI_CANT_MPX_CONN) < 0)
					return KR_SEQUENCE;
				continue;
			}
			if (((unsigned)c[0] << 8 | c[1]) != FCGI_RESPONDER) {
				put_end(r, id, FCGI_UNKNOWN_ROLE);
				return KR_ROLE;
			}
			begun = 1;
			r->id = id;
			r->keep_conn = c[2] & 1;
			continue;
		case FCGI_ABORT_REQUEST:
			if (begun && id == r->id) {
				put_end(r, id, FCGI_REQUEST_COMPLETE);
				return KR_ABORTED;
			}
			continue;
		case FCGI_PARAMS:
		case FCGI_STDIN:
			if (!begun || id != r->id)
				return KR_SEQUENCE;
			if (type == FCGI_PARAMS) {
				unsigned char *nr;

				if (params_done)
					return KR_SEQUENCE;
				if (len == 0) {
					params_done = 1;
					continue;
				}
				if (len > KR_MAX_PARAMS - r->rawlen)
					return KR_TOOBIG;
				if ((nr = realloc(r->raw, r->rawlen + len)) == NULL)
					return KR_TOOBIG;
				r->raw = nr;
				memcpy(r->raw + r->rawlen, c, len);
				r->rawlen += len;
			} else {
				if (!params_done || stdin_done)
					return KR_SEQUENCE;
				if (len == 0)
					stdin_done = 1;
				else {
					char *nb;

					if (len > KR_MAX_STDIN - r->stdin_len)
						return KR_TOOBIG;
					if ((nb = realloc(r->body, r->stdin_len +
					                  len + 1)) == NULL)
						return KR_TOOBIG;
					r->body = nb;
					memcpy(r->body + r->stdin_len, c, len);
					r->stdin_len += len;
					r->body[r->stdin_len] = '\0';
				}
			}
			continue;
		case FCGI_END_REQUEST: case FCGI_STDOUT: case FCGI_STDERR:
		case FCGI_DATA: case FCGI_GET_VALUES_RESULT:
		case FCGI_UNKNOWN_TYPE:
			/* Known types only an application sends, or DATA (the
			 * Filter role): not part of a Responder request. */
			return KR_SEQUENCE;
		default: {
			unsigned char b[8] = { (unsigned char)type };

			if (put_record(r, FCGI_UNKNOWN_TYPE, 0, b, 8) < 0)
				return KR_IO;
			continue;
		}
		}
	}
	return kr_parse_pairs(r, r->raw, r->rawlen);
}

/* ---- writing the answer -------------------------------------------------- */

static int
flush(kr_req *r)
{
	if (r->olen == 0 || r->failed)
		return r->failed ? -1 : 0;
	header(r->out, FCGI_STDOUT, r->id, r->olen);
	r->olen = 0;
	return put(r, r->out, 8 + ((size_t)r->out[4] << 8 | r->out[5]));
}

int
kr_write(void *ctx, const char *buf, size_t len)
{
	kr_req *r = ctx;

	while (len > 0) {
		size_t room = sizeof r->out - 8 - r->olen;
		size_t k = len < room ? len : room;

		if (r->failed)
			return -1;
		memcpy(r->out + 8 + r->olen, buf, k);
		r->olen += k;
		buf += k;
		len -= k;
		if (r->olen == sizeof r->out - 8 && flush(r) < 0)
			return -1;
	}
	return 0;
}

void
kr_close(kr_req *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->raw);
	free(r->body);
	free(r->params);
	free(r->envp);
	r->raw = NULL;
	r->body = NULL;
	r->stdin_len = 0;
	r->params = NULL;
	r->envp = NULL;
	r->nkeys = NULL;
	r->rawlen = 0;
	r->nparams = 0;
}

void
kr_abort(kr_req *r)
{
	r->aborted = 1;
	r->olen = 0;
}

int
kr_finish(kr_req *r)
{
	int rc;

	if (r->aborted) {
		/* Version 0: no FastCGI peer accepts it (kr_abort). */
		static const unsigned char broken[8] = { 0 };

		if (!r->failed)
			put(r, broken, sizeof broken);
		kr_close(r);
		r->aborted = 0;
		return -1;
	}

	/* The last STDOUT bytes, the empty STDOUT that ends the stream and
	 * END_REQUEST leave in one send when they fit (most answers are one
	 * buffer): one system call per answer instead of three or four. */
	if (!r->failed && r->olen + 24 <= sizeof r->out - 8) {
		unsigned char *t = r->out + 8 + r->olen;
		size_t first = r->olen ? 8 + r->olen : 0;
		unsigned char *start = r->olen ? r->out : t;

		if (r->olen)
			header(r->out, FCGI_STDOUT, r->id, r->olen);
		header(t, FCGI_STDOUT, r->id, 0);
		header(t + 8, FCGI_END_REQUEST, r->id, 8);
		memset(t + 16, 0, 8);
		t[20] = FCGI_REQUEST_COMPLETE;
		r->olen = 0;
		rc = put(r, start, first + 24);
	} else {
		rc = flush(r);
		if (rc == 0)
			rc = put_record(r, FCGI_STDOUT, r->id, NULL, 0);
		if (rc == 0)
			rc = put_end(r, r->id, FCGI_REQUEST_COMPLETE);
	}
	/* Half-close first so a TCP peer reads END_REQUEST before the FIN
	 * rather than a reset.  Not on a unix socket: there the peer reads
	 * every byte queued before the close whatever follows, and nginx is
	 * done at END_REQUEST; one system call per request saved. */
	if (r->fd >= 0 && !r->unix_peer)
		shutdown(r->fd, SHUT_WR);
	kr_close(r);
	return rc;
}
