/* Quality arithmetic: Wilson intervals, annotation similarity and consolidation, Krippendorff's
 * alpha, gold scoring, planted honeypot errors and the quality settings of a project. Every
 * function here is pure; the store feeds it rows and keeps the results. */
#include "core/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

quality_report quality_report_rule(quality_report r)
{
	if (r.batch <= 0)
		r.batch = QUALITY_REPORT_BATCH;
	if (r.period_ms <= 0)
		r.period_ms = QUALITY_REPORT_PERIOD_MS;
	return r;
}

int64_t quality_report_cutoff(quality_report r, int64_t now)
{
	r = quality_report_rule(r);
	return now - now % r.period_ms;
}

quality_interval quality_wilson(long k, long n, double z)
{
	quality_interval q = {.k = k, .n = n};
	if (n <= 0 || k < 0 || k > n)
		return q;
	double nn = (double)n, p = (double)k / nn, z2 = z * z;
	double denom = 1.0 + z2 / nn;
	double centre = (p + z2 / (2.0 * nn)) / denom;
	double half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
	q.p = p;
	q.lo = centre - half < 0 ? 0 : centre - half;
	q.hi = centre + half > 1 ? 1 : centre + half;
	/* At the edges the interval must still hold the estimate exactly. */
	if (k == 0)
		q.lo = 0;
	if (k == n)
		q.hi = 1;
	return q;
}

json_t *quality_interval_json(const quality_interval *q)
{
	json_t *o = json_pack("{s:I,s:I}", "k", (json_int_t)q->k, "n", (json_int_t)q->n);
	json_object_set_new(o, "p", q->n ? json_real(q->p) : json_null());
	json_object_set_new(o, "lo", q->n ? json_real(q->lo) : json_null());
	json_object_set_new(o, "hi", q->n ? json_real(q->hi) : json_null());
	return o;
}

double quality_box_iou(const double a[4], const double b[4])
{
	double x1 = fmax(a[0], b[0]), y1 = fmax(a[1], b[1]);
	double x2 = fmin(a[0] + a[2], b[0] + b[2]), y2 = fmin(a[1] + a[3], b[1] + b[3]);
	double inter = (x2 > x1 && y2 > y1) ? (x2 - x1) * (y2 - y1) : 0.0;
	double uni = a[2] * a[3] + b[2] * b[3] - inter;
	return uni > 0 ? inter / uni : 0.0;
}

/* ---- parts: the boxes or spans of an annotation ---- */

typedef struct part {
	double v[4]; /* boxes: x, y, w, h; spans: start, end */
	const char *label;
	size_t who;  /* the annotator, during consolidation */
} part;

/* The parts of an annotation under `key`; returns the count or -1 when malformed. *out is
 * malloc'd (NULL when empty). Labels are borrowed from the annotation. */
static long parts_of(task_kind kind, const json_t *ann, part **out)
{
	*out = NULL;
	bool boxes = kind == KIND_IMAGE_BBOX;
	json_t *arr = json_object_get(ann, boxes ? "boxes" : "spans");
	if (!json_is_array(arr))
		return -1;
	size_t n = json_array_size(arr);
	if (!n)
		return 0;
	part *p = calloc(n, sizeof *p);
	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		static const char *const bk[] = {"x", "y", "w", "h"};
		static const char *const sk[] = {"start", "end"};
		for (int k = 0; k < (boxes ? 4 : 2); k++) {
			json_t *v = json_object_get(o, boxes ? bk[k] : sk[k]);
			if (!json_is_number(v)) {
				free(p);
				return -1;
			}
			p[i].v[k] = json_number_value(v);
		}
		p[i].label = json_string_value(json_object_get(o, "label"));
		if (!p[i].label) {
			free(p);
			return -1;
		}
	}
	*out = p;
	return (long)n;
}

static double span_iou(const double a[2], const double b[2])
{
	double inter = fmin(a[1], b[1]) - fmax(a[0], b[0]);
	double uni = fmax(a[1], b[1]) - fmin(a[0], b[0]);
	return inter > 0 && uni > 0 ? inter / uni : 0.0;
}

static double part_sim(task_kind kind, const part *a, const part *b)
{
	return kind == KIND_IMAGE_BBOX ? quality_box_iou(a->v, b->v) : span_iou(a->v, b->v);
}

static bool part_equal(const part *a, const part *b)
{
	return a->v[0] == b->v[0] && a->v[1] == b->v[1] && !strcmp(a->label, b->label);
}

typedef struct pair {
	double sim;
	size_t i, j;
} pair;

static int pair_cmp(const void *x, const void *y)
{
	const pair *a = x, *b = y;
	if (a->sim != b->sim)
		return a->sim > b->sim ? -1 : 1;
	if (a->i != b->i)
		return a->i < b->i ? -1 : 1;
	return a->j < b->j ? -1 : (a->j > b->j);
}

/* Greedy one-to-one matching by decreasing similarity among pairs with sim >= thr (and equal
 * labels when `same_label`); returns the number matched and adds their similarity to *sum. */
static size_t match(task_kind kind, const part *a, size_t na, const part *b, size_t nb,
		    double thr, bool same_label, double *sum)
{
	*sum = 0;
	if (!na || !nb)
		return 0;
	pair *pairs = malloc(na * nb * sizeof *pairs);
	bool *used_a = calloc(na, 1), *used_b = calloc(nb, 1);
	size_t np = 0, m = 0;
	if (!pairs || !used_a || !used_b)
		goto out;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			if (same_label && strcmp(a[i].label, b[j].label))
				continue;
			double s = part_sim(kind, &a[i], &b[j]);
			if (s >= thr)
				pairs[np++] = (pair){s, i, j};
		}
	qsort(pairs, np, sizeof *pairs, pair_cmp);
	for (size_t k = 0; k < np; k++) {
		if (used_a[pairs[k].i] || used_b[pairs[k].j])
			continue;
		used_a[pairs[k].i] = used_b[pairs[k].j] = true;
		*sum += pairs[k].sim;
		m++;
	}
out:
	free(pairs);
	free(used_a);
	free(used_b);
	return m;
}

double quality_mean_iou(const json_t *a, const json_t *b)
{
	part *pa, *pb;
	long na = parts_of(KIND_IMAGE_BBOX, a, &pa), nb = parts_of(KIND_IMAGE_BBOX, b, &pb);
	double r = 0;
	if (na >= 0 && nb >= 0) {
		if (!na && !nb) {
			r = 1;
		} else {
			double sum;
			match(KIND_IMAGE_BBOX, pa, (size_t)na, pb, (size_t)nb, QUALITY_MATCH_IOU, false,
			      &sum);
			r = sum / (double)(na > nb ? na : nb);
		}
	}
	free(pa);
	free(pb);
	return r;
}

double quality_span_f1(const json_t *a, const json_t *b)
{
	part *pa, *pb;
	long na = parts_of(KIND_TEXT_SPANS, a, &pa), nb = parts_of(KIND_TEXT_SPANS, b, &pb);
	double r = 0;
	if (na >= 0 && nb >= 0) {
		if (!na && !nb) {
			r = 1;
		} else {
			bool *used = calloc((size_t)nb + 1, 1);
			long m = 0;
			for (long i = 0; used && i < na; i++)
				for (long j = 0; j < nb; j++)
					if (!used[j] && part_equal(&pa[i], &pb[j])) {
						used[j] = true;
						m++;
						break;
					}
			free(used);
			r = 2.0 * (double)m / (double)(na + nb);
		}
	}
	free(pa);
	free(pb);
	return r;
}

static const char *str_or_empty(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

static const char *str_at(const json_t *arr, size_t i)
{
	return str_or_empty(json_array_get(arr, i));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *quality_class_value(const json_t *annotation)
{
	json_t *labels = json_object_get(annotation, "labels");
	if (!json_is_array(labels))
		return NULL;
	size_t n = json_array_size(labels), len = 1;
	const char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = json_string_value(json_array_get(labels, i));
		if (!v[i]) {
			free(v);
			return NULL;
		}
		len += strlen(v[i]) + 1;
	}
	qsort(v, n, sizeof *v, str_cmp);
	char *out = malloc(len), *w = out;
	if (out) {
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(v[i]);
			if (i)
				*w++ = '|';
			memcpy(w, v[i], l);
			w += l;
		}
		*w = '\0';
	}
	free(v);
	return out;
}

static double class_sim(const json_t *a, const json_t *b)
{
	char *va = quality_class_value(a), *vb = quality_class_value(b);
	double r = va && vb && !strcmp(va, vb) ? 1.0 : 0.0;
	free(va);
	free(vb);
	return r;
}

/* Free text agrees only when it is the same: a's text equals b's, or is among b's answers. */
static double response_sim(const json_t *a, const json_t *b)
{
	const json_t *text = json_object_get(a, "text");
	if (!json_is_string(text))
		return 0;
	if (json_equal(text, json_object_get(b, "text")))
		return 1;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(b, "answers"), i, v)
		if (json_equal(text, v))
			return 1;
	return 0;
}

double quality_similarity(task_kind kind, const json_t *a, const json_t *b)
{
	switch (kind) {
	case KIND_IMAGE_BBOX:
		return quality_mean_iou(a, b);
	case KIND_TEXT_SPANS:
		return quality_span_f1(a, b);
	case KIND_LLM_PREFERENCE:
		return quality_pair_agreement(a, b);
	case KIND_LLM_RESPONSE:
		return response_sim(a, b);
	case KIND_IMAGE_TRANSCRIPTION:
		return quality_transcription_similarity(a, b);
	default:
		return class_sim(a, b);
	}
}

/* The best response an answer names: its best, else the head of its ranking; NULL for none. */
static const json_t *named_best(const json_t *ann)
{
	const json_t *best = json_object_get(ann, "best");
	if (json_is_string(best))
		return best;
	const json_t *ranking = json_object_get(ann, "ranking");
	return json_is_array(ranking) && !json_is_true(json_object_get(ann, "tie"))
		   ? json_array_get(ranking, 0)
		   : NULL;
}

/* Preference gold is the known best response (or a tie, best null); transcription gold passes
 * at QUALITY_GOLD_CER, else scores 1 - CER; llm_response has no gold (free text). */
static double kind_gold_score(task_kind kind, const json_t *gold, const json_t *answer)
{
	if (kind == KIND_LLM_PREFERENCE) {
		const json_t *g = named_best(gold), *a = named_best(answer);
		return (!g && !a) || (g && a && json_equal(g, a)) ? 1 : 0;
	}
	if (kind == KIND_IMAGE_TRANSCRIPTION) {
		double cer = quality_transcription_cer(answer, gold);
		return cer <= QUALITY_GOLD_CER ? 1 : cer < 1 ? 1 - cer : 0;
	}
	return 0;
}

double quality_gold_score(task_kind kind, const json_t *gold, const json_t *answer)
{
	if (kind == KIND_LLM_PREFERENCE || kind == KIND_LLM_RESPONSE ||
	    kind == KIND_IMAGE_TRANSCRIPTION)
		return kind_gold_score(kind, gold, answer);
	if (kind == KIND_TEXT_SPANS)
		return quality_span_f1(gold, answer);
	if (kind != KIND_IMAGE_BBOX)
		return class_sim(gold, answer);
	part *pa, *pb;
	long na = parts_of(kind, gold, &pa), nb = parts_of(kind, answer, &pb);
	double r = 0;
	if (na >= 0 && nb >= 0) {
		double sum;
		size_t m = match(kind, pa, (size_t)na, pb, (size_t)nb, QUALITY_MATCH_IOU, true, &sum);
		r = na + nb ? 2.0 * (double)m / (double)(na + nb) : 1.0;
	}
	free(pa);
	free(pb);
	return r;
}

/* ---- consolidation ---- */

/* The most frequent of n labels (ties: the smallest by strcmp); NULL when n == 0. */
static const char *label_vote(const char **labels, size_t n)
{
	if (!n)
		return NULL;
	qsort(labels, n, sizeof *labels, str_cmp);
	const char *best = NULL;
	size_t best_n = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !strcmp(labels[j], labels[i]))
			j++;
		if (j - i > best_n) {
			best_n = j - i;
			best = labels[i];
		}
		i = j;
	}
	return best;
}

static json_t *consolidate_class(bool multi, json_t *const *anns, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += json_array_size(json_object_get(anns[i], "labels"));
	const char **all = calloc(total + 1, sizeof *all);
	if (!all)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *ls = json_object_get(anns[i], "labels");
		for (size_t j = 0; j < json_array_size(ls); j++) {
			const char *s = json_string_value(json_array_get(ls, j));
			bool dup = false; /* a label counts once per annotator */
			for (size_t q = 0; s && q < j && !dup; q++)
				dup = !strcmp(s, str_at(ls, q));
			if (s && !dup)
				all[k++] = s;
		}
	}
	json_t *labels = json_array();
	if (multi) {
		qsort(all, k, sizeof *all, str_cmp);
		for (size_t i = 0; i < k;) {
			size_t j = i;
			while (j < k && !strcmp(all[j], all[i]))
				j++;
			if (2 * (j - i) > n)
				json_array_append_new(labels, json_string(all[i]));
			i = j;
		}
	}
	if (!json_array_size(labels)) {
		const char *best = label_vote(all, k);
		if (best)
			json_array_append_new(labels, json_string(best));
	}
	free(all);
	return json_pack("{s:o}", "labels", labels);
}

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

static json_t *consolidate_parts(task_kind kind, json_t *const *anns, size_t n)
{
	bool boxes = kind == KIND_IMAGE_BBOX;
	size_t total = 0;
	part **per = calloc(n, sizeof *per);
	long *cnt = calloc(n, sizeof *cnt);
	json_t *out = NULL;
	part *all = NULL;
	size_t *cluster = NULL, *seed = NULL, *size = NULL;
	if (!per || !cnt)
		goto out;
	for (size_t i = 0; i < n; i++) {
		cnt[i] = parts_of(kind, anns[i], &per[i]);
		if (cnt[i] < 0)
			cnt[i] = 0;
		total += (size_t)cnt[i];
	}
	all = calloc(total + 1, sizeof *all);
	cluster = calloc(total + 1, sizeof *cluster); /* the cluster of each part */
	seed = calloc(total + 1, sizeof *seed);       /* each cluster's first part */
	size = calloc(total + 1, sizeof *size);
	if (!all || !cluster || !seed || !size)
		goto out;
	size_t np = 0, nc = 0;
	for (size_t i = 0; i < n; i++) {
		for (long q = 0; q < cnt[i]; q++) {
			part *p = &all[np];
			*p = per[i][q];
			p->who = i;
			size_t best = nc;
			double best_sim = 0;
			for (size_t c = 0; c < nc; c++) {
				bool taken = false; /* one part per annotator in a cluster */
				for (size_t r = 0; r < np && !taken; r++)
					taken = cluster[r] == c && all[r].who == i;
				if (taken)
					continue;
				double s = part_sim(kind, &all[seed[c]], p);
				if (s >= QUALITY_MATCH_IOU && s > best_sim) {
					best_sim = s;
					best = c;
				}
			}
			if (best == nc)
				seed[nc++] = np;
			cluster[np] = best;
			size[best]++;
			np++;
		}
	}
	json_t *arr = json_array();
	double *vals = calloc(n + 1, sizeof *vals);
	const char **labels = calloc(n + 1, sizeof *labels);
	for (size_t c = 0; vals && labels && c < nc; c++) {
		if (2 * size[c] <= n)
			continue;
		double v[4];
		size_t m = 0;
		for (int k = 0; k < (boxes ? 4 : 2); k++) {
			m = 0;
			double sum = 0;
			for (size_t r = 0; r < np; r++)
				if (cluster[r] == c) {
					vals[m++] = all[r].v[k];
					sum += all[r].v[k];
				}
			if (boxes) {
				v[k] = round2(sum / (double)m);
			} else {
				qsort(vals, m, sizeof *vals, double_cmp);
				v[k] = vals[(m - 1) / 2];
			}
		}
		m = 0;
		for (size_t r = 0; r < np; r++)
			if (cluster[r] == c)
				labels[m++] = all[r].label;
		const char *label = label_vote(labels, m);
		if (boxes)
			json_array_append_new(arr, json_pack("{s:f,s:f,s:f,s:f,s:s}", "x", v[0], "y",
							     v[1], "w", v[2], "h", v[3], "label",
							     label));
		else if (v[1] > v[0])
			json_array_append_new(arr, json_pack("{s:I,s:I,s:s}", "start",
							     (json_int_t)v[0], "end",
							     (json_int_t)v[1], "label", label));
	}
	free(vals);
	free(labels);
	out = json_pack("{s:o}", boxes ? "boxes" : "spans", arr);
out:
	for (size_t i = 0; per && i < n; i++)
		free(per[i]);
	free(per);
	free(cnt);
	free(all);
	free(cluster);
	free(seed);
	free(size);
	return out;
}

json_t *quality_consolidate(task_kind kind, bool multi_label, json_t *const *anns, size_t n,
			    double *agreement)
{
	if (!n)
		return NULL;
	json_t *out;
	switch (kind) {
	case KIND_IMAGE_BBOX:
	case KIND_TEXT_SPANS: out = consolidate_parts(kind, anns, n); break;
	case KIND_LLM_PREFERENCE: out = quality_consolidate_preference(anns, n); break;
	case KIND_LLM_RESPONSE: out = quality_consolidate_responses(anns, n); break;
	case KIND_IMAGE_TRANSCRIPTION: out = quality_consolidate_transcription(anns, n); break;
	default: out = consolidate_class(multi_label, anns, n); break;
	}
	if (out && agreement) {
		double sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += quality_similarity(kind, anns[i], out);
		*agreement = sum / (double)n;
	}
	return out;
}

/* ---- Krippendorff's alpha, nominal ---- */

/* Observed disagreement per unit: ordered pairs of different values / (m_u - 1); expected
 * disagreement from the totals n_c of each value over pairable units. With nominal data no
 * coincidence matrix is needed: sum_{c != k} n_c n_k = n^2 - sum_c n_c^2. */
struct alpha_value {
	char *value;
	double n;
};

static struct alpha_value *alpha_value(quality_alpha *a, const char *v)
{
	for (size_t i = 0; i < a->nvalues; i++)
		if (!strcmp(a->values[i].value, v))
			return &a->values[i];
	if (a->nvalues == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 8;
		struct alpha_value *more = realloc(a->values, cap * sizeof *more);
		if (!more)
			return NULL;
		a->values = more;
		a->cap = cap;
	}
	char *copy = strdup(v);
	if (!copy)
		return NULL;
	a->values[a->nvalues] = (struct alpha_value){copy, 0};
	return &a->values[a->nvalues++];
}

int quality_alpha_add(quality_alpha *a, const char *const *values, size_t m)
{
	if (a->failed)
		return CL_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < m; i++)
		n += values[i] != NULL;
	if (n < 2)
		return 0;
	double same = 0;
	for (size_t i = 0; i < m; i++) {
		if (!values[i])
			continue;
		struct alpha_value *v = alpha_value(a, values[i]);
		if (!v) {
			a->failed = true;
			return CL_ENOMEM;
		}
		v->n++;
		for (size_t j = 0; j < m; j++)
			same += j != i && values[j] && !strcmp(values[i], values[j]);
	}
	a->observed += ((double)n * (double)(n - 1) - same) / (double)(n - 1);
	a->pairable += (double)n;
	return 0;
}

double quality_alpha_result(const quality_alpha *a)
{
	if (a->failed || a->pairable < 2)
		return NAN;
	double sq = 0;
	for (size_t i = 0; i < a->nvalues; i++)
		sq += a->values[i].n * a->values[i].n;
	double expected = a->pairable * a->pairable - sq;
	return expected <= 0 ? 1.0 : 1.0 - (a->pairable - 1.0) * a->observed / expected;
}

void quality_alpha_free(quality_alpha *a)
{
	for (size_t i = 0; i < a->nvalues; i++)
		free(a->values[i].value);
	free(a->values);
	*a = (quality_alpha){0};
}

double quality_alpha_nominal(const char *const *values, size_t units, size_t coders)
{
	quality_alpha a = {0};
	for (size_t u = 0; u < units; u++)
		quality_alpha_add(&a, values + u * coders, coders);
	double r = quality_alpha_result(&a);
	quality_alpha_free(&a);
	return r;
}

/* ---- honeypots ---- */

static const char *other_label(const json_t *labels, const char *not, uint32_t pick)
{
	size_t nl = json_array_size(labels), cand = 0;
	for (size_t i = 0; i < nl; i++)
		if (strcmp(str_at(labels, i), not))
			cand++;
	if (!cand)
		return NULL;
	size_t want = pick % cand;
	for (size_t i = 0; i < nl; i++) {
		const char *s = str_at(labels, i);
		if (strcmp(s, not) && want-- == 0)
			return s;
	}
	return NULL;
}

json_t *quality_plant_error(task_kind kind, const json_t *gold, const json_t *labels,
			    uint32_t pick)
{
	if (!json_is_object(gold))
		return NULL;
	if (kind == KIND_IMAGE_BBOX || kind == KIND_TEXT_SPANS) {
		const char *key = kind == KIND_IMAGE_BBOX ? "boxes" : "spans";
		json_t *arr = json_object_get(gold, key);
		size_t n = json_array_size(arr);
		if (!n)
			return NULL;
		json_t *out = json_deep_copy(gold);
		json_t *parts = json_object_get(out, key);
		size_t idx = pick % n;
		json_t *p = json_array_get(parts, idx);
		const char *cur = str_or_empty(json_object_get(p, "label"));
		const char *other = other_label(labels, cur, pick / (uint32_t)n);
		if (other)
			json_object_set_new(p, "label", json_string(other));
		else
			json_array_remove(parts, idx);
		return out;
	}
	json_t *ls = json_object_get(gold, "labels");
	size_t n = json_array_size(ls);
	if (!n)
		return NULL;
	/* Swap one chosen label for one the answer does not have. */
	size_t idx = pick % n;
	for (uint32_t tries = 0; tries < json_array_size(labels); tries++) {
		const char *cand = other_label(labels, str_at(ls, idx),
					       pick / (uint32_t)n + tries);
		if (!cand)
			return NULL;
		bool present = false;
		for (size_t i = 0; i < n && !present; i++)
			present = !strcmp(str_at(ls, i), cand);
		if (present)
			continue;
		json_t *out = json_deep_copy(gold);
		json_array_set_new(json_object_get(out, "labels"), idx, json_string(cand));
		return out;
	}
	return NULL;
}

/* ---- settings ---- */

void quality_settings_init(quality_settings *s)
{
	memset(s, 0, sizeof *s);
	s->auto_promote = true;
	s->promote_min_approved = 50;
	s->promote_min_first_pass = 0.9;
	s->promote_min_gold = 0.9;
	s->promote_min_gold_n = 0;
	s->auto_demote = true;
	s->demote_min_checks = 5;
	s->demote_below = 0.8;
}

static int get_rate(const json_t *v, const char *key, double *out, cl_error *err)
{
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
		return cl_fail(err, CL_EINVAL, NULL, "\"%s\" must be a number in [0,1]", key);
	*out = json_number_value(v);
	return 0;
}

static int get_count(const json_t *v, const char *key, int *out, cl_error *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
		return cl_fail(err, CL_EINVAL, NULL, "\"%s\" must be an integer in [0,1000000]", key);
	*out = (int)json_integer_value(v);
	return 0;
}

static int get_bool(const json_t *v, const char *key, bool *out, cl_error *err)
{
	if (!json_is_boolean(v))
		return cl_fail(err, CL_EINVAL, NULL, "\"%s\" must be a boolean", key);
	*out = json_is_true(v);
	return 0;
}

const json_field quality_settings_fields[] = {
    {"gold_rate", JSON_FIELD_NUMBER, 0, NULL},
    {"honeypot_rate", JSON_FIELD_NUMBER, 0, NULL},
    {"auto_promote", JSON_FIELD_BOOLEAN, 0, NULL},
    {"promote_min_approved", JSON_FIELD_INTEGER, 0, NULL},
    {"promote_min_first_pass", JSON_FIELD_NUMBER, 0, NULL},
    {"promote_min_gold", JSON_FIELD_NUMBER, 0, NULL},
    {"promote_min_gold_answers", JSON_FIELD_INTEGER, 0, NULL},
    {"auto_demote", JSON_FIELD_BOOLEAN, 0, NULL},
    {"demote_min_checks", JSON_FIELD_INTEGER, 0, NULL},
    {"demote_below", JSON_FIELD_NUMBER, 0, NULL},
    {"required_courses", JSON_FIELD_ARRAY, 0, NULL},
    {NULL, 0, 0, NULL},
};

int quality_settings_apply_json(quality_settings *s, const json_t *in, cl_error *err)
{
	int rc = json_fields_check(in, quality_settings_fields, false, err);
	if (rc)
		return rc;
	quality_settings t = *s;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)in, key, v)
	{
		if (!strcmp(key, "gold_rate"))
			rc = get_rate(v, key, &t.gold_rate, err);
		else if (!strcmp(key, "honeypot_rate"))
			rc = get_rate(v, key, &t.honeypot_rate, err);
		else if (!strcmp(key, "auto_promote"))
			rc = get_bool(v, key, &t.auto_promote, err);
		else if (!strcmp(key, "promote_min_approved"))
			rc = get_count(v, key, &t.promote_min_approved, err);
		else if (!strcmp(key, "promote_min_first_pass"))
			rc = get_rate(v, key, &t.promote_min_first_pass, err);
		else if (!strcmp(key, "promote_min_gold"))
			rc = get_rate(v, key, &t.promote_min_gold, err);
		else if (!strcmp(key, "promote_min_gold_answers"))
			rc = get_count(v, key, &t.promote_min_gold_n, err);
		else if (!strcmp(key, "auto_demote"))
			rc = get_bool(v, key, &t.auto_demote, err);
		else if (!strcmp(key, "demote_min_checks"))
			rc = get_count(v, key, &t.demote_min_checks, err);
		else if (!strcmp(key, "demote_below"))
			rc = get_rate(v, key, &t.demote_below, err);
		else if (!strcmp(key, "required_courses")) {
			rc = 0;
			if (!json_is_array(v) || json_array_size(v) > QUALITY_MAX_COURSES)
				rc = cl_fail(err, CL_EINVAL, NULL,
					     "\"required_courses\" must be an array of up to %d ids",
					     QUALITY_MAX_COURSES);
			t.n_required = 0;
			for (size_t i = 0; !rc && i < json_array_size(v); i++) {
				json_t *id = json_array_get(v, i);
				if (!json_is_integer(id) || json_integer_value(id) <= 0)
					rc = cl_fail(err, CL_EINVAL, NULL,
						     "\"required_courses\" must hold course ids");
				else
					t.required_courses[t.n_required++] = json_integer_value(id);
			}
		} else
			rc = cl_fail(err, CL_EINTERNAL, NULL, "no reader for field \"%.64s\"", key);
		if (rc)
			return rc;
	}
	*s = t;
	return 0;
}

json_t *quality_settings_to_json(const quality_settings *s)
{
	json_t *courses = json_array();
	for (int i = 0; i < s->n_required; i++)
		json_array_append_new(courses, json_integer(s->required_courses[i]));
	return json_pack("{s:f,s:f,s:o,s:b,s:i,s:f,s:f,s:i,s:b,s:i,s:f}", "gold_rate", s->gold_rate,
			 "honeypot_rate", s->honeypot_rate, "required_courses", courses,
			 "auto_promote", s->auto_promote, "promote_min_approved",
			 s->promote_min_approved, "promote_min_first_pass", s->promote_min_first_pass,
			 "promote_min_gold", s->promote_min_gold, "promote_min_gold_answers",
			 s->promote_min_gold_n, "auto_demote", s->auto_demote, "demote_min_checks",
			 s->demote_min_checks, "demote_below", s->demote_below);
}

bool quality_should_promote(const quality_settings *s, const quality_worker_figures *f)
{
	if (!s->auto_promote || f->approved < s->promote_min_approved || f->approved <= 0)
		return false;
	if ((double)f->first_pass < s->promote_min_first_pass * (double)f->approved - 1e-9)
		return false;
	if (f->gold_n < s->promote_min_gold_n)
		return false;
	if (f->gold_n > 0 &&
	    (double)f->gold_correct < s->promote_min_gold * (double)f->gold_n - 1e-9)
		return false;
	return true;
}

bool quality_should_demote(const quality_settings *s, long checks, long passed)
{
	if (!s->auto_demote || checks <= 0 || checks < s->demote_min_checks)
		return false;
	return (double)passed < s->demote_below * (double)checks - 1e-9;
}
