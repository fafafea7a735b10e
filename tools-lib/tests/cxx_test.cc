// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * syslet.h from C++: syslet_prep() is a variadic template there; check that
 * it converts arguments as the C macro does.
 */
#include "syslet.h"
#include "tap.h"

#define U64(x)	((__u64)(uintptr_t)(x))

static void prep_converts_arguments(void)
{
	struct syslet_op op;
	int neg = -100;
	unsigned int u = 0xffffffffu;

	EXPECT(syslet_prep(&op, __NR_write, SYSLET_SYNC, neg, u, &op, nullptr,
			   -1LL, 'x') == 0);
	EXPECT(op.atom.nr == __NR_write && op.atom.flags == SYSLET_SYNC);
	EXPECT(op.args[0] == 0xffffffffffffff9cULL && op.args[1] == 0xffffffffULL);
	EXPECT(op.args[2] == U64(&op) && op.args[3] == 0 &&
	       op.args[4] == ~0ULL && op.args[5] == 'x');
	EXPECT(op.atom.arg_ptr[5] == U64(&op.args[5]));
	EXPECT(op.ret == SYSLET_RET_UNSET && syslet_op_of(&op.atom) == &op);
	EXPECT(syslet_prep(&op, __NR_getpid, 0) == 0);
	EXPECT(op.atom.arg_ptr[0] == 0 && op.atom.nr == __NR_getpid);
}

static void typed_helpers_and_ring(void)
{
	struct syslet_op ops[2];
	struct syslet_ring r;
	__u64 slots[2] = { 0, 0 }, e;
	char buf[8];
	int n = 0;

	syslet_prep_read(&ops[0], 3, buf, sizeof(buf));
	syslet_prep_close(&ops[1], 3);
	syslet_chain(ops, 2);
	EXPECT(ops[0].args[1] == U64(buf) && ops[0].atom.next == U64(&ops[1].atom));
	memset(&r, 0, sizeof(r));
	r.slots = slots;
	r.nslots = 2;
	slots[0] = U64(&ops[1].atom) | SYSLET_RING_FAULT;
	syslet_ring_for_each(&r, e) {
		EXPECT(syslet_op_of(syslet_entry_atom(e)) == &ops[1]);
		EXPECT(syslet_entry_error(e) == -EFAULT);
		n++;
	}
	EXPECT(n == 1 && r.head == 1 && slots[0] == 0);
}

int main(void)
{
	RUN(prep_converts_arguments);
	RUN(typed_helpers_and_ring);
	return tap_done();
}
