/* The table of model runtimes, and what every runtime's model directory shares: model.json and
 * the answer's scores. */
#include "ml/runtime.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/builtin.h"
#include "ml/ocr_tesseract.h"

static const ml_runtime *const runtimes[] = {
    &ml_runtime_text_linear,  &ml_runtime_text_fasttext,   &ml_runtime_image_hog,
    &ml_runtime_spans_linear, &ml_runtime_langid_fasttext, &ml_runtime_ocr_tesseract,
    NULL,
};

const ml_runtime *ml_runtime_find(const char *name)
{
	for (size_t i = 0; name && runtimes[i]; i++)
		if (!strcmp(runtimes[i]->name, name))
			return runtimes[i];
	return NULL;
}

json_t *ml_model_meta(const char *dir, const char *runtime, cl_error *err)
{
	char path[PATH_MAX];
	json_error_t je;
	snprintf(path, sizeof path, "%s/model.json", dir);
	json_t *meta = json_load_file(path, 0, &je);
	if (!meta) {
		cl_fail(err, CL_EINVAL, "bad_model", "%s: %s", path, je.text);
		return NULL;
	}
	const char *name = json_string_value(json_object_get(meta, "runtime"));
	if (runtime && (!name || strcmp(name, runtime))) {
		cl_fail(err, CL_EINVAL, "bad_model", "%s: not a %s model", path, runtime);
		json_decref(meta);
		return NULL;
	}
	return meta;
}

int ml_model_open(const char *dir, const ml_runtime **rt, ml_model **m, cl_error *err)
{
	json_t *meta = ml_model_meta(dir, NULL, err);
	if (!meta)
		return err->code;
	const char *name = json_string_value(json_object_get(meta, "runtime"));
	*rt = ml_runtime_find(name);
	int rc = *rt ? CL_OK
		     : cl_fail(err, CL_EINVAL, "bad_model", "%s/model.json: no runtime named %.40s",
			       dir, name ? name : "(none)");
	json_decref(meta);
	return rc ? rc : (*rt)->load(dir, m, err);
}

char **ml_model_labels(const json_t *meta, int *n, cl_error *err)
{
	const json_t *labels = json_object_get(meta, "labels");
	size_t i;
	json_t *v;
	char **out = NULL;
	*n = 0;
	if (!json_is_array(labels) || !json_array_size(labels) || json_array_size(labels) > 4096 ||
	    !(out = calloc(json_array_size(labels), sizeof *out))) {
		cl_fail(err, out ? CL_ENOMEM : CL_EINVAL, "bad_model", "model.json: bad labels");
		return NULL;
	}
	json_array_foreach(labels, i, v)
	{
		if (!json_is_string(v) || !(out[i] = strdup(json_string_value(v)))) {
			ml_model_labels_free(out, (int)i);
			cl_fail(err, CL_EINVAL, "bad_model", "model.json: labels[%zu] is bad", i);
			return NULL;
		}
	}
	*n = (int)i;
	return out;
}

void ml_model_labels_free(char **labels, int n)
{
	for (int i = 0; labels && i < n; i++)
		free(labels[i]);
	free(labels);
}

json_t *ml_scores_json(char *const *labels, const double *p, int n, bool multi_label)
{
	json_t *scores = json_object(), *out = json_object();
	int best = 0;
	for (int k = 0; k < n; k++) {
		json_object_set_new(scores, labels[k], json_real(p[k]));
		best = p[k] > p[best] ? k : best;
	}
	if (multi_label) {
		json_t *chosen = json_array();
		for (int k = 0; k < n; k++)
			if (p[k] >= 0.5)
				json_array_append_new(chosen, json_string(labels[k]));
		json_object_set_new(out, "labels", chosen);
	} else {
		json_object_set_new(out, "label", json_string(labels[best]));
	}
	json_object_set_new(out, "scores", scores);
	return out;
}
