// SPDX-License-Identifier: GPL-2.0
/*
 * Shows syslets working in the booted kernel: prints what each call
 * returned.  Written with the user-space library of the series
 * (tools/lib/syslet/syslet.h) and built on the host against the patched
 * tree's uapi headers.  Single-threaded: the main thread hands off too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "syslet.h"

/*
 * A syslet that reads /proc/self/status to its end in 64-byte reads,
 * counting bytes and reads with umem_add() atoms: one system call from
 * user space for the whole loop.
 */
static int read_loop_demo(void)
{
	static char buf[64];
	__u64 bytes = 0, reads = 0;
	struct syslet_op ops[3];
	struct syslet_uatom *end;
	int fd = open("/proc/self/status", O_RDONLY), ret;

	if (fd < 0)
		return 1;
	syslet_prep_read(&ops[0], fd, buf, sizeof(buf));
	syslet_op_set_flags(&ops[0], SYSLET_STOP_ON_NON_POSITIVE);
	syslet_prep_umem_add(&ops[1], &bytes, 0);
	syslet_op_arg_ptr(&ops[1], 1, &ops[0].ret);	/* add what read() returned */
	syslet_prep_umem_add(&ops[2], &reads, 1);
	syslet_loop(ops, 3);
	ret = syslet_exec(&ops[0], &end);
	printf("read loop: syslet_exec() = %s, ended on %s after %llu reads, %llu bytes (last read returned %lld)\n",
	       ret == SYSLET_EXEC_DONE ? "SYSLET_EXEC_DONE" : strerror(-ret),
	       end == &ops[0].atom ? "the read" : "?",
	       (unsigned long long)reads, (unsigned long long)bytes,
	       (long long)syslet_op_result(&ops[0]));
	close(fd);
	return ret != SYSLET_EXEC_DONE || end != &ops[0].atom ||
	       syslet_op_result(&ops[0]) != 0 || bytes == 0;
}

/*
 * The asynchronous half, in the main thread of this single-threaded
 * program: a read from an empty pipe blocks, a pool thread returns to user
 * space in our place (same TID), and the chain finishes in the background
 * once data arrives, posting to the ring and signalling its eventfd.
 */
static int async_demo(void)
{
	struct timespec short_wait = { 0, 100 * 1000 * 1000 };
	static char buf[16];
	struct syslet_op ops[2];
	struct syslet_ring r;
	pid_t tid = gettid();
	struct pollfd pfd;
	int fds[2], ret, n, fails = 0;
	__u64 e;

	if (pipe(fds))
		return 1;
	ret = syslet_ring_init(&r, 8, 2, SYSLET_RING_EVENTFD);
	if (ret) {
		printf("syslet_ring_init: %s\n", strerror(-ret));
		return 1;
	}
	syslet_prep_read(&ops[0], fds[0], buf, sizeof(buf));
	syslet_prep(&ops[1], __NR_getppid, 0);
	syslet_chain(ops, 2);
	ret = syslet_exec(&ops[0], NULL);
	printf("async: syslet_exec(read from an empty pipe, then getppid) = %s; gettid() %s (%d)\n",
	       ret == SYSLET_EXEC_ASYNC ? "SYSLET_EXEC_ASYNC" : "?",
	       gettid() == tid ? "unchanged" : "CHANGED", tid);
	fails += ret != SYSLET_EXEC_ASYNC || gettid() != tid;
	ret = syslet_ring_wait(&r, 1, &short_wait);
	printf("async: syslet_ring_wait(1, 100 ms) = %s (nothing written yet)\n",
	       ret == -ETIME ? "-ETIME" : "?");
	fails += ret != -ETIME;
	if (write(fds[1], "hello", 5) != 5)
		fails++;
	pfd.fd = syslet_ring_eventfd(&r);
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 10000);
	n = syslet_ring_wait(&r, 2, NULL);
	printf("async: poll(eventfd) = %d, syslet_ring_wait(2) = %d, eventfd count %d\n",
	       ret, n, syslet_ring_drain_eventfd(&r));
	fails += ret != 1 || n != 2;
	n = 0;
	syslet_ring_for_each(&r, e) {
		struct syslet_op *op = syslet_op_of(syslet_entry_atom(e));

		printf("async: ring entry %d: %s returned %lld\n", n,
		       op == &ops[0] ? "the read" : op == &ops[1] ? "getppid" : "?",
		       (long long)syslet_op_result(op));
		fails += op != &ops[n] || syslet_entry_error(e);
		n++;
	}
	fails += n != 2 || syslet_op_result(&ops[0]) != 5 ||
		 syslet_op_result(&ops[1]) != getppid();
	ret = syslet_ring_exit(&r);
	fails += ret != 0;
	close(fds[0]);
	close(fds[1]);
	return fails;
}

int main(void)
{
	__u64 counter = 40;
	long ret;
	int fails = 0;

	ret = syslet_umem_add(&counter, 2);
	printf("umem_add(&counter=40, 2) = %ld, counter is now %llu\n",
	       ret, (unsigned long long)counter);
	fails += ret != 42 || counter != 42;

	counter = UINT64_MAX - 1;
	ret = syslet_umem_add(&counter, 3);
	printf("umem_add(&counter=2^64-2, 3) = %ld (wrapped around 2^64)\n", ret);
	fails += ret != 1 || counter != 1;

	ret = syslet_umem_add((__u64 *)((char *)&counter + 1), 1);
	printf("umem_add(misaligned, 1) = %ld (%s)\n", ret, strerror((int)-ret));
	fails += ret != -EINVAL;

	ret = syslet_umem_add(NULL, 1);
	printf("umem_add(NULL, 1) = %ld (%s)\n", ret, strerror((int)-ret));
	fails += ret != -EFAULT;

	fails += read_loop_demo();
	fails += async_demo();

	printf("syslet demo: %s\n", fails ? "UNEXPECTED RESULTS" : "all results as expected");
	return fails != 0;
}
