/* A project's settings as plain types: the kinds of task and item, the limits of its
 * settings, the project itself. The store reads and writes them; core/project.h holds the
 * rules over them (parsing, checking, naming). */
#ifndef CROWDLOOP_CORE_PROJECT_TYPES_H
#define CROWDLOOP_CORE_PROJECT_TYPES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum task_kind {
	KIND_TEXT_CLASS,
	KIND_IMAGE_CLASS,
	KIND_IMAGE_BBOX,
	KIND_TEXT_SPANS,
	KIND_LLM_PREFERENCE,
	KIND_LLM_RESPONSE,
	KIND_IMAGE_TRANSCRIPTION,
} task_kind;

/* How many kinds there are: one past the last. */
#define TASK_KIND_COUNT (KIND_IMAGE_TRANSCRIPTION + 1)

typedef enum item_type { ITEM_TEXT, ITEM_IMAGE } item_type;

#define PROJECT_MAX_LABELS 500
#define PROJECT_MAX_LABEL_LEN 100	  /* bytes */
#define PROJECT_MAX_INSTRUCTIONS 65536	  /* bytes of markdown */
#define PROJECT_MAX_PRICE 1000000000000LL /* price and reviewer_fee, minor units */
#define PROJECT_MAX_CRITERIA 12		  /* criteria or rubric entries */
#define PROJECT_MAX_CRITERION_LEN 64	  /* bytes of a criterion's name */
#define PROJECT_MAX_ANSWER_LEN 100000	  /* llm_response: the largest length.max, code points */

/* A list of named criteria (llm_preference ratings, llm_response review rubric). Fixed arrays:
 * a project is copied by value. */
typedef struct project_criteria {
	int n;
	char name[PROJECT_MAX_CRITERIA][PROJECT_MAX_CRITERION_LEN + 1];
} project_criteria;

/* The settings of the LLM kinds (docs/API.md, "Kind settings"); kept for every project, read
 * by the kinds they apply to. */
typedef struct project_llm {
	project_criteria criteria; /* llm_preference ratings */
	project_criteria rubric;   /* llm_response review scores */
	int scale;		   /* ratings and rubric scores are 1..scale: 5 or 7 */
	bool require_reason;	   /* llm_preference: a reason must be written */
	bool rank_all;		   /* llm_preference: rank every response, not only pick the best */
	int64_t length_min, length_max; /* llm_response: the answer's code points */
	/* image_transcription: the org's endpoint whose OCR pre-fills imported images; "" none */
	char prefill_endpoint[64];
} project_llm;

typedef struct project {
	int64_t id;
	int64_t org_id;
	char name[201 * 4];
	task_kind kind;
	json_t *labels; /* owned: array of distinct non-empty strings */
	bool multi_label;
	char *instructions;   /* owned, markdown */
	int64_t price;	      /* minor units per approved task */
	int64_t reviewer_fee; /* minor units per review */
	char currency[8];
	bool review_sample; /* false: full review */
	double review_rate; /* (0,1], used when review_sample; 0 until one is given */
	int overlap;	    /* annotations per item */
	int lease_seconds;
	int max_rounds;
	char status[8]; /* draft, open, paused, closed */
	bool is_public;
	int64_t created_at; /* ms */
	project_llm llm;
} project;

/* A project's row as the store reads and writes it (core/project_load.c decodes and encodes
 * it): its columns, the kind as its name, labels and the kind settings as their stored JSON text,
 * and the caller's roles when it was read for one. Strings are borrowed: the row the store hands
 * a project_row_fn lives for that call. */
typedef struct project_row {
	int64_t id, org_id, price, reviewer_fee, created_at;
	const char *name, *kind, *labels, *instructions, *status, *currency, *kind_settings;
	bool multi_label, review_sample, is_public;
	double review_rate;
	int overlap, lease_seconds, max_rounds;
	const char *org_role, *member_role; /* NULL when none, or not read */
} project_row;

/* What is done with a project's row the store read. */
typedef void project_row_fn(const project_row *row, void *ctx);
/* A list's item made of a project's row (new reference). */
typedef json_t *project_json_fn(const project_row *row);

/* The kinds' names in task_kind order, NULL-ended. */
extern const char *const task_kind_names[];

#endif
