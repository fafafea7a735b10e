/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * Minimal TAP output for the syslet library tests: one "ok N - name" or
 * "not ok N - name" line per test, the plan at the end, and exit status 1
 * if any test failed.
 */
#ifndef __SYSLET_TAP_H
#define __SYSLET_TAP_H

#include <stdio.h>

static int tap_count, tap_fails, tap_cur_fail;
static const char *tap_skip_reason;

#define EXPECT(cond)							\
	do {								\
		if (!(cond)) {						\
			tap_cur_fail = 1;				\
			printf("# %s:%d: expected %s\n", __FILE__,	\
			       __LINE__, #cond);			\
		}							\
	} while (0)

/* Marks the current test as skipped; it should return. */
static inline void tap_skip(const char *reason)
{
	tap_skip_reason = reason;
}

static inline void tap_run(void (*fn)(void), const char *name)
{
	tap_cur_fail = 0;
	tap_skip_reason = NULL;
	fn();
	tap_count++;
	if (tap_skip_reason && !tap_cur_fail) {
		printf("ok %d - %s # SKIP %s\n", tap_count, name,
		       tap_skip_reason);
		return;
	}
	printf("%sok %d - %s\n", tap_cur_fail ? "not " : "", tap_count, name);
	tap_fails += tap_cur_fail;
}

#define RUN(fn)	tap_run(fn, #fn)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_fails)
		printf("# %d of %d tests failed\n", tap_fails, tap_count);
	return tap_fails != 0;
}

#endif /* __SYSLET_TAP_H */
