/* The Task answer as JSON text, from a task_view (api/task_json.h). */
#include "api/task_json.h"
#include "core/llm_item.h"
#include "util/clock.h"
#include "util/json_write.h"

#include <string.h>

/* Writers of the pieces; each takes the previous result and does nothing after a failure. */
static int put(buf *b, int rc, const char *text)
{
	return rc ? rc : buf_puts(b, text);
}

static int put_string(buf *b, int rc, const char *s)
{
	if (rc)
		return rc;
	return s ? json_write_string(b, s, strlen(s)) : buf_puts(b, "null");
}

static int put_int(buf *b, int rc, int64_t v)
{
	return rc ? rc : buf_put_int(b, v);
}

static int put_id(buf *b, int rc, int64_t id)
{
	return rc ? rc : id ? buf_put_int(b, id) : buf_puts(b, "null");
}

static int put_time(buf *b, int rc, int64_t ms)
{
	if (rc || !ms)
		return put(b, rc, "null");
	char at[32];
	clock_iso8601(ms, at);
	return put_string(b, rc, at);
}

/* Stored JSON text as it is; NULL as null. */
static int put_stored(buf *b, int rc, const char *json)
{
	return put(b, rc, json ? json : "null");
}

/* The slot as shown: its place among the item's overlap. A gold item is answered in a new slot
 * by every worker who gets it, past the overlap, which would tell its tasks apart. */
static int64_t slot_shown(const task_view *v, const project *p)
{
	return p && p->overlap > 0 && v->slot >= p->overlap ? v->slot % p->overlap : v->slot;
}

/* The task's own fields, leaving the object open for the details. */
static int fields_write(buf *b, const task_view *v, const project *p)
{
	int rc = put(b, 0, "{\"id\":");
	rc = put_id(b, rc, v->id);
	rc = put(b, rc, ",\"project_id\":");
	rc = put_id(b, rc, v->project_id);
	rc = put(b, rc, ",\"item_id\":");
	rc = put_id(b, rc, v->item_id);
	rc = put(b, rc, ",\"slot\":");
	rc = put_int(b, rc, slot_shown(v, p));
	rc = put(b, rc, ",\"state\":");
	rc = put_string(b, rc, task_state_name(v->state));
	rc = put(b, rc, ",\"round\":");
	rc = put_int(b, rc, v->round);
	rc = put(b, rc, ",\"worker_id\":");
	rc = put_id(b, rc, v->worker_id);
	rc = put(b, rc, ",\"reviewer_id\":");
	rc = put_id(b, rc, v->reviewer_id);
	rc = put(b, rc, ",\"lease_expires_at\":");
	rc = put_time(b, rc, v->lease_until);
	rc = put(b, rc, ",\"last_rejection\":");
	rc = put_stored(b, rc, v->rejection);
	rc = put(b, rc, ",\"annotation\":");
	rc = put_stored(b, rc, v->annotation);
	rc = put(b, rc, ",\"approved_at\":");
	return put_time(b, rc, v->approved_at);
}

/* The item's metadata as an object: stored text as it is unless it names a pre-annotation,
 * which is parsed (*parsed, caller frees) to be written out on its own. */
static int meta_write(buf *b, int rc, const char *meta, json_t *parsed, bool named)
{
	rc = put(b, rc, ",\"meta\":");
	if (!named)
		return put(b, rc, meta && meta[0] == '{' ? meta : "{}");
	if (!json_is_object(parsed))
		return put(b, rc, "{}");
	return rc ? rc : json_write(b, parsed);
}

/* The LLM kinds' item document as "data" (core/llm_item.h), and for llm_preference the order
 * the task shows its responses in, "response_order", which the answer's "order" must equal. */
static int llm_write(buf *b, int rc, const task_view *v, const project *p, bool order)
{
	json_t *doc = llm_item_parse(v->item.text, p->kind);
	json_t *shown = order && doc ? llm_response_order(v->id, doc) : NULL;
	if (order) {
		rc = put(b, rc, ",\"response_order\":");
		rc = rc ? rc : shown ? json_write(b, shown) : buf_puts(b, "null");
	} else {
		rc = put(b, rc, ",\"data\":");
		rc = rc ? rc : doc ? json_write(b, doc) : buf_puts(b, "null");
	}
	json_decref(shown);
	json_decref(doc);
	return rc;
}

/* The task's imported pre-annotation (core/import_tools.h), the worker's starting point, and
 * its item. Only metadata that names a pre-annotation is parsed. */
static int item_write(buf *b, const task_view *v, const project *p)
{
	const struct task_view_item *it = &v->item;
	bool named = it->meta && strstr(it->meta, "\"preannotation\"");
	json_t *parsed = named ? json_loads(it->meta, 0, NULL) : NULL;
	json_t *pre = json_object_get(parsed, "preannotation");
	bool llm = p && project_is_llm(p);
	int rc = put(b, 0, ",\"preannotation\":");
	rc = rc ? rc : json_is_object(pre) ? json_write(b, pre) : buf_puts(b, "null");
	if (llm && p->kind == KIND_LLM_PREFERENCE)
		rc = llm_write(b, rc, v, p, true);
	rc = put(b, rc, ",\"item\":{\"id\":");
	rc = put_id(b, rc, v->item_id);
	rc = put(b, rc, ",\"type\":");
	rc = put_string(b, rc, it->type);
	if (it->text) {
		rc = put(b, rc, ",\"text\":");
		rc = put_string(b, rc, it->text);
	}
	if (it->mime) {
		rc = put(b, rc, ",\"mime\":");
		rc = put_string(b, rc, it->mime);
		rc = put(b, rc, ",\"width\":");
		rc = put_int(b, rc, it->width);
		rc = put(b, rc, ",\"height\":");
		rc = put_int(b, rc, it->height);
	}
	if (llm)
		rc = llm_write(b, rc, v, p, false);
	rc = meta_write(b, rc, it->meta, parsed, named);
	json_decref(parsed);
	return put(b, rc, "}");
}

static int events_write(buf *b, const task_view *v)
{
	int rc = put(b, 0, ",\"events\":[");
	for (size_t i = 0; i < v->n_events; i++) {
		const task_view_event *e = &v->events[i];
		rc = put(b, rc, i ? ",{\"id\":" : "{\"id\":");
		rc = put_id(b, rc, e->id);
		rc = put(b, rc, ",\"at\":");
		rc = put_time(b, rc, e->at);
		rc = put(b, rc, ",\"actor_id\":");
		rc = put_id(b, rc, e->actor_id);
		rc = put(b, rc, ",\"type\":");
		rc = put_string(b, rc, e->type);
		rc = put(b, rc, ",\"from\":");
		rc = put_string(b, rc, e->from);
		rc = put(b, rc, ",\"to\":");
		rc = put_string(b, rc, e->to);
		rc = put(b, rc, ",\"payload\":");
		rc = put_stored(b, rc, e->payload);
		rc = put(b, rc, "}");
	}
	return put(b, rc, "]");
}

int task_json_write(buf *b, const task_view *v, const project *p)
{
	int rc = fields_write(b, v, p);
	if (!rc && v->detail != TASK_BARE && v->has_item)
		rc = item_write(b, v, p);
	if (!rc && v->detail == TASK_WITH_HISTORY)
		rc = events_write(b, v);
	if (!rc && v->detail != TASK_BARE && p) {
		rc = put(b, rc, ",\"project\":");
		rc = rc ? rc : project_brief_write(b, p);
	}
	return put(b, rc, "}");
}

json_t *task_json(const task_view *v, const project *p)
{
	buf b;
	buf_init(&b, 0);
	json_t *o = task_json_write(&b, v, p) ? NULL : json_loadb(b.data, b.len, 0, NULL);
	buf_release(&b);
	return o;
}

/* "next" and "next_error" of a change with a chained claim, inside its open object. */
static int next_write(buf *b, const task_change *tc, const task_view *next, int refused,
		      const cl_error *why)
{
	int rc = put(b, 0, ",\"next\":");
	rc = rc	    ? rc
	     : next ? task_json_write(b, next, task_change_project(tc))
		    : buf_puts(b, "null");
	if (!rc && refused) {
		rc = put(b, rc, ",\"next_error\":{\"code\":");
		rc = put_string(b, rc, why->name[0] ? why->name : cl_err_name(refused));
		rc = put(b, rc, ",\"message\":");
		rc = put_string(b, rc, why->message);
		rc = put(b, rc, "}");
	}
	return put(b, rc, "}");
}

int task_json_change_write(buf *b, const task_change *tc)
{
	const task_view *v = task_change_view(tc);
	if (!v)
		return 0;
	int rc = task_json_write(b, v, task_change_project(tc));
	const task_view *next = NULL;
	int refused = 0;
	const cl_error *why = NULL;
	if (!rc && task_change_next(tc, &next, &refused, &why)) {
		/* The change's answer with the claim's added before its closing brace. */
		b->len--;
		rc = next_write(b, tc, next, refused, why);
	}
	return rc;
}
