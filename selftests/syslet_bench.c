// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of syslet atoms against the plain system calls, measured side by
 * side in one run.  Not a test: it prints numbers.
 *
 * Under QEMU with -icount shift=0 the guest's CLOCK_MONOTONIC advances one
 * nanosecond per instruction, so "ns" are instruction counts there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "syslet_util.h"

#define ROUNDS	5
#define CALLS	1000
#define READS	16

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct syslet_uatom chain[CALLS];
static char buf[READS][4096];

static void direct_getppid(void)
{
	int i;

	for (i = 0; i < CALLS; i++)
		syscall(__NR_getppid);
}

static void chained_getppid(void)
{
	sys_async_exec(&chain[0]);
}

static void one_atom_per_exec(void)
{
	int i;

	for (i = 0; i < CALLS; i++)
		sys_async_exec(&chain[CALLS - 1]);
}

static uint64_t counter;

static void direct_umem_add(void)
{
	int i;

	for (i = 0; i < CALLS; i++)
		sys_umem_add(&counter, 1);
}

static int fd;
static uint64_t fd_arg, buf_arg[READS], len_arg = 4096, off_arg[READS];
static struct syslet_uatom preads[READS];

static void direct_preads(void)
{
	int i;

	for (i = 0; i < READS; i++)
		pread(fd, buf[i], 4096, i * 4096);
}

static void chained_preads(void)
{
	sys_async_exec(&preads[0]);
}

/* Chains of 1..64 getppid() atoms that store their results. */
#define MAX_CHAIN	64
#define CHAIN_EXECS	100
static struct syslet_uatom rchain[MAX_CHAIN];
static int64_t rchain_ret[MAX_CHAIN];
static int chain_len;

static void direct_getppid_n(void)
{
	int i, j;

	for (i = 0; i < CHAIN_EXECS; i++)
		for (j = 0; j < chain_len; j++)
			syscall(__NR_getppid);
}

static void chained_getppid_n(void)
{
	int i;

	for (i = 0; i < CHAIN_EXECS; i++)
		sys_async_exec(&rchain[MAX_CHAIN - chain_len]);
}

/* 16 cached preads of 64 bytes: the per-atom cost without the copy. */
static uint64_t small_len_arg = 64;
static struct syslet_uatom small_preads[READS];

static void direct_small_preads(void)
{
	int i;

	for (i = 0; i < READS; i++)
		pread(fd, buf[i], 64, i * 4096);
}

static void chained_small_preads(void)
{
	sys_async_exec(&small_preads[0]);
}

/*
 * io_uring through its system calls, with the same buffers: READS reads
 * submitted and reaped with one io_uring_enter(), and one IOSQE_ASYNC
 * read, which io_uring punts to an io-wq worker, as the yardstick of a
 * handoff.  The SQEs are prepared inside the timed loop, as an
 * application would.
 */
struct bench_uring {
	int fd;
	unsigned int sq_mask, cq_mask;
	unsigned int *sq_tail, *cq_head, *cq_tail;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static struct bench_uring uring;

static int uring_setup(struct bench_uring *u, unsigned int entries)
{
	struct io_uring_params p;
	char *rings;
	size_t len;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_NO_SQARRAY;
	u->fd = syscall(__NR_io_uring_setup, entries, &p);
	if (u->fd < 0 || !(p.features & IORING_FEAT_SINGLE_MMAP))
		return -1;
	/* Without the SQ array, the CQEs end the shared ring area. */
	len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	rings = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	u->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       u->fd, IORING_OFF_SQES);
	if (rings == MAP_FAILED || u->sqes == MAP_FAILED)
		return -1;
	u->sq_mask = *(unsigned int *)(rings + p.sq_off.ring_mask);
	u->cq_mask = *(unsigned int *)(rings + p.cq_off.ring_mask);
	u->sq_tail = (unsigned int *)(rings + p.sq_off.tail);
	u->cq_head = (unsigned int *)(rings + p.cq_off.head);
	u->cq_tail = (unsigned int *)(rings + p.cq_off.tail);
	u->cqes = (struct io_uring_cqe *)(rings + p.cq_off.cqes);
	return 0;
}

static void uring_prep_read(struct bench_uring *u, void *to, unsigned int len,
			    __u64 off, __u8 flags)
{
	unsigned int tail = *u->sq_tail;
	struct io_uring_sqe *sqe = &u->sqes[tail & u->sq_mask];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->flags = flags;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)to;
	sqe->len = len;
	sqe->off = off;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/* Submits @n SQEs, waits for their @n CQEs and consumes them. */
static int uring_submit_and_wait(struct bench_uring *u, unsigned int n)
{
	unsigned int head = *u->cq_head;

	if (syscall(__NR_io_uring_enter, u->fd, n, n, IORING_ENTER_GETEVENTS,
		    NULL, 0) != n)
		return -1;
	if (__atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE) - head != n)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		if (u->cqes[(head + i) & u->cq_mask].res < 0)
			return -1;
	__atomic_store_n(u->cq_head, head + n, __ATOMIC_RELEASE);
	return 0;
}

static int uring_failed;

static void uring_preads(unsigned int len)
{
	int i;

	for (i = 0; i < READS; i++)
		uring_prep_read(&uring, buf[i], len, i * 4096, 0);
	if (uring_submit_and_wait(&uring, READS))
		uring_failed = 1;
}

static void uring_preads_4k(void)
{
	uring_preads(4096);
}

static void uring_preads_64(void)
{
	uring_preads(64);
}

static void uring_async_reads(void)
{
	int i;

	for (i = 0; i < CALLS / 10; i++) {
		uring_prep_read(&uring, buf[0], 64, 0, IOSQE_ASYNC);
		if (uring_submit_and_wait(&uring, 1))
			uring_failed = 1;
	}
}

/* A futex wake/wait round trip between two threads, for the handoff. */
static int ping, pong;
static int stop_ponger;

static void futex_wait(int *word, int val)
{
	syscall(__NR_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(int *word)
{
	syscall(__NR_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *ponger(void *arg)
{
	int seen = 0;

	while (!__atomic_load_n(&stop_ponger, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&ping, __ATOMIC_ACQUIRE) == seen &&
		       !__atomic_load_n(&stop_ponger, __ATOMIC_ACQUIRE))
			futex_wait(&ping, seen);
		seen = __atomic_load_n(&ping, __ATOMIC_ACQUIRE);
		__atomic_store_n(&pong, seen, __ATOMIC_RELEASE);
		futex_wake(&pong);
	}
	return arg;
}

static void futex_round_trips(void)
{
	int i, v;

	for (i = 0; i < CALLS / 10; i++) {
		v = __atomic_add_fetch(&ping, 1, __ATOMIC_RELEASE);
		futex_wake(&ping);
		while (__atomic_load_n(&pong, __ATOMIC_ACQUIRE) != v)
			futex_wait(&pong, v - 1);
	}
}

static uint64_t ring[8];
static unsigned int ring_head;
static struct syslet_uatom async_atom;

/*
 * Handoff round trips, each timed on its own: the old head of the last one
 * parks in the pool after it posted, which can be after the waiter woke,
 * and with no pool thread idle a SYSLET_ASYNC atom runs in place, much
 * faster.  So yield (untimed) before each, and time only those that
 * handed off and posted; the others are counted.
 */
static int handoff_misses, handoffs;
static uint64_t handoff_ns;

static void handed_off_getppid(void)
{
	uint64_t t;
	int i;

	for (i = 0; i < CALLS / 10; i++) {
		sched_yield();
		t = now_ns();
		if (sys_async_exec(&async_atom) != 0 || sys_async_wait(1) < 1 ||
		    ring[ring_head] != (uintptr_t)&async_atom) {
			handoff_misses++;
		} else {
			handoff_ns += now_ns() - t;
			handoffs++;
		}
		ring[ring_head] = 0;
		ring_head = (ring_head + 1) % 8;
	}
}

static double best(void (*fn)(void));
static double registered_chain, handoff;

/* With a registration, in a second thread: the cost of arming atoms, and
 * of a handoff round trip.
 */
static void *registered_main(void *arg)
{
	struct async_head_user head = {
		.completion_ring = (uintptr_t)ring,
		.ring_size_bytes = sizeof(ring),
		.max_nr_threads = 4,
	};

	if (sys_async_register(&head, sizeof(head)))
		return NULL;
	init_atom(&async_atom, __NR_getppid, SYSLET_ASYNC, NULL, NULL, 0);
	registered_chain = best(chained_getppid) / CALLS;
	for (int r = 0; r < ROUNDS; r++)
		handed_off_getppid();
	handoff = handoffs ? (double)handoff_ns / handoffs : 0;
	sys_async_register(NULL, 0);
	return NULL;
}

/* Fastest of ROUNDS runs of @fn, in ns. */
static double best(void (*fn)(void))
{
	uint64_t t, min = UINT64_MAX;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		t = now_ns();
		fn();
		t = now_ns() - t;
		if (t < min)
			min = t;
	}
	return min;
}

int main(void)
{
	char path[] = "/tmp/syslet_bench.XXXXXX";
	static const int lens[] = { 1, 2, 4, 8, 16, 64 };
	double direct, chained, single, umem, pdirect, pchained, sdirect, schained;
	double ndirect[6], nchained[6], futex_rt;
	double upreads = 0, usmall = 0, uasync = 0;
	pthread_t t;
	int i;

	for (i = 0; i < CALLS; i++)
		init_atom(&chain[i], __NR_getppid, 0, NULL,
			  i + 1 < CALLS ? &chain[i + 1] : NULL, 0);
	if (sys_async_exec(&chain[CALLS - 1]) != (long)(uintptr_t)&chain[CALLS - 1]) {
		perror("async_exec");
		return 1;
	}
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, READS * 4096))
		return 1;
	unlink(path);
	fd_arg = fd;
	for (i = 0; i < READS; i++) {
		buf_arg[i] = (uintptr_t)buf[i];
		off_arg[i] = i * 4096;
		init_atom(&preads[i], __NR_pread64, 0, NULL,
			  i + 1 < READS ? &preads[i + 1] : NULL, 4,
			  &fd_arg, &buf_arg[i], &len_arg, &off_arg[i]);
	}
	direct_preads();	/* warm the page cache */
	for (i = 0; i < READS; i++)
		init_atom(&small_preads[i], __NR_pread64, 0, NULL,
			  i + 1 < READS ? &small_preads[i + 1] : NULL, 4,
			  &fd_arg, &buf_arg[i], &small_len_arg, &off_arg[i]);
	for (i = 0; i < MAX_CHAIN; i++)
		init_atom(&rchain[i], __NR_getppid, 0, &rchain_ret[i],
			  i + 1 < MAX_CHAIN ? &rchain[i + 1] : NULL, 0);

	direct = best(direct_getppid) / CALLS;
	chained = best(chained_getppid) / CALLS;
	single = best(one_atom_per_exec) / CALLS;
	umem = best(direct_umem_add) / CALLS;
	pdirect = best(direct_preads);
	pchained = best(chained_preads);
	sdirect = best(direct_small_preads);
	schained = best(chained_small_preads);
	for (i = 0; i < 6; i++) {
		chain_len = lens[i];
		ndirect[i] = best(direct_getppid_n) / CHAIN_EXECS;
		nchained[i] = best(chained_getppid_n) / CHAIN_EXECS;
	}
	if (uring_setup(&uring, 2 * READS) == 0) {
		upreads = best(uring_preads_4k);
		usmall = best(uring_preads_64);
		uasync = best(uring_async_reads) / (CALLS / 10);
	}
	if (pthread_create(&t, NULL, ponger, NULL))
		return 1;
	futex_rt = best(futex_round_trips) / (CALLS / 10);
	__atomic_store_n(&stop_ponger, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&ping, 1, __ATOMIC_RELEASE);
	futex_wake(&ping);
	pthread_join(t, NULL);
	if (pthread_create(&t, NULL, registered_main, NULL) == 0)
		pthread_join(t, NULL);

	printf("getppid() from user space:            %8.0f ns per call\n", direct);
	printf("getppid() atom in a chain of %d:    %8.0f ns per atom (%.2fx)\n",
	       CALLS, chained, chained / direct);
	printf("async_exec() of one getppid() atom:   %8.0f ns per call (%.2fx)\n",
	       single, single / direct);
	printf("umem_add() from user space:           %8.0f ns per call\n", umem);
	printf("%d cached 4 KiB pread()s:             %8.0f ns\n", READS, pdirect);
	printf("the same %d pread()s as one syslet:   %8.0f ns (%.2fx)\n",
	       READS, pchained, pchained / pdirect);
	printf("%d cached 64-byte pread()s:           %8.0f ns\n", READS, sdirect);
	printf("the same %d pread()s as one syslet:   %8.0f ns (%.2fx)\n",
	       READS, schained, schained / sdirect);
	for (i = 0; i < 6; i++) {
		printf("chain of %2d getppid() atoms with ret_ptr: %8.0f ns per atom",
		       lens[i], nchained[i] / lens[i]);
		printf(", vs %2d calls %8.0f (%.2fx)\n", lens[i], ndirect[i],
		       nchained[i] / ndirect[i]);
	}
	if (upreads && !uring_failed) {
		printf("the same %d 4 KiB reads with io_uring: %8.0f ns", READS, upreads);
		printf(" (%.2fx; syslet/io_uring %.2f)\n", upreads / pdirect,
		       pchained / upreads);
		printf("the same %d 64-byte reads with io_uring: %8.0f ns", READS, usmall);
		printf(" (%.2fx; syslet/io_uring %.2f)\n", usmall / sdirect,
		       schained / usmall);
	} else {
		printf("io_uring: not available (%s)\n",
		       uring_failed ? "a read failed" : "io_uring_setup failed");
	}
	printf("futex wake/wait round trip between two threads: %8.0f ns\n", futex_rt);
	printf("registered: getppid() atom in a chain: %8.0f ns per atom (%.2fx)\n",
	       registered_chain, registered_chain / direct);
	printf("handoff round trip (SYSLET_ASYNC getppid(), async_wait(1)): %8.0f ns",
	       handoff);
	printf(" (%.2fx getppid, %.2fx futex round trip)\n", handoff / direct,
	       handoff / futex_rt);
	if (handoff_misses)
		printf("(mean of %d handoffs; %d ran in place and are not counted)\n",
		       handoffs, handoff_misses);
	if (uasync && !uring_failed) {
		printf("io_uring IOSQE_ASYNC 64-byte read round trip (io-wq punt): %8.0f ns",
		       uasync);
		printf(" (handoff/punt %.2f)\n", handoff / uasync);
	}
	close(fd);
	return 0;
}
