/* A project's settings saved, with the rule that labels in use stay. */
#include "core/project_change.h"
#include "core/project_load.h"

struct update_job {
	const store_ops *ops;
	const project *p;
};

/* The first of `old` that p no longer has, NULL when p keeps them all. */
static const char *label_dropped(const project *p, const json_t *old)
{
	size_t i;
	json_t *l;
	json_array_foreach(old, i, l)
	{
		if (!project_has_label(p, json_string_value(l)))
			return json_string_value(l);
	}
	return NULL;
}

static int update_job(store_tx *tx, void *ctx, cl_error *err)
{
	struct update_job *j = ctx;
	json_t *old = NULL;
	bool labeled = false;
	if (j->ops->project_labels(tx, j->p->id, &old, &labeled))
		return cl_fail(err, CL_ENOTFOUND, NULL, "project not found");
	const char *dropped = labeled ? label_dropped(j->p, old) : NULL;
	int rc = dropped ? cl_fail(err, CL_ECONFLICT, "labels_in_use",
				   "label \"%s\" is in use and cannot be removed", dropped)
			 : project_save(j->ops, tx, j->p, err);
	json_decref(old);
	return rc;
}

int project_update(const store *s, const project *p, cl_error *err)
{
	struct update_job j = {s->ops, p};
	return s->ops->write(s->db, update_job, &j, err);
}
