// SPDX-License-Identifier: GPL-2.0
/*
 * Shows syslets working in the booted kernel: prints what each call
 * returned.  Built on the host against the patched tree's uapi headers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/*
 * The asynchronous half, in a thread other than the leader (which never
 * hands off): a read from an empty pipe blocks, a pool thread returns to
 * user space in our place with 0 (same TID), and the chain finishes in
 * the background once data arrives, posting to the completion ring.
 */
static void *async_demo(void *p)
{
	static uint64_t ring[4];
	struct async_head_user head = {
		.completion_ring = (uintptr_t)ring,
		.ring_size_bytes = sizeof(ring),
		.max_nr_threads = 2,
	};
	static char buf[16];
	uint64_t fd, bufp = (uintptr_t)buf, len = sizeof(buf);
	int64_t r_read = -1, r_tid = 0;
	struct syslet_uatom a[2];
	pid_t tid = gettid();
	int fds[2], *fails = p;
	long ret, n;

	if (pipe(fds) || sys_async_register(&head, sizeof(head))) {
		printf("async_register failed: %s\n", strerror(errno));
		++*fails;
		return NULL;
	}
	fd = fds[0];
	init_atom(&a[0], __NR_read, 0, &r_read, &a[1], 3, &fd, &bufp, &len);
	init_atom(&a[1], __NR_gettid, 0, &r_tid, NULL, 0);
	ret = sys_async_exec(&a[0]);
	printf("async_exec(read from an empty pipe, then gettid) = %ld; gettid() %s (%d)\n",
	       ret, gettid() == tid ? "unchanged" : "CHANGED", tid);
	if (write(fds[1], "hello", 5) != 5)
		++*fails;
	n = sys_async_wait(2);
	printf("async_wait(2) = %ld: ring[0] is %s, ring[1] is %s; the read returned %lld,\n"
	       "  and the gettid atom %lld: the chain ran on another task\n",
	       n, ring[0] == (uintptr_t)&a[0] ? "the read" : "?",
	       ring[1] == (uintptr_t)&a[1] ? "the gettid atom" : "?",
	       (long long)r_read, (long long)r_tid);
	*fails += ret != 0 || gettid() != tid || n != 2 || r_read != 5 ||
		  ring[0] != (uintptr_t)&a[0] || ring[1] != (uintptr_t)&a[1] ||
		  r_tid == tid;
	sys_async_register(NULL, 0);
	return NULL;
}

int main(void)
{
	pthread_t t;
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

	if (pthread_create(&t, NULL, async_demo, &fails) == 0)
		pthread_join(t, NULL);
	else
		fails++;

	printf("syslet demo: %s\n", fails ? "UNEXPECTED RESULTS" : "all results as expected");
	return fails != 0;
}
