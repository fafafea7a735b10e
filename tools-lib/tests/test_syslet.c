// SPDX-License-Identifier: (LGPL-2.1 OR MIT)
/*
 * Tests of syslet.h that need no syslet kernel: layouts, atom preparation,
 * links, ring consumption over rings filled by hand, and the behaviour of
 * the system call wrappers on a kernel without the system calls (they
 * return -ENOSYS, keep errno and leak nothing).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <dirent.h>
#include <sys/socket.h>

#include "syslet.h"
#include "tap.h"
#include "heap.h"
#include "nonanosleep.h"

/* The value argument @i of @op is read through. */
static __u64 arg(const struct syslet_op *op, int i)
{
	return *(const __u64 *)(uintptr_t)op->atom.arg_ptr[i];
}

/*
 * Whether @op is what syslet_prep() makes for system call @nr with @flags
 * and the @n values @vals.
 */
static int op_is(const struct syslet_op *op, unsigned int nr,
		 unsigned int flags, unsigned int n, const __u64 *vals)
{
	int ok = op->atom.nr == nr && op->atom.flags == flags &&
		 op->atom.ret_ptr == U64(&op->ret) &&
		 op->ret == SYSLET_RET_UNSET && op->atom.next == 0 &&
		 op->atom.private == 0;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		if (i < n)
			ok &= op->atom.arg_ptr[i] == U64(&op->args[i]) &&
			      op->args[i] == vals[i];
		else
			ok &= op->atom.arg_ptr[i] == 0 && op->args[i] == 0;
	}
	if (!ok) {
		printf("# op: nr %u flags %#x ret %lld next %#llx private %#llx\n",
		       op->atom.nr, op->atom.flags, (long long)op->ret,
		       (unsigned long long)op->atom.next,
		       (unsigned long long)op->atom.private);
		for (i = 0; i < 6; i++)
			printf("#   arg %u: ptr %s, value %#llx, want %#llx\n", i,
			       op->atom.arg_ptr[i] == U64(&op->args[i]) ? "own" :
			       op->atom.arg_ptr[i] ? "other" : "0",
			       (unsigned long long)op->args[i],
			       (unsigned long long)(i < n ? vals[i] : 0));
	}
	return ok;
}

/* The errno of a system call that does not exist. */
static int enosys;

/* Whether this kernel lacks the syslet system calls (expected on hosts). */
static int no_syslets(void)
{
	return syslet_sys_async_wait(0, NULL) == -enosys;
}

static void layouts(void)
{
	EXPECT(sizeof(struct syslet_uatom) == 80);
	EXPECT(offsetof(struct syslet_uatom, ret_ptr) == 8);
	EXPECT(offsetof(struct syslet_uatom, next) == 16);
	EXPECT(offsetof(struct syslet_uatom, arg_ptr) == 24);
	EXPECT(offsetof(struct syslet_uatom, private) == 72);
	EXPECT(sizeof(struct async_head_user) == 64);
	EXPECT(sizeof(struct async_head_user) == ASYNC_HEAD_SIZE_VER0);
	EXPECT(offsetof(struct async_head_user, flags) == 24);
	EXPECT(offsetof(struct async_head_user, eventfd) == 28);
	EXPECT(offsetof(struct async_head_user, reserved) == 32);
	EXPECT(sizeof(struct syslet_op) == 136);
	EXPECT(__alignof__(struct syslet_op) == 8);
	EXPECT(offsetof(struct syslet_op, atom) == 0);
	EXPECT(offsetof(struct syslet_op, args) == 80);
	EXPECT(offsetof(struct syslet_op, ret) == 128);
	EXPECT(sizeof(struct syslet_branch) == 160);
	EXPECT(offsetof(struct syslet_branch, on_stop) == 80);
	EXPECT(SYSLET_RET_UNSET == INT64_MIN);
	EXPECT(__NR_umem_add == 473 && __NR_async_exec == 474 &&
	       __NR_async_register == 475 && __NR_async_wait == 476);
}

static void prep_converts_each_argument(void)
{
	struct syslet_op op;
	char c = 'x';
	int neg = -100;
	unsigned int u = 0xffffffffu;
	long long ll = -1;
	const __u64 want[6] = {
		0xffffffffffffff9cULL, 0xffffffffULL, ~0ULL, U64(&op), 'x',
		U64(NULL),
	};

	memset(&op, 0xa5, sizeof(op));
	EXPECT(syslet_prep(&op, __NR_pread64, SYSLET_SYNC, neg, u, ll, &op, c,
			   NULL) == 0);
	EXPECT(op_is(&op, __NR_pread64, SYSLET_SYNC, 6, want));
	/* Each argument is evaluated once. */
	neg = 0;
	u = 10;
	EXPECT(syslet_prep(&op, 1, 0, neg++, u++) == 0);
	EXPECT(neg == 1 && u == 11 && op.args[0] == 0 && op.args[1] == 10);
}

static void prep_with_no_arguments(void)
{
	struct syslet_op op;

	memset(&op, 0xa5, sizeof(op));
	EXPECT(syslet_prep(&op, __NR_getpid, SYSLET_NO_COMPLETE) == 0);
	EXPECT(op_is(&op, __NR_getpid, SYSLET_NO_COMPLETE, 0, NULL));
}

static void prep_array_rejects_more_than_six(void)
{
	const __u64 vals[7] = { 1, 2, 3, 4, 5, 6, 7 };
	struct syslet_op op;

	EXPECT(syslet_prep_array(&op, __NR_write, 0, 6, vals) == 0);
	EXPECT(op_is(&op, __NR_write, 0, 6, vals));
	EXPECT(syslet_prep_array(&op, __NR_write, 0, 7, vals) == -EINVAL);
	/* Running it would fail with EINVAL instead of losing an argument. */
	EXPECT(op.atom.flags == (SYSLET_ASYNC | SYSLET_SYNC));
	EXPECT(op.atom.arg_ptr[0] == 0);
	/* The values may come from the op itself. */
	EXPECT(syslet_prep_array(&op, __NR_write, 0, 3, vals) == 0);
	EXPECT(syslet_prep_array(&op, __NR_read, 0, 3, op.args) == 0);
	EXPECT(op_is(&op, __NR_read, 0, 3, vals));
}

static void prep_raw(void)
{
	__u64 a = 1, b = 2;
	__u64 *const ptrs[7] = { &a, &b, &a, &b, &a, &b, &a };
	__u64 *const holes[2] = { &a, NULL };
	struct syslet_uatom atom;
	__s64 ret;

	memset(&atom, 0xa5, sizeof(atom));
	EXPECT(syslet_prep_raw(&atom, __NR_write, SYSLET_ASYNC, &ret, 2,
			       ptrs) == 0);
	EXPECT(atom.nr == __NR_write && atom.flags == SYSLET_ASYNC);
	EXPECT(atom.ret_ptr == U64(&ret) && atom.next == 0 &&
	       atom.private == 0);
	EXPECT(atom.arg_ptr[0] == U64(&a) && atom.arg_ptr[1] == U64(&b) &&
	       atom.arg_ptr[2] == 0 && atom.arg_ptr[5] == 0);
	EXPECT(syslet_prep_raw(&atom, __NR_getpid, 0, NULL, 0, NULL) == 0);
	EXPECT(atom.ret_ptr == 0 && atom.arg_ptr[0] == 0);
	EXPECT(syslet_prep_raw(&atom, __NR_write, 0, &ret, 7, ptrs) ==
	       -EINVAL);
	EXPECT(atom.flags == (SYSLET_ASYNC | SYSLET_SYNC));
	EXPECT(syslet_prep_raw(&atom, __NR_write, 0, &ret, 2, holes) ==
	       -EINVAL);
	EXPECT(atom.flags == (SYSLET_ASYNC | SYSLET_SYNC));
}

static void typed_helpers(void)
{
	struct __kernel_timespec req = { 1, 2 }, rem;
	struct syslet_op op;
	char buf[16];
	unsigned int alen = 5;
	__u64 counter;

	syslet_prep_read(&op, 3, buf, sizeof(buf));
	EXPECT(op_is(&op, __NR_read, 0, 3,
		     (__u64[]){ 3, U64(buf), sizeof(buf) }));
	syslet_prep_write(&op, -1, "hi", 2);
	EXPECT(op_is(&op, __NR_write, 0, 3,
		     (__u64[]){ ~0ULL, U64("hi"), 2 }));
	syslet_prep_pread(&op, 4, buf, 8, -2);
	EXPECT(op_is(&op, __NR_pread64, 0, 4,
		     (__u64[]){ 4, U64(buf), 8, (__u64)-2LL }));
	syslet_prep_pwrite(&op, 5, buf, 9, 1LL << 40);
	EXPECT(op_is(&op, __NR_pwrite64, 0, 4,
		     (__u64[]){ 5, U64(buf), 9, 1ULL << 40 }));
	syslet_prep_openat(&op, AT_FDCWD, "/x", O_RDONLY | O_CLOEXEC, 0644);
	EXPECT(op_is(&op, __NR_openat, 0, 4,
		     (__u64[]){ (__u64)(__s64)AT_FDCWD, U64("/x"),
				O_RDONLY | O_CLOEXEC, 0644 }));
	syslet_prep_close(&op, 7);
	EXPECT(op_is(&op, __NR_close, 0, 1, (__u64[]){ 7 }));
	syslet_prep_fsync(&op, 8);
	EXPECT(op_is(&op, __NR_fsync, 0, 1, (__u64[]){ 8 }));
	syslet_prep_getpid(&op);
	EXPECT(op_is(&op, __NR_getpid, 0, 0, NULL));
#ifdef __NR_nanosleep
	syslet_prep_nanosleep(&op, &req, &rem);
	EXPECT(op_is(&op, __NR_nanosleep, 0, 2,
		     (__u64[]){ U64(&req), U64(&rem) }));
	syslet_prep_nanosleep(&op, &req, NULL);
	EXPECT(op_is(&op, __NR_nanosleep, 0, 2, (__u64[]){ U64(&req), 0 }));
#endif
	prep_nanosleep_no_nr(&op, &req, &rem);
	EXPECT(op_is(&op, __NR_clock_nanosleep, 0, 4,
		     (__u64[]){ CLOCK_MONOTONIC, 0, U64(&req), U64(&rem) }));
	syslet_prep_sendto(&op, 9, buf, 3, MSG_DONTWAIT, &req, 16);
	EXPECT(op_is(&op, __NR_sendto, 0, 6,
		     (__u64[]){ 9, U64(buf), 3, MSG_DONTWAIT, U64(&req),
				16 }));
	syslet_prep_recvfrom(&op, 10, buf, 4, MSG_PEEK, &req, &alen);
	EXPECT(op_is(&op, __NR_recvfrom, 0, 6,
		     (__u64[]){ 10, U64(buf), 4, MSG_PEEK, U64(&req),
				U64(&alen) }));
	syslet_prep_umem_add(&op, &counter, ~0ULL);
	EXPECT(op_is(&op, __NR_umem_add, 0, 2,
		     (__u64[]){ U64(&counter), ~0ULL }));
}

static void flags_and_arg_ptr(void)
{
	struct syslet_op rd, add;
	__u64 counter = 0;
	char buf[4];

	syslet_prep_read(&rd, 0, buf, sizeof(buf));
	syslet_op_set_flags(&rd, SYSLET_STOP_ON_NON_POSITIVE);
	EXPECT(rd.atom.flags == SYSLET_STOP_ON_NON_POSITIVE);
	syslet_op_add_flags(&rd, SYSLET_NO_COMPLETE);
	EXPECT(rd.atom.flags ==
	       (SYSLET_STOP_ON_NON_POSITIVE | SYSLET_NO_COMPLETE));
	syslet_op_set_flags(&rd, 0);
	EXPECT(rd.atom.flags == 0);

	/* umem_add(&counter, <what the read returned>) */
	syslet_prep_umem_add(&add, &counter, 0);
	EXPECT(syslet_op_arg_ptr(&add, 1, &rd.ret) == 0);
	EXPECT(add.atom.arg_ptr[1] == U64(&rd.ret));
	rd.ret = 42;
	EXPECT(arg(&add, 0) == U64(&counter) && arg(&add, 1) == 42);
	/* Appending right after the last argument is fine... */
	EXPECT(syslet_op_arg_ptr(&add, 2, &rd.ret) == 0);
	/* ...a gap, an index past 5 or a NULL pointer is not. */
	EXPECT(syslet_op_arg_ptr(&add, 4, &rd.ret) == -EINVAL);
	EXPECT(add.atom.arg_ptr[4] == 0);
	EXPECT(syslet_op_arg_ptr(&add, 6, &rd.ret) == -EINVAL);
	EXPECT(syslet_op_arg_ptr(&add, 1, NULL) == -EINVAL);
	EXPECT(add.atom.arg_ptr[1] == U64(&rd.ret));
}

static void links(void)
{
	struct syslet_op ops[3], one;

	syslet_prep_getpid(&ops[0]);
	syslet_prep_getpid(&ops[1]);
	syslet_prep_getpid(&ops[2]);
	syslet_link(&ops[0], &ops[2]);
	EXPECT(ops[0].atom.next == U64(&ops[2].atom));
	syslet_link(&ops[0], NULL);
	EXPECT(ops[0].atom.next == 0);
	syslet_link_atom(&ops[0], &ops[1].atom);
	EXPECT(ops[0].atom.next == U64(&ops[1].atom));

	syslet_chain(ops, 3);
	EXPECT(ops[0].atom.next == U64(&ops[1].atom));
	EXPECT(ops[1].atom.next == U64(&ops[2].atom));
	EXPECT(ops[2].atom.next == 0);
	syslet_loop(ops, 3);
	EXPECT(ops[1].atom.next == U64(&ops[2].atom));
	EXPECT(ops[2].atom.next == U64(&ops[0].atom));
	syslet_chain(ops, 0);
	syslet_loop(ops, 0);
	EXPECT(ops[2].atom.next == U64(&ops[0].atom));

	syslet_prep_getpid(&one);
	syslet_loop(&one, 1);
	EXPECT(one.atom.next == U64(&one.atom));
	syslet_chain(&one, 1);
	EXPECT(one.atom.next == 0);
}

static void branch(void)
{
	struct syslet_op test, then, on_stop;
	struct syslet_branch b;
	char buf[4];

	syslet_prep_read(&test, 0, buf, sizeof(buf));
	syslet_prep_getpid(&then);
	syslet_prep_close(&on_stop, 0);
	/* A branch without a STOP_ON flag is a mistake. */
	EXPECT(syslet_prep_branch(&b, &test, &then, &on_stop) == -EINVAL);
	syslet_op_set_flags(&test, SYSLET_STOP_ON_NON_POSITIVE);
	EXPECT(syslet_prep_branch(&b, &test, &then, NULL) == -EINVAL);
	EXPECT(syslet_prep_branch(&b, &test, &then, &on_stop) == 0);

	/* The kernel continues at atom + 1 on a stop: the jump. */
	EXPECT(&b.atom + 1 == &b.on_stop);
	EXPECT(b.atom.flags ==
	       (SYSLET_STOP_ON_NON_POSITIVE | SYSLET_SKIP_TO_NEXT_ON_STOP));
	EXPECT(b.atom.nr == __NR_read && b.atom.next == U64(&then.atom));
	EXPECT(b.atom.ret_ptr == U64(&test.ret));
	EXPECT(!memcmp(b.atom.arg_ptr, test.atom.arg_ptr,
		       sizeof(b.atom.arg_ptr)));
	EXPECT(b.on_stop.nr == __NR_getpid &&
	       b.on_stop.flags == SYSLET_NO_COMPLETE);
	EXPECT(b.on_stop.next == U64(&on_stop.atom));
	EXPECT(b.on_stop.ret_ptr == 0 && b.on_stop.arg_ptr[0] == 0);
	/* The test op itself is unchanged. */
	EXPECT(test.atom.flags == SYSLET_STOP_ON_NON_POSITIVE &&
	       test.atom.next == 0);
	/* Ring entries of the branch map back to the ops. */
	EXPECT(syslet_op_of(&b.atom) == &test);
	EXPECT(syslet_op_of(&b.on_stop) == &on_stop);
	EXPECT(syslet_prep_branch(&b, &test, NULL, &on_stop) == 0);
	EXPECT(b.atom.next == 0);
}

static void op_of_and_result(void)
{
	struct syslet_op ops[2];

	syslet_prep_getpid(&ops[0]);
	syslet_prep_getpid(&ops[1]);
	EXPECT(syslet_op_of(&ops[0].atom) == &ops[0]);
	EXPECT(syslet_op_of(&ops[1].atom) == &ops[1]);
	EXPECT(syslet_op_of(syslet_entry_atom(U64(&ops[1].atom) |
					      SYSLET_RING_FAULT)) == &ops[1]);
	EXPECT(syslet_op_result(&ops[0]) == SYSLET_RET_UNSET);
	ops[0].ret = -EAGAIN;
	EXPECT(syslet_op_result(&ops[0]) == -EAGAIN);
}

/* A ring as syslet_ring_init_mem() leaves it, without a registration. */
static void fake_ring(struct syslet_ring *r, __u64 *slots, unsigned int n)
{
	memset(slots, 0, n * sizeof(*slots));
	memset(r, 0, sizeof(*r));
	r->slots = slots;
	r->nslots = n;
	r->eventfd = -1;
}

static void ring_consumes_in_order_and_wraps(void)
{
	struct syslet_op ops[6];
	struct syslet_ring r;
	__u64 slots[4], e;
	unsigned int seen = 0;

	for (e = 0; e < 6; e++)
		syslet_prep_getpid(&ops[e]);
	fake_ring(&r, slots, 4);
	EXPECT(syslet_ring_ready(&r) == 0 && syslet_ring_peek(&r) == 0);
	/* Consuming an empty slot does not get out of step. */
	syslet_ring_seen(&r);
	EXPECT(r.head == 0);

	slots[0] = U64(&ops[0].atom);
	slots[1] = U64(&ops[1].atom);
	EXPECT(syslet_ring_ready(&r) == 2);
	e = syslet_ring_peek(&r);
	EXPECT(syslet_op_of(syslet_entry_atom(e)) == &ops[0]);
	EXPECT(syslet_ring_peek(&r) == e);	/* peek does not consume */
	syslet_ring_seen(&r);
	EXPECT(slots[0] == 0 && r.head == 1 && syslet_ring_ready(&r) == 1);

	/* Entries in slots 1, 2, 3 and, wrapping around, 0. */
	slots[2] = U64(&ops[2].atom);
	slots[3] = U64(&ops[3].atom);
	slots[0] = U64(&ops[4].atom);
	EXPECT(syslet_ring_ready(&r) == 4);
	syslet_ring_for_each(&r, e) {
		EXPECT(syslet_op_of(syslet_entry_atom(e)) == &ops[1 + seen]);
		seen++;
	}
	EXPECT(seen == 4 && r.head == 1 && syslet_ring_ready(&r) == 0);
	EXPECT(!slots[0] && !slots[1] && !slots[2] && !slots[3]);

	/* Entries come back with their status bits. */
	slots[1] = U64(&ops[2].atom) | SYSLET_RING_INVAL;
	e = syslet_ring_peek(&r);
	EXPECT(e == (U64(&ops[2].atom) | SYSLET_RING_INVAL));
	EXPECT(syslet_entry_error(e) == -EINVAL);
	syslet_ring_seen(&r);
	EXPECT(r.head == 2 && slots[1] == 0);
	r.head = 1;

	/* "continue" consumes, "break" leaves the entry in the ring. */
	slots[1] = U64(&ops[0].atom);
	slots[2] = U64(&ops[5].atom);
	seen = 0;
	syslet_ring_for_each(&r, e) {
		if (syslet_entry_atom(e) == &ops[0].atom)
			continue;
		seen++;
		break;
	}
	EXPECT(seen == 1 && r.head == 2 && slots[1] == 0);
	EXPECT(syslet_ring_peek(&r) == U64(&ops[5].atom));
	EXPECT(syslet_ring_ready(&r) == 1);

	/* A ring without slots (not initialised) reads as empty. */
	fake_ring(&r, slots, 0);
	r.slots = NULL;
	EXPECT(syslet_ring_peek(&r) == 0 && syslet_ring_ready(&r) == 0);
	syslet_ring_seen(&r);
	EXPECT(r.head == 0);
}

static void ring_entry_status(void)
{
	struct syslet_op op;
	const int want[8] = {
		0, -EFAULT, -EINVAL, -EPROTO, -EPROTO, -EPROTO, -EPROTO,
		-EPROTO,
	};
	unsigned int s;

	EXPECT(SYSLET_RING_STATUS_MASK == 7 && SYSLET_RING_FAULT == 1 &&
	       SYSLET_RING_INVAL == 2);
	for (s = 0; s < 8; s++) {
		__u64 e = U64(&op.atom) | s;

		EXPECT(syslet_entry_atom(e) == &op.atom);
		EXPECT(syslet_entry_status(e) == s);
		EXPECT(syslet_entry_error(e) == want[s]);
	}
}

static void timespec_conversion(void)
{
	struct timespec ts = { 5, 999999999 };
	struct __kernel_timespec kts;

	memset(&kts, 0xa5, sizeof(kts));
	syslet_timespec_to_kernel(&kts, &ts);
	EXPECT(kts.tv_sec == 5 && kts.tv_nsec == 999999999);
	/* Out of range values reach the kernel as they are (EINVAL there). */
	ts.tv_sec = -1;
	ts.tv_nsec = 1000000000;
	syslet_timespec_to_kernel(&kts, &ts);
	EXPECT(kts.tv_sec == -1 && kts.tv_nsec == 1000000000);
	EXPECT(sizeof(kts.tv_sec) == 8 && sizeof(kts.tv_nsec) == 8);
}

static void raw_wrappers_without_syslets(void)
{
	struct timespec ts = { 0, 1 };
	struct __kernel_timespec kts = { 0, 1 };
	struct async_head_user head;
	struct syslet_uatom *end = (struct syslet_uatom *)1;
	struct syslet_ring r;
	struct syslet_op op;
	__u64 counter = 40, slots[2];

	if (!no_syslets()) {
		tap_skip("this kernel has syslets");
		return;
	}
	memset(&head, 0, sizeof(head));
	syslet_prep_getpid(&op);
	errno = EDOM;
	EXPECT(syslet_sys_umem_add(&counter, 2) == -enosys);
	EXPECT(syslet_umem_add(&counter, 2) == -enosys);
	EXPECT(counter == 40);
	EXPECT(syslet_sys_async_exec(&op.atom) == -enosys);
	EXPECT(syslet_sys_async_register(&head, sizeof(head)) == -enosys);
	EXPECT(syslet_sys_async_register(NULL, 0) == -enosys);
	EXPECT(syslet_sys_async_wait(1, &kts) == -enosys);
	EXPECT(syslet_sys_async_wait(0, NULL) == -enosys);
	EXPECT(syslet_exec(&op, &end) == -enosys);
	EXPECT(!end);
	EXPECT(syslet_exec_atom(&op.atom, NULL) == -enosys);
	EXPECT(op.ret == SYSLET_RET_UNSET);
	fake_ring(&r, slots, 2);
	EXPECT(syslet_ring_wait(&r, 1, &ts) == -EINVAL);	/* not registered */
	r.int_flags = SYSLET__RING_REGISTERED;
	EXPECT(syslet_ring_wait(&r, 1, &ts) == -enosys);
	EXPECT(syslet_ring_wait(&r, 0, NULL) == -enosys);
	EXPECT(errno == EDOM);
}

static void ring_init_without_syslets(void)
{
	__u64 slots[4] = { 1, 2, 3, 4 };
	struct syslet_ring r;
	int efd, fds;
	long heap;
	__u64 v = 3;

	if (!no_syslets()) {
		tap_skip("this kernel has syslets");
		return;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	EXPECT(efd >= 0 && write(efd, &v, sizeof(v)) == sizeof(v));
	fds = open_fds();
	heap = heap_blocks;
	errno = EDOM;

	/* Caller's memory and eventfd: untouched but for the slots. */
	memset(&r, 0xa5, sizeof(r));
	EXPECT(syslet_ring_init_mem(&r, slots, 4, 2, efd) == -enosys);
	EXPECT(!r.slots && r.nslots == 0 && r.eventfd == -1 &&
	       r.int_flags == 0);
	EXPECT(!slots[0] && !slots[3]);
	EXPECT(syslet_ring_init_mem(&r, slots, 4, 0, -1) == -enosys);
	EXPECT(syslet_ring_init_mem(&r, NULL, 4, 0, -1) == -EINVAL);
	EXPECT(syslet_ring_init_mem(&r, (__u64 *)((char *)slots + 4), 2, 0,
				    -1) == -EINVAL);
	EXPECT(syslet_ring_init_mem(&r, slots, 0, 0, -1) == -EINVAL);
	/* Nothing to unregister: no system call, nothing closed. */
	EXPECT(syslet_ring_exit(&r) == -EINVAL);
	EXPECT(fd_is_open(efd) && syslet_ring_drain_eventfd(&(struct syslet_ring){
		.eventfd = efd }) == 3);

	/* Library-owned memory and eventfd: freed and closed on failure. */
	EXPECT(syslet_ring_init(&r, 64, 0, 0) == -enosys);
	EXPECT(syslet_ring_init(&r, 64, 0, SYSLET_RING_INIT_EVENTFD) == -enosys);
	EXPECT(!r.slots && r.eventfd == -1);
	EXPECT(syslet_ring_init(&r, 64, 0, 2) == -EINVAL);
	EXPECT(syslet_ring_init(&r, 0, 0, 0) == -EINVAL);
	EXPECT(syslet_ring_exit(&r) == -EINVAL);
	EXPECT(open_fds() == fds);
	EXPECT(heap_blocks == heap);
	EXPECT(errno == EDOM);
	close(efd);
}

static void ring_exit_without_syslets(void)
{
	__u64 slots[4];
	struct syslet_ring r;
	int efd;

	if (!no_syslets()) {
		tap_skip("this kernel has syslets");
		return;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* As if registered with the caller's eventfd on a syslet kernel. */
	fake_ring(&r, slots, 4);
	r.eventfd = efd;
	r.int_flags = SYSLET__RING_REGISTERED;
	errno = EDOM;
	EXPECT(syslet_ring_exit(&r) == -enosys);
	/* The failed unregistration keeps everything, for a retry. */
	EXPECT(r.slots == slots && r.nslots == 4 && r.eventfd == efd &&
	       r.int_flags == SYSLET__RING_REGISTERED);
	EXPECT(fd_is_open(efd));
	EXPECT(syslet_ring_eventfd(&r) == efd);
	EXPECT(errno == EDOM);
	close(efd);
}

static void ring_eventfd_drain(void)
{
	struct syslet_ring r;
	__u64 slots[2], v;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	fake_ring(&r, slots, 2);
	EXPECT(syslet_ring_eventfd(&r) == -1);
	EXPECT(syslet_ring_drain_eventfd(&r) == -EINVAL);
	r.eventfd = efd;
	errno = EDOM;
	EXPECT(syslet_ring_drain_eventfd(&r) == 0);	/* EAGAIN */
	v = 1;
	EXPECT(write(efd, &v, sizeof(v)) == sizeof(v));
	EXPECT(write(efd, &v, sizeof(v)) == sizeof(v));
	EXPECT(syslet_ring_drain_eventfd(&r) == 2);
	EXPECT(syslet_ring_drain_eventfd(&r) == 0);
	v = 1ULL << 40;
	EXPECT(write(efd, &v, sizeof(v)) == sizeof(v));
	EXPECT(syslet_ring_drain_eventfd(&r) == INT_MAX);
	close(efd);
	EXPECT(syslet_ring_drain_eventfd(&r) == -EBADF);
	EXPECT(errno == EDOM);
}

int main(void)
{
	enosys = -syslet_nosys();
	RUN(layouts);
	RUN(prep_converts_each_argument);
	RUN(prep_with_no_arguments);
	RUN(prep_array_rejects_more_than_six);
	RUN(prep_raw);
	RUN(typed_helpers);
	RUN(flags_and_arg_ptr);
	RUN(links);
	RUN(branch);
	RUN(op_of_and_result);
	RUN(ring_consumes_in_order_and_wraps);
	RUN(ring_entry_status);
	RUN(timespec_conversion);
	RUN(raw_wrappers_without_syslets);
	RUN(ring_init_without_syslets);
	RUN(ring_exit_without_syslets);
	RUN(ring_eventfd_drain);
	return tap_done();
}
