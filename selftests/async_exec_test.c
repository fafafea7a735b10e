// SPDX-License-Identifier: GPL-2.0
/*
 * async_exec(), synchronous behaviour: chains of real system calls, stop
 * flags, branching, loops, every error case, the allowlist, seccomp, the
 * sysctl and signals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "syslet_util.h"

#define SYSCTL_PATH "/proc/sys/kernel/syslet_disabled"

/* A kernel with async_exec() faults on a NULL atom (or says it is disabled). */
static bool have_async_exec(void)
{
	return sys_async_exec(NULL) == -1 && (errno == EFAULT || errno == EPERM);
}

#define ASYNC_EXEC_MISSING "async_exec() not supported"

/* async_exec() returns the address of the atom the chain ended on. */
#define EXPECT_ENDS_AT(atom, ret) EXPECT_EQ((long)(uintptr_t)(atom), (ret))

#define EXPECT_EXEC_ERR(atom, err)					\
	do {								\
		errno = 0;						\
		EXPECT_EQ(-1, sys_async_exec(atom));			\
		EXPECT_EQ(err, errno);					\
	} while (0)

static uint64_t u(const void *p)
{
	return (uintptr_t)p;
}

/* A page that faults on any access. */
static void *bad_page(void)
{
	void *p = mmap(NULL, getpagesize(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

TEST(chain_of_real_syscalls)
{
	char path[] = "/tmp/syslet_chain.XXXXXX";
	static const char msg[] = "syslets run chains of system calls";
	char buf[64] = { 0 };
	uint64_t dirfd = (uint64_t)AT_FDCWD, pathp, oflags, mode;
	uint64_t fd, bufp, rbufp, len, zero = 0, whence = SEEK_SET;
	int64_t r_open = 1, r_write = 1, r_seek = 1, r_read = 1, r_close = 1;
	struct syslet_uatom a[5];
	int tmp;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	tmp = mkstemp(path);
	ASSERT_GE(tmp, 0);
	close(tmp);
	pathp = u(path);
	oflags = O_RDWR | O_TRUNC;
	mode = 0600;
	bufp = u(msg);
	rbufp = u(buf);
	len = sizeof(msg);

	/* openat -> write -> lseek -> read -> close, fd passed through r_open. */
	init_atom(&a[0], __NR_openat, SYSLET_STOP_ON_NEGATIVE, &r_open, &a[1], 4,
		  &dirfd, &pathp, &oflags, &mode);
	init_atom(&a[1], __NR_write, 0, &r_write, &a[2], 3, &r_open, &bufp, &len);
	init_atom(&a[2], __NR_lseek, 0, &r_seek, &a[3], 3, &r_open, &zero, &whence);
	init_atom(&a[3], __NR_read, 0, &r_read, &a[4], 3, &r_open, &rbufp, &len);
	init_atom(&a[4], __NR_close, 0, &r_close, NULL, 1, &r_open);
	(void)fd;

	EXPECT_ENDS_AT(&a[4], sys_async_exec(&a[0]));
	EXPECT_GE(r_open, 0);
	EXPECT_EQ(sizeof(msg), r_write);
	EXPECT_EQ(0, r_seek);
	EXPECT_EQ(sizeof(msg), r_read);
	EXPECT_EQ(0, r_close);
	EXPECT_STREQ(msg, buf);
	/* The descriptor really is closed. */
	EXPECT_EQ(-1, fcntl((int)r_open, F_GETFD));
	unlink(path);
}

TEST(stop_flags_on_real_results)
{
	static const struct {
		unsigned int flag;
		unsigned int nr;	/* getpid > 0, close(-1) < 0, sched_yield == 0 */
		int stops;
	} cases[] = {
		{ SYSLET_STOP_ON_NONZERO,	__NR_getpid,		1 },
		{ SYSLET_STOP_ON_NONZERO,	__NR_sched_yield,	0 },
		{ SYSLET_STOP_ON_NONZERO,	__NR_close,		1 },
		{ SYSLET_STOP_ON_ZERO,		__NR_sched_yield,	1 },
		{ SYSLET_STOP_ON_ZERO,		__NR_getpid,		0 },
		{ SYSLET_STOP_ON_NEGATIVE,	__NR_close,		1 },
		{ SYSLET_STOP_ON_NEGATIVE,	__NR_sched_yield,	0 },
		{ SYSLET_STOP_ON_NEGATIVE,	__NR_getpid,		0 },
		{ SYSLET_STOP_ON_NON_POSITIVE,	__NR_sched_yield,	1 },
		{ SYSLET_STOP_ON_NON_POSITIVE,	__NR_close,		1 },
		{ SYSLET_STOP_ON_NON_POSITIVE,	__NR_getpid,		0 },
	};
	uint64_t minus_one = (uint64_t)-1;
	int64_t r0, r1;
	struct syslet_uatom a[2];
	unsigned int i;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct syslet_uatom *end = &a[1];
		int64_t r1_want = getpid();

		if (cases[i].stops) {
			end = &a[0];
			r1_want = 12345;
		}
		r0 = 12345;
		r1 = 12345;
		init_atom(&a[0], cases[i].nr, cases[i].flag, &r0, &a[1], 1, &minus_one);
		init_atom(&a[1], __NR_getpid, 0, &r1, NULL, 0);
		EXPECT_ENDS_AT(end, sys_async_exec(&a[0])) TH_LOG("case %u", i);
		EXPECT_NE(12345, r0);
		EXPECT_EQ(r1_want, r1) TH_LOG("case %u", i);
	}
}

TEST(skip_to_next_on_stop_branches)
{
	uint64_t minus_one = (uint64_t)-1;
	int64_t r_branch, r_taken = 0, r_other = 0;
	struct syslet_uatom a[3];

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	/* close(-1) fails: the stop continues at a[1] instead of next = a[2]. */
	init_atom(&a[0], __NR_close, SYSLET_STOP_ON_NEGATIVE | SYSLET_SKIP_TO_NEXT_ON_STOP,
		  &r_branch, &a[2], 1, &minus_one);
	init_atom(&a[1], __NR_getpid, 0, &r_taken, NULL, 0);
	init_atom(&a[2], __NR_getpid, 0, &r_other, NULL, 0);
	EXPECT_ENDS_AT(&a[1], sys_async_exec(&a[0]));
	EXPECT_EQ(-EBADF, r_branch);
	EXPECT_EQ(getpid(), r_taken);
	EXPECT_EQ(0, r_other);

	/* getpid succeeds: no stop, so the chain follows next to a[2]. */
	r_taken = 0;
	r_other = 0;
	init_atom(&a[0], __NR_getpid, SYSLET_STOP_ON_NEGATIVE | SYSLET_SKIP_TO_NEXT_ON_STOP,
		  &r_branch, &a[2], 0);
	EXPECT_ENDS_AT(&a[2], sys_async_exec(&a[0]));
	EXPECT_EQ(0, r_taken);
	EXPECT_EQ(getpid(), r_other);
}

TEST(read_until_eof_loop)
{
	char path[] = "/tmp/syslet_loop.XXXXXX";
	const uint64_t size = 100000;
	uint64_t fd, bufp, chunk = 4096, total = 0, totalp, reads = 0, readsp, one = 1;
	int64_t r_read;
	struct syslet_uatom a[3];
	char *buf, *data;
	int tmp;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	data = malloc(size);
	buf = malloc(chunk);
	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, buf);
	memset(data, 'x', size);
	tmp = mkstemp(path);
	ASSERT_GE(tmp, 0);
	unlink(path);
	ASSERT_EQ(size, write(tmp, data, size));
	ASSERT_EQ(0, lseek(tmp, 0, SEEK_SET));
	fd = tmp;
	bufp = u(buf);
	totalp = u(&total);
	readsp = u(&reads);

	/* loop: r = read(fd, buf, 4096); stop if r <= 0; total += r; reads++ */
	init_atom(&a[0], __NR_read, SYSLET_STOP_ON_NON_POSITIVE, &r_read, &a[1], 3,
		  &fd, &bufp, &chunk);
	init_atom(&a[1], __NR_umem_add, 0, NULL, &a[2], 2, &totalp, &r_read);
	init_atom(&a[2], __NR_umem_add, 0, NULL, &a[0], 2, &readsp, &one);

	EXPECT_ENDS_AT(&a[0], sys_async_exec(&a[0]));
	EXPECT_EQ(0, r_read);
	EXPECT_EQ(size, total);
	EXPECT_EQ((size + chunk - 1) / chunk, reads);
	close(tmp);
	free(data);
	free(buf);
}

TEST(arguments_are_loaded_when_the_atom_runs)
{
	uint64_t counter = 10, counterp = u(&counter), inc = 5;
	int64_t r_add, r_copy;
	struct syslet_uatom a[2];

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	/* a[1] reads inc through its pointer after a[0] changed it. */
	init_atom(&a[0], __NR_umem_add, 0, &r_add, &a[1], 2, &counterp, &inc);
	init_atom(&a[1], __NR_umem_add, 0, &r_copy, NULL, 2, &counterp, &counter);
	EXPECT_ENDS_AT(&a[1], sys_async_exec(&a[0]));
	EXPECT_EQ(15, r_add);
	EXPECT_EQ(30, r_copy);
	EXPECT_EQ(30, counter);
}

TEST(null_first_argument_pointer_ends_the_list)
{
	uint64_t dirfd = (uint64_t)AT_FDCWD, pathp = u("/"), flags = O_RDONLY | O_DIRECTORY;
	int64_t r_open;
	struct syslet_uatom a;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	/* arg_ptr[1] is 0: openat(AT_FDCWD, NULL, ...) faults in openat. */
	init_atom(&a, __NR_openat, 0, &r_open, NULL, 3, &dirfd, NULL, &flags);
	a.arg_ptr[2] = u(&flags);
	EXPECT_ENDS_AT(&a, sys_async_exec(&a));
	EXPECT_EQ(-EFAULT, r_open);
	/* With the path, the same atom opens "/". */
	init_atom(&a, __NR_openat, 0, &r_open, NULL, 3, &dirfd, &pathp, &flags);
	EXPECT_ENDS_AT(&a, sys_async_exec(&a));
	EXPECT_GE(r_open, 0);
	close(r_open);
}

TEST(bad_atom_pointers_are_efault)
{
	void *bad = bad_page();
	int64_t r0 = 0;
	struct syslet_uatom a[2];

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	ASSERT_NE(NULL, bad);
	EXPECT_EXEC_ERR(NULL, EFAULT);
	EXPECT_EXEC_ERR(bad, EFAULT);
	EXPECT_EXEC_ERR((void *)(1UL << 63), EFAULT);
	/* A bad next mid-chain: the first atom's result stays written. */
	init_atom(&a[0], __NR_getpid, 0, &r0, bad, 0);
	EXPECT_EXEC_ERR(&a[0], EFAULT);
	EXPECT_EQ(getpid(), r0);
	/* An atom that straddles into an inaccessible page. */
	init_atom(&a[0], __NR_getpid, 0, &r0, (void *)((char *)bad - 8), 0);
	EXPECT_EXEC_ERR(&a[0], EFAULT);
	munmap(bad, getpagesize());
}

TEST(bad_argument_pointer_is_efault_and_skips_the_call)
{
	uint64_t counter = 0, counterp = u(&counter), one = 1;
	void *bad = bad_page();
	int64_t r0 = 7, r1 = 7;
	struct syslet_uatom a[2];

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	ASSERT_NE(NULL, bad);
	init_atom(&a[0], __NR_umem_add, 0, &r0, &a[1], 2, &counterp, &one);
	init_atom(&a[1], __NR_umem_add, 0, &r1, NULL, 2, &counterp, bad);
	EXPECT_EXEC_ERR(&a[0], EFAULT);
	EXPECT_EQ(1, r0);
	EXPECT_EQ(7, r1);
	EXPECT_EQ(1, counter);
	munmap(bad, getpagesize());
}

TEST(bad_result_pointer_is_efault_after_the_call)
{
	uint64_t counter = 0, counterp = u(&counter), one = 1;
	void *bad = bad_page();
	int64_t r1 = 7;
	struct syslet_uatom a[2];

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	ASSERT_NE(NULL, bad);
	init_atom(&a[0], __NR_umem_add, 0, bad, &a[1], 2, &counterp, &one);
	init_atom(&a[1], __NR_getpid, 0, &r1, NULL, 0);
	EXPECT_EXEC_ERR(&a[0], EFAULT);
	/* The call ran, the chain did not go on. */
	EXPECT_EQ(1, counter);
	EXPECT_EQ(7, r1);
	munmap(bad, getpagesize());
}

TEST(invalid_flags_are_einval)
{
	static const unsigned int bad_flags[] = {
		0x100, 0x80000000, SYSLET_ASYNC | SYSLET_SYNC,
	};
	int64_t r0, r1;
	struct syslet_uatom a[2];
	unsigned int i;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		r0 = 7;
		r1 = 7;
		init_atom(&a[0], __NR_getpid, 0, &r0, &a[1], 0);
		init_atom(&a[1], __NR_getpid, bad_flags[i], &r1, NULL, 0);
		EXPECT_EXEC_ERR(&a[0], EINVAL);
		EXPECT_EQ(getpid(), r0);
		EXPECT_EQ(7, r1);
	}
	/* Each of ASYNC and SYNC alone is valid. */
	init_atom(&a[0], __NR_getpid, SYSLET_SYNC, &r0, NULL, 0);
	EXPECT_ENDS_AT(&a[0], sys_async_exec(&a[0]));
	init_atom(&a[0], __NR_getpid, SYSLET_ASYNC, &r0, NULL, 0);
	EXPECT_GE(sys_async_exec(&a[0]), 0);
}

TEST(syscalls_off_the_allowlist_are_enosys)
{
	static const unsigned int denied[] = {
#ifdef __NR_fork
		__NR_fork,
#endif
#ifdef __NR_vfork
		__NR_vfork,
#endif
		__NR_clone, __NR_clone3, __NR_execve, __NR_execveat,
		__NR_exit, __NR_exit_group, __NR_rt_sigreturn, __NR_ptrace,
		__NR_ioctl, __NR_async_exec, __NR_unshare, __NR_setuid,
		__NR_prctl, __NR_seccomp, __NR_rt_sigprocmask, 100000,
	};
	uint64_t zero = 0;
	int64_t r0, r1;
	struct syslet_uatom a[2];
	unsigned int i;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	for (i = 0; i < ARRAY_SIZE(denied); i++) {
		r0 = 7;
		r1 = 7;
		init_atom(&a[0], denied[i], 0, &r0, &a[1], 6, &zero, &zero, &zero,
			  &zero, &zero, &zero);
		init_atom(&a[1], __NR_getpid, 0, &r1, NULL, 0);
		EXPECT_ENDS_AT(&a[0], sys_async_exec(&a[0])) TH_LOG("nr %u", denied[i]);
		EXPECT_EQ(-no_syscall_errno(), r0) TH_LOG("nr %u", denied[i]);
		EXPECT_EQ(7, r1) TH_LOG("nr %u", denied[i]);
	}
}

/* Install a filter that applies @action to @nr and allows everything else. */
static int install_filter(unsigned int nr, unsigned int action)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Runs @fn in a child; returns its wait status. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int seccomp_errno_child(void)
{
	uint64_t dirfd = (uint64_t)AT_FDCWD, pathp = u("/"), flags = O_RDONLY;
	int64_t r = 0;
	struct syslet_uatom a;

	if (install_filter(__NR_openat, SECCOMP_RET_ERRNO | EACCES))
		return 10;
	/* The direct call is denied... */
	if (openat(AT_FDCWD, "/", O_RDONLY) != -1 || errno != EACCES)
		return 11;
	/* ... and so is the atom, with the same errno. */
	init_atom(&a, __NR_openat, 0, &r, NULL, 3, &dirfd, &pathp, &flags);
	if (sys_async_exec(&a) != (long)u(&a))
		return 12;
	return r == -EACCES ? 0 : 13;
}

static int seccomp_trap_child(void)
{
	int64_t r0 = 0, r1 = 7;
	struct syslet_uatom a[2];

	signal(SIGSYS, SIG_DFL);
	if (install_filter(__NR_getppid, SECCOMP_RET_TRAP))
		return 10;
	/* RET_TRAP needs a real system call entry: the atom is refused. */
	init_atom(&a[0], __NR_getppid, 0, &r0, &a[1], 0);
	init_atom(&a[1], __NR_getpid, 0, &r1, NULL, 0);
	if (sys_async_exec(&a[0]) != (long)u(&a[0]))
		return 11;
	return r0 == -no_syscall_errno() && r1 == 7 ? 0 : 12;
}

static int seccomp_kill_child(void)
{
	int64_t r0 = 0;
	struct syslet_uatom a;

	if (install_filter(__NR_getppid, SECCOMP_RET_KILL_PROCESS))
		return 10;
	init_atom(&a, __NR_getppid, 0, &r0, NULL, 0);
	sys_async_exec(&a);
	return 11;	/* not reached */
}

TEST(seccomp_filters_see_every_atom)
{
	int status;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	status = in_child(seccomp_errno_child);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	status = in_child(seccomp_trap_child);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	status = in_child(seccomp_kill_child);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSYS, WTERMSIG(status));
}

static int write_sysctl(const char *val)
{
	int fd = open(SYSCTL_PATH, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static int unprivileged_exec_child(void)
{
	int64_t r = 0;
	struct syslet_uatom a;

	if (setresuid(65534, 65534, 65534))
		return 10;
	init_atom(&a, __NR_getpid, 0, &r, NULL, 0);
	if (sys_async_exec(&a) == (long)u(&a))
		return 0;
	return errno == EPERM ? 1 : 11;
}

TEST(sysctl_disables_syslets)
{
	int64_t r = 0;
	struct syslet_uatom a;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	if (getuid() != 0 || access(SYSCTL_PATH, W_OK))
		SKIP(return, "needs root and " SYSCTL_PATH);
	init_atom(&a, __NR_getpid, 0, &r, NULL, 0);

	ASSERT_EQ(0, write_sysctl("2"));
	EXPECT_EXEC_ERR(&a, EPERM);
	EXPECT_EQ(0, r);
	EXPECT_EQ(1, WEXITSTATUS(in_child(unprivileged_exec_child)));

	ASSERT_EQ(0, write_sysctl("1"));
	EXPECT_ENDS_AT(&a, sys_async_exec(&a));
	EXPECT_EQ(1, WEXITSTATUS(in_child(unprivileged_exec_child)));

	ASSERT_EQ(0, write_sysctl("0"));
	EXPECT_EQ(0, WEXITSTATUS(in_child(unprivileged_exec_child)));
	EXPECT_EQ(-1, write_sysctl("3"));
}

/* Set by the handler; atomics keep the compiler from caching it. */
static int got_alarm;

static void on_alarm(int sig)
{
	__atomic_store_n(&got_alarm, 1, __ATOMIC_RELAXED);
}

static int alarm_seen(void)
{
	return __atomic_load_n(&got_alarm, __ATOMIC_RELAXED);
}

TEST(signal_ends_a_long_loop_so_the_handler_runs)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	uint64_t count = 0, countp = u(&count), one = 1;
	struct syslet_uatom a[2];
	long ret;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	/* An endless loop: count++; getpid; repeat. */
	init_atom(&a[0], __NR_umem_add, 0, NULL, &a[1], 2, &countp, &one);
	init_atom(&a[1], __NR_getpid, 0, NULL, &a[0], 0);
	__atomic_store_n(&got_alarm, 0, __ATOMIC_RELAXED);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ret = sys_async_exec(&a[0]);
	/* It ends at an atom boundary, on the last atom that ran. */
	EXPECT_TRUE(ret == (long)u(&a[0]) || ret == (long)u(&a[1])) TH_LOG("ret %ld", ret);
	EXPECT_EQ(1, alarm_seen());
	EXPECT_GT(count, 0);
	signal(SIGALRM, SIG_DFL);
}

TEST(interrupted_atom_fails_with_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	uint64_t fd, bufp, len = 1;
	int64_t r_read = 0, r_next = 7;
	struct syslet_uatom a[2];
	int pipefd[2];
	char c;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	fd = pipefd[0];
	bufp = u(&c);
	/* A read from an empty pipe blocks until the alarm interrupts it. */
	init_atom(&a[0], __NR_read, SYSLET_SYNC, &r_read, &a[1], 3, &fd, &bufp, &len);
	init_atom(&a[1], __NR_getpid, 0, &r_next, NULL, 0);
	__atomic_store_n(&got_alarm, 0, __ATOMIC_RELAXED);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ENDS_AT(&a[0], sys_async_exec(&a[0]));
	EXPECT_EQ(-EINTR, r_read);
	EXPECT_EQ(7, r_next);
	EXPECT_EQ(1, alarm_seen());
	signal(SIGALRM, SIG_DFL);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST(sigkill_ends_an_endless_loop)
{
	struct timespec delay = { .tv_nsec = 200 * 1000 * 1000 };
	struct syslet_uatom a;
	int status;
	pid_t pid;

	if (!have_async_exec())
		SKIP(return, ASYNC_EXEC_MISSING);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* getpid forever, with every signal but SIGKILL blocked. */
		sigset_t all;

		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		init_atom(&a, __NR_getpid, 0, NULL, &a, 0);
		sys_async_exec(&a);
		_exit(1);
	}
	nanosleep(&delay, NULL);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
}

TEST_HARNESS_MAIN
