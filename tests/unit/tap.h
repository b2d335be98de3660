/*
 * tap.h -- a tiny TAP producer for unit tests.  Each check prints
 * "ok N - what" or "not ok N - what"; tests/run.sh counts them.  A test
 * names the behaviour it checks.
 */
#ifndef KUERI_TAP_H
#define KUERI_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {                                              \
	int ok_c_ = (cond) ? 1 : 0;                                         \
	printf("%sok %d - ", ok_c_ ? "" : "not ", ++tap_n);                 \
	printf(__VA_ARGS__);                                                \
	printf("\n");                                                       \
	if (!ok_c_) {                                                       \
		tap_failed++;                                                   \
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}                                                                   \
} while (0)

#define is_str(got, want, ...) do {                                     \
	const char *is_g_ = (got), *is_w_ = (want);                         \
	int is_c_ = is_g_ && is_w_ ? strcmp(is_g_, is_w_) == 0 : is_g_ == is_w_; \
	ok(is_c_, __VA_ARGS__);                                             \
	if (!is_c_)                                                         \
		printf("#   got:  '%s'\n#   want: '%s'\n",                      \
		       is_g_ ? is_g_ : "(null)", is_w_ ? is_w_ : "(null)");     \
} while (0)

#define is_int(got, want, ...) do {                                     \
	long long is_g_ = (got), is_w_ = (want);                            \
	ok(is_g_ == is_w_, __VA_ARGS__);                                    \
	if (is_g_ != is_w_)                                                 \
		printf("#   got:  %lld\n#   want: %lld\n", is_g_, is_w_);       \
} while (0)

/* A check that cannot run here: "ok N - # SKIP why" (tests/run.sh counts
 * it as skipped). */
#define skip(...) do {                                                  \
	printf("ok %d - # SKIP ", ++tap_n);                                 \
	printf(__VA_ARGS__);                                                \
	printf("\n");                                                       \
} while (0)

/* A known, listed gap: "not ok N - what # TODO why".  Not a failure (TAP);
 * tests/run.sh counts it as pending. */
#define todo(what, ...) do {                                            \
	printf("not ok %d - %s # TODO ", ++tap_n, (what));                  \
	printf(__VA_ARGS__);                                                \
	printf("\n");                                                       \
} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
