/* Matching: a worker's history on a kind makes a fit; pay, required courses and open tasks turn
 * it into a project's rank for a worker, and courses a worker's rank for a project. */
#include "core/matching.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void match_fit_of(const matching_history *h, int64_t now, match_fit *f)
{
	memset(f, 0, sizeof *f);
	f->has_gold_accuracy = h->gold_n > 0;
	f->has_approval_rate = h->approved > 0;
	f->has_avg_seconds = h->submissions > 0;
	f->gold_answers = h->gold_n;
	f->approved = h->approved;
	double acc = h->gold_n ? (double)h->gold_k / (double)h->gold_n : 0.5;
	double appr = h->approved ? (double)h->first_pass / (double)h->approved : 0.5;
	f->avg_seconds =
	    h->submissions ? (double)h->active_ms / (double)h->submissions / 1000.0 : 0;
	double speed = h->submissions ? 1.0 / (1.0 + f->avg_seconds / 60.0) : 0.5;
	double days = h->last_at ? (double)(now - h->last_at) / 86400000.0 : -1;
	double recency = days >= 0 ? exp(-days / 30.0) : 0.0;
	f->gold_accuracy = acc;
	f->approval_rate = appr;
	f->days_since_last = days;
	f->has_days_since_last = days >= 0;
	f->score = MATCH_WEIGHT_GOLD * acc + MATCH_WEIGHT_APPROVAL * appr +
		   MATCH_WEIGHT_SPEED * speed + MATCH_WEIGHT_RECENCY * recency;
}

void match_project(const matching_project *k, const matching_history *h, int64_t max_price,
		   int64_t now, project_match *m)
{
	memset(m, 0, sizeof *m);
	m->project = k;
	match_fit_of(h, now, &m->fit);
	double score = 0.85 * m->fit.score;
	m->pay = max_price ? (double)k->price / (double)max_price : 0;
	score += 0.15 * m->pay;
	for (int q = 0; q < k->courses.n; q++)
		if (!k->courses.held[q])
			m->missing[m->n_missing++] = k->courses.id[q];
	m->qualified = m->n_missing == 0;
	if (!m->qualified)
		score *= 0.1; /* listed, but after everything the worker can take now */
	if (!k->open)
		score *= 0.5;
	m->score = score;
}

void match_worker(const matching_worker *w, const matching_courses *required, int64_t now,
		  worker_match *m)
{
	memset(m, 0, sizeof *m);
	m->worker = w;
	match_fit_of(&w->history, now, &m->fit);
	double score = m->fit.score;
	m->qualified = true;
	for (int q = 0; q < required->n && m->qualified; q++)
		m->qualified = w->held[q];
	if (!m->qualified)
		score *= 0.5;
	m->score = score;
}

/* Best first, ties by the lower id. */
static int by_rank(double xs, int64_t xid, double ys, int64_t yid)
{
	if (xs != ys)
		return xs > ys ? -1 : 1;
	return xid < yid ? -1 : xid > yid;
}

static int project_match_cmp(const void *a, const void *b)
{
	const project_match *x = a, *y = b;
	return by_rank(x->score, x->project->id, y->score, y->project->id);
}

static int worker_match_cmp(const void *a, const void *b)
{
	const worker_match *x = a, *y = b;
	return by_rank(x->score, x->worker->id, y->score, y->worker->id);
}

static size_t top_of(size_t n)
{
	return n < MATCHES_MAX ? n : MATCHES_MAX;
}

int matching_rank_projects(const matching_projects *rows, int64_t now, project_match **top,
			   size_t *n)
{
	*n = 0;
	*top = rows->n ? malloc(rows->n * sizeof **top) : NULL;
	if (rows->n && !*top)
		return CL_ENOMEM;
	for (size_t i = 0; i < rows->n; i++) {
		const matching_project *k = &rows->of[i];
		match_project(k, &rows->history[k->kind_of], rows->max_price, now, &(*top)[i]);
	}
	if (rows->n)
		qsort(*top, rows->n, sizeof **top, project_match_cmp);
	*n = top_of(rows->n);
	return 0;
}

int matching_rank_workers(const matching_workers *rows, int64_t now, worker_match **top, size_t *n)
{
	*n = 0;
	*top = rows->n ? malloc(rows->n * sizeof **top) : NULL;
	if (rows->n && !*top)
		return CL_ENOMEM;
	for (size_t i = 0; i < rows->n; i++)
		match_worker(&rows->of[i], &rows->required, now, &(*top)[i]);
	if (rows->n)
		qsort(*top, rows->n, sizeof **top, worker_match_cmp);
	*n = top_of(rows->n);
	return 0;
}

int matching_for_worker(const store *st, int64_t user_id, int64_t now, project_matches *out)
{
	memset(out, 0, sizeof *out);
	int rc = st->ops->matching_projects(st->db, user_id, &out->rows);
	if (!rc)
		rc = matching_rank_projects(&out->rows, now, &out->top, &out->n);
	return rc;
}

int matching_for_project(const store *st, int64_t project_id, task_kind kind, int64_t now,
			 worker_matches *out)
{
	memset(out, 0, sizeof *out);
	int rc = st->ops->matching_workers(st->db, project_id, kind, &out->rows);
	if (!rc)
		rc = matching_rank_workers(&out->rows, now, &out->top, &out->n);
	return rc;
}

void project_matches_release(project_matches *m)
{
	free(m->top);
	free(m->rows.of);
	memset(m, 0, sizeof *m);
}

void worker_matches_release(worker_matches *m)
{
	free(m->top);
	free(m->rows.of);
	memset(m, 0, sizeof *m);
}
