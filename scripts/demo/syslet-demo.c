// SPDX-License-Identifier: GPL-2.0
/*
 * Shows syslets working in the booted kernel: prints what each call
 * returned.  Built on the host against the patched tree's uapi headers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/syslet.h>

#include "syslet_util.h"	/* selftests/: system call wrappers, init_atom() */

/*
 * A syslet that reads /proc/self/status to its end in 64-byte reads,
 * counting bytes and reads with umem_add() atoms: one system call from
 * user space for the whole loop.
 */
static int read_loop_demo(void)
{
	static char buf[64];
	uint64_t fd, bufp = (uintptr_t)buf, len = sizeof(buf), one = 1;
	uint64_t bytes = 0, reads = 0, bytesp = (uintptr_t)&bytes, readsp = (uintptr_t)&reads;
	int64_t r_read = 0;
	struct syslet_uatom a[3];
	long ret;
	int f = open("/proc/self/status", O_RDONLY);

	if (f < 0)
		return 1;
	fd = f;
	init_atom(&a[0], __NR_read, SYSLET_STOP_ON_NON_POSITIVE, &r_read, &a[1], 3,
		  &fd, &bufp, &len);
	init_atom(&a[1], __NR_umem_add, 0, NULL, &a[2], 2, &bytesp, &r_read);
	init_atom(&a[2], __NR_umem_add, 0, NULL, &a[0], 2, &readsp, &one);
	ret = sys_async_exec(&a[0]);
	printf("async_exec(read loop) ended on atom %s after %llu reads, %llu bytes (last read returned %lld)\n",
	       ret == (long)(uintptr_t)&a[0] ? "a[0] (the read)" : "?",
	       (unsigned long long)reads, (unsigned long long)bytes, (long long)r_read);
	close(f);
	return ret != (long)(uintptr_t)&a[0] || r_read != 0 || bytes == 0;
}

int main(void)
{
	uint64_t counter = 40;
	long ret;
	int fails = 0;

	ret = sys_umem_add(&counter, 2);
	printf("umem_add(&counter=40, 2) = %ld, counter is now %llu\n",
	       ret, (unsigned long long)counter);
	fails += ret != 42 || counter != 42;

	counter = UINT64_MAX - 1;
	ret = sys_umem_add(&counter, 3);
	printf("umem_add(&counter=2^64-2, 3) = %ld (wrapped around 2^64)\n", ret);
	fails += ret != 1 || counter != 1;

	ret = sys_umem_add((char *)&counter + 1, 1);
	printf("umem_add(misaligned, 1) = %ld, errno %d (%s)\n",
	       ret, errno, strerror(errno));
	fails += ret != -1 || errno != EINVAL;

	ret = sys_umem_add(NULL, 1);
	printf("umem_add(NULL, 1) = %ld, errno %d (%s)\n",
	       ret, errno, strerror(errno));
	fails += ret != -1 || errno != EFAULT;

	fails += read_loop_demo();

	printf("syslet demo: %s\n", fails ? "UNEXPECTED RESULTS" : "all results as expected");
	return fails != 0;
}
