// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous syslets: async_register(), async_wait(), and the handoff
 * to a pool thread when an atom blocks.
 *
 * Most tests run their body in a second thread, so that the harness's
 * main thread keeps its TID for the harness; the bodies return 0 or the
 * line of the first failed check.  The thread-group leader hands off as
 * well (leader_test.c tests that in single-threaded processes).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/wait.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "async_util.h"

static uint64_t ring[RING_SLOTS];	/* uint64_t: 8-byte aligned */

TEST(register_rejects_bad_arguments)
{
	struct async_head_user head = {
		.completion_ring = (uintptr_t)ring,
		.ring_size_bytes = sizeof(ring),
	};
	char big[128] = { 0 };

	EXPECT_EQ(-1, sys_async_wait(0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_async_register(NULL, 0));
	EXPECT_EQ(EINVAL, errno);

	head.completion_ring = 0;
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EINVAL, errno);
	head.completion_ring = (uintptr_t)ring + 4;
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EINVAL, errno);
	head.completion_ring = (uintptr_t)ring;
	head.ring_size_bytes = 0;
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EINVAL, errno);
	head.ring_size_bytes = 12;
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EINVAL, errno);
	head.ring_size_bytes = 1 << 20;
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EINVAL, errno);
	head.ring_size_bytes = sizeof(ring);
	head.reserved[2] = 1;
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EINVAL, errno);
	head.reserved[2] = 0;
	head.max_nr_threads = 1 << 20;
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EINVAL, errno);
	head.max_nr_threads = 0;
	EXPECT_EQ(-1, sys_async_register(&head, ASYNC_HEAD_SIZE_VER0 - 8));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_async_register((void *)8, sizeof(head)));
	EXPECT_EQ(EFAULT, errno);

	/* A larger struct from newer user space: unknown fields must be 0. */
	memcpy(big, &head, sizeof(head));
	big[100] = 1;
	EXPECT_EQ(-1, sys_async_register((void *)big, sizeof(big)));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, sys_async_register(&head, 2 * getpagesize()));
	EXPECT_EQ(E2BIG, errno);
	big[100] = 0;
	ASSERT_EQ(0, sys_async_register((void *)big, sizeof(big)));
	EXPECT_EQ(0, sys_async_wait(0));
	EXPECT_EQ(0, sys_async_register(NULL, 0));
	EXPECT_EQ(-1, sys_async_wait(0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(pool_threads_count_against_rlimit_nproc)
{
	struct rlimit one = { 1, 1 };
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* An unprivileged user that may not have a second task. */
		if (setgid(65534) || setuid(65534) || setrlimit(RLIMIT_NPROC, &one))
			_exit(2);
		_exit(register_ring(ring, RING_SLOTS, 2) == -1 && errno == EAGAIN &&
		      count_pool_threads() == 0 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		SKIP(return, "cannot drop privileges");
	EXPECT_EQ(0, status);
}

TEST(pool_threads_come_and_go_with_the_registration)
{
	ASSERT_EQ(0, count_pool_threads());
	ASSERT_EQ(0, register_ring(ring, RING_SLOTS, 3));
	EXPECT_EQ(3, wait_pool_threads(3));
	/* Replacing the registration replaces its pool. */
	ASSERT_EQ(0, register_ring(ring, RING_SLOTS, 2));
	EXPECT_EQ(2, wait_pool_threads(2));
	ASSERT_EQ(0, sys_async_register(NULL, 0));
	EXPECT_EQ(0, wait_pool_threads(0));
}

#define SYSCTL_PATH "/proc/sys/kernel/syslet_disabled"

static int write_sysctl(const char *val)
{
	FILE *f = fopen(SYSCTL_PATH, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(val, f) < 0 ? -1 : 0;
	return fclose(f) ? -1 : ret;
}

/*
 * Bug: once an administrator disabled syslets, async_register(NULL, 0)
 * failed with EPERM: a thread could not give its pool threads back.
 * Unregistering is never refused; registering and async_exec() are.
 */
TEST(unregister_works_while_syslets_are_disabled)
{
	struct async_head_user head = {
		.completion_ring = (uintptr_t)ring,
		.ring_size_bytes = sizeof(ring),
		.max_nr_threads = 2,
	};

	if (getuid() != 0 || access(SYSCTL_PATH, W_OK))
		SKIP(return, "needs root and " SYSCTL_PATH);
	ASSERT_EQ(0, sys_async_register(&head, sizeof(head)));
	ASSERT_EQ(2, wait_pool_threads(2));
	ASSERT_EQ(0, write_sysctl("2"));
	EXPECT_EQ(-1, sys_async_register(&head, sizeof(head)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, sys_async_register(NULL, 0));
	EXPECT_EQ(0, wait_pool_threads(0));
	/* Nothing left to drop. */
	EXPECT_EQ(-1, sys_async_register(NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, write_sysctl("0"));
}

static int nothing_blocks_body(void *arg)
{
	struct syslet_uatom atom;
	int64_t ret = 0;

	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	init_atom(&atom, __NR_getppid, 0, &ret, NULL, 0);
	CHECK(sys_async_exec(&atom) == (long)(uintptr_t)&atom);
	CHECK(ret == getppid());
	/* A syslet that finished synchronously posts nothing. */
	CHECK(sys_async_wait(0) == 0);
	CHECK(ring[0] == 0);
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(a_syslet_that_does_not_block_is_synchronous)
{
	EXPECT_EQ(0, in_thread(nothing_blocks_body, NULL));
}

static __thread int tls_canary;

/*
 * glibc registers an rseq area for every thread.  True if the kernel keeps
 * updating the calling thread's area: its cpu_id follows the thread from
 * CPU to CPU (or rseq is not in use).
 */
static bool rseq_follows_migration(void)
{
	struct rseq *rs;
	int ncpus = get_nprocs(), cpu;
	cpu_set_t set;

	if (!__rseq_size)
		return true;
	rs = (void *)((char *)__builtin_thread_pointer() + __rseq_offset);
	for (cpu = 0; cpu < ncpus && cpu < 4; cpu++) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return false;
		if (__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED) != (uint32_t)cpu)
			return false;
	}
	CPU_ZERO(&set);
	for (cpu = 0; cpu < ncpus; cpu++)
		CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

static int blocking_read_body(void *arg)
{
	struct read_atom r;
	struct syslet_uatom last;
	int64_t last_ret = 0;
	pthread_t writer;
	struct delayed_write dw;
	sigset_t mask, pending;
	pid_t tid = gettid();
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, ss2;
	void *robust, *robust2;
	size_t robust_len;
	int fds[2];
	long ret;

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	init_atom(&last, __NR_getppid, 0, &last_ret, NULL, 0);
	init_read_atom(&r, fds[0], 0, &last);
	CHECK(sigaltstack(&ss, NULL) == 0);
	CHECK(syscall(SYS_get_robust_list, 0, &robust, &robust_len) == 0);
	CHECK(robust);

	/* State that must come back to user space unchanged. */
	tls_canary = 0x5157;
	CHECK(fesetround(FE_UPWARD) == 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	CHECK(pthread_sigmask(SIG_BLOCK, &mask, NULL) == 0);
	CHECK(syscall(SYS_tgkill, getpid(), tid, SIGUSR2) == 0);

	errno = 1234;
	ret = sys_async_exec(&r.atom);
	/* A pool thread returned in our place; the read still blocks. */
	CHECK(ret == 0);
	CHECK(errno == 1234);
	CHECK(gettid() == tid);
	CHECK(syscall(SYS_gettid) == tid);
	CHECK(tls_canary == 0x5157);
	CHECK(fegetround() == FE_UPWARD);
	fesetround(FE_TONEAREST);
	CHECK(pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0);
	CHECK(sigismember(&mask, SIGUSR1) && sigismember(&mask, SIGUSR2));
	CHECK(sigpending(&pending) == 0 && sigismember(&pending, SIGUSR2));
	CHECK(sigaltstack(NULL, &ss2) == 0 && ss2.ss_sp == altstack);
	CHECK(syscall(SYS_get_robust_list, 0, &robust2, &robust_len) == 0);
	CHECK(robust2 == robust);
	CHECK(rseq_follows_migration());
	CHECK(r.ret == -1);
	CHECK(sys_async_wait(0) == 0);
	/* Replacing the registration needs the syslet to be done. */
	CHECK(register_ring(ring + 4, 4, 1) == -1 && errno == EBUSY);

	dw.fd = fds[1];
	dw.ms = 50;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	/* The blocked atom and the one the chain ends on. */
	CHECK(sys_async_wait(2) == 2);
	pthread_join(writer, NULL);
	CHECK(r.ret == 1 && r.data[0] == 'x');
	CHECK(last_ret == getppid());
	CHECK(ring[0] == (uintptr_t)&r.atom);
	CHECK(ring[1] == (uintptr_t)&last);
	CHECK(ring[2] == 0);
	/* Threads still work as usual afterwards. */
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	CHECK(pthread_join(writer, NULL) == 0);
	CHECK(sys_async_register(NULL, 0) == 0);
	/* The pending SIGUSR2 moved with us: take it. */
	{
		int sig = 0;

		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR2);
		CHECK(sigwait(&mask, &sig) == 0 && sig == SIGUSR2);
	}
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(a_blocking_atom_hands_user_space_to_a_pool_thread)
{
	EXPECT_EQ(0, in_thread(blocking_read_body, NULL));
}

static int two_blocks_body(void *arg)
{
	struct read_atom r1, r2;
	int p1[2], p2[2];
	pid_t tid = gettid();

	CHECK(pipe(p1) == 0 && pipe(p2) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	init_read_atom(&r2, p2[0], 0, NULL);
	init_read_atom(&r1, p1[0], 0, &r2.atom);
	CHECK(sys_async_exec(&r1.atom) == 0);
	CHECK(gettid() == tid);
	/* The second block happens in the background task: no handoff. */
	CHECK(write(p1[1], "1", 1) == 1);
	CHECK(sys_async_wait(1) == 1);
	CHECK(ring[0] == (uintptr_t)&r1.atom && r1.ret == 1);
	sleep_ms(20);
	CHECK(sys_async_wait(0) == 1 && r2.ret == -1);
	CHECK(write(p2[1], "2", 1) == 1);
	CHECK(sys_async_wait(2) == 2);
	CHECK(ring[1] == (uintptr_t)&r2.atom && r2.ret == 1);
	/* One idle thread was left: the next block still hands off. */
	CHECK(wait_pool_threads(2) == 2);
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(two_blocking_atoms_in_one_chain)
{
	EXPECT_EQ(0, in_thread(two_blocks_body, NULL));
}

static pid_t handler_tid;

static void record_tid(int sig)
{
	__atomic_store_n(&handler_tid, gettid(), __ATOMIC_SEQ_CST);
}

static int signal_after_handoff_body(void *arg)
{
	struct read_atom r;
	pid_t tid = gettid();
	int fds[2], i;

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 1) == 0);
	CHECK(signal(SIGUSR1, record_tid) != SIG_ERR);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	/* Directed at our TID: runs here, does not disturb the syslet. */
	CHECK(syscall(SYS_tgkill, getpid(), tid, SIGUSR1) == 0);
	for (i = 0; i < 200 && !__atomic_load_n(&handler_tid, __ATOMIC_SEQ_CST); i++)
		sleep_ms(10);
	CHECK(__atomic_load_n(&handler_tid, __ATOMIC_SEQ_CST) == tid);
	CHECK(sys_async_wait(0) == 0 && r.ret == -1);
	CHECK(write(fds[1], "s", 1) == 1);
	CHECK(sys_async_wait(1) == 1 && r.ret == 1);
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(signals_for_the_thread_reach_it_after_a_handoff)
{
	EXPECT_EQ(0, in_thread(signal_after_handoff_body, NULL));
}

struct racer {
	sem_t go;
	int fd;
	int rounds;
};

static void *racer_main(void *p)
{
	struct racer *r = p;
	int i;

	for (i = 0; i < r->rounds; i++) {
		sem_wait(&r->go);
		if (write(r->fd, "r", 1) != 1)
			abort();
	}
	return NULL;
}

/*
 * The write races with the read atom going to sleep: the head may be
 * woken before it slept, while a pool thread is on its way, or after the
 * pool thread took over.  Every round either hands off or runs in place,
 * and every read completes exactly once.
 */
static int wakeup_race_body(void *arg)
{
	struct racer racer = { .rounds = 200 };
	unsigned int head = 0;
	struct read_atom r;
	pthread_t t;
	int fds[2], i, handed_off = 0;
	long ret;

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	CHECK(sem_init(&racer.go, 0, 0) == 0);
	racer.fd = fds[1];
	CHECK(pthread_create(&t, NULL, racer_main, &racer) == 0);
	for (i = 0; i < racer.rounds; i++) {
		init_read_atom(&r, fds[0], 0, NULL);
		sem_post(&racer.go);
		ret = sys_async_exec(&r.atom);
		if (ret == 0) {
			handed_off++;
			CHECK(sys_async_wait(1) == 1);
			CHECK(ring[head] == (uintptr_t)&r.atom);
			ring[head] = 0;
			head = (head + 1) % RING_SLOTS;
		} else {
			CHECK(ret == (long)(uintptr_t)&r.atom);
		}
		CHECK(r.ret == 1 && r.data[0] == 'r');
	}
	pthread_join(t, NULL);
	CHECK(sys_async_wait(0) == 0);
	fprintf(stderr, "# %d of %d rounds handed off\n", handed_off, racer.rounds);
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(handoff_races_with_the_wakeup)
{
	EXPECT_EQ(0, in_thread(wakeup_race_body, NULL));
}

static int no_complete_body(void *arg)
{
	struct read_atom r;
	struct syslet_uatom last;
	int64_t last_ret = 0;
	struct delayed_write dw;
	pthread_t writer;
	int fds[2];

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 1) == 0);
	init_atom(&last, __NR_getppid, SYSLET_NO_COMPLETE, &last_ret, NULL, 0);
	init_read_atom(&r, fds[0], SYSLET_NO_COMPLETE, &last);
	CHECK(sys_async_exec(&r.atom) == 0);
	dw.fd = fds[1];
	dw.ms = 20;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	/* Only the end of the chain is posted, NO_COMPLETE or not. */
	CHECK(sys_async_wait(1) == 1);
	pthread_join(writer, NULL);
	CHECK(ring[0] == (uintptr_t)&last);
	sleep_ms(20);
	CHECK(sys_async_wait(0) == 1);
	CHECK(ring[1] == 0);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(no_complete_atoms_are_not_posted_but_the_end_is)
{
	EXPECT_EQ(0, in_thread(no_complete_body, NULL));
}

static int sync_flag_body(void *arg)
{
	struct read_atom r;
	struct delayed_write dw;
	pthread_t writer;
	int fds[2];

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	init_read_atom(&r, fds[0], SYSLET_SYNC, NULL);
	dw.fd = fds[1];
	dw.ms = 50;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	/* Blocks in the caller and returns the atom it ended on. */
	CHECK(sys_async_exec(&r.atom) == (long)(uintptr_t)&r.atom);
	CHECK(r.ret == 1);
	pthread_join(writer, NULL);
	CHECK(sys_async_wait(0) == 0);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(sync_flag_never_hands_off)
{
	EXPECT_EQ(0, in_thread(sync_flag_body, NULL));
}

static int async_flag_body(void *arg)
{
	struct syslet_uatom atom;
	int64_t ret = 0;
	pid_t tid = gettid();

	CHECK(register_ring(ring, RING_SLOTS, 1) == 0);
	CHECK(wait_pool_threads(1) == 1);
	init_atom(&atom, __NR_getppid, SYSLET_ASYNC, &ret, NULL, 0);
	CHECK(sys_async_exec(&atom) == 0);
	CHECK(gettid() == tid);
	CHECK(sys_async_wait(1) == 1);
	CHECK(ring[0] == (uintptr_t)&atom);
	CHECK(ret == getppid());
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(async_flag_hands_off_before_the_first_atom)
{
	EXPECT_EQ(0, in_thread(async_flag_body, NULL));
}

static int overflow_body(void *arg)
{
	struct syslet_uatom a, b;
	int64_t ra = 0, rb = 0;

	/* One slot: the second completion waits in the overflow list. */
	CHECK(register_ring(ring, 1, 2) == 0);
	CHECK(wait_pool_threads(2) == 2);
	init_atom(&a, __NR_getppid, SYSLET_ASYNC, &ra, NULL, 0);
	init_atom(&b, __NR_getpid, SYSLET_ASYNC, &rb, NULL, 0);
	CHECK(sys_async_exec(&a) == 0);
	CHECK(sys_async_wait(1) == 1);
	CHECK(sys_async_exec(&b) == 0);
	CHECK(sys_async_wait(2) == 2);
	/* Never overwritten... */
	CHECK(ring[0] == (uintptr_t)&a);
	/* ...and posted once the slot is consumed. */
	ring[0] = 0;
	CHECK(sys_async_wait(1) == 1);
	CHECK(ring[0] == (uintptr_t)&b);
	CHECK(ra == getppid() && rb == getpid());
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(a_full_ring_never_loses_or_overwrites_completions)
{
	EXPECT_EQ(0, in_thread(overflow_body, NULL));
}

static int exhausted_pool_body(void *arg)
{
	struct read_atom r1, r2;
	struct delayed_write dw;
	pthread_t writer;
	int p1[2], p2[2];

	CHECK(pipe(p1) == 0 && pipe(p2) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 1) == 0);
	CHECK(wait_pool_threads(1) == 1);
	init_read_atom(&r1, p1[0], 0, NULL);
	init_read_atom(&r2, p2[0], 0, NULL);
	CHECK(sys_async_exec(&r1.atom) == 0);
	/* The only pool thread is in user space now: r2 blocks in place. */
	dw.fd = p2[1];
	dw.ms = 50;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	CHECK(sys_async_exec(&r2.atom) == (long)(uintptr_t)&r2.atom);
	pthread_join(writer, NULL);
	CHECK(r2.ret == 1);
	CHECK(write(p1[1], "y", 1) == 1);
	CHECK(sys_async_wait(1) == 1);
	CHECK(ring[0] == (uintptr_t)&r1.atom && r1.ret == 1);
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(without_an_idle_pool_thread_the_atom_blocks_in_place)
{
	EXPECT_EQ(0, in_thread(exhausted_pool_body, NULL));
}

/*
 * The thread-group leader hands off like any thread: async_exec() returns
 * 0 in the same thread as far as user space can tell (its TID is still
 * the process ID), and the read completes in the background.
 */
TEST(the_thread_group_leader_hands_off)
{
	struct read_atom r;
	struct delayed_write dw;
	pthread_t writer;
	int fds[2];

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, register_ring(ring, RING_SLOTS, 1));
	ASSERT_EQ(1, wait_pool_threads(1));
	init_read_atom(&r, fds[0], 0, NULL);
	dw.fd = fds[1];
	dw.ms = 50;
	ASSERT_EQ(0, pthread_create(&writer, NULL, delayed_write_main, &dw));
	EXPECT_EQ(0, sys_async_exec(&r.atom));
	EXPECT_EQ(getpid(), (pid_t)syscall(SYS_gettid));
	pthread_join(writer, NULL);
	EXPECT_EQ(1, sys_async_wait(1));
	EXPECT_EQ((uintptr_t)&r.atom, ring[0]);
	EXPECT_EQ(1, r.ret);
	EXPECT_EQ(0, sys_async_register(NULL, 0));
}

static int unregister_in_flight_body(void *arg)
{
	struct read_atom r;
	int fds[2];

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 1) == 0);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	CHECK(sys_async_register(NULL, 0) == 0);
	/* async_wait() still serves the old ring while it has syslets. */
	CHECK(sys_async_wait(0) == 0);
	/* The syslet still finishes, posts, and its thread goes away. */
	CHECK(write(fds[1], "z", 1) == 1);
	for (int i = 0; i < 200 && !ring[0]; i++)
		sleep_ms(10);
	CHECK(ring[0] == (uintptr_t)&r.atom && r.ret == 1);
	CHECK(wait_pool_threads(0) == 0);
	/* Then the registration is gone. */
	CHECK(sys_async_wait(0) == -1 && errno == EINVAL);
	return 0;
}

TEST(unregister_with_a_syslet_in_flight)
{
	EXPECT_EQ(0, in_thread(unregister_in_flight_body, NULL));
}

static int fork_body(void *arg)
{
	pid_t pid;
	int status;

	CHECK(register_ring(ring, RING_SLOTS, 1) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(sys_async_wait(0) == -1 && errno == EINVAL &&
		      count_pool_threads() == 0 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(sys_async_register(NULL, 0) == 0);
	return 0;
}

TEST(a_fork_child_starts_without_registration)
{
	EXPECT_EQ(0, in_thread(fork_body, NULL));
}

/* In a child: hand off a read that never completes, then leave by @how. */
static int leave_in_flight_body(void *arg)
{
	const char *how = arg;
	struct read_atom r;
	int fds[2];

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	if (!strcmp(how, "exit"))
		exit(42);
	if (!strcmp(how, "kill"))
		kill(getpid(), SIGKILL);
	if (!strcmp(how, "exec"))
		execl("/proc/self/exe", "/proc/self/exe", "--exit-42", NULL);
	if (!strcmp(how, "abort")) {
		struct rlimit core = { RLIM_INFINITY, RLIM_INFINITY };

		/* Try to dump core (into /tmp, if the pattern is relative). */
		if (chdir("/tmp") == 0 && setrlimit(RLIMIT_CORE, &core) == 0)
			abort();
	}
	return __LINE__;
}

static void leave_in_flight(struct __test_metadata *_metadata, const char *how,
			    int want_status)
{
	int status, i;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(in_thread(leave_in_flight_body, (void *)how));
	/* Nothing hangs: the child is gone within five seconds. */
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		sleep_ms(10);
	}
	if (i == 500)
		kill(pid, SIGKILL);
	ASSERT_LT(i, 500);
	if (WIFSIGNALED(want_status)) {
		/* With or without a core dump. */
		EXPECT_EQ(WTERMSIG(want_status), WTERMSIG(status));
	} else {
		EXPECT_EQ(want_status, status);
	}
}

TEST(exit_with_a_syslet_in_flight)
{
	leave_in_flight(_metadata, "exit", 42 << 8);
}

TEST(sigkill_with_a_syslet_in_flight)
{
	leave_in_flight(_metadata, "kill", SIGKILL);
}

TEST(exec_with_a_syslet_in_flight)
{
	leave_in_flight(_metadata, "exec", 42 << 8);
}

TEST(coredump_with_a_syslet_in_flight)
{
	leave_in_flight(_metadata, "abort", SIGABRT);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--exit-42"))
		return count_pool_threads() == 0 ? 42 : 1;
	return test_harness_run(argc, argv);
}
