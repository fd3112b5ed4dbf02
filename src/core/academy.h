/* The academy's rules (core/academy.c): who may start an exam and when (not twice once
 * qualified, not before a failed attempt's cooldown ends, not on a course without exam
 * questions), how an exam is scored (each answer against its gold answer; an invalid or missing
 * answer scores 0), what passing grants, and the gate that keeps unqualified workers from a
 * project that requires a course. */
#ifndef CROWDLOOP_CORE_ACADEMY_H
#define CROWDLOOP_CORE_ACADEMY_H

#include <jansson.h>
#include <stdbool.h>

#include "core/project.h"
#include "store/ops.h"

/* Starts user `user_id`'s attempt at course `course_id`'s exam; *attempt_id the new attempt.
 * CL_ECONFLICT "already_qualified", "exam_cooldown" (naming when a retry is allowed) or
 * "no_exam"; CL_ENOTFOUND when the course is missing. */
int exam_start(const store *s, int64_t course_id, int64_t user_id, int64_t *attempt_id,
	       cl_error *err);
/* The score in [0,1] of `answers` ([{"question_id","annotation"}]) to `questions`
 * ([{"id","item","answer"}]) of a course checked against project `cp`: the mean of each
 * question's gold score, an invalid or missing answer counting 0. */
double exam_score(const project *cp, const json_t *questions, const json_t *answers);
/* Scores attempt `attempt_id` of course `course_id` (already scored: CL_ECONFLICT
 * "exam_finished") and grants the qualification when the score reaches the course's pass score;
 * *score and *passed what it decided. */
int exam_submit(const store *s, int64_t attempt_id, int64_t course_id, bool finished,
		const json_t *answers, double *score, bool *passed, cl_error *err);
/* The first course project p requires that user `user_id` lacks (0: none, or the caller manages
 * the project, `manages`) and its name. */
int64_t academy_gate(const store *s, const project *p, int64_t user_id, bool manages,
		     char name[256]);

#endif
