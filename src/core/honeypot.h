/* Review honeypots (core/honeypot.c): a gold item with a planted error, already submitted, handed
 * to a reviewer at the project's honeypot rate in place of real work; the reviewer's decision on
 * it says whether they really inspect. */
#ifndef CROWDLOOP_CORE_HONEYPOT_H
#define CROWDLOOP_CORE_HONEYPOT_H

#include <stdbool.h>

#include "core/task_loop.h"

/* A copy of `gold` (an answer of a project of `kind` with `labels`) with one plausible error
 * planted (a new reference), or NULL when none can be made. The classic kinds as
 * quality_plant_error; llm_preference swaps the preferred response with another (the ranking's
 * first two, their ratings with them; a tie gets a winner); llm_response drops a sentence, or
 * alters one (a digit, two words swapped) when there is one sentence; image_transcription alters
 * characters of a line (look-alikes, a Hangul syllable's vowel), enough of them that the text
 * no longer passes as the gold one. `pick` (any number, e.g. random) chooses where. */
json_t *honeypot_plant_error(task_kind kind, const json_t *gold, const json_t *labels,
			     uint32_t pick);

/* Maybe makes a honeypot for reviewer `reviewer_id` about to claim submitted task `real_id`, at
 * the project's honeypot rate, passing for another worker's submission; returns its task id
 * (state submitted) or `real_id`. */
int64_t honeypot_pick(store_tx *tx, const store_ops *s, const project *p, int64_t reviewer_id,
		      int64_t real_id, int64_t now);
/* Decides a review of task t (in review by `reviewer_id`) when it is a honeypot: caught (a
 * rejection, or a fix that matches the gold answer) or missed, the task closed as discarded with
 * the decision as its event, the reviewer's fee paid and counted, and their demotion checked.
 * *handled false when t is no honeypot (nothing done). */
int honeypot_decide(store_tx *tx, const store_ops *s, const task_row *t, int64_t reviewer_id,
		    const review_decision *dec, int64_t now, bool *handled, cl_error *err);

#endif
