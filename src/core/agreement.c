/* How far a project's workers agree with each other and with the consolidated answers, over
 * the approved items the store walks: pairwise similarity, Krippendorff's alpha for classes,
 * each kind's own figure, and each worker's agreement. The arithmetic is core/quality.c's. */
#include "core/agreement.h"
#include "core/quality.h"

#include <math.h>
#include <stdlib.h>

#define MAX_PER_ITEM 64

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

/* How much the workers changed an item's pre-fill (an OCR output imported as its
 * pre-annotation): the CER of the pre-fill against each approved answer. */
static void agree_prefill(agree_tally *t, const approved_item *it)
{
	const json_t *pre = json_object_get(it->meta, "preannotation");
	for (size_t a = 0; a < it->k && json_is_array(json_object_get(pre, "lines")); a++) {
		t->prefill_cer += quality_transcription_cer(pre, it->anns[a]);
		t->prefilled++;
	}
}

/* Adds k >= 2 overlapping annotations of one item: their pairs' similarity, and each worker's
 * agreement with the consolidated answer. */
static void agree_overlap(agree_tally *t, json_t *const *anns, const int64_t *who, size_t k)
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

/* Adds one item's approved annotations to the tally. */
static void agree_item(const approved_item *it, void *ctx)
{
	agree_tally *t = ctx;
	json_t *const *anns = it->anns;
	const int64_t *who = it->workers;
	size_t k = it->k;
	if (t->p->kind == KIND_IMAGE_TRANSCRIPTION)
		agree_prefill(t, it);
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
	}
	if (t->classes && quality_alpha_add(&t->alpha, (const char *const *)values, k))
		t->short_of_memory = true;
	for (size_t a = 0; a < k; a++)
		free(values[a]);
}

/* Each worker's agreement, by user id; packs and sorts the table's slots in place. */
static json_t *agree_workers_json(const store *s, agree_table *workers)
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
		char name[128];
		s->ops->user_name(s->db, wa->id, name, sizeof name);
		json_array_append_new(ws, json_pack("{s:I,s:s,s:I,s:f}", "user_id",
						    (json_int_t)wa->id, "username", name, "items",
						    (json_int_t)wa->n, "agreement",
						    wa->sum / (double)wa->n));
	}
	return ws;
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

json_t *agreement_report(const store *s, const project *p)
{
	agree_tally t = {.p = p,
			 .classes = p->kind == KIND_TEXT_CLASS || p->kind == KIND_IMAGE_CLASS};
	approved_walk w = {.limit = -1, .with_meta = p->kind == KIND_IMAGE_TRANSCRIPTION};
	s->ops->each_approved_item(s->db, p->id, &w, agree_item, &t);
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
	json_object_set_new(o, "workers", agree_workers_json(s, &t.workers));
	quality_alpha_free(&t.alpha);
	free(t.workers.slots);
	if (t.short_of_memory) {
		json_decref(o);
		return NULL;
	}
	return o;
}
