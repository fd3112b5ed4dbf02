/* The loop back to the crowd (prediction_loop.c): which predictions of an endpoint become
 * labeling work in its feedback project, and with what pre-annotation. A prediction whose top
 * score is under the endpoint's threshold ("low_confidence"), one given negative feedback
 * ("negative_feedback"), and one where a canary split's targets disagree
 * ("canary_disagreement", on a sampled share of requests that both targets answer), becomes an item of the project (deduplicated by content) with its
 * tasks, the model's answer kept as the item's meta.preannotation, which the task shows the
 * worker as a suggestion. At most once per prediction. No HTTP, no SQL. */
#ifndef CROWDLOOP_CORE_PREDICTION_LOOP_H
#define CROWDLOOP_CORE_PREDICTION_LOOP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project.h"
#include "util/err.h"

#define LOOP_LOW_CONFIDENCE "low_confidence"
#define LOOP_NEGATIVE_FEEDBACK "negative_feedback"
#define LOOP_CANARY_DISAGREEMENT "canary_disagreement"

/* Items each rule may make per endpoint and UTC day: the default and the most. */
#define LOOP_DAILY_CAP_DEFAULT 1000
#define LOOP_DAILY_CAP_MAX 1000000

/* The input images an endpoint with a feedback project keeps, so that negative feedback can
 * still make an image item: at most this many KiB (0 keeps none) and this many days, the oldest
 * dropped first. The defaults and the most. */
#define LOOP_IMAGE_BUDGET_KB_DEFAULT (256 * 1024)
#define LOOP_IMAGE_BUDGET_KB_MAX (64 * 1024 * 1024)
#define LOOP_IMAGE_DAYS_DEFAULT 7
#define LOOP_IMAGE_DAYS_MAX 365

/* An endpoint's loop settings, checked. */
typedef struct loop_settings {
	int64_t project_id;
	double threshold;    /* a top score under it is doubtful */
	int64_t daily_cap;   /* items each rule may make a day */
	double canary_share; /* of the requests to a canary split, the share both targets answer */
	int64_t image_budget_kb; /* the input images kept, in KiB */
	int64_t image_days;	 /* and for how long */
} loop_settings;

/* Checks an endpoint's {"project_id":N,"threshold":T,"daily_cap":C,"canary_share":S,
 * "image_budget_kb":K,"image_days":D} (T from 0 to 1, default 0.5; C from 1 to
 * LOOP_DAILY_CAP_MAX, default LOOP_DAILY_CAP_DEFAULT; S from 0 to 1, default 0; K from 0 to
 * LOOP_IMAGE_BUDGET_KB_MAX and D from 1 to LOOP_IMAGE_DAYS_MAX, their defaults above) against the
 * project it names (NULL when the store found none) and the model kind of its first target
 * (model.json's "kind", NULL for a built-in service): another org's or a missing project is
 * CL_ENOTFOUND; a project of another kind than the model's, or a target that is not a trained
 * model, CL_EINVAL. */
int loop_settings_check(const json_t *settings, const project *p, int64_t endpoint_org,
			const char *model_kind, loop_settings *out, cl_error *err);

/* Whether a request to a canary split is one both targets answer: `draw` in [0, 1000000)
 * falls in the share. */
bool loop_canary_sampled(double canary_share, unsigned draw);

/* LOOP_CANARY_DISAGREEMENT when the production answer's top label differs from the canary's
 * (for spans: their spans differ; for OCR: the text of their lines), else NULL. Answers that failed (NULL) never disagree. */
const char *loop_canary_reason(const json_t *production, const json_t *canary);

/* The rule's reason for a prediction's `output` (borrowed): LOOP_LOW_CONFIDENCE when its top
 * score (an OCR answer: its least confident line's confidence, 0 without lines) is under
 * `threshold`, else NULL. */
const char *loop_reason(const json_t *output, double threshold);

/* The model's answer as an annotation of project `p` for a text item (new reference): a
 * class's {"labels":[...]} or spans' {"spans":[{start,end,label}]}; NULL when the answer is not
 * a valid annotation of the project (a label outside its set), so no suggestion is shown. */
json_t *loop_preannotation(const project *p, const char *text, const json_t *output);

/* The model's answer as an annotation of project `p` for an image item of width × height: an
 * OCR answer's lines as an image_transcription's {"lines":[{"text","box"}]} (core/annotation.h;
 * blank lines left out, boxes kept inside the image), a class as image_class's {"labels"};
 * NULL when not a valid annotation of the project. */
json_t *loop_preannotation_image(const project *p, int64_t width, int64_t height,
				 const json_t *output);
/* An OCR answer's {"lines":[{"text","box":[x,y,w,h]}]} as a transcription's lines (new
 * reference): blank lines left out, boxes as {"x","y","w","h"} kept inside the image. */
json_t *loop_ocr_lines(const json_t *output, int64_t width, int64_t height);

/* Whether the project takes the loop's items: a closed one takes no new work (an import
 * refuses it too). */
bool loop_project_open(const project *p);

/* The meta of a loop item (new reference): {"preannotation", "prediction":{"endpoint_id",
 * "reason"}}; the store adds the prediction's id as it writes it. preannotation (borrowed) may
 * be NULL. */
json_t *loop_item_meta(const json_t *preannotation, int64_t endpoint_id, const char *reason);

#endif
