/*
 * fuzz_manifest.c -- libFuzzer harness for the replica manifest reader
 * (replica/snapshot.c kr_manifest_read), the one parser a replica runs on
 * bytes fetched from the network.
 *
 * Input: the manifest file's bytes, written to a temporary file made once
 * per process.  Besides the sanitizers, the harness checks:
 *   - a refusal carries an error code and a message;
 *   - an accepted manifest has the shapes the reader promises (16 and 64
 *     lowercase hex digits, size >= 512, sets in range), and writing it
 *     with kr_manifest_write and reading that back gives the same struct.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Build and run: tests/fuzz/run.sh manifest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replica.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmpdir[512], in[600], out[600];

static void
cleanup(void)
{
	unlink(in);
	unlink(out);
	rmdir(tmpdir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(tmpdir, sizeof tmpdir, "%s/kueri-fuzz-manifest.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		abort();
	snprintf(in, sizeof in, "%s/in.json", tmpdir);
	snprintf(out, sizeof out, "%s/out.json", tmpdir);
	atexit(cleanup);
	return 0;
}

static int
hexlen(const char *s)
{
	int n = 0;

	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	return s[n] == '\0' ? n : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kr_manifest m, m2;
	kueri_err err;
	FILE *f = fopen(in, "wb");

	if (f == NULL)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	kueri_err_clear(&err);
	if (kr_manifest_read(in, &m, &err) != 0) {
		if (err.code == KUERI_OK || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (hexlen(m.version) != 16 || hexlen(m.sha256) != 64 ||
	    m.size < 512 || m.created < 0 || m.sets < 0 || m.sets > 1000000)
		abort();
	kueri_err_clear(&err);
	if (kr_manifest_write(out, &m, &err) != 0 ||
	    kr_manifest_read(out, &m2, &err) != 0 ||
	    memcmp(&m, &m2, sizeof m) != 0)
		abort();
	return 0;
}
