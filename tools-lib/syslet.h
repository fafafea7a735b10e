/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * Header-only helpers for syslets, chains of system calls ("atoms") that
 * the kernel runs without returning to user space between them: atoms
 * that carry their own argument values and result, chains and loops, the
 * completion ring, and the raw system calls.
 *
 * Conventions (as in liburing): functions return >= 0 on success or a
 * negative errno value, and never change errno.
 *
 * A syslet_op, a syslet_branch and a ring's slots are read and written by
 * the kernel while a syslet runs: they must stay in place (no copying, no
 * freeing) until the chain that uses them has ended.
 *
 * Only x86_64 and arm64 have the system calls; elsewhere the wrappers
 * return -ENOSYS.  With a strict -std=c99/c11, define _DEFAULT_SOURCE (or
 * _GNU_SOURCE) before the first #include, for syscall() and timespec.
 * C++ users need C++11.
 *
 * See Documentation/userspace-api/syslet.rst and the README next to this
 * file.
 */
#ifndef __LIBSYSLET_SYSLET_H
#define __LIBSYSLET_SYSLET_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <linux/time_types.h>

#include <linux/syslet.h>

/*
 * struct syslet_uatom's "private" field is "user_data" in C++, where
 * "private" is a keyword.  SYSLET__PRIVATE names it in both languages.
 */
#ifdef __cplusplus
#define SYSLET__PRIVATE	user_data
#else
#define SYSLET__PRIVATE	private
#endif

#if (defined(__x86_64__) && !defined(__ILP32__)) || defined(__aarch64__)
#ifndef __NR_umem_add
#define __NR_umem_add		473
#endif
#ifndef __NR_async_exec
#define __NR_async_exec		474
#endif
#ifndef __NR_async_register
#define __NR_async_register	475
#endif
#ifndef __NR_async_wait
#define __NR_async_wait		476
#endif
#endif

/* Elsewhere: an invalid system call number, which the kernel refuses. */
#ifdef __NR_umem_add
#define SYSLET__NR_UMEM_ADD		__NR_umem_add
#define SYSLET__NR_ASYNC_EXEC		__NR_async_exec
#define SYSLET__NR_ASYNC_REGISTER	__NR_async_register
#define SYSLET__NR_ASYNC_WAIT		__NR_async_wait
#else
#define SYSLET__NR_UMEM_ADD		(-1L)
#define SYSLET__NR_ASYNC_EXEC		(-1L)
#define SYSLET__NR_ASYNC_REGISTER	(-1L)
#define SYSLET__NR_ASYNC_WAIT		(-1L)
#endif

/* Compile-time check usable at file scope in C99 and C++. */
#ifdef __cplusplus
#define SYSLET__STATIC_CHECK(name, cond) static_assert(cond, #name)
#else
#define SYSLET__STATIC_CHECK(name, cond) \
	extern int syslet__check_##name[(cond) ? 1 : -1]
#endif

/* syscall()'s -1/errno convention turned into a negative errno. */
static inline long syslet__ret(long ret, int saved_errno)
{
	if (ret == -1) {
		ret = -errno;
		errno = saved_errno;
	}
	return ret;
}

/*
 * Raw system calls
 */

/**
 * syslet_sys_umem_add() - umem_add(): atomically add to a user counter
 * @ptr: 8-byte aligned counter
 * @inc: value to add (modulo 2^64)
 *
 * Return: the new value of *@ptr as a long, or -EINVAL (unaligned),
 * -EFAULT, -ENOSYS.  The system call returns a full 64-bit value in a
 * register that also carries errors: a new value whose s64 reading lies
 * in [-4095, -1] cannot be told from an error (glibc's syscall() and any
 * other wrapper have the same ambiguity).  Keep counters below 2^64 - 4095
 * to avoid it; other values that read as negative are the new value cast
 * to long: cast them back to __u64.
 */
static inline long syslet_sys_umem_add(__u64 *ptr, __u64 inc)
{
	int saved_errno = errno;

	return syslet__ret(syscall(SYSLET__NR_UMEM_ADD, ptr, (unsigned long)inc),
			   saved_errno);
}

/**
 * syslet_sys_async_exec() - async_exec(): run the chain starting at @atom
 * @atom: first atom
 *
 * Return: the address of the atom the chain ended on (it completed in the
 * caller), 0 (it went asynchronous: completions arrive in the ring), or a
 * negative errno.  See syslet_exec() for a friendlier interface.
 */
static inline long syslet_sys_async_exec(struct syslet_uatom *atom)
{
	int saved_errno = errno;

	return syslet__ret(syscall(SYSLET__NR_ASYNC_EXEC, atom), saved_errno);
}

/**
 * syslet_sys_async_register() - async_register(): (un)register a ring
 * @head: ring and pool limit; NULL unregisters
 * @len: sizeof(*@head); 0 with a NULL @head
 *
 * The registration belongs to the calling thread.
 *
 * Return: 0 or a negative errno.
 */
static inline long syslet_sys_async_register(struct async_head_user *head,
					     unsigned long len)
{
	int saved_errno = errno;

	return syslet__ret(syscall(SYSLET__NR_ASYNC_REGISTER, head, len),
			   saved_errno);
}

/**
 * syslet_sys_async_wait() - async_wait(): wait for ring completions
 * @min_events: completions to wait for; 0 polls
 * @timeout: relative CLOCK_MONOTONIC interval; NULL waits without a limit
 *
 * Return: the number of completions available (in the calling thread's
 * ring and waiting in the kernel for a free slot), -ETIME when @timeout
 * passed first, -EINTR on a signal, -EINVAL without a registration, or
 * another negative errno.
 */
static inline long syslet_sys_async_wait(unsigned long min_events,
					 const struct __kernel_timespec *timeout)
{
	int saved_errno = errno;

	return syslet__ret(syscall(SYSLET__NR_ASYNC_WAIT, min_events, timeout),
			   saved_errno);
}

/**
 * syslet_nosys() - the error of a system call this kernel does not have
 *
 * Usually -ENOSYS, but a seccomp filter (a container runtime's, say) can
 * make unknown system calls fail with another errno.  A syslet call that
 * fails with this error means "no syslets here" (a kernel built without
 * CONFIG_SYSLET, or an architecture without them); it is also the result
 * the kernel stores for an atom whose system call it refuses to run.
 *
 * Return: the negative errno of a system call that does not exist.
 */
static inline int syslet_nosys(void)
{
	int saved_errno = errno;

	return (int)syslet__ret(syscall(100000L), saved_errno);
}

/**
 * syslet_umem_add() - same as syslet_sys_umem_add(), including its
 * ambiguity for new values in [2^64 - 4095, 2^64 - 1]
 * @ptr: 8-byte aligned counter
 * @inc: value to add
 *
 * Return: the new value as a long, or a negative errno.
 */
static inline long syslet_umem_add(__u64 *ptr, __u64 inc)
{
	return syslet_sys_umem_add(ptr, inc);
}

/*
 * Atoms with their own storage
 */

/**
 * struct syslet_op - an atom with storage for its argument values and result
 * @atom: the atom; what the kernel reads, links and posts
 * @args: argument values; @atom.arg_ptr[i] points to @args[i] unless
 *	  syslet_op_arg_ptr() redirected it
 * @ret: the result; @atom.ret_ptr points here
 *
 * An op points into itself: it must not be copied or moved once prepared.
 * The kernel never reads @args or @ret as an atom, but SKIP_TO_NEXT_ON_STOP
 * would: see struct syslet_branch.
 */
struct syslet_op {
	struct syslet_uatom	atom;
	__u64			args[6];
	__s64			ret;
};

SYSLET__STATIC_CHECK(atom_size, sizeof(struct syslet_uatom) == 80);
SYSLET__STATIC_CHECK(op_atom_first, offsetof(struct syslet_op, atom) == 0);
SYSLET__STATIC_CHECK(op_size, sizeof(struct syslet_op) == 136);

/*
 * The result of an op that has not run yet: INT64_MIN.  Errors are
 * -4095..-1, and no system call an atom may run returns INT64_MIN but an
 * umem_add() whose counter becomes 2^63.
 */
#define SYSLET_RET_UNSET	((__s64)(-0x7fffffffffffffffLL - 1))

/* Flags the kernel refuses with -EINVAL: an atom that could not be prepared. */
#define SYSLET__BAD_FLAGS	(SYSLET_ASYNC | SYSLET_SYNC)

/**
 * syslet_prep_array() - prepare an op from an array of argument values
 * @op: the op
 * @nr: system call number (__NR_*) of the caller's ABI
 * @flags: SYSLET_* atom flags
 * @nargs: number of arguments, at most 6
 * @vals: @nargs argument values (may be NULL when @nargs is 0)
 *
 * Copies the values into @op->args, points @op->atom.arg_ptr[0..@nargs-1]
 * at them and @op->atom.ret_ptr at @op->ret, presets @op->ret to
 * SYSLET_RET_UNSET, and clears @op->atom.next and @op->atom.private.
 * Most callers want the syslet_prep() macro.
 *
 * Return: 0, or -EINVAL when @nargs > 6; @op then has invalid flags, so
 * that running it fails with -EINVAL rather than with missing arguments.
 */
static inline int syslet_prep_array(struct syslet_op *op, unsigned int nr,
				    unsigned int flags, unsigned int nargs,
				    const __u64 *vals)
{
	__u64 v[6];
	unsigned int i;

	if (nargs <= 6 && nargs)
		memcpy(v, vals, nargs * sizeof(*v));	/* @vals may be @op->args */
	memset(op, 0, sizeof(*op));
	op->atom.nr = nr;
	op->atom.ret_ptr = (uintptr_t)&op->ret;
	op->ret = SYSLET_RET_UNSET;
	if (nargs > 6) {
		op->atom.flags = SYSLET__BAD_FLAGS;
		return -EINVAL;
	}
	op->atom.flags = flags;
	for (i = 0; i < nargs; i++) {
		op->args[i] = v[i];
		op->atom.arg_ptr[i] = (uintptr_t)&op->args[i];
	}
	return 0;
}

#define SYSLET__U64(x)		((__u64)(uintptr_t)(x))

/* Argument values as a temporary: a compound literal in C. */
struct syslet__vals {
	__u64	v[6];
};

#ifdef __cplusplus
#define SYSLET__VALS(...)	((syslet__vals{ { __VA_ARGS__ } }).v)
#else
#define SYSLET__VALS(...)	(((struct syslet__vals){ { __VA_ARGS__ } }).v)
#endif

#define SYSLET__PREP0(op, nr, f)					\
	syslet_prep_array((op), (nr), (f), 0, SYSLET__VALS(0))
#define SYSLET__PREP1(op, nr, f, a)					\
	syslet_prep_array((op), (nr), (f), 1, SYSLET__VALS(SYSLET__U64(a)))
#define SYSLET__PREP2(op, nr, f, a, b)					\
	syslet_prep_array((op), (nr), (f), 2,				\
			  SYSLET__VALS(SYSLET__U64(a), SYSLET__U64(b)))
#define SYSLET__PREP3(op, nr, f, a, b, c)				\
	syslet_prep_array((op), (nr), (f), 3,				\
			  SYSLET__VALS(SYSLET__U64(a), SYSLET__U64(b),	\
				       SYSLET__U64(c)))
#define SYSLET__PREP4(op, nr, f, a, b, c, d)				\
	syslet_prep_array((op), (nr), (f), 4,				\
			  SYSLET__VALS(SYSLET__U64(a), SYSLET__U64(b),	\
				       SYSLET__U64(c), SYSLET__U64(d)))
#define SYSLET__PREP5(op, nr, f, a, b, c, d, e)				\
	syslet_prep_array((op), (nr), (f), 5,				\
			  SYSLET__VALS(SYSLET__U64(a), SYSLET__U64(b),	\
				       SYSLET__U64(c), SYSLET__U64(d),	\
				       SYSLET__U64(e)))
#define SYSLET__PREP6(op, nr, f, a, b, c, d, e, g)			\
	syslet_prep_array((op), (nr), (f), 6,				\
			  SYSLET__VALS(SYSLET__U64(a), SYSLET__U64(b),	\
				       SYSLET__U64(c), SYSLET__U64(d),	\
				       SYSLET__U64(e), SYSLET__U64(g)))
/* "negative width in bit-field 'syslet_prep_takes_at_most_6_arguments'" */
#define SYSLET__PREP_TOO_MANY(...)					\
	((int)sizeof(struct { int syslet_prep_takes_at_most_6_arguments : -1; }))
/* The 14th argument: SYSLET__PREPn for n arguments after the flags. */
#define SYSLET__PICK(f, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, \
		     m, ...)						\
	SYSLET__FIRST(m, f, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12)
#define SYSLET__FIRST(m, ...)	m

/**
 * syslet_prep() - prepare an op for a system call and its argument values
 * @op: the op
 * @nr: system call number (__NR_*) of the caller's ABI
 * @...: the SYSLET_* atom flags, then up to six argument values
 *
 * syslet_prep(op, nr, flags, args...) is syslet_prep_array() with the
 * arguments counted and each converted to __u64 as the kernel reads it
 * (integers of any width and sign, pointers).  Each is evaluated once and
 * copied: the op does not refer to the caller's variables.  More than six
 * arguments do not compile.
 *
 * Return: 0.
 */
#define syslet_prep(op, nr, ...)					\
	SYSLET__PICK(__VA_ARGS__, SYSLET__PREP_TOO_MANY,		\
		     SYSLET__PREP_TOO_MANY, SYSLET__PREP_TOO_MANY,	\
		     SYSLET__PREP_TOO_MANY, SYSLET__PREP_TOO_MANY,	\
		     SYSLET__PREP_TOO_MANY, SYSLET__PREP6, SYSLET__PREP5, \
		     SYSLET__PREP4, SYSLET__PREP3, SYSLET__PREP2,	\
		     SYSLET__PREP1, SYSLET__PREP0, ~)(op, nr, __VA_ARGS__)

/**
 * syslet_prep_raw() - prepare an atom whose arguments live elsewhere
 * @atom: the atom
 * @nr: system call number
 * @flags: SYSLET_* atom flags
 * @ret: where the result goes; NULL discards it
 * @nargs: number of arguments, at most 6
 * @ptrs: @nargs pointers to the 8-byte argument values, read when the atom
 *	  runs; none may be NULL (the kernel ends the list at the first 0)
 *
 * Clears @atom->next and @atom->private.
 *
 * Return: 0, or -EINVAL (too many arguments, a NULL pointer); @atom then
 * has invalid flags.
 */
static inline int syslet_prep_raw(struct syslet_uatom *atom, unsigned int nr,
				  unsigned int flags, __s64 *ret,
				  unsigned int nargs, __u64 *const ptrs[])
{
	unsigned int i;

	memset(atom, 0, sizeof(*atom));
	atom->nr = nr;
	atom->flags = SYSLET__BAD_FLAGS;
	atom->ret_ptr = (uintptr_t)ret;
	if (nargs > 6)
		return -EINVAL;
	for (i = 0; i < nargs; i++) {
		if (!ptrs[i])
			return -EINVAL;
		atom->arg_ptr[i] = (uintptr_t)ptrs[i];
	}
	atom->flags = flags;
	return 0;
}

/**
 * syslet_op_arg_ptr() - read argument @i through another location
 * @op: a prepared op
 * @i: argument index, 0..5
 * @where: 8-byte value read when the atom runs, e.g. &other_op->ret to
 *	   pass a result on (a read's byte count to a write), or a counter
 *	   that umem_add() atoms change in a loop
 *
 * The kernel ends the argument list at the first 0 pointer, so arguments
 * must be contiguous: @i may be at most the op's argument count.
 *
 * Return: 0, or -EINVAL (@i out of range or past a gap, @where NULL).
 */
static inline int syslet_op_arg_ptr(struct syslet_op *op, unsigned int i,
				    const void *where)
{
	if (i >= 6 || !where || (i && !op->atom.arg_ptr[i - 1]))
		return -EINVAL;
	op->atom.arg_ptr[i] = (uintptr_t)where;
	return 0;
}

/**
 * syslet_op_set_flags() - replace the atom flags of @op
 * @op: the op
 * @flags: SYSLET_* flags
 */
static inline void syslet_op_set_flags(struct syslet_op *op, unsigned int flags)
{
	op->atom.flags = flags;
}

/**
 * syslet_op_add_flags() - add atom flags to @op
 * @op: the op
 * @flags: SYSLET_* flags
 */
static inline void syslet_op_add_flags(struct syslet_op *op, unsigned int flags)
{
	op->atom.flags |= flags;
}

/**
 * syslet_op_result() - the result stored in @op
 * @op: the op
 *
 * A relaxed atomic load: the ring entry (syslet_ring_peek()) or the
 * return of async_exec() orders it after the kernel's store.
 *
 * Return: the system call's result (a negative errno on failure), or
 * SYSLET_RET_UNSET if the atom has not run since it was prepared.
 */
static inline __s64 syslet_op_result(const struct syslet_op *op)
{
	return __atomic_load_n(&op->ret, __ATOMIC_RELAXED);
}

/*
 * Typed helpers: syslet_prep() with atom flags 0 (see syslet_op_set_flags()).
 * Argument values are copied into the op; buffers and structures passed by
 * address must stay valid until the atom has run.
 */

/**
 * syslet_prep_read() - prepare read(@fd, @buf, @len)
 * @op: the op
 * @fd: file descriptor
 * @buf: destination
 * @len: size of @buf
 */
static inline void syslet_prep_read(struct syslet_op *op, int fd, void *buf,
				    size_t len)
{
	syslet_prep(op, __NR_read, 0, fd, buf, len);
}

/**
 * syslet_prep_write() - prepare write(@fd, @buf, @len)
 * @op: the op
 * @fd: file descriptor
 * @buf: source
 * @len: bytes to write
 */
static inline void syslet_prep_write(struct syslet_op *op, int fd,
				     const void *buf, size_t len)
{
	syslet_prep(op, __NR_write, 0, fd, buf, len);
}

/**
 * syslet_prep_pread() - prepare pread64(@fd, @buf, @len, @off)
 * @op: the op
 * @fd: file descriptor
 * @buf: destination
 * @len: size of @buf
 * @off: file offset
 */
static inline void syslet_prep_pread(struct syslet_op *op, int fd, void *buf,
				     size_t len, __s64 off)
{
	syslet_prep(op, __NR_pread64, 0, fd, buf, len, off);
}

/**
 * syslet_prep_pwrite() - prepare pwrite64(@fd, @buf, @len, @off)
 * @op: the op
 * @fd: file descriptor
 * @buf: source
 * @len: bytes to write
 * @off: file offset
 */
static inline void syslet_prep_pwrite(struct syslet_op *op, int fd,
				      const void *buf, size_t len, __s64 off)
{
	syslet_prep(op, __NR_pwrite64, 0, fd, buf, len, off);
}

/**
 * syslet_prep_openat() - prepare openat(@dfd, @path, @flags, @mode)
 * @op: the op
 * @dfd: directory file descriptor or AT_FDCWD
 * @path: path name
 * @flags: O_* flags
 * @mode: permissions of a new file
 */
static inline void syslet_prep_openat(struct syslet_op *op, int dfd,
				      const char *path, int flags,
				      unsigned int mode)
{
	syslet_prep(op, __NR_openat, 0, dfd, path, flags, mode);
}

/**
 * syslet_prep_close() - prepare close(@fd)
 * @op: the op
 * @fd: file descriptor
 */
static inline void syslet_prep_close(struct syslet_op *op, int fd)
{
	syslet_prep(op, __NR_close, 0, fd);
}

/**
 * syslet_prep_fsync() - prepare fsync(@fd)
 * @op: the op
 * @fd: file descriptor
 */
static inline void syslet_prep_fsync(struct syslet_op *op, int fd)
{
	syslet_prep(op, __NR_fsync, 0, fd);
}

/**
 * syslet_prep_getpid() - prepare getpid()
 * @op: the op
 */
static inline void syslet_prep_getpid(struct syslet_op *op)
{
	syslet_prep(op, __NR_getpid, 0);
}

/**
 * syslet_prep_nanosleep() - prepare nanosleep(@req, @rem)
 * @op: the op
 * @req: interval; read when the atom runs
 * @rem: remaining time on -EINTR; may be NULL
 *
 * Where nanosleep() does not exist (arm64): clock_nanosleep() on
 * CLOCK_MONOTONIC, the clock nanosleep() measures with.
 */
static inline void syslet_prep_nanosleep(struct syslet_op *op,
					 const struct __kernel_timespec *req,
					 struct __kernel_timespec *rem)
{
#ifdef __NR_nanosleep
	syslet_prep(op, __NR_nanosleep, 0, req, rem);
#else
	syslet_prep(op, __NR_clock_nanosleep, 0, CLOCK_MONOTONIC, 0, req, rem);
#endif
}

/**
 * syslet_prep_sendto() - prepare sendto()
 * @op: the op
 * @fd: socket
 * @buf: data
 * @len: size of the data
 * @msg_flags: MSG_* flags
 * @addr: destination address, or NULL
 * @addrlen: size of *@addr
 */
static inline void syslet_prep_sendto(struct syslet_op *op, int fd,
				      const void *buf, size_t len,
				      int msg_flags, const void *addr,
				      unsigned int addrlen)
{
	syslet_prep(op, __NR_sendto, 0, fd, buf, len, msg_flags, addr,
		    addrlen);
}

/**
 * syslet_prep_recvfrom() - prepare recvfrom()
 * @op: the op
 * @fd: socket
 * @buf: destination
 * @len: size of @buf
 * @msg_flags: MSG_* flags
 * @addr: where the source address goes, or NULL
 * @addrlen: size of *@addr in, size of the address out; NULL with @addr
 */
static inline void syslet_prep_recvfrom(struct syslet_op *op, int fd,
					void *buf, size_t len, int msg_flags,
					void *addr, unsigned int *addrlen)
{
	syslet_prep(op, __NR_recvfrom, 0, fd, buf, len, msg_flags, addr,
		    addrlen);
}

#ifdef __NR_umem_add
/**
 * syslet_prep_umem_add() - prepare umem_add(@ptr, @inc)
 * @op: the op
 * @ptr: 8-byte aligned counter
 * @inc: value to add; redirect argument 1 with syslet_op_arg_ptr() to add
 *	 another atom's result instead
 */
static inline void syslet_prep_umem_add(struct syslet_op *op, __u64 *ptr,
					__u64 inc)
{
	syslet_prep(op, __NR_umem_add, 0, ptr, inc);
}
#endif

/*
 * Chains
 */

/**
 * syslet_link() - make @b run after @a
 * @a: the op
 * @b: its successor; NULL ends the chain at @a
 */
static inline void syslet_link(struct syslet_op *a, struct syslet_op *b)
{
	a->atom.next = b ? (uintptr_t)&b->atom : 0;
}

/**
 * syslet_link_atom() - make @next run after @a
 * @a: the op
 * @next: any atom, e.g. &branch->atom; NULL ends the chain at @a
 */
static inline void syslet_link_atom(struct syslet_op *a,
				    struct syslet_uatom *next)
{
	a->atom.next = (uintptr_t)next;
}

/**
 * syslet_chain() - link @ops[0] .. @ops[@n - 1] in order, ending at the last
 * @ops: the ops
 * @n: how many
 */
static inline void syslet_chain(struct syslet_op *ops, unsigned int n)
{
	unsigned int i;

	for (i = 0; i + 1 < n; i++)
		syslet_link(&ops[i], &ops[i + 1]);
	if (n)
		syslet_link(&ops[n - 1], NULL);
}

/**
 * syslet_loop() - link @ops[0] .. @ops[@n - 1] in order, then back to @ops[0]
 * @ops: the ops
 * @n: how many
 *
 * A loop runs until an atom stops it (SYSLET_STOP_ON_*), an atom fails to
 * run (-EFAULT, invalid flags, a refused system call), or the task gets a
 * fatal signal; a synchronous loop also ends at an atom boundary when a
 * signal is pending.
 */
static inline void syslet_loop(struct syslet_op *ops, unsigned int n)
{
	syslet_chain(ops, n);
	if (n)
		syslet_link(&ops[n - 1], &ops[0]);
}

/**
 * struct syslet_branch - a conditional step (SYSLET_SKIP_TO_NEXT_ON_STOP)
 * @atom: a copy of the tested op's atom, with SYSLET_SKIP_TO_NEXT_ON_STOP
 * @on_stop: @atom + 1 in memory, where the kernel continues on a stop: a
 *	     getpid() atom with SYSLET_NO_COMPLETE that jumps to the on_stop op
 *
 * On a stop the kernel continues at the atom that follows the stopping one
 * in memory.  In a struct syslet_op that is @args, not the next op of an
 * array: never set SYSLET_SKIP_TO_NEXT_ON_STOP on an op itself.  A branch
 * lays out the two atoms as the kernel needs them; see
 * syslet_prep_branch().  (An array of plain struct syslet_uatom prepared
 * with syslet_prep_raw() also has each atom's successor right after it.)
 */
struct syslet_branch {
	struct syslet_uatom	atom;
	struct syslet_uatom	on_stop;
};

/**
 * syslet_prep_branch() - run @test, then @then, or @on_stop if @test stopped
 * @b: the branch: link to &@b->atom (syslet_link_atom()) or start the
 *     chain there (syslet_exec_atom()), not to @test
 * @test: a prepared op with a SYSLET_STOP_ON_* flag.  Its atom is copied:
 *	  later changes to @test's flags, arguments or link are not seen.
 *	  Its arguments and result stay in @test.
 * @then: where the chain continues if @test does not stop; NULL ends it
 * @on_stop: where the chain continues if @test stops
 *
 * The jump to @on_stop is a getpid() atom (the ABI has no atom that runs
 * no system call): seccomp and audit see it, the ring does not.  Ring
 * entries and async_exec() report &@b->atom for @test; syslet_op_of()
 * maps it back to @test.
 *
 * Return: 0, or -EINVAL (NULL @test or @on_stop, no STOP_ON flag in @test).
 */
static inline int syslet_prep_branch(struct syslet_branch *b,
				     const struct syslet_op *test,
				     struct syslet_op *then,
				     struct syslet_op *on_stop)
{
	const unsigned int stop = SYSLET_STOP_ON_NONZERO | SYSLET_STOP_ON_ZERO |
				  SYSLET_STOP_ON_NEGATIVE |
				  SYSLET_STOP_ON_NON_POSITIVE;

	if (!test || !on_stop || !(test->atom.flags & stop))
		return -EINVAL;
	b->atom = test->atom;
	b->atom.flags |= SYSLET_SKIP_TO_NEXT_ON_STOP;
	b->atom.next = then ? (uintptr_t)&then->atom : 0;
	b->atom.SYSLET__PRIVATE = (uintptr_t)test;
	memset(&b->on_stop, 0, sizeof(b->on_stop));
	b->on_stop.nr = __NR_getpid;
	b->on_stop.flags = SYSLET_NO_COMPLETE;
	b->on_stop.next = (uintptr_t)&on_stop->atom;
	b->on_stop.SYSLET__PRIVATE = (uintptr_t)on_stop;
	return 0;
}

/**
 * syslet_op_of() - the op an atom reported by the kernel belongs to
 * @atom: an atom of a struct syslet_op or a struct syslet_branch
 *
 * Atoms that syslet_prep() prepared have a 0 @private field and are found
 * by their position in the op; branch atoms name their op in @private.
 * The library therefore owns @private of the atoms it prepares: to attach
 * data to an op, embed the op in a structure of your own.
 *
 * Return: the op.  @atom must not be NULL (like container_of()).
 */
static inline struct syslet_op *syslet_op_of(struct syslet_uatom *atom)
{
	if (atom->SYSLET__PRIVATE)
		return (struct syslet_op *)(uintptr_t)atom->SYSLET__PRIVATE;
	return (struct syslet_op *)((char *)atom -
				    offsetof(struct syslet_op, atom));
}

/*
 * Execution
 */

/* syslet_exec() results */
#define SYSLET_EXEC_ASYNC	0	/* went asynchronous: see the ring */
#define SYSLET_EXEC_DONE	1	/* the whole chain ran in the caller */

/**
 * syslet_exec_atom() - run the chain that starts at @atom
 * @atom: first atom (of an op, a branch, or prepared by syslet_prep_raw())
 * @end: if not NULL, set to the atom the chain ended on with
 *	 SYSLET_EXEC_DONE, else to NULL
 *
 * Return: SYSLET_EXEC_DONE when the chain completed in the caller (no
 * ring entry is posted for it); SYSLET_EXEC_ASYNC when an atom blocked and
 * a pool thread returned here in the caller's place (same thread ID): the
 * chain goes on in the background and posts to the calling thread's ring;
 * or a negative errno: -EINVAL (invalid flags), -EFAULT (an atom, argument
 * or result pointer faulted; results stored before that stay stored),
 * -ENOSYS (no syslets in this kernel).
 */
static inline int syslet_exec_atom(struct syslet_uatom *atom,
				   struct syslet_uatom **end)
{
	long ret = syslet_sys_async_exec(atom);

	if (end)
		*end = ret > 0 ? (struct syslet_uatom *)(uintptr_t)ret : NULL;
	if (ret < 0)
		return (int)ret;
	return ret ? SYSLET_EXEC_DONE : SYSLET_EXEC_ASYNC;
}

/**
 * syslet_exec() - run the chain that starts at @op
 * @op: first op
 * @end: see syslet_exec_atom(); syslet_op_of(*@end) is the last op run
 *
 * Return: see syslet_exec_atom().
 */
static inline int syslet_exec(struct syslet_op *op, struct syslet_uatom **end)
{
	return syslet_exec_atom(&op->atom, end);
}

/*
 * Completion ring
 *
 * A ring is registered for the calling thread: create, wait on and exit
 * it in that thread (a pool thread that took over keeps its thread ID, so
 * that is still the same thread).  A thread has one registration:
 * registering a second ring replaces the first, so exit the old ring
 * before.  Consume a ring from one thread at a time.
 */

/**
 * struct syslet_ring - a registered completion ring
 * @slots: the ring, @nslots __u64 entries
 * @nslots: number of slots
 * @head: next slot to consume
 * @eventfd: eventfd the kernel signals on every post, or -1
 * @int_flags: SYSLET__RING_* (library-internal state)
 */
struct syslet_ring {
	__u64		*slots;
	unsigned int	nslots;
	unsigned int	head;
	int		eventfd;
	unsigned int	int_flags;
};

#define SYSLET__RING_REGISTERED		0x1U
#define SYSLET__RING_CLOSING		0x2U	/* unregistered */
#define SYSLET__RING_OWNS_MEM		0x4U
#define SYSLET__RING_OWNS_EVENTFD	0x8U

/* syslet_ring_init() flags: create and register an eventfd */
#define SYSLET_RING_INIT_EVENTFD	0x1U

static inline void syslet__ring_clear(struct syslet_ring *r)
{
	memset(r, 0, sizeof(*r));
	r->eventfd = -1;
}

/**
 * syslet_ring_init_mem() - register a ring in caller-provided memory
 * @r: the ring
 * @slots: @entries 8-byte aligned slots, not in use by another ring; they
 *	   are cleared
 * @entries: number of slots (the kernel caps the ring at 64 KiB)
 * @max_threads: pool threads for this registration; 0 = kernel default
 * @eventfd: an eventfd for the kernel to signal on every post, or -1.  It
 *	     stays the caller's: syslet_ring_exit() does not close it.
 *
 * Fails with -EBUSY while syslets of the thread's previous registration
 * are in flight.
 *
 * Return: 0 or a negative errno; @r is then empty.
 */
static inline int syslet_ring_init_mem(struct syslet_ring *r, __u64 *slots,
				       unsigned int entries,
				       unsigned int max_threads, int eventfd)
{
	struct async_head_user head;
	long ret;

	syslet__ring_clear(r);
	if (!slots || ((uintptr_t)slots & 7) || !entries)
		return -EINVAL;
	memset(slots, 0, (size_t)entries * sizeof(*slots));
	memset(&head, 0, sizeof(head));
	head.completion_ring = (uintptr_t)slots;
	head.ring_size_bytes = (__u64)entries * sizeof(*slots);
	head.max_nr_threads = max_threads;
	if (eventfd >= 0) {
		head.flags = ASYNC_HEAD_EVENTFD;
		head.eventfd = eventfd;
	}
	ret = syslet_sys_async_register(&head, sizeof(head));
	if (ret < 0)
		return (int)ret;
	r->slots = slots;
	r->nslots = entries;
	r->eventfd = eventfd >= 0 ? eventfd : -1;
	r->int_flags = SYSLET__RING_REGISTERED;
	return 0;
}

/**
 * syslet_ring_init() - allocate and register a ring
 * @r: the ring
 * @entries: number of slots (the kernel caps the ring at 64 KiB)
 * @max_threads: pool threads for this registration; 0 = kernel default
 * @flags: 0 or SYSLET_RING_INIT_EVENTFD: also create an eventfd
 *	   (close-on-exec, non-blocking) that the kernel signals on every
 *	   post; see syslet_ring_eventfd()
 *
 * Return: 0 or a negative errno; @r is then empty and nothing leaks.
 */
static inline int syslet_ring_init(struct syslet_ring *r, unsigned int entries,
				   unsigned int max_threads, unsigned int flags)
{
	int saved_errno = errno;
	int efd = -1, ret;
	__u64 *slots;

	syslet__ring_clear(r);
	if ((flags & ~SYSLET_RING_INIT_EVENTFD) || !entries)
		return -EINVAL;
	slots = (__u64 *)calloc(entries, sizeof(*slots));
	if (!slots) {
		errno = saved_errno;
		return -ENOMEM;
	}
	if (flags & SYSLET_RING_INIT_EVENTFD) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd < 0) {
			ret = -errno;
			free(slots);
			errno = saved_errno;
			return ret;
		}
	}
	ret = syslet_ring_init_mem(r, slots, entries, max_threads, efd);
	if (ret) {
		if (efd >= 0)
			close(efd);
		free(slots);
		errno = saved_errno;
		return ret;
	}
	r->int_flags |= SYSLET__RING_OWNS_MEM;
	if (efd >= 0)
		r->int_flags |= SYSLET__RING_OWNS_EVENTFD;
	return 0;
}

/**
 * syslet_ring_exit() - unregister a ring and free what the library owns
 * @r: the ring
 *
 * Syslets in flight still finish and post to the ring after it was
 * unregistered, so its memory is freed only once the kernel is done with
 * it: until then this returns -EBUSY and keeps the memory and the eventfd.
 * Go on consuming the ring (a completion waiting for a free slot keeps its
 * syslet in flight; syslet_ring_wait() still works while one is) and call
 * this again.  Once the last one is done, syslet_ring_wait() fails with
 * -EINVAL like without a registration; entries still in the ring stay
 * there for syslet_ring_peek() until this frees it.
 *
 * Return: 0, -EBUSY (syslets in flight; the ring is unregistered and no
 * new syslet can use it), -EINVAL (@r is not registered, or this thread
 * has no registration), or another negative errno from async_register().
 */
static inline int syslet_ring_exit(struct syslet_ring *r)
{
	int saved_errno;
	long ret;

	if (!(r->int_flags & SYSLET__RING_REGISTERED))
		return -EINVAL;
	if (!(r->int_flags & SYSLET__RING_CLOSING)) {
		ret = syslet_sys_async_register(NULL, 0);
		if (ret < 0)
			return (int)ret;
		r->int_flags |= SYSLET__RING_CLOSING;
	}
	/* Once nothing is in flight, the thread has no registration left. */
	ret = syslet_sys_async_wait(0, NULL);
	if (ret != -EINVAL)
		return -EBUSY;
	saved_errno = errno;
	if (r->int_flags & SYSLET__RING_OWNS_EVENTFD)
		close(r->eventfd);
	if (r->int_flags & SYSLET__RING_OWNS_MEM)
		free(r->slots);
	errno = saved_errno;
	syslet__ring_clear(r);
	return 0;
}

/**
 * syslet_ring_eventfd() - the eventfd the kernel signals on every post
 * @r: the ring
 *
 * Return: the file descriptor, or -1 if @r has none.
 */
static inline int syslet_ring_eventfd(const struct syslet_ring *r)
{
	return r->eventfd;
}

/**
 * syslet_ring_peek() - the next ring entry, in ring order
 * @r: the ring
 *
 * A load-acquire: the entry's atom's result is visible once the entry is.
 * The entry stays in the ring until syslet_ring_seen().
 *
 * Return: the entry (see syslet_entry_*()), or 0 if the slot is empty.
 */
static inline __u64 syslet_ring_peek(struct syslet_ring *r)
{
	if (!r->nslots)
		return 0;
	return __atomic_load_n(&r->slots[r->head], __ATOMIC_ACQUIRE);
}

/**
 * syslet_ring_seen() - consume the entry syslet_ring_peek() returned
 * @r: the ring
 *
 * Read the entry's result before: the slot is freed with a store-release,
 * after which the kernel may reuse it.  Does nothing on an empty slot, so
 * that the library never gets out of step with the kernel's ring order.
 */
static inline void syslet_ring_seen(struct syslet_ring *r)
{
	if (!r->nslots ||
	    !__atomic_load_n(&r->slots[r->head], __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&r->slots[r->head], 0, __ATOMIC_RELEASE);
	if (++r->head == r->nslots)
		r->head = 0;
}

/**
 * syslet_ring_ready() - entries ready to consume, without a system call
 * @r: the ring
 *
 * Completions waiting in the kernel for a free slot are not counted; see
 * syslet_ring_wait().
 *
 * Return: the number of consecutive occupied slots from the head.
 */
static inline unsigned int syslet_ring_ready(const struct syslet_ring *r)
{
	unsigned int n = 0, i = r->head;

	while (n < r->nslots &&
	       __atomic_load_n(&r->slots[i], __ATOMIC_RELAXED)) {
		n++;
		if (++i == r->nslots)
			i = 0;
	}
	return n;
}

/*
 * syslet_ring_for_each(r, e) - for each ring entry @e (a __u64 variable),
 * in ring order, until the ring is empty.  Each entry is consumed after
 * the body ran (also on "continue"); on "break" it stays in the ring.  The
 * body must not call syslet_ring_seen().
 */
#define syslet_ring_for_each(r, e)					\
	for (struct syslet_ring *syslet__r = (r);			\
	     ((e) = syslet_ring_peek(syslet__r)) != 0;			\
	     syslet_ring_seen(syslet__r))

/**
 * syslet_entry_atom() - the atom a ring entry reports
 * @e: the entry
 *
 * Return: the atom; see syslet_op_of().
 */
static inline struct syslet_uatom *syslet_entry_atom(__u64 e)
{
	return (struct syslet_uatom *)(uintptr_t)(e &
					~(__u64)SYSLET_RING_STATUS_MASK);
}

/**
 * syslet_entry_status() - the status bits of a ring entry
 * @e: the entry
 *
 * Return: 0 (completed), SYSLET_RING_FAULT, SYSLET_RING_INVAL, or a value
 * this header does not know (3..7).
 */
static inline unsigned int syslet_entry_status(__u64 e)
{
	return (unsigned int)(e & SYSLET_RING_STATUS_MASK);
}

/**
 * syslet_entry_error() - the status of a ring entry as an errno
 * @e: the entry
 *
 * Return: 0 when the atom completed (its result, possibly a negative
 * errno of its own, is in its ret_ptr); -EFAULT when the chain ended on it
 * with a fault; -EINVAL when it ended on it because of invalid flags;
 * -EPROTO for a status this header does not know (a newer kernel).
 */
static inline int syslet_entry_error(__u64 e)
{
	switch (syslet_entry_status(e)) {
	case 0:
		return 0;
	case SYSLET_RING_FAULT:
		return -EFAULT;
	case SYSLET_RING_INVAL:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

/**
 * syslet_timespec_to_kernel() - convert a timeout for async_wait()
 * @kts: the kernel's timespec
 * @ts: the C library's timespec
 *
 * Values are copied as they are: the kernel rejects a negative tv_sec or
 * a tv_nsec outside [0, 999999999] with -EINVAL.
 */
static inline void syslet_timespec_to_kernel(struct __kernel_timespec *kts,
					     const struct timespec *ts)
{
	kts->tv_sec = ts->tv_sec;
	kts->tv_nsec = ts->tv_nsec;
}

/**
 * syslet_ring_wait() - wait for completions
 * @r: the ring (registered by the calling thread)
 * @min: completions to wait for; 0 polls
 * @timeout: relative CLOCK_MONOTONIC interval; NULL waits without a limit
 *
 * Also posts completions waiting in the kernel to free slots.
 *
 * Return: the number of completions available, -ETIME when @timeout
 * passed first, -EINTR on a signal, -EINVAL when @r is not registered, or
 * another negative errno (-EFAULT: the ring is broken).
 */
static inline int syslet_ring_wait(struct syslet_ring *r, unsigned int min,
				   const struct timespec *timeout)
{
	struct __kernel_timespec kts;

	if (!(r->int_flags & SYSLET__RING_REGISTERED))
		return -EINVAL;
	if (!timeout)
		return (int)syslet_sys_async_wait(min, NULL);
	syslet_timespec_to_kernel(&kts, timeout);
	return (int)syslet_sys_async_wait(min, &kts);
}

/**
 * syslet_ring_flush() - let completions that wait in the kernel in
 * @r: the ring (registered by the calling thread)
 *
 * A completion that found the ring full waits in the kernel (its syslet
 * waits with it) and is posted by the next async_wait() or async_exec(),
 * not when user space frees a slot.  An event loop that only polls the
 * eventfd calls this after a pass that consumed entries, at least when
 * the pass found the ring full; it is cheap when nothing waits.  Also
 * tells of a broken ring.
 *
 * Return: the number of completions available (see syslet_ring_wait()),
 * or a negative errno: -EFAULT when the ring is broken (register again),
 * -EINVAL when @r is not registered.
 */
static inline int syslet_ring_flush(struct syslet_ring *r)
{
	return syslet_ring_wait(r, 0, NULL);
}

/**
 * syslet_ring_drain_eventfd() - reset the ring's eventfd
 * @r: the ring
 *
 * For event loops: once the eventfd polled readable, drain it, then
 * consume the ring, then syslet_ring_flush().  The kernel also signals
 * the eventfd once when the ring breaks: an empty ring after a wakeup
 * means syslet_ring_flush() will say -EFAULT.  An eventfd passed to
 * syslet_ring_init_mem() should be non-blocking (EFD_NONBLOCK), else this
 * blocks while its count is 0.
 *
 * Return: the number of posts since the last drain (at most INT_MAX), 0 if
 * none, -EINVAL if @r has no eventfd, or another negative errno.
 */
static inline int syslet_ring_drain_eventfd(struct syslet_ring *r)
{
	int saved_errno = errno, ret;
	__u64 count;
	ssize_t n;

	if (r->eventfd < 0)
		return -EINVAL;
	do {
		n = read(r->eventfd, &count, sizeof(count));
	} while (n < 0 && errno == EINTR);
	if (n == sizeof(count))
		ret = count > INT_MAX ? INT_MAX : (int)count;
	else if (n >= 0)
		ret = -EIO;
	else if (errno == EAGAIN)
		ret = 0;
	else
		ret = -errno;
	errno = saved_errno;
	return ret;
}

#endif /* __LIBSYSLET_SYSLET_H */
