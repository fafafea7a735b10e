// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space library (tools/lib/syslet/syslet.h) against the kernel:
 * chains, loops and branches built with its helpers run as the kernel
 * runs them, and its ring helpers (eventfd, timeout, ring order, status
 * decoding, unregistering with syslets in flight) agree with the kernel's
 * side of the ring.  The library's own host tests cover what needs no
 * kernel.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "syslet.h"
#include "async_util.h"

TEST(a_chain_runs_synchronously)
{
	struct syslet_op ops[3];
	struct syslet_uatom *end = NULL;
	char out[4] = "", in[] = "abc";
	int fds[2];

	ASSERT_EQ(0, pipe(fds));
	syslet_prep(&ops[0], __NR_getppid, 0);
	syslet_prep_write(&ops[1], fds[1], in, 3);
	syslet_prep_read(&ops[2], fds[0], out, 3);
	syslet_chain(ops, 3);
	ASSERT_EQ(SYSLET_EXEC_DONE, syslet_exec(&ops[0], &end));
	EXPECT_EQ(&ops[2].atom, end);
	EXPECT_EQ(&ops[2], syslet_op_of(end));
	EXPECT_EQ(getppid(), syslet_op_result(&ops[0]));
	EXPECT_EQ(3, syslet_op_result(&ops[1]));
	EXPECT_EQ(3, syslet_op_result(&ops[2]));
	EXPECT_EQ(0, memcmp(out, "abc", 3));
	/* Bad input comes back as a negative errno, errno untouched. */
	syslet_op_set_flags(&ops[0], SYSLET_ASYNC | SYSLET_SYNC);
	errno = 4321;
	EXPECT_EQ(-EINVAL, syslet_exec(&ops[0], &end));
	EXPECT_EQ(NULL, end);
	EXPECT_EQ(4321, errno);
	close(fds[0]);
	close(fds[1]);
}

/* A read loop counting bytes with umem_add(): syslet-cat in miniature. */
TEST(a_loop_counts_with_umem_add)
{
	static char buf[100];
	struct syslet_op ops[3];
	struct syslet_uatom *end;
	__u64 bytes = 0, reads = 0;
	int fd = open("/proc/self/maps", O_RDONLY);

	ASSERT_LE(0, fd);
	syslet_prep_read(&ops[0], fd, buf, sizeof(buf));
	syslet_op_set_flags(&ops[0], SYSLET_STOP_ON_NON_POSITIVE);
	syslet_prep_umem_add(&ops[1], &bytes, 0);
	ASSERT_EQ(0, syslet_op_arg_ptr(&ops[1], 1, &ops[0].ret));
	syslet_prep_umem_add(&ops[2], &reads, 1);
	syslet_loop(ops, 3);
	ASSERT_EQ(SYSLET_EXEC_DONE, syslet_exec(&ops[0], &end));
	EXPECT_EQ(&ops[0].atom, end);
	EXPECT_EQ(0, syslet_op_result(&ops[0]));
	EXPECT_LT(0, bytes);
	EXPECT_LT(1, reads);
	close(fd);
}

/* A branch: the chain goes on at @on_stop when the test atom stops it. */
TEST(a_branch_takes_the_stop_path)
{
	struct syslet_op test, then, on_stop;
	struct syslet_branch br;
	struct syslet_uatom *end;
	int fd = open("/dev/null", O_RDONLY);
	char c;

	ASSERT_LE(0, fd);
	/* read() of /dev/null returns 0: STOP_ON_ZERO stops. */
	syslet_prep_read(&test, fd, &c, 1);
	syslet_op_set_flags(&test, SYSLET_STOP_ON_ZERO);
	syslet_prep(&then, __NR_getppid, 0);
	syslet_prep(&on_stop, __NR_getuid, 0);
	ASSERT_EQ(0, syslet_prep_branch(&br, &test, &then, &on_stop));
	ASSERT_EQ(SYSLET_EXEC_DONE, syslet_exec_atom(&br.atom, &end));
	EXPECT_EQ(&on_stop, syslet_op_of(end));
	EXPECT_EQ(0, syslet_op_result(&test));
	EXPECT_EQ(SYSLET_RET_UNSET, syslet_op_result(&then));
	EXPECT_EQ(getuid(), syslet_op_result(&on_stop));

	/* No stop: the chain goes on at @then. */
	syslet_prep(&test, __NR_getppid, SYSLET_STOP_ON_ZERO);
	syslet_prep(&then, __NR_getppid, 0);
	syslet_prep(&on_stop, __NR_getuid, 0);
	ASSERT_EQ(0, syslet_prep_branch(&br, &test, &then, &on_stop));
	ASSERT_EQ(SYSLET_EXEC_DONE, syslet_exec_atom(&br.atom, &end));
	EXPECT_EQ(&then, syslet_op_of(end));
	EXPECT_EQ(getppid(), syslet_op_result(&then));
	EXPECT_EQ(SYSLET_RET_UNSET, syslet_op_result(&on_stop));
	close(fd);
}

/* An event loop's view: eventfd, timeout, ring order, op results. */
static int ring_body(void *arg)
{
	struct timespec short_wait = { 0, 60 * 1000000 };
	struct delayed_write dw;
	struct syslet_op ops[3];
	struct syslet_ring r;
	struct pollfd pfd;
	pthread_t writer;
	__u64 e;
	int fds[2], n = 0;
	char c = 0;

	CHECK(pipe(fds) == 0);
	CHECK(syslet_ring_init(&r, 4, 2, SYSLET_RING_INIT_EVENTFD) == 0);
	CHECK(syslet_ring_eventfd(&r) >= 0);
	syslet_prep_read(&ops[0], fds[0], &c, 1);
	syslet_prep(&ops[1], __NR_getppid, 0);
	syslet_prep(&ops[2], __NR_getppid, SYSLET_NO_COMPLETE);
	syslet_chain(ops, 3);
	CHECK(syslet_exec(&ops[0], NULL) == SYSLET_EXEC_ASYNC);
	CHECK(syslet_ring_ready(&r) == 0);
	CHECK(syslet_ring_wait(&r, 1, &short_wait) == -ETIME);
	CHECK(syslet_ring_drain_eventfd(&r) == 0);

	dw.fd = fds[1];
	dw.ms = 50;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	pfd.fd = syslet_ring_eventfd(&r);
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 20000) == 1);
	pthread_join(writer, NULL);
	CHECK(syslet_ring_wait(&r, 3, NULL) == 3);
	CHECK(syslet_ring_ready(&r) == 3);
	CHECK(syslet_ring_drain_eventfd(&r) >= 1);
	syslet_ring_for_each(&r, e) {
		struct syslet_op *op = syslet_op_of(syslet_entry_atom(e));

		CHECK(syslet_entry_error(e) == 0);
		CHECK(op == &ops[n]);
		n++;
	}
	CHECK(n == 3);
	CHECK(syslet_op_result(&ops[0]) == 1 && c == 'x');
	CHECK(syslet_op_result(&ops[1]) == getppid());
	CHECK(syslet_op_result(&ops[2]) == getppid());
	CHECK(syslet_ring_drain_eventfd(&r) == 0);
	CHECK(syslet_ring_exit(&r) == 0);
	CHECK(syslet_ring_wait(&r, 0, NULL) == -EINVAL);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(the_ring_helpers_agree_with_the_kernel)
{
	EXPECT_EQ(0, in_thread(ring_body, NULL));
}

/*
 * syslet_ring_exit() with a syslet in flight: -EBUSY, and the ring stays
 * usable memory the kernel still posts to; once the syslet is done it
 * succeeds, and the completion is in the (caller's) ring.
 */
static int exit_busy_body(void *arg)
{
	static __u64 slots[4];
	struct syslet_op op;
	struct syslet_ring r;
	int fds[2], i, ret = -EBUSY;
	char c = 0;

	CHECK(pipe(fds) == 0);
	CHECK(syslet_ring_init_mem(&r, slots, 4, 1, -1) == 0);
	syslet_prep_read(&op, fds[0], &c, 1);
	CHECK(syslet_exec(&op, NULL) == SYSLET_EXEC_ASYNC);
	CHECK(syslet_ring_exit(&r) == -EBUSY);
	/* Asking again only asks the kernel again. */
	CHECK(syslet_ring_exit(&r) == -EBUSY);
	CHECK(write(fds[1], "x", 1) == 1);
	for (i = 0; i < 1000 && ret == -EBUSY; i++) {
		ret = syslet_ring_exit(&r);
		if (ret == -EBUSY)
			sleep_ms(10);
	}
	CHECK(ret == 0);
	CHECK(__atomic_load_n(&slots[0], __ATOMIC_ACQUIRE) == (uintptr_t)&op.atom);
	CHECK(syslet_op_result(&op) == 1 && c == 'x');
	CHECK(syslet_ring_exit(&r) == -EINVAL);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(syslet_ring_exit_waits_for_syslets_in_flight)
{
	EXPECT_EQ(0, in_thread(exit_busy_body, NULL));
}

/* A chain that goes asynchronous and then faults: a SYSLET_RING_FAULT entry. */
static int fault_body(void *arg)
{
	struct syslet_op ops[2];
	struct syslet_ring r;
	__u64 e;
	int fds[2];
	char c;

	CHECK(pipe(fds) == 0);
	CHECK(syslet_ring_init(&r, 4, 1, 0) == 0);
	CHECK(syslet_ring_eventfd(&r) == -1);
	syslet_prep_read(&ops[0], fds[0], &c, 1);
	syslet_prep(&ops[1], __NR_getppid, 0);
	/* Its result cannot be stored. */
	ops[1].atom.ret_ptr = 8;
	syslet_chain(ops, 2);
	CHECK(syslet_exec(&ops[0], NULL) == SYSLET_EXEC_ASYNC);
	CHECK(write(fds[1], "x", 1) == 1);
	CHECK(syslet_ring_wait(&r, 2, NULL) == 2);
	e = syslet_ring_peek(&r);
	CHECK(syslet_entry_atom(e) == &ops[0].atom && syslet_entry_error(e) == 0);
	syslet_ring_seen(&r);
	e = syslet_ring_peek(&r);
	CHECK(syslet_entry_atom(e) == &ops[1].atom);
	CHECK(syslet_entry_status(e) == SYSLET_RING_FAULT);
	CHECK(syslet_entry_error(e) == -EFAULT);
	syslet_ring_seen(&r);
	CHECK(syslet_ring_peek(&r) == 0);
	CHECK(syslet_ring_exit(&r) == 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(a_fault_after_the_handoff_is_decoded)
{
	EXPECT_EQ(0, in_thread(fault_body, NULL));
}

TEST_HARNESS_MAIN
