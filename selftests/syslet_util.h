/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SYSLET_UTIL_H
#define __SYSLET_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>
#include <linux/syslet.h>
#include <linux/time_types.h>

#ifndef __NR_umem_add
#define __NR_umem_add 473
#endif
#ifndef __NR_async_exec
#define __NR_async_exec 474
#endif
#ifndef __NR_async_register
#define __NR_async_register 475
#endif
#ifndef __NR_async_wait
#define __NR_async_wait 476
#endif

static inline long sys_umem_add(void *ptr, uint64_t inc)
{
	return syscall(__NR_umem_add, ptr, inc);
}

static inline long sys_async_exec(struct syslet_uatom *atom)
{
	return syscall(__NR_async_exec, atom);
}

static inline long sys_async_register(struct async_head_user *head,
				      unsigned long len)
{
	return syscall(__NR_async_register, head, len);
}

static inline long sys_async_wait(unsigned long min_events)
{
	return syscall(__NR_async_wait, min_events, NULL);
}

static inline long sys_async_wait_timeout(unsigned long min_events,
					  const struct __kernel_timespec *timeout)
{
	return syscall(__NR_async_wait, min_events, timeout);
}

/*
 * The errno of a system call that does not exist; also the result the
 * kernel stores for an atom whose system call it refuses to run.
 */
static inline int no_syscall_errno(void)
{
	errno = 0;
	syscall(100000);
	return errno;
}

/*
 * Fill @atom: system call @nr with @flags, result to @ret (may be NULL),
 * then @next (may be NULL), and @nargs argument pointers.
 */
static inline void init_atom(struct syslet_uatom *atom, unsigned int nr,
			     unsigned int flags, int64_t *ret,
			     struct syslet_uatom *next, int nargs, ...)
{
	va_list ap;
	int i;

	memset(atom, 0, sizeof(*atom));
	atom->nr = nr;
	atom->flags = flags;
	atom->ret_ptr = (uintptr_t)ret;
	atom->next = (uintptr_t)next;
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		atom->arg_ptr[i] = (uintptr_t)va_arg(ap, uint64_t *);
	va_end(ap);
}

#endif /* __SYSLET_UTIL_H */
