/* Quality arithmetic, pure so every figure is unit-tested against hand-computed cases: Wilson
 * score intervals, consolidation of overlapping annotations (majority vote for classification,
 * box matching at IoU >= 0.5 with a label vote, span overlap vote, a majority over pairs of
 * responses, the closest transcription, every written answer), agreement (Krippendorff's
 * alpha for nominal data, mean IoU, span F1, pairwise preference agreement and Kendall's tau,
 * character error rate), gold scoring, planted errors for review honeypots,
 * a project's quality settings and the promotion and demotion rules. */
#ifndef CROWDLOOP_CORE_QUALITY_H
#define CROWDLOOP_CORE_QUALITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/project.h"
#include "core/quality_types.h"
#include "util/err.h"

#define QUALITY_Z95 1.959963984540054
#define QUALITY_MATCH_IOU 0.5
/* A transcription matches its gold answer at this character error rate or under. */
#define QUALITY_GOLD_CER 0.05
/* Edit distances fill at most this many cells: past it, a band around the diagonal. */
#define QUALITY_CER_MAX_CELLS 25000000

/* What a worker is shown of their own gold answers (and a reviewer of their honeypots), so
 * that no figure tells which task was gold or whether that one answer was right: only whole
 * batches of `batch` answers, given before the start of the current period of `period_ms`.
 * A figure then changes at most once a period, over at least `batch` answers. */
typedef struct quality_report {
	int batch;	   /* 0: QUALITY_REPORT_BATCH */
	int64_t period_ms; /* 0: QUALITY_REPORT_PERIOD_MS */
} quality_report;

#define QUALITY_REPORT_BATCH 5
#define QUALITY_REPORT_PERIOD_MS 3600000

/* The settings with defaults filled in, and the time before which answers may count (the start
 * of the period `now` lies in). */
quality_report quality_report_rule(quality_report r);
int64_t quality_report_cutoff(quality_report r, int64_t now);

/* The Wilson score interval of k successes in n trials at `z` (QUALITY_Z95 for 95%). */
quality_interval quality_wilson(long k, long n, double z);
/* The interval as JSON {"k","n","p","lo","hi"} with p/lo/hi null when n == 0 (new reference). */
json_t *quality_interval_json(const quality_interval *q);

/* Intersection over union of two boxes given as x, y, w, h. */
double quality_box_iou(const double a[4], const double b[4]);

/* Agreement of two annotations of one item, in [0,1]: classification 1 when the label sets are
 * equal else 0; image_bbox the mean IoU of boxes matched greedily at IoU >= 0.5 over the larger
 * count (both empty: 1); text_spans the F1 of exactly equal (start, end, label) spans (both
 * empty: 1); llm_preference quality_pair_agreement; llm_response 1 when the texts are equal (or
 * a's is among b's answers); image_transcription quality_transcription_similarity. Borrowed arguments; malformed input scores 0. */
double quality_similarity(task_kind kind, const json_t *a, const json_t *b);
double quality_mean_iou(const json_t *a, const json_t *b);
double quality_span_f1(const json_t *a, const json_t *b);

/* The score of an answer against a gold answer, in [0,1]: classification 1/0 (exact label set),
 * image_bbox the F1 of boxes matched at IoU >= 0.5 with equal labels, text_spans the exact span
 * F1, llm_preference 1/0 (the same best response, or both a tie), image_transcription 1 at a CER
 * of QUALITY_GOLD_CER or less, else 1 - CER (0 at 1 or more), llm_response 0 (no gold). An answer is correct when its score is 1. */
double quality_gold_score(task_kind kind, const json_t *gold, const json_t *answer);

/* Consolidates the n annotations of one item into one (new reference; NULL when n == 0); the
 * LLM and transcription kinds as quality_consolidate_preference, _responses and _transcription
 * below:
 * - classification: the most voted label (ties: the smallest by strcmp); multi-label: every
 *   label more than half the annotators chose (the most voted one when none is);
 * - image_bbox: boxes clustered annotator by annotator (a box joins the cluster whose first box
 *   it overlaps most at IoU >= 0.5 and which has no box of the same annotator yet); clusters
 *   backed by more than half the annotators become a box of their mean coordinates (rounded to
 *   0.01) and most voted label;
 * - text_spans: the same with interval IoU >= 0.5; a kept span has the lower median start and
 *   end and the most voted label.
 * *agreement (when not NULL) gets the mean similarity of the inputs to the result. */
json_t *quality_consolidate(task_kind kind, bool multi_label, json_t *const *anns, size_t n,
			    double *agreement);

/* Krippendorff's alpha for nominal data. values[u * coders + c] is coder c's value for unit u,
 * NULL when missing; units with fewer than two values are not pairable and are skipped.
 * Returns NAN when fewer than two pairable values exist, 1 when the expected disagreement is
 * zero (every value equal). */
double quality_alpha_nominal(const char *const *values, size_t units, size_t coders);

/* The same alpha built a unit at a time, for data too large to hold: it keeps the observed
 * disagreement and a count per distinct value, not the units. Start from {0}; each add takes
 * one unit's m values (NULL ones skipped); quality_alpha_result answers as above. Returns
 * CL_ENOMEM when memory runs out (the alpha is then NAN). */
typedef struct quality_alpha {
	double observed, pairable;
	struct alpha_value *values;
	size_t nvalues, cap;
	bool failed;
} quality_alpha;
int quality_alpha_add(quality_alpha *a, const char *const *values, size_t m);
double quality_alpha_result(const quality_alpha *a);
void quality_alpha_free(quality_alpha *a);
/* The nominal value of a classification annotation: its labels sorted and joined with '|'.
 * Returns a malloc'd string or NULL when malformed. */
char *quality_class_value(const json_t *annotation);

/* A copy of `gold` with one planted error, for a review honeypot (new reference), or NULL when
 * none can be made (e.g. a one-label project): classification swaps the label for another of
 * `labels`; image_bbox relabels a box, or drops it when there is one label; text_spans the same
 * with a span. `pick` (any number, e.g. random) chooses which part and which label. */
json_t *quality_plant_error(task_kind kind, const json_t *gold, const json_t *labels,
			    uint32_t pick);

/* ---- llm_preference: answers compared pair by pair of responses (quality_kinds.c) ---- */

/* How answer `ann` orders responses x and y: 1 when x is preferred, -1 when y is, 0 when it
 * does not say (neither is the best of a pick). A ranking says for every pair, a best only
 * against the others, and "tie": true says nothing on any pair. */
int quality_prefers(const json_t *ann, const char *x, const char *y);
/* The share of response pairs (from a's "order") on which a and b say the same, ties included;
 * 1 with no pairs. */
double quality_pair_agreement(const json_t *a, const json_t *b);
/* Kendall's tau-b of two answers' orders over the response pairs, in [-1, 1]; when either says
 * nothing on every pair: 1 if both say nothing, else 0. */
double quality_kendall_tau(const json_t *a, const json_t *b);
/* 1 when the answer's best (or first ranked) response was the first shown, 0 when another, -1
 * when it chose none: the position-bias figure counts these. */
int quality_first_shown_chosen(const json_t *ann);
/* The majority over pairs of n answers (new reference; NULL when none): each pair's majority
 * wins a point (an even pair half each); "ranking" by points, then pairwise votes, then id;
 * "best" the top one or null with "tie" true when two share the top; "pairs" the pairs a
 * majority decided, {"chosen","rejected","agreement"}; "ratings" the mean of each rating. */
json_t *quality_consolidate_preference(json_t *const *anns, size_t n);

/* ---- image_transcription and llm_response ---- */

/* The Levenshtein distance over code points of valid UTF-8 a and b (within
 * QUALITY_CER_MAX_CELLS cells: exact when the distance fits the band around the diagonal). */
size_t quality_edit_distance(const char *a, const char *b);
/* The character error rate of `hyp` against `ref`: the distance over ref's code points (an
 * empty ref: 0 when hyp is empty too, else 1). */
double quality_cer(const char *hyp, const char *ref);
/* A transcription's lines joined with '\n' (malloc'd; NULL when out of memory). */
char *quality_transcription_text(const json_t *ann);
/* The CER of transcription `hyp` against `ref`. */
double quality_transcription_cer(const json_t *hyp, const json_t *ref);
/* 1 - the distance of two transcriptions over the longer one's length: symmetric, in [0,1]. */
double quality_transcription_similarity(const json_t *a, const json_t *b);
/* The answer closest to all the others (the least summed distance; the first on a tie). */
json_t *quality_consolidate_transcription(json_t *const *anns, size_t n);
/* llm_response keeps every answer: {"answers": [text...], "count": n}. */
json_t *quality_consolidate_responses(json_t *const *anns, size_t n);

/* Defaults: no gold or honeypots, automatic promotion at 50 approvals with 90% first-pass and
 * 90% gold accuracy (when gold exists), demotion under 80% accuracy after 5 checks. */
void quality_settings_init(quality_settings *s);
/* Applies the members of `in` to s; unknown members, wrong types and out-of-range values answer
 * CL_EINVAL naming the member, and s is unchanged then. */
int quality_settings_apply_json(quality_settings *s, const json_t *in, cl_error *err);
/* The members quality_settings_apply_json takes, with their types (api/routes.c declares the
 * settings route's body with it). */
extern const json_field quality_settings_fields[];
/* New reference. */
json_t *quality_settings_to_json(const quality_settings *s);

/* True when the worker passes every promotion threshold. */
bool quality_should_promote(const quality_settings *s, const quality_worker_figures *f);
/* True when a reviewer with `passed` of `checks` (honeypots caught + audits passed) falls under
 * the demotion threshold. */
bool quality_should_demote(const quality_settings *s, long checks, long passed);

#endif
