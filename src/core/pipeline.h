/* The automated retraining pipeline of a project (core/pipeline.c). When `threshold` new
 * annotations have been approved since its last run, a run makes a dataset version whose test
 * split is the same items as the pipeline's first version's, trains it with the production
 * recipe (a normal job), reads the job's evaluation, registers the model's next version and
 * compares its figure with the `production` version's on that same test split: it promotes the
 * new version (an alias move by the pipeline) only when it beats production by the margin, or,
 * in `approve` mode, waits for a person. Each step is an event row; a failed step ends the run
 * with its reason and never touches production. The runner's thread drives it
 * (pipeline_tick), never an HTTP thread; the store allows one live run per project. A run
 * that waits for a person does not block the pipeline: the next trigger supersedes it (closed
 * `superseded`, its version registered, not promoted) and starts. */
#ifndef CROWDLOOP_CORE_PIPELINE_H
#define CROWDLOOP_CORE_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/project.h"
#include "core/runs.h"
#include "store/ops.h"

#define PIPELINE_THRESHOLD_MAX 1000000
#define PIPELINE_MARGIN_MAX 1.0
#define PIPELINE_ALIAS "production"
/* The metric of a text_spans project: the trainers' entity-level F1 ({"entity":{"f1"}}). */
#define PIPELINE_ENTITY_F1 "entity_f1"
/* The reason of a run that waited for a person when the next run started. */
#define PIPELINE_SUPERSEDED "superseded by a newer run before a person decided"

/* What the pipeline compares: the new version's figure, and production's where there is one.
 * A production version trained on other test items is evaluated on this run's (a built-in
 * classifier's: text or images), else it has no comparable figure. */
typedef struct pipeline_figures {
	double candidate;
	bool has_production;	    /* the model has a production version */
	bool production_comparable; /* evaluated on the same test items */
	double production;
	double margin;
	bool approve_mode;    /* a person decides every promotion */
	bool production_here; /* production's figure was measured on these test items by the run */
} pipeline_figures;

typedef enum pipeline_decision {
	PIPELINE_PROMOTE, /* move production to the new version */
	PIPELINE_WAIT,	  /* ask a person */
	PIPELINE_KEEP,	  /* production stays */
} pipeline_decision;

/* The rule, pure: no production yet promotes; a figure at least `margin` above production's
 * (and strictly above it) promotes; a production with no comparable figure waits for a person,
 * as every promotion does in approve mode; anything else keeps production. */
pipeline_decision pipeline_decide(const pipeline_figures *f);
/* "promote", "wait", "keep". */
const char *pipeline_decision_name(pipeline_decision d);
/* The figure `metric` ("accuracy", "macro_f1", "entity_f1") of an evaluation (JSON text);
 * false when it has none. */
bool pipeline_figure_of(const char *evaluation, const char *metric, double *out);
/* Where `metric` is in an evaluation object (borrowed), NULL when it has none. */
const json_t *pipeline_figure_in(const json_t *evaluation, const char *metric);

/* Evaluates the model in `dir` (a built-in model: a text classifier, single- or multi-label,
 * an image classifier, whose blobs are under `data_dir`, or a span tagger) on the test rows of
 * dataset version `dataset_id`: *figure its `metric`, as the trainers' evaluation computes it.
 * false when it cannot (another kind of model, no test row it could score). Runs the model in
 * process (core/pipeline_eval.c). */
bool pipeline_evaluate_on(const store *s, const char *data_dir, const char *dir, int64_t dataset_id,
			  const char *metric, double *figure);

/* Checks settings for a project of kind `kind` (docs/API.md, "Pipeline"), filling defaults;
 * *out the settings as stored (new). 400 naming the bad field. */
int pipeline_settings_check(const json_t *in, const char *kind, json_t **out, cl_error *err);

/* What the tick needs: the store, what jobs may ask for, and whom to tell when the pipeline
 * moved an alias (endpoints following it redeploy). */
typedef struct pipeline_env {
	const store *store;
	const char *data_dir; /* where the store's blobs are: images for evaluation */
	const run_limits *limits;
	void (*promoted)(void *ctx, int64_t org_id, const char *model);
	void *ctx;
} pipeline_env;

/* Starts the runs that are due and moves the live ones on by one step each. */
void pipeline_tick(const pipeline_env *env);

/* A person starts a run of project `project_id` now (its trigger step says "trigger":"manual",
 * by user_id), whatever the approvals since the last run and whether the pipeline is enabled;
 * a run waiting for a person is superseded as by the automatic trigger. The runner's thread
 * takes the run's steps from the dataset on. 409 "no_pipeline" when the project has no
 * settings, 409 "pipeline_running" while a run is running. *run_id the new run. */
int pipeline_trigger(const store *s, int64_t project_id, int64_t user_id, int64_t *run_id,
		     cl_error *err);

/* A person decides waiting run `run_id` of project `project_id`: approve moves production to
 * its version; reject keeps production. 404 for a run of another project, 409 "not_waiting"
 * for a run that waits for nobody. *org_id and model (64 bytes) name what moved. */
int pipeline_decide_by(const store *s, int64_t project_id, int64_t run_id, bool approve,
		       int64_t user_id, int64_t *org_id, char model[65], cl_error *err);

#endif
