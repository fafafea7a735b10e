/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
#ifndef __SYSLET_NONANOSLEEP_H
#define __SYSLET_NONANOSLEEP_H

struct syslet_op;
struct __kernel_timespec;

/* syslet_prep_nanosleep() compiled without __NR_nanosleep */
void prep_nanosleep_no_nr(struct syslet_op *op,
			  const struct __kernel_timespec *req,
			  struct __kernel_timespec *rem);

#endif /* __SYSLET_NONANOSLEEP_H */
