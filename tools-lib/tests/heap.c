// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/* calloc() and free() wrappers that count the blocks in use (see heap.h). */
#include "heap.h"

long heap_blocks;

void *__wrap_calloc(size_t n, size_t size)
{
	void *p = __real_calloc(n, size);

	if (p)
		heap_blocks++;
	return p;
}

void __wrap_free(void *p)
{
	if (p)
		heap_blocks--;
	__real_free(p);
}
