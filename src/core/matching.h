/* Matching (docs/API.md, Matching): open projects ranked for a worker and workers ranked for a
 * project, from each worker's history on the project's kind, its pay and the courses it
 * requires. Each rank carries the figures behind it; api/ writes them. */
#ifndef CROWDLOOP_CORE_MATCHING_H
#define CROWDLOOP_CORE_MATCHING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/matching_types.h"
#include "store/ops.h"

/* A ranking answers its best MATCHES_MAX candidates. */
#define MATCHES_MAX 500

/* The weights of a history's fit. */
#define MATCH_WEIGHT_GOLD 0.4
#define MATCH_WEIGHT_APPROVAL 0.3
#define MATCH_WEIGHT_SPEED 0.15
#define MATCH_WEIGHT_RECENCY 0.15

/* The fit of a worker's history on a kind, in [0,1], and the figures that make it. A figure
 * without data (has_* false) counts as an even 0.5, so newcomers are neither hidden nor
 * favoured, and never having worked gives no recency. */
typedef struct match_fit {
	double score;
	double gold_accuracy, approval_rate, avg_seconds, days_since_last;
	long gold_answers, approved;
	bool has_gold_accuracy, has_approval_rate, has_avg_seconds, has_days_since_last;
} match_fit;

/* A project's rank for a worker. */
typedef struct project_match {
	const matching_project *project;
	double score;
	match_fit fit;
	double pay; /* its price against the best paid's */
	bool qualified;
	int64_t missing[QUALITY_MAX_COURSES]; /* required courses the worker lacks */
	int n_missing;
} project_match;

/* A worker's rank for a project. */
typedef struct worker_match {
	const matching_worker *worker;
	double score;
	match_fit fit;
	bool qualified; /* holds every required course */
} worker_match;

/* A worker's ranking of projects: the rows read and the best of them, best first. */
typedef struct project_matches {
	matching_projects rows;
	project_match *top;
	size_t n;
} project_matches;

/* A project's ranking of workers. */
typedef struct worker_matches {
	matching_workers rows;
	worker_match *top;
	size_t n;
} worker_matches;

/* The fit of history h at time `now` (ms). */
void match_fit_of(const matching_history *h, int64_t now, match_fit *f);
/* Project k's rank for a worker of history h, when the best price is max_price. Lacking a
 * required course lists it after everything the worker can take now; a project without open
 * tasks comes after those with some. */
void match_project(const matching_project *k, const matching_history *h, int64_t max_price,
		   int64_t now, project_match *m);
/* Worker w's rank for a project that requires `required`: not holding them halves it. */
void match_worker(const matching_worker *w, const matching_courses *required, int64_t now,
		  worker_match *m);

/* Ranks rows' projects best first (ties by id) into *top, at most MATCHES_MAX of them: 0, or
 * CL_ENOMEM. */
int matching_rank_projects(const matching_projects *rows, int64_t now, project_match **top,
			   size_t *n);
/* Ranks rows' workers the same way. */
int matching_rank_workers(const matching_workers *rows, int64_t now, worker_match **top, size_t *n);

/* Open projects ranked for user_id: 0, or CL_ENOMEM (release out either way). */
int matching_for_worker(const store *st, int64_t user_id, int64_t now, project_matches *out);
/* Workers ranked for project_id of `kind`: 0, or CL_ENOMEM (release out either way). */
int matching_for_project(const store *st, int64_t project_id, task_kind kind, int64_t now,
			 worker_matches *out);
void project_matches_release(project_matches *m);
void worker_matches_release(worker_matches *m);

#endif
