/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the asynchronous syslet tests: test bodies that run in a
 * second thread (away from the harness's main thread), ring
 * registration, pool thread counting, and a pipe read atom that blocks.
 */
#ifndef __SYSLET_ASYNC_UTIL_H
#define __SYSLET_ASYNC_UTIL_H

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "syslet_util.h"

#define RING_SLOTS 8

/* A failed check ends the thread running a test body (see in_thread()). */
static inline void check_failed(const char *file, const char *cond, int line)
{
	fprintf(stderr, "%s:%d: check failed: %s (errno %d)\n",
		file, line, cond, errno);
	pthread_exit((void *)(long)line);
}

#define CHECK(cond) ((cond) ? (void)0 : check_failed(__FILE__, #cond, __LINE__))

struct thread_call {
	int (*fn)(void *arg);
	void *arg;
};

static inline void *thread_main(void *p)
{
	struct thread_call *call = p;

	return (void *)(long)call->fn(call->arg);
}

/*
 * Runs @fn in a new thread of this process; returns what it returned, or
 * the line of its first failed CHECK().
 */
static inline int in_thread(int (*fn)(void *arg), void *arg)
{
	struct thread_call call = { .fn = fn, .arg = arg };
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, thread_main, &call))
		return -1;
	pthread_join(t, &ret);
	return (int)(long)ret;
}

/* Registers the @slots slots at @r as they are. */
static inline long register_at(uint64_t *r, size_t slots, uint64_t threads)
{
	struct async_head_user head = {
		.completion_ring = (uintptr_t)r,
		.ring_size_bytes = slots * 8,
		.max_nr_threads = threads,
	};

	return sys_async_register(&head, sizeof(head));
}

/* Clears the @slots slots at @r and registers them. */
static inline long register_ring(uint64_t *r, size_t slots, uint64_t threads)
{
	memset(r, 0, slots * 8);
	return register_at(r, slots, threads);
}

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A thread that writes one byte "x" to @fd after @ms milliseconds. */
struct delayed_write {
	int fd;
	int ms;
};

static inline void *delayed_write_main(void *p)
{
	struct delayed_write *dw = p;

	sleep_ms(dw->ms);
	if (write(dw->fd, "x", 1) != 1)
		abort();
	return NULL;
}

/* Reaps @pid within @timeout_ms; false on a timeout. */
static inline bool reap_within(pid_t pid, int *status, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		if (now_ms() >= end)
			return false;
		sleep_ms(10);
	}
}

/* Threads of this process whose name is "syslet" (idle pool threads). */
static inline int count_pool_threads(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc/self/task");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "syslet\n"))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Waits up to two seconds for count_pool_threads() to become @n. */
static inline int wait_pool_threads(int n)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (count_pool_threads() == n)
			return n;
		sleep_ms(10);
	}
	return count_pool_threads();
}

/* A pipe read atom that blocks until someone writes. */
struct read_atom {
	struct syslet_uatom atom;
	uint64_t fd, buf, len;
	int64_t ret;
	char data[8];
};

static inline void init_read_atom(struct read_atom *r, int fd, unsigned int flags,
				  struct syslet_uatom *next)
{
	r->fd = fd;
	r->buf = (uintptr_t)r->data;
	r->len = 1;
	r->ret = -1;
	init_atom(&r->atom, __NR_read, flags, &r->ret, next, 3, &r->fd,
		  &r->buf, &r->len);
}

#endif /* __SYSLET_ASYNC_UTIL_H */
