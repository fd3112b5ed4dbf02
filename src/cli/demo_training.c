/* The demo's trained model: worker2 labels most of the sentiment sentences with their own
 * labels, the reviewer checks each against them (approving, or rejecting a planted honeypot),
 * a dataset version seals the approved work, text-linear trains on it as a built-in job, and
 * the result is registered as model "sentiment" with its production alias: `make run` shows a
 * registry with a real model, its evaluation and its lineage. */
#include "cli/demo.h"
#include "core/dataset.h"
#include "core/registry.h"
#include "core/runs.h"
#include "core/task_loop.h"
#include "store/store_datasets.h"
#include "store/store_jobs.h"
#include "store/store_projects.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEMO_LABELED_MAX 400	   /* tasks the demo labels, at most */
#define DEMO_TRAIN_WAIT_MS 180000 /* how long the demo waits for its model */

/* The sentences' own labels: {"text": "positive"|"negative"}. */
static json_t *truth_of(const char *path)
{
	FILE *f = fopen(path, "re");
	json_t *truth = json_object();
	char *line = NULL;
	size_t cap = 0;
	while (f && getline(&line, &cap, f) > 0) {
		json_t *row = json_loads(line, 0, NULL);
		const char *text = json_string_value(json_object_get(row, "text"));
		const char *label = json_string_value(
		    json_object_get(json_object_get(row, "meta"), "original_label"));
		if (text && label)
			json_object_set_new(truth, text, json_string(label));
		json_decref(row);
	}
	free(line);
	if (f)
		fclose(f);
	return truth;
}

/* Runs a change and returns its task's id and item text (borrowed from *tc), 0 when none. */
static int64_t run_change(task_change *tc, const char **text)
{
	cl_error err = {0};
	if (task_change_wait(tc, &err))
		return 0;
	const task_view *v = task_change_view(tc);
	*text = v && v->has_item ? v->item.text : NULL;
	return v ? v->id : 0;
}

static bool label_one(const store *s, const project *p, int64_t worker, json_t *truth)
{
	task_change *tc = NULL;
	const char *text = NULL;
	if (task_claim_start(s, p, worker, &tc))
		return false;
	int64_t id = run_change(tc, &text);
	const char *label = text ? json_string_value(json_object_get(truth, text)) : NULL;
	char ann[64];
	snprintf(ann, sizeof ann, "{\"labels\":[\"%s\"]}", label ? label : "negative");
	task_change_free(tc);
	if (!id || task_submit_start(s, p, id, worker, ann, &tc))
		return false;
	const char *unused;
	bool ok = run_change(tc, &unused) != 0;
	task_change_free(tc);
	return ok;
}

/* The reviewer approves a label that matches the sentence's own, and rejects one that does
 * not (a honeypot planted in the queue). */
static bool review_one(const store *s, const project *p, int64_t reviewer, json_t *truth)
{
	task_change *tc = NULL;
	const char *text = NULL;
	if (review_claim_start(s, p, reviewer, &tc))
		return false;
	int64_t id = run_change(tc, &text);
	const task_view *v = task_change_view(tc);
	const char *label = text ? json_string_value(json_object_get(truth, text)) : NULL;
	bool right = label && v && v->annotation && strstr(v->annotation, label);
	task_change_free(tc);
	if (!id)
		return false;
	review_decision dec = {.action = right ? TASK_APPROVE : TASK_REJECT,
			       .reason = right ? NULL : "the label is not the sentence's own"};
	cl_error err = {0};
	if (task_review_start(s, p, id, reviewer, &dec, &tc, &err))
		return false;
	const char *unused;
	bool ok = run_change(tc, &unused) != 0;
	task_change_free(tc);
	return ok;
}

/* Labels and reviews up to `n` tasks; how many were reviewed. */
static int label_and_review(app *a, const project *p, int64_t worker, int64_t reviewer,
			    json_t *truth, int n)
{
	int done = 0;
	for (int i = 0; i < n && label_one(&a->store, p, worker, truth); i++)
		;
	while (done < 2 * n && review_one(&a->store, p, reviewer, truth))
		done++;
	return done;
}

/* Waits for job `id` to end; its state. */
static void wait_job(app *a, int64_t id, char state[RUN_STATE_LEN])
{
	char path[8];
	const struct timespec tick = {0, 100 * 1000000L};
	for (int waited = 0; waited < DEMO_TRAIN_WAIT_MS; waited += 100) {
		if (store_job_log(a->db, id, path, sizeof path, state) && strcmp(state, "queued") &&
		    strcmp(state, "running"))
			return;
		nanosleep(&tick, NULL);
	}
}

/* The dataset version, the job and the registered model; 0, or -1 after logging why. */
static int train_and_register(app *a, const project *p, int64_t admin)
{
	cl_error err = {0};
	dataset_ratios ratios;
	dataset_ratios_default(&ratios);
	int64_t dataset_id;
	if (dataset_seal(&a->store, p, &ratios, "demo: approved by the demo reviewer", admin,
			 &dataset_id, &err))
		goto fail;
	run_request req = {.org_id = p->org_id, .user_id = admin, .org_role = "",
			   .dataset_id = dataset_id, .trainer = "text-linear", .cpus = 1};
	int64_t job = 0, model = 0;
	int version = 0, from = 0;
	char state[RUN_STATE_LEN] = "";
	if (run_submit(&a->store, &a->runs, &req, &job, &err))
		goto fail;
	wait_job(a, job, state);
	if (strcmp(state, "succeeded")) {
		log_error("msg=\"demo: the sentiment model did not train\" job=%lld state=%s",
			  (long long)job, state);
		return -1;
	}
	if (registry_model_create(&a->store, p->org_id, "sentiment", admin, &model, &err) ||
	    registry_version_add(&a->store, model, job, admin, &version, &err) ||
	    registry_alias_move(&a->store, model, "production", version, admin, &from, &err))
		goto fail;
	return 0;
fail:
	log_error("msg=\"demo: training seeding failed\" error=\"%s\"", err.message);
	return -1;
}

int demo_train(app *a, const project *text, const char *sentences, int64_t admin,
	       int64_t worker, int64_t reviewer)
{
	json_t *truth = truth_of(sentences);
	int items = (int)json_object_size(truth);
	/* Some work stays open for the people who try the demo. */
	int n = items * 8 / 10 < DEMO_LABELED_MAX ? items * 8 / 10 : DEMO_LABELED_MAX;
	int reviewed = label_and_review(a, text, worker, reviewer, truth, n);
	json_decref(truth);
	log_info("msg=\"demo: labeled and reviewed\" tasks=%d", reviewed);
	return reviewed ? train_and_register(a, text, admin) : -1;
}
