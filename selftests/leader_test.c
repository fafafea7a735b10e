// SPDX-License-Identifier: GPL-2.0
/*
 * Syslet handoffs in the thread-group leader: single-threaded programs
 * hand off too.
 *
 * A single-threaded program runs in its thread-group leader, the thread
 * whose TID is the process ID.  When an atom of the leader blocks, a pool
 * thread takes over user space in its place, as for any other thread,
 * and with the TID it takes over the leadership of the process, as
 * de_thread() hands it to a thread that execs: the TGID, process group
 * and session links, the place among the parent's children and in the
 * task list, ->group_leader, the exit signal and the start time.  The old
 * leader finishes the chain in the background as an ordinary thread under
 * the TID the pool thread had, and then joins the pool.
 *
 * From anywhere the process must look the same as before the handoff:
 * the task at /proc/<pid> is the one that runs user code, the parent
 * waits for and hears of <pid>, kill(), tgkill() and pidfds reach the
 * thread in user space, and setsid(), setpgid(), job control, exec,
 * cgroup migration and core dumps work on the process as they did.
 *
 * Every test hands off in a forked child that is single-threaded (but
 * for its pool threads) when it calls async_exec().  A failed check in a child
 * prints its line to stderr and ends the child with status 1.  Nothing
 * hangs: a guard timer interrupts an atom that blocks in place instead of
 * handing off, or a completion that never comes, and the parent kills a
 * child that overruns its deadline.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "async_util.h"

#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
/* waitid()'s P_PIDFD, which older C libraries do not name. */
#define WAIT_P_PIDFD 3

#define POOL_THREADS	2
#define MAX_TIDS	64
#define LEADER_COMM	"leader-main"
#define CORE_COMM	"leadercore"
#define EXEC_CHECK	"--leader-exec-check"
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CORE_PATTERN	"/proc/sys/kernel/core_pattern"

/* How long a child may take, and how long a message may. */
#define CHILD_TIMEOUT_MS	20000
#define MSG_TIMEOUT_MS		10000
/* How long an async_exec() or async_wait() may block the leader. */
#define GUARD_MS		3000

/* The ELF64 headers of a core file, named without typedefs. */
struct elf_ehdr {
	unsigned char e_ident[EI_NIDENT];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

struct elf_nhdr {
	uint32_t n_namesz, n_descsz, n_type;
};

static uint64_t ring[RING_SLOTS];	/* uint64_t: 8-byte aligned */

static pid_t sys_gettid(void)
{
	return syscall(SYS_gettid);
}

static int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return syscall(__NR_pidfd_open, pid, flags);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static int sys_waitid(int which, int id, siginfo_t *info, int options)
{
	return syscall(SYS_waitid, which, id, info, options, NULL);
}

/*
 * Takes pending @sig without waiting (-1 with EAGAIN if it is not), with
 * its siginfo as sent: the C library's sigtimedwait() reports SI_TKILL as
 * SI_USER.
 */
static int take_signal(int sig, siginfo_t *si)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return syscall(SYS_rt_sigtimedwait, &set, si, &zero, _NSIG / 8);
}

/*
 * Why the tests cannot run here, or NULL: async_exec(NULL) fails with
 * EFAULT on a syslet kernel, with EPERM once the sysctl disabled syslets
 * (which never refuses unregistering).
 */
static const char *syslets_missing(void)
{
	int err;

	errno = 0;
	sys_async_exec(NULL);
	err = errno;
	if (err == no_syscall_errno())
		return "syslets not supported (ENOSYS)";
	if (err == EPERM)
		return "syslets disabled by kernel.syslet_disabled";
	return NULL;
}

/* ---- Failed checks in a child ---- */

/* What the child is doing, printed with a failed check ("round 17"). */
static char child_context[64];

static void __noreturn __printf(2, 3) child_fail(int line, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fprintf(stderr, "# %s:%d: pid %d tid %d%s%s: ", __FILE__, line,
		getpid(), sys_gettid(), child_context[0] ? ", " : "",
		child_context);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", err, strerror(err));
	_exit(1);
}

#define REQUIRE(cond) do {						\
	if (!(cond))							\
		child_fail(__LINE__, "check failed: %s", #cond);	\
} while (0)

#define REQUIRE_EQ(expected, seen) do {					\
	long long __exp = (expected), __seen = (seen);			\
	if (__exp != __seen)						\
		child_fail(__LINE__, "check failed: %s == %s (%lld != %lld)", \
			   #expected, #seen, __exp, __seen);		\
} while (0)

#define REQUIRE_STREQ(expected, seen) do {				\
	const char *__exp = (expected), *__seen = (seen);		\
	if (strcmp(__exp, __seen))					\
		child_fail(__LINE__, "check failed: %s == %s (\"%s\" != \"%s\")", \
			   #expected, #seen, __exp, __seen);		\
} while (0)

/* ---- Files ---- */

/* Reads the file at @path into @buf, NUL-terminated: its length or -1. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, len = 0;

	if (fd < 0)
		return -1;
	while (len < (ssize_t)size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0)
		return -1;
	buf[len] = '\0';
	return len;
}

/* Writes @s to the file at @path: 0, or -1 with errno set. */
static int write_text(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	if (n == (ssize_t)strlen(s))
		return 0;
	errno = n < 0 ? err : EIO;
	return -1;
}

/* The name in the comm file at @path, without the newline: 0 or -1. */
static int read_comm(const char *path, char *buf, size_t size)
{
	if (read_text(path, buf, size) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Field @n (counted from 1, at least 3) of the stat file at @path. */
static int stat_field(const char *path, int n, char *out, size_t size)
{
	char buf[1024], *p;
	size_t len;
	int i;

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	/* The name in parentheses may contain anything. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	for (i = 3; i <= n; i++) {
		p += strspn(p, " ");
		len = strcspn(p, "\n ");
		if (!len)
			return -1;
		if (i == n) {
			snprintf(out, size, "%.*s", (int)len, p);
			return 0;
		}
		p += len;
	}
	return -1;
}

/* The state letter of the stat file at @path, or '?'. */
static char stat_state(const char *path)
{
	char s[8];

	return stat_field(path, 3, s, sizeof(s)) ? '?' : s[0];
}

/* A numeric field of the stat file at @path, or LLONG_MIN. */
static long long stat_num(const char *path, int n)
{
	char s[32];

	return stat_field(path, n, s, sizeof(s)) ? LLONG_MIN : strtoll(s, NULL, 10);
}

#define STAT_PGRP	5
#define STAT_SESSION	6
#define STAT_STARTTIME	22

/* The value of the "@key:" line of the status file at @path. */
static int status_field(const char *path, const char *key, char *out, size_t size)
{
	char buf[4096], *p = buf;
	size_t klen = strlen(key);

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			p += strspn(p, " \t");
			snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* A decimal field of a status file, or LLONG_MIN. */
static long long status_num(const char *path, const char *key)
{
	char s[64];

	return status_field(path, key, s, sizeof(s)) ? LLONG_MIN : strtoll(s, NULL, 10);
}

/* A signal mask of a status file (SigPnd, SigBlk...), or 0. */
static unsigned long long status_mask(const char *path, const char *key)
{
	char s[64];

	return status_field(path, key, s, sizeof(s)) ? 0 : strtoull(s, NULL, 16);
}

#define SIGBIT(sig) (1ULL << ((sig) - 1))

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* The TIDs in /proc/@pid/task, sorted: their number, or -1. */
static int list_tids(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == max) {
			n = -1;
			break;
		}
		tids[n++] = atoi(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(tids, n, sizeof(*tids), cmp_pid);
	return n;
}

static bool tid_in(pid_t tid, const pid_t *tids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* The decimal IDs in @buf, one a line (cgroup.procs, cgroup.threads). */
static int parse_ids(const char *buf, pid_t *ids, int max)
{
	const char *p = buf;
	char *end;
	int n = 0;

	for (;;) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (n == max)
			return -1;
		ids[n++] = v;
		p = end;
	}
	if (n > 0)
		qsort(ids, n, sizeof(*ids), cmp_pid);
	return n;
}

/*
 * The task of process @pid that is neither @pid nor named "syslet": the
 * old leader, blocked in its read, keeps the name until the read returns.
 * 0 unless there is exactly one.
 */
static pid_t find_old_leader(pid_t pid)
{
	pid_t tids[MAX_TIDS], old = 0;
	char path[64], comm[32];
	int n, i, found = 0;

	n = list_tids(pid, tids, MAX_TIDS);
	for (i = 0; i < n; i++) {
		if (tids[i] == pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tids[i]);
		if (read_comm(path, comm, sizeof(comm)) || strcmp(comm, "syslet")) {
			old = tids[i];
			found++;
		}
	}
	return found == 1 ? old : 0;
}

/* Waits up to two seconds for task @tid of @pid to sleep (S or D). */
static char wait_asleep(pid_t pid, pid_t tid)
{
	char path[64], state = '?';
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	for (i = 0; i < 200; i++) {
		state = stat_state(path);
		if (state == 'S' || state == 'D')
			break;
		sleep_ms(10);
	}
	return state;
}

/* ---- Messages between parent and child ---- */

/* A report of the child: a tag, a value, and the TIDs of its process. */
struct report {
	int tag;
	int aux;
	int n;
	pid_t tids[MAX_TIDS];
};

static int send_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* Reads @len bytes within @timeout_ms: 0, or -1 on a timeout or EOF. */
static int recv_all(int fd, void *buf, size_t len, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = end - now_ms();

		if (left <= 0)
			return -1;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/* In the child: tell the parent @tag and @aux, with our TIDs. */
static void child_report(int wr, int tag, int aux)
{
	struct report rep = { .tag = tag, .aux = aux };

	rep.n = list_tids(getpid(), rep.tids, MAX_TIDS);
	REQUIRE(rep.n > 0);
	REQUIRE(send_all(wr, &rep, sizeof(rep)) == 0);
}

/* In the child: wait for the parent's order @tag. */
static void child_await(int rd, int tag)
{
	int got = 0;

	if (recv_all(rd, &got, sizeof(got), MSG_TIMEOUT_MS))
		child_fail(__LINE__, "no order '%c' from the parent", tag);
	REQUIRE_EQ(tag, got);
}

/* ---- Children ---- */

struct child {
	pid_t pid;
	int rd;		/* the child's reports */
	int wr;		/* orders to the child */
};

typedef void (*child_fn)(int rd, int wr, void *arg);

/*
 * Forks a child that runs @fn(@arg) and exits 0 if it returns.  It dies
 * with the parent (a test that failed an ASSERT leaves nothing behind).
 */
static int start_child(struct child *c, child_fn fn, void *arg)
{
	pid_t parent = getpid();
	int up[2], down[2];

	if (pipe2(up, O_CLOEXEC))
		return -1;
	if (pipe2(down, O_CLOEXEC)) {
		close(up[0]);
		close(up[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		close(up[0]);
		close(down[1]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		fn(down[0], up[1], arg);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	c->rd = up[0];
	c->wr = down[1];
	return 0;
}

static void close_child(struct child *c)
{
	if (c->rd >= 0)
		close(c->rd);
	if (c->wr >= 0)
		close(c->wr);
	c->rd = -1;
	c->wr = -1;
}

/*
 * Reaps @c within @timeout_ms, killing it if it overruns, and closes its
 * pipes.  Returns its wait status, or -1 if it had to be killed.
 */
static int reap_child(struct child *c, int timeout_ms)
{
	int status = -1;

	close_child(c);
	if (reap_within(c->pid, &status, timeout_ms))
		return status;
	fprintf(stderr, "# child %d did not finish within %d ms: killed\n",
		c->pid, timeout_ms);
	kill(c->pid, SIGKILL);
	reap_within(c->pid, &status, 5000);
	return -1;
}

static const char *describe_status(int status)
{
	static char buf[64];

	if (status == -1)
		snprintf(buf, sizeof(buf), "timed out");
	else if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exit status %d%s", WEXITSTATUS(status),
			 WEXITSTATUS(status) == 1 ? " (a check failed, see above)" : "");
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by signal %d%s", WTERMSIG(status),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, sizeof(buf), "wait status %#x", status);
	return buf;
}

/*
 * Waits for the child's report @tag.  Without it (the child failed or
 * hangs), reaps the child and says what became of it.
 */
static bool await_report(struct __test_metadata *_metadata, struct child *c,
			 struct report *rep, int tag)
{
	memset(rep, 0, sizeof(*rep));
	if (!recv_all(c->rd, rep, sizeof(*rep), MSG_TIMEOUT_MS) && rep->tag == tag)
		return true;
	TH_LOG("no report '%c' from child %d: %s", tag, c->pid,
	       describe_status(reap_child(c, 2000)));
	return false;
}

static int send_order(struct child *c, int tag)
{
	return send_all(c->wr, &tag, sizeof(tag));
}

/*
 * Runs @fn(@arg) in a child without talking to it, for up to @timeout_ms:
 * its wait status.
 */
static int run_child(child_fn fn, void *arg, int timeout_ms)
{
	struct child c;

	if (start_child(&c, fn, arg))
		return -1;
	return reap_child(&c, timeout_ms);
}

/* ---- Handoffs in the child ---- */

static void guard_alarm(int sig)
{
}

/*
 * A SIGALRM in @ms, with a handler that does not restart system calls: it
 * interrupts an atom or an async_wait() that would block for good.
 */
static void arm_guard(int ms)
{
	struct itimerval it = {
		.it_value = { ms / 1000, (ms % 1000) * 1000 },
	};
	struct sigaction sa = { .sa_handler = guard_alarm };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_guard(void)
{
	struct itimerval off = {};

	setitimer(ITIMER_REAL, &off, NULL);
}

/* Registers the ring with @threads pool threads, all of them idle. */
#define child_register(threads) child_register_at(__LINE__, threads)
static void child_register_at(int line, int threads)
{
	int n;

	if (register_ring(ring, RING_SLOTS, threads))
		child_fail(line, "async_register() with %d threads", threads);
	n = wait_pool_threads(threads);
	if (n != threads)
		child_fail(line, "%d pool threads, not %d", n, threads);
}

/*
 * async_exec() of a read from the empty pipe @fd, in the leader: it must
 * hand off and return 0.  An atom that blocks in place instead is
 * interrupted by the guard and async_exec() returns the atom.
 */
#define hand_off(r, fd) hand_off_at(__LINE__, r, fd)
static void hand_off_at(int line, struct read_atom *r, int fd)
{
	long ret;

	init_read_atom(r, fd, 0, NULL);
	arm_guard(GUARD_MS);
	ret = sys_async_exec(&r->atom);
	disarm_guard();
	if (ret != 0)
		child_fail(line,
			   "no handoff: async_exec() returned %#lx, not 0 (atom %p, read %lld)",
			   ret, (void *)&r->atom, (long long)r->ret);
}

/*
 * Writes @c to the pipe at @wfd that the read at @r (handed off) waits for,
 * and checks its completion: ring slot *@slot holds the atom's address,
 * and the read returned 1 byte, @c.
 */
#define complete_read(r, wfd, slot, c) complete_read_at(__LINE__, r, wfd, slot, c)
static void complete_read_at(int line, struct read_atom *r, int wfd,
			     unsigned int *slot, char c)
{
	uint64_t entry;
	long n;

	if (write(wfd, &c, 1) != 1)
		child_fail(line, "write to the pipe");
	arm_guard(GUARD_MS);
	n = sys_async_wait(1);
	disarm_guard();
	if (n != 1)
		child_fail(line, "async_wait(1) returned %ld, not 1", n);
	entry = __atomic_load_n(&ring[*slot], __ATOMIC_ACQUIRE);
	if (entry != (uintptr_t)&r->atom)
		child_fail(line, "ring slot %u holds %#llx, not the atom %p", *slot,
			   (unsigned long long)entry, (void *)&r->atom);
	if (r->ret != 1 || r->data[0] != c)
		child_fail(line, "the read returned %lld, byte %#x (want 1, %#x)",
			   (long long)r->ret, r->data[0], c);
	ring[*slot] = 0;
	*slot = (*slot + 1) % RING_SLOTS;
}

/*
 * Hands off in the leader (a read from a pipe nobody writes stays in
 * flight), reports the old leader's TID and waits for the order 'x'.  The
 * atom is static: it stays valid while the read is in flight, until the
 * caller ends the process.
 */
static void hand_off_and_await(int rd, int wr)
{
	static struct read_atom r;
	int p[2];

	REQUIRE(pipe(p) == 0);
	child_register(POOL_THREADS);
	hand_off(&r, p[0]);
	REQUIRE_EQ(getpid(), sys_gettid());
	child_report(wr, 'h', find_old_leader(getpid()));
	child_await(rd, 'x');
}

/* ---- 1. The identity of the process after a handoff ---- */

/* Reads its own syscall file: it shows that read(), from @pid itself. */
static void check_own_syscall(pid_t pid)
{
	char path[64], buf[512], *end;
	long nr;
	unsigned long long arg0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return;		/* no CONFIG_HAVE_ARCH_TRACEHOOK */
	REQUIRE(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	REQUIRE(n > 0);
	buf[n] = '\0';
	nr = strtol(buf, &end, 10);
	arg0 = strtoull(end, NULL, 16);
	if (nr != __NR_read || arg0 != (unsigned long long)fd)
		child_fail(__LINE__, "%s shows \"%.*s\", not the read() of fd %d",
			   path, (int)strcspn(buf, "\n"), buf, fd);
}

static void identity_child(int rd, int wr, void *arg)
{
	int *release = arg;
	pid_t pid = getpid(), before[MAX_TIDS], tids[MAX_TIDS], old;
	char path[64], comm[32];
	unsigned int slot = 0;
	long long start;
	struct read_atom r;
	int p[2], nbefore, n, i;
	int64_t end;

	REQUIRE(prctl(PR_SET_NAME, LEADER_COMM) == 0);
	REQUIRE(pipe(p) == 0);
	child_register(POOL_THREADS);
	nbefore = list_tids(pid, before, MAX_TIDS);
	REQUIRE_EQ(1 + POOL_THREADS, nbefore);
	start = stat_num("/proc/self/stat", STAT_STARTTIME);
	REQUIRE(start != LLONG_MIN);

	hand_off(&r, p[0]);

	/* The thread in user space is the leader. */
	REQUIRE_EQ(pid, getpid());
	REQUIRE_EQ(pid, sys_gettid());
	REQUIRE_EQ(pid, status_num("/proc/self/status", "Pid"));
	REQUIRE_EQ(pid, status_num("/proc/self/status", "Tgid"));
	REQUIRE_EQ(getppid(), status_num("/proc/self/status", "PPid"));
	REQUIRE_EQ(pid, status_num("/proc/thread-self/status", "Pid"));
	REQUIRE_EQ(pid, status_num("/proc/thread-self/status", "Tgid"));

	/* /proc/<pid> is this running task, not the one blocked in the read. */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	REQUIRE_EQ('R', stat_state(path));
	/* The process's age is that of the process, not of a pool thread. */
	REQUIRE_EQ(start, stat_num(path, STAT_STARTTIME));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, pid);
	REQUIRE_EQ('R', stat_state(path));
	REQUIRE_EQ(start, stat_num(path, STAT_STARTTIME));
	check_own_syscall(pid);

	/* The name moved with the thread. */
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	REQUIRE(read_comm(path, comm, sizeof(comm)) == 0);
	REQUIRE_STREQ(LEADER_COMM, comm);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, pid);
	REQUIRE(read_comm(path, comm, sizeof(comm)) == 0);
	REQUIRE_STREQ(LEADER_COMM, comm);

	/*
	 * The same tasks: the pool thread that took over is the leader now,
	 * and the old leader, blocked in the read under the TID the pool
	 * thread had, still has the name.
	 */
	n = list_tids(pid, tids, MAX_TIDS);
	REQUIRE_EQ(nbefore, n);
	REQUIRE(tid_in(pid, tids, n));
	REQUIRE(!memcmp(before, tids, n * sizeof(*tids)));
	REQUIRE_EQ(POOL_THREADS - 1, count_pool_threads());
	old = find_old_leader(pid);
	REQUIRE(old > 0 && old != pid);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, old);
	REQUIRE(read_comm(path, comm, sizeof(comm)) == 0);
	REQUIRE_STREQ(LEADER_COMM, comm);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, old);
	REQUIRE_EQ(old, status_num(path, "Pid"));
	REQUIRE_EQ(pid, status_num(path, "Tgid"));
	i = wait_asleep(pid, old);
	if (i != 'S' && i != 'D')
		child_fail(__LINE__, "the old leader %d is in state %c, not asleep", old, i);

	/* Let the parent look while this thread runs in user space. */
	child_report(wr, 'h', old);
	end = now_ms() + MSG_TIMEOUT_MS;
	while (!__atomic_load_n(release, __ATOMIC_ACQUIRE))
		if (now_ms() > end)
			child_fail(__LINE__, "the parent did not release us");

	complete_read(&r, p[1], &slot, 'i');
	REQUIRE_EQ(pid, getpid());
	REQUIRE_EQ(pid, sys_gettid());
	/* The old leader finished the chain and waits in the pool. */
	REQUIRE_EQ(POOL_THREADS, wait_pool_threads(POOL_THREADS));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, old);
	REQUIRE(read_comm(path, comm, sizeof(comm)) == 0);
	REQUIRE_STREQ("syslet", comm);
	n = list_tids(pid, tids, MAX_TIDS);
	REQUIRE_EQ(nbefore, n);
	REQUIRE(!memcmp(before, tids, n * sizeof(*tids)));

	/* The pool goes away with the registration; the leader stays. */
	REQUIRE(sys_async_register(NULL, 0) == 0);
	for (i = 0; i < 200 && list_tids(pid, tids, MAX_TIDS) != 1; i++)
		sleep_ms(10);
	REQUIRE_EQ(1, list_tids(pid, tids, MAX_TIDS));
	REQUIRE_EQ(pid, tids[0]);
}

/*
 * After the leader handed off, the thread in user space is the leader:
 * getpid() == gettid(), Pid == Tgid in /proc, the task at /proc/<pid>
 * and /proc/<pid>/task/<pid> is the running one (R, "running" to others,
 * its own read() to itself) with the name the program gave it and the
 * start time of the process.  The process has the same tasks and TIDs:
 * the old leader, asleep in the read under another TID, keeps the name
 * until it finished the chain and joined the pool as "syslet".
 */
TEST(the_leader_hands_off_and_its_pid_stays_with_user_space)
{
	char path[64], buf[512], comm[32];
	struct report rep;
	struct child c;
	pid_t pid, old;
	char state;
	int *release;
	int status;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	release = mmap(NULL, sizeof(*release), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, release);
	*release = 0;
	ASSERT_EQ(0, start_child(&c, identity_child, release));
	pid = c.pid;
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	old = rep.aux;

	/* Seen from outside, while the child spins in user space. */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	EXPECT_EQ('R', stat_state(path));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, pid);
	EXPECT_EQ('R', stat_state(path));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, pid);
	if (read_text(path, buf, sizeof(buf)) < 0) {
		TH_LOG("cannot read %s (%s): not checked", path, strerror(errno));
		snprintf(buf, sizeof(buf), "running\n");
	}
	EXPECT_STREQ("running\n", buf);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	EXPECT_EQ(pid, status_num(path, "Pid"));
	EXPECT_EQ(pid, status_num(path, "Tgid"));
	EXPECT_EQ(getpid(), status_num(path, "PPid"));
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	ASSERT_EQ(0, read_comm(path, comm, sizeof(comm)));
	EXPECT_STREQ(LEADER_COMM, comm);
	state = wait_asleep(pid, old);
	EXPECT_TRUE(state == 'S' || state == 'D')
		TH_LOG("the old leader %d is in state %c", old, state);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, old);
	EXPECT_EQ(pid, status_num(path, "Tgid"));
	EXPECT_EQ(0, kill(pid, 0));
	EXPECT_EQ(getpgid(0), getpgid(pid));
	EXPECT_EQ(getsid(0), getsid(pid));

	__atomic_store_n(release, 1, __ATOMIC_RELEASE);
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
	munmap(release, sizeof(*release));
}

/* ---- 2. The parent waits for and hears of the process ---- */

/* Hands off, reports the old leader, and exits 42 with the read in flight. */
static void exit_in_flight_child(int rd, int wr, void *arg)
{
	hand_off_and_await(rd, wr);
	_exit(42);
}

static siginfo_t chld_info;
static int chld_count;

static void record_sigchld(int sig, siginfo_t *si, void *ctx)
{
	chld_info = *si;
	__atomic_add_fetch(&chld_count, 1, __ATOMIC_SEQ_CST);
}

/* No task of the reaped process is left: not the old leader, no pool thread. */
static void expect_all_gone(struct __test_metadata *_metadata, pid_t pid,
			    const struct report *rep)
{
	char path[64];
	int i;

	errno = 0;
	EXPECT_EQ(-1, kill(pid, 0));
	EXPECT_EQ(ESRCH, errno);
	for (i = 0; i < rep->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d", rep->tids[i]);
		EXPECT_NE(0, access(path, F_OK))
			TH_LOG("task %d of process %d is still there", rep->tids[i], pid);
	}
	/* And the parent has no other child: the old leader never was one. */
	errno = 0;
	EXPECT_EQ(-1, waitpid(-1, NULL, WNOHANG));
	EXPECT_EQ(ECHILD, errno);
}

/*
 * Reaps the child of exit_in_flight_child() through wait4() of its pid,
 * or of any child, and checks what the parent sees.
 */
static void reap_exit_in_flight(struct __test_metadata *_metadata, bool any_child)
{
	struct sigaction sa = {
		.sa_sigaction = record_sigchld,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};
	siginfo_t info;
	struct rusage ru;
	struct report rep;
	struct child c;
	int status = 0, i;
	int64_t end;
	pid_t pid, which, r;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	chld_count = 0;
	ASSERT_EQ(0, sigaction(SIGCHLD, &sa, NULL));
	ASSERT_EQ(0, start_child(&c, exit_in_flight_child, NULL));
	pid = c.pid;
	which = any_child ? -1 : pid;
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));

	/* A handoff is nothing the parent hears of: no exit, stop, signal. */
	EXPECT_EQ(0, wait4(which, &status, WNOHANG | WUNTRACED | WCONTINUED, NULL));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(0, sys_waitid(P_ALL, 0, &info,
				WEXITED | WSTOPPED | WCONTINUED | WNOHANG));
	EXPECT_EQ(0, info.si_pid);
	EXPECT_EQ(0, __atomic_load_n(&chld_count, __ATOMIC_SEQ_CST));

	ASSERT_EQ(0, send_order(&c, 'x'));
	close_child(&c);
	memset(&ru, 0xff, sizeof(ru));
	end = now_ms() + CHILD_TIMEOUT_MS;
	do {
		r = wait4(which, &status, WNOHANG, &ru);
		if (r == 0)
			sleep_ms(10);
	} while ((r == 0 || (r < 0 && errno == EINTR)) && now_ms() < end);
	if (r != pid)
		kill(pid, SIGKILL);
	ASSERT_EQ(pid, r);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("child: %s", describe_status(status));
	EXPECT_EQ(42, WEXITSTATUS(status));
	EXPECT_LE(0, ru.ru_utime.tv_sec);
	EXPECT_LE(0, ru.ru_utime.tv_usec);
	EXPECT_GT(1000000, ru.ru_utime.tv_usec);
	EXPECT_LE(0, ru.ru_stime.tv_sec);
	EXPECT_LE(0, ru.ru_stime.tv_usec);
	EXPECT_GT(1000000, ru.ru_stime.tv_usec);

	/* SIGCHLD came once, from the pid. */
	for (i = 0; i < 200 && !__atomic_load_n(&chld_count, __ATOMIC_SEQ_CST); i++)
		sleep_ms(10);
	EXPECT_EQ(1, __atomic_load_n(&chld_count, __ATOMIC_SEQ_CST));
	EXPECT_EQ(SIGCHLD, chld_info.si_signo);
	EXPECT_EQ(CLD_EXITED, chld_info.si_code);
	EXPECT_EQ(pid, chld_info.si_pid);
	EXPECT_EQ(42, chld_info.si_status);
	EXPECT_EQ(getuid(), chld_info.si_uid);

	expect_all_gone(_metadata, pid, &rep);
	signal(SIGCHLD, SIG_DFL);
}

/*
 * A process that exits while its old leader is still blocked in a handed
 * off read is reaped by its pid within a few seconds: waitpid(pid) returns
 * it with its exit status and rusage, SIGCHLD names it, and no task of it
 * is left.  Before the exit, the handoff shows as nothing to the parent.
 */
TEST(the_parent_reaps_the_pid_after_a_handoff)
{
	reap_exit_in_flight(_metadata, false);
}

/* As above, through wait4(-1): any child is the pid. */
TEST(waiting_for_any_child_finds_the_pid_after_a_handoff)
{
	reap_exit_in_flight(_metadata, true);
}

/*
 * A pidfd of the pid, opened before or after the handoff, refers to the
 * process: pidfd_open() of the pid still works after it and that of the
 * old leader's TID needs PIDFD_THREAD; the pidfds poll readable when the
 * process exits, not before, and waitid(P_PIDFD) reaps the pid with its
 * status.
 */
TEST(pidfds_of_the_pid_report_its_exit_after_a_handoff)
{
	struct pollfd pfd[2];
	struct report rep;
	struct child c;
	siginfo_t info;
	int early, late, fd, status;
	pid_t pid, old;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	ASSERT_EQ(0, start_child(&c, exit_in_flight_child, NULL));
	pid = c.pid;
	early = sys_pidfd_open(pid, 0);
	ASSERT_LE(0, early);
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	old = rep.aux;
	ASSERT_LT(0, old);

	late = sys_pidfd_open(pid, 0);
	ASSERT_LE(0, late) TH_LOG("pidfd_open(%d): %s", pid, strerror(errno));
	/* The old leader's TID is a thread's now, not a process's. */
	errno = 0;
	EXPECT_EQ(-1, sys_pidfd_open(old, 0));
	EXPECT_EQ(ENOENT, errno);
	fd = sys_pidfd_open(old, PIDFD_THREAD);
	EXPECT_LE(0, fd) TH_LOG("pidfd_open(%d, PIDFD_THREAD): %s", old, strerror(errno));
	if (fd >= 0)
		close(fd);

	/* Not readable while the process lives. */
	pfd[0] = (struct pollfd){ .fd = early, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = late, .events = POLLIN };
	EXPECT_EQ(0, poll(pfd, 2, 0));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(0, sys_waitid(WAIT_P_PIDFD, late, &info, WEXITED | WNOHANG));
	EXPECT_EQ(0, info.si_pid);

	ASSERT_EQ(0, send_order(&c, 'x'));
	close_child(&c);
	EXPECT_EQ(1, poll(&pfd[1], 1, CHILD_TIMEOUT_MS));
	EXPECT_TRUE(pfd[1].revents & POLLIN);
	EXPECT_EQ(1, poll(&pfd[0], 1, 1000));
	EXPECT_TRUE(pfd[0].revents & POLLIN);

	memset(&info, 0, sizeof(info));
	status = sys_waitid(WAIT_P_PIDFD, late, &info, WEXITED | WNOHANG);
	if (status || info.si_pid != pid)
		kill(pid, SIGKILL);
	ASSERT_EQ(0, status) TH_LOG("waitid(P_PIDFD): %s", strerror(errno));
	EXPECT_EQ(pid, info.si_pid);
	EXPECT_EQ(CLD_EXITED, info.si_code);
	EXPECT_EQ(42, info.si_status);
	/* Reaped: nothing left to wait for through either pidfd. */
	errno = 0;
	EXPECT_EQ(-1, sys_waitid(WAIT_P_PIDFD, early, &info, WEXITED | WNOHANG));
	EXPECT_EQ(ECHILD, errno);
	expect_all_gone(_metadata, pid, &rep);
	close(early);
	close(late);
}

/* ---- 3. Sessions, process groups and job control ---- */

static void setsid_child(int rd, int wr, void *arg)
{
	pid_t pid = getpid(), old;
	char path[64];
	unsigned int slot = 0;
	struct read_atom r;
	int p[2];

	REQUIRE(pipe(p) == 0);
	REQUIRE(getpgid(0) != pid);
	child_register(POOL_THREADS);
	hand_off(&r, p[0]);
	old = find_old_leader(pid);
	REQUIRE(old > 0);

	REQUIRE_EQ(pid, setsid());
	REQUIRE_EQ(pid, getsid(0));
	REQUIRE_EQ(pid, getpgid(0));
	REQUIRE_EQ(pid, getpgrp());
	/* It leads its session: a second setsid() fails. */
	REQUIRE(setsid() == -1 && errno == EPERM);
	REQUIRE_EQ(pid, stat_num("/proc/self/stat", STAT_PGRP));
	REQUIRE_EQ(pid, stat_num("/proc/self/stat", STAT_SESSION));
	/* For every thread, the old leader too. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, old);
	REQUIRE_EQ(pid, stat_num(path, STAT_PGRP));
	REQUIRE_EQ(pid, stat_num(path, STAT_SESSION));

	child_report(wr, 'h', old);
	child_await(rd, 'x');
	complete_read(&r, p[1], &slot, 's');
	REQUIRE_EQ(pid, getsid(0));
	REQUIRE_EQ(pid, getpgid(0));
}

/*
 * After a handoff, setsid() in the leader makes a session and process
 * group of the pid, seen the same from inside and outside.
 */
TEST(setsid_after_a_handoff_makes_the_pid_a_session)
{
	struct report rep;
	struct child c;
	int status;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	ASSERT_EQ(0, start_child(&c, setsid_child, NULL));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	EXPECT_EQ(c.pid, getsid(c.pid));
	EXPECT_EQ(c.pid, getpgid(c.pid));
	EXPECT_EQ(0, kill(-c.pid, 0));
	ASSERT_EQ(0, send_order(&c, 'x'));
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
}

static void setpgid_child(int rd, int wr, void *arg)
{
	pid_t pid = getpid(), pgid = getpgid(0), sid = getsid(0);
	unsigned int slot = 0;
	struct read_atom r;
	int p[2];

	REQUIRE(pipe(p) == 0);
	REQUIRE(pgid != pid);
	child_register(POOL_THREADS);
	hand_off(&r, p[0]);

	REQUIRE_EQ(0, setpgid(0, 0));
	REQUIRE_EQ(pid, getpgid(0));
	REQUIRE_EQ(sid, getsid(0));
	REQUIRE_EQ(pid, stat_num("/proc/self/stat", STAT_PGRP));
	/* Back into the parent's group, and out again. */
	REQUIRE_EQ(0, setpgid(pid, pgid));
	REQUIRE_EQ(pgid, getpgid(0));
	REQUIRE_EQ(0, setpgid(0, pid));
	REQUIRE_EQ(pid, getpgid(0));

	child_report(wr, 'h', 0);
	child_await(rd, 'x');
	complete_read(&r, p[1], &slot, 'g');
	REQUIRE_EQ(pid, getpgid(0));
}

/*
 * After a handoff, setpgid(0, 0) in the leader makes a process group of
 * the pid, and the process moves between groups by its pid.
 */
TEST(setpgid_after_a_handoff_makes_the_pid_a_process_group)
{
	struct report rep;
	struct child c;
	int status;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	ASSERT_EQ(0, start_child(&c, setpgid_child, NULL));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	EXPECT_EQ(c.pid, getpgid(c.pid));
	EXPECT_EQ(getsid(0), getsid(c.pid));
	EXPECT_EQ(0, kill(-c.pid, 0));
	ASSERT_EQ(0, send_order(&c, 'x'));
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
}

static pid_t usr1_tid;
static int usr1_count;

static void record_usr1(int sig)
{
	__atomic_store_n(&usr1_tid, sys_gettid(), __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&usr1_count, 1, __ATOMIC_SEQ_CST);
}

static void job_control_child(int rd, int wr, void *arg)
{
	struct sigaction sa = { .sa_handler = record_usr1, .sa_flags = SA_RESTART };
	pid_t pid = getpid();
	unsigned int slot = 0;
	struct read_atom r;
	int p[2];
	int64_t end;

	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
	/* A group of its own before the handoff: its link must move. */
	REQUIRE_EQ(0, setpgid(0, 0));
	REQUIRE(pipe(p) == 0);
	child_register(POOL_THREADS);
	hand_off(&r, p[0]);
	REQUIRE_EQ(pid, getpgid(0));

	child_report(wr, 'h', find_old_leader(pid));
	/* Stopped and continued by the parent, then SIGUSR1 to the group. */
	end = now_ms() + MSG_TIMEOUT_MS;
	while (!__atomic_load_n(&usr1_count, __ATOMIC_SEQ_CST)) {
		if (now_ms() > end)
			child_fail(__LINE__, "no SIGUSR1 for the process group");
		sleep_ms(5);
	}
	REQUIRE_EQ(1, __atomic_load_n(&usr1_count, __ATOMIC_SEQ_CST));
	REQUIRE_EQ(pid, __atomic_load_n(&usr1_tid, __ATOMIC_SEQ_CST));
	/* The read, interrupted by the stop, went on and completes. */
	complete_read(&r, p[1], &slot, 'j');
}

/* Waits up to @ms for a wait status of @pid with @options. */
static pid_t wait_state(pid_t pid, int *status, int options, int ms)
{
	int64_t end = now_ms() + ms;
	pid_t r;

	do {
		r = waitpid(pid, status, options | WNOHANG);
		if (r != 0 && !(r < 0 && errno == EINTR))
			return r;
		sleep_ms(10);
	} while (now_ms() < end);
	return 0;
}

/*
 * Job control of a process whose leader handed off, by its process
 * group: SIGSTOP stops every task and the parent sees the pid stopped,
 * SIGCONT continues it, and a signal to the group runs its handler in
 * the leader (gettid() == pid in the handler).
 */
TEST(job_control_reaches_the_process_group_after_a_handoff)
{
	char path[64];
	struct report rep;
	struct child c;
	int status = 0, i;
	pid_t pid;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	ASSERT_EQ(0, start_child(&c, job_control_child, NULL));
	pid = c.pid;
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	EXPECT_EQ(pid, getpgid(pid));

	ASSERT_EQ(0, kill(-pid, SIGSTOP));
	ASSERT_EQ(pid, wait_state(pid, &status, WUNTRACED, MSG_TIMEOUT_MS));
	EXPECT_TRUE(WIFSTOPPED(status)) TH_LOG("child: %s", describe_status(status));
	EXPECT_EQ(SIGSTOP, WSTOPSIG(status));
	/* The whole group stop: the leader, the old leader, the pool. */
	for (i = 0; i < rep.n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, rep.tids[i]);
		EXPECT_EQ('T', stat_state(path)) TH_LOG("task %d", rep.tids[i]);
	}

	ASSERT_EQ(0, kill(-pid, SIGCONT));
	ASSERT_EQ(pid, wait_state(pid, &status, WCONTINUED, MSG_TIMEOUT_MS));
	EXPECT_TRUE(WIFCONTINUED(status));

	ASSERT_EQ(0, kill(-pid, SIGUSR1));
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
}

/* ---- 4. Signals ---- */

struct seen_signal {
	int count;
	pid_t tid;
	pid_t pid;
	int code;
	pid_t sender;
};

static struct seen_signal seen[NSIG];

static void record_signal(int sig, siginfo_t *si, void *ctx)
{
	struct seen_signal *s = &seen[sig];

	s->tid = sys_gettid();
	s->pid = getpid();
	s->code = si->si_code;
	s->sender = si->si_pid;
	__atomic_add_fetch(&s->count, 1, __ATOMIC_SEQ_CST);
}

/*
 * Waits for the @n-th delivery of @sig and checks it ran in the leader,
 * with @code, sent by the parent; then tells the parent @tag.
 */
#define expect_signal(wr, sig, n, code, tag) \
	expect_signal_at(__LINE__, wr, sig, n, code, tag)
static void expect_signal_at(int line, int wr, int sig, int n, int code, int tag)
{
	struct seen_signal *s = &seen[sig];
	int64_t end = now_ms() + MSG_TIMEOUT_MS;

	while (__atomic_load_n(&s->count, __ATOMIC_SEQ_CST) < n) {
		if (now_ms() > end)
			child_fail(line, "signal %d #%d did not come", sig, n);
		sleep_ms(5);
	}
	if (s->count != n || s->tid != getpid() || s->pid != getpid() ||
	    s->code != code || s->sender != getppid())
		child_fail(line,
			   "signal %d #%d: %d times, in %d/%d, code %d, from %d (want %d, %d, %d)",
			   sig, n, s->count, s->pid, s->tid, s->code, s->sender,
			   getpid(), code, getppid());
	child_report(wr, tag, 0);
}

static void signals_child(int rd, int wr, void *arg)
{
	struct sigaction sa = {
		.sa_sigaction = record_signal,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};
	pid_t pid = getpid();
	unsigned int slot = 0;
	unsigned long long mask;
	sigset_t blocked, set;
	struct read_atom r;
	siginfo_t si;
	int p[2];

	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
	REQUIRE(sigaction(SIGUSR2, &sa, NULL) == 0);
	/* Blocked by the leader, one of them pending for it already. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGWINCH);
	sigaddset(&blocked, SIGTERM);
	REQUIRE(sigprocmask(SIG_BLOCK, &blocked, NULL) == 0);
	REQUIRE(syscall(SYS_tgkill, pid, pid, SIGWINCH) == 0);
	REQUIRE(pipe(p) == 0);
	child_register(POOL_THREADS);
	hand_off(&r, p[0]);

	/* The mask and the thread's pending signal moved with it. */
	REQUIRE(sigprocmask(SIG_BLOCK, NULL, &set) == 0);
	REQUIRE(sigismember(&set, SIGWINCH) && sigismember(&set, SIGTERM));
	REQUIRE(sigpending(&set) == 0 && sigismember(&set, SIGWINCH));
	mask = status_mask("/proc/thread-self/status", "SigPnd");
	REQUIRE(mask & SIGBIT(SIGWINCH));
	mask = status_mask("/proc/thread-self/status", "SigBlk");
	REQUIRE((mask & (SIGBIT(SIGWINCH) | SIGBIT(SIGTERM))) ==
		(SIGBIT(SIGWINCH) | SIGBIT(SIGTERM)));

	child_report(wr, 'h', 0);
	expect_signal(wr, SIGUSR1, 1, SI_USER, 'a');	/* kill() */
	expect_signal(wr, SIGUSR2, 1, SI_TKILL, 'b');	/* tgkill() */
	expect_signal(wr, SIGUSR1, 2, SI_USER, 'c');	/* pidfd */
	expect_signal(wr, SIGUSR2, 2, SI_TKILL, 'd');	/* thread pidfd */

	/* SIGTERM, sent by the parent meanwhile, waits like SIGWINCH. */
	child_await(rd, 'x');
	REQUIRE(sigpending(&set) == 0);
	REQUIRE(sigismember(&set, SIGWINCH) && sigismember(&set, SIGTERM));
	/* Each with the siginfo it was sent with. */
	REQUIRE_EQ(SIGWINCH, take_signal(SIGWINCH, &si));
	REQUIRE_EQ(SI_TKILL, si.si_code);
	REQUIRE_EQ(pid, si.si_pid);
	REQUIRE_EQ(SIGTERM, take_signal(SIGTERM, &si));
	REQUIRE_EQ(SI_USER, si.si_code);
	REQUIRE_EQ(getppid(), si.si_pid);
	REQUIRE(sigpending(&set) == 0);
	REQUIRE(!sigismember(&set, SIGWINCH) && !sigismember(&set, SIGTERM));
	REQUIRE_EQ(2, seen[SIGUSR1].count);
	REQUIRE_EQ(2, seen[SIGUSR2].count);
	complete_read(&r, p[1], &slot, 'k');
}

/*
 * After a handoff, signals for the process and for its pid reach the
 * thread in user space: kill(pid), tgkill(pid, pid), pidfd_send_signal()
 * through a pidfd and a PIDFD_THREAD pidfd each run their handler with
 * gettid() == getpid().  Signals the leader blocked before the handoff
 * stay blocked, and one pending for it stays pending for it, also as
 * /proc/<pid>/status shows to others.
 */
TEST(signals_for_the_pid_reach_the_leader_after_a_handoff)
{
	unsigned long long mask;
	char path[64];
	struct report rep;
	struct child c;
	int pidfd, tfd, status;
	pid_t pid;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	ASSERT_EQ(0, start_child(&c, signals_child, NULL));
	pid = c.pid;
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));

	/* /proc/<pid> shows the mask and pending signal of the leader. */
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	mask = status_mask(path, "SigBlk");
	EXPECT_EQ(SIGBIT(SIGWINCH) | SIGBIT(SIGTERM),
		  mask & (SIGBIT(SIGWINCH) | SIGBIT(SIGTERM)));
	EXPECT_EQ(0, mask & (SIGBIT(SIGUSR1) | SIGBIT(SIGUSR2)))
		TH_LOG("SigBlk %#llx: the task at /proc/%d blocks everything", mask, pid);
	EXPECT_NE(0, status_mask(path, "SigPnd") & SIGBIT(SIGWINCH));

	pidfd = sys_pidfd_open(pid, 0);
	ASSERT_LE(0, pidfd);
	tfd = sys_pidfd_open(pid, PIDFD_THREAD);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'a'));
	ASSERT_EQ(0, syscall(SYS_tgkill, pid, pid, SIGUSR2));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'b'));
	ASSERT_EQ(0, sys_pidfd_send_signal(pidfd, SIGUSR1));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'c'));
	ASSERT_EQ(0, sys_pidfd_send_signal(tfd, SIGUSR2));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'd'));
	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(0, send_order(&c, 'x'));
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
	close(pidfd);
	close(tfd);
}

/* ---- 5. Exec ---- */

/* The image exec'd by exec_child(): argv[2] is the pid, argv[3] the parent. */
static int exec_check(char **argv)
{
	pid_t pid = atoi(argv[2]), ppid = atoi(argv[3]);
	pid_t tids[MAX_TIDS];

	snprintf(child_context, sizeof(child_context), "exec'd image");
	REQUIRE_EQ(pid, getpid());
	REQUIRE_EQ(pid, sys_gettid());
	REQUIRE_EQ(ppid, getppid());
	REQUIRE_EQ(pid, status_num("/proc/self/status", "Tgid"));
	REQUIRE_EQ(pid, status_num("/proc/self/status", "Pid"));
	/* Alone: the old leader's chain and the pool went with the old image. */
	REQUIRE_EQ(1, list_tids(pid, tids, MAX_TIDS));
	REQUIRE_EQ(pid, tids[0]);
	REQUIRE_EQ(0, count_pool_threads());
	/* Nor does the registration survive. */
	errno = 0;
	REQUIRE(sys_async_wait(0) == -1 && errno == EINVAL);
	return 0;
}

static char *exec_argv[5];
static char exec_pid[16], exec_ppid[16];

static void *exec_thread(void *arg)
{
	execv("/proc/self/exe", exec_argv);
	child_fail(__LINE__, "execv() from a thread");
}

static void exec_child(int rd, int wr, void *arg)
{
	bool from_thread = arg;
	struct read_atom r;
	pthread_t t;
	int p[2];

	REQUIRE(pipe(p) == 0);
	child_register(POOL_THREADS);
	hand_off(&r, p[0]);
	REQUIRE_EQ(getpid(), sys_gettid());

	snprintf(exec_pid, sizeof(exec_pid), "%d", getpid());
	snprintf(exec_ppid, sizeof(exec_ppid), "%d", getppid());
	exec_argv[0] = "leader_test";
	exec_argv[1] = EXEC_CHECK;
	exec_argv[2] = exec_pid;
	exec_argv[3] = exec_ppid;
	exec_argv[4] = NULL;
	if (!from_thread) {
		execv("/proc/self/exe", exec_argv);
		child_fail(__LINE__, "execv()");
	}
	/* A thread made after the handoff execs: it becomes the leader. */
	REQUIRE(pthread_create(&t, NULL, exec_thread, NULL) == 0);
	sleep_ms(MSG_TIMEOUT_MS);
	child_fail(__LINE__, "the exec from a thread did not replace the process");
}

/*
 * The leader hands off and, with the read still in flight, execs: the new
 * image runs as the pid (getpid() == gettid()), child of the same parent,
 * alone (the old leader and the pool are gone) and without registration.
 */
TEST(exec_after_a_handoff_keeps_the_pid)
{
	int status;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	status = run_child(exec_child, (void *)false, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
}

/*
 * As above, but a thread created after the handoff execs: it takes the
 * leadership from the thread that took it in the handoff, and the new
 * image runs as the pid.
 */
TEST(exec_from_a_new_thread_after_a_handoff_keeps_the_pid)
{
	int status;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	status = run_child(exec_child, (void *)true, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
}

/* ---- 6. Cgroups ---- */

struct cgroups {
	char a[128];		/* created for the test */
	char b[128];		/* created for the test */
	char home[512];		/* the parent's cgroup */
};

static int write_id(const char *dir, const char *file, pid_t id)
{
	char path[600], num[16];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(num, sizeof(num), "%d", id);
	return write_text(path, num);
}

/* The IDs in @dir/@file, sorted: their number, or -1. */
static int read_ids(const char *dir, const char *file, pid_t *ids, int max)
{
	char path[600], buf[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	return parse_ids(buf, ids, max);
}

/*
 * Cgroup @dir holds exactly the process @pid, whose tasks are the @n
 * sorted @tids: cgroup.procs lists the pid once and nothing else, and
 * cgroup.threads every task once.
 */
#define require_cgroup_holds(dir, pid, tids, n) \
	require_cgroup_holds_at(__LINE__, dir, pid, tids, n)
static void require_cgroup_holds_at(int line, const char *dir, pid_t pid,
				    const pid_t *tids, int n)
{
	pid_t ids[MAX_TIDS];
	int m, i;

	m = read_ids(dir, "cgroup.procs", ids, MAX_TIDS);
	if (m != 1 || ids[0] != pid)
		child_fail(line, "%s/cgroup.procs lists %d entries (first %d), not just %d",
			   dir, m, m > 0 ? ids[0] : 0, pid);
	m = read_ids(dir, "cgroup.threads", ids, MAX_TIDS);
	if (m != n)
		child_fail(line, "%s/cgroup.threads lists %d entries, not the %d tasks",
			   dir, m, n);
	for (i = 0; i < n; i++)
		if (ids[i] != tids[i])
			child_fail(line, "%s/cgroup.threads lists %d, not task %d",
				   dir, ids[i], tids[i]);
}

/* The cgroup v2 path of the task at @path ("/proc/.../cgroup"). */
static int task_cgroup(const char *path, char *buf, size_t size)
{
	char text[4096], *line;

	if (read_text(path, text, sizeof(text)) < 0)
		return -1;
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "0::", 3)) {
			snprintf(buf, size, "%s", line + 3);
			return 0;
		}
	return -1;
}

static void cgroup_child(int rd, int wr, void *arg)
{
	struct cgroups *cg = arg;
	pid_t pid = getpid(), tids[MAX_TIDS], ids[MAX_TIDS];
	const char *name_b = strrchr(cg->b, '/');
	char path[64], where[512];
	unsigned int slot = 0;
	struct read_atom r;
	int p[2], n, i;
	size_t len;

	REQUIRE(write_id(cg->a, "cgroup.procs", pid) == 0);
	REQUIRE(pipe(p) == 0);
	child_register(POOL_THREADS);
	hand_off(&r, p[0]);
	n = list_tids(pid, tids, MAX_TIDS);
	REQUIRE_EQ(1 + POOL_THREADS, n);

	/* The cgroup lists the process once, by its pid. */
	require_cgroup_holds(cg->a, pid, tids, n);

	/* Migrating the process by its pid moves every task. */
	REQUIRE(write_id(cg->b, "cgroup.procs", pid) == 0);
	require_cgroup_holds(cg->b, pid, tids, n);
	REQUIRE_EQ(0, read_ids(cg->a, "cgroup.procs", ids, MAX_TIDS));
	REQUIRE_EQ(0, read_ids(cg->a, "cgroup.threads", ids, MAX_TIDS));
	len = strlen(name_b);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", pid, tids[i]);
		REQUIRE(task_cgroup(path, where, sizeof(where)) == 0);
		if (strlen(where) < len || strcmp(where + strlen(where) - len, name_b))
			child_fail(__LINE__, "task %d is in cgroup %s, not %s",
				   tids[i], where, cg->b);
	}

	complete_read(&r, p[1], &slot, 'c');
	/* The leader still hands off in its new cgroup. */
	hand_off(&r, p[0]);
	require_cgroup_holds(cg->b, pid, tids, n);
	complete_read(&r, p[1], &slot, 'C');

	/* Home again, so that the test's cgroups can go. */
	if (write_id(cg->home, "cgroup.procs", pid))
		fprintf(stderr, "# cannot move back to %s: %s\n", cg->home,
			strerror(errno));
}

static void remove_cgroup(const char *dir)
{
	int i;

	/* A reaped child may linger in the cgroup for a moment. */
	for (i = 0; i < 200 && rmdir(dir) && errno == EBUSY; i++)
		sleep_ms(10);
}

/*
 * With the leader handed off, the process's cgroup lists it once by its
 * pid (cgroup.procs) and all its tasks as threads; writing the pid to
 * another cgroup's cgroup.procs moves every task there, the old leader
 * with its read in flight too, and the leader still hands off there.
 */
TEST(cgroup_migration_by_the_pid_moves_every_task_after_a_handoff)
{
	struct cgroups *cg;
	struct statfs sfs;
	char path[64], home[256];
	bool mounted = false;
	int status;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	/* A minimal guest (an initramfs) has not mounted it: do it here. */
	if (statfs(CGROUP_ROOT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		mounted = !mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL);
	if (statfs(CGROUP_ROOT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		SKIP(return, "no cgroup v2 at " CGROUP_ROOT);
	cg = calloc(1, sizeof(*cg));
	ASSERT_NE(NULL, cg);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", getpid());
	ASSERT_EQ(0, task_cgroup(path, home, sizeof(home)));
	snprintf(cg->home, sizeof(cg->home), CGROUP_ROOT "%s", home);
	snprintf(cg->a, sizeof(cg->a), CGROUP_ROOT "/leader_test_%d_a", getpid());
	snprintf(cg->b, sizeof(cg->b), CGROUP_ROOT "/leader_test_%d_b", getpid());
	if (mkdir(cg->a, 0755))
		SKIP(goto out, "cannot create a cgroup: %s", strerror(errno));
	if (mkdir(cg->b, 0755)) {
		rmdir(cg->a);
		SKIP(goto out, "cannot create a cgroup: %s", strerror(errno));
	}
	status = run_child(cgroup_child, cg, CHILD_TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
	remove_cgroup(cg->a);
	remove_cgroup(cg->b);
	EXPECT_NE(0, access(cg->a, F_OK));
	EXPECT_NE(0, access(cg->b, F_OK));
out:
	free(cg);
	if (mounted)
		umount2(CGROUP_ROOT, MNT_DETACH);
}

/* ---- 7. Core dumps ---- */

struct core_notes {
	int nprstatus;
	pid_t pids[MAX_TIDS];
	struct elf_prstatus first;
	bool have_psinfo;
	struct elf_prpsinfo psinfo;
};

#define NOTE_ALIGN(x) (((x) + 3) & ~(size_t)3)

/* The NT_PRSTATUS and NT_PRPSINFO notes of an ELF64 core: 0, or a line. */
static int read_core_notes(const char *path, struct core_notes *cn)
{
	size_t min_prstatus = offsetof(struct elf_prstatus, pr_sid) + sizeof(pid_t);
	size_t min_psinfo = offsetof(struct elf_prpsinfo, pr_fname) + 16;
	struct elf_ehdr eh;
	struct elf_phdr ph;
	char *buf = NULL;
	int fd, i, err = 0;

	memset(cn, 0, sizeof(*cn));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return __LINE__;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_CORE ||
	    eh.e_phentsize != sizeof(ph)) {
		err = __LINE__;
		goto out;
	}
	for (i = 0; i < eh.e_phnum && !err; i++) {
		size_t off = 0;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph)) {
			err = __LINE__;
			break;
		}
		if (ph.p_type != PT_NOTE)
			continue;
		if (ph.p_filesz > (64 << 20)) {
			err = __LINE__;
			break;
		}
		free(buf);
		buf = malloc(ph.p_filesz);
		if (!buf || pread(fd, buf, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz) {
			err = __LINE__;
			break;
		}
		while (off + sizeof(struct elf_nhdr) <= ph.p_filesz) {
			struct elf_nhdr nh;
			size_t name, desc, next;

			memcpy(&nh, buf + off, sizeof(nh));
			name = off + sizeof(nh);
			desc = name + NOTE_ALIGN(nh.n_namesz);
			next = desc + NOTE_ALIGN(nh.n_descsz);
			if (next > ph.p_filesz) {
				err = __LINE__;
				break;
			}
			if (nh.n_namesz == 5 && !memcmp(buf + name, "CORE", 5)) {
				if (nh.n_type == NT_PRSTATUS && nh.n_descsz >= min_prstatus) {
					struct elf_prstatus ps = {};

					memcpy(&ps, buf + desc, nh.n_descsz < sizeof(ps) ?
					       nh.n_descsz : sizeof(ps));
					if (!cn->nprstatus)
						cn->first = ps;
					if (cn->nprstatus < MAX_TIDS)
						cn->pids[cn->nprstatus] = ps.pr_pid;
					cn->nprstatus++;
				} else if (nh.n_type == NT_PRPSINFO && nh.n_descsz >= min_psinfo) {
					memcpy(&cn->psinfo, buf + desc,
					       nh.n_descsz < sizeof(cn->psinfo) ?
					       nh.n_descsz : sizeof(cn->psinfo));
					cn->have_psinfo = true;
				}
			}
			off = next;
		}
	}
out:
	free(buf);
	close(fd);
	return err;
}

static void core_child(int rd, int wr, void *arg)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	REQUIRE(setrlimit(RLIMIT_CORE, &unlimited) == 0);
	REQUIRE(prctl(PR_SET_DUMPABLE, 1) == 0);
	REQUIRE(prctl(PR_SET_NAME, CORE_COMM) == 0);
	hand_off_and_await(rd, wr);
	/* The leader dumps core with the read in flight. */
	abort();
}

FIXTURE(core_dump) {
	char saved[256];	/* core_pattern as it was */
	bool restore;
	char dir[64];
};

FIXTURE_SETUP(core_dump)
{
	self->saved[0] = '\0';
	self->restore = false;
	self->dir[0] = '\0';
}

/* In the parent, whatever became of the test: core_pattern as it was. */
FIXTURE_TEARDOWN_PARENT(core_dump)
{
	struct dirent *de;
	char path[400];
	DIR *d;
	int ret;

	if (self->restore) {
		ret = write_text(CORE_PATTERN, self->saved);
		if (ret)
			TH_LOG("cannot restore core_pattern \"%s\": %s", self->saved,
			       strerror(errno));
		EXPECT_EQ(0, ret);
	}
	if (!self->dir[0])
		return;
	d = opendir(self->dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", self->dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(self->dir);
}

/*
 * The leader hands off and dumps core with the read in flight.  The dump
 * is the pid's: the core file is named after it, the dumping thread's
 * NT_PRSTATUS comes first with pr_pid == pid and the process's parent,
 * group and session, pid appears in no other NT_PRSTATUS, every note is
 * of a distinct task of the process, and NT_PRPSINFO describes the leader
 * (pr_pid == pid, its name).  (Pool threads may add notes of their own.)
 */
TEST_F_TIMEOUT(core_dump, a_core_dump_after_a_handoff_is_the_pids, 120)
{
	char pattern[128], file[128], fname[17];
	struct core_notes cn;
	struct report rep;
	struct child c;
	int status, i, j, found = 0;
	pid_t pid;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	if (geteuid())
		SKIP(return, "not root");
	if (read_text(CORE_PATTERN, self->saved, sizeof(self->saved)) <= 0)
		SKIP(return, "cannot read " CORE_PATTERN);
	snprintf(self->dir, sizeof(self->dir), "/tmp/leadercore.XXXXXX");
	if (!mkdtemp(self->dir)) {
		self->dir[0] = '\0';
		SKIP(return, "cannot make a directory in /tmp: %s", strerror(errno));
	}
	snprintf(pattern, sizeof(pattern), "%s/core.%%p\n", self->dir);
	self->restore = true;
	if (write_text(CORE_PATTERN, pattern))
		SKIP(return, "cannot set core_pattern: %s", strerror(errno));

	ASSERT_EQ(0, start_child(&c, core_child, NULL));
	pid = c.pid;
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	ASSERT_EQ(0, send_order(&c, 'x'));
	status = reap_child(&c, 60000);
	ASSERT_NE(-1, status) TH_LOG("the child did not dump core within 60 s");
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("child: %s", describe_status(status));
	EXPECT_EQ(SIGABRT, WTERMSIG(status));
	ASSERT_TRUE(WCOREDUMP(status)) TH_LOG("child: %s", describe_status(status));

	snprintf(file, sizeof(file), "%s/core.%d", self->dir, pid);
	ASSERT_EQ(0, access(file, R_OK)) TH_LOG("no core file %s", file);
	ASSERT_EQ(0, read_core_notes(file, &cn)) TH_LOG("cannot parse %s", file);
	TH_LOG("%d NT_PRSTATUS notes; the process had %d tasks", cn.nprstatus, rep.n);
	ASSERT_LE(1, cn.nprstatus);
	ASSERT_GE(MAX_TIDS, cn.nprstatus);

	/* The dumping thread first: the leader. */
	EXPECT_EQ(pid, cn.first.pr_pid);
	EXPECT_EQ(getpid(), cn.first.pr_ppid);
	EXPECT_EQ(getpgid(0), cn.first.pr_pgrp);
	EXPECT_EQ(getsid(0), cn.first.pr_sid);
	EXPECT_EQ(SIGABRT, cn.first.pr_cursig);
	for (i = 0; i < cn.nprstatus; i++) {
		if (cn.pids[i] == pid)
			found++;
		EXPECT_TRUE(tid_in(cn.pids[i], rep.tids, rep.n))
			TH_LOG("NT_PRSTATUS of %d, no task of the process", cn.pids[i]);
		for (j = 0; j < i; j++) {
			EXPECT_NE(cn.pids[j], cn.pids[i])
				TH_LOG("two NT_PRSTATUS notes of %d", cn.pids[i]);
		}
	}
	EXPECT_EQ(1, found);
	EXPECT_LE(cn.nprstatus, rep.n);

	/* The process's note describes the leader. */
	ASSERT_TRUE(cn.have_psinfo);
	EXPECT_EQ(pid, cn.psinfo.pr_pid);
	EXPECT_EQ(getpid(), cn.psinfo.pr_ppid);
	snprintf(fname, sizeof(fname), "%.16s", cn.psinfo.pr_fname);
	EXPECT_STREQ(CORE_COMM, fname);
}

/* ---- 8. Many handoffs ---- */

#define ROUNDS 200
/*
 * Each round's old head goes back to the pool after its completion was
 * posted, while the next round may already block: with one spare thread
 * more than a round needs, an old head has two rounds to park, also on a
 * loaded, emulated machine.
 */
#define REPEAT_THREADS	(POOL_THREADS + 1)

static void repeat_child(int rd, int wr, void *arg)
{
	pid_t pid = getpid(), before[MAX_TIDS], tids[MAX_TIDS];
	unsigned int slot = 0;
	long long start;
	struct read_atom r;
	int p[2], i, n, done = 0;

	REQUIRE(pipe(p) == 0);
	child_register(REPEAT_THREADS);
	n = list_tids(pid, before, MAX_TIDS);
	REQUIRE_EQ(1 + REPEAT_THREADS, n);
	start = stat_num("/proc/self/stat", STAT_STARTTIME);
	REQUIRE(start != LLONG_MIN);

	for (i = 0; i < ROUNDS; i++) {
		snprintf(child_context, sizeof(child_context), "round %d", i);
		hand_off(&r, p[0]);
		REQUIRE_EQ(pid, getpid());
		REQUIRE_EQ(pid, sys_gettid());
		complete_read(&r, p[1], &slot, 'a' + i % 26);
		done++;
	}
	child_context[0] = '\0';
	REQUIRE_EQ(ROUNDS, done);
	/* Nothing else was posted. */
	REQUIRE_EQ(0, sys_async_wait(0));
	for (i = 0; i < RING_SLOTS; i++)
		REQUIRE_EQ(0, ring[i]);
	/* The pool kept its size, and the process its TIDs and age. */
	REQUIRE_EQ(REPEAT_THREADS, wait_pool_threads(REPEAT_THREADS));
	REQUIRE_EQ(n, list_tids(pid, tids, MAX_TIDS));
	REQUIRE(!memcmp(before, tids, n * sizeof(*tids)));
	REQUIRE_EQ(start, stat_num("/proc/self/stat", STAT_STARTTIME));
	REQUIRE(sys_async_register(NULL, 0) == 0);
}

/* Tests that need more than the default 30 s on slow (emulated) machines. */
FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

/*
 * A single-threaded program hands off again and again: 200 blocking reads
 * each hand off (async_exec() returns 0), leave getpid() == gettid(), and
 * complete in the ring with their atom and result; the process keeps its
 * TIDs, its pool and its start time.
 */
TEST_F_TIMEOUT(slow, a_single_threaded_program_hands_off_again_and_again, 150)
{
	int status;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	status = run_child(repeat_child, NULL, 120000);
	EXPECT_EQ(0, status) TH_LOG("child: %s", describe_status(status));
}

/* ---- 10. The thread list after a handoff ---- */

/* The orders pipe, read by a sibling once the leader let it go. */
static int sibling_rd, sibling_go[2];

/*
 * A user thread of the child: the first waits for the order to end the
 * process with status 9, the second sleeps until then.
 */
static void *sibling_main(void *arg)
{
	char b;

	if (!arg) {
		for (;;)
			pause();
	}
	if (read(sibling_go[0], &b, 1) != 1)
		child_fail(__LINE__, "no go from the leader");
	child_await(sibling_rd, 'e');
	_exit(9);
}

/*
 * Two user threads made before the registration, so that the pool thread
 * that takes over comes after them in the thread list; then the leader
 * hands off, the parent stops and continues the process, and the leader
 * exits alone (SYS_exit).  A sibling ends the process later.
 */
static void threads_child(int rd, int wr, void *arg)
{
	struct read_atom r;
	pthread_t t[2];
	int p[2], i;

	REQUIRE(pipe(p) == 0 && pipe(sibling_go) == 0);
	sibling_rd = rd;
	for (i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, sibling_main, (void *)(long)i) == 0);
	child_register(1);
	hand_off(&r, p[0]);
	REQUIRE_EQ(getpid(), sys_gettid());
	child_report(wr, 'h', 0);
	child_await(rd, 'x');
	REQUIRE(write(sibling_go[1], "g", 1) == 1);
	syscall(SYS_exit, 0);
	child_fail(__LINE__, "SYS_exit returned");
}

/*
 * The thread that took over leads from the front of the thread list:
 * a group stop reaches every thread and ends, the leader that exits
 * alone stays a zombie until the last thread of the process is gone
 * (the parent reaps the pid with the sibling's exit status, not the
 * leader's), and nothing spins forever walking the threads.
 */
TEST(a_leader_that_handed_off_leads_the_threads_it_has)
{
	struct report rep;
	struct child c;
	char path[64];
	int status, i;
	pid_t r;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	ASSERT_EQ(0, start_child(&c, threads_child, NULL));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	/* The leader, the old one, the siblings and the other pool thread. */
	EXPECT_EQ(4, rep.n);
	/* A group stop and continue. */
	ASSERT_EQ(0, kill(c.pid, SIGSTOP));
	r = wait_state(c.pid, &status, WUNTRACED, MSG_TIMEOUT_MS);
	ASSERT_EQ(c.pid, r);
	EXPECT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, kill(c.pid, SIGCONT));
	r = wait_state(c.pid, &status, WCONTINUED, MSG_TIMEOUT_MS);
	ASSERT_EQ(c.pid, r);
	EXPECT_TRUE(WIFCONTINUED(status));
	/* The leader exits alone: a zombie, and the process is not reaped. */
	ASSERT_EQ(0, send_order(&c, 'x'));
	snprintf(path, sizeof(path), "/proc/%d/stat", c.pid);
	for (i = 0; i < 200 && stat_state(path) != 'Z'; i++)
		sleep_ms(10);
	EXPECT_EQ('Z', stat_state(path));
	EXPECT_EQ(0, waitpid(c.pid, &status, WNOHANG));
	/* A sibling ends the process: its status is the process's. */
	ASSERT_EQ(0, send_order(&c, 'e'));
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 9)
		TH_LOG("child: %s", describe_status(status));
}

/* ---- 11. Tracing the pid after a handoff ---- */

static void ptrace_child(int rd, int wr, void *arg)
{
	hand_off_and_await(rd, wr);
	_exit(0);
}

/*
 * A debugger that attaches to the pid after a handoff traces the thread
 * in user space: it stops and reports to the debugger's waitpid(pid).
 * The old leader and the pool threads (workers of the kernel under the
 * other TIDs) cannot be traced.
 */
TEST(a_debugger_attaches_to_the_pid_after_a_handoff)
{
	pid_t tids[MAX_TIDS];
	struct report rep;
	struct child c;
	int status, i, n, workers = 0;
	char scope[16];

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	if (read_text("/proc/sys/kernel/yama/ptrace_scope", scope, sizeof(scope)) > 0 &&
	    atoi(scope) >= 2)
		SKIP(return, "Yama's ptrace_scope %d forbids attaching", atoi(scope));
	ASSERT_EQ(0, start_child(&c, ptrace_child, NULL));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	ASSERT_NE(0, rep.aux);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, c.pid, 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, c.pid, 0, 0));
	ASSERT_EQ(c.pid, wait_state(c.pid, &status, __WALL, MSG_TIMEOUT_MS));
	EXPECT_TRUE(WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP)
		TH_LOG("wait status %#x", status);
	n = list_tids(c.pid, tids, MAX_TIDS);
	for (i = 0; i < n; i++) {
		if (tids[i] == c.pid)
			continue;
		workers++;
		errno = 0;
		EXPECT_EQ(-1, ptrace(PTRACE_SEIZE, tids[i], 0, 0));
		EXPECT_EQ(EPERM, errno) TH_LOG("tid %d", tids[i]);
	}
	EXPECT_EQ(POOL_THREADS, workers);
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, c.pid, 0, 0));
	ASSERT_EQ(0, send_order(&c, 'x'));
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child: %s", describe_status(status));
}

/* ---- 12. Yama's PR_SET_PTRACER exception across a handoff ---- */

#define YAMA_SCOPE	"/proc/sys/kernel/yama/ptrace_scope"

/*
 * Drops every capability: CAP_SYS_PTRACE passes Yama's checks, and
 * without it a tracer may only attach to a tracee whose permitted set is
 * a subset of its own (commoncap), so both sides go without.
 */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct none[2] = {};

	return syscall(SYS_capset, &hdr, none);
}

static void ptracer_child(int rd, int wr, void *arg)
{
	pid_t tracer = *(pid_t *)arg;

	REQUIRE(drop_capabilities() == 0);
	/* As a crash handler sets up, before any syslet runs. */
	REQUIRE(prctl(PR_SET_PTRACER, tracer, 0, 0, 0) == 0);
	hand_off_and_await(rd, wr);
	_exit(0);
}

/*
 * A process without capabilities that waits for a PID on the pipe at
 * *@go, seizes it, stops it and lets it go: it exits with 0 if it could,
 * with errno if the seize failed, with 100 + n if the n-th other step
 * failed.
 */
static pid_t start_attacher(int *go)
{
	pid_t pid, target;
	int p[2], status;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid) {
		close(p[0]);
		*go = p[1];
		if (pid < 0)
			close(p[1]);
		return pid;
	}
	close(p[1]);
	if (drop_capabilities())
		_exit(104);
	if (read(p[0], &target, sizeof(target)) != sizeof(target))
		_exit(100);
	if (ptrace(PTRACE_SEIZE, target, 0, 0))
		_exit(errno);
	if (ptrace(PTRACE_INTERRUPT, target, 0, 0))
		_exit(101);
	if (waitpid(target, &status, __WALL) != target || !WIFSTOPPED(status))
		_exit(102);
	if (ptrace(PTRACE_DETACH, target, 0, 0))
		_exit(103);
	_exit(0);
}

/* Sends @target to the attacher @pid and returns its exit code (or -1). */
static int attach_result(pid_t pid, int go, pid_t target)
{
	int status;

	if (write(go, &target, sizeof(target)) != sizeof(target))
		return -1;
	close(go);
	if (wait_state(pid, &status, 0, CHILD_TIMEOUT_MS) != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FIXTURE(yama) {
	char saved[16];		/* ptrace_scope as it was */
	bool restore;
};

FIXTURE_SETUP(yama)
{
	self->saved[0] = '\0';
	self->restore = false;
}

/* In the parent, whatever became of the test: ptrace_scope as it was. */
FIXTURE_TEARDOWN_PARENT(yama)
{
	if (self->restore && write_text(YAMA_SCOPE, self->saved))
		TH_LOG("cannot restore ptrace_scope \"%s\": %s", self->saved,
		       strerror(errno));
}

/*
 * Under Yama's ptrace_scope 1 only ancestors may attach, and the
 * processes that the tracee named with PR_SET_PTRACER.  The exception is
 * the process's, not its leader task's: after the leader handed off, the
 * tracer it named still attaches to the pid, while a process that it did
 * not name still cannot.
 */
TEST_F(yama, a_ptracer_named_before_a_handoff_still_attaches)
{
	pid_t tracer, other;
	int go_tracer, go_other, ret, status;
	struct report rep;
	struct child c;

	if (syslets_missing())
		SKIP(return, "%s", syslets_missing());
	if (read_text(YAMA_SCOPE, self->saved, sizeof(self->saved)) <= 0)
		SKIP(return, "no Yama (CONFIG_SECURITY_YAMA)");
	if (write_text(YAMA_SCOPE, "1"))
		SKIP(return, "cannot set Yama's ptrace_scope: %s", strerror(errno));
	self->restore = true;
	tracer = start_attacher(&go_tracer);
	ASSERT_LT(0, tracer);
	other = start_attacher(&go_other);
	ASSERT_LT(0, other);
	ASSERT_EQ(0, start_child(&c, ptracer_child, &tracer));
	ASSERT_TRUE(await_report(_metadata, &c, &rep, 'h'));
	ASSERT_NE(0, rep.aux);
	ret = attach_result(other, go_other, c.pid);
	EXPECT_EQ(EPERM, ret) TH_LOG("a process not named attached: %d", ret);
	ret = attach_result(tracer, go_tracer, c.pid);
	EXPECT_EQ(0, ret) TH_LOG("the named tracer could not attach: %d (%s)",
				 ret, ret > 0 && ret < 100 ? strerror(ret) : "step");
	ASSERT_EQ(0, send_order(&c, 'x'));
	status = reap_child(&c, CHILD_TIMEOUT_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child: %s", describe_status(status));
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], EXEC_CHECK))
		return exec_check(argv);
	return test_harness_run(argc, argv);
}
