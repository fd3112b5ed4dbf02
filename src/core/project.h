/* A project's settings as the domain sees them: kind, labels, pay, review policy, limits;
 * parsing and checking them from JSON, and writing them back as JSON. */
#ifndef CROWDLOOP_CORE_PROJECT_H
#define CROWDLOOP_CORE_PROJECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json_fields.h"

/* "text_class" <-> KIND_TEXT_CLASS. Parse returns CL_EINVAL for an unknown name. */
const char *task_kind_name(task_kind kind);
int task_kind_parse(const char *name, task_kind *out);
/* The item type a kind labels (text or image). */
item_type task_kind_item_type(task_kind kind);
const char *item_type_name(item_type type);

/* Sets the defaults of a new project (full review, overlap 1, 30-minute lease, 3 rounds, draft,
 * private, currency "KRW" until the org's is known). The project owns nothing yet: labels and
 * instructions are NULL. */
void project_init(project *p);
/* Frees what the project owns. */
void project_release(project *p);
/* Marks that `p` owns nothing, leaving its other fields as they are: for a struct zeroed only up
 * to its project, which project_copy or a read fills next (and project_release may free). */
static inline void project_own_nothing(project *p)
{
	p->labels = NULL;
	p->instructions = NULL;
}
/* Makes `to` (project_init'ed or released) a copy of `from` with references of its own. */
void project_copy(project *to, const project *from);

/* Applies the fields of `in` (a ProjectInput object, docs/API.md) to `p`. `creating` allows
 * `kind` and `org_id` and requires them with `name` and `labels`; otherwise `kind` and `org_id`
 * are refused. Unknown fields, read-only ones (`id`, `currency`, `created_at`), wrong types and
 * values out of range answer CL_EINVAL with a message naming the field; so do `lease_minutes`
 * with `lease_seconds`, `multi_label` on a kind that is not a classification, and a "sample"
 * review policy without a review_rate in (0,1]. Nothing changes in `p` on failure. The caller
 * checks what needs the store (the org exists, labels in use are kept). */
int project_apply_json(project *p, const json_t *in, bool creating, cl_error *err);

/* The fields of a project's JSON input, with those a new project needs marked required; the
 * answer's id, currency and created_at are read-only. The project routes declare their bodies
 * with it (api/routes.c). */
extern const json_field project_fields[];

/* Whether a kind's answers name the project's labels (classification, boxes, spans): only those
 * need labels. */
bool task_kind_uses_labels(task_kind kind);

/* True for llm_preference and llm_response, whose projects carry the LLM settings. */
bool project_is_llm(const project *p);

/* The LLM settings as the JSON members the store keeps and the Project answer shows (new
 * reference, NULL when out of memory), and back: project_llm_load replaces p->llm with what
 * `stored` holds over the defaults (members missing or malformed keep the default). */
json_t *project_llm_json(const project_llm *s);
void project_llm_load(project_llm *s, const json_t *stored);

/* True when `label` is one of the project's labels (a linear scan: at most 500). */
bool project_has_label(const project *p, const char *label);

/* A new JSON object for the API (caller owns the reference; NULL when out of memory): the
 * Project fields of docs/API.md, lease_minutes rounded up, review_rate null until given, the
 * LLM settings for the LLM kinds. */
json_t *project_to_json(const project *p);

/* Appends the project as a task answer shows it, as a JSON object: id, name, kind, labels,
 * multi_label and instructions, and the LLM settings for the LLM kinds. Returns 0, or CL_ETOOBIG/CL_ENOMEM from the buffer. */
int project_brief_write(buf *out, const project *p);

#endif
