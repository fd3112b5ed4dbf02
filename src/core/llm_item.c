/* The LLM kinds' item document (core/llm_item.h): built from the layouts an import brings,
 * checked, and the per-task order of its responses. Every layout ends in the same canonical
 * members, so reading a stored document is building it again from itself. */
#include "core/llm_item.h"

#include <stdio.h>
#include <string.h>

static bool nonblank_string(const json_t *v)
{
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	return !memchr(s, '\0', len) && strspn(s, " \t\r\n\v\f") < len;
}

static bool id_ok(const json_t *v)
{
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len < 1 || len > LLM_MAX_RESPONSE_ID)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

/* The text of an answer given as a string or as a message list (its last assistant turn). */
static const json_t *answer_text(const json_t *v)
{
	if (json_is_string(v))
		return v;
	size_t n = json_array_size(v);
	const json_t *last = n ? json_array_get(v, n - 1) : NULL;
	const json_t *role = json_object_get(last, "role");
	if (json_is_string(role) && !strcmp(json_string_value(role), "assistant"))
		return json_object_get(last, "content");
	return NULL;
}

/* What a build gathers before it checks the whole. */
typedef struct build {
	json_t *doc;
	json_t *turns;		  /* user and assistant turns before the prompt */
	const json_t *last_reply; /* a final assistant turn, after the prompt */
} build;

/* Reads an OpenAI-style message list: a leading system turn, the turns, and, when `take_prompt`,
 * the last user turn as the prompt and an assistant turn after it as the last reply. */
static const char *read_messages(build *b, const json_t *msgs, bool take_prompt)
{
	size_t n = json_array_size(msgs);
	if (!json_is_array(msgs) || n > LLM_MAX_MESSAGES)
		return "\"messages\" must be an array of at most 200 {\"role\", \"content\"}";
	size_t end = n;
	if (take_prompt && end) {
		const json_t *role = json_object_get(json_array_get(msgs, end - 1), "role");
		if (json_is_string(role) && !strcmp(json_string_value(role), "assistant")) {
			b->last_reply = json_object_get(json_array_get(msgs, end - 1), "content");
			end--;
		}
	}
	for (size_t i = 0; i < end; i++) {
		const json_t *m = json_array_get(msgs, i);
		const char *role = json_string_value(json_object_get(m, "role"));
		const json_t *content = json_object_get(m, "content");
		if (!json_is_object(m) || !role || !json_is_string(content))
			return "each message must be {\"role\", \"content\": string}";
		if (!strcmp(role, "system") && i == 0 && !json_object_get(b->doc, "system")) {
			json_object_set(b->doc, "system", (json_t *)content);
			continue;
		}
		if (strcmp(role, "user") && strcmp(role, "assistant"))
			return "a message's role must be user or assistant (system only first)";
		if (take_prompt && i == end - 1) {
			if (strcmp(role, "user"))
				return "the last turn before the answer must be the user's prompt";
			json_object_set(b->doc, "prompt", (json_t *)content);
			continue;
		}
		json_array_append_new(b->turns,
				      json_pack("{s:s,s:O}", "role", role, "content", content));
	}
	return NULL;
}

/* "responses": strings or {"id"?, "text"}; ids default to a, b, c... */
static const char *read_responses(build *b, const json_t *in)
{
	size_t n = json_array_size(in);
	if (!json_is_array(in) || n < LLM_MIN_RESPONSES || n > LLM_MAX_RESPONSES)
		return "llm_preference items need 2 to 9 responses";
	json_t *out = json_array();
	json_object_set_new(b->doc, "responses", out);
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(in, i);
		const json_t *text = json_is_object(r) ? json_object_get(r, "text") : r;
		const json_t *id = json_object_get(r, "id");
		char def[2] = {(char)('a' + i), '\0'};
		if (!json_is_string(text))
			return "each response must be a string or {\"id\"?, \"text\": string}";
		if (json_is_object(r) && json_object_size(r) != (id ? 2u : 1u))
			return "a response holds only \"id\" and \"text\"";
		if (id && !id_ok(id))
			return "a response id must be 1 to 16 of A-Z a-z 0-9 _ -";
		const char *ids = id ? json_string_value(id) : def;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ids, json_string_value(
					     json_object_get(json_array_get(out, j), "id"))))
				return "response ids must be distinct";
		json_array_append_new(out, json_pack("{s:s,s:O}", "id", ids, "text", text));
	}
	return NULL;
}

/* A "chosen"/"rejected" pair (strings or message lists) as two responses, chosen first. */
static const char *read_pair(build *b, const json_t *in)
{
	const json_t *chosen = json_object_get(in, "chosen");
	const json_t *rejected = json_object_get(in, "rejected");
	if (!json_object_get(b->doc, "prompt") && json_is_array(chosen)) {
		const char *why = read_messages(b, chosen, true);
		if (why)
			return why;
	}
	const json_t *ct = answer_text(chosen), *rt = answer_text(rejected);
	if (!json_is_string(ct) || !json_is_string(rt))
		return "\"chosen\" and \"rejected\" must be strings or end in an assistant turn";
	json_t *pair = json_pack("[O,O]", ct, rt);
	const char *why = read_responses(b, pair);
	json_decref(pair);
	if (!why)
		json_object_set_new(b->doc, "chosen_id", json_string("a"));
	return why;
}

/* The document's kind-specific part: responses or a draft. */
static const char *read_answers(build *b, const json_t *in, task_kind kind)
{
	const json_t *responses = json_object_get(in, "responses");
	const json_t *draft = json_object_get(in, "draft");
	if (kind == KIND_LLM_RESPONSE) {
		if (responses || json_object_get(in, "chosen"))
			return "llm_response items take a \"draft\", not responses";
		if (!draft)
			draft = b->last_reply;
		if (draft && !json_is_string(draft))
			return "\"draft\" must be a string";
		if (draft)
			json_object_set(b->doc, "draft", (json_t *)draft);
		return NULL;
	}
	if (draft)
		return "\"draft\" applies to llm_response items";
	if (json_object_get(in, "chosen") || json_object_get(in, "rejected"))
		return responses ? "give \"responses\" or \"chosen\"/\"rejected\", not both"
				 : read_pair(b, in);
	if (!responses)
		return "llm_preference items need 2 to 9 responses";
	const char *why = read_responses(b, responses);
	const json_t *chosen_id = json_object_get(in, "chosen_id");
	if (!why && chosen_id) {
		if (!llm_item_response_text(b->doc, json_string_value(chosen_id)))
			return "\"chosen_id\" must name one of the responses";
		json_object_set(b->doc, "chosen_id", (json_t *)chosen_id);
	}
	return why;
}

static const char *build_doc(build *b, const json_t *in, task_kind kind)
{
	const json_t *prompt = json_object_get(in, "prompt");
	if (!prompt)
		prompt = json_object_get(in, "text");
	const json_t *system = json_object_get(in, "system");
	if (system && !json_is_string(system))
		return "\"system\" must be a string";
	if (system)
		json_object_set(b->doc, "system", (json_t *)system);
	if (prompt)
		json_object_set(b->doc, "prompt", (json_t *)prompt);
	const json_t *msgs = json_object_get(in, "messages");
	const char *why = msgs ? read_messages(b, msgs, !prompt) : NULL;
	if (!why)
		why = read_answers(b, in, kind);
	if (why)
		return why;
	if (!nonblank_string(json_object_get(b->doc, "prompt")))
		return "missing \"prompt\" (or a user turn in \"messages\")";
	if (json_array_size(b->turns))
		json_object_set(b->doc, "messages", b->turns);
	return NULL;
}

json_t *llm_item_from_json(const json_t *in, task_kind kind, const char **why)
{
	*why = NULL;
	if (!json_is_object(in) || (kind != KIND_LLM_PREFERENCE && kind != KIND_LLM_RESPONSE)) {
		*why = "not an LLM item";
		return NULL;
	}
	build b = {.doc = json_object(), .turns = json_array()};
	if (!b.doc || !b.turns)
		*why = "out of memory";
	else
		*why = build_doc(&b, in, kind);
	json_decref(b.turns);
	if (*why) {
		json_decref(b.doc);
		return NULL;
	}
	return b.doc;
}

json_t *llm_item_parse(const char *text, task_kind kind)
{
	json_t *in = text ? json_loads(text, 0, NULL) : NULL;
	const char *why;
	json_t *doc = llm_item_from_json(in, kind, &why);
	json_decref(in);
	return doc;
}

const json_t *llm_item_responses(const json_t *doc)
{
	return json_object_get(doc, "responses");
}

const char *llm_item_response_text(const json_t *doc, const char *id)
{
	size_t i;
	const json_t *r;
	json_array_foreach(llm_item_responses(doc), i, r)
	{
		const char *rid = json_string_value(json_object_get(r, "id"));
		if (id && rid && !strcmp(rid, id))
			return json_string_value(json_object_get(r, "text"));
	}
	return NULL;
}

/* splitmix64: a well-mixed sequence from one seed. */
static uint64_t mix_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

json_t *llm_response_order(int64_t task_id, const json_t *doc)
{
	const json_t *rs = llm_item_responses(doc);
	size_t n = json_array_size(rs);
	if (n > LLM_MAX_RESPONSES)
		n = LLM_MAX_RESPONSES;
	size_t pos[LLM_MAX_RESPONSES];
	for (size_t i = 0; i < n; i++)
		pos[i] = i;
	/* Fisher-Yates, seeded by the task: a random order per task, read again unchanged. */
	uint64_t state = (uint64_t)task_id;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(mix_next(&state) % i);
		size_t t = pos[i - 1];
		pos[i - 1] = pos[j];
		pos[j] = t;
	}
	json_t *order = json_array();
	for (size_t i = 0; order && i < n; i++)
		json_array_append(order, json_object_get(json_array_get(rs, pos[i]), "id"));
	return order;
}
