/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * A syscall() of our own for test_mock: it records each call (and the
 * structures its pointer arguments point to at that moment) and returns
 * scripted results, so that the tests see exactly what syslet.h asks of
 * the kernel and how it reports the answers.
 */
#ifndef __SYSLET_MOCK_H
#define __SYSLET_MOCK_H

#include <linux/syslet.h>
#include <linux/time_types.h>

#define MOCK_MAX	16

struct mock_call {
	long nr;
	unsigned long args[6];
	struct async_head_user head;	/* async_register(): *args[0] */
	struct __kernel_timespec ts;	/* async_wait(): *args[1] */
};

extern struct mock_call mock_calls[MOCK_MAX];
extern int mock_ncalls;

/* Empties the record and the script. */
void mock_reset(void);
/* The next call returns @ret, or -1 with errno @err if @err is not 0. */
void mock_reply(long ret, int err);

#endif /* __SYSLET_MOCK_H */
