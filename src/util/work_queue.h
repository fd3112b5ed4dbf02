/* A bounded queue of jobs drained by one thread of its own (work_queue.c): work that must not
 * add its time to the request that gives it, such as a shadow model's answer. A push never
 * waits: when the queue is full the job is dropped (its free function runs) and counted. */
#ifndef CROWDLOOP_UTIL_WORK_QUEUE_H
#define CROWDLOOP_UTIL_WORK_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct work_queue work_queue;

/* Runs a job on the queue's thread, then frees it (the queue does not). */
typedef void work_run_fn(void *ctx, void *job);
/* Frees a job the queue dropped or did not run before it stopped. */
typedef void work_free_fn(void *job);

/* A queue of at most `capacity` waiting jobs, weighing at most `max_weight` together (0: no
 * bound; a job's weight is what the caller says, such as its bytes), and its started thread;
 * NULL on failure. */
work_queue *work_queue_new(size_t capacity, size_t max_weight, work_run_fn *run, work_free_fn *drop,
			   void *ctx);
/* Stops the thread once the job it runs ends, frees the jobs still waiting, and the queue. */
void work_queue_free(work_queue *q);

/* Queues `job` (stolen): true when queued, false when the queue is full or stopping (the job
 * is freed then and counted as dropped). Never waits for the thread. */
bool work_queue_push(work_queue *q, void *job);
/* The same for a job of `weight`: dropped too when the waiting jobs would weigh more than the
 * queue's max_weight (a job alone over it is dropped). */
bool work_queue_push_weighted(work_queue *q, void *job, size_t weight);

typedef struct work_queue_counts {
	uint64_t queued, done, dropped;
	size_t waiting; /* jobs queued and not yet started */
	size_t weight;	/* what they weigh together */
} work_queue_counts;

void work_queue_counts_get(work_queue *q, work_queue_counts *out);
/* Waits until every queued job has run (tests and shutdown). */
void work_queue_drain(work_queue *q);

#endif
