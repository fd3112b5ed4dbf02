/* Calling an endpoint: the Open Inference Protocol v2 (/v2/..., as KServe and Triton), the plain
 * JSON predict route, and feedback on a prediction. Callers hold an endpoint key; the key names
 * its org, so /v2/models/{name} is the key's org's endpoint `name`, and a key answers only for
 * its own endpoint (403 for another of its org). Dispatch checked the key and took a request
 * from its rate (api_key_authorize) before the body was read. Every prediction is logged
 * and counted in the key's usage; a shadow target's answer is logged from the shadow queue
 * (api/shadow.h), never returned.
 * Callers send image bytes or text, never a server path. */
#include "api/api.h"
#include "api/oip_tensor.h"
#include "api/shadow.h"
#include "core/auth.h"
#include "core/endpoint.h"
#include "core/import.h"
#include "core/project_load.h"
#include "core/prediction_loop.h"
#include "core/serving.h"
#include "store/blobs.h"
#include "store/store_endpoints.h"
#include "store/store_projects.h"
#include "util/clock.h"
#include "util/json_write.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PREDICT_MAX_INPUTS 16
/* A request's predictions are logged in one batch. */
_Static_assert(PREDICT_MAX_INPUTS <= PREDICTION_BATCH_MAX, "a request's inputs fit one batch");
#define FEEDBACK_COMMENT_MAX 2000
#define FEEDBACK_CORRECTION_MAX 65536

/* ---- the key (dispatch, before the handler) ---- */

/* Takes a request from `bucket`'s rate: 0, or 429 with the wait. */
static int rate_take(http_request *r, int64_t bucket, double rate, const char *who)
{
	int64_t wait = serving_limiter_take(api_app(r)->limiter, bucket, rate, clock_now_ms());
	if (!wait)
		return 0;
	http_fail(r, CL_ERATE, "rate_limited", "%s may make %g requests a second", who, rate);
	json_decref(r->err_detail);
	r->err_detail = json_pack("{s:I}", "retry_after_s", (json_int_t)((wait + 999) / 1000));
	return CL_ERATE;
}

/* A member's session: the endpoint {name} of one of the caller's orgs, the user's own rate
 * (a bucket apart from every key's: users count down from -1). */
static int member_authorize(http_request *r, api_scope *s)
{
	int rc = api_authenticate(r);
	if (rc)
		return rc;
	if (r->user.job_id)
		return http_fail(r, CL_EFORBIDDEN, "run_token",
				 "a run's token logs into its own run only");
	rc = store_endpoint_of_member(api_app(r)->db, r->user.id, r->name, &s->key_org_id,
				      &s->key_endpoint_id);
	if (rc == CL_ECONFLICT)
		return http_fail(r, CL_ECONFLICT, "endpoint_ambiguous",
				 "two of your orgs have an endpoint \"%s\": call with its key",
				 r->name);
	if (rc)
		return http_fail(r, CL_ENOTFOUND, NULL, "endpoint \"%s\" not found", r->name);
	return rate_take(r, -r->user.id, ENDPOINT_SESSION_RATE, "a member's session");
}

int api_key_authorize(http_request *r, api_scope *s)
{
	const char *h = r->authorization;
	size_t prefix = strlen(ENDPOINT_KEY_PREFIX);
	bool key =
	    h && !strncasecmp(h, "Bearer ", 7) && !strncmp(h + 7, ENDPOINT_KEY_PREFIX, prefix);
	if (!key && (r->route->access & API_MEMBER_SESSION) && (h || r->session_cookie))
		return member_authorize(r, s);
	if (!key)
		return http_fail(
		    r, CL_EUNAUTH, NULL,
		    "call with an endpoint key: Authorization: Bearer " ENDPOINT_KEY_PREFIX "...");
	char digest[AUTH_DIGEST_HEX];
	endpoint_key k;
	if (strlen(h + 7) > 128)
		return http_fail(r, CL_EUNAUTH, NULL, "invalid or revoked endpoint key");
	auth_token_digest(h + 7, digest);
	if (store_key_find(api_app(r)->db, digest, &k))
		return http_fail(r, CL_EUNAUTH, NULL, "invalid or revoked endpoint key");
	s->key_id = k.id;
	s->key_endpoint_id = k.endpoint_id;
	s->key_org_id = k.org_id;
	return rate_take(r, k.id, k.rate, "this key");
}

/* The endpoint the path names, in the key's org, into *e: 404 when missing, 403 when the key is
 * another endpoint's; on a /versions/{v} path, 404 unless v is the revision served. */
static int key_endpoint(http_request *r, endpoint_row *e)
{
	const api_scope *s = api_scope_of(r);
	if (store_endpoint_by_name(api_app(r)->db, s->key_org_id, r->name, e))
		return http_fail(r, CL_ENOTFOUND, NULL, "endpoint \"%s\" not found", r->name);
	if (e->id != s->key_endpoint_id) {
		endpoint_row_release(e);
		return http_fail(r, CL_EFORBIDDEN, "wrong_endpoint",
				 "this key is for another endpoint");
	}
	if (r->n_ids && r->ids[0] != e->revision) {
		int64_t rev = e->revision;
		endpoint_row_release(e);
		return http_fail(r, CL_ENOTFOUND, NULL, "version %lld is not served (it is %lld)",
				 (long long)r->ids[0], (long long)rev);
	}
	return 0;
}

/* ---- one prediction ---- */

/* An input a caller may send: {"image_bytes_b64"} or {"text"}, never a server path. */
static int caller_input_check(http_request *r, const json_t *in)
{
	const char *key;
	json_t *v;
	if (!json_is_object(in))
		return http_fail(r, CL_EINVAL, NULL, "an input is an object");
	json_object_foreach((json_t *)in, key, v)
	{
		if ((strcmp(key, "image_bytes_b64") && strcmp(key, "text")) || !json_is_string(v))
			return http_fail(
			    r, CL_EINVAL, NULL,
			    "an input holds \"image_bytes_b64\" or \"text\" (strings), "
			    "not \"%.64s\"",
			    key);
	}
	return 0;
}

typedef struct prediction_done {
	int64_t id;
	char target[160];
	json_t *output; /* owned */
	buf text;	/* owned: the output's text, as the log has it (empty: not written yet) */
} prediction_done;

static void prediction_done_release(prediction_done *d)
{
	json_decref(d->output);
	d->output = NULL;
	buf_release(&d->text);
}

/* An input of one string member ({"text"} or {"image_bytes_b64"}, what callers send) as
 * json_dumps writes it sorted and compact, without its cycle checks and key sorting: 0, or -1
 * for any other input. */
static int one_string_json(const json_t *in, buf *out)
{
	const char *key;
	json_t *v;
	int rc = json_object_size(in) == 1 ? 0 : -1;
	json_object_foreach((json_t *)in, key, v)
	{
		if (rc || !json_is_string(v))
			return -1;
		rc = buf_append(out, "{", 1);
		rc = rc ? rc : json_write_string(out, key, strlen(key));
		rc = rc ? rc : buf_append(out, ":", 1);
		rc = rc ? rc : json_write_string(out, json_string_value(v), json_string_length(v));
		rc = rc ? rc : buf_append(out, "}", 1);
	}
	return rc ? -1 : 0;
}

void api_input_digest(const json_t *in, char hex[65], int64_t *bytes)
{
	buf one;
	buf_init(&one, 0);
	bool one_string = !one_string_json(in, &one);
	char *text = one_string ? NULL : json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
	const char *json = one_string ? one.data : text ? text : "";
	size_t n = one_string ? one.len : strlen(json);
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)json, n);
	sodium_bin2hex(hex, 65, d, sizeof d);
	*bytes = (int64_t)n;
	free(text);
	buf_release(&one);
}

static void record_of(const endpoint_row *e, const api_scope *s, const serving_answer *a,
		      const char *digest, int64_t bytes, const char *request_id,
		      prediction_record *rec)
{
	*rec = (prediction_record){
	    .endpoint_id = e->id,
	    .key_id = s->key_id,
	    .latency_us = a->latency_us,
	    .log_limit = e->log_limit,
	    .target = a->target,
	    .request_id = request_id,
	    .input_sha256 = digest,
	    .input_bytes = bytes,
	    .output = a->rc ? NULL : a->output,
	    .error = a->rc ? a->err.message : NULL,
	};
}

/* ---- the loop back to the crowd (core/prediction_loop.h) ---- */

/* An image input the loop keeps: stored as a blob, as an import stores an image. */
typedef struct loop_image {
	char hash[65];
	const char *mime;
	int width, height;
	size_t bytes;
	bool stored;
	char kept_mime[64]; /* a kept image's type, read back from the log */
} loop_image;

/* Decodes an image input, checks it as an import would and stores its bytes; false when it is
 * not an image an import would take. */
static bool loop_image_store(app *a, const char *b64, loop_image *im)
{
	size_t len = strlen(b64), max = len / 4 * 3 + 3, n = 0;
	unsigned char *bytes = malloc(max);
	bool ok = bytes && !sodium_base642bin(bytes, max, b64, len, " \r\n", &n, NULL,
					      sodium_base64_VARIANT_ORIGINAL);
	import_limits lim;
	import_limits_default(&lim);
	if (a->max_image_pixels > 0)
		lim.max_image_pixels = a->max_image_pixels;
	ok = ok && (im->mime = import_image_facts(&lim, bytes, n, &im->width, &im->height));
	if (ok) {
		blob_hash(bytes, n, im->hash);
		ok = !blob_put(a->data_dir, im->hash, bytes, n);
	}
	free(bytes);
	im->bytes = n;
	im->stored = ok;
	return ok;
}

/* The meta of the item a prediction makes in the feedback project, from a text input or an
 * image (`im`): new, NULL when the project cannot be read. The project comes from core's memo
 * of projects (as no one's: user 0), current until the project changes: every doubtful
 * prediction needs it. */
static json_t *loop_meta_of(const store *s, int64_t project_id, int64_t endpoint_id, const char *text,
			    const loop_image *im, const json_t *output, const char *reason,
			    bool *closed)
{
	project pr = {0};
	char org_role[16], member_role[16];
	if (project_get_for(s, project_id, 0, &pr, org_role, member_role))
		return NULL;
	if (!loop_project_open(&pr)) {
		*closed = true;
		project_release(&pr);
		return NULL;
	}
	json_t *pre = im ? loop_preannotation_image(&pr, im->width, im->height, output)
			 : loop_preannotation(&pr, text, output);
	json_t *meta = loop_item_meta(pre, endpoint_id, reason);
	json_decref(pre);
	project_release(&pr);
	return meta;
}

/* An image input is kept (within the endpoint's budget, core/prediction_loop.h) so that
 * negative feedback can still make its item. */
static void loop_image_keep(app *a, const endpoint_row *e, const char *b64, prediction_record *rec,
			    loop_image *im)
{
	if (e->feedback_image_budget <= 0 || !loop_image_store(a, b64, im))
		return;
	rec->keep_blob = im->hash;
	rec->keep_mime = im->mime;
	rec->keep_width = im->width;
	rec->keep_height = im->height;
	rec->keep_bytes = (int64_t)im->bytes;
	rec->image_budget = e->feedback_image_budget;
	rec->image_days = e->feedback_image_days;
	rec->data_dir = a->data_dir;
}

/* Whether the endpoint's feedback project holds an item of this text already. */
static bool loop_holds_text(app *a, const endpoint_row *e, const char *text)
{
	char hash[65];
	blob_hash(text, strlen(text), hash);
	return store_loop_holds(a->db, e->feedback_project_id, hash);
}

/* The answers a prediction's rules look at: the one returned, and, on a sampled canary
 * request, production's and the canary's. */
typedef struct loop_answers {
	const serving_answer *returned;
	const json_t *production, *canary; /* NULL unless both answered */
} loop_answers;

/* A text input is kept while the endpoint has a feedback project, and a doubtful answer (low
 * confidence, or production and canary disagreeing) becomes an item of it in the log's own
 * transaction, production's answer its pre-annotation. An image input becomes an image item,
 * its bytes stored first (`im` holds what the record points to). A rule at its daily cap makes
 * no item. */
static void loop_attach(app *a, const endpoint_row *e, const json_t *input, const loop_answers *l,
			prediction_record *rec, loop_image *im)
{
	const char *text = json_string_value(json_object_get(input, "text"));
	const char *b64 = json_string_value(json_object_get(input, "image_bytes_b64"));
	const serving_answer *p = l->returned;
	if (!e->feedback_project_id || (!text && !b64) || p->rc)
		return;
	rec->input_text = text;
	if (b64 && !text)
		loop_image_keep(a, e, b64, rec, im);
	const json_t *suggested = p->output;
	const char *reason = loop_reason(p->output, e->feedback_threshold);
	if (!reason && (reason = loop_canary_reason(l->production, l->canary)))
		suggested = l->production;
	/* Past the rule's cap for the day (the day's usual case under steady traffic) the item
	 * would not be made: its pre-annotation is not built and the writer looks nothing up. Nor
	 * for a text the project holds already (a popular doubtful input): it makes no new work,
	 * and the prediction stays untied (negative feedback on it ties it). */
	if (!reason || (text && loop_holds_text(a, e, text)) ||
	    store_loop_capped(a->db, e->id, reason, clock_now_ms()) ||
	    (!text && !im->stored && !loop_image_store(a, b64, im)))
		return;
	bool closed = false;
	rec->loop_meta = loop_meta_of(&a->store, e->feedback_project_id, e->id, text, text ? NULL : im,
				      suggested, reason, &closed);
	rec->loop_project_id = e->feedback_project_id;
	if (!text) {
		rec->loop_blob = im->hash;
		rec->loop_mime = im->mime;
		rec->loop_width = im->width;
		rec->loop_height = im->height;
	}
}

/* On a sampled share of a canary split's requests the other target answers too: *other its
 * answer (target empty when not asked), *l what the rules compare. */
static void canary_compare(const endpoint_row *e, serving_deployment *d, int drawn,
			   const json_t *input, serving_answer *other, loop_answers *l)
{
	memset(other, 0, sizeof *other);
	if (!e->feedback_project_id || serving_target_count(d) != 2 ||
	    !loop_canary_sampled(e->feedback_canary_share, randombytes_uniform(1000000)))
		return;
	serving_answer_target(d, 1 - drawn, input, other);
	if (other->rc || l->returned->rc)
		return;
	bool drawn_is_production = serving_production(d) == drawn;
	l->production = drawn_is_production ? l->returned->output : other->output;
	l->canary = drawn_is_production ? other->output : l->returned->output;
}

/* One input's prediction and its log record: what the record points to lives here, so that
 * the record may wait for the writer. A slot does not move once filled. */
typedef struct prediction_slot {
	prediction_record rec;
	serving_answer p;     /* the answer returned: p.output owned until handed on */
	serving_answer other; /* a sampled canary request's other answer, owned */
	char digest[65];
	char pair[24]; /* the request id the prediction shares with its shadow's, when it had none */
	buf text;      /* p.output's text, written once for the log and the answer */
	loop_image im; /* an image input the loop keeps (rec points into it) */
	int64_t id;    /* once logged */
} prediction_slot;

static void prediction_slot_release(prediction_slot *s)
{
	json_decref(s->rec.loop_meta);
	json_decref(s->other.output);
	json_decref(s->p.output);
	s->rec.loop_meta = s->other.output = s->p.output = NULL;
	buf_release(&s->text);
}

/* The answer's output written into the slot's text, which the log takes as it is: the answer
 * sends the same bytes, so they are written once. Without memory the log writes its own. */
static void prediction_text(prediction_slot *s)
{
	buf_init(&s->text, 0);
	if (s->p.rc || json_write(&s->text, s->p.output)) {
		buf_release(&s->text);
		return;
	}
	s->rec.output_text = s->text.data;
	s->rec.output_len = s->text.len;
}

/* Answers one input with deployment `d` and fills its log record in *s; the shadow's answer is
 * queued (api/shadow.h), never waited for. */
static void predict_answer(app *a, const api_scope *scope, const endpoint_row *e,
			   serving_deployment *d, const json_t *input, const char *request_id,
			   prediction_slot *s)
{
	int64_t bytes;
	/* One target needs no draw (each random number is a getrandom call). */
	int drawn = serving_target_count(d) > 1 ? serving_draw(d, randombytes_uniform(100)) : 0;
	serving_answer_target(d, drawn, input, &s->p);
	loop_answers l = {.returned = &s->p};
	canary_compare(e, d, drawn, input, &s->other, &l);
	serving_observe(a->serving, e->id, s->p.rc, s->p.latency_us);
	api_input_digest(input, s->digest, &bytes);
	/* A shadow's row is told from those of the same input by the request's id: a request
	 * without one gets one its two rows share. */
	if (!request_id && serving_has_shadow(d)) {
		unsigned char draw[8];
		randombytes_buf(draw, sizeof draw);
		memcpy(s->pair, "pair-", 5);
		sodium_bin2hex(s->pair + 5, sizeof s->pair - 5, draw, sizeof draw);
		request_id = s->pair;
	}
	record_of(e, scope, &s->p, s->digest, bytes, request_id, &s->rec);
	prediction_text(s);
	if (serving_has_shadow(d))
		shadow_queue_push(a, d, input, &s->rec);
	loop_attach(a, e, input, &l, &s->rec, &s->im);
}

/* What a prediction answers once its log write ended with `logged`: its output moved into
 * *out, or its error (the log's, else the model's). Releases the slot. */
static int prediction_outcome(http_request *r, int logged, prediction_slot *s, prediction_done *out)
{
	int rc = logged;
	if (!rc && s->p.rc) {
		r->err = s->p.err;
		rc = s->p.rc;
	}
	if (!rc) {
		out->id = s->id;
		snprintf(out->target, sizeof out->target, "%s", s->p.target);
		out->output = s->p.output;
		s->p.output = NULL;
		out->text = s->text;
		buf_init(&s->text, 0);
	}
	prediction_slot_release(s);
	return rc;
}

/* Answers one input with the endpoint's deployment and logs it, waiting for the writer (a
 * handler pool's thread). */
static int predict_one(http_request *r, const endpoint_row *e, const json_t *input,
		       const char *request_id, prediction_done *out)
{
	app *a = api_app(r);
	serving_deployment *d = NULL;
	cl_error load = {0};
	if (serving_acquire(a->serving, e->id, e->revision, e->targets, e->shadow, &d, &load)) {
		/* A model that does not load fails every call: the endpoint's errors show it. */
		serving_observe(a->serving, e->id, CL_EUNAVAIL, 0);
		return http_fail(r, CL_EUNAVAIL, "model_unavailable",
				 "the endpoint's model cannot be loaded: %s", load.message);
	}
	prediction_slot s = {0};
	predict_answer(a, api_scope_of(r), e, d, input, request_id, &s);
	serving_release(d);
	int rc = store_prediction_log(a->db, &s.rec, NULL, &s.id, &r->err);
	return prediction_outcome(r, rc, &s, out);
}

/* ---- answering on the I/O thread ----
 * A text model of a quick runtime (ml_runtime.quick) answers in microseconds: its request is
 * answered on the I/O thread, the predictions made at once and their log handed to the writer
 * without waiting; the answer goes out when the log is durable (ROUTE_ASYNC). Any other
 * request goes to the handler pool (http_pool), where predict_one waits. */

/* Bodies above this go to the pool: a long text costs its model more than microseconds. */
#define PREDICT_QUICK_MAX_BYTES (16 * 1024)

/* A request answered on its I/O thread, while its predictions wait for the writer. */
typedef struct predict_async {
	json_t *body;		/* the request's: inputs and request_id point into it */
	json_t *inputs;		/* the inference route's inputs (an array); NULL on the plain route */
	const char *request_id; /* the inference request's id, or NULL */
	endpoint_row e;
	prediction_batch log; /* log.n slots were answered; the last may have failed */
	cl_error err;
	db *db;
	int logged; /* the log's result, once the writer called back */
	prediction_slot slots[];
} predict_async;

static void predict_async_free(void *ctx)
{
	predict_async *pa = ctx;
	store_predictions_logged(pa->db, &pa->log, pa->logged);
	for (int i = 0; i < pa->log.n; i++)
		prediction_slot_release(&pa->slots[i]);
	endpoint_row_release(&pa->e);
	json_decref(pa->inputs);
	json_decref(pa->body);
	free(pa);
}

/* Whether `in` holds nothing but a text. */
static bool text_input(const json_t *in)
{
	return json_is_object(in) && json_object_size(in) == 1 &&
	       json_is_string(json_object_get(in, "text"));
}

/* The endpoint's deployment when it is loaded and quick and every input is a text (a
 * reference), else NULL: the request then goes to the pool. */
static serving_deployment *quick_deployment(http_request *r, const endpoint_row *e,
					    const json_t *const *inputs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!text_input(inputs[i]))
			return NULL;
	serving_deployment *d = serving_loaded(api_app(r)->serving, e->id, e->revision);
	if (d && !serving_quick(d)) {
		serving_release(d);
		d = NULL;
	}
	return d;
}

/* A new context for n predictions, taking the body and the endpoint row; NULL without memory
 * (then nothing is taken). */
static predict_async *predict_async_new(size_t n, json_t *body, endpoint_row *e)
{
	predict_async *pa = calloc(1, sizeof *pa + n * sizeof pa->slots[0]);
	if (!pa)
		return NULL;
	pa->body = body;
	pa->e = *e;
	*e = (endpoint_row){0};
	return pa;
}

/* Answers the inputs with `d` (released here), stopping at the first that fails, whose error
 * is the answer once its log is written. */
static void predict_async_answer(http_request *r, predict_async *pa, serving_deployment *d,
				 const json_t *const *inputs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		prediction_slot *s = &pa->slots[i];
		predict_answer(api_app(r), api_scope_of(r), &pa->e, d, inputs[i], pa->request_id,
			       s);
		pa->log.recs[pa->log.n++] = &s->rec;
		if (s->p.rc)
			break;
	}
	serving_release(d);
}

/* The writer's call once the log is durable or failed (a store thread): wakes the request. */
static void predict_async_logged(void *arg, int rc)
{
	http_request *r = arg;
	((predict_async *)r->defer_ctx)->logged = rc;
	http_wake(r, rc);
}

/* Hands the predictions' log to the writer: `finish` answers when it is durable. */
static int predict_async_log(http_request *r, predict_async *pa, http_handler finish)
{
	http_defer(r, finish, pa, predict_async_free);
	pa->db = api_app(r)->db;
	pa->logged = CL_EUNAVAIL; /* until the writer says otherwise */
	int rc = store_predictions_log_async(pa->db, &pa->log, &pa->err, predict_async_logged, r);
	if (rc)
		http_wake(r, rc);
	return HTTP_DEFERRED;
}

/* Prediction i of a logged request, into *done: 0, or the error the request answers. */
static int predict_async_outcome(http_request *r, predict_async *pa, int i, prediction_done *done)
{
	if (r->wake_rc) {
		r->err = pa->err;
		return r->err.code
			   ? r->wake_rc
			   : http_fail(r, r->wake_rc, NULL, "the prediction was not logged");
	}
	pa->slots[i].id = pa->log.ids[i];
	return prediction_outcome(r, 0, &pa->slots[i], done);
}

/* Answers a request's inputs on the I/O thread when the endpoint's deployment is loaded and
 * quick and every input a text, `finish` answering once their log is durable; else hands the
 * request to the handler pool's `pooled`. Takes the body, the endpoint row and `inputs` (the
 * inference route's array, or NULL: the body's "inputs"). */
static int predict_quick(http_request *r, json_t *body, endpoint_row *e, json_t *inputs,
			 http_handler finish, http_handler pooled)
{
	const json_t *array = inputs ? inputs : json_object_get(body, "inputs");
	const json_t *list[PREDICT_MAX_INPUTS];
	size_t n = json_array_size(array);
	for (size_t i = 0; i < n; i++)
		list[i] = json_array_get(array, i);
	serving_deployment *d = quick_deployment(r, e, list, n);
	predict_async *pa = d ? predict_async_new(n, body, e) : NULL;
	if (!pa) {
		serving_release(d);
		endpoint_row_release(e);
		json_decref(inputs);
		json_decref(body);
		return http_pool(r, pooled);
	}
	pa->inputs = inputs;
	pa->request_id = json_string_value(json_object_get(body, "id"));
	predict_async_answer(r, pa, d, list, n);
	return predict_async_log(r, pa, finish);
}

/* ---- the plain route ---- */

/* The plain route's answer up to its predictions, written straight into its text (both ways of
 * answering write the same bytes, without building a tree). */
static int answer_open(buf *b, const endpoint_row *e)
{
	int rc = buf_puts(b, "{\"endpoint\":");
	rc = rc ? rc : json_write_string(b, e->name, strlen(e->name));
	rc = rc ? rc : buf_puts(b, ",\"revision\":");
	rc = rc ? rc : buf_put_int(b, (long long)e->revision);
	return rc ? rc : buf_puts(b, ",\"predictions\":[");
}

/* Prediction i of the plain route's answer (after a comma unless the first). */
static int prediction_write(buf *b, int i, const prediction_done *done)
{
	int rc = buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
	rc = rc ? rc : buf_put_int(b, (long long)done->id);
	rc = rc ? rc : buf_puts(b, ",\"target\":");
	rc = rc ? rc : json_write_string(b, done->target, strlen(done->target));
	rc = rc ? rc : buf_puts(b, ",\"output\":");
	if (done->text.len)
		rc = rc ? rc : buf_append(b, done->text.data, done->text.len);
	else
		rc = rc ? rc : json_write(b, done->output);
	return rc ? rc : buf_puts(b, "}");
}

static int predict_inputs(http_request *r, const endpoint_row *e, const json_t *inputs, buf *b)
{
	for (size_t i = 0; i < json_array_size(inputs); i++) {
		prediction_done done = {0};
		int rc = predict_one(r, e, json_array_get(inputs, i), NULL, &done);
		if (!rc && prediction_write(b, (int)i, &done))
			rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
		prediction_done_release(&done);
		if (rc)
			return rc;
	}
	return 0;
}

/* What both ways of answering check first: the body, its inputs, the endpoint (into *e). */
static int predict_request(http_request *r, json_t **body, endpoint_row *e)
{
	int rc = http_body_json(r, body);
	const json_t *inputs = json_object_get(*body, "inputs");
	if (!rc && (!json_array_size(inputs) || json_array_size(inputs) > PREDICT_MAX_INPUTS))
		rc = http_fail(r, CL_EINVAL, NULL, "\"inputs\" holds 1 to %d inputs",
			       PREDICT_MAX_INPUTS);
	/* Every input checked before any is answered: a bad one costs no prediction. */
	for (size_t i = 0; !rc && i < json_array_size(inputs); i++)
		rc = caller_input_check(r, json_array_get(inputs, i));
	if (!rc)
		rc = key_endpoint(r, e);
	if (!rc && !e->active)
		rc = http_fail(r, CL_EUNAVAIL, "endpoint_paused", "the endpoint is paused");
	return rc;
}

/* Ends the plain route's answer in `b` and sends it, unless `rc` says it failed. */
static int answer_close(http_request *r, buf *b, int rc)
{
	if (!rc && buf_puts(b, "]}"))
		rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		http_json_text(r, 200, b);
	buf_release(b);
	return rc;
}

/* The plain route on a handler pool's thread: each input answered and logged in turn. */
static int predict_pooled(http_request *r)
{
	json_t *body = NULL;
	endpoint_row e = {0};
	buf b;
	buf_init(&b, 0);
	int rc = predict_request(r, &body, &e);
	if (!rc && answer_open(&b, &e))
		rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		rc = predict_inputs(r, &e, json_object_get(body, "inputs"), &b);
	rc = answer_close(r, &b, rc);
	endpoint_row_release(&e);
	json_decref(body);
	return rc;
}

/* The plain route's answer once its log is durable. */
static int predict_finish(http_request *r)
{
	predict_async *pa = r->defer_ctx;
	buf b;
	buf_init(&b, 0);
	int rc = answer_open(&b, &pa->e) ? http_fail(r, CL_ENOMEM, NULL, "out of memory") : 0;
	for (int i = 0; !rc && i < pa->log.n; i++) {
		prediction_done done = {0};
		rc = predict_async_outcome(r, pa, i, &done);
		if (!rc && prediction_write(&b, i, &done))
			rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
		prediction_done_release(&done);
	}
	return answer_close(r, &b, rc);
}

int api_endpoint_predict(http_request *r)
{
	json_t *body = NULL;
	endpoint_row e = {0};
	if (r->body_read > PREDICT_QUICK_MAX_BYTES)
		return http_pool(r, predict_pooled);
	int rc = predict_request(r, &body, &e);
	if (rc) {
		endpoint_row_release(&e);
		json_decref(body);
		return rc;
	}
	return predict_quick(r, body, &e, NULL, predict_finish, predict_pooled);
}

/* ---- feedback ---- */

/* The feedback's comment and corrected answer (its `answer_field`) within their limits. */
static int feedback_check(http_request *r, const json_t *body, const char *answer_field)
{
	const json_t *comment = json_object_get(body, "comment");
	const json_t *correction = json_object_get(body, answer_field);
	if (json_string_length(comment) > FEEDBACK_COMMENT_MAX)
		return http_fail(r, CL_EINVAL, NULL, "\"comment\" is up to %d bytes",
				 FEEDBACK_COMMENT_MAX);
	char *text = correction ? json_dumps(correction, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	size_t n = text ? strlen(text) : 0;
	free(text);
	if (n > FEEDBACK_CORRECTION_MAX)
		return http_fail(r, CL_ETOOBIG, NULL, "\"%s\" is up to %d bytes of JSON",
				 answer_field, FEEDBACK_CORRECTION_MAX);
	return 0;
}

#define FEEDBACK_IMAGE_GONE                                                                        \
	"feedback recorded; no item was made: the prediction's input image is no longer kept "     \
	"(the endpoint's feedback image_budget_kb or image_days let it go)"

#define FEEDBACK_PROJECT_CLOSED                                                                    \
	"feedback recorded; no item was made: the endpoint's feedback project is closed"

#define FEEDBACK_NO_INPUT                                                                          \
	"feedback recorded; no item was made: the prediction's input was not kept (it was logged " \
	"before the endpoint had a feedback project, or the endpoint keeps no images)"

#define FEEDBACK_CAPPED                                                                            \
	"feedback recorded; no item was made: the negative_feedback rule reached the endpoint's "    \
	"daily_cap of items for today (UTC)"

/* The kept input image of an image prediction, into *im: false when it had none, or when it
 * was let go or is older than the endpoint keeps images (*gone then). */
static bool feedback_image(app *a, const endpoint_row *e, int64_t prediction_id, loop_image *im,
			   bool *gone)
{
	prediction_image kept;
	char path[4096];
	*gone = false;
	if (store_prediction_image(a->db, prediction_id, &kept) || !kept.had_image)
		return false;
	*gone = !kept.blob[0] || blob_path(a->data_dir, kept.blob, path, sizeof path) ||
		access(path, R_OK) ||
		clock_now_ms() - kept.created_at > e->feedback_image_days * 86400000;
	if (*gone)
		return false;
	snprintf(im->hash, sizeof im->hash, "%s", kept.blob);
	snprintf(im->kept_mime, sizeof im->kept_mime, "%s", kept.mime);
	im->mime = im->kept_mime;
	im->width = kept.width;
	im->height = kept.height;
	return true;
}

/* Negative feedback on a prediction of an endpoint with a feedback project: the meta of the item
 * it makes (new), or NULL; *why says why none when its input was not kept or is gone. */
static json_t *feedback_loop_meta(http_request *r, int64_t endpoint_id, int64_t prediction_id,
				  bool correct, int64_t *project_id, const char **why)
{
	endpoint_row e = {0};
	app *a = api_app(r);
	json_t *meta = NULL, *output = NULL;
	char *text = NULL;
	loop_image im = {0};
	bool gone = false, closed = false;
	if (correct || store_endpoint_row(a->db, endpoint_id, &e))
		return NULL;
	bool answered = e.feedback_project_id &&
			!store_prediction_input(a->db, prediction_id, &output, &text) && output;
	if (answered && (text || feedback_image(a, &e, prediction_id, &im, &gone)))
		meta = loop_meta_of(&a->store, e.feedback_project_id, e.id, text, text ? NULL : &im,
				    output, LOOP_NEGATIVE_FEEDBACK, &closed);
	*project_id = e.feedback_project_id;
	*why = closed				  ? FEEDBACK_PROJECT_CLOSED
	       : gone				  ? FEEDBACK_IMAGE_GONE
	       : answered && !text && !im.hash[0] ? FEEDBACK_NO_INPUT
						  : NULL;
	json_decref(output);
	free(text);
	endpoint_row_release(&e);
	return meta;
}

/* Feedback on prediction `prediction_id` of endpoint `endpoint_id`, its corrected answer in the
 * body's `answer_field`: kept with the prediction; negative feedback sends it back to the crowd
 * when the endpoint has a feedback project. */
static int feedback_give(http_request *r, int64_t endpoint_id, int64_t prediction_id,
			 const json_t *body, const char *answer_field)
{
	json_t *out = NULL, *loop = NULL;
	int64_t loop_project = 0;
	int rc = 0;
	if (store_prediction_endpoint(api_app(r)->db, prediction_id) != endpoint_id)
		rc = http_fail(r, CL_ENOTFOUND, NULL, "prediction not found");
	if (!rc)
		rc = feedback_check(r, body, answer_field);
	bool correct = json_is_true(json_object_get(body, "correct"));
	const char *why = NULL;
	bool capped = false;
	if (!rc)
		loop = feedback_loop_meta(r, endpoint_id, prediction_id, correct, &loop_project,
					  &why);
	if (!rc)
		rc = store_feedback_put(api_app(r)->db, prediction_id, correct,
					json_string_value(json_object_get(body, "comment")),
					json_object_get(body, answer_field), loop, loop_project,
					&out, &capped, &r->err);
	if (!why && capped)
		why = FEEDBACK_CAPPED;
	if (!rc && why && json_is_null(json_object_get(out, "item")))
		json_object_set_new(out, "no_item", json_string(why));
	if (!rc)
		http_json(r, 200, out);
	json_decref(loop);
	return rc;
}

int api_prediction_feedback(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (!rc)
		rc = feedback_give(r, api_scope_of(r)->key_endpoint_id, r->ids[0], body,
				   "correction");
	json_decref(body);
	return rc;
}

int api_endpoint_feedback(http_request *r)
{
	json_t *body = NULL;
	endpoint_row e = {0};
	int rc = http_body_json(r, &body);
	if (!rc)
		rc = key_endpoint(r, &e);
	if (!rc)
		rc = feedback_give(r, e.id, json_integer_value(json_object_get(body, "prediction_id")),
				   body, "answer");
	endpoint_row_release(&e);
	json_decref(body);
	return rc;
}

/* ---- the Open Inference Protocol v2 ---- */

int api_oip_live(http_request *r)
{
	http_json(r, 200, json_pack("{s:b}", "live", 1));
	return 0;
}

int api_oip_ready(http_request *r)
{
	http_json(r, 200, json_pack("{s:b}", "ready", 1));
	return 0;
}

int api_oip_server(http_request *r)
{
	http_json(r, 200,
		  json_pack("{s:s,s:s,s:[s]}", "name", "crowdloop", "version", "1", "extensions",
			    "binary_tensor_data"));
	return 0;
}

/* Whether every target is OCR: its tensors are then the lines' texts, boxes and confidences. */
static bool target_is_ocr(const json_t *t)
{
	const char *service = json_string_value(json_object_get(t, "service"));
	const char *runtime = json_string_value(json_object_get(t, "runtime"));
	return (service && !strcmp(service, "ocr")) ||
	       (runtime && !strcmp(runtime, "ocr_tesseract"));
}

static bool serves_ocr(const endpoint_row *e)
{
	for (size_t i = 0; i < json_array_size(e->targets); i++)
		if (!target_is_ocr(json_array_get(e->targets, i)))
			return false;
	return true;
}

/* Whether the endpoint's models read images (a BYTES element is then an image), as OCR and the
 * image classifiers do; else text. */
static bool takes_images(const endpoint_row *e)
{
	const json_t *t = json_array_get(e->targets, 0);
	const char *runtime = json_string_value(json_object_get(t, "runtime"));
	return target_is_ocr(t) || (runtime && !strncmp(runtime, "image_", 6));
}

/* Whether the endpoint answers a batch (a tensor of several elements): its models' answers
 * are one JSON text each, where OCR's lines and a model server's own tensors are one input's. */
static bool answers_batches(const endpoint_row *e)
{
	for (size_t i = 0; i < json_array_size(e->targets); i++) {
		const json_t *t = json_array_get(e->targets, i);
		if (target_is_ocr(t) || json_object_get(t, "command"))
			return false;
	}
	return true;
}

static json_t *tensor_meta(const char *name, const char *type, json_int_t d0, json_int_t d1)
{
	json_t *shape = d1 ? json_pack("[II]", d0, d1) : json_pack("[I]", d0);
	return json_pack("{s:s,s:s,s:o}", "name", name, "datatype", type, "shape", shape);
}

/* The tensors an endpoint answers, as the model metadata lists them (a new array). A model
 * server that answers with its own tensors answers those instead. */
static json_t *outputs_meta(const endpoint_row *e)
{
	json_int_t n = answers_batches(e) ? -1 : 1;
	if (serves_ocr(e))
		return json_pack("[oooo]", tensor_meta("text", "BYTES", -1, 0),
				 tensor_meta("boxes", "INT32", -1, 4),
				 tensor_meta("confidences", "FP32", -1, 0),
				 tensor_meta("prediction_id", "INT64", 1, 0));
	return json_pack("[oo]", tensor_meta("output", "BYTES", n, 0),
			 tensor_meta("prediction_id", "INT64", n, 0));
}

int api_oip_model(http_request *r)
{
	endpoint_row e = {0};
	int rc = key_endpoint(r, &e);
	if (rc)
		return rc;
	char version[24];
	snprintf(version, sizeof version, "%lld", (long long)e.revision);
	http_json(r, 200,
		  json_pack("{s:s,s:[s],s:s,s:[o],s:o}", "name", e.name, "versions", version,
			    "platform", "crowdloop", "inputs",
			    tensor_meta(takes_images(&e) ? "image" : "input", "BYTES",
					answers_batches(&e) ? -1 : 1, 0),
			    "outputs", outputs_meta(&e)));
	endpoint_row_release(&e);
	return 0;
}

int api_oip_model_ready(http_request *r)
{
	endpoint_row e = {0};
	int rc = key_endpoint(r, &e);
	if (rc)
		return rc;
	serving_deployment *d = NULL;
	cl_error err = {0};
	bool ready = e.active &&
		     !serving_acquire(api_app(r)->serving, e.id, e.revision, e.targets, e.shadow,
				      &d, &err) &&
		     serving_ready(d);
	serving_release(d);
	http_json(r, ready ? 200 : 503, json_pack("{s:s,s:b}", "name", e.name, "ready", ready));
	endpoint_row_release(&e);
	return 0;
}

/* ---- an inference request ---- */

/* The bytes after an inference request's JSON header (the binary-data extension). */
typedef struct oip_binary {
	const char *data;
	size_t len;
	bool present; /* the request announced a header length */
} oip_binary;

/* An error the codec (api/oip_tensor.h) filled, as the request's. */
static int oip_fail(http_request *r, const cl_error *err)
{
	r->err = *err;
	return err->code;
}

/* An inference request's JSON: the whole body, or with the binary-data extension the first
 * Inference-Header-Content-Length bytes, the binary data after them in *bin. */
static int infer_body(http_request *r, json_t **body, oip_binary *bin)
{
	const char *h = http_header_value(r, "Inference-Header-Content-Length");
	size_t len;
	const char *data = http_body(r, &len);
	*bin = (oip_binary){NULL, 0, h != NULL};
	if (!h)
		return http_body_json(r, body);
	char *end;
	unsigned long long n = strtoull(h, &end, 10);
	if (*h < '0' || *h > '9' || *end || !n || n > len)
		return http_fail(r, CL_EINVAL, NULL,
				 "Inference-Header-Content-Length is the JSON header's length, at "
				 "most the body's");
	if (!json_depth_ok(data, n, HTTP_JSON_MAX_DEPTH))
		return http_fail(r, CL_EINVAL, "too_deep", "JSON nesting is deeper than %d",
				 HTTP_JSON_MAX_DEPTH);
	json_error_t je;
	*body = json_loadb(data, n, JSON_REJECT_DUPLICATES, &je);
	int rc = json_is_object(*body)
		     ? json_fields_check(*body, r->route->body, true, &r->err)
		     : http_fail(r, CL_EINVAL, "malformed_json", "the JSON header: %s",
				 *body ? "not an object" : je.text);
	bin->data = data + n;
	bin->len = len - n;
	return rc;
}

/* One element of the input tensor as the model's input, appended to `out`. Sent as binary data
 * (`raw`) it is the image's or the text's bytes; in JSON, an image's base64, a text, or an
 * input's JSON text ({"image_bytes_b64"} or {"text"}). */
static int element_input(http_request *r, const endpoint_row *e, const char *s, size_t n, bool raw,
			 json_t *out)
{
	json_t *in = NULL;
	if (raw && takes_images(e)) {
		size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(len);
		if (!b64)
			return http_fail(r, CL_ENOMEM, NULL, "out of memory");
		sodium_bin2base64(b64, len, (const unsigned char *)s, n,
				  sodium_base64_VARIANT_ORIGINAL);
		in = json_pack("{s:s}", "image_bytes_b64", b64);
		free(b64);
	} else if (raw || !n || s[0] != '{') {
		in = json_pack("{s:s%}", takes_images(e) ? "image_bytes_b64" : "text", s, n);
		if (!in)
			return http_fail(r, CL_EINVAL, NULL, "the input text is not UTF-8");
	} else {
		json_error_t je;
		in = json_read(s, n, 0, &je);
		if (!in)
			return http_fail(r, CL_EINVAL, NULL, "the input's JSON text: %s", je.text);
		int rc = caller_input_check(r, in);
		if (rc) {
			json_decref(in);
			return rc;
		}
	}
	return json_array_append_new(out, in) ? http_fail(r, CL_ENOMEM, NULL, "out of memory") : 0;
}

/* The n elements of the input tensor `t`, sent as binary data after the JSON header. */
static int binary_elements(http_request *r, const endpoint_row *e, const json_t *t, size_t n,
			   const oip_binary *bin, json_t *out)
{
	const json_t *size = json_object_get(json_object_get(t, "parameters"), "binary_data_size");
	if (!json_is_integer(size) || (size_t)json_integer_value(size) != bin->len || !bin->len ||
	    json_object_get(t, "data"))
		return http_fail(r, CL_EINVAL, NULL,
				 "the input's parameters.binary_data_size is the length of the "
				 "binary data after the JSON header, and it has no \"data\"");
	oip_element el[PREDICT_MAX_INPUTS];
	cl_error err = {0};
	if (oip_bytes_split(bin->data, bin->len, n, el, &err))
		return oip_fail(r, &err);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = element_input(r, e, el[i].data, el[i].len, true, out);
	return rc;
}

/* The n elements of the input tensor `t`, in its JSON "data". */
static int json_elements(http_request *r, const endpoint_row *e, const json_t *t, size_t n,
			 json_t *out)
{
	const json_t *el[PREDICT_MAX_INPUTS];
	size_t got;
	cl_error err = {0};
	if (oip_strings(json_object_get(t, "data"), PREDICT_MAX_INPUTS, el, &got, &err))
		return oip_fail(r, &err);
	if (got != n)
		return http_fail(
		    r, CL_EINVAL, NULL,
		    "the input tensor's \"data\" holds %zu elements, its \"shape\" %zu", got, n);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = element_input(r, e, json_string_value(el[i]), json_string_length(el[i]), false,
				   out);
	return rc;
}

/* The model inputs of an inference request (a new array): one BYTES tensor, each of its
 * elements one input; more than one only where the endpoint answers batches. */
static int oip_inputs(http_request *r, const endpoint_row *e, const json_t *inputs,
		      const oip_binary *bin, json_t **out)
{
	const json_t *t = json_array_get(inputs, 0);
	const char *type = json_string_value(json_object_get(t, "datatype"));
	size_t n;
	cl_error err = {0};
	*out = NULL;
	if (json_array_size(inputs) != 1)
		return http_fail(r, CL_EINVAL, NULL, "\"inputs\" holds one tensor");
	if (!json_is_string(json_object_get(t, "name")))
		return http_fail(r, CL_EINVAL, NULL, "a tensor has a \"name\" and a \"shape\"");
	if (oip_shape_elements(json_object_get(t, "shape"), PREDICT_MAX_INPUTS, &n, &err))
		return oip_fail(r, &err);
	if (!type || strcmp(type, "BYTES"))
		return http_fail(r, CL_EINVAL, NULL, "the input tensor's datatype is BYTES");
	if (!n || (n > 1 && !answers_batches(e)))
		return http_fail(
		    r, CL_EINVAL, NULL, "the input tensor holds one element%s (one %s)",
		    answers_batches(e) ? " or more" : "", takes_images(e) ? "image" : "text");
	*out = json_array();
	int rc =
	    bin->present ? binary_elements(r, e, t, n, bin, *out) : json_elements(r, e, t, n, *out);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* The first of the first n tensors (or asked outputs) named `name`, or NULL. */
static json_t *tensor_find(const json_t *tensors, const char *name, size_t n)
{
	for (size_t i = 0; i < n && i < json_array_size(tensors); i++) {
		const char *its =
		    json_string_value(json_object_get(json_array_get(tensors, i), "name"));
		if (its && !strcmp(its, name))
			return json_array_get(tensors, i);
	}
	return NULL;
}

/* The request's "outputs" and parameters.binary_data_output, checked: each asked output an
 * object with a "name", once, and a boolean parameters.binary_data if any; the names among the
 * endpoint's own when it answers its listed tensors (a model server's are known only once it
 * answers). */
static int outputs_check(http_request *r, const endpoint_row *e, const json_t *body)
{
	const json_t *asked = json_object_get(body, "outputs");
	const json_t *all =
	    json_object_get(json_object_get(body, "parameters"), "binary_data_output");
	if (all && !json_is_boolean(all))
		return http_fail(r, CL_EINVAL, NULL, "parameters.binary_data_output is a boolean");
	json_t *known = outputs_meta(e);
	/* A model server may answer tensors of its own: its names are known once it answers. */
	bool check_names = answers_batches(e) || serves_ocr(e);
	int rc = 0;
	for (size_t i = 0; !rc && i < json_array_size(asked); i++) {
		const json_t *o = json_array_get(asked, i);
		const char *name = json_string_value(json_object_get(o, "name"));
		const json_t *bin =
		    json_object_get(json_object_get(o, "parameters"), "binary_data");
		if (!name || (bin && !json_is_boolean(bin)))
			rc = http_fail(r, CL_EINVAL, NULL,
				       "an asked output is {\"name\", \"parameters\"?: "
				       "{\"binary_data\"?: boolean}}");
		else if (tensor_find(asked, name, i))
			rc = http_fail(r, CL_EINVAL, NULL, "the output \"%.64s\" is asked twice",
				       name);
		else if (check_names && !tensor_find(known, name, json_array_size(known)))
			rc = http_fail(r, CL_EINVAL, NULL, "the model has no output \"%.64s\"",
				       name);
	}
	json_decref(known);
	return rc;
}

/* ---- the answer ---- */

/* OCR's lines as three tensors: text (BYTES), boxes (INT32, n × 4), confidences (FP32). */
static json_t *ocr_tensors(const json_t *output)
{
	const json_t *lines = json_object_get(output, "lines");
	json_int_t n = (json_int_t)json_array_size(lines);
	json_t *text = json_array(), *boxes = json_array(), *conf = json_array();
	for (size_t i = 0; i < json_array_size(lines); i++) {
		const json_t *l = json_array_get(lines, i);
		json_array_append(text, json_object_get(l, "text"));
		for (size_t j = 0; j < 4; j++)
			json_array_append(boxes, json_array_get(json_object_get(l, "box"), j));
		json_array_append(conf, json_object_get(l, "confidence"));
	}
	return json_pack("[{s:s,s:s,s:[I],s:o},{s:s,s:s,s:[I,i],s:o},{s:s,s:s,s:[I],s:o}]", "name",
			 "text", "datatype", "BYTES", "shape", n, "data", text, "name", "boxes",
			 "datatype", "INT32", "shape", n, 4, "data", boxes, "name", "confidences",
			 "datatype", "FP32", "shape", n, "data", conf);
}

/* The predictions' ids as the INT64 tensor prediction_id, what feedback names. */
static json_t *id_tensor(const prediction_done *done, size_t n)
{
	json_t *ids = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_integer(done[i].id));
	return json_pack("{s:s,s:s,s:[I],s:o}", "name", "prediction_id", "datatype", "INT64",
			 "shape", (json_int_t)n, "data", ids);
}

/* Each answer's JSON text, as the BYTES tensor output. */
static json_t *json_tensor(const prediction_done *done, size_t n)
{
	json_t *texts = json_array();
	for (size_t i = 0; i < n; i++) {
		char *text = done[i].text.len ? NULL : json_dumps(done[i].output, JSON_COMPACT);
		json_array_append_new(texts, done[i].text.len
						 ? json_stringn(done[i].text.data, done[i].text.len)
						 : json_string(text ? text : "null"));
		free(text);
	}
	return json_pack("{s:s,s:s,s:[I],s:o}", "name", "output", "datatype", "BYTES", "shape",
			 (json_int_t)n, "data", texts);
}

/* The answers as tensors: OCR's lines as three, a model server's own tensors as they came
 * ({"outputs":[...]}, ml/oip_remote.h), any other as the JSON texts; with the ids but for a
 * model server's own. */
static json_t *answer_tensors(const prediction_done *done, size_t n)
{
	const json_t *raw = json_object_get(done[0].output, "outputs");
	if (n == 1 && json_is_array(raw) && json_object_size(done[0].output) == 1)
		return json_incref((json_t *)raw);
	json_t *t = n == 1 && json_object_get(done[0].output, "lines")
			? ocr_tensors(done[0].output)
			: json_pack("[o]", json_tensor(done, n));
	json_array_append_new(t, id_tensor(done, n));
	return t;
}

/* The asked outputs of `answer` (all when none is asked), each as JSON or as binary data
 * appended to *bin: its own parameters.binary_data, else the request's binary_data_output. */
static int outputs_apply(http_request *r, json_t *answer, const json_t *body, buf *bin,
			 bool *binary)
{
	const json_t *asked = json_object_get(body, "outputs");
	bool all = json_is_true(
	    json_object_get(json_object_get(body, "parameters"), "binary_data_output"));
	json_t *outs = json_object_get(answer, "outputs");
	json_t *kept = asked ? json_array() : json_incref(outs);
	for (size_t i = 0; asked && i < json_array_size(asked); i++) {
		const char *name =
		    json_string_value(json_object_get(json_array_get(asked, i), "name"));
		json_t *found = tensor_find(outs, name, json_array_size(outs));
		if (!found) {
			json_decref(kept);
			return http_fail(r, CL_EINVAL, NULL, "the model has no output \"%.64s\"",
					 name);
		}
		json_array_append(kept, found);
	}
	int rc = 0;
	cl_error err = {0};
	for (size_t i = 0; !rc && i < json_array_size(kept); i++) {
		const json_t *own = json_object_get(
		    json_object_get(json_array_get(asked, i), "parameters"), "binary_data");
		if (!(own ? json_is_true(own) : all))
			continue;
		rc = oip_tensor_to_binary(json_array_get(kept, i), bin, &err) ? oip_fail(r, &err) : 0;
		*binary = true; /* an empty tensor too: its size 0 is said in the header */
	}
	json_object_set_new(answer, "outputs", kept);
	return rc;
}

/* Sends the answer for `done`, as JSON or, when an output goes as binary data, as the JSON
 * header then that data (its length in Inference-Header-Content-Length). */
static int infer_answer(http_request *r, const endpoint_row *e, const json_t *body,
			const prediction_done *done, size_t n)
{
	const char *request_id = json_string_value(json_object_get(body, "id"));
	char version[24], id[24];
	snprintf(version, sizeof version, "%lld", (long long)e->revision);
	snprintf(id, sizeof id, "%lld", (long long)done[0].id);
	json_t *answer = json_pack("{s:s,s:s,s:s,s:{s:I,s:s},s:o}", "model_name", e->name,
				   "model_version", version, "id", request_id ? request_id : id,
				   "parameters", "prediction_id", (json_int_t)done[0].id, "target",
				   done[0].target, "outputs", answer_tensors(done, n));
	buf bin, head;
	buf_init(&bin, 0);
	buf_init(&head, 0);
	bool binary = false;
	int rc = answer ? outputs_apply(r, answer, body, &bin, &binary)
			: http_fail(r, CL_ENOMEM, NULL, "out of memory");
	if (!rc && !binary) {
		http_json(r, 200, answer);
		answer = NULL;
	} else if (!rc && (json_write(&head, answer) || buf_append(&head, bin.data, bin.len))) {
		rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
	} else if (!rc) {
		char len[24];
		snprintf(len, sizeof len, "%zu", head.len - bin.len);
		http_bytes(r, 200, "application/octet-stream", head.data, head.len);
		http_header(r, "Inference-Header-Content-Length", len);
	}
	json_decref(answer);
	buf_release(&head);
	buf_release(&bin);
	return rc;
}

/* What both ways of answering check first: the body, its id and outputs, the endpoint (into
 * *e) and the model's inputs (a new array, into *inputs). */
static int infer_request(http_request *r, json_t **body, endpoint_row *e, json_t **inputs)
{
	oip_binary bin;
	int rc = infer_body(r, body, &bin);
	const char *request_id = json_string_value(json_object_get(*body, "id"));
	if (!rc && request_id && strlen(request_id) > 128)
		rc = http_fail(r, CL_EINVAL, NULL, "\"id\" is up to 128 bytes");
	if (!rc)
		rc = key_endpoint(r, e);
	if (!rc && !e->active)
		rc = http_fail(r, CL_EUNAVAIL, "endpoint_paused", "the endpoint is paused");
	if (!rc)
		rc = outputs_check(r, e, *body);
	if (!rc)
		rc = oip_inputs(r, e, json_object_get(*body, "inputs"), &bin, inputs);
	return rc;
}

/* The inference route on a handler pool's thread: each input answered and logged in turn. */
static int infer_pooled(http_request *r)
{
	json_t *body = NULL, *inputs = NULL;
	endpoint_row e = {0};
	prediction_done done[PREDICT_MAX_INPUTS] = {0};
	size_t n = 0;
	int rc = infer_request(r, &body, &e, &inputs);
	const char *request_id = json_string_value(json_object_get(body, "id"));
	for (; !rc && n < json_array_size(inputs); n++)
		rc = predict_one(r, &e, json_array_get(inputs, n), request_id, &done[n]);
	if (!rc)
		rc = infer_answer(r, &e, body, done, n);
	for (size_t i = 0; i < n; i++)
		prediction_done_release(&done[i]);
	json_decref(inputs);
	endpoint_row_release(&e);
	json_decref(body);
	return rc;
}

/* The inference route's answer once its log is durable. */
static int infer_finish(http_request *r)
{
	predict_async *pa = r->defer_ctx;
	prediction_done done[PREDICT_MAX_INPUTS] = {0};
	int n = 0, rc = 0;
	for (; !rc && n < pa->log.n; n++)
		rc = predict_async_outcome(r, pa, n, &done[n]);
	if (!rc)
		rc = infer_answer(r, &pa->e, pa->body, done, (size_t)n);
	for (int i = 0; i < n; i++)
		prediction_done_release(&done[i]);
	return rc;
}

int api_oip_infer(http_request *r)
{
	json_t *body = NULL, *inputs = NULL;
	endpoint_row e = {0};
	if (r->body_read > PREDICT_QUICK_MAX_BYTES)
		return http_pool(r, infer_pooled);
	int rc = infer_request(r, &body, &e, &inputs);
	if (rc) {
		endpoint_row_release(&e);
		json_decref(inputs);
		json_decref(body);
		return rc;
	}
	return predict_quick(r, body, &e, inputs, infer_finish, infer_pooled);
}
