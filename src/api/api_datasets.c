/* Dataset versions (create, list, describe, diff, delete) and every export: a version's or the
 * live project's approved annotations in any format of core/export.h, streamed as a chunked
 * answer in constant memory. Rows come from a read snapshot on a connection of its own, the
 * writer turns each into bytes as the client reads; a failure mid-stream (a missing image, a
 * store error) aborts the chunked answer so the client sees a broken stream, never a clean end
 * of a cut file. */
#include "api/api.h"
#include "core/export.h"
#include "core/dataset.h"
#include "store/blobs.h"
#include "util/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIFF_LIMIT_DEFAULT 1000
#define DIFF_LIMIT_MAX 10000
#define EXPORT_BLOB_MAX (64u << 20)

int api_datasets_create(http_request *r)
{
	json_t *body = NULL, *out = NULL;
	int rc = 0;
	/* An empty body takes every default. */
	if (r->body.len && (rc = http_body_json(r, &body)))
		goto out;
	dataset_ratios ratios;
	if ((rc = dataset_ratios_parse(json_object_get(body, "split"), &ratios, &r->err)))
		goto out;
	json_t *note = json_object_get(body, "note");
	if (note && json_string_length(note) > 1000) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"note\" must be a string up to 1000 bytes");
		goto out;
	}
	int64_t id;
	rc = dataset_seal(&api_app(r)->store, &api_scope_of(r)->project, &ratios,
			  note ? json_string_value(note) : "", r->user.id, &id, &r->err);
	if (!rc && !(out = store_dataset_get(api_app(r)->db, id, &(int64_t){0})))
		rc = http_fail(r, CL_EINTERNAL, NULL, "the new version cannot be read");
	if (!rc) {
		http_json(r, 201, out);
		out = NULL;
	}
out:
	json_decref(body);
	json_decref(out);
	return rc;
}

int api_datasets_list(http_request *r)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		http_json_page(
		    r, store_datasets_list(api_app(r)->db, r->ids[0], cursor, limit, desc, &next),
		    &next);
	return rc;
}

int api_datasets_get(http_request *r)
{
	http_json(r, 200, json_incref(api_scope_of(r)->object));
	return 0;
}

int api_datasets_diff(http_request *r)
{
	json_t *other = NULL;
	int64_t against = 0, limit = 0, other_project = 0;
	int rc = http_query_id(r, "against", &against);
	if (!rc)
		rc = http_query_id(r, "limit", &limit);
	if (!rc && !against)
		rc = http_fail(r, CL_EINVAL, NULL, "say which version to compare with: ?against=ID");
	if (!rc && limit > DIFF_LIMIT_MAX)
		rc = http_fail(r, CL_EINVAL, NULL, "limit is at most %d", DIFF_LIMIT_MAX);
	if (!rc) {
		other = store_dataset_get(api_app(r)->db, against, &other_project);
		/* Versions of another project are as unknown as missing ones. */
		if (!other || other_project != api_scope_of(r)->project.id)
			rc = http_fail(r, CL_ENOTFOUND, NULL,
				       "dataset %lld is not a version of this project",
				       (long long)against);
	}
	if (!rc)
		http_json(r, 200,
			  store_dataset_diff(api_app(r)->db, r->ids[0], against,
					     limit ? (int)limit : DIFF_LIMIT_DEFAULT));
	json_decref(other);
	return rc;
}

/* The project's managers, or the engineer who made it (routes.c). */
int api_datasets_delete(http_request *r)
{
	int rc = store_dataset_delete(api_app(r)->db, r->ids[0], &r->err);
	if (!rc)
		http_no_content(r);
	return rc;
}

/* ---- streamed export ---- */

typedef struct export_stream {
	char data_dir[2048];
	store_rows *rows;
	dataset_rows cons; /* the rows, an item's consolidated into one when the export asks */
	export_writer *w;
	buf pending;
	size_t sent;
	bool done;
	char what[64];
} export_stream;

static int store_next(void *rows, export_row *row)
{
	return store_rows_next(rows, row);
}

static int source_next(void *ctx, export_row *row)
{
	return dataset_rows_next(&((export_stream *)ctx)->cons, row);
}

static int source_rewind(void *ctx)
{
	export_stream *x = ctx;
	dataset_rows_rewind(&x->cons);
	return store_rows_rewind(x->rows);
}

static int source_blob(void *ctx, const export_row *row, buf *out)
{
	export_stream *x = ctx;
	char path[4096];
	out->len = 0;
	if (!row->blob || blob_path(x->data_dir, row->blob, path, sizeof path))
		return CL_ENOTFOUND;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CL_ENOTFOUND;
	int rc = 0;
	char chunk[64 * 1024];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n <= 0) {
			rc = n < 0 ? CL_EINTERNAL : 0;
			break;
		}
		if (out->len + (size_t)n > EXPORT_BLOB_MAX) {
			rc = CL_ETOOBIG;
			break;
		}
		if ((rc = buf_append(out, chunk, (size_t)n)))
			break;
	}
	close(fd);
	return rc;
}

static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	export_stream *x = cls;
	/* What the last call could not send moves to the front, so the buffer stays about one
	 * block long instead of growing by each call's overshoot. */
	if (x->sent) {
		memmove(x->pending.data, x->pending.data + x->sent, x->pending.len - x->sent);
		x->pending.len -= x->sent;
		x->sent = 0;
	}
	while (x->pending.len < max && !x->done) {
		int rc = export_writer_step(x->w, &x->pending);
		if (rc < 0) {
			log_error("msg=\"export failed\" export=%s rows=%lld error=\"%s\"", x->what,
				  (long long)export_writer_rows(x->w), export_writer_error(x->w));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (rc == 0)
			x->done = true;
	}
	size_t avail = x->pending.len - x->sent;
	if (!avail)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = avail < max ? avail : max;
	memcpy(out, x->pending.data + x->sent, n);
	x->sent += n;
	if (x->sent == x->pending.len) {
		x->pending.len = 0;
		x->sent = 0;
	}
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	export_stream *x = cls;
	export_writer_free(x->w);
	store_rows_close(x->rows);
	dataset_rows_release(&x->cons);
	buf_release(&x->pending);
	free(x);
}

/* The `pairs` query of a preference_pairs export: "decided" (the default: ties and pairs no
 * majority of the annotators decided are left out) or "all" (kept). */
static int pairs_option(http_request *r, export_format f, bool *all_pairs)
{
	const char *pairs = http_query(r, "pairs");
	*all_pairs = pairs && !strcmp(pairs, "all");
	if (pairs && strcmp(pairs, "all") && strcmp(pairs, "decided"))
		return http_fail(r, CL_EINVAL, NULL, "pairs must be decided or all");
	if (pairs && f != EXPORT_PREFERENCE_PAIRS)
		return http_fail(r, CL_EINVAL, NULL, "pairs applies to the preference_pairs format");
	return 0;
}

/* Answers the export of a project's approved tasks (dataset_id 0) or of a version, in the
 * format and with the images that the query asks for. */
static int export_answer(http_request *r, const project *p, int64_t dataset_id, task_kind kind,
			 const json_t *labels)
{
	const char *name = http_query(r, "format");
	export_format f = EXPORT_JSONL;
	if (name && export_format_parse(name, &f))
		return http_fail(r, CL_EINVAL, "unknown_format",
				 "unknown export format \"%.32s\" (jsonl, csv, coco, yolo, voc, "
				 "conll, labelstudio, preference_pairs, chat, ocr_tsv)",
				 name);
	if (!export_format_supports(f, kind))
		return http_fail(r, CL_EINVAL, "unsupported_format",
				 "%s cannot hold %s annotations", export_format_name(f),
				 task_kind_name(kind));
	const char *images = http_query(r, "images");
	bool with_images = export_format_is_archive(f);
	if (images) {
		if (strcmp(images, "true") && strcmp(images, "false"))
			return http_fail(r, CL_EINVAL, NULL, "images must be true or false");
		with_images = !strcmp(images, "true");
		if (with_images && !export_format_is_archive(f))
			return http_fail(r, CL_EINVAL, NULL,
					 "only the yolo and voc archives can carry the images");
	}

	/* Consolidated answers are the product; every annotator's own is there for whoever
	 * studies the crowd. A version holds what it sealed. */
	const char *answers = http_query(r, "answers");
	if (answers && strcmp(answers, "consolidated") && (strcmp(answers, "all") || dataset_id))
		return http_fail(r, CL_EINVAL, NULL,
				 dataset_id ? "a dataset version holds consolidated answers only"
					    : "answers must be consolidated or all");
	bool all_answers = answers && !strcmp(answers, "all");
	bool all_pairs;
	int rc = pairs_option(r, f, &all_pairs);
	if (rc)
		return rc;

	export_stream *x = calloc(1, sizeof *x);
	if (!x)
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	snprintf(x->data_dir, sizeof x->data_dir, "%s", api_app(r)->data_dir);
	snprintf(x->what, sizeof x->what, "%s-%lld.%s", dataset_id ? "dataset" : "project",
		 (long long)(dataset_id ? dataset_id : p->id), export_format_name(f));
	buf_init(&x->pending, 0);
	/* A version's rows are already what it sealed: one per item when consolidated. */
	bool grouped = !dataset_id && dataset_export_grouped(p, all_answers);
	x->rows = dataset_id ? store_dataset_rows_open(api_app(r)->db, dataset_id)
			     : store_rows_open(api_app(r)->db, p->id,
					       grouped ? ROWS_BY_ITEM : ROWS_BY_TASK);
	dataset_rows_init(&x->cons, p, grouped, store_next, x->rows);
	export_options o = {.format = f,
			    .kind = kind,
			    .labels = labels,
			    .with_images = with_images,
			    .all_pairs = all_pairs};
	export_source src = {source_next, source_rewind, source_blob, x};
	if (!x->rows || export_writer_new(&o, &src, &x->w)) {
		export_free(x);
		return http_fail(r, CL_EINTERNAL, NULL, "cannot open the export");
	}
	r->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, export_read,
							 x, export_free);
	if (!r->response) {
		export_free(x);
		return http_fail(r, CL_EINTERNAL, NULL, "cannot start the export");
	}
	r->status = 200;
	http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, export_content_type(f));
	char disp[160];
	snprintf(disp, sizeof disp, "attachment; filename=\"%s-%lld%s.%s\"",
		 dataset_id ? "dataset" : "project", (long long)(dataset_id ? dataset_id : p->id),
		 f == EXPORT_COCO ? "-coco" : f == EXPORT_LABELSTUDIO ? "-labelstudio" : "",
		 export_extension(f));
	http_header(r, "Content-Disposition", disp);
	return 0;
}

/* A reason an export leaves approved tasks out, listed when it leaves some. */
static void left_out(json_t *list, const char *reason, int64_t tasks)
{
	if (tasks)
		json_array_append_new(
		    list, json_pack("{s:s,s:I}", "reason", reason, "tasks", (json_int_t)tasks));
}

/* {"rows","approved","consolidated","left_out":[{"reason":"gold"|"unfinished_overlap","tasks"}]}
 * with only the reasons that leave something out (NULL out of memory). */
static json_t *export_summary_json(const export_summary *s)
{
	json_t *list = json_array();
	left_out(list, "gold", s->gold_left_out);
	if (s->finished_only)
		left_out(list, "unfinished_overlap", s->unfinished_left_out);
	return json_pack("{s:I,s:I,s:b,s:o}", "rows", (json_int_t)s->rows, "approved",
			 (json_int_t)s->approved, "consolidated", s->consolidated, "left_out", list);
}

int api_projects_export_summary(http_request *r)
{
	const char *answers = http_query(r, "answers"), *of = http_query(r, "for");
	if (answers && strcmp(answers, "consolidated") && strcmp(answers, "all"))
		return http_fail(r, CL_EINVAL, NULL, "answers must be consolidated or all");
	if (of && strcmp(of, "export") && strcmp(of, "dataset"))
		return http_fail(r, CL_EINVAL, NULL, "for must be export or dataset");
	bool snapshot = of && !strcmp(of, "dataset");
	if (snapshot && answers && !strcmp(answers, "all"))
		return http_fail(r, CL_EINVAL, NULL,
				 "a dataset version holds consolidated answers only");
	export_summary sum;
	dataset_export_summary_read(&api_app(r)->store, &api_scope_of(r)->project, snapshot,
				    answers && !strcmp(answers, "all"), &sum);
	json_t *out = export_summary_json(&sum);
	if (!out)
		return http_fail(r, CL_ENOMEM, NULL, "the answer does not fit in memory");
	http_json(r, 200, out);
	return 0;
}

int api_projects_export(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	return export_answer(r, p, 0, p->kind, p->labels);
}

int api_datasets_export(http_request *r)
{
	const api_scope *s = api_scope_of(r);
	task_kind kind = KIND_TEXT_CLASS;
	if (task_kind_parse(json_string_value(json_object_get(s->object, "kind")), &kind))
		return http_fail(r, CL_EINTERNAL, NULL, "the version's kind is unknown");
	/* The version's own label list: the project's may have grown since. */
	return export_answer(r, &s->project, r->ids[0], kind, json_object_get(s->object, "labels"));
}
