/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SYSLET_UTIL_H
#define __SYSLET_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>

/* tools/lib/syslet: system call numbers, wrappers, atoms, rings. */
#include "syslet.h"

/*
 * The tests check errno the way applications calling syscall(2) would:
 * these turn the library's negative errno returns into -1 and errno.
 * sys_umem_add() calls syscall(2) itself, since a new value in the errno
 * range is not an error (its tests look at exactly that).
 */
static inline long syslet_test_ret(long ret)
{
	if (ret < 0 && ret >= -4095) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static inline long sys_umem_add(void *ptr, uint64_t inc)
{
	return syscall(__NR_umem_add, ptr, inc);
}

static inline long sys_async_exec(struct syslet_uatom *atom)
{
	return syslet_test_ret(syslet_sys_async_exec(atom));
}

static inline long sys_async_register(struct async_head_user *head,
				      unsigned long len)
{
	return syslet_test_ret(syslet_sys_async_register(head, len));
}

static inline long sys_async_wait(unsigned long min_events)
{
	return syslet_test_ret(syslet_sys_async_wait(min_events, NULL));
}

static inline long sys_async_wait_timeout(unsigned long min_events,
					  const struct __kernel_timespec *timeout)
{
	return syslet_test_ret(syslet_sys_async_wait(min_events, timeout));
}

/*
 * The errno of a system call that does not exist; also the result the
 * kernel stores for an atom whose system call it refuses to run.
 */
static inline int no_syscall_errno(void)
{
	return -syslet_nosys();
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
