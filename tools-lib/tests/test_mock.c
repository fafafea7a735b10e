// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * Tests of syslet.h against a scripted syscall() (mock_syscall.c): the
 * system call numbers and arguments it passes, the structures it hands
 * the kernel, and how it turns results into its return conventions,
 * including the ring's registration life cycle.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <dirent.h>

#include "syslet.h"
#include "tap.h"
#include "heap.h"
#include "mock.h"

static void wrappers_pass_arguments(void)
{
	struct __kernel_timespec kts = { 1, 2 };
	struct async_head_user head;
	struct syslet_uatom atom;
	__u64 counter = 0;

	memset(&head, 0, sizeof(head));
	mock_reset();
	mock_reply(45, 0);
	mock_reply(0, 0);
	mock_reply(0, 0);
	mock_reply(0, 0);
	mock_reply(3, 0);
	EXPECT(syslet_sys_umem_add(&counter, 5) == 45);
	EXPECT(syslet_sys_async_exec(&atom) == 0);
	EXPECT(syslet_sys_async_register(&head, sizeof(head)) == 0);
	EXPECT(syslet_sys_async_register(NULL, 0) == 0);
	EXPECT(syslet_sys_async_wait(7, &kts) == 3);
	EXPECT(mock_ncalls == 5);
	EXPECT(mock_calls[0].nr == 473 && mock_calls[0].args[0] == U64(&counter) &&
	       mock_calls[0].args[1] == 5);
	EXPECT(mock_calls[1].nr == 474 && mock_calls[1].args[0] == U64(&atom));
	EXPECT(mock_calls[2].nr == 475 && mock_calls[2].args[0] == U64(&head) &&
	       mock_calls[2].args[1] == 64);
	EXPECT(mock_calls[3].nr == 475 && mock_calls[3].args[0] == 0 &&
	       mock_calls[3].args[1] == 0);
	EXPECT(mock_calls[4].nr == 476 && mock_calls[4].args[0] == 7 &&
	       mock_calls[4].args[1] == U64(&kts));
}

static void wrappers_return_negative_errno(void)
{
	__u64 counter = 0;

	mock_reset();
	mock_reply(0, EFAULT);
	mock_reply(0, EINVAL);
	mock_reply(0, EPERM);
	mock_reply((long)((1ULL << 63) + 5), 0);
	errno = EDOM;
	EXPECT(syslet_sys_async_exec(NULL) == -EFAULT);
	EXPECT(syslet_umem_add((__u64 *)((char *)&counter + 1), 1) == -EINVAL);
	/*
	 * A counter that becomes 2^64 - 1 comes back as -1 (-EPERM): the
	 * documented ambiguity of [-4095, -1].  Other large values come back
	 * as they are.
	 */
	EXPECT(syslet_umem_add(&counter, 1) == -1);
	EXPECT((__u64)syslet_umem_add(&counter, 1) == (1ULL << 63) + 5);
	EXPECT(errno == EDOM);
}

static void nosys_is_a_missing_system_call(void)
{
	/* Whatever errno the kernel, or a seccomp filter, gives for it. */
	mock_reset();
	mock_reply(0, EACCES);
	mock_reply(0, EPERM);
	errno = EDOM;
	EXPECT(syslet_nosys() == -EACCES);
	EXPECT(mock_calls[0].nr == 100000);
	EXPECT(syslet_nosys() == -EPERM);
	EXPECT(errno == EDOM);
}

static void exec_conventions(void)
{
	struct syslet_uatom *end = NULL;
	struct syslet_op ops[2];

	syslet_prep_getpid(&ops[0]);
	syslet_prep_getpid(&ops[1]);
	syslet_chain(ops, 2);
	mock_reset();
	mock_reply((long)U64(&ops[1].atom), 0);
	mock_reply(0, 0);
	mock_reply(0, EFAULT);
	mock_reply((long)U64(&ops[0].atom), 0);
	errno = EDOM;
	EXPECT(syslet_exec(&ops[0], &end) == SYSLET_EXEC_DONE);
	EXPECT(end == &ops[1].atom && syslet_op_of(end) == &ops[1]);
	EXPECT(syslet_exec(&ops[0], &end) == SYSLET_EXEC_ASYNC);
	EXPECT(!end);
	end = &ops[0].atom;
	EXPECT(syslet_exec(&ops[0], &end) == -EFAULT);
	EXPECT(!end);
	EXPECT(syslet_exec_atom(&ops[0].atom, NULL) == SYSLET_EXEC_DONE);
	EXPECT(mock_ncalls == 4 && mock_calls[0].nr == 474 &&
	       mock_calls[0].args[0] == U64(&ops[0].atom));
	EXPECT(errno == EDOM);
}

static void ring_init_mem_registers(void)
{
	__u64 slots[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct async_head_user *h = &mock_calls[0].head;
	struct syslet_ring r;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), i;

	mock_reset();
	mock_reply(0, 0);
	EXPECT(syslet_ring_init_mem(&r, slots, 8, 3, -1) == 0);
	EXPECT(mock_ncalls == 1 && mock_calls[0].nr == 475 &&
	       mock_calls[0].args[1] == sizeof(struct async_head_user));
	EXPECT(h->completion_ring == U64(slots) && h->ring_size_bytes == 64 &&
	       h->max_nr_threads == 3 && h->flags == 0 && h->eventfd == 0);
	for (i = 0; i < 4; i++)
		EXPECT(h->reserved[i] == 0);
	for (i = 0; i < 8; i++)
		EXPECT(slots[i] == 0);
	EXPECT(r.slots == slots && r.nslots == 8 && r.head == 0 &&
	       r.eventfd == -1 && syslet_ring_eventfd(&r) == -1);

	/* The caller's eventfd is registered, and stays open after exit. */
	mock_reset();
	mock_reply(0, 0);
	EXPECT(syslet_ring_init_mem(&r, slots, 8, 0, efd) == 0);
	EXPECT(h->flags == ASYNC_HEAD_EVENTFD && h->eventfd == efd &&
	       h->max_nr_threads == 0);
	EXPECT(syslet_ring_eventfd(&r) == efd);
	mock_reset();
	mock_reply(0, 0);
	mock_reply(0, EINVAL);
	EXPECT(syslet_ring_exit(&r) == 0);
	EXPECT(fd_is_open(efd) && !r.slots && r.eventfd == -1);
	close(efd);
}

static void ring_exit_waits_for_syslets_in_flight(void)
{
	struct syslet_ring r;
	struct async_head_user *h = &mock_calls[0].head;
	int efd, fl;

	mock_reset();
	mock_reply(0, 0);
	errno = EDOM;
	EXPECT(syslet_ring_init(&r, 16, 2, SYSLET_RING_INIT_EVENTFD) == 0);
	EXPECT(errno == EDOM);
	EXPECT(heap_blocks == 1 && r.slots && r.nslots == 16);
	efd = syslet_ring_eventfd(&r);
	fl = fcntl(efd, F_GETFL);
	EXPECT(efd >= 0 && fl >= 0 && (fl & O_NONBLOCK));
	EXPECT(fcntl(efd, F_GETFD) == FD_CLOEXEC);
	EXPECT(h->flags == ASYNC_HEAD_EVENTFD && h->eventfd == efd &&
	       h->ring_size_bytes == 128 && h->max_nr_threads == 2 &&
	       h->completion_ring == U64(r.slots));

	/* Unregistered, but a syslet still posts to the ring: keep it. */
	mock_reset();
	mock_reply(0, 0);
	mock_reply(1, 0);
	EXPECT(syslet_ring_exit(&r) == -EBUSY);
	EXPECT(mock_ncalls == 2);
	EXPECT(mock_calls[0].nr == 475 && mock_calls[0].args[0] == 0 &&
	       mock_calls[0].args[1] == 0);
	EXPECT(mock_calls[1].nr == 476 && mock_calls[1].args[0] == 0 &&
	       mock_calls[1].args[1] == 0);
	EXPECT(heap_blocks == 1 && fd_is_open(efd) && r.slots);
	EXPECT(syslet_ring_wait(&r, 0, NULL) == -EOPNOTSUPP);	/* still usable */

	/* Retries only ask whether the registration is gone. */
	mock_reset();
	mock_reply(0, 0);
	mock_reply(0, EFAULT);	/* broken ring, still busy */
	EXPECT(syslet_ring_exit(&r) == -EBUSY);
	EXPECT(syslet_ring_exit(&r) == -EBUSY);
	EXPECT(mock_ncalls == 2 && mock_calls[0].nr == 476 &&
	       mock_calls[1].nr == 476);
	EXPECT(heap_blocks == 1 && fd_is_open(efd));

	mock_reset();
	mock_reply(0, EINVAL);
	errno = EDOM;
	EXPECT(syslet_ring_exit(&r) == 0);
	EXPECT(errno == EDOM);
	EXPECT(mock_ncalls == 1 && mock_calls[0].nr == 476);
	EXPECT(heap_blocks == 0 && !fd_is_open(efd));
	EXPECT(!r.slots && r.nslots == 0 && r.eventfd == -1 &&
	       r.int_flags == 0);

	/* Nothing left to exit. */
	mock_reset();
	EXPECT(syslet_ring_exit(&r) == -EINVAL && mock_ncalls == 0);
}

static void ring_exit_unregister_fails(void)
{
	__u64 slots[2];
	struct syslet_ring r;

	mock_reset();
	mock_reply(0, 0);
	EXPECT(syslet_ring_init_mem(&r, slots, 2, 0, -1) == 0);
	/* E.g. another thread calls it: keep everything. */
	mock_reset();
	mock_reply(0, EINVAL);
	EXPECT(syslet_ring_exit(&r) == -EINVAL);
	EXPECT(mock_ncalls == 1);
	EXPECT(r.slots == slots && r.int_flags == SYSLET__RING_REGISTERED);
}

static void ring_init_failure_cleans_up(void)
{
	struct syslet_ring r;
	int fds = open_fds();

	mock_reset();
	mock_reply(0, EBUSY);
	mock_reply(0, EMFILE);
	errno = EDOM;
	EXPECT(syslet_ring_init(&r, 16, 0, SYSLET_RING_INIT_EVENTFD) == -EBUSY);
	EXPECT(syslet_ring_init(&r, 16, 0, 0) == -EMFILE);
	EXPECT(heap_blocks == 0 && open_fds() == fds);
	EXPECT(!r.slots && r.eventfd == -1 && r.int_flags == 0);
	EXPECT(errno == EDOM);
}

static void ring_wait_timeouts(void)
{
	struct timespec ts = { 1, 500 };
	__u64 slots[2];
	struct syslet_ring r;

	mock_reset();
	mock_reply(0, 0);
	EXPECT(syslet_ring_init_mem(&r, slots, 2, 0, -1) == 0);
	mock_reset();
	mock_reply(2, 0);
	mock_reply(5, 0);
	mock_reply(0, ETIME);
	mock_reply(0, EINTR);
	errno = EDOM;
	EXPECT(syslet_ring_wait(&r, 2, &ts) == 2);
	EXPECT(mock_calls[0].nr == 476 && mock_calls[0].args[0] == 2 &&
	       mock_calls[0].args[1] != 0);
	EXPECT(mock_calls[0].ts.tv_sec == 1 && mock_calls[0].ts.tv_nsec == 500);
	EXPECT(syslet_ring_wait(&r, 1, NULL) == 5);
	EXPECT(mock_calls[1].args[0] == 1 && mock_calls[1].args[1] == 0);
	EXPECT(syslet_ring_wait(&r, 1, &ts) == -ETIME);
	EXPECT(syslet_ring_wait(&r, 1, NULL) == -EINTR);
	EXPECT(errno == EDOM);
}

int main(void)
{
	RUN(wrappers_pass_arguments);
	RUN(wrappers_return_negative_errno);
	RUN(nosys_is_a_missing_system_call);
	RUN(exec_conventions);
	RUN(ring_init_mem_registers);
	RUN(ring_exit_waits_for_syslets_in_flight);
	RUN(ring_exit_unregister_fails);
	RUN(ring_init_failure_cleans_up);
	RUN(ring_wait_timeouts);
	return tap_done();
}
