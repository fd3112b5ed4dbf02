/* Background imports: an upload over the server's size runs off the HTTP threads
 * (core/import_runs.c); its progress and end are read, and it is cancelled, by its id. */
#include "api/api.h"
#include "core/import_job.h"
#include "core/import_runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A background import's upload, taken from its request: the spooled files are its own now and
 * are removed when it ends. */
typedef struct bg_import {
	app *a;
	project p;
	size_t n;
	import_file *parts;
	http_spool *spools;
	char **names; /* each part's source and content type, owned */
} bg_import;

static void bg_free(void *ctx)
{
	bg_import *b = ctx;
	for (size_t i = 0; i < b->n; i++) {
		http_spool_release(&b->spools[i]);
		free(b->names[2 * i]);
		free(b->names[2 * i + 1]);
	}
	free(b->parts);
	free(b->spools);
	free(b->names);
	project_release(&b->p);
	free(b);
}

static int bg_storing(void *job, cl_error *err)
{
	return import_job_storing(job, err);
}

static int bg_work(import_job *job, void *ctx, import_progress *pr, json_t *report, cl_error *err)
{
	bg_import *b = ctx;
	json_t *fresh = import_report_new();
	json_object_update(report, fresh);
	json_decref(fresh);
	return api_import_whole(b->a, &b->p, b->parts, b->n, pr, bg_storing, job,
				import_job_record(job), report, err);
}

/* The request's upload size: the body's, or its files' together. */
static size_t upload_size(const http_request *r)
{
	size_t n = r->upload.len;
	for (const http_file *f = r->files; f; f = f->next)
		n += f->data.len;
	return n;
}

bool api_imports_wanted(http_request *r)
{
	const app *a = api_app(r);
	size_t over =
	    a->import_background_bytes ? a->import_background_bytes : API_IMPORT_BACKGROUND;
	return a->imports && upload_size(r) > over;
}

static bg_import *bg_new(app *a, const project *p, size_t n)
{
	bg_import *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->a = a;
	project_init(&b->p);
	project_copy(&b->p, p);
	b->parts = calloc(n, sizeof *b->parts);
	b->spools = calloc(n, sizeof *b->spools);
	b->names = calloc(2 * n, sizeof *b->names);
	if (!b->parts || !b->spools || !b->names) {
		bg_free(b);
		return NULL;
	}
	return b;
}

/* Takes `sp` from the request into part b->n. */
static void bg_take(bg_import *b, http_spool *sp, const char *source, const char *type)
{
	size_t i = b->n++;
	b->spools[i] = *sp;
	sp->fd = -1;
	sp->data = NULL;
	sp->len = 0;
	b->names[2 * i] = strdup(source);
	b->names[2 * i + 1] = type ? strdup(type) : NULL;
	b->parts[i] = (import_file){b->names[2 * i], b->spools[i].data, b->spools[i].len,
				    b->names[2 * i + 1]};
}

/* The body's type and source, as the import in the request reads them; CL_EMEDIA without a
 * type. */
static int body_names(http_request *r, char type[128], char source[256])
{
	api_body_type_and_source(r, type, source);
	return type[0] ? 0
		       : http_fail(r, CL_EMEDIA, NULL, "say what the body is with Content-Type");
}

/* The request's uploads as a background import's context; NULL after answering why not. */
static bg_import *bg_from_request(http_request *r)
{
	size_t n = 0;
	for (const http_file *f = r->files; f; f = f->next)
		n++;
	char type[128], source[256];
	if (!n && body_names(r, type, source))
		return NULL;
	bg_import *b = bg_new(api_app(r), &api_scope_of(r)->project, n ? n : 1);
	if (!b) {
		http_fail(r, CL_ENOMEM, NULL, "out of memory");
		return NULL;
	}
	if (!n)
		bg_take(b, &r->upload, source, type);
	for (http_file *f = r->files; f; f = f->next)
		bg_take(b, &f->data, f->filename ? f->filename : "",
			NULL); /* typed by name and bytes */
	for (size_t i = 0; i < b->n; i++)
		if (!b->names[2 * i] || (!r->files && !b->names[2 * i + 1])) {
			bg_free(b);
			http_fail(r, CL_ENOMEM, NULL, "out of memory");
			return NULL;
		}
	return b;
}

int api_imports_start(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	int64_t size = (int64_t)upload_size(r);
	bg_import *b = bg_from_request(r);
	if (!b)
		return r->err.code;
	import_request req = {p->id, size, bg_work, b, bg_free};
	int64_t id;
	int rc = import_runs_start(api_app(r)->imports, &req, &id, &r->err);
	if (rc)
		return rc;
	json_t *o = import_runs_get(api_app(r)->imports, p->id, id);
	/* Forgotten already only if a thousand others ended meanwhile; its id still says where. */
	http_json(
	    r, 202,
	    o ? o : json_pack("{s:I,s:I}", "id", (json_int_t)id, "project_id", (json_int_t)p->id));
	return 0;
}

int api_imports_get(http_request *r)
{
	app *a = api_app(r);
	json_t *o = a->imports ? import_runs_get(a->imports, r->ids[0], r->ids[1]) : NULL;
	if (!o)
		return http_fail(r, CL_ENOTFOUND, NULL, "import not found");
	http_json(r, 200, o);
	return 0;
}

int api_imports_cancel(http_request *r)
{
	app *a = api_app(r);
	if (!a->imports)
		return http_fail(r, CL_ENOTFOUND, NULL, "import not found");
	int rc = import_runs_cancel(a->imports, r->ids[0], r->ids[1], &r->err);
	if (rc)
		return rc;
	return api_imports_get(r);
}
