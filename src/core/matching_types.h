/* What matching ranks, as plain types: the store reads a worker's history on a kind of task, the
 * open projects a worker may take and the workers who may fit a project; core/matching.h scores
 * and ranks them. */
#ifndef CROWDLOOP_CORE_MATCHING_TYPES_H
#define CROWDLOOP_CORE_MATCHING_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/project_types.h"
#include "core/quality_types.h"

/* A worker's history on one kind of task, summed over every project of that kind. */
typedef struct matching_history {
	long gold_n, gold_k, approved, first_pass, submissions;
	int64_t active_ms; /* time spent on those submissions */
	int64_t last_at;   /* their latest task; 0: none */
} matching_history;

/* The courses a project requires (as its stored quality settings name them) and whether the
 * worker at hand holds each. */
typedef struct matching_courses {
	int64_t id[QUALITY_MAX_COURSES];
	bool held[QUALITY_MAX_COURSES];
	int n;
} matching_courses;

/* An open project a worker may take. */
typedef struct matching_project {
	int64_t id, price, open;			 /* open: its open tasks */
	char name[804], kind[16], currency[8], role[16]; /* role: the worker's, "" when none */
	task_kind kind_of;
	matching_courses courses;
} matching_project;

/* The open projects a worker may take, in id order, and the worker's history on each kind
 * among them (history[k] read when known[k]). */
typedef struct matching_projects {
	matching_project *of;
	size_t n;
	int64_t max_price; /* the best price among them */
	matching_history history[TASK_KIND_COUNT];
	bool known[TASK_KIND_COUNT];
} matching_projects;

/* A worker who may fit a project: who labeled its kind anywhere or holds a course of its kind. */
typedef struct matching_worker {
	int64_t id;
	char username[72];
	char member_role[16]; /* their role in the project, "" when not a member */
	matching_history history;
	bool held[QUALITY_MAX_COURSES]; /* of the project's required courses, in their order */
} matching_worker;

/* The workers who may fit a project, in id order, and the courses it requires. */
typedef struct matching_workers {
	matching_worker *of;
	size_t n;
	matching_courses required; /* held: unused */
} matching_workers;

#endif
