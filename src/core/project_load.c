/* Projects over the store's rows: the store keeps the columns and the JSON texts, core decodes
 * and encodes them, and keeps the projects that authorization reads on every request decoded in
 * the reading connection's memo. */
#include "core/project_load.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void project_from_row(project *p, const project_row *r)
{
	project_release(p);
	p->id = r->id;
	p->org_id = r->org_id;
	snprintf(p->name, sizeof p->name, "%s", r->name ? r->name : "");
	if (task_kind_parse(r->kind ? r->kind : "", &p->kind))
		p->kind = KIND_TEXT_CLASS;
	p->labels = r->labels ? json_loads(r->labels, 0, NULL) : NULL;
	if (!p->labels)
		p->labels = json_array();
	p->multi_label = r->multi_label;
	p->instructions = strdup(r->instructions ? r->instructions : "");
	p->price = r->price;
	p->reviewer_fee = r->reviewer_fee;
	p->review_sample = r->review_sample;
	p->review_rate = r->review_rate;
	p->overlap = r->overlap;
	p->lease_seconds = r->lease_seconds;
	p->max_rounds = r->max_rounds;
	snprintf(p->status, sizeof p->status, "%s", r->status ? r->status : "");
	p->is_public = r->is_public;
	p->created_at = r->created_at;
	snprintf(p->currency, sizeof p->currency, "%s", r->currency ? r->currency : "");
	json_t *kind_settings = r->kind_settings ? json_loads(r->kind_settings, 0, NULL) : NULL;
	project_llm_load(&p->llm, kind_settings);
	json_decref(kind_settings);
}

json_t *project_row_json(const project_row *r)
{
	project p;
	project_init(&p);
	project_from_row(&p, r);
	json_t *o = project_to_json(&p);
	project_release(&p);
	return o;
}

/* A project's row as the store writes it, its JSON texts owned by `labels` and `settings`
 * (free both): 0, or CL_ENOMEM. */
static int project_to_row(const project *p, project_row *r, char **labels, char **settings)
{
	json_t *llm = project_llm_json(&p->llm);
	*labels = json_dumps(p->labels, JSON_OUT);
	*settings = llm ? json_dumps(llm, JSON_OUT) : NULL;
	json_decref(llm);
	*r = (project_row){
	    .id = p->id,
	    .org_id = p->org_id,
	    .price = p->price,
	    .reviewer_fee = p->reviewer_fee,
	    .created_at = p->created_at,
	    .name = p->name,
	    .kind = task_kind_names[p->kind],
	    .labels = *labels,
	    .instructions = p->instructions ? p->instructions : "",
	    .status = p->status,
	    .currency = p->currency,
	    .kind_settings = *settings,
	    .multi_label = p->multi_label,
	    .review_sample = p->review_sample,
	    .is_public = p->is_public,
	    .review_rate = p->review_rate,
	    .overlap = p->overlap,
	    .lease_seconds = p->lease_seconds,
	    .max_rounds = p->max_rounds,
	};
	return *labels && *settings ? 0 : CL_ENOMEM;
}

int project_create(const store *s, project *p, cl_error *err)
{
	char *labels, *settings;
	project_row r;
	p->created_at = clock_now_ms();
	int rc = project_to_row(p, &r, &labels, &settings)
		     ? cl_fail(err, CL_ENOMEM, NULL, "out of memory")
		     : s->ops->project_insert(s->db, &r, &p->id, p->currency, err);
	free(labels);
	free(settings);
	return rc;
}

int project_save(const store_ops *ops, store_tx *tx, const project *p, cl_error *err)
{
	char *labels, *settings;
	project_row r;
	int rc = project_to_row(p, &r, &labels, &settings)
		     ? cl_fail(err, CL_ENOMEM, NULL, "out of memory")
		     : ops->project_save(tx, &r, err);
	free(labels);
	free(settings);
	return rc;
}

/* What project_get_for hands back: the project and the caller's roles. */
typedef struct project_read {
	project *p;
	char *org_role, *member_role; /* 16 bytes each */
} project_read;

static void read_row(const project_row *r, void *ctx)
{
	project_read *x = ctx;
	project_from_row(x->p, r);
	if (x->org_role)
		snprintf(x->org_role, 16, "%s", r->org_role ? r->org_role : "");
	if (x->member_role)
		snprintf(x->member_role, 16, "%s", r->member_role ? r->member_role : "");
}

int project_get(const store *s, int64_t id, project *p)
{
	project_read x = {.p = p};
	return s->ops->project_row(s->db, id, 0, read_row, &x);
}

/* Projects with one user's roles in them, per connection: every request on a project reads
 * them, so each reading connection keeps them decoded while its access epoch stays the same. */
#define PROJECT_MEMO_SLOTS 256
typedef struct project_memo {
	struct {
		uint64_t epoch;
		int64_t user_id;
		project p; /* owns its labels and instructions */
		char org_role[16], member_role[16];
	} slot[PROJECT_MEMO_SLOTS];
} project_memo;

static void project_memo_release(void *mem)
{
	project_memo *m = mem;
	for (int i = 0; i < PROJECT_MEMO_SLOTS; i++)
		project_release(&m->slot[i].p);
}

int project_get_for(const store *s, int64_t id, int64_t user_id, project *p, char org_role[16],
		    char member_role[16])
{
	store_tx *reader = s->ops->reader(s->db);
	uint64_t epoch = s->ops->access_epoch ? s->ops->access_epoch(reader) : 0;
	project_memo *m =
	    epoch ? s->ops->memo(reader, DB_MEMO_PROJECTS, sizeof *m, project_memo_release) : NULL;
	unsigned i =
	    (unsigned)((uint64_t)id * 2654435761u ^ (uint64_t)user_id) % PROJECT_MEMO_SLOTS;
	if (m && m->slot[i].epoch == epoch && m->slot[i].p.id == id &&
	    m->slot[i].user_id == user_id) {
		project_copy(p, &m->slot[i].p);
		memcpy(org_role, m->slot[i].org_role, 16);
		memcpy(member_role, m->slot[i].member_role, 16);
		return 0;
	}
	org_role[0] = member_role[0] = '\0';
	project_read x = {.p = p, .org_role = org_role, .member_role = member_role};
	int rc = s->ops->project_row(s->db, id, user_id, read_row, &x);
	if (!rc && m) {
		project_copy(&m->slot[i].p, p);
		m->slot[i].epoch = epoch;
		m->slot[i].user_id = user_id;
		memcpy(m->slot[i].org_role, org_role, 16);
		memcpy(m->slot[i].member_role, member_role, 16);
	}
	return rc;
}
