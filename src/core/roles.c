/* Promotions and demotions: the thresholds are core/quality.c's (quality_should_promote,
 * quality_should_demote), read against the worker's counted figures. */
#include "core/roles.h"
#include "core/quality.h"
#include "core/quality_settings.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

/* Records a role change with its figures (stolen). */
static int role_changed(store_tx *tx, const store_ops *s, int64_t project_id, int64_t user_id,
			const char *change, const char *from, const char *to, json_t *figures,
			int64_t now, cl_error *err)
{
	json_object_set_new(figures, "user_id", json_integer(user_id));
	char *text = json_dumps(figures, JSON_OUT);
	json_decref(figures);
	int rc = s->member_role_set(tx, project_id, user_id, to, err);
	if (!rc)
		rc = s->role_event_add(tx, project_id, user_id, change, from, to, text, now, err);
	free(text);
	return rc;
}

static json_t *promotion_figures(const quality_worker_figures *f)
{
	json_t *fig = json_pack("{s:I,s:I,s:f,s:I,s:I}", "approved", (json_int_t)f->approved,
				"first_pass", (json_int_t)f->first_pass, "first_pass_rate",
				(double)f->first_pass / (double)f->approved, "gold_answers",
				(json_int_t)f->gold_n, "gold_correct", (json_int_t)f->gold_correct);
	if (f->gold_n)
		json_object_set_new(fig, "gold_accuracy",
				    json_real((double)f->gold_correct / (double)f->gold_n));
	return fig;
}

int role_promote_check(store_tx *tx, const store_ops *s, int64_t project_id, int64_t worker_id,
		       int64_t now, cl_error *err)
{
	if (!worker_id)
		return 0;
	char role[16];
	s->member_role(tx, project_id, worker_id, role);
	if (!strcmp(role, "reviewer"))
		return 0;
	quality_settings q;
	quality_settings_of(s, tx, project_id, &q);
	/* Org staff review already; a demoted reviewer is not promoted back automatically. */
	if (!q.auto_promote || s->promotion_barred(tx, project_id, worker_id))
		return 0;
	quality_worker_figures f;
	s->worker_figures(tx, project_id, worker_id, &f);
	if (!quality_should_promote(&q, &f))
		return 0;
	return role_changed(tx, s, project_id, worker_id, "promote", role[0] ? role : "none",
			    "reviewer", promotion_figures(&f), now, err);
}

int role_demote_check(store_tx *tx, const store_ops *s, int64_t project_id, int64_t reviewer_id,
		      int64_t now, cl_error *err)
{
	if (!reviewer_id)
		return 0;
	char role[16];
	s->member_role(tx, project_id, reviewer_id, role);
	if (strcmp(role, "reviewer"))
		return 0; /* org staff and plain workers have no reviewer role to lose */
	quality_settings q;
	quality_settings_of(s, tx, project_id, &q);
	long hp, caught, audits, passed;
	s->reviewer_checks(tx, project_id, reviewer_id, &hp, &caught, &audits, &passed);
	if (!quality_should_demote(&q, hp + audits, caught + passed))
		return 0;
	json_t *fig = json_pack("{s:I,s:I,s:I,s:I,s:f,s:f}", "honeypots", (json_int_t)hp,
				"honeypots_caught", (json_int_t)caught, "audits",
				(json_int_t)audits, "audits_passed", (json_int_t)passed, "accuracy",
				(double)(caught + passed) / (double)(hp + audits), "threshold",
				q.demote_below);
	return role_changed(tx, s, project_id, reviewer_id, "demote", "reviewer", "worker", fig,
			    now, err);
}
