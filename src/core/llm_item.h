/* The item of the LLM kinds: a prompt, with an optional system prompt and earlier turns, and
 * either the responses to compare (llm_preference) or an optional draft answer (llm_response).
 * It is stored as the text item's text, one canonical JSON document (docs/API.md, "LLM
 * items"), so the content hash that dedupes items covers the whole conversation and every path
 * that carries an item's text (tasks, gold items, academy questions, exports) carries it whole.
 * Also the order in which a task shows the responses. */
#ifndef CROWDLOOP_CORE_LLM_ITEM_H
#define CROWDLOOP_CORE_LLM_ITEM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project.h"

#define LLM_MIN_RESPONSES 2
#define LLM_MAX_RESPONSES 9
#define LLM_MAX_MESSAGES 200   /* earlier turns of a conversation */
#define LLM_MAX_RESPONSE_ID 16 /* bytes: [A-Za-z0-9_-] */

/* Builds the item document of a `kind` item (KIND_LLM_PREFERENCE or KIND_LLM_RESPONSE) from one
 * imported JSON object, in any of the layouts docs/API.md lists: {"prompt", "system"?,
 * "messages"?, "responses"?, "draft"?}, a "chosen"/"rejected" pair (two responses, "chosen"
 * kept), OpenAI-style {"messages": [...]} (the last user turn is the prompt, a last assistant
 * turn the draft or a response), and {"text"} as the prompt. Returns a new reference, or NULL
 * with *why set to a static reason ("llm_preference items need 2 to 9 responses"). Keys it does
 * not read ("meta", "id", ...) are left to the caller. */
json_t *llm_item_from_json(const json_t *in, task_kind kind, const char **why);

/* The item document stored as `text`, checked again (new reference), or NULL when `text` is not
 * one of `kind`'s documents. */
json_t *llm_item_parse(const char *text, task_kind kind);

/* The ids of the document's responses, in stored order: a borrowed array of strings. */
const json_t *llm_item_responses(const json_t *doc);

/* The text of response `id` of the document (borrowed), or NULL. */
const char *llm_item_response_text(const json_t *doc, const char *id);

/* The order in which task `task_id` shows the document's responses: a permutation of their ids
 * drawn from the task id, the same on every read (new reference; NULL when out of memory). */
json_t *llm_response_order(int64_t task_id, const json_t *doc);

#endif
