/* SPDX-License-Identifier: (LGPL-2.1 OR MIT) */
/*
 * Blocks that syslet.h got from calloc() and has not freed: the tests are
 * linked with -Wl,--wrap=calloc,--wrap=free, and heap.c counts.
 */
#ifndef __SYSLET_HEAP_H
#define __SYSLET_HEAP_H

#include <stddef.h>

extern long heap_blocks;

void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *p);

#endif /* __SYSLET_HEAP_H */
