/* Dataset version rules: the split of an item by its content hash, the canonical hash of a
 * version and the label counts. Pure functions over strings and JSON, unit-tested in
 * tests/unit/test_dataset.c. */
#include "core/dataset.h"
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
