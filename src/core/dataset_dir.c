/* Writing a dataset version as a job's dataset directory (dataset_dir.h). */
#include "core/dataset_dir.h"
#include "util/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/export.h"

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), rc = 0;
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char chunk[64 * 1024];
	ssize_t n;
	if (in < 0 || out < 0)
		rc = CL_EINTERNAL;
	while (!rc && (n = read(in, chunk, sizeof chunk)) > 0)
		if (write(out, chunk, (size_t)n) != n)
			rc = CL_EINTERNAL;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		rc = CL_EINTERNAL;
	return rc;
}

/* One row of rows.jsonl; an image row's file is copied under images/. */
static int row_write(const store *s, const export_row *row, const char *data_dir,
		     const char *dir, FILE *f)
{
	json_t *annotation = json_loads(row->annotation, JSON_DECODE_ANY, NULL);
	json_t *o = json_pack("{s:I,s:s,s:o}", "item_id", (json_int_t)row->item_id, "split",
			      row->split ? row->split : "train", "annotation",
			      annotation ? annotation : json_null());
	int rc = o ? 0 : CL_ENOMEM;
	if (!rc && row->type == ITEM_IMAGE) {
		char rel[64], blob[4096], to[4096];
		snprintf(rel, sizeof rel, "images/%lld.%s", (long long)row->item_id,
			 export_image_extension(row->mime));
		snprintf(to, sizeof to, "%s/%s", dir, rel);
		if (!row->blob || s->ops->blob_file(data_dir, row->blob, blob, sizeof blob) ||
		    copy_file(blob, to))
			rc = CL_EINTERNAL;
		json_object_set_new(o, "image", json_string(rel));
	} else if (!rc) {
		json_object_set_new(o, "text", json_string(row->text ? row->text : ""));
	}
	if (!rc && (json_dumpf(o, f, JSON_COMPACT) || fputc('\n', f) == EOF))
		rc = CL_EINTERNAL;
	json_decref(o);
	return rc;
}

static int rows_write(const store *s, int64_t dataset_id, const char *data_dir,
		      const char *dir, cl_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/rows.jsonl", dir);
	FILE *f = fopen(path, "we");
	void *rows = s->ops->dataset_rows_open(s->db, dataset_id);
	int rc = f && rows ? 0 : CL_EINTERNAL, more;
	export_row row;
	while (!rc && (more = s->ops->dataset_rows_next(rows, &row)) > 0)
		rc = row_write(s, &row, data_dir, dir, f);
	if (!rc && more < 0)
		rc = CL_EINTERNAL;
	if (rows)
		s->ops->dataset_rows_close(rows);
	if (f && fclose(f) && !rc)
		rc = CL_EINTERNAL;
	return rc ? cl_fail(err, rc, NULL, "cannot write the dataset's rows") : 0;
}

int dataset_dir_write(const store *s, int64_t dataset_id, const char *data_dir, const char *dir,
		      cl_error *err)
{
	char *description = s->ops->dataset_description(s->db, dataset_id);
	if (!description)
		return cl_fail(err, CL_ENOTFOUND, NULL, "dataset version %lld not found",
			       (long long)dataset_id);
	char path[4096];
	snprintf(path, sizeof path, "%s/images", dir);
	int rc = fs_make_dirs(path) ? CL_EINTERNAL : 0;
	snprintf(path, sizeof path, "%s/project.json", dir);
	FILE *f = rc ? NULL : fopen(path, "we");
	if (!f || fputs(description, f) == EOF || fputc('\n', f) == EOF)
		rc = CL_EINTERNAL;
	if (f && fclose(f))
		rc = CL_EINTERNAL;
	free(description);
	if (rc)
		return cl_fail(err, rc, NULL, "cannot write %s", path);
	return rows_write(s, dataset_id, data_dir, dir, err);
}
