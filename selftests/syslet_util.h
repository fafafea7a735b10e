/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SYSLET_UTIL_H
#define __SYSLET_UTIL_H

#include <stdint.h>
#include <syscall.h>
#include <unistd.h>
#include <linux/syslet.h>

#ifndef __NR_umem_add
#define __NR_umem_add 473
#endif

static inline long sys_umem_add(void *ptr, uint64_t inc)
{
	return syscall(__NR_umem_add, ptr, inc);
}

#endif /* __SYSLET_UTIL_H */
