/* Streamed answers that wait for more (a log followed as it grows) without holding an I/O
 * thread: the content reader suspends its connection and returns 0; one thread resumes each
 * waiting connection when its wait is over, and MHD calls the reader again. */
#include "http/http.h"
#include "http/internal.h"
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define WAIT_TICK_MS 10 /* how often the thread looks for waits that are over */

static void *waits_main(void *arg)
{
	stream_waits *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stop || w->n) {
		int64_t now = clock_mono_ns();
		for (size_t i = 0; i < w->n;) {
			if (w->stop || w->due[i] <= now) {
				MHD_resume_connection(w->conn[i]);
				__atomic_sub_fetch(w->suspended, 1, __ATOMIC_SEQ_CST);
				w->n--;
				w->conn[i] = w->conn[w->n];
				w->due[i] = w->due[w->n];
			} else {
				i++;
			}
		}
		if (w->stop)
			continue;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WAIT_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int stream_waits_start(stream_waits *w, int *suspended)
{
	w->suspended = suspended;
	w->conn = calloc(HTTP_MAX_CONNECTIONS, sizeof *w->conn);
	w->due = calloc(HTTP_MAX_CONNECTIONS, sizeof *w->due);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (!w->conn || !w->due || pthread_create(&w->thread, NULL, waits_main, w))
		return CL_EINTERNAL;
	w->started = true;
	return 0;
}

void stream_waits_stop(stream_waits *w)
{
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_broadcast(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		/* The lock stays: a reader may still look, and finds w->stop. */
	}
	free(w->conn);
	free(w->due);
	w->conn = NULL;
	w->due = NULL;
}

int http_stream_wait(http_request *r, int ms)
{
	http_server *s = (http_server *)r->server;
	stream_waits *w = &s->waits;
	int rc = 0;
	if (!w->started || __atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST))
		return CL_EUNAVAIL;
	pthread_mutex_lock(&w->lock);
	if (w->stop || __atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST) ||
	    w->n == HTTP_MAX_CONNECTIONS) {
		rc = CL_EUNAVAIL;
	} else {
		__atomic_add_fetch(&s->suspended, 1, __ATOMIC_SEQ_CST);
		MHD_suspend_connection(r->conn);
		w->conn[w->n] = r->conn;
		w->due[w->n] = clock_mono_ns() + (int64_t)ms * 1000000;
		w->n++;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}
