// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/* Reads a file to its end with one system call: a syslet loop. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "syslet.h"

int main(int argc, char **argv)
{
	static char buf[4096];
	struct syslet_op ops[2];
	__u64 bytes = 0;
	int fd, ret;

	fd = open(argc > 1 ? argv[1] : "/proc/self/status", O_RDONLY);
	if (fd < 0)
		return 1;
	/* ops[0]: read(fd, buf, 4096); the loop ends at EOF or on an error */
	syslet_prep_read(&ops[0], fd, buf, sizeof(buf));
	syslet_op_set_flags(&ops[0], SYSLET_SYNC | SYSLET_STOP_ON_NON_POSITIVE);
	/* ops[1]: umem_add(&bytes, <what ops[0] returned>) */
	syslet_prep_umem_add(&ops[1], &bytes, 0);
	syslet_op_arg_ptr(&ops[1], 1, &ops[0].ret);
	syslet_loop(ops, 2);

	ret = syslet_exec(&ops[0], NULL);
	if (ret < 0) {
		fprintf(stderr, "async_exec: %s\n", strerror(-ret));
		return 1;
	}
	printf("%llu bytes; the last read returned %lld\n",
	       (unsigned long long)bytes, (long long)syslet_op_result(&ops[0]));
	close(fd);
	return syslet_op_result(&ops[0]) != 0;
}
