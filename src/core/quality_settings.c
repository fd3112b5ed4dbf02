/* Saving a project's quality settings: the incoming members applied over the current ones and
 * checked (every required course must exist), then written, in one transaction. */
#include "core/quality_settings.h"
#include "core/quality.h"
#include "util/json.h"

#include <stdlib.h>

void quality_settings_decode(const char *text, quality_settings *s)
{
	quality_settings_init(s);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (j)
		quality_settings_apply_json(s, j, NULL);
	json_decref(j);
}

/* Settings by project, per connection: claims, submits and approvals read them in every job,
 * so each connection keeps them decoded while its access epoch stays the same. */
#define SETTINGS_MEMO_SLOTS 64
typedef struct settings_memo {
	struct {
		uint64_t epoch;
		int64_t project_id;
		quality_settings s;
	} slot[SETTINGS_MEMO_SLOTS];
} settings_memo;

/* The connection's memo, NULL when it keeps none now (or a backend has no memos). */
static settings_memo *memo_of(const store_ops *ops, store_tx *tx, uint64_t *epoch)
{
	*epoch = ops->access_epoch ? ops->access_epoch(tx) : 0;
	return *epoch ? ops->memo(tx, DB_MEMO_QUALITY, sizeof(settings_memo), NULL) : NULL;
}

void quality_settings_of(const store_ops *ops, store_tx *tx, int64_t project_id,
			 quality_settings *s)
{
	uint64_t epoch;
	settings_memo *m = memo_of(ops, tx, &epoch);
	unsigned i = (unsigned)((uint64_t)project_id % SETTINGS_MEMO_SLOTS);
	if (m && m->slot[i].epoch == epoch && m->slot[i].project_id == project_id) {
		*s = m->slot[i].s;
		return;
	}
	char *text = ops->quality_settings_row(tx, project_id);
	quality_settings_decode(text, s);
	free(text);
	if (m) {
		m->slot[i].epoch = epoch;
		m->slot[i].project_id = project_id;
		m->slot[i].s = *s;
	}
}

void quality_settings_read(const store *st, int64_t project_id, quality_settings *s)
{
	quality_settings_of(st->ops, st->ops->reader(st->db), project_id, s);
}

typedef struct settings_job {
	const store_ops *ops;
	int64_t project_id;
	const json_t *in;
	quality_settings s;
} settings_job;

static int settings_put_job(store_tx *tx, void *ctx, cl_error *err)
{
	settings_job *j = ctx;
	quality_settings_of(j->ops, tx, j->project_id, &j->s);
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
