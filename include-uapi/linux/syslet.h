/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Syslets: chains of system calls ("atoms") that the kernel runs without
 * returning to user space between them.
 *
 * Every structure here has fixed-width fields and the same layout on every
 * architecture, so no compat translation is ever needed.
 *
 * See Documentation/userspace-api/syslet.rst.
 */
#ifndef _UAPI_LINUX_SYSLET_H
#define _UAPI_LINUX_SYSLET_H

#include <linux/types.h>

/**
 * struct syslet_uatom - one system call of a syslet
 * @flags:	SYSLET_* flags below; unknown bits give -EINVAL.
 * @nr:		native system call number of the caller's ABI.
 * @ret_ptr:	__s64 __user *: the result is stored here; 0 discards it.
 * @next:	struct syslet_uatom __user *: the next atom; 0 ends the chain.
 * @arg_ptr:	__u64 __user * each: the arguments are loaded through these
 *		pointers when the atom runs (not when it is submitted).  The
 *		first 0 pointer ends the list; the remaining arguments are 0.
 * @private:	never read or written by the kernel.
 * @user_data:	the name of @private in C++, where "private" is a keyword.
 *
 * 80 bytes, 8-byte aligned.
 */
struct syslet_uatom {
	__u32	flags;
	__u32	nr;
	__u64	ret_ptr;
	__u64	next;
	__u64	arg_ptr[6];
#ifdef __cplusplus
	__u64	user_data;
#else
	__u64	private;
#endif
};

/* Hand off to a pool thread before running the first atom. */
#define SYSLET_ASYNC			0x00000001
/* Never hand off: the whole syslet runs in the caller. */
#define SYSLET_SYNC			0x00000002
/* Do not post this atom to the completion ring. */
#define SYSLET_NO_COMPLETE		0x00000004
/* End the chain if the result is != 0, == 0, < 0, <= 0 respectively. */
#define SYSLET_STOP_ON_NONZERO		0x00000008
#define SYSLET_STOP_ON_ZERO		0x00000010
#define SYSLET_STOP_ON_NEGATIVE		0x00000020
#define SYSLET_STOP_ON_NON_POSITIVE	0x00000040
/* On a stop, continue at the atom that follows in memory (atom + 1). */
#define SYSLET_SKIP_TO_NEXT_ON_STOP	0x00000080

/**
 * struct async_head_user - argument of async_register()
 * @completion_ring:	__u64 __user *: array of atom addresses, 8-byte
 *			aligned.  The kernel only turns a 0 slot into a
 *			non-zero one, in ring order; user space consumes a
 *			slot by reading it and storing 0.
 * @ring_size_bytes:	size of the ring: a non-zero multiple of 8.
 * @max_nr_threads:	pool limit for this registration; 0 = default (4, at
 *			most kernel.syslet_max_threads).
 * @flags:		ASYNC_HEAD_* flags below; unknown bits give -EINVAL.
 * @eventfd:		with ASYNC_HEAD_EVENTFD: an eventfd that the kernel
 *			signals every time it posts to the ring; else 0.
 * @reserved:		must be zero.
 */
struct async_head_user {
	__u64	completion_ring;
	__u64	ring_size_bytes;
	__u64	max_nr_threads;
	__u32	flags;
	__s32	eventfd;
	__u64	reserved[4];
};

/* @eventfd is valid: signal it on every post to the ring. */
#define ASYNC_HEAD_EVENTFD		0x00000001

#define ASYNC_HEAD_SIZE_VER0	64	/* sizeof first published struct */

/*
 * Completion ring entries: the address of an atom (8-byte aligned), with a
 * status in its low three bits.  0: the atom completed, its result is in
 * its ret_ptr.  SYSLET_RING_FAULT: an asynchronous chain ended on this atom
 * with -EFAULT (the atom, an argument or the result pointer faulted).
 * SYSLET_RING_INVAL: it ended on this atom because its flags are invalid.
 * A synchronous chain reports these as the return value of async_exec().
 */
#define SYSLET_RING_STATUS_MASK		7
#define SYSLET_RING_FAULT		1
#define SYSLET_RING_INVAL		2

#endif /* _UAPI_LINUX_SYSLET_H */
