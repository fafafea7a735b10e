// SPDX-License-Identifier: GPL-2.0
/*
 * umem_add(): value and return, wrap-around, every error case, and
 * atomicity against user-space atomics and other callers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "syslet_util.h"

/* With a valid pointer, only a kernel without umem_add() can fail. */
static bool have_umem_add(void)
{
	uint64_t probe = 0;

	return sys_umem_add(&probe, 0) == 0;
}

#define UMEM_ADD_MISSING "umem_add() not supported"

/* Expect umem_add(ptr, inc) to fail with @err. */
#define EXPECT_UMEM_ERR(ptr, inc, err)					\
	do {								\
		errno = 0;						\
		EXPECT_EQ(-1, sys_umem_add(ptr, inc));			\
		EXPECT_EQ(err, errno);					\
	} while (0)

static void *map_page(int prot)
{
	void *p = mmap(NULL, getpagesize(), prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

TEST(returns_new_value)
{
	uint64_t v = 40;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	EXPECT_EQ(42, sys_umem_add(&v, 2));
	EXPECT_EQ(42, v);
	EXPECT_EQ(42, sys_umem_add(&v, 0));
	EXPECT_EQ(42, v);
	EXPECT_EQ(1042, sys_umem_add(&v, 1000));
	EXPECT_EQ(1042, v);
}

TEST(wraps_at_2_pow_64)
{
	uint64_t v = UINT64_MAX - 1;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	/* UINT64_MAX - 1 + 3 wraps to 1. */
	EXPECT_EQ(1, sys_umem_add(&v, 3));
	EXPECT_EQ(1, v);
	/* Adding 2^64 - 1 is subtracting one. */
	v = 5;
	EXPECT_EQ(4, sys_umem_add(&v, UINT64_MAX));
	EXPECT_EQ(4, v);
	/* Values above 2^63 come back whole (outside the errno range). */
	v = 0;
	EXPECT_EQ((long)(1ULL << 63), sys_umem_add(&v, 1ULL << 63));
	EXPECT_EQ(1ULL << 63, v);
}

TEST(misaligned_is_einval)
{
	uint64_t buf[2] = { 7, 7 };
	int off;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	for (off = 1; off < 8; off++)
		EXPECT_UMEM_ERR((char *)buf + off, 1, EINVAL);
	/* Nothing was added anywhere. */
	EXPECT_EQ(7, buf[0]);
	EXPECT_EQ(7, buf[1]);
	/* Alignment is checked before the address. */
	EXPECT_UMEM_ERR((void *)1, 1, EINVAL);
}

TEST(null_is_efault)
{
	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	EXPECT_UMEM_ERR(NULL, 1, EFAULT);
}

TEST(kernel_address_is_efault)
{
	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	/* The top of the address space: also overflows when rounded up. */
	EXPECT_UMEM_ERR((void *)-8UL, 1, EFAULT);
	/* The start of the upper half: kernel space on x86_64 and arm64. */
	EXPECT_UMEM_ERR((void *)(1UL << 63), 1, EFAULT);
	EXPECT_UMEM_ERR((void *)0xffffffff81000000UL, 1, EFAULT);
}

TEST(unmapped_is_efault)
{
	uint64_t *p = map_page(PROT_READ | PROT_WRITE);

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, munmap(p, getpagesize()));
	EXPECT_UMEM_ERR(p, 1, EFAULT);
}

TEST(prot_none_is_efault)
{
	uint64_t *p = map_page(PROT_NONE);

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	ASSERT_NE(NULL, p);
	EXPECT_UMEM_ERR(p, 1, EFAULT);
	ASSERT_EQ(0, mprotect(p, getpagesize(), PROT_READ));
	EXPECT_EQ(0, *p);
	munmap(p, getpagesize());
}

TEST(read_only_is_efault)
{
	uint64_t *p = map_page(PROT_READ);

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	ASSERT_NE(NULL, p);
	EXPECT_UMEM_ERR(p, 1, EFAULT);
	EXPECT_EQ(0, *p);
	munmap(p, getpagesize());
}

/* An unlinked temporary file of one page, whose first word is @first. */
static int page_file(uint64_t first)
{
	char path[] = "/tmp/umem_add_test.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (pwrite(fd, &first, sizeof(first), 0) != sizeof(first) ||
	    ftruncate(fd, getpagesize())) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST(read_only_shared_file_is_efault)
{
	uint64_t *p;
	int fd;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	fd = page_file(9);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_UMEM_ERR(p, 1, EFAULT);
	EXPECT_EQ(9, *p);
	munmap(p, getpagesize());
	close(fd);
}

TEST(shared_file_mapping_is_written_back)
{
	uint64_t val, *p;
	int fd;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	fd = page_file(100);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(123, sys_umem_add(&p[0], 23));
	munmap(p, getpagesize());
	ASSERT_EQ(sizeof(val), pread(fd, &val, sizeof(val), 0));
	EXPECT_EQ(123, val);
	close(fd);
}

TEST(untouched_private_page)
{
	/* Never written: the kernel must break COW, not add to the zero page. */
	uint64_t *p = map_page(PROT_READ | PROT_WRITE), *q;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(5, sys_umem_add(&p[3], 5));
	EXPECT_EQ(5, p[3]);
	q = map_page(PROT_READ);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(0, q[3]);
	munmap(p, getpagesize());
	munmap(q, getpagesize());
}

TEST(shared_with_child)
{
	uint64_t *p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	ASSERT_NE(MAP_FAILED, p);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(sys_umem_add(p, 77) == 77 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(77, *p);
	munmap(p, getpagesize());
}

/*
 * Several threads add 1 to one counter, half with umem_add(), half with
 * user-space atomics.  Every new value must be seen exactly once: a lost
 * update would both lower the total and repeat a value.
 */
#define HAMMER_THREADS	4
#define HAMMER_ITERS	20000

struct hammer {
	uint64_t *counter;
	int use_syscall;
	uint64_t seen[HAMMER_ITERS];
	int errors;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	long ret;
	int i;

	for (i = 0; i < HAMMER_ITERS; i++) {
		if (h->use_syscall) {
			ret = sys_umem_add(h->counter, 1);
			if (ret < 0) {
				h->errors++;
				continue;
			}
			h->seen[i] = ret;
		} else {
			h->seen[i] = __atomic_add_fetch(h->counter, 1, __ATOMIC_SEQ_CST);
		}
	}
	return NULL;
}

TEST(concurrent_with_user_atomics)
{
	const uint64_t total = (uint64_t)HAMMER_THREADS * HAMMER_ITERS;
	struct hammer *h = calloc(HAMMER_THREADS, sizeof(*h));
	pthread_t tid[HAMMER_THREADS];
	uint8_t *hits = calloc(total + 1, 1);
	uint64_t counter = 0;
	int i, j, dup = 0, missing = 0, errors = 0;

	if (!have_umem_add())
		SKIP(return, UMEM_ADD_MISSING);
	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, hits);
	for (i = 0; i < HAMMER_THREADS; i++) {
		h[i].counter = &counter;
		h[i].use_syscall = i % 2 == 0;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, hammer_thread, &h[i]));
	}
	for (i = 0; i < HAMMER_THREADS; i++)
		ASSERT_EQ(0, pthread_join(tid[i], NULL));

	EXPECT_EQ(total, counter);
	for (i = 0; i < HAMMER_THREADS; i++) {
		errors += h[i].errors;
		for (j = 0; j < HAMMER_ITERS; j++) {
			uint64_t v = h[i].seen[j];

			if (v >= 1 && v <= total && hits[v]++)
				dup++;
		}
	}
	for (i = 1; i <= (int)total; i++)
		missing += !hits[i];
	EXPECT_EQ(0, errors);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(0, missing);
	free(hits);
	free(h);
}

TEST_HARNESS_MAIN
