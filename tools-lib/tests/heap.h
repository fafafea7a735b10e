/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * What the tests count to find leaks: blocks that syslet.h got from
 * calloc() and has not freed (the tests are linked with
 * -Wl,--wrap=calloc,--wrap=free, and heap.c counts), and open file
 * descriptors.  Also U64(), an argument as the kernel reads it.
 */
#ifndef __SYSLET_HEAP_H
#define __SYSLET_HEAP_H

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

#define U64(x)	((__u64)(uintptr_t)(x))

extern long heap_blocks;

void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *p);

static inline int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static inline int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

#endif /* __SYSLET_HEAP_H */
