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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

static uint64_t ring[8];
static unsigned int ring_head;
static struct syslet_uatom async_atom;

/* A syslet handed off before its atom, waited for and consumed. */
static void handed_off_getppid(void)
{
	int i;

	for (i = 0; i < CALLS / 10; i++) {
		sys_async_exec(&async_atom);
		sys_async_wait(1);
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
		.max_nr_threads = 2,
	};

	if (sys_async_register(&head, sizeof(head)))
		return NULL;
	init_atom(&async_atom, __NR_getppid, SYSLET_ASYNC, NULL, NULL, 0);
	registered_chain = best(chained_getppid) / CALLS;
	handoff = best(handed_off_getppid) / (CALLS / 10);
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
	double direct, chained, single, umem, pdirect, pchained;
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

	direct = best(direct_getppid) / CALLS;
	chained = best(chained_getppid) / CALLS;
	single = best(one_atom_per_exec) / CALLS;
	umem = best(direct_umem_add) / CALLS;
	pdirect = best(direct_preads);
	pchained = best(chained_preads);
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
	printf("registered: getppid() atom in a chain: %8.0f ns per atom (%.2fx)\n",
	       registered_chain, registered_chain / direct);
	printf("handoff round trip (SYSLET_ASYNC getppid(), async_wait(1)): %8.0f ns (%.2fx)\n",
	       handoff, handoff / direct);
	close(fd);
	return 0;
}
