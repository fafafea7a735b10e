// SPDX-License-Identifier: GPL-2.0
/*
 * What event loops rely on: the eventfd of a registration
 * (ASYNC_HEAD_EVENTFD) counts every completion posted to the ring and
 * wakes poll and epoll, and async_wait() honours its timeout: -ETIME when
 * it expires first, never early, -EINTR on a signal.
 *
 * The bodies that hand off run in a second thread, like async_test.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "async_util.h"

static uint64_t ring[RING_SLOTS];
static uint64_t small_ring[1];

static int register_with(uint64_t *r, size_t slots, uint32_t flags, int32_t efd)
{
	struct async_head_user head = {
		.completion_ring = (uintptr_t)r,
		.ring_size_bytes = slots * 8,
		.max_nr_threads = 2,
		.flags = flags,
		.eventfd = efd,
	};

	long ret;

	memset(r, 0, slots * 8);
	ret = sys_async_register(&head, sizeof(head));
	/*
	 * An atom that blocks while no pool thread is idle yet blocks in
	 * place; the tests below write only after async_exec() returned.
	 */
	if (!ret)
		wait_pool_threads(2);
	return ret;
}

/* The eventfd's counter, reset to 0; 0 if it was 0 (non-blocking fd). */
static uint64_t eventfd_take(int efd)
{
	uint64_t n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return errno == EAGAIN ? 0 : (uint64_t)-1;
	return n;
}

static int64_t elapsed_ms(int64_t t0)
{
	return now_ms() - t0;
}

TEST(register_checks_flags_and_the_eventfd)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), fds[2];
	struct syslet_uatom atom;
	int64_t ret = 0;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(fds));
	/* Unknown flags, and an eventfd without the flag. */
	EXPECT_EQ(-1, register_with(ring, RING_SLOTS, 2, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, register_with(ring, RING_SLOTS, 0x80000000, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, register_with(ring, RING_SLOTS, 0, efd));
	EXPECT_EQ(EINVAL, errno);
	/* Not a file descriptor, not open, not an eventfd. */
	EXPECT_EQ(-1, register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, -1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, 1000000));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, fds[0]));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was registered by the failures. */
	EXPECT_EQ(-1, sys_async_wait(0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, count_pool_threads());

	ASSERT_EQ(0, register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, efd));
	/* A syslet that finishes synchronously posts nothing: no signal. */
	init_atom(&atom, __NR_getppid, 0, &ret, NULL, 0);
	EXPECT_EQ((long)(uintptr_t)&atom, sys_async_exec(&atom));
	init_atom(&atom, __NR_getppid, SYSLET_SYNC, &ret, NULL, 0);
	EXPECT_EQ((long)(uintptr_t)&atom, sys_async_exec(&atom));
	EXPECT_EQ(getppid(), ret);
	EXPECT_EQ(0, sys_async_wait(0));
	EXPECT_EQ(0, ring[0]);
	EXPECT_EQ(0, eventfd_take(efd));
	EXPECT_EQ(0, sys_async_register(NULL, 0));
	close(fds[0]);
	close(fds[1]);
	close(efd);
}

/* A chain of a blocking read and two more atoms; no eventfd closed yet. */
struct chain3 {
	struct read_atom r;
	struct syslet_uatom b, c;
	int64_t b_ret, c_ret;
};

static void init_chain3(struct chain3 *ch, int fd)
{
	/* c lacks a completion of its own but is where the chain ends. */
	init_atom(&ch->c, __NR_getppid, SYSLET_NO_COMPLETE, &ch->c_ret, NULL, 0);
	init_atom(&ch->b, __NR_getppid, 0, &ch->b_ret, &ch->c, 0);
	init_read_atom(&ch->r, fd, 0, &ch->b);
}

static int eventfd_counts_posts_body(void *arg)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), efd2, fds[2], i;
	struct delayed_write dw;
	struct chain3 ch;
	pthread_t writer;

	CHECK(efd >= 0 && pipe(fds) == 0);
	CHECK(register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, efd) == 0);
	/* The registration holds the eventfd, not the descriptor. */
	efd2 = dup(efd);
	CHECK(efd2 >= 0 && close(efd) == 0);
	init_chain3(&ch, fds[0]);
	CHECK(sys_async_exec(&ch.r.atom) == 0);
	CHECK(eventfd_take(efd2) == 0);
	dw.fd = fds[1];
	dw.ms = 30;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	CHECK(sys_async_wait(3) == 3);
	pthread_join(writer, NULL);
	/* One signal per ring entry: the read, b, and c that ended it. */
	CHECK(ring[0] == (uintptr_t)&ch.r.atom);
	CHECK(ring[1] == (uintptr_t)&ch.b);
	CHECK(ring[2] == (uintptr_t)&ch.c);
	CHECK(ring[3] == 0);
	CHECK(eventfd_take(efd2) == 3);
	CHECK(sys_async_wait(0) == 3);
	CHECK(eventfd_take(efd2) == 0);

	/* Again, the ring consumed: the count follows the posts. */
	for (i = 0; i < 3; i++)
		ring[i] = 0;
	init_chain3(&ch, fds[0]);
	CHECK(sys_async_exec(&ch.r.atom) == 0);
	CHECK(write(fds[1], "y", 1) == 1);
	CHECK(sys_async_wait(3) == 3);
	CHECK(ring[3] == (uintptr_t)&ch.r.atom && ring[5] == (uintptr_t)&ch.c);
	CHECK(eventfd_take(efd2) == 3);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(efd2);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(the_eventfd_counts_every_post)
{
	EXPECT_EQ(0, in_thread(eventfd_counts_posts_body, NULL));
}

/*
 * The registration holds the eventfd it was given: another eventfd
 * dup2()ed onto the number later is not signalled; and with every
 * descriptor of it closed, signalling it is still safe (KASAN).
 */
static int eventfd_object_body(void *arg)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), keep, other, fds[2];
	struct chain3 ch;

	CHECK(efd >= 0 && pipe(fds) == 0);
	CHECK(register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, efd) == 0);
	keep = dup(efd);
	other = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(keep >= 0 && other >= 0 && dup2(other, efd) == efd);
	init_chain3(&ch, fds[0]);
	CHECK(sys_async_exec(&ch.r.atom) == 0);
	CHECK(write(fds[1], "x", 1) == 1);
	CHECK(sys_async_wait(3) == 3);
	CHECK(eventfd_take(keep) == 3);
	CHECK(eventfd_take(efd) == 0 && eventfd_take(other) == 0);
	CHECK(sys_async_register(NULL, 0) == 0);

	/* Every descriptor of the registered eventfd closed. */
	CHECK(register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, keep) == 0);
	close(keep);
	init_chain3(&ch, fds[0]);
	CHECK(sys_async_exec(&ch.r.atom) == 0);
	CHECK(write(fds[1], "y", 1) == 1);
	CHECK(sys_async_wait(3) == 3);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(efd);
	close(other);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(the_registration_holds_the_eventfd_it_was_given)
{
	EXPECT_EQ(0, in_thread(eventfd_object_body, NULL));
}

/*
 * An event loop that only polls the eventfd: with a one-slot ring, the
 * completions that found the ring full come in when it flushes
 * (async_wait(0, NULL)) after consuming, never by themselves.
 */
static int epoll_only_body(void *arg)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), fds[2], seen = 0;
	struct pollfd pfd = { .events = POLLIN };
	struct chain3 ch;
	uint64_t want[3], e;

	CHECK(efd >= 0 && pipe(fds) == 0);
	CHECK(register_with(small_ring, 1, ASYNC_HEAD_EVENTFD, efd) == 0);
	init_chain3(&ch, fds[0]);
	want[0] = (uintptr_t)&ch.r.atom;
	want[1] = (uintptr_t)&ch.b;
	want[2] = (uintptr_t)&ch.c;
	CHECK(sys_async_exec(&ch.r.atom) == 0);
	CHECK(write(fds[1], "x", 1) == 1);
	pfd.fd = efd;
	while (seen < 3) {
		CHECK(poll(&pfd, 1, 20000) == 1);
		CHECK(eventfd_take(efd) >= 1);
		e = __atomic_load_n(&small_ring[0], __ATOMIC_ACQUIRE);
		if (e) {
			CHECK(e == want[seen]);
			__atomic_store_n(&small_ring[0], 0, __ATOMIC_RELEASE);
			seen++;
		}
		/* The flush: posts what waited, which signals again. */
		CHECK(sys_async_wait(0) >= 0);
	}
	CHECK(sys_async_register(NULL, 0) == 0);
	close(efd);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(an_epoll_loop_flushes_a_full_ring)
{
	EXPECT_EQ(0, in_thread(epoll_only_body, NULL));
}

/* The ring breaks: the eventfd fires once, async_wait() says -EFAULT. */
static int broken_ring_body(void *arg)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), fds[2];
	struct pollfd pfd = { .events = POLLIN };
	uint64_t *page;
	struct read_atom r;

	CHECK(efd >= 0 && pipe(fds) == 0);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	CHECK(register_with(page, 4, ASYNC_HEAD_EVENTFD, efd) == 0);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	CHECK(mprotect(page, 4096, PROT_READ) == 0);
	CHECK(write(fds[1], "x", 1) == 1);
	pfd.fd = efd;
	CHECK(poll(&pfd, 1, 20000) == 1);
	CHECK(eventfd_take(efd) == 1);
	CHECK(page[0] == 0);
	CHECK(sys_async_wait(0) == -1 && errno == EFAULT);
	CHECK(r.ret == 1);
	CHECK(sys_async_register(NULL, 0) == 0);
	munmap(page, 4096);
	close(efd);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(a_broken_ring_signals_the_eventfd_once)
{
	EXPECT_EQ(0, in_thread(broken_ring_body, NULL));
}

/*
 * A stop and continue while async_wait() sleeps without a timeout, with
 * no handler to run: the call goes on (it is restarted), it does not fail
 * with EINTR.  A child process stops and continues us, then writes.
 */
static int stop_cont_body(void *arg)
{
	struct read_atom r;
	pid_t me = getpid(), child;
	int fds[2], status;
	long n;

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	CHECK(wait_pool_threads(2) == 2);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		sleep_ms(300);
		kill(me, SIGSTOP);
		sleep_ms(100);
		kill(me, SIGCONT);
		sleep_ms(300);
		_exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
	}
	n = sys_async_wait(1);
	CHECK(n == 1);
	CHECK(waitpid(child, &status, 0) == child && status == 0);
	CHECK(r.ret == 1);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(a_stop_does_not_end_an_untimed_wait)
{
	EXPECT_EQ(0, in_thread(stop_cont_body, NULL));
}

/*
 * With a one-slot ring, completions wait in the kernel: each signals the
 * eventfd when it reaches the ring, not when it completes.
 */
static int eventfd_waits_for_the_ring_body(void *arg)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), fds[2], seen = 0;
	struct chain3 ch;
	uint64_t want[3];

	CHECK(efd >= 0 && pipe(fds) == 0);
	CHECK(register_with(small_ring, 1, ASYNC_HEAD_EVENTFD, efd) == 0);
	init_chain3(&ch, fds[0]);
	want[0] = (uintptr_t)&ch.r.atom;
	want[1] = (uintptr_t)&ch.b;
	want[2] = (uintptr_t)&ch.c;
	CHECK(sys_async_exec(&ch.r.atom) == 0);
	CHECK(write(fds[1], "x", 1) == 1);
	/* The read in the slot, b queued behind it: only one signal. */
	CHECK(sys_async_wait(2) == 2);
	while (seen < 3) {
		/* One entry in the ring, the next one waiting for the slot. */
		CHECK(sys_async_wait(1) >= 1);
		CHECK(small_ring[0] == want[seen]);
		CHECK(eventfd_take(efd) == 1);
		__atomic_store_n(&small_ring[0], 0, __ATOMIC_RELEASE);
		seen++;
		if (seen < 3) {
			/* async_wait() posts the next one into the freed slot. */
			CHECK(sys_async_wait(1) >= 1);
		}
	}
	CHECK(sys_async_wait(0) == 0);
	CHECK(eventfd_take(efd) == 0);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(efd);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(a_queued_completion_signals_when_it_reaches_the_ring)
{
	EXPECT_EQ(0, in_thread(eventfd_waits_for_the_ring_body, NULL));
}

static int epoll_body(void *arg)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ep, fds[2];
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	struct pollfd pfd;
	struct delayed_write dw;
	struct read_atom r;
	pthread_t writer;
	int64_t t0;

	CHECK(efd >= 0 && pipe(fds) == 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	ev.data.fd = efd;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
	CHECK(register_with(ring, RING_SLOTS, ASYNC_HEAD_EVENTFD, efd) == 0);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	CHECK(epoll_wait(ep, out, 2, 0) == 0);
	dw.fd = fds[1];
	dw.ms = 50;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	t0 = now_ms();
	/* epoll sleeps until the completion is posted, and no longer. */
	CHECK(epoll_wait(ep, out, 2, 10000) == 1);
	CHECK(elapsed_ms(t0) < 5000);
	pthread_join(writer, NULL);
	CHECK(out[0].data.fd == efd && (out[0].events & EPOLLIN));
	CHECK(__atomic_load_n(&ring[0], __ATOMIC_ACQUIRE) == (uintptr_t)&r.atom);
	CHECK(r.ret == 1);
	CHECK(eventfd_take(efd) == 1);
	CHECK(epoll_wait(ep, out, 2, 0) == 0);
	/* poll() sees the same. */
	ring[0] = 0;
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	pfd.fd = efd;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 0) == 0);
	CHECK(write(fds[1], "z", 1) == 1);
	CHECK(poll(&pfd, 1, 10000) == 1 && (pfd.revents & POLLIN));
	CHECK(sys_async_wait(1) == 1 && ring[1] == (uintptr_t)&r.atom);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(ep);
	close(efd);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(epoll_and_poll_wake_up_on_a_completion)
{
	EXPECT_EQ(0, in_thread(epoll_body, NULL));
}

static int timeout_body(void *arg)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 120 * 1000000 };
	struct __kernel_timespec zero = { 0, 0 };
	struct delayed_write dw;
	struct read_atom r;
	pthread_t writer;
	int64_t t0, ms;
	int fds[2];

	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	CHECK(wait_pool_threads(2) == 2);
	/* Nothing in flight: returns at once, timeout or not. */
	t0 = now_ms();
	CHECK(sys_async_wait_timeout(1, &ts) == 0);
	CHECK(elapsed_ms(t0) < 120);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);

	/* A zero timeout polls, and fails when too little is there. */
	CHECK(sys_async_wait_timeout(0, &zero) == 0);
	CHECK(sys_async_wait_timeout(1, &zero) == -1 && errno == ETIME);

	/* The timeout expires first: -ETIME, not before it is over. */
	t0 = now_ms();
	CHECK(sys_async_wait_timeout(1, &ts) == -1 && errno == ETIME);
	ms = elapsed_ms(t0);
	CHECK(ms >= 120);
	CHECK(ms < 5000);
	CHECK(r.ret == -1 && ring[0] == 0);

	/* The completion comes first: its count, long before the timeout. */
	ts.tv_sec = 20;
	ts.tv_nsec = 0;
	dw.fd = fds[1];
	dw.ms = 50;
	CHECK(pthread_create(&writer, NULL, delayed_write_main, &dw) == 0);
	t0 = now_ms();
	CHECK(sys_async_wait_timeout(1, &ts) == 1);
	CHECK(elapsed_ms(t0) < 10000);
	pthread_join(writer, NULL);
	CHECK(ring[0] == (uintptr_t)&r.atom && r.ret == 1);
	/* Enough is there already: the zero timeout gives the count. */
	CHECK(sys_async_wait_timeout(1, &zero) == 1);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(async_wait_times_out_and_never_early)
{
	EXPECT_EQ(0, in_thread(timeout_body, NULL));
}

static void on_usr1(int sig)
{
}

struct kicker {
	pthread_t target;
	int ms;
	int done;
};

/* Signals @target every @ms until it says it is done waiting. */
static void *kick_main(void *p)
{
	struct kicker *k = p;

	while (!__atomic_load_n(&k->done, __ATOMIC_ACQUIRE)) {
		sleep_ms(k->ms);
		pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

static int timed_wait_signal_body(void *arg)
{
	struct __kernel_timespec ts = { .tv_sec = 30 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct kicker k = { .target = pthread_self(), .ms = 50 };
	struct read_atom r;
	pthread_t kicker;
	int64_t t0;
	int fds[2];
	long ret;

	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(pipe(fds) == 0);
	CHECK(register_ring(ring, RING_SLOTS, 2) == 0);
	CHECK(wait_pool_threads(2) == 2);
	init_read_atom(&r, fds[0], 0, NULL);
	CHECK(sys_async_exec(&r.atom) == 0);
	t0 = now_ms();
	CHECK(pthread_create(&kicker, NULL, kick_main, &k) == 0);
	ret = sys_async_wait_timeout(1, &ts);
	__atomic_store_n(&k.done, 1, __ATOMIC_RELEASE);
	pthread_join(kicker, NULL);
	CHECK(ret == -1 && errno == EINTR);
	CHECK(elapsed_ms(t0) >= 50);
	/* The largest timeout is "forever", and a signal still ends it. */
	ts.tv_sec = INT64_MAX;
	ts.tv_nsec = 999999999;
	k.done = 0;
	CHECK(pthread_create(&kicker, NULL, kick_main, &k) == 0);
	ret = sys_async_wait_timeout(1, &ts);
	__atomic_store_n(&k.done, 1, __ATOMIC_RELEASE);
	pthread_join(kicker, NULL);
	CHECK(ret == -1 && errno == EINTR);
	CHECK(write(fds[1], "x", 1) == 1);
	CHECK(sys_async_wait_timeout(1, &ts) == 1);
	CHECK(sys_async_register(NULL, 0) == 0);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

TEST(a_signal_ends_a_timed_wait)
{
	EXPECT_EQ(0, in_thread(timed_wait_signal_body, NULL));
}

TEST(async_wait_rejects_bad_timeouts)
{
	struct __kernel_timespec bad[] = {
		{ .tv_sec = 0, .tv_nsec = 1000000000 },
		{ .tv_sec = 0, .tv_nsec = -1 },
		{ .tv_sec = -1, .tv_nsec = 0 },
		{ .tv_sec = INT64_MIN, .tv_nsec = 0 },
	};
	struct __kernel_timespec ok = { .tv_sec = 0, .tv_nsec = 1000 };
	/* Low, top of the address space, kernel, unmapped. */
	const void *unreadable[] = {
		(void *)8,
		(void *)-8UL,
		(void *)-4096UL,
		(void *)0xffff800000000000UL,
		NULL,
	};
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	ASSERT_NE(MAP_FAILED, page);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, munmap(page, 4096));
	unreadable[4] = page;
	/* Without a registration, a valid timeout changes nothing. */
	EXPECT_EQ(-1, sys_async_wait_timeout(0, &ok));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, register_ring(ring, RING_SLOTS, 1));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, sys_async_wait_timeout(0, &bad[i]));
		EXPECT_EQ(EINVAL, errno);
	}
	for (i = 0; i < ARRAY_SIZE(unreadable); i++) {
		EXPECT_EQ(-1, sys_async_wait_timeout(0, unreadable[i]));
		EXPECT_EQ(EFAULT, errno);
	}
	/* Read-only memory is fine: the timeout is only read. */
	EXPECT_EQ(0, sys_async_wait_timeout(1, ro));
	/* The registration is untouched by the bad calls. */
	EXPECT_EQ(0, sys_async_wait(0));
	EXPECT_EQ(0, sys_async_register(NULL, 0));
	munmap(ro, 4096);
}

TEST_HARNESS_MAIN
