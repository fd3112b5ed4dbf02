/* Dataset version rules: the split of an item by its content hash, the canonical hash of a
 * version and the label counts. Pure functions over strings and JSON, unit-tested in
 * tests/unit/test_dataset.c. */
#include "core/dataset.h"
#include "core/quality.h"
#include "util/clock.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const split_names[SPLIT_COUNT] = {"train", "validation", "test"};

void dataset_ratios_default(dataset_ratios *r)
{
	r->train = 0.8;
	r->validation = 0.1;
	r->test = 0.1;
}

static int ratio_member(const json_t *in, const char *key, double *out, cl_error *err)
{
	json_t *v = json_object_get(in, key);
	if (!v) {
		*out = 0;
		return 0;
	}
	if (!json_is_number(v))
		return cl_fail(err, CL_EINVAL, NULL, "split.%s must be a number", key);
	double x = json_number_value(v);
	if (!(x >= 0 && x <= 1))
		return cl_fail(err, CL_EINVAL, NULL, "split.%s must be between 0 and 1", key);
	*out = x;
	return 0;
}

int dataset_ratios_parse(const json_t *in, dataset_ratios *r, cl_error *err)
{
	dataset_ratios_default(r);
	if (!in || json_is_null(in))
		return 0;
	if (!json_is_object(in))
		return cl_fail(err, CL_EINVAL, NULL, "\"split\" must be an object");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)in, key, v)
	{
		if (strcmp(key, "train") && strcmp(key, "validation") && strcmp(key, "test"))
			return cl_fail(err, CL_EINVAL, "unknown_field", "unknown field \"split.%.32s\"",
				       key);
	}
	dataset_ratios x;
	int rc = ratio_member(in, "train", &x.train, err);
	if (!rc)
		rc = ratio_member(in, "validation", &x.validation, err);
	if (!rc)
		rc = ratio_member(in, "test", &x.test, err);
	if (rc)
		return rc;
	if (fabs(x.train + x.validation + x.test - 1.0) > 1e-9)
		return cl_fail(err, CL_EINVAL, NULL, "the split ratios must sum to 1");
	*r = x;
	return 0;
}

const char *dataset_split_name(dataset_split s)
{
	return s < SPLIT_COUNT ? split_names[s] : "train";
}

int dataset_split_parse(const char *name, dataset_split *out)
{
	for (int i = 0; i < SPLIT_COUNT; i++)
		if (name && !strcmp(name, split_names[i])) {
			*out = (dataset_split)i;
			return 0;
		}
	return CL_EINVAL;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;
}

dataset_split dataset_split_of(const char *content_hash, const dataset_ratios *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 16 && content_hash[i]; i++)
		v = v << 4 | (uint64_t)hex_value(content_hash[i]);
	/* 53 bits are all a double holds exactly: the rest would only add rounding. */
	double u = (double)(v >> 11) / 9007199254740992.0;
	if (u < r->train)
		return SPLIT_TRAIN;
	if (u < r->train + r->validation)
		return SPLIT_VALIDATION;
	/* A test share of 0 with rounding left over still goes to the last non-empty split. */
	if (r->test <= 0)
		return r->validation > 0 ? SPLIT_VALIDATION : SPLIT_TRAIN;
	return SPLIT_TEST;
}

char *dataset_canonical_json(const char *json_text)
{
	json_t *v = json_loads(json_text, JSON_DECODE_ANY, NULL);
	if (!v)
		return NULL;
	char *s = json_dumps(v, JSON_OUT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(v);
	return s;
}

static void hash_str(dataset_hasher *h, const char *s)
{
	crypto_hash_sha256_update(&h->st, (const unsigned char *)s, strlen(s));
}

void dataset_hasher_init(dataset_hasher *h, task_kind kind, const char *labels_json)
{
	crypto_hash_sha256_init(&h->st);
	hash_str(h, "crowdloop-dataset-v1\n");
	hash_str(h, task_kind_name(kind));
	hash_str(h, "\n");
	hash_str(h, labels_json);
	hash_str(h, "\n");
}

void dataset_hasher_row(dataset_hasher *h, const char *item_hash, int slot, dataset_split split,
			const char *canonical_annotation)
{
	char mid[48];
	snprintf(mid, sizeof mid, "\t%d\t%s\t", slot, dataset_split_name(split));
	hash_str(h, item_hash);
	hash_str(h, mid);
	hash_str(h, canonical_annotation);
	hash_str(h, "\n");
}

void dataset_hasher_final(dataset_hasher *h, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h->st, d);
	sodium_bin2hex(out, 65, d, sizeof d);
}

static void count_one(json_t *counts, const json_t *label)
{
	if (!json_is_string(label))
		return;
	const char *name = json_string_value(label);
	json_t *n = json_object_get(counts, name);
	json_object_set_new(counts, name, json_integer(json_integer_value(n) + 1));
}

static void count_parts(const json_t *parts, json_t *counts)
{
	size_t i;
	json_t *part;
	json_array_foreach(parts, i, part)
		count_one(counts, json_object_get(part, "label"));
}

void dataset_count_labels(const json_t *annotation, json_t *counts)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(annotation, "labels"), i, v)
		count_one(counts, v);
	count_parts(json_object_get(annotation, "boxes"), counts);
	count_parts(json_object_get(annotation, "spans"), counts);
}

/* ---- approved rows, an item's consolidated into one ---- */

#define MAX_PER_ITEM 64

bool dataset_export_grouped(const project *p, bool all_answers)
{
	return p->overlap > 1 && !all_answers;
}

void dataset_export_summary(const export_counts *c, const project *p, bool snapshot,
			    bool all_answers, export_summary *out)
{
	bool group = dataset_export_grouped(p, all_answers);
	bool finished_only = snapshot || group;
	int64_t unfinished = finished_only ? c->unfinished : 0;
	*out = (export_summary){
	    .rows = group ? c->items : c->approved - c->gold - unfinished,
	    .approved = c->approved,
	    .gold_left_out = c->gold,
	    .unfinished_left_out = unfinished,
	    .consolidated = group,
	    .finished_only = finished_only,
	};
}

void dataset_export_summary_read(const store *s, const project *p, bool snapshot,
				 bool all_answers, export_summary *out)
{
	export_counts c;
	s->ops->export_counts(s->db, p->id, &c);
	dataset_export_summary(&c, p, snapshot, all_answers, out);
}

void dataset_rows_init(dataset_rows *x, const project *p, bool group,
		       int (*next)(void *ctx, export_row *row), void *ctx)
{
	memset(x, 0, sizeof *x);
	x->next = next;
	x->ctx = ctx;
	x->group = group;
	x->kind = p->kind;
	x->multi_label = p->multi_label;
}

static void rows_clear(dataset_rows *x)
{
	char **owned[] = {&x->text, &x->blob, &x->mime, &x->hash, &x->split, &x->annotation};
	for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) {
		free(*owned[i]);
		*owned[i] = NULL;
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Copies the item of r, the first row of a group, since reading on moves the store's rows. */
static int rows_keep_item(dataset_rows *x, const export_row *r)
{
	rows_clear(x);
	x->text = dup_or_null(r->text);
	x->blob = dup_or_null(r->blob);
	x->mime = dup_or_null(r->mime);
	x->hash = dup_or_null(r->content_hash);
	x->split = dup_or_null(r->split);
	return (r->text && !x->text) || (r->blob && !x->blob) || !x->hash ? CL_ENOMEM : 0;
}

/* Reads the annotations of r's item into anns (up to MAX_PER_ITEM, *n of them), folding each
 * row's task, round and time into r; leaves the next item's first row read ahead. */
static int rows_read_group(dataset_rows *x, export_row *r, json_t **anns, size_t *n)
{
	int err = 0, rc;
	export_row one = x->next_row;
	do {
		if (one.item_id != r->item_id) {
			x->next_row = one;
			break;
		}
		json_t *a = json_loads(one.annotation, 0, NULL);
		if (!a)
			err = CL_EINTERNAL;
		else if (*n < MAX_PER_ITEM)
			anns[(*n)++] = a;
		else
			json_decref(a);
		if (one.task_id < r->task_id)
			r->task_id = one.task_id;
		if (one.round > r->round)
			r->round = one.round;
		if (one.approved_at > r->approved_at)
			r->approved_at = one.approved_at;
	} while ((rc = x->next(x->ctx, &one)) == 1);
	x->ahead = rc == 1 ? 1 : -1;
	return err ? err : rc < 0 ? rc : 0;
}

/* The next group of rows sharing an item, consolidated into one. */
static int rows_next_group(dataset_rows *x, export_row *r)
{
	if (x->ahead < 0)
		return 0;
	int rc = x->ahead ? 1 : x->next(x->ctx, &x->next_row);
	if (rc <= 0)
		return rc;
	*r = x->next_row;
	if ((rc = rows_keep_item(x, r)))
		return rc;
	json_t *anns[MAX_PER_ITEM];
	size_t n = 0;
	int err = rows_read_group(x, r, anns, &n);
	double agreement = 0;
	json_t *cons =
	    err ? NULL : quality_consolidate(x->kind, x->multi_label, anns, n, &agreement);
	for (size_t i = 0; i < n; i++)
		json_decref(anns[i]);
	x->annotation = cons ? json_dumps(cons, JSON_OUT | JSON_SORT_KEYS) : NULL;
	json_decref(cons);
	if (err || !x->annotation)
		return err ? err : CL_EINTERNAL;
	r->text = x->text;
	r->blob = x->blob;
	r->mime = x->mime;
	r->content_hash = x->hash;
	r->split = x->split;
	r->annotation = x->annotation;
	r->slot = 0;
	r->worker_id = 0;
	r->reviewer_id = 0;
	r->annotators = (int)n;
	r->agreement = n > 1 ? agreement : -1;
	return 1;
}

int dataset_rows_next(dataset_rows *x, export_row *r)
{
	return x->group ? rows_next_group(x, r) : x->next(x->ctx, r);
}

void dataset_rows_rewind(dataset_rows *x)
{
	x->ahead = 0;
}

void dataset_rows_release(dataset_rows *x)
{
	rows_clear(x);
}

/* ---- sealing a version ---- */

typedef struct seal_job {
	const store_ops *ops;
	const project *p;
	const dataset_ratios *ratios;
	const char *note;
	int64_t user_id, id;
	int64_t test_from; /* the version whose splits known items keep; 0: split by hash */
	dataset_hasher h;
	json_t *counts;
	int64_t rows, items;
	char last_hash[65];
} seal_job;

/* counts = {"train":{"rows","items","labels":{}},"validation":…,"test":…,"labels":{}} */
static json_t *counts_new(void)
{
	json_t *c = json_object();
	for (int s = 0; s < SPLIT_COUNT; s++)
		json_object_set_new(c, dataset_split_name((dataset_split)s),
				    json_pack("{s:i,s:i,s:{}}", "rows", 0, "items", 0, "labels"));
	json_object_set_new(c, "labels", json_object());
	return c;
}

static void counts_bump(json_t *split, const char *key)
{
	json_object_set_new(split, key,
			    json_integer(json_integer_value(json_object_get(split, key)) + 1));
}

/* Counts row r (its canonical annotation `canon`) into its split's counts and the labels';
 * a row of a new item (rows come in item hash order) counts that item too. */
static void seal_count(seal_job *j, dataset_split split, const export_row *r, const char *canon)
{
	json_t *sc = json_object_get(j->counts, dataset_split_name(split));
	counts_bump(sc, "rows");
	if (strcmp(j->last_hash, r->content_hash)) {
		counts_bump(sc, "items");
		j->items++;
		snprintf(j->last_hash, sizeof j->last_hash, "%s", r->content_hash);
	}
	json_t *ann = json_loads(canon, 0, NULL);
	dataset_count_labels(ann, json_object_get(sc, "labels"));
	dataset_count_labels(ann, json_object_get(j->counts, "labels"));
	json_decref(ann);
}

/* The split of an item: the one it has in version j->test_from when that version holds it (so
 * the test split stays the same items), train for an item that version never saw; else by its
 * content hash. */
static dataset_split split_of(store_tx *tx, const seal_job *j, const char *item_hash)
{
	if (!j->test_from)
		return dataset_split_of(item_hash, j->ratios);
	char name[16];
	dataset_split split = SPLIT_TRAIN;
	if (!j->ops->dataset_row_split(tx, j->test_from, item_hash, name) ||
	    dataset_split_parse(name, &split))
		split = SPLIT_TRAIN;
	return split;
}

/* Seals one row: its split, its place in the hash and the counts, its copy in the version. */
static int seal_row(store_tx *tx, seal_job *j, const export_row *r, cl_error *err)
{
	char *canon = dataset_canonical_json(r->annotation);
	if (!canon)
		return cl_fail(err, CL_EINTERNAL, NULL, "task %lld has an unreadable annotation",
			       (long long)r->task_id);
	dataset_split split = split_of(tx, j, r->content_hash);
	dataset_hasher_row(&j->h, r->content_hash, r->slot, split, canon);
	seal_count(j, split, r, canon);
	int rc =
	    j->ops->dataset_row_add(tx, j->id, r, dataset_split_name(split), canon, err);
	free(canon);
	if (!rc)
		j->rows++;
	return rc;
}

/* The store's rows as dataset_rows reads them. */
typedef struct store_source {
	const store_ops *ops;
	void *rows;
} store_source;

static int rows_of_store(void *ctx, export_row *row)
{
	store_source *src = ctx;
	return src->ops->dataset_rows_next(src->rows, row);
}

/* Copies the project's approved rows into the version, in (item hash, slot) order, the order
 * the content hash is defined over. */
static int seal_rows(store_tx *tx, seal_job *j, cl_error *err)
{
	void *raw = j->ops->approved_rows_open_tx(tx, j->p->id, ROWS_BY_HASH);
	if (!raw)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	store_source src = {j->ops, raw};
	dataset_rows rd;
	dataset_rows_init(&rd, j->p, j->p->overlap > 1, rows_of_store, &src);
	export_row r;
	int step, rc = 0;
	while (!rc && (step = dataset_rows_next(&rd, &r)) == 1)
		rc = seal_row(tx, j, &r, err);
	dataset_rows_release(&rd);
	j->ops->dataset_rows_close(raw);
	if (!rc && step < 0)
		rc = cl_fail(err, CL_EINTERNAL, NULL, "reading the approved tasks failed");
	return rc;
}

static int seal_job_run(store_tx *tx, void *ctx, cl_error *err)
{
	seal_job *j = ctx;
	const project *p = j->p;
	char *labels = json_dumps(p->labels, JSON_OUT);
	char *counts_text = NULL;
	j->counts = counts_new();
	j->rows = j->items = 0;
	j->last_hash[0] = 0;
	dataset_version v = {.project_id = p->id,
			     .user_id = j->user_id,
			     .kind = task_kind_name(p->kind),
			     .labels = labels,
			     .note = j->note,
			     .ratios = *j->ratios,
			     .test_from = j->test_from};
	int rc = labels ? 0 : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (rc || (rc = j->ops->dataset_version_add(tx, &v, clock_now_ms(), &j->id, err)))
		goto out;
	dataset_hasher_init(&j->h, p->kind, labels);
	if ((rc = seal_rows(tx, j, err)))
		goto out;
	char digest[65];
	dataset_hasher_final(&j->h, digest);
	counts_text = json_dumps(j->counts, JSON_OUT);
	rc = counts_text ? j->ops->dataset_version_seal(tx, j->id, digest, j->rows, j->items,
							counts_text, err)
			 : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
out:
	free(labels);
	free(counts_text);
	json_decref(j->counts);
	j->counts = NULL;
	return rc;
}

static int seal(const store *s, seal_job *j, int64_t *id, cl_error *err)
{
	j->ops = s->ops;
	int rc = s->ops->write(s->db, seal_job_run, j, err);
	*id = rc ? 0 : j->id;
	return rc;
}

int dataset_seal(const store *s, const project *p, const dataset_ratios *ratios,
		 const char *note, int64_t user_id, int64_t *id, cl_error *err)
{
	seal_job j = {.p = p, .ratios = ratios, .note = note, .user_id = user_id};
	return seal(s, &j, id, err);
}

int dataset_seal_pinned(const store *s, const project *p, int64_t test_from, const char *note,
			int64_t user_id, int64_t *id, cl_error *err)
{
	dataset_ratios ratios;
	dataset_ratios_default(&ratios);
	seal_job j = {
	    .p = p, .ratios = &ratios, .note = note, .user_id = user_id, .test_from = test_from};
	return seal(s, &j, id, err);
}
