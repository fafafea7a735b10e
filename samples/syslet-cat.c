// SPDX-License-Identifier: GPL-2.0
/*
 * syslet-cat - cat(1) whose whole read-write loop is one syslet
 *
 * For each file, one async_exec() runs this loop in the kernel:
 *
 *   +-> read(in, buf, BUFSZ)                  stop if <= 0 (end of file, error)
 *   |   write(out, buf, <read's result>)      stop if < 0
 *   |   ftruncate(cmp, <read's result>)       stop if < 0
 *   |   pread(cmp, &junk, 1, <write's result>) stop if != 0 (short write)
 *   |   umem_add(&bytes, <read's result>)
 *   +-- umem_add(&reads, 1)
 *
 * "<read's result>" is an argument pointer aimed at the read atom's result:
 * the kernel loads arguments when an atom runs, so each write writes what
 * the read before it returned, and the umem_add() atoms keep the counters.
 *
 * Short writes.  SYSLET_STOP_ON_* compare a result with 0, and a write may
 * write less than it was asked to (a signal, a non-blocking output, a full
 * disk).  The ABI has no "compare two results" atom, so the chain lets the
 * kernel do the comparison: a scratch memfd is truncated to the read's byte
 * count, and a 1-byte pread() at the write's byte count returns 1 exactly
 * when the write fell short.  The chain stops there, the rest of the buffer
 * is written from user space, and the chain resumes at the next atom.
 *
 * Interrupted chains.  A signal ends a synchronous syslet at the next atom
 * boundary, so that its handler runs: async_exec() then returns the last
 * atom that ran although its result did not stop the chain.  cat_fd()
 * recognizes that and resumes at that atom's successor.  An atom whose
 * system call a signal interrupted gets -EINTR and is run again.
 *
 * By default every atom has SYSLET_SYNC: the loop runs in the caller and no
 * ring is needed.  With -a the program registers a completion ring and
 * lets an atom that blocks (a read from an empty pipe, a write to a full
 * one) hand off: async_exec() returns 0 in a pool thread that took this
 * thread's place, and the chain goes on in the background.  Every atom has
 * SYSLET_NO_COMPLETE, so the ring receives exactly one entry per chain: the
 * atom it ended on.  A real program would do other work meanwhile; this one
 * waits for that entry with async_wait().
 *
 * At the end it prints "syslet-cat: N bytes in M reads, K system calls from
 * user space" to stderr.  M counts every read(2) the chains made, the one
 * that hit the end of each file included; K counts the system calls this
 * program made to copy (async_exec(), async_wait(), and poll() and write()
 * to finish short writes), not the open() and close() of each file.  cat(1)
 * makes two system calls per buffer; this loop makes one per file.
 *
 * "syslet-cat --check" is a self-test: it copies files of several sizes
 * into files and pipes, with and without -a, with slow readers, signals
 * and a non-blocking output, and compares every byte.  It prints a TAP
 * line per case and exits 0 when all passed, 1 when one failed, and 4
 * (kselftest's SKIP) when the kernel has no syslets or they are disabled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "syslet.h"

#define BUFSZ		(64 * 1024)

/* Exit codes of --check: kselftest's */
#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_SKIP	4

/* The atoms of the loop, in chain order */
enum {
	OP_READ,
	OP_WRITE,
	OP_SETLEN,
	OP_CHECK,
	OP_BYTES,
	OP_READS,
	NR_OPS
};

static const char *const op_name[NR_OPS] = {
	[OP_READ]	= "read",
	[OP_WRITE]	= "write",
	[OP_SETLEN]	= "ftruncate (short-write check)",
	[OP_CHECK]	= "pread (short-write check)",
	[OP_BYTES]	= "umem_add (byte counter)",
	[OP_READS]	= "umem_add (read counter)",
};

struct cat_stats {
	__u64		bytes;		/* bytes read: kept by the chain */
	__u64		reads;		/* reads that returned data: kept by the chain */
	unsigned long	end_reads;	/* reads that ended a chain (EOF, errors) */
	unsigned long	syscalls;	/* system calls made from user space */
	unsigned long	handoffs;	/* async_exec() returned 0 */
	unsigned long	resumed;	/* chains a signal ended between atoms */
	unsigned long	short_writes;	/* writes finished from user space */
};

struct cat {
	struct syslet_op	ops[NR_OPS];	/* read by the kernel: never moved */
	struct cat_stats	st;		/* counters: umem_add() targets */
	char			*buf;
	char			junk;		/* the check's pread() target */
	int			out;
	int			cmp;		/* scratch memfd of the check */
	bool			async;
	struct syslet_ring	ring;		/* with async only */
};

static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("syslet-cat: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Explains the errors that mean "no syslets here". */
static const char *syslet_hint(int err)
{
	if (err == syslet_nosys())
		return " (no syslets in this kernel: they need CONFIG_SYSLET, x86_64 or arm64)";
	if (err == -EPERM)
		return " (syslets are disabled: /proc/sys/kernel/syslet_disabled)";
	return "";
}

static int cat_init(struct cat *c, int out, bool async)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->out = out;
	c->async = async;
	c->buf = malloc(BUFSZ);
	if (!c->buf) {
		msg("out of memory");
		return -ENOMEM;
	}
	c->cmp = memfd_create("syslet-cat-check", MFD_CLOEXEC);
	if (c->cmp < 0) {
		ret = -errno;
		msg("memfd_create: %s", strerror(errno));
		free(c->buf);
		return ret;
	}
	if (async) {
		/*
		 * One chain in flight at a time: one pool thread and a small
		 * ring are enough.  The ring belongs to this thread.
		 */
		ret = syslet_ring_init(&c->ring, 4, 1, 0);
		if (ret) {
			msg("async_register: %s%s", strerror(-ret),
			    syslet_hint(ret));
			close(c->cmp);
			free(c->buf);
			return ret;
		}
	}
	return 0;
}

static void cat_exit(struct cat *c)
{
	int i, ret = 0;

	/*
	 * Every chain has ended when we get here; a task that finished one
	 * may still be on its way back to the pool, which -EBUSY reports.
	 */
	for (i = 0; c->async && i < 5000; i++) {
		ret = syslet_ring_exit(&c->ring);
		if (ret != -EBUSY)
			break;
		usleep(1000);
	}
	if (ret) {
		/* Something may still use the buffer and the memfd: keep them. */
		msg("async_register(NULL): %s", strerror(-ret));
		return;
	}
	close(c->cmp);
	free(c->buf);
}

/* Builds the loop shown at the top of this file for input @in. */
static void cat_prep(struct cat *c, int in)
{
	/* SYNC is read from the atom a chain (re)starts at: set it on all. */
	unsigned int flags = SYSLET_NO_COMPLETE | (c->async ? 0 : SYSLET_SYNC);
	struct syslet_op *op = c->ops;

	syslet_prep_read(&op[OP_READ], in, c->buf, BUFSZ);
	syslet_op_set_flags(&op[OP_READ], flags | SYSLET_STOP_ON_NON_POSITIVE);

	syslet_prep_write(&op[OP_WRITE], c->out, c->buf, 0);
	syslet_op_arg_ptr(&op[OP_WRITE], 2, &op[OP_READ].ret);
	syslet_op_set_flags(&op[OP_WRITE], flags | SYSLET_STOP_ON_NEGATIVE);

	/* Short-write check: ftruncate(cmp, n); pread(cmp, &junk, 1, written) */
	syslet_prep(&op[OP_SETLEN], __NR_ftruncate, 0, c->cmp, 0);
	syslet_op_arg_ptr(&op[OP_SETLEN], 1, &op[OP_READ].ret);
	syslet_op_set_flags(&op[OP_SETLEN], flags | SYSLET_STOP_ON_NEGATIVE);

	syslet_prep_pread(&op[OP_CHECK], c->cmp, &c->junk, 1, 0);
	syslet_op_arg_ptr(&op[OP_CHECK], 3, &op[OP_WRITE].ret);
	syslet_op_set_flags(&op[OP_CHECK], flags | SYSLET_STOP_ON_NONZERO);

	syslet_prep_umem_add(&op[OP_BYTES], &c->st.bytes, 0);
	syslet_op_arg_ptr(&op[OP_BYTES], 1, &op[OP_READ].ret);
	syslet_op_set_flags(&op[OP_BYTES], flags | SYSLET_STOP_ON_NEGATIVE);

	syslet_prep_umem_add(&op[OP_READS], &c->st.reads, 1);
	syslet_op_set_flags(&op[OP_READS], flags | SYSLET_STOP_ON_NEGATIVE);

	syslet_loop(op, NR_OPS);
}

/*
 * Whether the chain stopped at @op because of @op's result, as opposed to a
 * signal that ended it at the boundary after @op.
 */
static bool op_stopped(const struct syslet_op *op)
{
	unsigned int f = op->atom.flags;
	__s64 r = syslet_op_result(op);

	return !op->atom.next ||
	       ((f & SYSLET_STOP_ON_NONZERO) && r != 0) ||
	       ((f & SYSLET_STOP_ON_ZERO) && r == 0) ||
	       ((f & SYSLET_STOP_ON_NEGATIVE) && r < 0) ||
	       ((f & SYSLET_STOP_ON_NON_POSITIVE) && r <= 0);
}

/*
 * Runs the chain from @first until it ends, waiting for its completion if
 * it went asynchronous.  Sets *@end to the op it ended on.
 *
 * Return: 0, or a negative errno (reported).
 */
static int cat_run(struct cat *c, struct syslet_op *first,
		   struct syslet_op **end)
{
	struct syslet_uatom *atom;
	__u64 e;
	int ret;

	c->st.syscalls++;
	ret = syslet_exec(first, &atom);
	if (ret < 0) {
		msg("async_exec: %s%s", strerror(-ret), syslet_hint(ret));
		return ret;
	}
	if (ret == SYSLET_EXEC_DONE) {
		ret = 0;
	} else {
		/*
		 * An atom blocked and we are a pool thread in the caller's
		 * place: the chain posts its end to the ring.
		 */
		c->st.handoffs++;
		while (!(e = syslet_ring_peek(&c->ring))) {
			c->st.syscalls++;
			ret = syslet_ring_wait(&c->ring, 1, NULL);
			if (ret == -EINTR)
				continue;
			if (ret < 0) {
				msg("async_wait: %s", strerror(-ret));
				return ret;
			}
			if (ret == 0) {
				/* Nothing in flight, yet no end posted */
				msg("async_wait: the chain's end never came");
				return -EPROTO;
			}
		}
		syslet_ring_seen(&c->ring);
		atom = syslet_entry_atom(e);
		ret = syslet_entry_error(e);
	}
	*end = syslet_op_of(atom);
	if (*end < c->ops || *end >= c->ops + NR_OPS) {
		msg("the chain ended on %p, which is none of its atoms", atom);
		return -EPROTO;
	}
	if (ret) {
		msg("the chain ended on its %s atom: %s", op_name[*end - c->ops],
		    strerror(-ret));
		return ret;
	}
	return 0;
}

/* Waits until @fd is ready for @events (a non-blocking input or output). */
static int cat_wait_fd(struct cat *c, int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		c->st.syscalls++;
		if (poll(&pfd, 1, -1) >= 0)
			return 0;
		if (errno != EINTR) {
			msg("poll: %s", strerror(errno));
			return -errno;
		}
	}
}

/* Writes @len bytes at @p to the output, the way a short write is finished. */
static int cat_write_all(struct cat *c, const char *p, size_t len)
{
	ssize_t n;
	int ret;

	while (len) {
		c->st.syscalls++;
		n = write(c->out, p, len);
		if (n > 0) {
			p += n;
			len -= n;
		} else if (n == 0) {
			msg("write: wrote nothing of %zu bytes", len);
			return -EIO;
		} else if (errno == EAGAIN) {
			ret = cat_wait_fd(c, c->out, POLLOUT);
			if (ret)
				return ret;
		} else if (errno != EINTR) {
			msg("write: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/*
 * Copies @in (named @name in messages) to the output.  Normally one
 * async_exec() runs the whole copy; the loop below only runs again when
 * the chain stopped early: a signal, a short write, a non-blocking file
 * that was not ready.
 *
 * Return: 0, or a negative errno (reported).
 */
static int cat_fd(struct cat *c, int in, const char *name)
{
	struct syslet_op *op = &c->ops[OP_READ], *end;
	__s64 ret, n, w;
	int i, err;

	cat_prep(c, in);
	for (;;) {
		err = cat_run(c, op, &end);
		if (err)
			return err;
		if (!op_stopped(end)) {
			/* A signal ended the chain after this atom: go on. */
			c->st.resumed++;
			op = syslet_op_of((struct syslet_uatom *)(uintptr_t)
					  end->atom.next);
			continue;
		}
		i = end - c->ops;
		ret = syslet_op_result(end);
		if (i == OP_READ) {
			c->st.end_reads++;
			if (ret == 0)
				return 0;	/* end of file */
		}

		if (i == OP_CHECK && ret > 0) {
			/* Short write: finish it, then count the buffer. */
			n = syslet_op_result(&c->ops[OP_READ]);
			w = syslet_op_result(&c->ops[OP_WRITE]);
			c->st.short_writes++;
			err = cat_write_all(c, c->buf + w, n - w);
			if (err)
				return err;
			op = &c->ops[OP_BYTES];
			continue;
		}
		/* Run the atom again if it can succeed another time. */
		op = end;
		if (ret == -EINTR)
			continue;
		if (ret == -EAGAIN && i == OP_READ) {
			err = cat_wait_fd(c, in, POLLIN);
		} else if (ret == -EAGAIN && i == OP_WRITE) {
			err = cat_wait_fd(c, c->out, POLLOUT);
		} else {
			msg("copying %s: %s: %s", name, op_name[i],
			    strerror(-ret));
			return ret;
		}
		if (err)
			return err;
	}
}

static unsigned long long cat_reads(const struct cat_stats *st)
{
	return st->reads + st->end_reads;
}

/*
 * The self-test (--check)
 */

struct check {
	char		dir[256];	/* temporary directory */
	const char	*self;		/* this program, for the CLI case */
	int		passed, failed;
};

static const char *current_case = "setup";

static void check_timeout(int sig)
{
	static const char what[] = "syslet-cat: --check timed out in case: ";

	(void)sig;
	if (write(STDERR_FILENO, what, sizeof(what) - 1) < 0 ||
	    write(STDERR_FILENO, current_case, strlen(current_case)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		_exit(EXIT_FAIL);
	_exit(EXIT_FAIL);
}

/* Generous: everything may be 50 times slower under CPU emulation. */
#define CASE_TIMEOUT	300

static void case_begin(const char *name)
{
	current_case = name;
	alarm(CASE_TIMEOUT);
}

static void report(struct check *t, bool ok, const char *name,
		   const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - %s", ok ? "" : "not ", t->passed + t->failed + 1, name);
	if (fmt) {
		fputs(ok ? " (" : ": ", stdout);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		if (ok)
			putchar(')');
	}
	putchar('\n');
	fflush(stdout);
	if (ok)
		t->passed++;
	else
		t->failed++;
}

/* The content of the test file of @size bytes: xorshift64* from @size. */
static void fill_pattern(char *p, size_t len, __u64 *state)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*state ^= *state >> 12;
		*state ^= *state << 25;
		*state ^= *state >> 27;
		p[i] = (char)((*state * 0x2545f4914f6cdd1dULL) >> 56);
	}
}

static int make_source(struct check *t, size_t size, char *path)
{
	__u64 state = 0x9e3779b97f4a7c15ULL ^ size;
	static char chunk[BUFSZ];
	size_t len, done;
	int fd;

	snprintf(path, PATH_MAX, "%s/in-%zu", t->dir, size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (done = 0; done < size; done += len) {
		len = size - done < BUFSZ ? size - done : BUFSZ;
		fill_pattern(chunk, len, &state);
		if (write(fd, chunk, len) != (ssize_t)len) {
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

/*
 * Reads @fd to its end and compares it with the @nwant files at @want, one
 * after the other.  Describes the first difference in @why.
 *
 * Return: 0 same, 1 different, -1 I/O error.
 */
static int compare_fd(int fd, const char *const *want, int nwant, char *why,
		      size_t whylen)
{
	static char a[BUFSZ], b[BUFSZ];
	size_t off = 0, i;
	ssize_t na, nb;
	int wfd = -1, w = -1, ret = -1;

	for (;;) {
		do {
			na = read(fd, a, sizeof(a));
		} while (na < 0 && errno == EINTR);
		if (na < 0) {
			snprintf(why, whylen, "read the output: %s",
				 strerror(errno));
			break;
		}
		/* The next piece of the expected output, up to na bytes */
		for (nb = 0; nb == 0 && w < nwant; ) {
			if (wfd >= 0)
				nb = read(wfd, b, na ? na : 1);
			if (nb == 0) {
				if (wfd >= 0)
					close(wfd);
				wfd = -1;
				if (++w < nwant)
					wfd = open(want[w], O_RDONLY | O_CLOEXEC);
				if (w < nwant && wfd < 0)
					nb = -1;
			}
		}
		if (nb < 0) {
			snprintf(why, whylen, "read %s: %s", want[w],
				 strerror(errno));
			break;
		}
		if (!na || !nb) {
			if (!na && !nb) {
				ret = 0;
			} else {
				snprintf(why, whylen,
					 "the output has %s bytes than the input: it %s at byte %zu",
					 na ? "more" : "fewer",
					 na ? "goes on" : "ends", off);
				ret = 1;
			}
			break;
		}
		/* Compare the shorter of the two pieces; keep the rest. */
		for (i = 0; i < (size_t)nb && i < (size_t)na && a[i] == b[i]; i++)
			;
		if (i < (size_t)nb && i < (size_t)na) {
			snprintf(why, whylen,
				 "byte %zu differs: 0x%02x, want 0x%02x",
				 off + i, (unsigned char)a[i], (unsigned char)b[i]);
			ret = 1;
			break;
		}
		if (nb < na && lseek(fd, nb - na, SEEK_CUR) < 0) {
			snprintf(why, whylen, "lseek the output: %s",
				 strerror(errno));
			break;
		}
		off += nb;
	}
	if (wfd >= 0)
		close(wfd);
	return ret;
}

/* Every child of the self-test: default signals, a timeout of its own. */
static void child_init(void)
{
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	alarm(CASE_TIMEOUT);
}

/* Child: reads the pipe @fd and compares it with @want; exits 0, 1 or 2. */
static void pipe_reader(int fd, const char *want, bool slow, bool signals)
{
	static char a[4096], b[4096];
	pid_t parent = getppid();
	size_t off = 0, i;
	ssize_t na, nb;
	int wfd, k;

	child_init();
	wfd = open(want, O_RDONLY | O_CLOEXEC);
	if (wfd < 0)
		_exit(2);
	for (k = 1; ; k++) {
		if (slow && !(k % 4))
			usleep(1000);
		if (signals && !(k % 2))
			kill(parent, SIGUSR1);
		na = read(fd, a, slow ? 4096 : 1024 + k % 3000);
		if (na < 0) {
			fprintf(stderr, "syslet-cat: check: pipe reader: read: %s\n",
				strerror(errno));
			_exit(2);
		}
		nb = pread(wfd, b, na ? na : 1, off);
		if (nb != na) {
			fprintf(stderr,
				"syslet-cat: check: pipe reader: the pipe carried %s bytes than the input (%zu, input %s)\n",
				nb > na ? "fewer" : "more", off + na,
				nb > na ? "goes on" : "ended");
			_exit(1);
		}
		if (!na)
			_exit(0);
		for (i = 0; i < (size_t)na && a[i] == b[i]; i++)
			;
		if (i < (size_t)na) {
			fprintf(stderr,
				"syslet-cat: check: pipe reader: byte %zu differs: 0x%02x, want 0x%02x\n",
				off + i, (unsigned char)a[i], (unsigned char)b[i]);
			_exit(1);
		}
		off += na;
	}
}

/* Child: writes the file @src into the pipe @fd in odd-sized pieces. */
static void pipe_writer(int fd, const char *src)
{
	static const size_t piece[] = { 1, 777, 4096, 65536 + 3, 100000, 10 };
	static char buf[100000];
	ssize_t n, w;
	int sfd, k;

	child_init();
	sfd = open(src, O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		_exit(2);
	for (k = 0; ; k++) {
		n = read(sfd, buf, piece[k % 6]);
		if (n <= 0)
			_exit(n < 0 ? 2 : 0);
		if (!(k % 3))
			usleep(1000);	/* let the reader find the pipe empty */
		for (w = 0; w < n; ) {
			ssize_t r = write(fd, buf + w, n - w);

			if (r < 0)
				_exit(2);
			w += r;
		}
	}
}

/* Waits for a check child; describes a failure in @why. */
static bool child_ok(pid_t pid, const char *who, char *why, size_t whylen)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid(%s): %s", who,
				 strerror(errno));
			return false;
		}
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	if (WIFEXITED(status))
		snprintf(why, whylen, "the %s exited with %d%s", who,
			 WEXITSTATUS(status),
			 WEXITSTATUS(status) == 1 ? ": data differ" : ": I/O error");
	else
		snprintf(why, whylen, "the %s was killed by signal %d (%s)",
			 who, WTERMSIG(status), strsignal(WTERMSIG(status)));
	return false;
}

enum source { FROM_FILE, FROM_PIPE };
enum sink { TO_FILE, TO_PIPE, TO_SLOW_PIPE_SIGNALS, TO_NONBLOCK_PIPE };

static const char *const sink_name[] = {
	[TO_FILE]		= "file",
	[TO_PIPE]		= "pipe",
	[TO_SLOW_PIPE_SIGNALS]	= "slow pipe reader sending signals",
	[TO_NONBLOCK_PIPE]	= "non-blocking pipe, slow reader",
};

static int signals_seen;	/* lock-free atomics are async-signal-safe */

static void count_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(&signals_seen, 1, __ATOMIC_RELAXED);
}

static unsigned long long ceil_div(unsigned long long a, unsigned long long b)
{
	return (a + b - 1) / b;
}

/* Starts the input: the file @src, or a pipe that a child fills from it. */
static int open_input(enum source source, const char *src, pid_t *writer)
{
	int p[2];

	*writer = 0;
	if (source == FROM_FILE)
		return open(src, O_RDONLY | O_CLOEXEC);
	if (pipe2(p, O_CLOEXEC))
		return -1;
	*writer = fork();
	if (*writer == 0) {
		close(p[0]);
		pipe_writer(p[1], src);
	}
	close(p[1]);
	if (*writer < 0) {
		close(p[0]);
		return -1;
	}
	return p[0];
}

/* Starts the output: the file @out, or a pipe that a child checks. */
static int open_output(enum sink sink, const char *out, const char *src,
		       pid_t *reader)
{
	int p[2];

	*reader = 0;
	if (sink == TO_FILE)
		return open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (pipe2(p, O_CLOEXEC))
		return -1;
	*reader = fork();
	if (*reader == 0) {
		close(p[1]);
		pipe_reader(p[0], src, sink != TO_PIPE,
			    sink == TO_SLOW_PIPE_SIGNALS);
	}
	close(p[0]);
	if (*reader < 0) {
		close(p[1]);
		return -1;
	}
	if (sink == TO_NONBLOCK_PIPE)
		fcntl(p[1], F_SETFL, O_NONBLOCK);
	return p[1];
}

/* Copies a @size-byte file (@src) from @source to @sink and checks the copy. */
static void run_case(struct check *t, bool async, const char *src, size_t size,
		     enum source source, enum sink sink)
{
	char name[160], why[256] = "", out[PATH_MAX];
	struct sigaction sa, old_sa;
	unsigned long long reads;
	pid_t reader, writer;
	int in, fd, err;
	struct cat c;
	bool ok;

	snprintf(name, sizeof(name), "%s: %zu-byte %s -> %s",
		 async ? "async (-a)" : "sync", size,
		 source == FROM_FILE ? "file" : "pipe", sink_name[sink]);
	case_begin(name);

	in = open_input(source, src, &writer);
	if (in < 0) {
		report(t, false, name, "cannot set up the input: %s",
		       strerror(errno));
		return;
	}
	snprintf(out, sizeof(out), "%s/out", t->dir);
	fd = open_output(sink, out, src, &reader);
	if (fd < 0) {
		report(t, false, name, "cannot set up the output: %s",
		       strerror(errno));
		close(in);
		if (writer > 0)
			child_ok(writer, "pipe writer", why, sizeof(why));
		return;
	}
	if (sink == TO_SLOW_PIPE_SIGNALS) {
		/* No SA_RESTART: the signals interrupt writes and chains. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = count_signal;
		sigaction(SIGUSR1, &sa, &old_sa);
		__atomic_store_n(&signals_seen, 0, __ATOMIC_RELAXED);
	}

	err = cat_init(&c, fd, async);
	if (!err) {
		err = cat_fd(&c, in, src);
		cat_exit(&c);
	}
	close(in);
	if (sink != TO_FILE)
		close(fd);	/* the reader's end of file */

	ok = !err;
	if (!ok)
		snprintf(why, sizeof(why), "the copy failed: %s",
			 strerror(-err));
	if (writer > 0 && !child_ok(writer, "pipe writer", why, sizeof(why)))
		ok = false;
	if (reader > 0 && !child_ok(reader, "pipe reader", why, sizeof(why)))
		ok = false;
	if (sink == TO_SLOW_PIPE_SIGNALS)
		sigaction(SIGUSR1, &old_sa, NULL);
	if (sink == TO_FILE) {
		if (ok && lseek(fd, 0, SEEK_SET) < 0) {
			snprintf(why, sizeof(why), "lseek: %s", strerror(errno));
			ok = false;
		}
		ok = ok && !compare_fd(fd, &src, 1, why, sizeof(why));
		close(fd);
	}
	if (!ok) {
		report(t, false, name, "%s", why);
		return;
	}

	reads = cat_reads(&c.st);
	if (c.st.bytes != size) {
		report(t, false, name, "the byte counter is %llu, want %zu",
		       (unsigned long long)c.st.bytes, size);
	} else if (source == FROM_FILE && reads != ceil_div(size, BUFSZ) + 1) {
		report(t, false, name, "%llu reads, want %llu", reads,
		       ceil_div(size, BUFSZ) + 1);
	} else if (!async && source == FROM_FILE &&
		   (sink == TO_FILE || sink == TO_PIPE) && c.st.syscalls != 1) {
		/* Nothing stops these early: the whole copy is one async_exec(). */
		report(t, false, name,
		       "%lu system calls from user space, want 1 (%lu chains resumed, %lu short writes)",
		       c.st.syscalls, c.st.resumed, c.st.short_writes);
	} else {
		report(t, true, name,
		       "%llu bytes, %llu reads, %lu system calls, %lu handoffs, %lu chains resumed, %lu short writes",
		       (unsigned long long)c.st.bytes, reads, c.st.syscalls,
		       c.st.handoffs, c.st.resumed, c.st.short_writes);
	}
	if (sink == TO_SLOW_PIPE_SIGNALS)
		printf("# %d signals arrived during the copy\n",
		       __atomic_load_n(&signals_seen, __ATOMIC_RELAXED));
}

/* Runs this program on two files as a user would, and checks its output. */
static void run_cli_case(struct check *t, bool async, const char *src1,
			 size_t size1, const char *src2, size_t size2)
{
	const char *const srcs[] = { src1, src2 };
	unsigned long long bytes, reads, want_reads;
	char name[160], why[256] = "", out[PATH_MAX], text[512];
	unsigned long syscalls;
	ssize_t n, len = 0;
	int fd, e[2];
	pid_t pid;
	bool ok;

	snprintf(name, sizeof(name),
		 "%s: syslet-cat %s%zu-byte-file %zu-byte-file > file",
		 async ? "async (-a)" : "sync", async ? "-a " : "", size1, size2);
	case_begin(name);
	snprintf(out, sizeof(out), "%s/out", t->dir);
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || pipe2(e, O_CLOEXEC)) {
		report(t, false, name, "cannot set up: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { "syslet-cat", async ? "-av" : "-v",
				 (char *)src1, (char *)src2, NULL };

		child_init();
		dup2(fd, STDOUT_FILENO);
		dup2(e[1], STDERR_FILENO);
		execvp(t->self, argv);
		fprintf(stderr, "exec %s: %s\n", t->self, strerror(errno));
		_exit(127);
	}
	close(e[1]);
	while (pid > 0 && len < (ssize_t)sizeof(text) - 1) {
		n = read(e[0], text + len, sizeof(text) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	text[len] = '\0';
	close(e[0]);
	if (pid < 0) {
		report(t, false, name, "fork: %s", strerror(errno));
		close(fd);
		return;
	}

	ok = child_ok(pid, "syslet-cat process", why, sizeof(why));
	if (ok && sscanf(text,
			 "syslet-cat: %llu bytes in %llu reads, %lu system calls from user space",
			 &bytes, &reads, &syscalls) != 3) {
		snprintf(why, sizeof(why), "unexpected stderr: \"%.200s\"", text);
		ok = false;
	}
	want_reads = ceil_div(size1, BUFSZ) + ceil_div(size2, BUFSZ) + 2;
	if (ok && (bytes != size1 + size2 || reads != want_reads)) {
		snprintf(why, sizeof(why),
			 "it reported %llu bytes in %llu reads, want %zu in %llu",
			 bytes, reads, size1 + size2, want_reads);
		ok = false;
	}
	if (ok && !async && syscalls != 2) {
		snprintf(why, sizeof(why),
			 "it reported %lu system calls from user space, want 2 (one per file)",
			 syscalls);
		ok = false;
	}
	if (ok && lseek(fd, 0, SEEK_SET) < 0) {
		snprintf(why, sizeof(why), "lseek: %s", strerror(errno));
		ok = false;
	}
	ok = ok && !compare_fd(fd, srcs, 2, why, sizeof(why));
	close(fd);
	if (ok)
		report(t, true, name, "%s", strtok(text, "\n"));
	else
		report(t, false, name, "%s", why);
}

/*
 * Whether this kernel runs syslets: a one-atom getpid() chain.
 *
 * Return: 0, or the negative errno of async_exec().
 */
static int probe_syslets(void)
{
	struct syslet_op op;
	int ret;

	syslet_prep_getpid(&op);
	syslet_op_set_flags(&op, SYSLET_SYNC);
	ret = syslet_exec(&op, NULL);
	if (ret < 0)
		return ret;
	if (syslet_op_result(&op) != getpid())
		return -EPROTO;
	return 0;
}

static int run_checks(const char *argv0)
{
	static const size_t sizes[] = {
		0, 1, BUFSZ - 1, BUFSZ, BUFSZ + 1, 3 * 1024 * 1024 + 4321,
	};
	static const enum sink sinks[] = { TO_FILE, TO_PIPE };
	char src[6][PATH_MAX];
	struct check t = { .self = "/proc/self/exe" };
	const char *tmp = getenv("TMPDIR");
	unsigned int i, j, big = 5;
	int ret, async;

	signal(SIGALRM, check_timeout);
	signal(SIGPIPE, SIG_IGN);	/* a dead reader is a failed case, not our end */
	if (access(t.self, X_OK))
		t.self = argv0;

	ret = probe_syslets();
	if (ret == syslet_nosys() || ret == -EPERM) {
		printf("1..0 # SKIP async_exec: %s%s\n", strerror(-ret),
		       syslet_hint(ret));
		return EXIT_SKIP;
	}
	if (ret) {
		printf("Bail out! async_exec(getpid) %s\n",
		       ret == -EPROTO ? "returned a wrong pid" : strerror(-ret));
		return EXIT_FAIL;
	}

	if (!tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	snprintf(t.dir, sizeof(t.dir), "%s/syslet-cat.XXXXXX", tmp);
	if (!mkdtemp(t.dir)) {
		printf("Bail out! mkdtemp %s: %s\n", t.dir, strerror(errno));
		return EXIT_FAIL;
	}
	for (i = 0; i < 6; i++) {
		if (make_source(&t, sizes[i], src[i])) {
			printf("Bail out! cannot write %s: %s\n", src[i],
			       strerror(errno));
			return EXIT_FAIL;
		}
	}

	for (async = 0; async <= 1; async++) {
		for (i = 0; i < 6; i++)
			for (j = 0; j < 2; j++)
				run_case(&t, async, src[i], sizes[i], FROM_FILE,
					 sinks[j]);
		run_case(&t, async, src[big], sizes[big], FROM_FILE,
			 TO_SLOW_PIPE_SIGNALS);
		run_case(&t, async, src[big], sizes[big], FROM_FILE,
			 TO_NONBLOCK_PIPE);
		run_case(&t, async, src[big], sizes[big], FROM_PIPE, TO_FILE);
		run_cli_case(&t, async, src[4], sizes[4], src[1], sizes[1]);
	}
	alarm(0);

	for (i = 0; i < 6; i++)
		unlink(src[i]);
	snprintf(src[0], sizeof(src[0]), "%s/out", t.dir);
	unlink(src[0]);
	rmdir(t.dir);

	printf("1..%d\n", t.passed + t.failed);
	printf("# syslet-cat --check: %d passed, %d failed\n", t.passed,
	       t.failed);
	return t.failed ? EXIT_FAIL : EXIT_PASS;
}

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: syslet-cat [-a] [-v] [FILE...]\n"
		"       syslet-cat --check\n"
		"Copies the FILEs (or standard input) to standard output with one\n"
		"syslet per file.\n"
		"  -a       let blocking atoms hand off; wait on the completion ring\n"
		"  -v       also print handoffs, resumed chains and short writes\n"
		"  --check  self-test; exit 0 passed, 1 failed, 4 skipped\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool async = false, verbose = false;
	int opt, i, fd, status = 0;
	struct cat c;

	while ((opt = getopt_long(argc, argv, "avh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			async = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'C':
			return run_checks(argv[0]);
		case 'h':
			print_help(stdout);
			return 0;
		default:
			print_help(stderr);
			return 2;
		}
	}

	if (cat_init(&c, STDOUT_FILENO, async))
		return 1;
	if (optind == argc && cat_fd(&c, STDIN_FILENO, "-"))
		status = 1;
	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "-")) {
			fd = STDIN_FILENO;
		} else {
			fd = open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				msg("%s: %s", argv[i], strerror(errno));
				status = 1;
				continue;
			}
		}
		if (cat_fd(&c, fd, argv[i]))
			status = 1;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	cat_exit(&c);

	fprintf(stderr,
		"syslet-cat: %llu bytes in %llu reads, %lu system calls from user space\n",
		(unsigned long long)c.st.bytes, cat_reads(&c.st),
		c.st.syscalls);
	if (verbose)
		fprintf(stderr,
			"syslet-cat: %lu handoffs, %lu chains resumed after a signal, %lu short writes\n",
			c.st.handoffs, c.st.resumed, c.st.short_writes);
	return status;
}
