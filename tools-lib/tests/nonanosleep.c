// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * syslet_prep_nanosleep() as built where __NR_nanosleep does not exist
 * (arm64), so that x86_64 hosts test that path too.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#undef __NR_nanosleep

#include "syslet.h"
#include "nonanosleep.h"

void prep_nanosleep_no_nr(struct syslet_op *op,
			  const struct __kernel_timespec *req,
			  struct __kernel_timespec *rem)
{
	syslet_prep_nanosleep(op, req, rem);
}
