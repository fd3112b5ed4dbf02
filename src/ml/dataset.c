/* Reading a trainer's dataset directory: project.json and rows.jsonl. */
#include "ml/dataset.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_read.h"

static const char *const split_names[ML_SPLITS] = {"train", "validation", "test"};

int ml_dataset_label(const ml_dataset *d, const char *name)
{
	for (size_t i = 0; name && i < d->nlabels; i++)
		if (!strcmp(d->labels[i], name))
			return (int)i;
	return -1;
}

static json_t *load_json_file(const char *path, cl_error *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		cl_fail(err, CL_EINVAL, "bad_dataset", "%s: %s", path, je.text);
	return j;
}

static int read_labels(ml_dataset *d, const json_t *labels, cl_error *err)
{
	size_t i;
	json_t *v;
	if (!json_is_array(labels) || !json_array_size(labels))
		return cl_fail(err, CL_EINVAL, "bad_dataset",
			       "project.json: labels must be a list");
	if (json_array_size(labels) > ML_DATASET_MAX_LABELS)
		return cl_fail(err, CL_ETOOBIG, "bad_dataset", "project.json: more than %d labels",
			       ML_DATASET_MAX_LABELS);
	d->labels = calloc(json_array_size(labels), sizeof *d->labels);
	if (!d->labels)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	json_array_foreach(labels, i, v)
	{
		if (!json_is_string(v) || ml_dataset_label(d, json_string_value(v)) >= 0)
			return cl_fail(err, CL_EINVAL, "bad_dataset",
				       "project.json: labels[%zu] must be a new string", i);
		if (!(d->labels[d->nlabels++] = strdup(json_string_value(v))))
			return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	return CL_OK;
}

static int read_project(ml_dataset *d, const char *dir, cl_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/project.json", dir);
	json_t *p = load_json_file(path, err);
	if (!p)
		return err->code;
	const char *kind = json_string_value(json_object_get(p, "kind"));
	int rc = CL_OK;
	if (!kind || strlen(kind) >= sizeof d->kind)
		rc = cl_fail(err, CL_EINVAL, "bad_dataset", "project.json: kind is missing");
	else
		snprintf(d->kind, sizeof d->kind, "%s", kind);
	d->multi_label = json_is_true(json_object_get(p, "multi_label"));
	if (!rc)
		rc = read_labels(d, json_object_get(p, "labels"), err);
	json_decref(p);
	return rc;
}

static int row_classes(const ml_dataset *d, ml_row *r, const json_t *labels, cl_error *err)
{
	size_t i;
	json_t *v;
	if (!json_is_array(labels) || !json_array_size(labels) ||
	    (!d->multi_label && json_array_size(labels) != 1))
		return cl_fail(err, CL_EINVAL, "bad_dataset", "annotation.labels must hold %s",
			       d->multi_label ? "labels" : "one label");
	if (!(r->labels = calloc(json_array_size(labels), sizeof *r->labels)))
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	json_array_foreach(labels, i, v)
	{
		int k = ml_dataset_label(d, json_string_value(v));
		if (k < 0)
			return cl_fail(err, CL_EINVAL, "bad_dataset",
				       "annotation.labels[%zu] is not one of the project's labels",
				       i);
		r->labels[r->nlabels++] = k;
	}
	return CL_OK;
}

static int row_spans(const ml_dataset *d, ml_row *r, const json_t *spans, cl_error *err)
{
	size_t i;
	json_t *s;
	if (!json_is_array(spans))
		return cl_fail(err, CL_EINVAL, "bad_dataset", "annotation.spans must be a list");
	if (json_array_size(spans) &&
	    !(r->spans = calloc(json_array_size(spans), sizeof *r->spans)))
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	json_array_foreach(spans, i, s)
	{
		json_int_t start = json_integer_value(json_object_get(s, "start"));
		json_int_t end = json_integer_value(json_object_get(s, "end"));
		int k = ml_dataset_label(d, json_string_value(json_object_get(s, "label")));
		if (k < 0 || start < 0 || end <= start || end > INT_MAX)
			return cl_fail(err, CL_EINVAL, "bad_dataset",
				       "annotation.spans[%zu] is not a "
				       "span of the project's labels",
				       i);
		r->spans[r->nspans++] = (ml_span){(int)start, (int)end, k};
	}
	return CL_OK;
}

/* The image path joined to dir: relative, and never leaving the directory. */
static int row_image(ml_row *r, const char *dir, const char *image, cl_error *err)
{
	if (!image || !*image || image[0] == '/' || strstr(image, "..") ||
	    strlen(image) > PATH_MAX / 2)
		return cl_fail(err, CL_EINVAL, "bad_dataset",
			       "image must be a path inside the dataset directory");
	if (asprintf(&r->image, "%s/%s", dir, image) < 0) {
		r->image = NULL;
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	return CL_OK;
}

static int row_content(const ml_dataset *d, ml_row *r, const json_t *j, const char *dir,
		       cl_error *err)
{
	if (!strcmp(d->kind, "image_class"))
		return row_image(r, dir, json_string_value(json_object_get(j, "image")), err);
	const char *text = json_string_value(json_object_get(j, "text"));
	if (!text)
		return cl_fail(err, CL_EINVAL, "bad_dataset", "text is missing");
	if (!(r->text = strdup(text)))
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	return CL_OK;
}

static int row_read(const ml_dataset *d, ml_row *r, const json_t *j, const char *dir, cl_error *err)
{
	const json_t *a = json_object_get(j, "annotation");
	int rc = row_content(d, r, j, dir, err);
	if (rc)
		return rc;
	if (!json_is_object(a))
		return cl_fail(err, CL_EINVAL, "bad_dataset", "annotation must be an object");
	if (!strcmp(d->kind, "text_spans"))
		return row_spans(d, r, json_object_get(a, "spans"), err);
	return row_classes(d, r, json_object_get(a, "labels"), err);
}

static void row_release(ml_row *r)
{
	free(r->text);
	free(r->image);
	free(r->labels);
	free(r->spans);
}

static int split_of(const json_t *j)
{
	const char *s = json_string_value(json_object_get(j, "split"));
	for (int i = 0; s && i < ML_SPLITS; i++)
		if (!strcmp(s, split_names[i]))
			return i;
	return -1;
}

static int grow_rows(ml_dataset *d, size_t *cap, cl_error *err)
{
	if (d->nrows < *cap)
		return CL_OK;
	if (d->nrows >= ML_DATASET_MAX_ROWS)
		return cl_fail(err, CL_ETOOBIG, "bad_dataset", "rows.jsonl: more than %d rows",
			       ML_DATASET_MAX_ROWS);
	size_t n = *cap ? *cap * 2 : 1024;
	ml_row *rows = realloc(d->rows, n * sizeof *rows);
	if (!rows)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	d->rows = rows;
	*cap = n;
	return CL_OK;
}

/* One line of rows.jsonl; rows of other splits are skipped. */
static int read_line(ml_dataset *d, const char *line, size_t len, const char *dir, size_t *cap,
		     cl_error *err)
{
	json_error_t je;
	json_t *j = json_read(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return cl_fail(err, CL_EINVAL, "bad_dataset", "%s", je.text);
	int split = split_of(j), rc = CL_OK;
	if (split >= 0 && !(rc = grow_rows(d, cap, err))) {
		ml_row *r = &d->rows[d->nrows];
		*r = (ml_row){.split = (ml_split)split,
			      .item_id = json_integer_value(json_object_get(j, "item_id"))};
		rc = row_read(d, r, j, dir, err);
		if (rc)
			row_release(r);
		else
			d->count[d->rows[d->nrows++].split]++;
	}
	json_decref(j);
	return rc;
}

static int read_rows(ml_dataset *d, const char *dir, cl_error *err)
{
	char path[PATH_MAX], *line = NULL;
	size_t size = 0, cap = 0, lineno = 0;
	ssize_t len;
	int rc = CL_OK;
	snprintf(path, sizeof path, "%s/rows.jsonl", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return cl_fail(err, CL_EINVAL, "bad_dataset", "%s: cannot be read", path);
	while (!rc && (len = getline(&line, &size, f)) >= 0) {
		lineno++;
		if ((size_t)len > ML_DATASET_MAX_LINE)
			rc = cl_fail(err, CL_ETOOBIG, "bad_dataset", "longer than %u bytes",
				     ML_DATASET_MAX_LINE);
		else if (len > 1 || (len == 1 && line[0] != '\n'))
			rc = read_line(d, line, (size_t)len, dir, &cap, err);
	}
	if (rc) {
		char why[sizeof err->message];
		snprintf(why, sizeof why, "%s", err->message);
		cl_fail(err, rc, "bad_dataset", "rows.jsonl line %zu: %s", lineno, why);
	}
	free(line);
	fclose(f);
	return rc;
}

int ml_dataset_load(const char *dir, ml_dataset *d, cl_error *err)
{
	*d = (ml_dataset){0};
	int rc = read_project(d, dir, err);
	if (!rc)
		rc = read_rows(d, dir, err);
	if (rc)
		ml_dataset_release(d);
	return rc;
}

void ml_dataset_release(ml_dataset *d)
{
	for (size_t i = 0; i < d->nrows; i++)
		row_release(&d->rows[i]);
	for (size_t i = 0; i < d->nlabels; i++)
		free(d->labels[i]);
	free(d->rows);
	free(d->labels);
	*d = (ml_dataset){0};
}
