/* The header deadline: a request's whole header must arrive within a set time of the moment
 * the server began to wait for it (the connection's start, or the end of its previous
 * request). MHD's own connection timeout is an idle timeout that every byte resets, so a client
 * trickling one header byte at a time would hold its connection for ever; here a watcher thread
 * shuts down the socket of every connection past its deadline, and MHD then closes it as a
 * client that went away. Each connection's record is made and removed by MHD's connection
 * notifications, under the watcher's lock, before MHD closes the socket: the watcher never
 * touches a descriptor that was reused. */
#include "http/internal.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

/* How often the watcher looks: a deadline is kept to within this. */
#define WATCH_TICK_MS 250

struct conn_watch {
	struct conn_watch *prev, *next;
	int fd;
	_Atomic int64_t since_ns; /* when the server began to wait for the header */
	_Atomic bool awaiting;	  /* a header is awaited (no request in progress) */
	bool shut;		  /* the watcher shut it down (under the lock) */
	/* Its peer's address as text, made once here rather than for each of its requests. */
	char remote[HTTP_REMOTE_MAX];
};

static void watch_link(header_watch *w, conn_watch *c)
{
	pthread_mutex_lock(&w->lock);
	c->next = w->head;
	if (w->head)
		w->head->prev = c;
	w->head = c;
	pthread_mutex_unlock(&w->lock);
}

static void watch_unlink(header_watch *w, conn_watch *c)
{
	pthread_mutex_lock(&w->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&w->lock);
}

void deadline_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code)
{
	header_watch *w = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		conn_watch *c = ci ? calloc(1, sizeof *c) : NULL;
		*socket_context = c;
		if (!c)
			return;
		c->fd = ci->connect_fd;
		peer_text(conn, c->remote);
		c->since_ns = clock_mono_ns();
		c->awaiting = true;
		watch_link(w, c);
	} else if (*socket_context) {
		watch_unlink(w, *socket_context);
		free(*socket_context);
		*socket_context = NULL;
	}
}

conn_watch *deadline_header_read(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	conn_watch *c = ci ? ci->socket_context : NULL;
	if (c)
		atomic_store_explicit(&c->awaiting, false, memory_order_relaxed);
	return c;
}

const char *deadline_remote(const conn_watch *c)
{
	return c->remote;
}

void deadline_request_done(conn_watch *c)
{
	if (!c)
		return;
	atomic_store_explicit(&c->since_ns, clock_mono_ns(), memory_order_relaxed);
	atomic_store_explicit(&c->awaiting, true, memory_order_release);
}

/* Shuts down every connection whose header is late; the number shut down. */
static int shut_late(header_watch *w, int64_t now)
{
	int n = 0;
	pthread_mutex_lock(&w->lock);
	for (conn_watch *c = w->head; c; c = c->next) {
		if (c->shut || !atomic_load_explicit(&c->awaiting, memory_order_acquire) ||
		    now - atomic_load_explicit(&c->since_ns, memory_order_relaxed) < w->limit_ns)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->shut = true;
		n++;
	}
	pthread_mutex_unlock(&w->lock);
	return n;
}

static void *watch_main(void *arg)
{
	header_watch *w = arg;
	prctl(PR_SET_NAME, "cl-deadline");
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WATCH_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->lock);
		int n = shut_late(w, clock_mono_ns());
		if (n)
			log_info("msg=\"closed connections whose header was late\" count=%d", n);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int deadline_start(header_watch *w, int seconds)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&w->lock, NULL);
	w->limit_ns = (int64_t)seconds * 1000000000;
	w->started = !pthread_create(&w->thread, NULL, watch_main, w);
	return w->started ? 0 : -1;
}

void deadline_stop(header_watch *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->started = false;
}
