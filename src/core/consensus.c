/* The consensus page: each item's approved annotations consolidated by its kind's rule
 * (core/quality.c), with who made them and how far they agree. */
#include "core/consensus.h"
#include "core/quality.h"

typedef struct consensus_walk {
	const project *p;
	json_t *items;
	int limit, seen;
	int64_t last_task; /* the first approved task of the page's last item */
	bool more;	   /* an item follows the page */
} consensus_walk;

/* One item of the page as the answer shows it. */
static json_t *consensus_item(const project *p, const approved_item *it)
{
	double agreement = 0;
	json_t *cons = quality_consolidate(p->kind, p->multi_label, it->anns, it->k, &agreement);
	json_t *who = json_array();
	for (size_t q = 0; q < it->k; q++)
		json_array_append_new(who, json_integer(it->workers[q]));
	json_t *o = json_pack("{s:I,s:I,s:b,s:o,s:o}", "item_id", (json_int_t)it->item_id,
			      "annotations", (json_int_t)it->k, "complete",
			      (int)it->k >= p->overlap, "workers", who, "consolidated",
			      cons ? cons : json_null());
	json_object_set_new(o, "agreement", it->k > 1 ? json_real(agreement) : json_null());
	json_object_set_new(o, "text", it->text ? json_string(it->text) : json_null());
	return o;
}

static void consensus_visit(const approved_item *it, void *ctx)
{
	consensus_walk *w = ctx;
	/* The walk reads one item past the page only to learn that more follow. */
	if (w->seen++ >= w->limit) {
		w->more = true;
		return;
	}
	w->last_task = it->first_task;
	json_array_append_new(w->items, consensus_item(w->p, it));
}

json_t *consensus_page(const store *s, const project *p, int64_t cursor, int limit,
		       int64_t *next)
{
	consensus_walk w = {.p = p, .items = json_array(), .limit = limit};
	approved_walk a = {.after = cursor, .limit = limit + 1, .with_text = true};
	s->ops->each_approved_item(s->db, p->id, &a, consensus_visit, &w);
	*next = w.more ? w.last_task : 0;
	return w.items;
}
