// SPDX-License-Identifier: GPL-2.0
/*
 * Syslet stress test.  Starts rounds until the time is up, each in a child
 * process, and picks from the round's seed which kind of round it is.
 *
 * In a threaded round, worker threads (never the main thread) register
 * rings of 1, 2, 8 or 64 slots with 1 to 4 pool threads and run batches
 * of random chains from a seeded PRNG: pipe reads fed by a writer thread
 * after short random delays, nanosleep()s, umem_add() counters (some
 * shared by all workers), getpid() branches (stop flag and
 * SKIP_TO_NEXT_ON_STOP), loops bounded by a counter going down to 0, and
 * random ASYNC, SYNC and NO_COMPLETE flags.  Meanwhile the writers send
 * their workers SIGUSR1 (the SA_RESTART handler checks its TID), workers
 * fork and replace or drop their registration between batches or with a
 * syslet in flight, and the parent stops and continues the child and kills
 * one round in three with SIGKILL while syslets are in flight.
 *
 * A single-threaded round (about one in two) does the same with a single
 * worker: the child's main thread, the thread-group leader, which hands
 * off by giving the leadership to the pool thread that takes its place,
 * while the process has no other user thread.  Its writer is a process
 * forked before the first registration: it shares the pipes' state (with a
 * process-shared mutex and condvar) and the SIGUSR1 count through
 * MAP_SHARED memory, dies with the child (PR_SET_PDEATHSIG) and is told
 * to quit and reaped by the worker once it unregistered.  There, after
 * each handoff, getpid() must still equal gettid(), and so in the SIGUSR1
 * handler.
 *
 * An interrupted read (-EINTR) skips to an atom that counts the retry and
 * jumps back; a synchronous chain that a signal ends at an atom boundary
 * is resumed where it would have gone on.  So every chain runs exactly its
 * planned path, and after each batch the worker checks that each counter
 * equals the runs of its atom, that all bytes written were read, that a
 * chain that stayed synchronous posted nothing, and that one that went
 * async posted only its own atoms, none more often than it ran, no
 * NO_COMPLETE atom but its end, and its end exactly once and last.  A
 * normal round then unregisters and waits (5 s at most) until only the
 * main thread is left.  The parent checks that each child exits with 0,
 * or dies of its SIGKILL, in time.
 *
 * Usage: syslet_stress [-s SEED] [-t SECONDS] [-w WORKERS]
 *   -s SEED     PRNG seed (default: from the clock), always printed
 *   -t SECONDS  start rounds for that long (default 20, or
 *               $SYSLET_STRESS_SECONDS)
 *   -w WORKERS  worker threads per threaded round, 1 to 16 (default 4)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "../kselftest.h"
#include "syslet_util.h"

#define MAX_ATOMS	48
#define MAX_CHAINS	3
#define RING_MAX	64
#define NO_ATOM		(-1)
#define MAX_WORKERS	16

enum kind {
	K_COUNT,	/* umem_add(own counter, 1) */
	K_SHARED,	/* umem_add(counter of all workers, 1) */
	K_SLEEP,	/* nanosleep(): 0 or -EINTR, never stops */
	K_READ,		/* read(pipe, 1 byte): -EINTR stops, skips to K_RETRY */
	K_RETRY,	/* umem_add(own counter, 1), next: the K_READ */
	K_CONSUME,	/* umem_add(bytes read, the K_READ's result) */
	K_BRANCH,	/* getpid(), a stop flag and SKIP_TO_NEXT_ON_STOP */
	K_SIDE,		/* umem_add(own counter, 1): one way of a K_BRANCH */
	K_LOOP,		/* umem_add(own counter, -1): loop head, leaves at 0 */
	K_EXIT,		/* umem_add(own counter, 1): where a loop leaves to */
	K_END,		/* umem_add(own counter, 1): the end of the chain */
	K_TRAP,		/* next of a K_END that stops: must never run */
};

struct chain {
	struct syslet_uatom a[MAX_ATOMS];
	int64_t ret[MAX_ATOMS];		/* every atom's result */
	uint64_t cnt[MAX_ATOMS];	/* counters of umem_add() atoms */
	uint64_t cptr[MAX_ATOMS];	/* &cnt[i], as an argument */
	uint32_t runs[MAX_ATOMS];	/* planned, retries not included */
	uint32_t posts[MAX_ATOMS];	/* ring entries seen */
	uint8_t kind[MAX_ATOMS], retry[MAX_ATOMS];	/* K_READ: its K_RETRY */
	int n, end, pend[4], npend;	/* pend: atoms leaving the block */
	uint64_t bytes, nbytes;		/* read by the atoms, to write */
	uint64_t fd, bufp, len, one, minus_one, tsp, sharedp, bytesp;
	struct timespec ts;
	char buf[8];
	bool async, ended;
	unsigned int resumes;
	int pipe[2];
};

/*
 * The writer's jobs, shared with its worker: in MAP_SHARED memory, for a
 * writer process (single-threaded rounds) as for a writer thread.
 */
struct feed {
	pthread_mutex_t mu;		/* wfd, left, quit */
	pthread_cond_t cv;
	int wfd[MAX_CHAINS];
	unsigned int left[MAX_CHAINS];
	bool quit;
};

struct worker {
	int idx;
	pid_t pid, tid;
	uint64_t rng, wrng, ring[RING_MAX];
	unsigned int slots, head, posts, nch;
	bool registered;
	/* Batches alternate: a late entry cannot match the next batch. */
	struct chain chains[2 * MAX_CHAINS], *chain;
	pthread_t thread, writer;
	pid_t writer_pid;		/* single-threaded rounds: the writer process */
	struct feed *f;
};

/* Shared by the parent and all rounds. */
static struct stats {
	uint64_t chains, async, posts, resumes, eintrs, usr1, forks, regs, stops;
	uint64_t leader_handoffs;	/* async_exec() = 0 in single-threaded rounds */
} *stats;

/* State of one round shared by the child and its writer processes. */
static struct round_shm {
	uint64_t usr1_sent;
	struct feed feeds[MAX_WORKERS];
} *rshm;

/* State of one round (the child). */
static int round_nr, nworkers = 4, g_failed, nmsgs, stop_workers;
static bool single;		/* a single-threaded round */
static uint64_t round_seed, round_end, shared_cnt, shared_exp, usr1_seen, usr1_wrong;
static struct worker *workers;
static __thread pid_t my_tid;

/* True (and the failure recorded) when @cond does not hold. */
#define FAILED(w, cond, fmt, ...) (!(cond) && fail(w, fmt, ##__VA_ARGS__))

static void count(uint64_t *field, uint64_t n)
{
	__atomic_fetch_add(field, n, __ATOMIC_RELAXED);
}

static pid_t sys_gettid(void)
{
	return syscall(SYS_gettid);
}

static unsigned int rn(uint64_t *s, unsigned int n)	/* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

/* For messages about the round. */
static const char *round_kind(void)
{
	return single ? " (single-threaded)" : "";
}

/*
 * Reports a failure of the round (of worker w, if not NULL) with a single
 * unbuffered write(); returns -1.
 */
static __printf(2, 3) int fail(struct worker *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	__atomic_store_n(&g_failed, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&nmsgs, 1, __ATOMIC_RELAXED) >= 20)
		return -1;
	n = snprintf(buf, 100, "# round %d%s: ", round_nr, round_kind());
	if (w)
		n += snprintf(buf + n, 100, "worker %d: ", w->idx);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n = n < (int)sizeof(buf) - 1 ? n : (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) != n)
		nmsgs++;
	return -1;
}

static bool failed(void)
{
	return __atomic_load_n(&g_failed, __ATOMIC_RELAXED);
}

static void on_usr1(int sig)
{
	int err = errno;

	count(&usr1_seen, 1);
	/* In a single-threaded round, the worker is the leader: TID == PID. */
	if (my_tid && (sys_gettid() != my_tid || (single && getpid() != my_tid)))
		count(&usr1_wrong, 1);
	errno = err;
}

static void on_alarm(int sig)
{
	static const char msg[] = "# watchdog: the round hangs\n";

	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

/*
 * Chains are made of blocks laid out one after the other; the atoms that
 * leave a block (c->pend) get the next block's first atom as next.
 */
static int add_atom(struct chain *c, int kind, unsigned int nr, unsigned int flags,
		    unsigned int runs, void *a0, void *a1, void *a2)
{
	int i = c->n++;

	init_atom(&c->a[i], nr, flags, &c->ret[i], NULL, 0);
	c->a[i].arg_ptr[0] = (uintptr_t)a0;
	c->a[i].arg_ptr[1] = a0 ? (uintptr_t)a1 : 0;
	c->a[i].arg_ptr[2] = a0 && a1 ? (uintptr_t)a2 : 0;
	c->kind[i] = kind;
	c->runs[i] = runs;
	return i;
}

/* umem_add(&c->cnt[i], *inc) */
static int add_count(struct chain *c, int kind, unsigned int flags, unsigned int runs,
		     uint64_t *inc)
{
	return add_atom(c, kind, __NR_umem_add, flags, runs, &c->cptr[c->n], inc, NULL);
}

static void link_to(struct chain *c, int target)
{
	while (c->npend)
		c->a[c->pend[--c->npend]].next = (uintptr_t)&c->a[target];
}

static unsigned int rand_flags(uint64_t *s)
{
	unsigned int f = rn(s, 4) ? 0 : SYSLET_NO_COMPLETE;

	/* Only the first atom of an async_exec() call is read for these. */
	if (!rn(s, 16))
		f |= rn(s, 2) ? SYSLET_ASYNC : SYSLET_SYNC;
	return f;
}

/* A block that runs @mult times; 8 atoms at most. */
static void gen_block(struct chain *c, uint64_t *s, unsigned int mult, bool in_loop)
{
	static const unsigned int no_stop[] = {
		SYSLET_STOP_ON_ZERO, SYSLET_STOP_ON_NEGATIVE, SYSLET_STOP_ON_NON_POSITIVE,
	};
	unsigned int f, n, take, skip = SYSLET_SKIP_TO_NEXT_ON_STOP;
	int i, j, k;

	link_to(c, c->n);
	switch (rn(s, in_loop ? 4 : 5)) {
	case 0:
		f = rand_flags(s) | (rn(s, 4) ? 0 : SYSLET_STOP_ON_NEGATIVE);
		if (rn(s, 3))
			i = add_count(c, K_COUNT, f, mult, &c->one);
		else
			i = add_atom(c, K_SHARED, __NR_umem_add, f, mult, &c->sharedp,
				     &c->one, NULL);
		c->pend[c->npend++] = i;
		break;
	case 1:
		i = add_atom(c, K_SLEEP, __NR_nanosleep, rand_flags(s), mult, &c->tsp,
			     NULL, NULL);
		c->pend[c->npend++] = i;
		break;
	case 2:
		f = rn(s, 2) ? SYSLET_STOP_ON_NEGATIVE : SYSLET_STOP_ON_NON_POSITIVE;
		i = add_atom(c, K_READ, __NR_read, rand_flags(s) | f | skip, mult, &c->fd,
			     &c->bufp, &c->len);
		j = add_count(c, K_RETRY, rand_flags(s), 0, &c->one);
		k = add_atom(c, K_CONSUME, __NR_umem_add, rand_flags(s), mult, &c->bytesp,
			     &c->ret[i], NULL);
		c->a[j].next = (uintptr_t)&c->a[i];
		c->a[i].next = (uintptr_t)&c->a[k];
		c->retry[i] = j;
		c->nbytes += mult;
		c->pend[c->npend++] = k;
		break;
	case 3:
		/* getpid() > 0: only STOP_ON_NONZERO goes to i + 1. */
		take = rn(s, 2);
		f = take ? SYSLET_STOP_ON_NONZERO : no_stop[rn(s, 3)];
		i = add_atom(c, K_BRANCH, __NR_getpid, rand_flags(s) | f | skip, mult,
			     NULL, NULL, NULL);
		j = add_count(c, K_SIDE, rand_flags(s), take ? mult : 0, &c->one);
		k = add_count(c, K_SIDE, rand_flags(s), take ? 0 : mult, &c->one);
		c->a[i].next = (uintptr_t)&c->a[k];
		c->pend[c->npend++] = j;
		c->pend[c->npend++] = k;
		break;
	default:
		/* A counter from n + 1 down to 0: the body runs n times. */
		n = 1 + rn(s, 4);
		f = rn(s, 2) ? SYSLET_STOP_ON_ZERO : SYSLET_STOP_ON_NON_POSITIVE;
		i = add_count(c, K_LOOP, rand_flags(s) | f | skip, n + 1, &c->minus_one);
		c->cnt[i] = n + 1;
		j = add_count(c, K_EXIT, rand_flags(s), 1, &c->one);
		c->pend[c->npend++] = i;
		for (k = 1 + rn(s, 2); k > 0; k--)
			gen_block(c, s, n, true);
		link_to(c, i);
		c->pend[c->npend++] = j;
		break;
	}
}

static void gen_chain(struct chain *c, uint64_t *s)
{
	int fds[2] = { c->pipe[0], c->pipe[1] };
	unsigned int nblocks = 1 + rn(s, 5), r;
	int i;

	memset(c, 0, sizeof(*c));
	memcpy(c->pipe, fds, sizeof(fds));
	c->fd = fds[0];
	c->bufp = (uintptr_t)c->buf;
	c->len = 1;
	c->one = 1;
	c->minus_one = (uint64_t)-1;
	c->ts.tv_nsec = 20000 + rn(s, 500000);
	c->tsp = (uintptr_t)&c->ts;
	c->sharedp = (uintptr_t)&shared_cnt;
	c->bytesp = (uintptr_t)&c->bytes;
	for (i = 0; i < MAX_ATOMS; i++) {
		c->cptr[i] = (uintptr_t)&c->cnt[i];
		c->ret[i] = 0x5a5a5a5a5aLL;
	}
	while (nblocks-- && c->n + 8 + 2 <= MAX_ATOMS)
		gen_block(c, s, 1, false);
	/* The end: next 0, or a stop and a next that must not run. */
	link_to(c, c->n);
	c->end = add_count(c, K_END, rand_flags(s), 1, &c->one);
	if (rn(s, 2)) {
		i = add_count(c, K_TRAP, 0, 0, &c->one);
		c->a[c->end].flags |= SYSLET_STOP_ON_NONZERO;
		c->a[c->end].next = (uintptr_t)&c->a[i];
	}
	c->a[0].flags &= ~(SYSLET_ASYNC | SYSLET_SYNC);
	r = rn(s, 8);
	c->a[0].flags |= r < 2 ? SYSLET_ASYNC : r == 2 ? SYSLET_SYNC : 0;
}

static int atom_idx(struct chain *c, uint64_t addr)
{
	uint64_t base = (uintptr_t)c->a, size = sizeof(c->a[0]);

	if (addr < base || addr >= base + c->n * size || (addr - base) % size)
		return NO_ATOM;
	return (addr - base) / size;
}

/* Where the chain goes after atom i, by its result; NO_ATOM: it ends. */
static int successor(struct chain *c, int i)
{
	unsigned int f = c->a[i].flags;
	int64_t r = c->ret[i];

	if (((f & SYSLET_STOP_ON_NONZERO) && r != 0) || ((f & SYSLET_STOP_ON_ZERO) && r == 0) ||
	    ((f & SYSLET_STOP_ON_NEGATIVE) && r < 0) ||
	    ((f & SYSLET_STOP_ON_NON_POSITIVE) && r <= 0))
		return f & SYSLET_SKIP_TO_NEXT_ON_STOP ? i + 1 : NO_ATOM;
	return c->a[i].next ? atom_idx(c, c->a[i].next) : NO_ATOM;
}

/*
 * Runs chain ci until it went async or ended at its end, resuming it
 * where a signal ended it at an atom boundary.
 */
static int run_chain(struct worker *w, int ci)
{
	struct chain *c = &w->chain[ci];
	int i = 0, j;
	long r;

	for (;;) {
		r = sys_async_exec(&c->a[i]);
		if (FAILED(w, sys_gettid() == w->tid, "TID %d after async_exec()", sys_gettid()))
			return -1;
		if (r == 0) {
			if (FAILED(w, w->registered, "chain %d went async, not registered", ci))
				return -1;
			/* The pool thread that took over must have become the leader. */
			if (single && FAILED(w, getpid() == sys_gettid(),
					     "leader lost its TID after a handoff: pid %d, tid %d",
					     getpid(), sys_gettid()))
				return -1;
			if (single)
				count(&stats->leader_handoffs, 1);
			c->async = true;
			return 0;
		}
		if (FAILED(w, r > 0, "chain %d: async_exec(atom %d): %s", ci, i, strerror(errno)))
			return -1;
		j = atom_idx(c, r);
		if (FAILED(w, j != NO_ATOM, "chain %d: async_exec() returned %#lx", ci, r))
			return -1;
		i = successor(c, j);
		if (i == NO_ATOM) {
			if (FAILED(w, j == c->end,
				   "chain %d ended at atom %d (kind %d, result %lld)", ci, j,
				   c->kind[j], (long long)c->ret[j]))
				return -1;
			c->ended = true;
			return 0;
		}
		if (FAILED(w, ++c->resumes < 100000, "chain %d makes no progress", ci))
			return -1;
	}
}

/* Consumes the ring in order and gives each entry to its chain. */
static int take(struct worker *w)
{
	struct chain *c = NULL;
	unsigned int ci;
	uint64_t v;
	int i = NO_ATOM;

	while ((v = __atomic_load_n(&w->ring[w->head], __ATOMIC_ACQUIRE))) {
		__atomic_store_n(&w->ring[w->head], 0, __ATOMIC_RELEASE);
		w->head = (w->head + 1) % w->slots;
		w->posts++;
		if (FAILED(w, !(v & SYSLET_RING_STATUS_MASK), "ring entry %#llx has status bits",
			   (unsigned long long)v))
			return -1;
		for (ci = 0, i = NO_ATOM; ci < w->nch && i == NO_ATOM; ci++) {
			c = &w->chain[ci];
			i = atom_idx(c, v);
		}
		if (FAILED(w, i != NO_ATOM, "ring entry %#llx: no atom of the batch",
			   (unsigned long long)v))
			return -1;
		if (FAILED(w, c->async, "chain %d, never async, posted atom %d", ci - 1, i))
			return -1;
		if (FAILED(w, !c->ended, "chain %d posted atom %d after its end", ci - 1, i))
			return -1;
		c->posts[i]++;
		c->ended = i == c->end;
	}
	return 0;
}

static bool all_ended(struct worker *w)
{
	unsigned int ci;

	for (ci = 0; ci < w->nch; ci++)
		if (w->chain[ci].async && !w->chain[ci].ended)
			return false;
	return true;
}

/* Waits until every chain that went async posted its end. */
static int wait_batch(struct worker *w, bool dropped)
{
	uint64_t deadline = now_ms() + 20000;
	long n;

	while (!take(w) && !all_ended(w)) {
		if (dropped) {
			/* No registration, no async_wait(): poll. */
			if (FAILED(w, now_ms() < deadline,
				   "unregistered in flight: no end in 20 s"))
				return -1;
			sleep_us(500);
			continue;
		}
		n = sys_async_wait(1);
		if (FAILED(w, n >= 0 || errno == EINTR, "async_wait(1): %s", strerror(errno)))
			return -1;
		if (FAILED(w, n != 0 || (!take(w) && all_ended(w)),
			   "nothing in flight, but a chain's end was not posted"))
			return -1;
	}
	return failed() ? -1 : take(w);
}

static int check_batch(struct worker *w)
{
	uint64_t eintrs = 0, resumes = 0, async = 0, shared = 0, runs;
	unsigned int ci;
	int i, k;

	for (ci = 0; ci < w->nch; ci++) {
		struct chain *c = &w->chain[ci];

		for (i = 0; i < c->n; i++) {
			int64_t ret = c->ret[i];
			bool counted, bad;

			k = c->kind[i];
			runs = c->runs[i];
			if (k == K_READ)
				runs += c->cnt[c->retry[i]];
			if (k == K_RETRY)
				eintrs += runs = c->cnt[i];
			if (k == K_SHARED)
				shared += runs;
			counted = k == K_COUNT || k == K_SIDE || k == K_EXIT || k == K_END ||
				  k == K_TRAP;
			if (FAILED(w, !counted || c->cnt[i] == runs,
				   "chain %d atom %d (kind %d): counter %llu, planned %llu", ci, i,
				   k, (unsigned long long)c->cnt[i], (unsigned long long)runs))
				return -1;
			if (FAILED(w, k != K_LOOP || c->cnt[i] == 0,
				   "chain %d atom %d: loop counter %llu", ci, i,
				   (unsigned long long)c->cnt[i]))
				return -1;
			bad = (k == K_READ && ret != 1) ||
			      (k == K_SLEEP && ret != 0 && ret != -EINTR) ||
			      (k == K_BRANCH && ret != getpid());
			if (FAILED(w, !runs || !bad,
				   "chain %d atom %d (kind %d): result %lld", ci, i, k,
				   (long long)ret))
				return -1;
			if (FAILED(w, c->posts[i] <= runs,
				   "chain %d atom %d (kind %d): posted %u, ran %llu", ci, i, k,
				   c->posts[i], (unsigned long long)runs))
				return -1;
			if (FAILED(w, !c->posts[i] || i == c->end ||
				   !(c->a[i].flags & SYSLET_NO_COMPLETE),
				   "chain %d atom %d: NO_COMPLETE, but posted", ci, i))
				return -1;
		}
		if (FAILED(w, !c->async || c->posts[c->end] == 1, "chain %d: end posted %u times",
			   ci, c->posts[c->end]))
			return -1;
		if (FAILED(w, c->bytes == c->nbytes, "chain %d read %llu bytes of %llu", ci,
			   (unsigned long long)c->bytes, (unsigned long long)c->nbytes))
			return -1;
		if (FAILED(w, !ioctl(c->pipe[0], FIONREAD, &k) && !k, "chain %d: %d bytes left", ci,
			   k))
			return -1;
		async += c->async;
		resumes += c->resumes;
	}
	count(&shared_exp, shared);
	count(&stats->chains, w->nch);
	count(&stats->async, async);
	count(&stats->posts, w->posts);
	count(&stats->resumes, resumes);
	count(&stats->eintrs, eintrs);
	w->posts = 0;
	return 0;
}

/* A fork child starts without a registration. */
static int fork_check(struct worker *w)
{
	int status;
	pid_t pid = fork();

	if (FAILED(w, pid >= 0, "fork: %s", strerror(errno)))
		return -1;
	if (pid == 0)
		_exit(sys_async_wait(0) == -1 && errno == EINVAL ? 0 : 1);
	while (waitpid(pid, &status, 0) < 0)
		if (FAILED(w, errno == EINTR, "waitpid: %s", strerror(errno)))
			return -1;
	if (FAILED(w, !status, "fork child: status %#x (registered?)", status))
		return -1;
	count(&stats->forks, 1);
	return 0;
}

static int do_register(struct worker *w)
{
	static const unsigned int sizes[] = { 1, 2, 8, 64 };
	struct async_head_user head = { .completion_ring = (uintptr_t)w->ring };
	int tries = 0;

	w->slots = sizes[rn(&w->rng, 4)];
	head.ring_size_bytes = w->slots * 8;
	head.max_nr_threads = 1 + rn(&w->rng, 4);
	memset(w->ring, 0, sizeof(w->ring));
	w->head = 0;
	/* Replacing: EBUSY while the last syslet is still leaving. */
	while (sys_async_register(&head, sizeof(head))) {
		if (FAILED(w, errno == EBUSY && ++tries < 1000,
			   "async_register(%u slots, %d threads): %s", w->slots,
			   (int)head.max_nr_threads, strerror(errno)))
			return -1;
		sleep_us(2000);
	}
	w->registered = true;
	count(&stats->regs, 1);
	return 0;
}

static int unregister(struct worker *w)
{
	if (FAILED(w, !sys_async_register(NULL, 0), "async_register(NULL): %s", strerror(errno)))
		return -1;
	w->registered = false;
	return 0;
}

static int batch(struct worker *w)
{
	unsigned int ci, r = rn(&w->rng, 8), runs = 0;
	bool dropped = false;
	int i;

	/* Keep (5/8), drop (1/8) or replace (2/8) the registration. */
	if (r == 0 && w->registered && unregister(w))
		return -1;
	if ((r == 1 || r == 2 || (r > 2 && !w->registered)) && do_register(w))
		return -1;
	if (!rn(&w->rng, 16) && fork_check(w))
		return -1;
	w->nch = 1 + rn(&w->rng, MAX_CHAINS);
	w->chain = w->chain == w->chains ? w->chains + MAX_CHAINS : w->chains;
	pthread_mutex_lock(&w->f->mu);
	for (ci = 0; ci < w->nch; ci++) {
		gen_chain(&w->chain[ci], &w->rng);
		w->f->wfd[ci] = w->chain[ci].pipe[1];
		w->f->left[ci] = w->chain[ci].nbytes;
	}
	pthread_cond_signal(&w->f->cv);
	pthread_mutex_unlock(&w->f->mu);
	for (ci = 0; ci < w->nch; ci++)
		if (run_chain(w, ci))
			return -1;
	if (!rn(&w->rng, 16) && fork_check(w))
		return -1;
	/*
	 * Unregister in flight: the end must still reach the old ring.  Only
	 * if the ring has room for every completion: once unregistered,
	 * nothing would flush completions queued for a full ring.
	 */
	for (i = 0; i < w->chain[0].n; i++)
		runs += w->chain[0].runs[i];
	if (w->registered && w->slots == RING_MAX && w->nch == 1 && w->chain[0].async &&
	    runs <= 40 && !rn(&w->rng, 8)) {
		if (unregister(w))
			return -1;
		dropped = true;
	}
	if ((w->registered || dropped) && wait_batch(w, dropped))
		return -1;
	return check_batch(w);
}

/*
 * Feeds the pipes of a worker's chains byte by byte, after random delays,
 * and sends the worker SIGUSR1 now and then.
 */
static void *writer_main(void *arg)
{
	struct worker *w = arg;
	struct feed *f = w->f;
	int k, n, fd;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		for (k = n = 0; k < MAX_CHAINS; k++)
			n += f->left[k] > 0;
		if (!n && f->quit)
			break;
		if (!n) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		for (n = rn(&w->wrng, n), k = 0; !f->left[k] || n--; k++)
			;
		f->left[k]--;
		fd = f->wfd[k];
		pthread_mutex_unlock(&f->mu);
		if (rn(&w->wrng, 4))
			sleep_us(rn(&w->wrng, 2000));
		/* Interrupt the worker, whatever it does now. */
		if (!rn(&w->wrng, 3) && !syscall(SYS_tgkill, w->pid, w->tid, SIGUSR1))
			count(&rshm->usr1_sent, 1);
		while (write(fd, "x", 1) != 1 && errno == EINTR)
			;
		pthread_mutex_lock(&f->mu);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/*
 * Starts the writer: a thread, or in a single-threaded round a process,
 * forked before the worker registers (so it has no registration, and it
 * makes none), which inherits the pipes and shares the feed and the
 * SIGUSR1 count through MAP_SHARED memory.  It dies with the worker's
 * process, as a child of the thread with the leader's TID (which follows
 * the handoffs), and only the worker reaps it (stop_writer()): fork_check()
 * waits for its own child by its PID.
 */
static int start_writer(struct worker *w)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pid_t pid;
	int err;

	if (!single) {
		pthread_mutex_init(&w->f->mu, NULL);
		pthread_cond_init(&w->f->cv, NULL);
		if (pthread_create(&w->writer, NULL, writer_main, w))
			return fail(w, "cannot create a thread");
		return 0;
	}
	pthread_mutexattr_init(&ma);
	pthread_condattr_init(&ca);
	err = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) ||
	      pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED) ||
	      pthread_mutex_init(&w->f->mu, &ma) || pthread_cond_init(&w->f->cv, &ca);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_destroy(&ca);
	if (err)
		return fail(w, "cannot set up a process-shared mutex and condvar");
	pid = fork();
	if (FAILED(w, pid >= 0, "fork (writer): %s", strerror(errno)))
		return -1;
	if (pid == 0) {
		/* Not if the worker's process is gone already. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != w->pid)
			_exit(1);
		writer_main(w);
		_exit(0);
	}
	w->writer_pid = pid;
	return 0;
}

/* Tells the writer to quit once it wrote what is left, and reaps it. */
static void stop_writer(struct worker *w)
{
	int status;
	pid_t pid;

	pthread_mutex_lock(&w->f->mu);
	w->f->quit = true;
	pthread_cond_signal(&w->f->cv);
	pthread_mutex_unlock(&w->f->mu);
	if (!single) {
		pthread_join(w->writer, NULL);
		return;
	}
	while ((pid = waitpid(w->writer_pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (pid != w->writer_pid)
		fail(w, "waitpid(writer process %d): %s", w->writer_pid, strerror(errno));
	else if (WIFSIGNALED(status))
		fail(w, "writer process died of signal %d (parent-death signal?)",
		     WTERMSIG(status));
	else if (status)
		fail(w, "writer process: exit status %d", WEXITSTATUS(status));
}

/*
 * After unregistering, async_wait() serves the old ring until the last
 * syslet of it is done, which can be just after its end was posted:
 * wait up to 2 s for it to fail with EINVAL.
 */
static bool wait_unregistered(void)
{
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (sys_async_wait(0) == -1 && errno == EINVAL)
			return true;
		sleep_us(2000);
	}
	return false;
}

/* Whether the worker should stop: in a single-threaded round, it decides. */
static bool round_over(void)
{
	return __atomic_load_n(&stop_workers, __ATOMIC_RELAXED) ||
	       (single && now_ms() >= round_end);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int ci;

	my_tid = sys_gettid();
	w->pid = getpid();
	w->tid = my_tid;
	if (single && FAILED(w, w->tid == w->pid, "main thread: TID %d, PID %d", w->tid, w->pid))
		return NULL;
	for (ci = 0; ci < 2 * MAX_CHAINS; ci++)
		if (pipe(w->chains[ci].pipe)) {
			fail(w, "pipe: %s", strerror(errno));
			return NULL;
		}
	if (start_writer(w))
		return NULL;
	while (!round_over() && !failed() && !batch(w))
		;
	if (!failed() && w->registered && !unregister(w) && !wait_unregistered())
		fail(w, "async_wait() works after unregistering");
	stop_writer(w);
	for (ci = 0; ci < 2 * MAX_CHAINS; ci++) {
		close(w->chains[ci].pipe[0]);
		close(w->chains[ci].pipe[1]);
	}
	return NULL;
}

/* Threads of this process; *pool: how many are named "syslet". */
static int count_tasks(int *pool)
{
	char path[300], comm[32];
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	FILE *f;

	for (*pool = 0; d && (de = readdir(d)); n++) {
		if (de->d_name[0] == '.') {
			n--;
			continue;
		}
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "syslet\n"))
			(*pool)++;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return d ? n : -1;
}

/* The child of a round; returns its exit status. */
static int run_round(unsigned int ms)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	int i, n = 0, pool = 0, nw = single ? 1 : nworkers;
	uint64_t end;

	round_end = now_ms() + ms;
	signal(SIGALRM, on_alarm);
	alarm(ms / 1000 + 25);
	workers = calloc(nw, sizeof(*workers));
	rshm = mmap(NULL, sizeof(*rshm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	if (sigaction(SIGUSR1, &sa, NULL) || !workers || rshm == MAP_FAILED)
		return -fail(NULL, "cannot set up: %s", strerror(errno));
	for (i = 0; i < nw; i++) {
		workers[i].idx = i;
		workers[i].rng = round_seed + 0x1000 * (i + 1);
		workers[i].wrng = round_seed + 0x1000 * (i + 1) + 0x777;
		workers[i].f = &rshm->feeds[i];
	}
	if (single) {
		/*
		 * The only worker is the main thread, the thread-group leader:
		 * no other user thread, the writer is a process.
		 */
		worker_main(&workers[0]);
	} else {
		for (i = 0; i < nw; i++)
			if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
				return -fail(NULL, "cannot create worker %d", i);
		while (now_ms() < round_end && !failed())
			sleep_us(5000);
		__atomic_store_n(&stop_workers, 1, __ATOMIC_RELAXED);
		for (i = 0; i < nw; i++)
			pthread_join(workers[i].thread, NULL);
	}
	/* Every writer is gone: threads joined, the writer process reaped. */
	count(&stats->usr1, rshm->usr1_sent);
	if (failed())
		return 1;
	if (usr1_wrong || usr1_seen > rshm->usr1_sent)
		fail(NULL, "SIGUSR1 sent %llu times, handled %llu times, %llu with another TID",
		     (unsigned long long)rshm->usr1_sent, (unsigned long long)usr1_seen,
		     (unsigned long long)usr1_wrong);
	if (shared_cnt != shared_exp)
		fail(NULL, "shared counter %llu, planned %llu", (unsigned long long)shared_cnt,
		     (unsigned long long)shared_exp);
	/* Pool threads exit once their registration is gone and they idle. */
	for (end = now_ms() + 5000; now_ms() < end; sleep_us(10000)) {
		n = count_tasks(&pool);
		if (n == 1)
			break;
	}
	if (n != 1)
		fail(NULL, "%d threads left after unregistering (%d named syslet)", n, pool);
	return failed();
}

/*
 * Stops and continues the child now and then, kills it kill_at ms after
 * the start if kill_at != 0, and reaps it.  Returns 0 if it ended as
 * planned, -1 if not.
 */
static int supervise(pid_t pid, unsigned int ms, unsigned int kill_at, uint64_t *s,
		     bool *killed)
{
	uint64_t t0 = now_ms(), t = t0, stop_at = t0 + 20 + rn(s, 100), killed_at = 0;
	bool hung = false;
	int status;

	*killed = false;
	while (waitpid(pid, &status, WNOHANG) != pid) {
		t = now_ms();
		if (kill_at && !killed_at && t >= t0 + kill_at) {
			kill(pid, SIGKILL);
			killed_at = t;
		}
		if (!killed_at && t < t0 + ms && t >= stop_at) {
			kill(pid, SIGSTOP);
			sleep_us(rn(s, 5000));
			kill(pid, SIGCONT);
			count(&stats->stops, 1);
			stop_at = t + 20 + rn(s, 100);
		}
		if (!killed_at && t > t0 + ms + 30000) {
			ksft_print_msg("round %d%s: child hangs, killing it\n", round_nr,
				       round_kind());
			kill(pid, SIGKILL);
			killed_at = t;
			hung = true;
		}
		if (killed_at && t > killed_at + 10000) {
			ksft_print_msg("round %d%s: child not reaped 10 s after SIGKILL\n",
				       round_nr, round_kind());
			return -1;
		}
		sleep_us(2000);
	}
	*killed = killed_at && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	/* Exit status 0: a normal round, or one that ended before the kill. */
	if (!hung && (*killed || status == 0))
		return 0;
	if (WIFEXITED(status))
		ksft_print_msg("round %d%s: child exit status %d (%s)\n", round_nr,
			       round_kind(), WEXITSTATUS(status),
			       WEXITSTATUS(status) == 2 ? "watchdog" : "check failed");
	else
		ksft_print_msg("round %d%s: child died of signal %d\n", round_nr, round_kind(),
			       WTERMSIG(status));
	return -1;
}

int main(int argc, char **argv)
{
	uint64_t seed, rng, deadline, s, t = 0;
	int opt, secs = 20, nkilled = 0, nsingle = 0, ret = 0;
	unsigned int ms, kill_at;
	struct timespec ts;
	bool killed;
	pid_t pid;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* A longer default for runs that cannot pass arguments (a test guest). */
	if (getenv("SYSLET_STRESS_SECONDS"))
		secs = atoi(getenv("SYSLET_STRESS_SECONDS"));
	while ((opt = getopt(argc, argv, "s:t:w:")) != -1) {
		if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 't')
			secs = atoi(optarg);
		else if (opt == 'w')
			nworkers = atoi(optarg);
		else
			secs = -1;
	}
	if (optind != argc || secs < 0 || nworkers < 1 || nworkers > MAX_WORKERS) {
		fprintf(stderr, "usage: %s [-s SEED] [-t SECONDS] [-w WORKERS (1-16)]\n", argv[0]);
		return KSFT_FAIL;
	}

	ksft_print_header();
	ksft_print_msg("seed %llu\n", (unsigned long long)seed);
	/* EFAULT on a syslet kernel, EPERM when the sysctl disabled syslets. */
	if (sys_async_exec(NULL) != -1 || errno != EFAULT) {
		int err = errno;

		if (err == no_syscall_errno())
			ksft_exit_skip("syslets not supported (async_exec: ENOSYS)\n");
		errno = err;
		if (errno == EPERM)
			ksft_exit_skip("syslets disabled (kernel.syslet_disabled)\n");
		ksft_exit_fail_msg("async_exec(NULL): %s\n", strerror(errno));
	}
	ksft_set_plan(1);
	stats = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stats == MAP_FAILED)
		ksft_exit_fail_perror("mmap");

	rng = seed;
	deadline = now_ms() + secs * 1000ULL;
	for (round_nr = 0; !ret && (round_nr == 0 || (t = now_ms()) < deadline); round_nr++) {
		ms = 300 + rn(&rng, 1200);
		if (round_nr && t + ms > deadline)
			ms = deadline - t < 100 ? 100 : deadline - t;
		kill_at = rn(&rng, 3) ? 0 : ms / 10 + rn(&rng, ms * 8 / 10);
		round_seed = seed ^ (round_nr * 0x9e3779b97f4a7c15ULL);
		/* From the round's seed: rng goes on as without this choice. */
		s = round_seed;
		single = !rn(&s, 2);
		nsingle += single;
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			ksft_exit_fail_perror("fork");
		if (pid == 0)
			_exit(run_round(ms));
		ret = supervise(pid, ms, kill_at, &rng, &killed);
		nkilled += killed;
	}
	ksft_print_msg("rounds %d (killed %d), chains %llu (async %llu), completions %llu\n",
		       round_nr, nkilled, (unsigned long long)stats->chains,
		       (unsigned long long)stats->async, (unsigned long long)stats->posts);
	ksft_print_msg("resumed %llu, read retries %llu, SIGUSR1 %llu\n",
		       (unsigned long long)stats->resumes, (unsigned long long)stats->eintrs,
		       (unsigned long long)stats->usr1);
	ksft_print_msg("SIGSTOP %llu, forks %llu, registrations %llu\n",
		       (unsigned long long)stats->stops, (unsigned long long)stats->forks,
		       (unsigned long long)stats->regs);
	ksft_print_msg("single-threaded rounds %d, handoffs of the leader %llu\n", nsingle,
		       (unsigned long long)stats->leader_handoffs);
	ksft_test_result(!ret, "syslet stress, seed %llu\n", (unsigned long long)seed);
	ksft_finished();
}
