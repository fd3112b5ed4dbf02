/* Consensus and agreement in SQL: the consolidated answer of each item with overlapping approved
 * annotations, and how far workers agree with each other and with it. The arithmetic lives in
 * core/quality.c; this file feeds it rows. */
#include "store/consensus.h"
#include "core/quality.h"
#include "store/store_accounts.h"

#include <math.h>
#include <stdlib.h>

/* The approved annotations of one item, with their workers. */
static size_t item_annotations(db_conn *c, int64_t item_id, json_t **anns, int64_t *workers,
			       size_t max)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT a.data, coalesce(t.worker_id, 0) FROM tasks t"
		       " JOIN annotations a ON a.id = t.annotation_id"
		       " WHERE t.item_id = ? AND t.state = 'approved' ORDER BY t.slot");
	db_bind_int(st, 1, item_id);
	size_t n = 0;
	while (n < max && db_step(st) == SQLITE_ROW) {
		json_t *a = json_loads(db_col_text(st, 0), 0, NULL);
		if (!a)
			continue;
		anns[n] = a;
		workers[n] = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_reset(st);
	return n;
}

#define MAX_PER_ITEM 64

/* The project's items with an approved annotation (gold left out), in item order, after the
 * approved task `after`, at most `limit` (-1: all): column 0 is the item's first approved task,
 * column 1 the item. Each item is met at its first approved task, walking the approved tasks'
 * index, so a page reads only its own rows. An item's tasks are made with it: task order is
 * item order. */
static sqlite3_stmt *approved_items(db_conn *c, int64_t project_id, int64_t after, int limit)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT t.id, t.item_id FROM tasks t WHERE t.project_id = ?1"
		       " AND t.state = 'approved' AND t.id > ?2"
		       " AND NOT EXISTS (SELECT 1 FROM tasks s WHERE s.item_id = t.item_id"
		       " AND s.state = 'approved' AND s.id < t.id)"
		       " AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = t.item_id)"
		       " ORDER BY t.id LIMIT ?3");
	db_bind(st, DB_INT(project_id), DB_INT(after), DB_INT(limit));
	return st;
}

json_t *store_consensus(db *d, const project *p, int64_t cursor, int limit, int64_t *next)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = approved_items(c, p->id, cursor, limit + 1);
	sqlite3_stmt *text = db_stmt(c, "SELECT text FROM items WHERE id = ?");
	int64_t *ids = calloc((size_t)limit + 1, sizeof *ids);
	int64_t last_task = 0;
	int n = 0;
	while (ids && n <= limit && db_step(st) == SQLITE_ROW) {
		if (n < limit)
			last_task = sqlite3_column_int64(st, 0);
		ids[n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	*next = 0;
	if (n > limit) {
		n = limit;
		*next = last_task;
	}
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *anns[MAX_PER_ITEM];
		int64_t workers[MAX_PER_ITEM];
		size_t k = item_annotations(c, ids[i], anns, workers, MAX_PER_ITEM);
		double agreement = 0;
		json_t *cons = quality_consolidate(p->kind, p->multi_label, anns, k, &agreement);
		json_t *who = json_array();
		for (size_t q = 0; q < k; q++)
			json_array_append_new(who, json_integer(workers[q]));
		json_t *o =
		    json_pack("{s:I,s:I,s:b,s:o,s:o}", "item_id", (json_int_t)ids[i], "annotations",
			      (json_int_t)k, "complete", (int)k >= p->overlap, "workers", who,
			      "consolidated", cons ? cons : json_null());
		json_object_set_new(o, "agreement", k > 1 ? json_real(agreement) : json_null());
		db_bind_int(text, 1, ids[i]);
		json_object_set_new(o, "text",
				    db_step(text) == SQLITE_ROW &&
					    sqlite3_column_type(text, 0) != SQLITE_NULL
					? json_string(db_col_text(text, 0))
					: json_null());
		sqlite3_reset(text);
		json_array_append_new(items, o);
		for (size_t q = 0; q < k; q++)
			json_decref(anns[q]);
	}
	free(ids);
	db_read_end(c);
	return items;
}

/* Each worker's agreement with the consolidated answers, by user id in an open-addressed
 * table: a project may have any number of workers. */
typedef struct worker_agree {
	int64_t id;
	double sum;
	long n;
	bool used;
} worker_agree;

typedef struct agree_table {
	worker_agree *slots;
	size_t cap, n;
} agree_table;

static worker_agree *agree_find(agree_table *t, int64_t id)
{
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		worker_agree *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].used)
				continue;
			size_t h = (size_t)t->slots[i].id & (cap - 1);
			while (slots[h].used)
				h = (h + 1) & (cap - 1);
			slots[h] = t->slots[i];
		}
		free(t->slots);
		t->slots = slots;
		t->cap = cap;
	}
	size_t h = (size_t)id & (t->cap - 1);
	while (t->slots[h].used && t->slots[h].id != id)
		h = (h + 1) & (t->cap - 1);
	if (!t->slots[h].used) {
		t->slots[h] = (worker_agree){.id = id, .used = true};
		t->n++;
	}
	return &t->slots[h];
}

static int agree_by_user(const void *a, const void *b)
{
	const worker_agree *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* What store_agreement gathers over a project's items. */
typedef struct agree_tally {
	const project *p;
	bool classes, short_of_memory;
	quality_alpha alpha;
	agree_table workers;
	size_t items, overlapped;
	double pair_sum;
	long pairs;
	double tau_sum;		  /* llm_preference: Kendall's tau of each pair of answers */
	long first_chosen, chose; /* llm_preference: the first shown chosen, of the choices */
	double prefill_cer;	  /* image_transcription: summed CER of pre-fills to answers */
	long prefilled;		  /* answers whose item had a pre-fill */
} agree_tally;

/* Adds k >= 2 overlapping annotations of one item: their pairs' similarity, and each worker's
 * agreement with the consolidated answer. */
static void agree_overlap(agree_tally *t, json_t **anns, const int64_t *who, size_t k)
{
	const project *p = t->p;
	t->overlapped++;
	json_t *cons = quality_consolidate(p->kind, p->multi_label, anns, k, NULL);
	for (size_t a = 0; a < k; a++) {
		for (size_t b = a + 1; b < k; b++) {
			t->pair_sum += quality_similarity(p->kind, anns[a], anns[b]);
			if (p->kind == KIND_LLM_PREFERENCE)
				t->tau_sum += quality_kendall_tau(anns[a], anns[b]);
			t->pairs++;
		}
		worker_agree *w = agree_find(&t->workers, who[a]);
		if (!w) {
			t->short_of_memory = true;
			continue;
		}
		w->sum += cons ? quality_similarity(p->kind, anns[a], cons) : 0;
		w->n++;
	}
	json_decref(cons);
}

/* Adds one item's k approved annotations to the tally, and releases them. */
static void agree_item(agree_tally *t, json_t **anns, const int64_t *who, size_t k)
{
	t->items++;
	if (k >= 2)
		agree_overlap(t, anns, who, k);
	for (size_t a = 0; a < k && t->p->kind == KIND_LLM_PREFERENCE; a++) {
		int first = quality_first_shown_chosen(anns[a]);
		t->chose += first >= 0;
		t->first_chosen += first == 1;
	}
	char *values[MAX_PER_ITEM];
	for (size_t a = 0; a < k; a++) {
		values[a] = t->classes ? quality_class_value(anns[a]) : NULL;
		json_decref(anns[a]);
	}
	if (t->classes && quality_alpha_add(&t->alpha, (const char *const *)values, k))
		t->short_of_memory = true;
	for (size_t a = 0; a < k; a++)
		free(values[a]);
}

/* Each worker's agreement, by user id; packs and sorts the table's slots in place. */
static json_t *agree_workers_json(db *d, agree_table *workers)
{
	/* Packed to the front, then by user id. */
	size_t nw = 0;
	for (size_t i = 0; i < workers->cap; i++)
		if (workers->slots[i].used)
			workers->slots[nw++] = workers->slots[i];
	if (nw)
		qsort(workers->slots, nw, sizeof *workers->slots, agree_by_user);
	json_t *ws = json_array();
	for (size_t w = 0; w < nw; w++) {
		const worker_agree *wa = &workers->slots[w];
		json_t *u = store_user_get(d, wa->id);
		json_array_append_new(
		    ws,
		    json_pack("{s:I,s:s,s:I,s:f}", "user_id", (json_int_t)wa->id, "username",
			      u ? json_string_value(json_object_get(u, "username")) : "", "items",
			      (json_int_t)wa->n, "agreement", wa->sum / (double)wa->n));
		json_decref(u);
	}
	return ws;
}

/* How much the workers changed an item's pre-fill (an OCR output imported as its
 * pre-annotation): the CER of the pre-fill against each approved answer. */
static void agree_prefill(db_conn *c, agree_tally *t, int64_t item_id, json_t **anns, size_t k)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT meta FROM items WHERE id = ?");
	db_bind_int(st, 1, item_id);
	json_t *meta = NULL;
	if (db_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		meta = json_loads(db_col_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	const json_t *pre = json_object_get(meta, "preannotation");
	for (size_t a = 0; a < k && json_is_array(json_object_get(pre, "lines")); a++) {
		t->prefill_cer += quality_transcription_cer(pre, anns[a]);
		t->prefilled++;
	}
	json_decref(meta);
}

/* The figure of each kind beside "pairwise": mean IoU, span F1, Kendall's tau and position
 * bias, character error rate. */
static void agree_kind_figures(json_t *o, const agree_tally *t, double mean)
{
	json_t *none = json_null();
	switch (t->p->kind) {
	case KIND_IMAGE_BBOX:
		json_object_set_new(o, "mean_iou", t->pairs ? json_real(mean) : none);
		break;
	case KIND_TEXT_SPANS:
		json_object_set_new(o, "span_f1", t->pairs ? json_real(mean) : none);
		break;
	case KIND_LLM_PREFERENCE: {
		json_object_set_new(o, "kendall_tau",
				    t->pairs ? json_real(t->tau_sum / (double)t->pairs) : none);
		quality_interval q = quality_wilson(t->first_chosen, t->chose, QUALITY_Z95);
		json_object_set_new(o, "first_shown_chosen", quality_interval_json(&q));
		break;
	}
	case KIND_IMAGE_TRANSCRIPTION:
		json_object_set_new(o, "cer", t->pairs ? json_real(1 - mean) : none);
		json_object_set_new(o, "prefill_cer",
				    t->prefilled ? json_real(t->prefill_cer / (double)t->prefilled)
						 : none);
		json_object_set_new(o, "prefilled", json_integer(t->prefilled));
		break;
	default: break;
	}
	json_decref(none);
}

json_t *store_agreement(db *d, const project *p)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	agree_tally t = {.p = p,
			 .classes = p->kind == KIND_TEXT_CLASS || p->kind == KIND_IMAGE_CLASS};
	sqlite3_stmt *st = approved_items(c, p->id, 0, -1);
	while (db_step(st) == SQLITE_ROW) {
		json_t *anns[MAX_PER_ITEM];
		int64_t who[MAX_PER_ITEM];
		size_t k =
		    item_annotations(c, sqlite3_column_int64(st, 1), anns, who, MAX_PER_ITEM);
		if (p->kind == KIND_IMAGE_TRANSCRIPTION)
			agree_prefill(c, &t, sqlite3_column_int64(st, 1), anns, k);
		agree_item(&t, anns, who, k);
	}
	sqlite3_reset(st);
	json_t *o = json_pack("{s:I,s:s,s:I,s:I}", "project_id", (json_int_t)p->id, "kind",
			      task_kind_name(p->kind), "items", (json_int_t)t.items,
			      "items_with_overlap", (json_int_t)t.overlapped);
	double mean = t.pairs ? t.pair_sum / (double)t.pairs : 0;
	json_object_set_new(o, "pairwise", t.pairs ? json_real(mean) : json_null());
	if (t.classes) {
		double a = quality_alpha_result(&t.alpha);
		json_object_set_new(o, "alpha", isnan(a) ? json_null() : json_real(a));
	} else {
		agree_kind_figures(o, &t, mean);
	}
	json_object_set_new(o, "workers", agree_workers_json(d, &t.workers));
	quality_alpha_free(&t.alpha);
	free(t.workers.slots);
	db_read_end(c);
	if (t.short_of_memory) {
		json_decref(o);
		return NULL;
	}
	return o;
}
