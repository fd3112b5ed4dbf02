/* Quality figures: the store counts, core puts a Wilson interval on each proportion and raises
 * the flags the managers act on. */
#include "core/quality_figures.h"
#include "core/quality.h"
#include "core/quality_settings.h"

#include <stdlib.h>
#include <string.h>

/* Gold answers a worker needs before a low accuracy flags them. */
#define SPAMMER_MIN_GOLD 8
/* The top of a flagged worker's gold accuracy interval is below this. */
#define SPAMMER_BELOW 0.7

static quality_interval wilson(long k, long n)
{
	return quality_wilson(k, n, QUALITY_Z95);
}

static void judge_worker(quality_worker_line *w)
{
	w->gold_accuracy = wilson(w->gold_k, w->gold_n);
	/* Mostly wrong on known answers, with enough of them to be sure. */
	w->suspected_spammer = w->gold_n >= SPAMMER_MIN_GOLD && w->gold_accuracy.hi < SPAMMER_BELOW;
}

static void judge_reviewer(quality_reviewer_line *r, const quality_settings *s)
{
	long checks = r->honeypots + r->audits;
	r->accuracy = wilson(r->caught + r->passed, checks);
	r->careless =
	    checks >= s->demote_min_checks && checks > 0 && r->accuracy.p < s->demote_below;
}

void quality_figures_judge(quality_figures *f, const quality_settings *s)
{
	f->estimated_quality = wilson(f->audits_k, f->audits_n);
	f->gold_accuracy = wilson(f->gold_k, f->gold_n);
	for (size_t i = 0; i < f->n_workers; i++)
		judge_worker(&f->workers[i]);
	for (size_t i = 0; i < f->n_reviewers; i++)
		judge_reviewer(&f->reviewers[i], s);
}

int quality_figures_read(const store *st, int64_t project_id, quality_figures *f)
{
	quality_settings s;
	quality_settings_read(st, project_id, &s);
	int rc = st->ops->quality_counts(st->db, project_id, f);
	if (!rc)
		quality_figures_judge(f, &s);
	return rc;
}

void quality_figures_release(quality_figures *f)
{
	free(f->workers);
	free(f->reviewers);
	memset(f, 0, sizeof *f);
}

void quality_me_judge(quality_me *m)
{
	for (int i = 0; i < m->n_kinds; i++)
		m->kinds[i].accuracy = wilson(m->kinds[i].k, m->kinds[i].n);
	m->reviewer_accuracy = wilson(m->honeypots_k + m->audits_k, m->honeypots_n + m->audits_n);
}

void quality_me_read(const store *st, int64_t user_id, int64_t cutoff, int batch, quality_me *m)
{
	st->ops->quality_me_counts(st->db, user_id, cutoff, batch, m);
	quality_me_judge(m);
}
