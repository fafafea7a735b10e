// SPDX-License-Identifier: GPL-2.0
/*
 * syslet-server - a single-threaded event loop whose sends may block
 *
 * The server answers requests on AF_UNIX stream sockets: a client sends a
 * 4-byte little-endian size N, the server replies N bytes: a 16-byte header
 * (magic, N, the connection's request number) and then a body that all
 * replies share.  sendmsg() sends both from where they are, without a copy.
 * One thread runs an epoll loop over the listening socket, the clients
 * (EPOLLIN, recv() with MSG_DONTWAIT) and a completion eventfd.  Some
 * clients read their replies slowly, so a blocking send to them blocks.
 * Three ways to send, one per --mode:
 *
 * syslet:   each reply is one async_exec() of a sendmsg() atom on the
 *	     blocking socket (no MSG_DONTWAIT).  When the send does not
 *	     block, async_exec() returns at once with the result: no ring
 *	     entry, no thread switch.  When it blocks, a pool thread returns
 *	     0 in the caller's place (same thread ID: it is this thread now)
 *	     and the loop goes on serving others while the send finishes in
 *	     the background.  Its completion is posted to the ring, and the
 *	     ring's eventfd (ASYNC_HEAD_EVENTFD) wakes epoll: the loop drains
 *	     the eventfd, then consumes the ring in order.  A partial send is
 *	     submitted again with the remainder.
 *
 *	     The pool is the registration's max_nr_threads.  Every connection
 *	     has at most one send in flight, so one pool thread per client
 *	     never runs dry.  When the pool is exhausted (--threads below the
 *	     number of sends blocked at a time), a send that blocks has no
 *	     thread to hand off to: it blocks in the caller as in blocking
 *	     mode, and the loop stalls until that send completes.
 *
 * blocking: sendmsg() in the loop: one slow client stalls everybody.
 *
 * uring:    the sends go to io_uring (IORING_OP_SENDMSG), set up with the
 *	     raw system calls, its eventfd registered into the same epoll
 *	     set.  For comparison; the mode is skipped where io_uring is not
 *	     available.
 *
 * For AF_UNIX stream sockets the sender's SO_SNDBUF bounds the data in
 * flight (the receiver's SO_RCVBUF plays no part), so the server lowers
 * SO_SNDBUF on the connections (--sndbuf): a reply that does not fit waits
 * in the send until the client has read enough.
 *
 * "syslet-server --bench" starts fast clients (request, read the whole
 * reply, repeat) and slow ones (read 1 KiB every 2 ms), runs each mode in
 * turn as a child process for a few seconds, and prints a table: replies
 * per second to the fast clients (how well the loop keeps serving while
 * sends to slow clients wait), replies to the slow clients, the bytes
 * that all clients received and checked, and the server's counters (for
 * syslet mode: async_exec() calls, sends that completed in the caller,
 * handoffs, ring entries, eventfd wakeups).  Clients check every reply
 * byte for byte.  "syslet-server --check" runs a short bench and checks
 * that every reply was exact, that nothing failed, that blocked sends
 * handed off, and that fast clients get more replies in syslet mode than
 * in blocking mode; it exits 0 (passed), 1 (failed) or 4 (skipped: no
 * syslets here).
 *
 * Each mode runs in a process of its own: a thread that has an io_uring
 * task context does not hand off its syslets (see
 * Documentation/userspace-api/syslet.rst), and fresh processes keep the
 * numbers independent.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "syslet.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit codes: kselftest's */
#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_SKIP	4

/*
 * The protocol
 */

#define REQ_SIZE	4		/* __le32: the size of the reply */
#define REPLY_MAGIC	0x4c535953	/* "SYSL" */
#define REPLY_MIN	((unsigned int)sizeof(struct reply_hdr))
#define REPLY_MAX	(1024 * 1024)

struct reply_hdr {
	__le32	magic;
	__le32	size;		/* the whole reply, this header included */
	__le64	seq;		/* the connection's request number, from 0 */
};

/*
 * Byte i of every reply (i >= REPLY_MIN) is pattern[i]: the server sends
 * from it and the clients compare with it.  Not periodic, so that a lost,
 * repeated or misplaced piece shows.
 */
static unsigned char *pattern;

static int pattern_init(void)
{
	__u64 x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	pattern = malloc(REPLY_MAX);
	if (!pattern)
		return -ENOMEM;
	for (i = 0; i < REPLY_MAX; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		pattern[i] = (x * 0x2545f4914f6cdd1dULL) >> 56;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * The server
 */

#define MAX_CONNS	64
#define RING_ENTRIES	128	/* > MAX_CONNS: the ring never overflows */
#define URING_ENTRIES	64	/* >= MAX_CONNS; the CQ ring is twice that */
#define STOP_TIMEOUT_MS	60000	/* for the sends in flight at the end */

/* What a server reports; the bench reads it through a pipe. */
struct server_stats {
	__u64	accepted;
	__u64	replies;	/* sent in full */
	__u64	bytes;
	__u64	partial;	/* sends that were submitted again */
	__u64	peer_gone;	/* sends that failed because the client left */
	__u64	errors;		/* anything else that went wrong */
	__u64	max_inflight;
	__u64	execs;		/* syslet: async_exec() calls */
	__u64	inline_done;	/* syslet: sends that completed in the caller */
	__u64	handoffs;	/* syslet: async_exec() returned 0 */
	__u64	ring_entries;	/* syslet: completions consumed from the ring */
	__u64	wakeups;	/* syslet, uring: eventfd reads */
	__u64	submits;	/* uring: io_uring_enter() calls */
	__u64	cqes;		/* uring: completions */
	char	why[160];	/* the first error */
};

/* A client connection.  The kernel reads @op and @msg while a send runs. */
struct conn {
	struct syslet_op	op;		/* syslet mode's send atom */
	struct msghdr		msg;
	struct iovec		iov[2];		/* header, body */
	struct reply_hdr	hdr;
	int			fd;		/* -1: a free slot */
	unsigned int		gen;		/* tells reused slots apart */
	__u64			seq;
	size_t			size, sent;	/* of the reply being sent */
	unsigned char		rx[8 * REQ_SIZE];	/* requests received */
	unsigned int		rx_len;
	bool			busy;		/* a send is in flight */
	bool			closing;	/* close once the send is done */
	bool			polled;		/* in the epoll set */
};

/* Raw io_uring: the rings as the kernel maps them. */
struct uring {
	int			fd;
	unsigned int		*sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int		*cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe	*sqes;
	struct io_uring_cqe	*cqes;
	unsigned int		sq_entries, queued;
	void			*sq_map, *cq_map;
	size_t			sq_len, cq_len, sqes_len;
	int			eventfd;
};

struct server;

struct mode {
	const char	*name;
	/* Sets up the mode: 0, or a negative errno (no such call, -EPERM: skip). */
	int		(*init)(struct server *s);
	/* Sends what c->msg describes; calls send_done() now or later. */
	void		(*send)(struct server *s, struct conn *c);
	/* The completion eventfd is readable. */
	void		(*complete)(struct server *s);
	/* The end of an event loop round. */
	void		(*flush)(struct server *s);
	void		(*exit)(struct server *s);
};

struct server {
	const struct mode	*mode;
	int			ep;		/* epoll */
	int			listen_fd;
	int			stop_fd;	/* readable or hung up: stop */
	int			completion_fd;	/* eventfd, or -1 */
	unsigned int		threads;	/* syslet pool size */
	int			sndbuf;		/* SO_SNDBUF; 0: the default */
	bool			stopping;
	unsigned int		inflight;	/* sends in flight */
	struct conn		*conns;		/* MAX_CONNS, never moved */
	struct syslet_ring	ring;
	struct uring		uring;
	struct server_stats	st;
};

/* epoll tags: a connection's slot and generation, or one of these */
#define TAG_LISTEN	((__u64)MAX_CONNS)
#define TAG_STOP	((__u64)MAX_CONNS + 1)
#define TAG_COMPLETION	((__u64)MAX_CONNS + 2)

static __u64 conn_tag(struct server *s, struct conn *c)
{
	return (__u64)c->gen << 32 | (__u64)(c - s->conns);
}

static void server_error(struct server *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!s->st.errors)
		vsnprintf(s->st.why, sizeof(s->st.why), fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	fprintf(stderr, "syslet-server (%s): ", s->mode->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	s->st.errors++;
}

static int epoll_add(struct server *s, int fd, __u64 tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void conn_close(struct server *s, struct conn *c)
{
	if (c->polled)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->gen++;
	c->polled = false;
}

/* The client left (or the server stops): close now, or after the send. */
static void conn_hangup(struct server *s, struct conn *c)
{
	if (!c->busy) {
		conn_close(s, c);
		return;
	}
	c->closing = true;
	if (c->polled) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->polled = false;
	}
}

/* Skips the first @n bytes of what @m describes. */
static void msg_advance(struct msghdr *m, size_t n)
{
	while (n && m->msg_iovlen) {
		struct iovec *v = m->msg_iov;
		size_t k = n < v->iov_len ? n : v->iov_len;

		v->iov_base = (char *)v->iov_base + k;
		v->iov_len -= k;
		n -= k;
		if (!v->iov_len) {
			m->msg_iov++;
			m->msg_iovlen--;
		}
	}
}

static void conn_next(struct server *s, struct conn *c);

/*
 * A send of @c ended with @ret (bytes sent or a negative errno): submit the
 * rest, or count the reply and go on with the connection.
 */
static void send_done(struct server *s, struct conn *c, long ret)
{
	if (ret > 0 && c->sent + ret < c->size) {
		/* A partial send: the rest, from where it stopped */
		s->st.partial++;
		c->sent += ret;
		msg_advance(&c->msg, ret);
		s->mode->send(s, c);
		return;
	}
	c->busy = false;
	s->inflight--;
	if (ret <= 0) {
		if (ret == -EPIPE || ret == -ECONNRESET)
			s->st.peer_gone++;
		else
			server_error(s, "sendmsg on connection %td: %s",
				     c - s->conns,
				     ret ? strerror(-ret) : "sent nothing");
		conn_close(s, c);
		return;
	}
	s->st.replies++;
	s->st.bytes += c->size;
	c->seq++;
	if (c->closing)
		conn_close(s, c);
	else
		conn_next(s, c);
}

/* Starts the reply to the first request in @c->rx. */
static void start_reply(struct server *s, struct conn *c)
{
	__le32 req;

	memcpy(&req, c->rx, REQ_SIZE);
	c->rx_len -= REQ_SIZE;
	memmove(c->rx, c->rx + REQ_SIZE, c->rx_len);
	c->size = le32toh(req);
	if (c->size < REPLY_MIN || c->size > REPLY_MAX) {
		server_error(s, "connection %td asked for %zu bytes (%u to %u)",
			     c - s->conns, c->size, REPLY_MIN, REPLY_MAX);
		conn_close(s, c);
		return;
	}
	c->hdr.magic = htole32(REPLY_MAGIC);
	c->hdr.size = htole32(c->size);
	c->hdr.seq = htole64(c->seq);
	c->iov[0].iov_base = &c->hdr;
	c->iov[0].iov_len = sizeof(c->hdr);
	c->iov[1].iov_base = pattern + sizeof(c->hdr);
	c->iov[1].iov_len = c->size - sizeof(c->hdr);
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = c->iov;
	c->msg.msg_iovlen = 2;
	c->sent = 0;
	c->busy = true;
	if (++s->inflight > s->st.max_inflight)
		s->st.max_inflight = s->inflight;
	s->mode->send(s, c);
}

/* Answers the next request of @c, and listens to it again if it stopped. */
static void conn_next(struct server *s, struct conn *c)
{
	if (!c->busy && c->rx_len >= REQ_SIZE) {
		start_reply(s, c);
		if (c->fd < 0)
			return;
	}
	if (!c->polled && !c->closing && c->rx_len < sizeof(c->rx)) {
		if (epoll_add(s, c->fd, conn_tag(s, c))) {
			server_error(s, "epoll_ctl: %s", strerror(errno));
			conn_hangup(s, c);
			return;
		}
		c->polled = true;
	}
}

static void conn_input(struct server *s, struct conn *c)
{
	ssize_t n;

	n = recv(c->fd, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0 && errno != ECONNRESET)
			server_error(s, "recv: %s", strerror(errno));
		conn_hangup(s, c);
		return;
	}
	c->rx_len += n;
	if (c->rx_len == sizeof(c->rx)) {
		/* Pipelined requests filled the buffer: stop reading. */
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->polled = false;
	}
	conn_next(s, c);
}

static void accept_all(struct server *s)
{
	struct conn *c;
	int fd, i;

	for (;;) {
		/* A blocking socket: sends wait, which is the point here. */
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				server_error(s, "accept4: %s", strerror(errno));
			return;
		}
		for (i = 0; i < MAX_CONNS && s->conns[i].fd >= 0; i++)
			;
		if (i == MAX_CONNS) {
			server_error(s, "more than %d connections", MAX_CONNS);
			close(fd);
			continue;
		}
		if (s->sndbuf &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->sndbuf,
			       sizeof(s->sndbuf)))
			server_error(s, "SO_SNDBUF: %s", strerror(errno));
		c = &s->conns[i];
		c->fd = fd;
		c->seq = 0;
		c->rx_len = 0;
		c->busy = false;
		c->closing = false;
		c->polled = false;
		s->st.accepted++;
		conn_next(s, c);
	}
}

/* Stops listening, closes idle connections, aborts sends in flight. */
static void server_stop(struct server *s)
{
	int i;

	s->stopping = true;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, s->listen_fd, NULL);
	epoll_ctl(s->ep, EPOLL_CTL_DEL, s->stop_fd, NULL);
	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0)
			continue;
		/* Wakes a send blocked on this socket with -EPIPE. */
		if (c->busy)
			shutdown(c->fd, SHUT_RDWR);
		conn_hangup(s, c);
	}
}

static int server_loop(struct server *s)
{
	struct epoll_event ev[64];
	long long give_up = 0;
	int i, n;
	__u64 tag;

	for (;;) {
		if (s->stopping && !s->inflight)
			return 0;
		if (s->stopping && !give_up)
			give_up = now_ms() + STOP_TIMEOUT_MS;
		if (give_up && now_ms() > give_up) {
			server_error(s, "%u sends still in flight %d s after the end",
				     s->inflight, STOP_TIMEOUT_MS / 1000);
			return -ETIME;
		}
		n = epoll_wait(s->ep, ev, 64, s->stopping ? 100 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			server_error(s, "epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (i = 0; i < n; i++) {
			tag = ev[i].data.u64;
			if (tag == TAG_LISTEN) {
				accept_all(s);
			} else if (tag == TAG_STOP) {
				server_stop(s);
			} else if (tag == TAG_COMPLETION) {
				s->mode->complete(s);
			} else {
				struct conn *c = &s->conns[(__u32)tag];

				/* Skip events of a slot closed and reused in this round. */
				if (c->fd >= 0 && c->gen == tag >> 32 && c->polled)
					conn_input(s, c);
			}
		}
		if (s->mode->flush)
			s->mode->flush(s);
	}
}

/*
 * syslet mode
 */

static int syslet_init(struct server *s)
{
	int ret;

	/*
	 * The ring holds more entries than there can be sends in flight, so
	 * completions never wait in the kernel for a free slot.
	 */
	ret = syslet_ring_init(&s->ring, RING_ENTRIES, s->threads,
			       SYSLET_RING_INIT_EVENTFD);
	if (ret)
		return ret;
	s->completion_fd = syslet_ring_eventfd(&s->ring);
	return 0;
}

/* One atom: sendmsg(c->fd, &c->msg, MSG_NOSIGNAL) on the blocking socket */
static void syslet_send(struct server *s, struct conn *c)
{
	int ret;

	syslet_prep(&c->op, __NR_sendmsg, SYSLET_STOP_ON_NEGATIVE, c->fd,
		    &c->msg, MSG_NOSIGNAL);
	s->st.execs++;
	ret = syslet_exec(&c->op, NULL);
	if (ret == SYSLET_EXEC_DONE) {
		/* It did not block: the result is here, no ring entry. */
		s->st.inline_done++;
		send_done(s, c, syslet_op_result(&c->op));
	} else if (ret == SYSLET_EXEC_ASYNC) {
		/* It blocked: a pool thread returned in our place. */
		s->st.handoffs++;
	} else {
		server_error(s, "async_exec: %s", strerror(-ret));
		send_done(s, c, ret);
	}
}

static void syslet_complete(struct server *s)
{
	unsigned int n = 0;
	struct syslet_op *op;
	struct conn *c;
	int ret;
	__u64 e;

	/* First reset the eventfd, then consume: no post goes unnoticed. */
	ret = syslet_ring_drain_eventfd(&s->ring);
	if (ret < 0)
		server_error(s, "read eventfd: %s", strerror(-ret));
	s->st.wakeups++;
	syslet_ring_for_each(&s->ring, e) {
		op = syslet_op_of(syslet_entry_atom(e));
		c = (struct conn *)((char *)op - offsetof(struct conn, op));
		s->st.ring_entries++;
		n++;
		if (c < s->conns || c >= s->conns + MAX_CONNS || !c->busy) {
			server_error(s, "ring entry %#llx is no send in flight",
				     (unsigned long long)e);
			continue;
		}
		ret = syslet_entry_error(e);
		send_done(s, c, ret ? ret : syslet_op_result(op));
	}
	/*
	 * Cannot happen with RING_ENTRIES > MAX_CONNS, but this is how a
	 * full ring gets the completions that waited for a free slot.
	 */
	if (n >= s->ring.nslots)
		syslet_ring_flush(&s->ring);
}

static void syslet_exit(struct server *s)
{
	int i, ret = 0;

	/* A task that finished a send may still be on its way to the pool. */
	for (i = 0; i < 5000; i++) {
		ret = syslet_ring_exit(&s->ring);
		if (ret != -EBUSY)
			break;
		usleep(1000);
	}
	if (ret)
		server_error(s, "async_register(NULL): %s", strerror(-ret));
}

static const struct mode syslet_mode = {
	.name		= "syslet",
	.init		= syslet_init,
	.send		= syslet_send,
	.complete	= syslet_complete,
	.exit		= syslet_exit,
};

/*
 * blocking mode
 */

static void blocking_send(struct server *s, struct conn *c)
{
	ssize_t n;

	do {
		n = sendmsg(c->fd, &c->msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	send_done(s, c, n < 0 ? -errno : n);
}

static const struct mode blocking_mode = {
	.name		= "blocking",
	.send		= blocking_send,
};

/*
 * uring mode: io_uring through its system calls, as liburing would
 */

static int uring_init(struct server *s)
{
	struct io_uring_params p;
	struct uring *u = &s->uring;
	int ret;

	memset(&p, 0, sizeof(p));
	u->fd = syscall(__NR_io_uring_setup, URING_ENTRIES, &p);
	if (u->fd < 0)
		return -errno;
	u->sq_entries = p.sq_entries;
	u->sq_len = p.sq_off.array + p.sq_entries * sizeof(__u32);
	u->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_len > u->sq_len)
			u->sq_len = u->cq_len;
		u->cq_len = u->sq_len;
	}
	u->sq_map = mmap(NULL, u->sq_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	if (u->sq_map == MAP_FAILED)
		goto fail;
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		u->cq_map = u->sq_map;
	else
		u->cq_map = mmap(NULL, u->cq_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, u->fd,
				 IORING_OFF_CQ_RING);
	if (u->cq_map == MAP_FAILED)
		goto fail;
	u->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED)
		goto fail;
	u->sq_head = (unsigned int *)((char *)u->sq_map + p.sq_off.head);
	u->sq_tail = (unsigned int *)((char *)u->sq_map + p.sq_off.tail);
	u->sq_mask = (unsigned int *)((char *)u->sq_map + p.sq_off.ring_mask);
	u->sq_array = (unsigned int *)((char *)u->sq_map + p.sq_off.array);
	u->cq_head = (unsigned int *)((char *)u->cq_map + p.cq_off.head);
	u->cq_tail = (unsigned int *)((char *)u->cq_map + p.cq_off.tail);
	u->cq_mask = (unsigned int *)((char *)u->cq_map + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)((char *)u->cq_map + p.cq_off.cqes);

	u->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->eventfd < 0)
		goto fail;
	if (syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_EVENTFD,
		    &u->eventfd, 1) < 0)
		goto fail;
	s->completion_fd = u->eventfd;
	return 0;
fail:
	ret = -errno;
	server_error(s, "setting up io_uring: %s", strerror(errno));
	close(u->fd);
	return ret;
}

/* Submits the queued SQEs. */
static void uring_flush(struct server *s)
{
	struct uring *u = &s->uring;
	long ret;

	while (u->queued) {
		s->st.submits++;
		ret = syscall(__NR_io_uring_enter, u->fd, u->queued, 0, 0,
			      NULL, 0);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			/* Nothing else can free the SQ ring: give up. */
			server_error(s, "io_uring_enter: %s",
				     ret ? strerror(errno) : "submitted nothing");
			exit(EXIT_FAIL);
		}
		u->queued -= ret;
	}
}

static void uring_send(struct server *s, struct conn *c)
{
	struct uring *u = &s->uring;
	struct io_uring_sqe *sqe;
	unsigned int tail, idx;

	if (u->queued == u->sq_entries)
		uring_flush(s);
	tail = *u->sq_tail;
	idx = tail & *u->sq_mask;
	sqe = &u->sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_SENDMSG;
	sqe->fd = c->fd;
	sqe->addr = (uintptr_t)&c->msg;
	sqe->len = 1;
	/*
	 * io_uring tries a send without blocking first and then waits for
	 * the socket to be writable; MSG_WAITALL makes it send the rest of
	 * a partial send itself, as a blocking sendmsg() does.
	 */
	sqe->msg_flags = MSG_NOSIGNAL | MSG_WAITALL;
	sqe->user_data = (uintptr_t)c;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	u->queued++;
}

static void uring_complete(struct server *s)
{
	struct uring *u = &s->uring;
	struct io_uring_cqe *cqe;
	unsigned int head;
	__u64 count;
	struct conn *c;
	__s32 res;

	if (read(u->eventfd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		server_error(s, "read eventfd: %s", strerror(errno));
	s->st.wakeups++;
	head = *u->cq_head;
	while (head != __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE)) {
		cqe = &u->cqes[head & *u->cq_mask];
		c = (struct conn *)(uintptr_t)cqe->user_data;
		res = cqe->res;
		/* Free the CQE before send_done() queues the next SQE. */
		__atomic_store_n(u->cq_head, ++head, __ATOMIC_RELEASE);
		s->st.cqes++;
		send_done(s, c, res);
	}
}

static void uring_exit(struct server *s)
{
	struct uring *u = &s->uring;

	munmap(u->sqes, u->sqes_len);
	if (u->cq_map != u->sq_map)
		munmap(u->cq_map, u->cq_len);
	munmap(u->sq_map, u->sq_len);
	close(u->eventfd);
	close(u->fd);
}

static const struct mode uring_mode = {
	.name		= "uring",
	.init		= uring_init,
	.send		= uring_send,
	.complete	= uring_complete,
	.flush		= uring_flush,
	.exit		= uring_exit,
};

static const struct mode *const modes[] = {
	&syslet_mode, &blocking_mode, &uring_mode,
};

static const struct mode *mode_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(modes[i]->name, name))
			return modes[i];
	return NULL;
}

/*
 * Runs the server on @listen_fd until @stop_fd is readable or hung up.
 * @ready is called once the mode is set up or failed to.
 *
 * Return: EXIT_PASS, EXIT_SKIP (the mode is not available) or EXIT_FAIL.
 */
static int server_main(struct server *s, int listen_fd, int stop_fd,
		       void (*ready)(struct server *s, int status, int err))
{
	int i, ret;

	s->listen_fd = listen_fd;
	s->stop_fd = stop_fd;
	s->completion_fd = -1;
	s->conns = calloc(MAX_CONNS, sizeof(*s->conns));
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!s->conns || s->ep < 0) {
		server_error(s, "setup: %s", strerror(errno));
		ready(s, EXIT_FAIL, -errno);
		return EXIT_FAIL;
	}
	for (i = 0; i < MAX_CONNS; i++)
		s->conns[i].fd = -1;
	ret = s->mode->init ? s->mode->init(s) : 0;
	if (ret == syslet_nosys() || ret == -EPERM) {
		ready(s, EXIT_SKIP, ret);
		return EXIT_SKIP;
	}
	if (ret) {
		server_error(s, "setup: %s", strerror(-ret));
		ready(s, EXIT_FAIL, ret);
		return EXIT_FAIL;
	}
	if (epoll_add(s, listen_fd, TAG_LISTEN) ||
	    epoll_add(s, stop_fd, TAG_STOP) ||
	    (s->completion_fd >= 0 &&
	     epoll_add(s, s->completion_fd, TAG_COMPLETION))) {
		server_error(s, "epoll_ctl: %s", strerror(errno));
		ready(s, EXIT_FAIL, -errno);
		return EXIT_FAIL;
	}
	ready(s, EXIT_PASS, 0);

	ret = server_loop(s);
	for (i = 0; i < MAX_CONNS; i++)
		if (s->conns[i].fd >= 0 && !s->conns[i].busy)
			conn_close(s, &s->conns[i]);
	if (!ret && s->mode->exit)
		s->mode->exit(s);
	close(s->ep);
	return ret || s->st.errors ? EXIT_FAIL : EXIT_PASS;
}

/* --mode=...: a server on --socket until SIGINT or SIGTERM */

static void standalone_ready(struct server *s, int status, int err)
{
	if (status == EXIT_PASS)
		fprintf(stderr, "syslet-server (%s): serving\n", s->mode->name);
	else if (status == EXIT_SKIP)
		fprintf(stderr, "syslet-server (%s): not available here: %s\n",
			s->mode->name, strerror(-err));
}

static int make_address(const char *path, struct sockaddr_un *sun,
			socklen_t *len)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	/* "@name": an abstract address, nothing in the file system */
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	*len = offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@');
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd, err;

	err = make_address(path, &sun, &len);
	if (err) {
		errno = -err;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, len) || listen(fd, 128)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int run_standalone(const struct mode *mode, const char *path,
			  unsigned int threads, int sndbuf)
{
	struct server s = { .mode = mode, .threads = threads,
			    .sndbuf = sndbuf };
	sigset_t mask;
	int lfd, sfd, ret;

	lfd = listen_on(path);
	if (lfd < 0) {
		fprintf(stderr, "syslet-server: listen on %s: %s\n", path,
			strerror(errno));
		return EXIT_FAIL;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "syslet-server: signalfd: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	ret = server_main(&s, lfd, sfd, standalone_ready);
	if (ret != EXIT_SKIP)
		fprintf(stderr,
			"syslet-server (%s): %llu connections, %llu replies, %llu bytes, %llu errors\n",
			mode->name, (unsigned long long)s.st.accepted,
			(unsigned long long)s.st.replies,
			(unsigned long long)s.st.bytes,
			(unsigned long long)s.st.errors);
	if (path[0] != '@')
		unlink(path);
	return ret;
}

/*
 * The load generator (--bench, --check)
 */

struct bench {
	unsigned int	fast, slow;	/* clients */
	unsigned int	seconds;
	unsigned int	size;		/* of each reply */
	int		sndbuf;		/* the server's SO_SNDBUF */
	unsigned int	threads;	/* the syslet pool */
	char		path[64];	/* the server's abstract address */
};

/* What a client reports through the results pipe (one atomic write). */
struct client_result {
	unsigned int	id;
	bool		slow;
	__u64		replies;	/* received in full and verified */
	__u64		bytes;
	int		failed;
	char		why[200];
};

/* What a server child reports: once set up, then at its end. */
struct server_report {
	int			status;	/* EXIT_PASS, _SKIP, _FAIL */
	int			err;	/* with EXIT_SKIP: why */
	struct server_stats	st;
};

struct mode_result {
	const struct mode	*mode;
	int			status;	/* EXIT_PASS, _SKIP, _FAIL */
	char			why[256];
	struct server_stats	st;
	__u64			fast_replies, slow_replies, bytes;
	unsigned int		clients_reaped;
};

static pid_t children[MAX_CONNS + 1];
static unsigned int nr_children;
static const char *bench_step = "setup";

static void bench_timeout(int sig)
{
	static const char what[] = "syslet-server: timed out in mode ";
	unsigned int i;

	(void)sig;
	for (i = 0; i < nr_children; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	if (write(STDERR_FILENO, what, sizeof(what) - 1) < 0 ||
	    write(STDERR_FILENO, bench_step, strlen(bench_step)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		_exit(EXIT_FAIL);
	_exit(EXIT_FAIL);
}

/* Waits until @fd is ready for @events: 1, 0 at @deadline (now_ms()), -1. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int ret;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		ret = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (ret > 0)
			return 1;
		if (ret < 0 && errno != EINTR)
			return -1;
	}
}

static void client_fail(struct client_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!r->failed)
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	r->failed = 1;
}

/* Checks reply number @seq of @size bytes in @buf. */
static bool reply_ok(struct client_result *r, const unsigned char *buf,
		     unsigned int size, __u64 seq)
{
	const struct reply_hdr *h = (const struct reply_hdr *)buf;
	unsigned int i;

	if (le32toh(h->magic) != REPLY_MAGIC || le32toh(h->size) != size ||
	    le64toh(h->seq) != seq) {
		client_fail(r, "reply %llu: header magic %#x size %u seq %llu, want %#x %u %llu",
			    (unsigned long long)seq, le32toh(h->magic),
			    le32toh(h->size),
			    (unsigned long long)le64toh(h->seq),
			    REPLY_MAGIC, size, (unsigned long long)seq);
		return false;
	}
	if (!memcmp(buf + sizeof(*h), pattern + sizeof(*h), size - sizeof(*h)))
		return true;
	for (i = sizeof(*h); buf[i] == pattern[i]; i++)
		;
	client_fail(r, "reply %llu: byte %u of %u is 0x%02x, want 0x%02x",
		    (unsigned long long)seq, i, size, buf[i], pattern[i]);
	return false;
}

/*
 * A client: requests a reply, reads all of it (slowly: 1 KiB every 2 ms),
 * checks it, and again, for @b->seconds.  What it is in the middle of when
 * the time is up does not count.
 */
static void client_main(const struct bench *b, unsigned int id, bool slow,
			int results)
{
	struct client_result r = { .id = id, .slow = slow };
	const struct timespec slow_pace = { 0, 2000000 };	/* per KiB */
	long long deadline = now_ms() + b->seconds * 1000LL;
	struct sockaddr_un sun;
	unsigned int got, want;
	unsigned char *buf;
	socklen_t len;
	__le32 req;
	ssize_t n;
	int fd, ret = 0;

	buf = malloc(b->size);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	make_address(b->path, &sun, &len);
	if (!buf || fd < 0 || connect(fd, (struct sockaddr *)&sun, len)) {
		client_fail(&r, "connect: %s", strerror(errno));
		goto out;
	}
	while (now_ms() < deadline) {
		req = htole32(b->size);
		ret = wait_fd(fd, POLLOUT, deadline);
		if (ret <= 0)
			goto out_poll;
		n = send(fd, &req, sizeof(req), MSG_NOSIGNAL);
		if (n != sizeof(req)) {
			client_fail(&r, "send request %llu: %s",
				    (unsigned long long)r.replies,
				    n < 0 ? strerror(errno) : "short");
			break;
		}
		for (got = 0; got < b->size; got += n) {
			want = b->size - got;
			if (slow && want > 1024)
				want = 1024;
			ret = wait_fd(fd, POLLIN, deadline);
			if (ret <= 0)
				goto out_poll;
			n = recv(fd, buf + got, want, MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				client_fail(&r, "reply %llu: %s after %u of %u bytes",
					    (unsigned long long)r.replies,
					    n ? strerror(errno) : "end of stream",
					    got, b->size);
				goto out;
			}
			if (slow)
				nanosleep(&slow_pace, NULL);
		}
		if (!reply_ok(&r, buf, b->size, r.replies))
			break;
		r.replies++;
		r.bytes += b->size;
	}
out_poll:
	/* 0: the time is up; what the client was doing does not count. */
	if (ret < 0)
		client_fail(&r, "poll: %s", strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (write(results, &r, sizeof(r)) != sizeof(r))
		_exit(EXIT_FAIL);
	_exit(r.failed ? EXIT_FAIL : EXIT_PASS);
}

static int report_fd = -1;

static void bench_server_ready(struct server *s, int status, int err)
{
	struct server_report rep = { .status = status, .err = err };

	(void)s;
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(EXIT_FAIL);
}

/* A child: the server for one mode of the bench. */
static void server_child(const struct bench *b, const struct mode *mode,
			 int listen_fd, int stop_fd, int report)
{
	struct server s = { .mode = mode, .threads = b->threads,
			    .sndbuf = b->sndbuf };
	struct server_report rep;

	signal(SIGALRM, SIG_DFL);
	report_fd = report;
	rep.status = server_main(&s, listen_fd, stop_fd, bench_server_ready);
	if (rep.status == EXIT_SKIP)
		_exit(EXIT_SKIP);
	rep.err = 0;
	rep.st = s.st;
	if (write(report, &rep, sizeof(rep)) != sizeof(rep))
		_exit(EXIT_FAIL);
	_exit(rep.status);
}

/* Reads exactly @len bytes from the pipe @fd; false at its end. */
static bool read_full(int fd, void *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p = (char *)p + n;
		len -= n;
	}
	return true;
}

/* Waits for a child for up to @timeout_ms; describes a failure in @why. */
static bool reap(pid_t pid, const char *who, long long timeout_ms,
		 int *status, char *why, size_t whylen)
{
	long long end = now_ms() + timeout_ms;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			return true;
		if (ret < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid(%s): %s", who,
				 strerror(errno));
			return false;
		}
		if (now_ms() > end) {
			snprintf(why, whylen, "the %s did not exit within %lld s",
				 who, timeout_ms / 1000);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return false;
		}
		usleep(10000);
	}
}

static void describe_status(int status, const char *who, char *why,
			    size_t whylen)
{
	if (WIFSIGNALED(status))
		snprintf(why, whylen, "the %s was killed by signal %d (%s)",
			 who, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(why, whylen, "the %s exited with %d", who,
			 WEXITSTATUS(status));
}

static void mode_fail(struct mode_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->status == EXIT_FAIL)
		return;		/* keep the first reason */
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	res->status = EXIT_FAIL;
}

/* Runs one mode: its server, the clients, and collects what they report. */
static void bench_mode(struct bench *b, const struct mode *mode,
		       struct mode_result *res)
{
	unsigned int i, nclients = b->fast + b->slow, results_read = 0;
	int lfd, stop[2], report[2], results[2], status;
	char why[256], who[64];
	struct server_report rep;
	struct client_result cr;
	bool server_up = false;
	pid_t server;

	memset(res, 0, sizeof(*res));
	res->mode = mode;
	nr_children = 0;
	bench_step = mode->name;
	alarm(b->seconds + 600);	/* CPU emulation is slow: be generous */

	snprintf(b->path, sizeof(b->path), "@syslet-server-%d-%s", getpid(),
		 mode->name);
	lfd = listen_on(b->path);
	if (lfd < 0 || pipe2(stop, O_CLOEXEC) || pipe2(report, O_CLOEXEC) ||
	    pipe2(results, O_CLOEXEC)) {
		mode_fail(res, "setup: %s", strerror(errno));
		return;
	}

	server = fork();
	if (server == 0) {
		close(stop[1]);
		close(report[0]);
		close(results[0]);
		close(results[1]);
		server_child(b, mode, lfd, stop[0], report[1]);
	}
	close(lfd);
	close(stop[0]);
	close(report[1]);
	if (server < 0) {
		mode_fail(res, "fork: %s", strerror(errno));
		goto out;
	}
	children[nr_children++] = server;

	/* Wait until the server is set up, or knows it cannot be. */
	if (!read_full(report[0], &rep, sizeof(rep))) {
		mode_fail(res, "the server ended before it was set up");
	} else if (rep.status == EXIT_SKIP) {
		res->status = EXIT_SKIP;
		snprintf(res->why, sizeof(res->why), "%s is not available: %s",
			 mode->name, strerror(-rep.err));
	} else if (rep.status != EXIT_PASS) {
		mode_fail(res, "the server could not be set up: %s",
			  strerror(-rep.err));
	}
	if (res->status)
		goto stop;
	server_up = true;

	for (i = 0; i < nclients; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(results[0]);
			close(report[0]);
			close(stop[1]);
			signal(SIGALRM, SIG_DFL);
			alarm(b->seconds + 300);
			client_main(b, i, i >= b->fast, results[1]);
		}
		if (pid < 0) {
			mode_fail(res, "fork: %s", strerror(errno));
			break;
		}
		children[nr_children++] = pid;
	}
	close(results[1]);
	results[1] = -1;
	while (results_read < nclients &&
	       read_full(results[0], &cr, sizeof(cr))) {
		results_read++;
		if (cr.failed)
			mode_fail(res, "%s client %u: %s",
				  cr.slow ? "slow" : "fast", cr.id, cr.why);
		if (cr.slow)
			res->slow_replies += cr.replies;
		else
			res->fast_replies += cr.replies;
		res->bytes += cr.bytes;
	}
	for (i = 1; i < nr_children; i++) {
		snprintf(who, sizeof(who), "client %u", i - 1);
		if (!reap(children[i], who, 120000, &status, why, sizeof(why))) {
			mode_fail(res, "%s", why);
		} else {
			res->clients_reaped++;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				describe_status(status, who, why, sizeof(why));
				mode_fail(res, "%s", why);
			}
		}
		children[i] = 0;
	}
	if (results_read < nclients)
		mode_fail(res, "%u of %u clients reported nothing",
			  nclients - results_read, nclients);

stop:
	/* The end of the stop pipe tells the server to finish. */
	close(stop[1]);
	stop[1] = -1;
	if (server_up) {
		if (read_full(report[0], &rep, sizeof(rep)))
			res->st = rep.st;
		else
			mode_fail(res, "the server reported nothing at its end");
		if (res->st.errors)
			mode_fail(res, "the server had %llu errors, the first: %s",
				  (unsigned long long)res->st.errors,
				  res->st.why);
	}
	if (!reap(server, "server", STOP_TIMEOUT_MS + 60000, &status, why,
		  sizeof(why))) {
		mode_fail(res, "%s", why);
	} else if (res->status != EXIT_SKIP &&
		   (!WIFEXITED(status) || WEXITSTATUS(status))) {
		describe_status(status, "server", why, sizeof(why));
		mode_fail(res, "%s", why);
	}
	children[0] = 0;
out:
	if (stop[1] >= 0)
		close(stop[1]);
	if (results[1] >= 0)
		close(results[1]);
	close(results[0]);
	close(report[0]);
	alarm(0);
}

static void print_table(const struct bench *b, struct mode_result *res,
			unsigned int n)
{
	unsigned int i;

	printf("# %u fast and %u slow clients (1 KiB per 2 ms), %u-byte replies,",
	       b->fast, b->slow, b->size);
	printf(" SO_SNDBUF %d, %u s per mode\n", b->sndbuf, b->seconds);
	printf("# %-9s %16s %13s %12s  %s\n", "mode", "fast replies/s",
	       "slow replies", "MiB/s", "server");
	for (i = 0; i < n; i++) {
		const struct server_stats *st = &res[i].st;

		if (res[i].status == EXIT_SKIP) {
			printf("# %-9s skipped: %s\n", res[i].mode->name,
			       res[i].why);
			continue;
		}
		printf("# %-9s %16.1f %13llu %12.2f  ", res[i].mode->name,
		       (double)res[i].fast_replies / b->seconds,
		       (unsigned long long)res[i].slow_replies,
		       (double)res[i].bytes / b->seconds / (1024 * 1024));
		if (res[i].mode == &syslet_mode) {
			printf("%llu async_exec, %llu done inline, %llu handoffs, ",
			       (unsigned long long)st->execs,
			       (unsigned long long)st->inline_done,
			       (unsigned long long)st->handoffs);
			printf("%llu ring entries, %llu wakeups",
			       (unsigned long long)st->ring_entries,
			       (unsigned long long)st->wakeups);
		} else if (res[i].mode == &uring_mode) {
			printf("%llu io_uring_enter, %llu cqes, %llu wakeups",
			       (unsigned long long)st->submits,
			       (unsigned long long)st->cqes,
			       (unsigned long long)st->wakeups);
		}
		printf("%s%llu partial sends, at most %llu in flight\n",
		       res[i].mode == &blocking_mode ? "" : ", ",
		       (unsigned long long)st->partial,
		       (unsigned long long)st->max_inflight);
		if (res[i].status == EXIT_FAIL)
			printf("#           FAILED: %s\n", res[i].why);
	}
	fflush(stdout);
}

static int run_bench(struct bench *b, const char *list)
{
	struct mode_result res[3];
	unsigned int n = 0;
	char *names, *name, *save;
	int status = EXIT_PASS;

	names = strdup(list);
	for (name = strtok_r(names, ",", &save); name && n < 3;
	     name = strtok_r(NULL, ",", &save)) {
		const struct mode *mode = mode_by_name(name);

		if (!mode) {
			fprintf(stderr, "syslet-server: unknown mode \"%s\"\n", name);
			free(names);
			return EXIT_FAIL;
		}
		bench_mode(b, mode, &res[n]);
		if (res[n].status == EXIT_FAIL)
			status = EXIT_FAIL;
		n++;
	}
	free(names);
	print_table(b, res, n);
	return status;
}

static int checks_passed, checks_failed;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", checks_passed + checks_failed + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		checks_passed++;
	else
		checks_failed++;
}

/* Whether this kernel runs syslets: 0, or async_exec()'s negative errno. */
static int probe_syslets(void)
{
	struct syslet_op op;

	int ret;

	syslet_prep_getpid(&op);
	syslet_op_set_flags(&op, SYSLET_SYNC);
	ret = syslet_exec(&op, NULL);
	return ret < 0 ? ret : 0;
}

static int run_check(void)
{
	/*
	 * A slow client stalls a blocking send for about (size - sndbuf) /
	 * (1 KiB per 2 ms), 240 ms here, while fast clients are limited by
	 * the CPU: the gap stays wide even under CPU emulation.
	 */
	struct bench b = {
		.fast = 4, .slow = 2, .seconds = 1, .size = 128 * 1024,
		.sndbuf = 8 * 1024, .threads = 6,
	};
	struct mode_result res[3];
	unsigned int i, clients = b.fast + b.slow;
	double syslet_rate, blocking_rate;
	int ret;

	ret = probe_syslets();
	if (ret == syslet_nosys() || ret == -EPERM) {
		printf("1..0 # SKIP async_exec: %s (%s)\n", strerror(-ret),
		       ret != -EPERM ? "no syslets in this kernel" :
		       "syslets are disabled: /proc/sys/kernel/syslet_disabled");
		return EXIT_SKIP;
	}
	for (i = 0; i < 3; i++)
		bench_mode(&b, modes[i], &res[i]);
	print_table(&b, res, 3);

	for (i = 0; i < 3; i++) {
		if (res[i].status == EXIT_SKIP) {
			printf("ok %d - %s: every reply exact, no errors # SKIP %s\n",
			       checks_passed + checks_failed + 1,
			       res[i].mode->name, res[i].why);
			checks_passed++;
			continue;
		}
		if (res[i].status) {
			check(false, "%s: %s", res[i].mode->name, res[i].why);
			continue;
		}
		check(true, "%s: %llu replies exact, no errors, server and %u clients reaped",
		      res[i].mode->name,
		      (unsigned long long)(res[i].fast_replies +
					   res[i].slow_replies),
		      res[i].clients_reaped);
	}
	if (res[0].status == EXIT_PASS) {
		check(res[0].st.handoffs > 0,
		      "syslet: blocked sends handed off (%llu handoffs, %llu ring entries)%s",
		      (unsigned long long)res[0].st.handoffs,
		      (unsigned long long)res[0].st.ring_entries,
		      res[0].st.handoffs ? "" :
		      ": every send blocked in the caller (a traced process does not hand off)");
	}
	/*
	 * Throughput is what --bench is for: under emulation or on a loaded
	 * machine one second says little, so --check only reports it.
	 */
	if (res[0].status == EXIT_PASS && res[1].status == EXIT_PASS) {
		syslet_rate = (double)res[0].fast_replies / b.seconds;
		blocking_rate = (double)res[1].fast_replies / b.seconds;
		printf("# fast-client replies/s: syslet %.1f, blocking %.1f\n",
		       syslet_rate, blocking_rate);
		printf("# slow-client replies in syslet mode: %llu\n",
		       (unsigned long long)res[0].slow_replies);
	}
	printf("1..%d\n", checks_passed + checks_failed);
	printf("# syslet-server --check: %d passed, %d failed (%u clients per mode)\n",
	       checks_passed, checks_failed, clients);
	return checks_failed ? EXIT_FAIL : EXIT_PASS;
}

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: syslet-server [--mode=syslet|blocking|uring] [--socket=PATH]\n"
		"                     [--threads=N] [--sndbuf=BYTES]\n"
		"       syslet-server --bench [--clients=N] [--slow=S] [--seconds=T]\n"
		"                     [--size=BYTES] [--modes=LIST] [--threads=N]\n"
		"                     [--sndbuf=BYTES]\n"
		"       syslet-server --check\n"
		"Serves requests on a unix socket (default @syslet-server; \"@name\" is\n"
		"abstract) until SIGINT or SIGTERM, with a syslet pool of N threads\n"
		"(default 16) and SO_SNDBUF BYTES on the connections.\n"
		"--bench runs each mode of LIST (default syslet,blocking,uring) against\n"
		"N fast and S slow clients (default 4 and 2) for T seconds (default 3)\n"
		"with replies of BYTES (default 65536), a pool of one thread per client\n"
		"and SO_SNDBUF of a quarter reply, and prints a table; exit 0, or 1 if\n"
		"a mode failed.  --check is a short bench that checks its results:\n"
		"exit 0 passed, 1 failed, 4 skipped.\n");
}

static bool parse_uint(const char *s, unsigned int min, unsigned int max,
		       unsigned int *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno || end == s || *end || n < min || n > max)
		return false;
	*v = n;
	return true;
}

int main(int argc, char **argv)
{
	enum { OPT_MODE = 256, OPT_SOCKET, OPT_THREADS, OPT_SNDBUF, OPT_BENCH,
	       OPT_CLIENTS, OPT_SLOW, OPT_SECONDS, OPT_SIZE, OPT_MODES,
	       OPT_CHECK };
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
		{ "bench", no_argument, NULL, OPT_BENCH },
		{ "clients", required_argument, NULL, OPT_CLIENTS },
		{ "slow", required_argument, NULL, OPT_SLOW },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "modes", required_argument, NULL, OPT_MODES },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct bench b = { .fast = 4, .slow = 2, .seconds = 3,
			   .size = 64 * 1024 };
	const struct mode *mode = &syslet_mode;
	const char *path = "@syslet-server", *list = "syslet,blocking,uring";
	unsigned int threads = 0, sndbuf = 0, v;
	bool bench = false, check_mode = false, ok = true;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_MODE:
			mode = mode_by_name(optarg);
			ok = !!mode;
			break;
		case OPT_SOCKET:
			path = optarg;
			break;
		case OPT_THREADS:
			ok = parse_uint(optarg, 1, 1024, &threads);
			break;
		case OPT_SNDBUF:
			ok = parse_uint(optarg, 1, 1 << 30, &sndbuf);
			break;
		case OPT_BENCH:
			bench = true;
			break;
		case OPT_CLIENTS:
			ok = parse_uint(optarg, 0, MAX_CONNS / 2, &b.fast);
			break;
		case OPT_SLOW:
			ok = parse_uint(optarg, 0, MAX_CONNS / 2, &b.slow);
			break;
		case OPT_SECONDS:
			ok = parse_uint(optarg, 1, 3600, &b.seconds);
			break;
		case OPT_SIZE:
			ok = parse_uint(optarg, REPLY_MIN, REPLY_MAX, &v);
			b.size = v;
			break;
		case OPT_MODES:
			list = optarg;
			break;
		case OPT_CHECK:
			check_mode = true;
			break;
		case 'h':
			print_help(stdout);
			return EXIT_PASS;
		default:
			ok = false;
		}
		if (!ok) {
			if (opt != '?')
				fprintf(stderr, "syslet-server: bad value \"%s\"\n",
					optarg);
			print_help(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		print_help(stderr);
		return 2;
	}
	if (pattern_init()) {
		fprintf(stderr, "syslet-server: out of memory\n");
		return EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	if (check_mode || bench) {
		signal(SIGALRM, bench_timeout);
		if (check_mode)
			return run_check();
		/* One pool thread per client: each has one send in flight. */
		b.threads = threads ? threads : b.fast + b.slow;
		b.sndbuf = sndbuf ? (int)sndbuf : (int)b.size / 4;
		return run_bench(&b, list);
	}
	return run_standalone(mode, path, threads ? threads : 16, sndbuf);
}
