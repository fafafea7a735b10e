// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * The scripted syscall() of test_mock (see mock.h).  It replaces the C
 * library's for the whole program; unscripted calls fail with EOPNOTSUPP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "syslet.h"
#include "mock.h"

struct mock_call mock_calls[MOCK_MAX];
int mock_ncalls;

static struct {
	long ret;
	int err;
} replies[MOCK_MAX];
static int nreplies, next_reply;

void mock_reset(void)
{
	memset(mock_calls, 0, sizeof(mock_calls));
	mock_ncalls = 0;
	nreplies = 0;
	next_reply = 0;
}

void mock_reply(long ret, int err)
{
	if (nreplies < MOCK_MAX) {
		replies[nreplies].ret = ret;
		replies[nreplies].err = err;
		nreplies++;
	}
}

long syscall(long nr, ...)
{
	struct mock_call *c = &mock_calls[mock_ncalls % MOCK_MAX];
	long ret = -1;
	int err = EOPNOTSUPP;
	va_list ap;
	int i;

	memset(c, 0, sizeof(*c));
	c->nr = nr;
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		c->args[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (nr == __NR_async_register && c->args[0])
		memcpy(&c->head, (void *)c->args[0], sizeof(c->head));
	if (nr == __NR_async_wait && c->args[1])
		memcpy(&c->ts, (void *)c->args[1], sizeof(c->ts));
	mock_ncalls++;
	if (next_reply < nreplies) {
		ret = replies[next_reply].ret;
		err = replies[next_reply].err;
		next_reply++;
	}
	if (err) {
		errno = err;
		return -1;
	}
	return ret;
}
