/* Checking a submitted annotation against its project's kind and labels and its item (label in
 * the set, box inside the image, span inside the text, responses of the item rated on the
 * project's criteria, an answer within the length range, transcribed lines inside the image). Shapes are in docs/API.md. */
#ifndef CROWDLOOP_CORE_ANNOTATION_H
#define CROWDLOOP_CORE_ANNOTATION_H

#include <jansson.h>
#include <stdint.h>

#include "core/project.h"
#include "util/err.h"

/* Boxes or spans one annotation may hold. */
#define ANNOTATION_MAX_PARTS 10000

/* What a validator needs to know of the item being labeled. */
typedef struct item_facts {
	item_type type;
	const char *text;   /* text items: UTF-8, NUL-terminated; NULL for images */
	int64_t width;      /* image items: pixels */
	int64_t height;
	/* llm_preference: the task whose shown order (core/llm_item.h) the answer's "order" must
	 * equal; 0 where no task showed the item (a gold answer, an academy question). */
	int64_t task_id;
} item_facts;

/* Lines of an image_transcription answer, and code points of one line or of a reason. */
#define ANNOTATION_MAX_LINES 1000
#define ANNOTATION_MAX_LINE_CHARS 10000
#define ANNOTATION_MAX_REASON_CHARS 10000

/* Returns 0 when `annotation` is a valid answer for the project and item; otherwise
 * CL_EANNOTATION with err->message naming the problem (e.g. "boxes[2]: label \"dog\" is not
 * in the project's label set"). Unknown keys are refused too, and so is an item of the other
 * type (text for an image kind). Zero boxes or zero spans are valid answers; spans may overlap.
 * Borrowed arguments. */
int annotation_validate(const project *p, const item_facts *item, const json_t *annotation,
			cl_error *err);

/* Checks a review's rubric scores: only on llm_response projects, an object with an integer
 * 1..scale for every criterion of the project's rubric and nothing else. 0, or CL_EANNOTATION
 * with the problem named ("rubric.accuracy must be an integer from 1 to 5"). */
int annotation_rubric_check(const project *p, const json_t *rubric, cl_error *err);

#endif
