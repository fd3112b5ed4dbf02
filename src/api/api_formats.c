/* GET /api/v1/formats: what the server takes and gives, from the tables the importer and the
 * exporter themselves use (core/upload_type.h, core/export.h), so that the CLI and the web app
 * keep no list of their own:
 * {"uploads":[{"content_type","also_accepted","extensions","one_item_per_file","description"}],
 *  "exports":[{"name","content_type","extension","kinds","archive","description"}]}. */
#include "api/api.h"
#include "core/export.h"
#include "core/upload_type.h"

/* A NULL-ended list of strings as a JSON array. */
static json_t *strings(const char *const *list)
{
	json_t *a = json_array();
	for (; a && *list; list++)
		if (json_array_append_new(a, json_string(*list))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The names of the task kinds in a bit set (bit 1 << kind). */
static json_t *kind_names(unsigned kinds)
{
	json_t *a = json_array();
	for (int k = 0; a && task_kind_names[k]; k++)
		if ((kinds & (1u << k)) &&
		    json_array_append_new(a, json_string(task_kind_names[k]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *upload_json(const upload_type *t)
{
	return json_pack("{s:s, s:o*, s:o*, s:b, s:s}", "content_type", t->content_type,
			 "also_accepted", strings(t->aliases), "extensions", strings(t->extensions),
			 "one_item_per_file", t->one_item_per_file, "description", t->description);
}

static json_t *export_json(const export_format_info *f)
{
	return json_pack("{s:s, s:s, s:s, s:o*, s:b, s:s}", "name", f->name, "content_type",
			 f->content_type, "extension", f->extension, "kinds", kind_names(f->kinds),
			 "archive", f->archive, "description", f->description);
}

json_t *api_formats_answer(void)
{
	json_t *uploads = json_array(), *exports = json_array();
	int rc = uploads && exports ? 0 : -1;
	for (size_t i = 0; !rc && i < upload_types_count; i++)
		rc = json_array_append_new(uploads, upload_json(&upload_types[i]));
	for (size_t i = 0; !rc && i < EXPORT_FORMAT_COUNT; i++)
		rc = json_array_append_new(exports, export_json(&export_formats[i]));
	if (rc) {
		json_decref(uploads);
		json_decref(exports);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "uploads", uploads, "exports", exports);
}

int api_formats(http_request *r)
{
	json_t *answer = api_formats_answer();
	if (!answer)
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	http_json(r, 200, answer);
	return 0;
}
