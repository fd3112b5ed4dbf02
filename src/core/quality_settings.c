/* Saving a project's quality settings: the incoming members applied over the current ones and
 * checked (every required course must exist), then written, in one transaction. */
#include "core/quality_settings.h"
#include "core/quality.h"
#include "util/json.h"

#include <stdlib.h>

typedef struct settings_job {
	const store_ops *ops;
	int64_t project_id;
	const json_t *in;
	quality_settings s;
} settings_job;

static int settings_put_job(store_tx *tx, void *ctx, cl_error *err)
{
	settings_job *j = ctx;
	j->ops->quality_settings_load(tx, j->project_id, &j->s);
	int rc = quality_settings_apply_json(&j->s, j->in, err);
	for (int i = 0; !rc && i < j->s.n_required; i++)
		if (!j->ops->course_exists(tx, j->s.required_courses[i]))
			rc = cl_fail(err, CL_EINVAL, "unknown_course", "course %lld does not exist",
				     (long long)j->s.required_courses[i]);
	if (rc)
		return rc;
	json_t *o = quality_settings_to_json(&j->s);
	char *text = o ? json_dumps(o, JSON_OUT) : NULL;
	json_decref(o);
	rc = text ? j->ops->quality_settings_save(tx, j->project_id, text, err)
		  : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	free(text);
	return rc;
}

int quality_settings_put(const store *s, int64_t project_id, const json_t *in, json_t **out,
			 cl_error *err)
{
	settings_job j = {.ops = s->ops, .project_id = project_id, .in = in};
	int rc = s->ops->write(s->db, settings_put_job, &j, err);
	*out = rc ? NULL : quality_settings_to_json(&j.s);
	return rc;
}
