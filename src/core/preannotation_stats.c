/* What pre-annotations save: see core/preannotation_stats.h. */
#include "core/preannotation_stats.h"

#include <stdbool.h>
#include <stdlib.h>

static void durations_push(duration_list *l, int64_t ms)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *grown = realloc(l->ms, cap * sizeof *grown);
		if (!grown)
			return;
		l->ms = grown;
		l->cap = cap;
	}
	l->ms[l->n++] = ms;
}

/* Whether the worker submitted the suggestion unchanged: equal as JSON values, so the order
 * of an object's members does not count as a change. */
static bool accepted_as_is(const char *pre, const char *annotation)
{
	json_t *a = json_loads(pre, 0, NULL), *b = json_loads(annotation, 0, NULL);
	bool same = a && b && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

void preannotation_stats_add(preannotation_stats *s, int64_t duration_ms, const char *pre,
			     const char *annotation)
{
	if (duration_ms >= 0)
		durations_push(pre ? &s->with : &s->without, duration_ms);
	if (!pre || !annotation)
		return;
	if (accepted_as_is(pre, annotation))
		s->accepted++;
	else
		s->changed++;
}

static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* {"tasks","mean_seconds","median_seconds"} of the durations, freeing them. */
static json_t *durations_json(duration_list *l)
{
	json_t *o = json_pack("{s:I}", "tasks", (json_int_t)l->n);
	if (!l->n) {
		json_object_set_new(o, "mean_seconds", json_null());
		json_object_set_new(o, "median_seconds", json_null());
		return o;
	}
	qsort(l->ms, l->n, sizeof *l->ms, by_value);
	double sum = 0;
	for (size_t i = 0; i < l->n; i++)
		sum += (double)l->ms[i];
	double median = l->n % 2 ? (double)l->ms[l->n / 2]
				 : ((double)l->ms[l->n / 2 - 1] + (double)l->ms[l->n / 2]) / 2;
	json_object_set_new(o, "mean_seconds", json_real(sum / (double)l->n / 1000.0));
	json_object_set_new(o, "median_seconds", json_real(median / 1000.0));
	free(l->ms);
	*l = (duration_list){0};
	return o;
}

json_t *preannotation_stats_finish(preannotation_stats *s)
{
	int64_t judged = s->accepted + s->changed;
	json_t *o = json_pack("{s:o,s:o,s:I,s:I}", "with", durations_json(&s->with), "without",
			      durations_json(&s->without), "accepted", (json_int_t)s->accepted,
			      "changed", (json_int_t)s->changed);
	json_object_set_new(o, "changed_rate",
			    judged ? json_real((double)s->changed / (double)judged) : json_null());
	return o;
}
