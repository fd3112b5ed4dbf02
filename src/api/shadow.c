/* The shadow's answers on their own thread: see api/shadow.h. */
#include "api/shadow.h"
#include "util/log.h"
#include "util/work_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the shadow's log row needs of the request, copied: the request is gone when it runs. */
typedef struct shadow_job {
	serving_deployment *d;
	json_t *input;
	int64_t endpoint_id, key_id, log_limit, input_bytes;
	char digest[65];
	char *request_id;
} shadow_job;

static void shadow_job_free(void *p)
{
	shadow_job *j = p;
	serving_release(j->d);
	json_decref(j->input);
	free(j->request_id);
	free(j);
}

static void shadow_run(void *ctx, void *p)
{
	app *a = ctx;
	shadow_job *j = p;
	serving_answer sh;
	serving_answer_shadow(j->d, j->input, &sh);
	prediction_record rec = {
	    .endpoint_id = j->endpoint_id,
	    .key_id = j->key_id,
	    .latency_us = sh.latency_us,
	    .log_limit = j->log_limit,
	    .target = sh.target,
	    .shadow = true,
	    .request_id = j->request_id,
	    .input_sha256 = j->digest,
	    .input_bytes = j->input_bytes,
	    .output = sh.rc ? NULL : sh.output,
	    .error = sh.rc ? sh.err.message : NULL,
	};
	int64_t id;
	cl_error err = {0};
	if (sh.target[0] && store_prediction_log(a->db, &rec, NULL, &id, &err))
		log_error("msg=\"shadow prediction not logged\" endpoint=%lld err=\"%s\"",
			  (long long)j->endpoint_id, err.message);
	json_decref(sh.output);
	shadow_job_free(j);
}

struct work_queue *shadow_queue_new(app *a)
{
	return work_queue_new(SHADOW_QUEUE_MAX, SHADOW_QUEUE_MAX_BYTES, shadow_run, shadow_job_free,
			      a);
}

bool shadow_queue_push(app *a, serving_deployment *d, const json_t *input,
		       const prediction_record *primary)
{
	shadow_job *j = calloc(1, sizeof *j);
	if (!a->shadows || !j) {
		free(j);
		return false;
	}
	serving_retain(d);
	*j = (shadow_job){.d = d,
			  .input = json_deep_copy(input),
			  .endpoint_id = primary->endpoint_id,
			  .key_id = primary->key_id,
			  .log_limit = primary->log_limit,
			  .input_bytes = primary->input_bytes,
			  .request_id = primary->request_id ? strdup(primary->request_id) : NULL};
	snprintf(j->digest, sizeof j->digest, "%s", primary->input_sha256);
	return work_queue_push_weighted(a->shadows, j, (size_t)primary->input_bytes);
}
