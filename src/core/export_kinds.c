/* Export writers of the LLM and transcription kinds (core/export_kinds.h). Each parses its
 * row's item document and annotation, both stored by the server itself, and writes lines. */
#include "core/export_kinds.h"
#include "core/llm_item.h"
#include "util/json_write.h"

#include <stdio.h>
#include <string.h>

/* The row's item document and annotation (new references); CL_EINTERNAL when unreadable. */
static int row_read(task_kind kind, const export_row *r, json_t **doc, json_t **ann)
{
	*doc = llm_item_parse(r->text, kind);
	*ann = json_loads(r->annotation ? r->annotation : "", 0, NULL);
	if (*doc && json_is_object(*ann))
		return 0;
	json_decref(*doc);
	json_decref(*ann);
	*doc = *ann = NULL;
	return CL_EINTERNAL;
}

/* Appends a JSON value and a line break; steals `v`. */
static int put_line(buf *out, json_t *v)
{
	int rc = v ? json_write(out, v) : CL_ENOMEM;
	json_decref(v);
	return rc ? rc : buf_puts(out, "\n");
}

static int pair_line(const json_t *doc, const export_row *r, const char *chosen,
		     const char *rejected, const json_t *agreement, bool tie, buf *out)
{
	const char *ct = llm_item_response_text(doc, chosen);
	const char *rt = llm_item_response_text(doc, rejected);
	if (!ct || !rt)
		return 0;
	json_t *o = json_pack("{s:O,s:s,s:s,s:I,s:I}", "prompt", json_object_get(doc, "prompt"),
			      "chosen", ct, "rejected", rt, "item_id", (json_int_t)r->item_id,
			      "task_id", (json_int_t)r->task_id);
	if (o && json_object_get(doc, "system"))
		json_object_set(o, "system", json_object_get(doc, "system"));
	if (o && json_object_get(doc, "messages"))
		json_object_set(o, "messages", json_object_get(doc, "messages"));
	if (o && agreement)
		json_object_set(o, "agreement", (json_t *)agreement);
	if (o && tie)
		json_object_set_new(o, "tie", json_true());
	return put_line(out, o);
}

/* Every pair of responses in stored order, as ties. */
static int tie_pairs(const json_t *doc, const export_row *r, buf *out)
{
	const json_t *rs = llm_item_responses(doc);
	int rc = 0;
	for (size_t i = 0; !rc && i < json_array_size(rs); i++)
		for (size_t j = i + 1; !rc && j < json_array_size(rs); j++)
			rc = pair_line(
			    doc, r, json_string_value(json_object_get(json_array_get(rs, i), "id")),
			    json_string_value(json_object_get(json_array_get(rs, j), "id")), NULL,
			    true, out);
	return rc;
}

/* The pairs one answer orders: its ranking's, or its best against each other response. */
static int answer_pairs(const json_t *doc, const export_row *r, const json_t *ann, buf *out)
{
	const json_t *ranking = json_object_get(ann, "ranking");
	const char *best = json_string_value(json_object_get(ann, "best"));
	int rc = 0;
	if (json_is_array(ranking) && !json_is_true(json_object_get(ann, "tie"))) {
		size_t n = json_array_size(ranking);
		for (size_t i = 0; !rc && i < n; i++)
			for (size_t j = i + 1; !rc && j < n; j++)
				rc =
				    pair_line(doc, r, json_string_value(json_array_get(ranking, i)),
					      json_string_value(json_array_get(ranking, j)), NULL,
					      false, out);
		return rc;
	}
	size_t i;
	const json_t *resp;
	json_array_foreach(llm_item_responses(doc), i, resp)
	{
		const char *id = json_string_value(json_object_get(resp, "id"));
		if (best && id && strcmp(id, best) && !rc)
			rc = pair_line(doc, r, best, id, NULL, false, out);
	}
	return rc;
}

int export_preference_pairs_row(const export_row *r, bool all_pairs, buf *out)
{
	json_t *doc, *ann;
	int rc = row_read(KIND_LLM_PREFERENCE, r, &doc, &ann);
	if (rc)
		return rc;
	const json_t *pairs = json_object_get(ann, "pairs");
	if (json_is_array(pairs)) {
		size_t i;
		const json_t *p;
		json_array_foreach(pairs, i, p)
		{
			/* A pair no more than half the annotators decided is left out. */
			if (rc || (!all_pairs && json_number_value(json_object_get(
						     p, "agreement")) <= EXPORT_MIN_PAIR_AGREEMENT))
				continue;
			rc = pair_line(doc, r, json_string_value(json_object_get(p, "chosen")),
				       json_string_value(json_object_get(p, "rejected")),
				       json_object_get(p, "agreement"), false, out);
		}
	} else if (json_is_true(json_object_get(ann, "tie"))) {
		rc = all_pairs ? tie_pairs(doc, r, out) : 0;
	} else {
		rc = answer_pairs(doc, r, ann, out);
	}
	json_decref(doc);
	json_decref(ann);
	return rc;
}

/* The conversation before the answer: system, earlier turns, the prompt (new reference). */
static json_t *conversation(const json_t *doc)
{
	json_t *msgs = json_array();
	const json_t *system = json_object_get(doc, "system");
	if (system)
		json_array_append_new(msgs,
				      json_pack("{s:s,s:O}", "role", "system", "content", system));
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(doc, "messages"), i, m)
	{
		json_array_append(msgs, (json_t *)m);
	}
	json_array_append_new(msgs, json_pack("{s:s,s:O}", "role", "user", "content",
					      json_object_get(doc, "prompt")));
	return msgs;
}

static int chat_line(const json_t *doc, const char *answer, buf *out)
{
	if (!answer)
		return 0;
	json_t *msgs = conversation(doc);
	json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "assistant", "content", answer));
	return put_line(out, json_pack("{s:o}", "messages", msgs));
}

int export_chat_row(task_kind kind, const export_row *r, buf *out)
{
	json_t *doc, *ann;
	int rc = row_read(kind, r, &doc, &ann);
	if (rc)
		return rc;
	if (kind == KIND_LLM_PREFERENCE) {
		const char *best = json_string_value(json_object_get(ann, "best"));
		if (!best && !json_is_true(json_object_get(ann, "tie")))
			best =
			    json_string_value(json_array_get(json_object_get(ann, "ranking"), 0));
		rc = chat_line(doc, llm_item_response_text(doc, best), out);
	} else if (json_object_get(ann, "answers")) {
		size_t i;
		const json_t *a;
		json_array_foreach(json_object_get(ann, "answers"), i, a)
		{
			if (!rc)
				rc = chat_line(doc, json_string_value(a), out);
		}
	} else {
		rc = chat_line(doc, json_string_value(json_object_get(ann, "text")), out);
	}
	json_decref(doc);
	json_decref(ann);
	return rc;
}

/* Text on one TSV line: tabs and line breaks become spaces. */
static int tsv_text(buf *out, const char *s)
{
	int rc = 0;
	for (; *s && !rc; s++)
		rc = buf_append(out, strchr("\t\r\n", *s) ? " " : s, 1);
	return rc;
}

int export_ocr_tsv_row(const export_row *r, buf *out)
{
	json_t *ann = json_loads(r->annotation ? r->annotation : "", 0, NULL);
	if (!json_is_object(ann)) {
		json_decref(ann);
		return CL_EINTERNAL;
	}
	int rc = 0;
	size_t i;
	const json_t *line;
	json_array_foreach(json_object_get(ann, "lines"), i, line)
	{
		const char *text = json_string_value(json_object_get(line, "text"));
		rc = rc ? rc
			: buf_printf(out, "/api/v1/items/%lld/asset\t%zu\t", (long long)r->item_id,
				     i + 1);
		rc = rc ? rc : tsv_text(out, text ? text : "");
		rc = rc ? rc : buf_puts(out, "\n");
	}
	json_decref(ann);
	return rc;
}

int export_llm_data(task_kind kind, const export_row *r, buf *out)
{
	json_t *doc = llm_item_parse(r->text, kind);
	int rc = buf_puts(out, ",\"data\":");
	rc = rc ? rc : doc ? json_write(out, doc) : buf_puts(out, "null");
	json_decref(doc);
	return rc;
}
