// SPDX-License-Identifier: GPL-2.0
/*
 * Shows syslets working in the booted kernel: prints what each call
 * returned.  Built on the host against the patched tree's uapi headers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/syslet.h>

#ifndef __NR_umem_add
#define __NR_umem_add 473
#endif

int main(void)
{
	uint64_t counter = 40;
	long ret;
	int fails = 0;

	ret = syscall(__NR_umem_add, &counter, 2);
	printf("umem_add(&counter=40, 2) = %ld, counter is now %llu\n",
	       ret, (unsigned long long)counter);
	fails += ret != 42 || counter != 42;

	ret = syscall(__NR_umem_add, &counter, (uint64_t)-50);
	printf("umem_add(&counter, -50) = %ld (wrapped: %llu)\n",
	       ret, (unsigned long long)counter);
	fails += counter != (uint64_t)-8;

	ret = syscall(__NR_umem_add, (char *)&counter + 1, 1);
	printf("umem_add(misaligned, 1) = %ld, errno %d (%s)\n",
	       ret, errno, strerror(errno));
	fails += ret != -1 || errno != EINVAL;

	ret = syscall(__NR_umem_add, NULL, 1);
	printf("umem_add(NULL, 1) = %ld, errno %d (%s)\n",
	       ret, errno, strerror(errno));
	fails += ret != -1 || errno != EFAULT;

	printf("syslet demo: %s\n", fails ? "UNEXPECTED RESULTS" : "all results as expected");
	return fails != 0;
}
