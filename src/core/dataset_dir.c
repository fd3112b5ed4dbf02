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

/* ---- one export file ---- */

/* The rows of a version, as an export writer pulls them; rewound by opening them again. */
typedef struct version_rows {
	const store *s;
	int64_t dataset_id;
	const char *data_dir;
	void *rows;
} version_rows;

static int version_next(void *ctx, export_row *row)
{
	version_rows *v = ctx;
	return v->rows ? v->s->ops->dataset_rows_next(v->rows, row) : CL_EINTERNAL;
}

static int version_rewind(void *ctx)
{
	version_rows *v = ctx;
	if (v->rows)
		v->s->ops->dataset_rows_close(v->rows);
	v->rows = v->s->ops->dataset_rows_open(v->s->db, v->dataset_id);
	return v->rows ? 0 : CL_EINTERNAL;
}

static int version_blob(void *ctx, const export_row *row, buf *out)
{
	version_rows *v = ctx;
	char path[4096];
	if (!row->blob || v->s->ops->blob_file(v->data_dir, row->blob, path, sizeof path))
		return CL_ENOTFOUND;
	FILE *f = fopen(path, "rbe");
	char chunk[64 * 1024];
	size_t n;
	int rc = f ? 0 : CL_ENOTFOUND;
	out->len = 0;
	while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = buf_append(out, chunk, n);
	if (f)
		fclose(f);
	return rc;
}

/* Steps the writer into file f to the end. */
static int export_pump(export_writer *w, FILE *f)
{
	buf piece;
	buf_init(&piece, 0);
	int more;
	do {
		piece.len = 0;
		more = export_writer_step(w, &piece);
		if (more >= 0 && piece.len && fwrite(piece.data, 1, piece.len, f) != piece.len)
			more = CL_EINTERNAL;
	} while (more > 0);
	buf_release(&piece);
	return more;
}

/* The export options of a version from its description (project.json). */
static int options_of(const json_t *d, const char *format, export_options *o, cl_error *err)
{
	*o = (export_options){0};
	if (export_format_parse(format, &o->format) ||
	    task_kind_parse(json_string_value(json_object_get(d, "kind")), &o->kind))
		return cl_fail(err, CL_EINVAL, NULL, "unknown format \"%.32s\"", format);
	if (!export_format_supports(o->format, o->kind))
		return cl_fail(err, CL_EINVAL, "unsupported_format", "%s cannot hold %s annotations",
			       format, task_kind_name(o->kind));
	o->labels = json_object_get(d, "labels");
	o->with_images = export_format_is_archive(o->format);
	return 0;
}

int dataset_export_write(const store *s, int64_t dataset_id, const char *data_dir,
			 const char *format, const char *path, cl_error *err)
{
	char *text = s->ops->dataset_description(s->db, dataset_id);
	json_t *d = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!d)
		return cl_fail(err, CL_ENOTFOUND, NULL, "dataset version %lld not found",
			       (long long)dataset_id);
	export_options o;
	version_rows v = {s, dataset_id, data_dir, NULL};
	export_source src = {version_next, version_rewind, version_blob, &v};
	export_writer *w = NULL;
	int rc = options_of(d, format, &o, err);
	if (!rc && (version_rewind(&v) || export_writer_new(&o, &src, &w)))
		rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot start the %s export", format);
	FILE *f = rc ? NULL : fopen(path, "we");
	if (!rc && (!f || export_pump(w, f) < 0))
		rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot write the %s export: %s", format,
			     w ? export_writer_error(w) : "");
	if (f && fclose(f) && !rc)
		rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot write %s", path);
	export_writer_free(w);
	if (v.rows)
		s->ops->dataset_rows_close(v.rows);
	json_decref(d);
	return rc;
}
