/* Quality over HTTP: a project's quality settings, gold items (answers only ever to those who
 * manage the project), audits and their verdicts, the quality figures with Wilson intervals,
 * consolidated answers and agreement, promotions and demotions, and my own figures. */
#include "api/api.h"
#include "core/agreement.h"
#include "core/annotation.h"
#include "core/audit.h"
#include "core/consensus.h"
#include "core/dataset.h"
#include "core/gold.h"
#include "core/label_check.h"
#include "core/quality.h"
#include "core/quality_figures.h"
#include "core/quality_settings.h"
#include "api/quality_json.h"
#include "store/audits.h"
#include "store/blobs.h"
#include "store/store_datasets.h"
#include "store/store_quality.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

#define GOLD_MAX_ITEMS 10000
#define AUDIT_MAX 10000

int api_quality_settings_get(http_request *r)
{
	quality_settings s;
	quality_settings_read(&api_app(r)->store, r->ids[0], &s);
	http_json(r, 200, quality_settings_to_json(&s));
	return 0;
}

int api_quality_settings_patch(http_request *r)
{
	json_t *body = NULL, *out = NULL;
	int rc = http_body_json(r, &body);
	if (!rc)
		rc = quality_settings_put(&api_app(r)->store, r->ids[0], body, &out, &r->err);
	if (!rc)
		http_json(r, 200, out);
	json_decref(body);
	return rc;
}

/* Checks one gold entry and fills g; answers are validated like a submission. */
static int gold_entry(http_request *r, const project *p, size_t i, json_t *e, gold_new *g,
		      char **answer_text)
{
	static const char *const keys[] = {"item_id", "text", "answer", "explanation", NULL};
	if (!json_is_object(e))
		return http_fail(r, CL_EINVAL, NULL, "items[%zu] must be an object", i);
	int rc = api_only_keys(r, e, keys);
	if (rc)
		return rc;
	json_t *id = json_object_get(e, "item_id"), *text = json_object_get(e, "text");
	json_t *expl = json_object_get(e, "explanation");
	item_facts facts = {.type = task_kind_item_type(p->kind)};
	json_t *item = NULL;
	if (id) {
		int64_t pid = 0;
		if (!json_is_integer(id) || json_integer_value(id) <= 0)
			return http_fail(r, CL_EINVAL, NULL, "items[%zu].item_id must be an id", i);
		item = store_item_get(api_app(r)->db, json_integer_value(id), &pid);
		if (!item || pid != p->id) {
			json_decref(item);
			return http_fail(r, CL_EINVAL, NULL, "items[%zu]: item %lld is not in this"
					 " project", i, (long long)json_integer_value(id));
		}
		g->item_id = json_integer_value(id);
		facts.text = json_string_value(json_object_get(item, "text"));
		facts.width = json_integer_value(json_object_get(item, "width"));
		facts.height = json_integer_value(json_object_get(item, "height"));
	} else if (json_is_string(text) && json_string_length(text) > 0 &&
		   json_string_length(text) <= 65536 && facts.type == ITEM_TEXT) {
		g->text = json_string_value(text);
		blob_hash(g->text, strlen(g->text), g->hash);
		facts.text = g->text;
	} else {
		return http_fail(r, CL_EINVAL, NULL, "items[%zu] needs \"item_id\"%s", i,
				 facts.type == ITEM_TEXT ? " or \"text\" (1..65536 bytes)" : "");
	}
	if (expl && !json_is_null(expl)) {
		if (!json_is_string(expl) || json_string_length(expl) > 4000) {
			json_decref(item);
			return http_fail(r, CL_EINVAL, NULL, "items[%zu].explanation must be a string"
					 " of up to 4000 bytes", i);
		}
		g->explanation = json_string_value(expl);
	}
	json_t *ans = json_object_get(e, "answer");
	if (!json_is_object(ans))
		rc = http_fail(r, CL_EANNOTATION, NULL, "items[%zu].answer must be an object", i);
	else
		rc = annotation_validate(p, &facts, ans, &r->err);
	if (rc == CL_EANNOTATION) {
		char msg[sizeof r->err.message];
		snprintf(msg, sizeof msg, "%s", r->err.message);
		rc = http_fail(r, CL_EANNOTATION, NULL, "items[%zu].answer: %s", i, msg);
	}
	json_decref(item);
	if (rc)
		return rc;
	*answer_text = json_dumps(ans, JSON_OUT);
	g->answer = *answer_text;
	return 0;
}

int api_gold_add(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	json_t *body = NULL;
	gold_new *g = NULL;
	char **texts = NULL;
	size_t n = 0;
	int rc = http_body_json(r, &body);
	if (rc)
		goto out;
	if (!gold_kind_takes_gold(p->kind)) {
		rc = http_fail(r, CL_EINVAL, NULL, "%s projects take no gold items: free text has no"
				 " one right answer", task_kind_name(p->kind));
		goto out;
	}
	n = json_array_size(json_object_get(body, "items"));
	if (n == 0 || n > GOLD_MAX_ITEMS) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"items\" must be an array of 1..%d gold items",
			       GOLD_MAX_ITEMS);
		goto out;
	}
	g = calloc(n, sizeof *g);
	texts = calloc(n, sizeof *texts);
	if (!g || !texts) {
		rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = gold_entry(r, p, i, json_array_get(json_object_get(body, "items"), i), &g[i],
				&texts[i]);
	if (rc)
		goto out;
	json_t *report = json_object();
	rc = store_gold_add(api_app(r)->db, p, g, n, r->user.id, report, &r->err);
	if (!rc)
		http_json(r, 200, report);
	else
		json_decref(report);
out:
	for (size_t i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	free(g);
	json_decref(body);
	return rc;
}

int api_gold_list(http_request *r)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	/* Answers are for those who manage the project, never for its workers (routes.c). */
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		http_json_page(r, store_gold_list(api_app(r)->db, r->ids[0], cursor, limit, &next),
			       &next);
	return rc;
}

int api_audits_create(http_request *r)
{
	json_t *body = NULL, *out = NULL;
	int rc = http_body_json(r, &body);
	json_int_t size = json_integer_value(json_object_get(body, "size"));
	if (!rc && (size < 1 || size > AUDIT_MAX))
		rc = http_fail(r, CL_EINVAL, NULL, "\"size\" must be an integer in 1..%d", AUDIT_MAX);
	if (!rc)
		rc = store_audit_create(api_app(r)->db, r->ids[0], (int)size, r->user.id, &out,
					&r->err);
	if (!rc)
		http_json(r, 201, out);
	json_decref(body);
	return rc;
}

int api_audits_list(http_request *r)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	/* Newest first unless asked otherwise: the audit a manager just made leads. */
	desc = desc || !http_query(r, "sort");
	if (!rc)
		http_json_page(
		    r, store_audits_list(api_app(r)->db, r->ids[0], cursor, limit, desc, &next),
		    &next);
	return rc;
}

int api_audits_get(http_request *r)
{
	http_json(r, 200, json_incref(api_scope_of(r)->object));
	return 0;
}

int api_audits_verdict(http_request *r)
{
	json_t *body = NULL, *out = NULL;
	const char *note = NULL;
	int rc = http_body_json(r, &body);
	const char *verdict = json_string_value(json_object_get(body, "verdict"));
	json_t *n = json_object_get(body, "note");
	if (!rc && json_is_string(n)) {
		if (json_string_length(n) > 2000)
			rc = http_fail(r, CL_EINVAL, NULL, "\"note\" must be a string of up to 2000"
				       " bytes");
		else
			note = json_string_value(n);
	}
	if (!rc)
		rc = audit_verdict(&api_app(r)->store, r->ids[0], r->ids[1],
				   !strcmp(verdict, "correct"), note, r->user.id, &r->err);
	int64_t project_id;
	if (!rc && !(out = store_audit_get(api_app(r)->db, r->ids[0], &project_id)))
		rc = http_fail(r, CL_EINTERNAL, NULL, "the audit could not be read back");
	if (!rc)
		http_json(r, 200, out);
	json_decref(body);
	return rc;
}

int api_quality_figures(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	quality_figures f;
	int rc = quality_figures_read(&api_app(r)->store, p->id, &f);
	json_t *q = rc ? NULL : quality_figures_json(&f);
	quality_figures_release(&f);
	if (!q)
		return http_fail(r, CL_ENOMEM, NULL, "the figures do not fit in memory");
	/* The quality page shows llm_preference's position bias: how often the first response
	 * shown was the one chosen (the agreement figures count it). */
	if (q && p->kind == KIND_LLM_PREFERENCE) {
		json_t *ag = agreement_report(&api_app(r)->store, p);
		json_t *bias = json_object_get(ag, "first_shown_chosen");
		json_object_set(q, "position_bias", bias ? bias : json_null());
		json_decref(ag);
	}
	http_json(r, 200, q);
	return 0;
}

int api_consensus(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		http_json_page(r, consensus_page(&api_app(r)->store, p, cursor, limit, &next), &next);
	return rc;
}

int api_agreement(http_request *r)
{
	http_json(r, 200, agreement_report(&api_app(r)->store, &api_scope_of(r)->project));
	return 0;
}

int api_role_changes(http_request *r)
{
	return api_list_page(r, store_role_changes, r->ids[0]);
}

int api_me_quality(http_request *r)
{
	quality_report rule = quality_report_rule(api_app(r)->report);
	int64_t cutoff = quality_report_cutoff(rule, clock_now_ms());
	quality_me m;
	quality_me_read(&api_app(r)->store, r->user.id, cutoff, rule.batch, &m);
	http_json(r, 200, quality_me_json(&m));
	return 0;
}

/* ---- label checks ---- */

#define LABEL_CHECKS_MAX_LIST 100

/* A check of the project as it is now: a new dataset version (default splits) to check. */
static int new_version(http_request *r, int64_t *dataset_id)
{
	dataset_ratios ratios;
	dataset_ratios_default(&ratios);
	return dataset_seal(&api_app(r)->store, &api_scope_of(r)->project, &ratios, "label check",
			    r->user.id, dataset_id, &r->err);
}

/* The fields the route table's types let through but whose values are wrong; 400 naming one. */
static int label_check_fields(http_request *r, const json_t *body)
{
	const json_t *folds = json_object_get(body, "folds"), *cpus = json_object_get(body, "cpus");
	const json_t *threshold = json_object_get(body, "threshold");
	const json_t *dataset = json_object_get(body, "dataset_id");
	if (folds && json_integer_value(folds) == 0)
		return http_fail(r, CL_EINVAL, "bad_folds", "folds must be 2 to 20");
	if (threshold && json_number_value(threshold) == 0)
		return http_fail(r, CL_EINVAL, "bad_threshold", "threshold must be 0.5 to 1");
	if (cpus && (json_integer_value(cpus) < 1 || json_integer_value(cpus) > 64))
		return http_fail(r, CL_EINVAL, NULL, "cpus must be 1 to 64");
	if (dataset && json_integer_value(dataset) < 1)
		return http_fail(r, CL_EINVAL, NULL, "dataset_id must be a dataset version's id");
	return 0;
}

int api_label_checks_start(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (rc || (rc = label_check_fields(r, body))) {
		json_decref(body);
		return rc;
	}
	const api_scope *sc = api_scope_of(r);
	json_int_t cpus = json_integer_value(json_object_get(body, "cpus"));
	label_check_request req = {
	    .org_id = sc->project.org_id,
	    .user_id = r->user.id,
	    .project_id = r->ids[0],
	    .dataset_id = json_integer_value(json_object_get(body, "dataset_id")),
	    .org_role = sc->org_role,
	    .kind = task_kind_name(sc->project.kind),
	    .trainer = json_string_value(json_object_get(body, "trainer")),
	    .params = json_object_get(body, "params"),
	    .folds = (int)json_integer_value(json_object_get(body, "folds")),
	    .cpus = cpus ? (int)cpus : 1,
	    .threshold = json_number_value(json_object_get(body, "threshold")),
	};
	int64_t id = 0;
	rc = label_check_validate(&req, &r->err);
	if (!rc && !req.dataset_id)
		rc = new_version(r, &req.dataset_id);
	if (!rc)
		rc = label_check_start(&api_app(r)->store, &api_app(r)->runs, &req, &id, &r->err);
	if (!rc)
		http_json(r, 202,
			  json_pack("{s:I,s:I,s:s}", "job_id", (json_int_t)id, "dataset_id",
				    (json_int_t)req.dataset_id, "state", "queued"));
	json_decref(body);
	return rc;
}

int api_label_checks_list(http_request *r)
{
	int64_t limit = 0;
	int rc = http_query_id(r, "limit", &limit);
	if (!rc && limit > LABEL_CHECKS_MAX_LIST)
		rc = http_fail(r, CL_EINVAL, NULL, "limit must be 1 to %d", LABEL_CHECKS_MAX_LIST);
	if (!rc)
		http_json_page(r,
			       store_label_checks_list(api_app(r)->db, r->ids[0],
						       limit ? (int)limit : 20),
			       NULL);
	return rc;
}
