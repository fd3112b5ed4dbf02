/* An Open Inference Protocol client over libcurl (oip_remote.h). One easy handle per call: the
 * calls come from many handler threads, and a loopback connection costs little. */
#include "ml/oip_remote.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_read.h"

int oip_remote_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : CL_EINTERNAL;
}

void oip_remote_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- the shapes ---- */

json_t *oip_remote_request(const json_t *input)
{
	const char *text = json_string_value(json_object_get(input, "text"));
	const char *image = json_string_value(json_object_get(input, "image_bytes_b64"));
	if (!text == !image)
		return NULL;
	return json_pack("{s:[{s:s,s:[i],s:s,s:[s]}]}", "inputs", "name", text ? "text" : "image",
			 "shape", 1, "datatype", "BYTES", "data", text ? text : image);
}

static const json_t *tensor(const json_t *outputs, const char *name)
{
	size_t i;
	const json_t *t;
	json_array_foreach(outputs, i, t)
	{
		const char *n = json_string_value(json_object_get(t, "name"));
		if (n && !strcmp(n, name))
			return json_object_get(t, "data");
	}
	return NULL;
}

/* {"label","scores"} from tensors labels[n] and scores[n]; NULL when they do not pair up. */
static json_t *labels_scores(const json_t *labels, const json_t *scores)
{
	size_t n = json_array_size(labels);
	if (!n || n != json_array_size(scores))
		return NULL;
	json_t *map = json_object();
	const char *best = NULL;
	double top = 0;
	for (size_t i = 0; i < n; i++) {
		const char *l = json_string_value(json_array_get(labels, i));
		const json_t *s = json_array_get(scores, i);
		if (!l || !json_is_number(s)) {
			json_decref(map);
			return NULL;
		}
		json_object_set_new(map, l, json_real(json_number_value(s)));
		if (!best || json_number_value(s) > top)
			best = l, top = json_number_value(s);
	}
	return json_pack("{s:s,s:o}", "label", best, "scores", map);
}

json_t *oip_remote_output(const json_t *answer)
{
	const json_t *outputs = json_object_get(answer, "outputs");
	if (!json_is_array(outputs))
		return NULL;
	const json_t *labels = tensor(outputs, "labels"), *scores = tensor(outputs, "scores");
	json_t *out = labels && scores ? labels_scores(labels, scores) : NULL;
	const json_t *label = tensor(outputs, "label");
	if (!out && !scores && json_array_size(label) == 1 &&
	    json_is_string(json_array_get(label, 0)))
		out = json_pack("{s:O}", "label", json_array_get(label, 0));
	return out ? out : json_pack("{s:O}", "outputs", outputs);
}

/* ---- the calls ---- */

typedef struct answer_buf {
	char *data;
	size_t len;
	bool over;
} answer_buf;

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	answer_buf *b = ctx;
	size_t len = size * n;
	if (b->len + len > OIP_REMOTE_MAX_ANSWER) {
		b->over = true;
		return 0;
	}
	char *grown = realloc(b->data, b->len + len + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, p, len);
	b->data = grown;
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* One call; the status in *status (0 when none came). */
static CURLcode call(const char *url, const char *body, int64_t timeout_ms, answer_buf *b,
		     long *status)
{
	CURL *h = curl_easy_init();
	if (!h)
		return CURLE_OUT_OF_MEMORY;
	struct curl_slist *hdr =
	    body ? curl_slist_append(NULL, "Content-Type: application/json") : NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	}
	CURLcode rc = curl_easy_perform(h);
	*status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc;
}

bool oip_remote_ready(int port, int64_t timeout_ms)
{
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v2/health/ready", port);
	answer_buf b = {0};
	long status;
	CURLcode rc = call(url, NULL, timeout_ms, &b, &status);
	free(b.data);
	return rc == CURLE_OK && status == 200;
}

int oip_remote_infer(int port, const char *model, const json_t *input, int64_t timeout_ms,
		     json_t **out, cl_error *err)
{
	*out = NULL;
	json_t *req = oip_remote_request(input);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return cl_fail(err, CL_EINVAL, NULL,
			       "an input holds \"text\" or \"image_bytes_b64\"");
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v2/models/%s/infer", port, model);
	answer_buf b = {0};
	long status;
	CURLcode rc = call(url, body, timeout_ms, &b, &status);
	free(body);
	json_error_t je;
	json_t *answer = rc == CURLE_OK && b.data ? json_read(b.data, b.len, 0, &je) : NULL;
	free(b.data);
	if (rc != CURLE_OK || status != 200 || !(*out = oip_remote_output(answer))) {
		json_decref(answer);
		if (rc != CURLE_OK)
			return cl_fail(err, CL_EUNAVAIL, "model_server_error",
				       "the model server does not answer: %s",
				       b.over ? "its answer is too big" : curl_easy_strerror(rc));
		return cl_fail(err, CL_EUNAVAIL, "model_server_error",
			       "the model server answered %ld%s", status,
			       status == 200 ? " without the protocol's \"outputs\"" : "");
	}
	json_decref(answer);
	return 0;
}
