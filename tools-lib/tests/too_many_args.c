// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * Must not compile: syslet_prep() with seven arguments.  With -DSIX (six
 * arguments) it must, which shows that the failure has no other cause.
 * Also built as C++ (-x c++).
 */
#include "syslet.h"

int prep(struct syslet_op *op)
{
#ifdef SIX
	return syslet_prep(op, __NR_write, 0, 1, 2, 3, 4, 5, 6);
#else
	return syslet_prep(op, __NR_write, 0, 1, 2, 3, 4, 5, 6, 7);
#endif
}
