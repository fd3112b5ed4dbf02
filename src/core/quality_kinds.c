/* Quality arithmetic of the LLM and transcription kinds (core/quality.h): preferences compared
 * pair by pair (pairwise agreement, Kendall's tau-b, a majority over pairs), character error
 * rates by Levenshtein distance over code points, and the consolidation of each kind. */
#include "core/quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- preferences, pair by pair ---- */

/* The response ids an answer was shown, from its "order". */
static const json_t *pref_ids(const json_t *ann)
{
	const json_t *order = json_object_get(ann, "order");
	return json_is_array(order) ? order : NULL;
}

static long position_of(const json_t *arr, const char *id)
{
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return (long)i;
	}
	return -1;
}

int quality_prefers(const json_t *ann, const char *x, const char *y)
{
	if (json_is_true(json_object_get(ann, "tie")))
		return 0;
	const json_t *ranking = json_object_get(ann, "ranking");
	if (json_is_array(ranking)) {
		long px = position_of(ranking, x), py = position_of(ranking, y);
		if (px >= 0 && py >= 0 && px != py)
			return px < py ? 1 : -1;
		return 0;
	}
	const char *best = json_string_value(json_object_get(ann, "best"));
	if (best && !strcmp(best, x))
		return 1;
	if (best && !strcmp(best, y))
		return -1;
	return 0;
}

/* Visits each pair of shown ids once: x at index i, y at index j > i. */
#define FOR_PAIRS(ids, i, j, x, y)                                                                 \
	for (size_t i = 0; i < json_array_size(ids); i++)                                          \
		for (size_t j = i + 1; j < json_array_size(ids); j++)                              \
			for (const char *x = json_string_value(json_array_get(ids, i)),            \
					*y = json_string_value(json_array_get(ids, j));            \
			     x && y; x = y = NULL)

double quality_pair_agreement(const json_t *a, const json_t *b)
{
	const json_t *ids = pref_ids(a);
	long same = 0, pairs = 0;
	FOR_PAIRS(ids, i, j, x, y)
	{
		pairs++;
		same += quality_prefers(a, x, y) == quality_prefers(b, x, y);
	}
	return pairs ? (double)same / (double)pairs : ids ? 1 : 0;
}

double quality_kendall_tau(const json_t *a, const json_t *b)
{
	const json_t *ids = pref_ids(a);
	long n0 = 0, ties_a = 0, ties_b = 0, concordant = 0, discordant = 0;
	FOR_PAIRS(ids, i, j, x, y)
	{
		int pa = quality_prefers(a, x, y), pb = quality_prefers(b, x, y);
		n0++;
		ties_a += pa == 0;
		ties_b += pb == 0;
		concordant += pa * pb > 0;
		discordant += pa * pb < 0;
	}
	double denom = sqrt((double)(n0 - ties_a) * (double)(n0 - ties_b));
	if (denom == 0)
		return ties_a == n0 && ties_b == n0 ? 1 : 0;
	return (double)(concordant - discordant) / denom;
}

int quality_first_shown_chosen(const json_t *ann)
{
	const json_t *order = pref_ids(ann);
	const json_t *best = json_object_get(ann, "best");
	if (!json_is_string(best)) {
		const json_t *ranking = json_object_get(ann, "ranking");
		best = json_is_array(ranking) ? json_array_get(ranking, 0) : NULL;
	}
	if (!order || !json_is_string(best) || json_array_size(order) == 0)
		return -1;
	return json_equal(best, json_array_get(order, 0)) ? 1 : 0;
}

/* What the majority over pairs scores each response: a win 1, an even pair 0.5 each. */
typedef struct pref_score {
	const char *id;
	double wins;
	long votes; /* pairwise votes won, the tie-break */
} pref_score;

static int score_cmp(const void *pa, const void *pb)
{
	const pref_score *a = pa, *b = pb;
	if (a->wins != b->wins)
		return a->wins > b->wins ? -1 : 1;
	if (a->votes != b->votes)
		return a->votes > b->votes ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* The majority of the n answers on pair (x, y): +1 for x, -1 for y, 0 when even; *won gets
 * the winner's votes. */
static int pair_majority(json_t *const *anns, size_t n, const char *x, const char *y, long *vx,
			 long *vy)
{
	*vx = *vy = 0;
	for (size_t k = 0; k < n; k++) {
		int p = quality_prefers(anns[k], x, y);
		*vx += p > 0;
		*vy += p < 0;
	}
	return *vx > *vy ? 1 : *vx < *vy ? -1 : 0;
}

static double round2(double v)
{
	return round(v * 100) / 100;
}

/* The mean of each response's rating on each criterion, over the answers that gave it. */
static json_t *mean_ratings(json_t *const *anns, size_t n, const json_t *ids)
{
	json_t *out = json_object();
	size_t i;
	const json_t *idv;
	json_array_foreach(ids, i, idv)
	{
		const char *id = json_string_value(idv);
		json_t *sums = json_object(), *means = json_object();
		for (size_t k = 0; k < n; k++) {
			const char *crit;
			json_t *score;
			json_object_foreach(
			    json_object_get(json_object_get(anns[k], "ratings"), id), crit, score)
			{
				json_t *s = json_object_get(sums, crit);
				double sum = (s ? json_real_value(json_array_get(s, 0)) : 0) +
					     json_number_value(score);
				double cnt = (s ? json_real_value(json_array_get(s, 1)) : 0) + 1;
				json_object_set_new(sums, crit, json_pack("[f,f]", sum, cnt));
			}
		}
		const char *crit;
		json_t *s;
		json_object_foreach(sums, crit, s)
		    json_object_set_new(means, crit,
					json_real(round2(json_real_value(json_array_get(s, 0)) /
							 json_real_value(json_array_get(s, 1)))));
		json_decref(sums);
		json_object_set_new(out, id, means);
	}
	return out;
}

json_t *quality_consolidate_preference(json_t *const *anns, size_t n)
{
	const json_t *ids = n ? pref_ids(anns[0]) : NULL;
	size_t m = json_array_size(ids);
	if (!ids || m == 0 || m > 64)
		return NULL;
	pref_score score[64];
	for (size_t i = 0; i < m; i++)
		score[i] = (pref_score){json_string_value(json_array_get(ids, i)), 0, 0};
	json_t *pairs = json_array();
	FOR_PAIRS(ids, i, j, x, y)
	{
		long vx, vy;
		int w = pair_majority(anns, n, x, y, &vx, &vy);
		score[i].wins += w > 0 ? 1 : w == 0 ? 0.5 : 0;
		score[j].wins += w < 0 ? 1 : w == 0 ? 0.5 : 0;
		score[i].votes += vx;
		score[j].votes += vy;
		if (w)
			json_array_append_new(
			    pairs, json_pack("{s:s,s:s,s:f}", "chosen", w > 0 ? x : y, "rejected",
					     w > 0 ? y : x, "agreement",
					     round2((double)(w > 0 ? vx : vy) / (double)n)));
	}
	qsort(score, m, sizeof *score, score_cmp);
	json_t *ranking = json_array();
	for (size_t i = 0; i < m; i++)
		json_array_append_new(ranking, json_string(score[i].id));
	bool tie = m > 1 && score[0].wins == score[1].wins;
	return json_pack("{s:o,s:o,s:b,s:o,s:o}", "best",
			 tie ? json_null() : json_string(score[0].id), "ranking", ranking, "tie",
			 tie, "pairs", pairs, "ratings", mean_ratings(anns, n, ids));
}

/* ---- character error rate ---- */

/* Decodes valid UTF-8 into code points (malloc'd; *n their count). */
static uint32_t *code_points(const char *s, size_t *n)
{
	size_t len = strlen(s);
	uint32_t *out = malloc((len + 1) * sizeof *out);
	*n = 0;
	if (!out)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c = *p;
		size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (k > 1)
			c &= 0x3f >> (k - 1);
		for (size_t i = 1; i < k && p[i]; i++)
			c = c << 6 | (p[i] & 0x3f);
		for (size_t i = 0; i < k && *p; i++)
			p++;
		out[(*n)++] = c;
	}
	return out;
}

/* The Levenshtein distance of a and b, over cells within `band` of the diagonal: exact whenever
 * the distance is within the band, an upper bound past it. */
static size_t levenshtein(const uint32_t *a, size_t n, const uint32_t *b, size_t m, size_t band)
{
	size_t *prev = malloc((m + 1) * sizeof *prev), *cur = malloc((m + 1) * sizeof *cur);
	size_t inf = n + m + 1, d = inf;
	if (!prev || !cur)
		goto out;
	for (size_t j = 0; j <= m; j++)
		prev[j] = j <= band ? j : inf;
	for (size_t i = 1; i <= n; i++) {
		size_t lo = i > band ? i - band : 0, hi = i + band < m ? i + band : m;
		/* Cells just outside the band read as unreachable by this row and the next. */
		if (lo == 0)
			cur[0] = i;
		else
			cur[lo - 1] = inf;
		if (hi < m)
			cur[hi + 1] = inf;
		for (size_t j = lo ? lo : 1; j <= hi; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		size_t *t = prev;
		prev = cur;
		cur = t;
	}
	d = prev[m] < inf ? prev[m] : (n > m ? n : m);
out:
	free(prev);
	free(cur);
	return d;
}

size_t quality_edit_distance(const char *a, const char *b)
{
	size_t n, m;
	uint32_t *ca = code_points(a, &n), *cb = code_points(b, &m);
	size_t d = n > m ? n : m;
	if (ca && cb) {
		size_t longer = d ? d : 1, diff = n > m ? n - m : m - n;
		size_t band = QUALITY_CER_MAX_CELLS / longer;
		d = levenshtein(ca, n, cb, m, band > diff ? band : diff);
	}
	free(ca);
	free(cb);
	return d;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static const char *line_text(const json_t *line)
{
	const char *t = json_string_value(json_object_get(line, "text"));
	return t ? t : "";
}

double quality_cer(const char *hyp, const char *ref)
{
	size_t len = utf8_chars(ref);
	size_t d = quality_edit_distance(hyp, ref);
	if (len == 0)
		return d ? 1 : 0;
	return (double)d / (double)len;
}

char *quality_transcription_text(const json_t *ann)
{
	size_t len = 1;
	size_t i;
	const json_t *line;
	json_array_foreach(json_object_get(ann, "lines"), i, line)
	{
		len += strlen(line_text(line)) + 1;
	}
	char *out = malloc(len), *at = out;
	if (!out)
		return NULL;
	json_array_foreach(json_object_get(ann, "lines"), i, line)
	{
		const char *t = line_text(line);
		if (i)
			*at++ = '\n';
		size_t n = strlen(t);
		memcpy(at, t, n);
		at += n;
	}
	*at = '\0';
	return out;
}

double quality_transcription_cer(const json_t *hyp, const json_t *ref)
{
	char *h = quality_transcription_text(hyp), *r = quality_transcription_text(ref);
	double cer = h && r ? quality_cer(h, r) : 1;
	free(h);
	free(r);
	return cer;
}

double quality_transcription_similarity(const json_t *a, const json_t *b)
{
	char *x = quality_transcription_text(a), *y = quality_transcription_text(b);
	double sim = 0;
	if (x && y) {
		size_t nx = utf8_chars(x), ny = utf8_chars(y), longer = nx > ny ? nx : ny;
		sim = longer ? 1 - (double)quality_edit_distance(x, y) / (double)longer : 1;
	}
	free(x);
	free(y);
	return sim;
}

json_t *quality_consolidate_transcription(json_t *const *anns, size_t n)
{
	/* The medoid: the answer closest to all the others. */
	size_t best = 0;
	double best_sum = INFINITY;
	for (size_t i = 0; i < n; i++) {
		double sum = 0;
		for (size_t j = 0; j < n; j++)
			if (j != i)
				sum += 1 - quality_transcription_similarity(anns[i], anns[j]);
		if (sum < best_sum) {
			best_sum = sum;
			best = i;
		}
	}
	return n ? json_deep_copy(anns[best]) : NULL;
}

json_t *quality_consolidate_responses(json_t *const *anns, size_t n)
{
	json_t *answers = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(answers, json_object_get(anns[i], "text"));
	return json_pack("{s:o,s:I}", "answers", answers, "count", (json_int_t)n);
}
