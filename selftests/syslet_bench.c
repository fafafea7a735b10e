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
#include <linux/loop.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

static void uring_prep_read(struct bench_uring *u, int rfd, void *to,
			    unsigned int len, __u64 off, __u8 flags)
{
	unsigned int tail = *u->sq_tail;
	struct io_uring_sqe *sqe = &u->sqes[tail & u->sq_mask];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->flags = flags;
	sqe->fd = rfd;
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
		uring_prep_read(&uring, fd, buf[i], len, i * 4096, 0);
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
		uring_prep_read(&uring, fd, buf[0], 64, 0, IOSQE_ASYNC);
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
static int handoff_misses, handoffs, blk_misses, blk_handoffs;
static uint64_t handoff_ns, blk_ns;

/*
 * Consumes the next completion, if one was posted: an atom that ran in
 * place posted none, so the head only moves past a slot that was used.
 */
static uint64_t ring_pop(void)
{
	uint64_t v = ring[ring_head];

	if (v) {
		ring[ring_head] = 0;
		ring_head = (ring_head + 1) % 8;
	}
	return v;
}

static void handed_off_getppid(void)
{
	uint64_t t;
	int i;

	for (i = 0; i < CALLS / 10; i++) {
		sched_yield();
		t = now_ns();
		if (sys_async_exec(&async_atom) != 0 || sys_async_wait(1) < 1 ||
		    ring_pop() != (uintptr_t)&async_atom) {
			handoff_misses++;
		} else {
			handoff_ns += now_ns() - t;
			handoffs++;
		}
	}
}

static double best(void (*fn)(void));
static double registered_chain, handoff, blocked_direct, blocked_handoff;
static int uring_ok;

/* The cached reads of the file behind fd, in every form. */
struct reads {
	double pdirect, pchained, sdirect, schained, upreads, usmall;
};

static void measure_reads(struct reads *r)
{
	fd_arg = fd;
	direct_preads();	/* warm the page cache */
	r->pdirect = best(direct_preads);
	r->pchained = best(chained_preads);
	r->sdirect = best(direct_small_preads);
	r->schained = best(chained_small_preads);
	if (uring_ok) {
		r->upreads = best(uring_preads_4k);
		r->usmall = best(uring_preads_64);
	}
}

/* One size of reads: direct, as one syslet, with io_uring (0: not run). */
static void print_read_size(const char *size, const char *where, double direct,
			    double chained, double uring)
{
	printf("%d cached %s pread()s (%s): %8.0f ns\n", READS, size, where, direct);
	printf("  the same as one syslet:   %8.0f ns (%.2fx)\n",
	       chained, chained / direct);
	if (uring && !uring_failed)
		printf("  the same with io_uring:   %8.0f ns (%.2fx; syslet/io_uring %.2f)\n",
		       uring, uring / direct, chained / uring);
}

static void print_reads(const char *where, const struct reads *r)
{
	print_read_size("4 KiB", where, r->pdirect, r->pchained, r->upreads);
	print_read_size("64-byte", where, r->sdirect, r->schained, r->usmall);
}

/*
 * A loop device over the same file: a block device's page cache is read
 * without blocking (FMODE_NOWAIT, FOP_BUFFER_RASYNC), as ext4's is, so
 * io_uring completes these reads inline, where on tmpfs it must punt each
 * to an io-wq worker.  Needs root and CONFIG_BLK_DEV_LOOP.
 */
static int open_loop(int backing)
{
	char path[32];
	int ctl, n, lfd;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return -1;
	snprintf(path, sizeof(path), "/dev/loop%d", n);
	lfd = open(path, O_RDWR | O_CLOEXEC);
	if (lfd < 0)
		return -1;
	if (ioctl(lfd, LOOP_SET_FD, backing)) {
		close(lfd);
		return -1;
	}
	return lfd;
}

/*
 * A round trip through a real block: a read of an empty pipe that another
 * thread fills once woken, made directly and as a syslet that blocks, hands
 * off and completes through the ring.  The syslet wakes the other thread
 * once async_exec() returned, as an application would (submit, then go on).
 */
static int blk_pipe[2], kick, stop_filler, blk_failed;
static uint64_t blk_fd_arg, blk_buf_arg, blk_len_arg = 1;
static char blk_buf;
static struct syslet_uatom blk_atom;

static void *filler(void *arg)
{
	int seen = 0;

	for (;;) {
		while (__atomic_load_n(&kick, __ATOMIC_ACQUIRE) == seen)
			futex_wait(&kick, seen);
		seen = __atomic_load_n(&kick, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&stop_filler, __ATOMIC_ACQUIRE))
			return arg;
		if (write(blk_pipe[1], "x", 1) != 1)
			return arg;
	}
}

static void kick_filler(void)
{
	__atomic_add_fetch(&kick, 1, __ATOMIC_RELEASE);
	futex_wake(&kick);
}

static void blocked_reads(void)
{
	int i;

	for (i = 0; i < CALLS / 10; i++) {
		kick_filler();
		if (read(blk_pipe[0], &blk_buf, 1) != 1)
			blk_failed = 1;
	}
}

/* Round trips that did not hand off are counted, as above. */
/*
 * A read meant to hand off blocks in place when no pool thread is idle or
 * the handoff is refused (a tracer, per-thread perf events...), and then
 * nothing would fill its pipe: SIGALRM's handler fills it, the read runs
 * in place and counts as a miss.  Armed outside the timed section.
 */
static int rescue_fd = -1, rescue_len;

static void rescue(int sig)
{
	static const char zeros[64];

	if (rescue_fd >= 0 && write(rescue_fd, zeros, rescue_len) < 0)
		rescue_fd = -1;
}

static void arm_rescue(int pipe_fd, int len, unsigned int seconds)
{
	struct sigaction sa = { .sa_handler = rescue, .sa_flags = SA_RESTART };

	sigaction(SIGALRM, &sa, NULL);
	rescue_fd = pipe_fd;
	rescue_len = len;
	alarm(seconds);
}

static void disarm_rescue(void)
{
	alarm(0);
	rescue_fd = -1;
}

static void blocked_syslet_reads(void)
{
	uint64_t t;
	long r;
	int i;

	for (i = 0; i < CALLS / 10; i++) {
		sched_yield();
		arm_rescue(blk_pipe[1], 1, 2);
		t = now_ns();
		r = sys_async_exec(&blk_atom);
		if (r != 0) {
			disarm_rescue();
			blk_misses++;
			continue;
		}
		kick_filler();
		if (sys_async_wait(1) < 1 || ring_pop() != (uintptr_t)&blk_atom) {
			blk_misses++;
		} else {
			blk_ns += now_ns() - t;
			blk_handoffs++;
		}
		disarm_rescue();
	}
}

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
	init_atom(&blk_atom, __NR_read, 0, NULL, NULL, 3,
		  &blk_fd_arg, &blk_buf_arg, &blk_len_arg);
	for (int r = 0; r < ROUNDS; r++)
		blocked_syslet_reads();
	blocked_handoff = blk_handoffs ? (double)blk_ns / blk_handoffs : 0;
	sys_async_register(NULL, 0);
	return NULL;
}

/*
 * Memory and threads per syslet in flight: INFLIGHT reads of an empty
 * pipe, each of which blocks and hands off, with a pool of INFLIGHT
 * threads created at registration.  Beside them, the same number of
 * threads blocked in read(), and io_uring with as many reads of a pipe
 * in flight (armed on the pipe's wait queue: no thread).
 */
#define INFLIGHT	64

struct usage {
	long threads, free_kb, stack_kb, slab_kb;
};

static long field_kb(const char *file, const char *name)
{
	char line[128];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = atol(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

static void usage_now(struct usage *u)
{
	u->threads = field_kb("/proc/self/status", "Threads");
	u->free_kb = field_kb("/proc/meminfo", "MemFree");
	u->stack_kb = field_kb("/proc/meminfo", "KernelStack");
	u->slab_kb = field_kb("/proc/meminfo", "SUnreclaim");
}

static void print_usage(const char *what, const struct usage *a,
			const struct usage *b)
{
	printf("%s: %+.2f threads, %.1f KiB (kernel stack %.1f, slab %.1f) each\n",
	       what, (double)(b->threads - a->threads) / INFLIGHT,
	       (double)(a->free_kb - b->free_kb) / INFLIGHT,
	       (double)(b->stack_kb - a->stack_kb) / INFLIGHT,
	       (double)(b->slab_kb - a->slab_kb) / INFLIGHT);
}

static int infl_pipe[2];
static uint64_t infl_ring[2 * INFLIGHT];
static uint64_t infl_fd_arg, infl_buf_arg[INFLIGHT], infl_len_arg = 1;
static char infl_buf[INFLIGHT];
static struct syslet_uatom infl_atoms[INFLIGHT];
static struct usage infl_usage[3];
static int infl_failed;

static void *inflight_main(void *arg)
{
	struct async_head_user head = {
		.completion_ring = (uintptr_t)infl_ring,
		.ring_size_bytes = sizeof(infl_ring),
		.max_nr_threads = INFLIGHT,
	};
	unsigned int slot = 0;
	int i, done = 0;

	usage_now(&infl_usage[0]);
	if (sys_async_register(&head, sizeof(head))) {
		infl_failed = errno;
		return arg;
	}
	/*
	 * Let the pool threads reach the pool: a read that finds no idle
	 * one blocks in place, and nothing would fill the pipe.
	 */
	usleep(100000);
	usage_now(&infl_usage[1]);
	infl_fd_arg = infl_pipe[0];
	arm_rescue(infl_pipe[1], INFLIGHT, 10);
	for (i = 0; i < INFLIGHT; i++) {
		infl_buf_arg[i] = (uintptr_t)&infl_buf[i];
		init_atom(&infl_atoms[i], __NR_read, 0, NULL, NULL, 3,
			  &infl_fd_arg, &infl_buf_arg[i], &infl_len_arg);
		if (sys_async_exec(&infl_atoms[i]) != 0)
			infl_failed = EAGAIN;	/* ran in place */
	}
	usage_now(&infl_usage[2]);
	disarm_rescue();
	if (!infl_failed && write(infl_pipe[1], infl_buf, INFLIGHT) != INFLIGHT)
		infl_failed = EIO;
	while (!infl_failed && done < INFLIGHT) {
		long w = infl_ring[slot] ? 1 : sys_async_wait(1);

		if (w < 0 || (w == 0 && !infl_ring[slot])) {
			infl_failed = w < 0 ? errno : ENODATA;
			break;
		}
		while (infl_ring[slot] && done < INFLIGHT) {
			infl_ring[slot] = 0;
			slot = (slot + 1) % (2 * INFLIGHT);
			done++;
		}
	}
	sys_async_register(NULL, 0);
	return arg;
}

static int parked;

static void *blocked_reader(void *arg)
{
	char c;

	__atomic_add_fetch(&parked, 1, __ATOMIC_RELEASE);
	if (read(infl_pipe[0], &c, 1) != 1)
		infl_failed = EIO;
	return arg;
}

static void measure_inflight(void)
{
	struct usage t0, t1, u0, u1;
	struct bench_uring u;
	pthread_t t, readers[INFLIGHT];
	char bytes[INFLIGHT] = { 0 };
	long threads = field_kb("/proc/self/status", "Threads");
	int i, n = 0;

	if (pipe(infl_pipe))
		return;
	if (pthread_create(&t, NULL, inflight_main, NULL) == 0)
		pthread_join(t, NULL);
	/* The pool threads exit after the unregistration: let them go. */
	for (i = 0; i < 10000 && field_kb("/proc/self/status", "Threads") > threads; i++)
		usleep(1000);
	usleep(100000);
	if (infl_failed) {
		printf("%d syslets in flight: failed (%s)\n", INFLIGHT,
		       strerror(infl_failed));
		return;
	}
	print_usage("a pool thread (at registration)", &infl_usage[0], &infl_usage[1]);
	print_usage("a syslet in flight, beyond its pool thread",
		    &infl_usage[1], &infl_usage[2]);

	usage_now(&t0);
	for (i = 0; i < INFLIGHT; i++)
		if (pthread_create(&readers[n], NULL, blocked_reader, NULL) == 0)
			n++;
	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) < n)
		sched_yield();
	usleep(10000);	/* let the last ones block in read() */
	usage_now(&t1);
	if (write(infl_pipe[1], bytes, n) != n)
		return;
	for (i = 0; i < n; i++)
		pthread_join(readers[i], NULL);
	if (n == INFLIGHT)
		print_usage("a thread blocked in read()", &t0, &t1);

	if (uring_setup(&u, INFLIGHT))
		return;
	usage_now(&u0);
	for (i = 0; i < INFLIGHT; i++)
		uring_prep_read(&u, infl_pipe[0], &bytes[i], 1, -1, 0);
	if (syscall(__NR_io_uring_enter, u.fd, INFLIGHT, 0, 0, NULL, 0) != INFLIGHT)
		return;
	usage_now(&u1);
	if (write(infl_pipe[1], bytes, INFLIGHT) != INFLIGHT ||
	    syscall(__NR_io_uring_enter, u.fd, 0, INFLIGHT, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0)
		return;
	print_usage("an io_uring read of a pipe in flight", &u0, &u1);
	close(u.fd);
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
	double direct, chained, single, umem;
	double ndirect[6], nchained[6], futex_rt;
	struct reads tmpfs = { 0 }, loopdev = { 0 };
	double uasync = 0;
	pthread_t t, t2;
	int i, lfd;

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
	uring_ok = uring_setup(&uring, 2 * READS) == 0;
	measure_reads(&tmpfs);
	for (i = 0; i < 6; i++) {
		chain_len = lens[i];
		ndirect[i] = best(direct_getppid_n) / CHAIN_EXECS;
		nchained[i] = best(chained_getppid_n) / CHAIN_EXECS;
	}
	if (uring_ok)
		uasync = best(uring_async_reads) / (CALLS / 10);
	lfd = open_loop(fd);
	if (lfd >= 0) {
		int tmp = fd;

		fd = lfd;
		measure_reads(&loopdev);
		fd = tmp;
		fd_arg = fd;
		ioctl(lfd, LOOP_CLR_FD);
		close(lfd);
	}
	if (pthread_create(&t, NULL, ponger, NULL))
		return 1;
	futex_rt = best(futex_round_trips) / (CALLS / 10);
	__atomic_store_n(&stop_ponger, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&ping, 1, __ATOMIC_RELEASE);
	futex_wake(&ping);
	pthread_join(t, NULL);
	if (pipe(blk_pipe) || pthread_create(&t, NULL, filler, NULL))
		return 1;
	blk_fd_arg = blk_pipe[0];
	blk_buf_arg = (uintptr_t)&blk_buf;
	blocked_direct = best(blocked_reads) / (CALLS / 10);
	if (pthread_create(&t2, NULL, registered_main, NULL) == 0)
		pthread_join(t2, NULL);
	__atomic_store_n(&stop_filler, 1, __ATOMIC_RELEASE);
	kick_filler();
	pthread_join(t, NULL);

	printf("getppid() from user space:            %8.0f ns per call\n", direct);
	printf("getppid() atom in a chain of %d:    %8.0f ns per atom (%.2fx)\n",
	       CALLS, chained, chained / direct);
	printf("async_exec() of one getppid() atom:   %8.0f ns per call (%.2fx)\n",
	       single, single / direct);
	printf("umem_add() from user space:           %8.0f ns per call\n", umem);
	print_reads("tmpfs", &tmpfs);
	if (loopdev.pdirect)
		print_reads("loop device", &loopdev);
	else
		printf("loop device: not available\n");
	for (i = 0; i < 6; i++) {
		printf("chain of %2d getppid() atoms with ret_ptr: %8.0f ns per atom",
		       lens[i], nchained[i] / lens[i]);
		printf(", vs %2d calls %8.0f (%.2fx)\n", lens[i], ndirect[i],
		       nchained[i] / ndirect[i]);
	}
	if (!uring_ok || uring_failed)
		printf("io_uring: not available (%s)\n",
		       uring_failed ? "a read failed" : "io_uring_setup failed");
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
	if (!blk_failed)
		printf("pipe read woken by another thread, round trip: %8.0f ns\n",
		       blocked_direct);
	if (blocked_handoff)
		printf("the same read as a syslet that hands off: %8.0f ns (%.2fx)\n",
		       blocked_handoff, blocked_handoff / blocked_direct);
	if (blk_misses)
		printf("(mean of %d handoffs; %d ran in place and are not counted)\n",
		       blk_handoffs, blk_misses);
	/* Last: whatever happens there, the numbers above are out. */
	fflush(stdout);
	measure_inflight();
	close(fd);
	return 0;
}
