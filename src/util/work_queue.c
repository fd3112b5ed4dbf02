/* The bounded job queue (util/work_queue.h): a ring of job pointers under one mutex. */
#include "util/work_queue.h"

#include <pthread.h>
#include <stdlib.h>

struct work_queue {
	pthread_mutex_t lock;
	pthread_cond_t ready; /* a job came, or the queue stops */
	pthread_cond_t idle;  /* the thread finished a job */
	pthread_t thread;
	work_run_fn *run;
	work_free_fn *drop;
	void *ctx;
	void **ring;
	size_t *weights; /* each waiting job's, beside it in the ring */
	size_t capacity, head, waiting;
	size_t max_weight, weight;
	bool running; /* the thread runs a job now */
	bool stop;
	uint64_t queued, done, dropped;
};

/* The next job, waiting for one; NULL when the queue stops. Under the lock. */
static void *next_job(work_queue *q)
{
	while (!q->waiting && !q->stop)
		pthread_cond_wait(&q->ready, &q->lock);
	if (q->stop)
		return NULL;
	void *job = q->ring[q->head];
	q->weight -= q->weights[q->head];
	q->head = (q->head + 1) % q->capacity;
	q->waiting--;
	q->running = true;
	return job;
}

static void *work_loop(void *arg)
{
	work_queue *q = arg;
	pthread_mutex_lock(&q->lock);
	void *job;
	while ((job = next_job(q))) {
		pthread_mutex_unlock(&q->lock);
		q->run(q->ctx, job);
		pthread_mutex_lock(&q->lock);
		q->running = false;
		q->done++;
		pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

work_queue *work_queue_new(size_t capacity, size_t max_weight, work_run_fn *run, work_free_fn *drop,
			   void *ctx)
{
	work_queue *q = calloc(1, sizeof *q);
	void **ring = capacity ? calloc(capacity, sizeof *ring) : NULL;
	size_t *weights = capacity ? calloc(capacity, sizeof *weights) : NULL;
	if (!q || !ring || !weights) {
		free(q);
		free(ring);
		free(weights);
		return NULL;
	}
	*q = (work_queue){.run = run,
			  .drop = drop,
			  .ctx = ctx,
			  .ring = ring,
			  .weights = weights,
			  .capacity = capacity,
			  .max_weight = max_weight};
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->ready, NULL);
	pthread_cond_init(&q->idle, NULL);
	if (pthread_create(&q->thread, NULL, work_loop, q)) {
		pthread_cond_destroy(&q->idle);
		pthread_cond_destroy(&q->ready);
		pthread_mutex_destroy(&q->lock);
		free(q->ring);
		free(q->weights);
		free(q);
		return NULL;
	}
	return q;
}

void work_queue_free(work_queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	for (; q->waiting; q->waiting--, q->head = (q->head + 1) % q->capacity)
		q->drop(q->ring[q->head]);
	pthread_cond_destroy(&q->idle);
	pthread_cond_destroy(&q->ready);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q->weights);
	free(q);
}

bool work_queue_push(work_queue *q, void *job)
{
	return work_queue_push_weighted(q, job, 0);
}

bool work_queue_push_weighted(work_queue *q, void *job, size_t weight)
{
	pthread_mutex_lock(&q->lock);
	bool room = !q->stop && q->waiting < q->capacity &&
		    (!q->max_weight || weight <= q->max_weight - q->weight);
	if (room) {
		size_t at = (q->head + q->waiting) % q->capacity;
		q->ring[at] = job;
		q->weights[at] = weight;
		q->weight += weight;
		q->waiting++;
		q->queued++;
		pthread_cond_signal(&q->ready);
	} else {
		q->dropped++;
	}
	pthread_mutex_unlock(&q->lock);
	if (!room)
		q->drop(job);
	return room;
}

void work_queue_counts_get(work_queue *q, work_queue_counts *out)
{
	pthread_mutex_lock(&q->lock);
	*out = (work_queue_counts){q->queued, q->done, q->dropped, q->waiting, q->weight};
	pthread_mutex_unlock(&q->lock);
}

void work_queue_drain(work_queue *q)
{
	pthread_mutex_lock(&q->lock);
	while ((q->waiting || q->running) && !q->stop)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
}
