/* OCR pre-fill of imported transcription images: see api/prefill.h. */
#include "api/prefill.h"
#include "core/annotation.h"
#include "core/prediction_loop.h"
#include "core/serving.h"
#include "util/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prefill_open(prefill *f, app *a, const project *p, char *why, size_t why_size)
{
	*f = (prefill){.a = a, .p = p};
	why[0] = '\0';
	const char *name = p->llm.prefill_endpoint;
	if (p->kind != KIND_IMAGE_TRANSCRIPTION || !name[0])
		return;
	const char *problem = NULL;
	if (store_endpoint_by_name(a->db, p->org_id, name, &f->e))
		problem = "is not an endpoint of the org";
	else if (!f->e.active)
		problem = "is paused";
	f->on = problem == NULL;
	if (problem)
		snprintf(why, why_size, "no OCR pre-fill: endpoint \"%s\" %s", name, problem);
}

void prefill_close(prefill *f)
{
	endpoint_row_release(&f->e);
}

/* {"image_bytes_b64": ...} of the entry's bytes. */
static json_t *image_input(const import_entry *e)
{
	size_t n = sodium_base64_ENCODED_LEN(e->bytes_len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(n);
	if (!b64)
		return NULL;
	sodium_bin2base64(b64, n, e->bytes, e->bytes_len, sodium_base64_VARIANT_ORIGINAL);
	json_t *in = json_pack("{s:s}", "image_bytes_b64", b64);
	free(b64);
	return in;
}


static void record_of(const prefill *f, const serving_answer *a, const char *digest, int64_t bytes,
		      const char *request_id, prediction_record *rec)
{
	*rec = (prediction_record){
	    .endpoint_id = f->e.id,
	    .latency_us = a->latency_us,
	    .log_limit = f->e.log_limit,
	    .target = a->target,
	    .request_id = request_id,
	    .input_sha256 = digest,
	    .input_bytes = bytes,
	    .output = a->rc ? NULL : a->output,
	    .error = a->rc ? a->err.message : NULL,
	};
}

/* A pre-fill is a prediction like any other: it goes into the endpoint's prediction log, its
 * request id naming the project it pre-filled. No API key made it: it counts in no key's usage. */
static void log_prediction(prefill *f, const json_t *in, const serving_answer *p)
{
	char digest[65], request_id[48];
	int64_t bytes, id;
	api_input_digest(in, digest, &bytes);
	snprintf(request_id, sizeof request_id, "prefill:project:%lld", (long long)f->p->id);
	prediction_record rec;
	record_of(f, p, digest, bytes, request_id, &rec);
	cl_error err = {0};
	if (store_prediction_log(f->a->db, &rec, NULL, &id, &err))
		log_warn(
		    "msg=\"prefill: the prediction was not logged\" endpoint=%lld error=\"%s\"",
		    (long long)f->e.id, err.message);
}

/* Reads the image with the endpoint's model; its output (new reference) or NULL with `why`. */
static json_t *read_image(prefill *f, const import_entry *e, char *why, size_t why_size)
{
	serving_deployment *d = NULL;
	cl_error err = {0};
	if (serving_acquire(f->a->serving, f->e.id, f->e.revision, f->e.targets, f->e.shadow, &d,
			    &err)) {
		snprintf(why, why_size, "no OCR pre-fill: %s", err.message);
		return NULL;
	}
	json_t *in = image_input(e);
	serving_answer p = {0};
	if (in)
		serving_predict(d, in, randombytes_uniform(100), &p);
	serving_release(d);
	if (in)
		log_prediction(f, in, &p);
	json_decref(in);
	if (!in || p.rc) {
		snprintf(why, why_size, "no OCR pre-fill: %s",
			 in ? p.err.message : "out of memory");
		json_decref(p.output);
		return NULL;
	}
	serving_observe(f->a->serving, f->e.id, p.rc, p.latency_us);
	return p.output;
}

json_t *prefill_image(prefill *f, const import_entry *e, char *why, size_t why_size)
{
	why[0] = '\0';
	if (!f->on || e->type != ITEM_IMAGE)
		return NULL;
	if (f->done >= PREFILL_MAX_IMAGES) {
		if (!f->over_said)
			snprintf(why, why_size,
				 "no OCR pre-fill: an import pre-fills %d images at most, and the "
				 "rest come without one",
				 PREFILL_MAX_IMAGES);
		f->over_said = true;
		return NULL;
	}
	f->done++;
	json_t *out = read_image(f, e, why, why_size);
	json_t *ann = out ? loop_ocr_lines(out, e->width, e->height) : NULL;
	json_decref(out);
	item_facts facts = {ITEM_IMAGE, NULL, e->width, e->height, 0};
	cl_error err = {0};
	if (ann && annotation_validate(f->p, &facts, ann, &err)) {
		snprintf(why, why_size, "no OCR pre-fill: %s", err.message);
		json_decref(ann);
		ann = NULL;
	}
	return ann;
}
