/* The quality settings of a project and the figures promotion reads, as plain types: the store
 * loads them, core/quality.h holds the rules over them. */
#ifndef CROWDLOOP_CORE_QUALITY_TYPES_H
#define CROWDLOOP_CORE_QUALITY_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A project's quality and workforce settings (docs/API.md, QualitySettings). */
#define QUALITY_MAX_COURSES 16
typedef struct quality_settings {
	double gold_rate;     /* share of claims that get a gold task, [0,1] */
	double honeypot_rate; /* share of review claims that get a honeypot, [0,1] */
	int64_t required_courses[QUALITY_MAX_COURSES];
	int n_required;
	bool auto_promote;
	int promote_min_approved;
	double promote_min_first_pass; /* first-pass approvals / approvals */
	double promote_min_gold;       /* gold accuracy */
	int promote_min_gold_n;	       /* gold answers needed before promotion (0: not needed) */
	bool auto_demote;
	int demote_min_checks; /* honeypots + audited approvals before a demotion */
	double demote_below;   /* reviewer accuracy under which a reviewer is demoted */
} quality_settings;

/* A proportion k/n with its Wilson score interval. */
typedef struct quality_interval {
	long k, n;
	double p, lo, hi; /* all 0 when n == 0 */
} quality_interval;

/* One worker in a project's quality figures: the counts the store reads, then what core makes of
 * them (core/quality_figures.c). */
typedef struct quality_worker_line {
	int64_t user_id;
	char username[72], role[16]; /* role: the member role, "" when none */
	long submitted, approved, first_pass, rejections, gold_n, gold_k;
	quality_interval gold_accuracy; /* core's */
	bool suspected_spammer;		/* core's */
} quality_worker_line;

/* One reviewer in a project's quality figures: their decisions and checks, then core's verdict. */
typedef struct quality_reviewer_line {
	int64_t user_id;
	char username[72], role[16];
	long reviews, honeypots, caught, audits, passed;
	quality_interval accuracy; /* core's: caught honeypots and passed audits over both */
	bool careless;		   /* core's */
} quality_reviewer_line;

/* The reviewers a project's figures list at most (the first by id). */
#define QUALITY_MAX_REVIEWERS 256

/* A project's quality figures (docs/API.md, Quality): the store's counts, then core's
 * intervals. workers and reviewers are owned (quality_figures_release). */
typedef struct quality_figures {
	int64_t project_id;
	long audits_n, audits_k, gold_n, gold_k, gold_items, honeypots_n, honeypots_k;
	quality_worker_line *workers;
	size_t n_workers;
	quality_reviewer_line *reviewers;
	size_t n_reviewers;
	quality_interval estimated_quality, gold_accuracy; /* core's */
} quality_figures;

/* One kind of a user's own gold answers, counted in whole batches. */
typedef struct quality_kind_line {
	char kind[24];
	long n, k;
	quality_interval accuracy; /* core's */
} quality_kind_line;

/* A user's own figures across projects: gold accuracy per kind, and as a reviewer their caught
 * honeypots and passed audits. */
typedef struct quality_me {
	int64_t user_id;
	quality_kind_line kinds[16];
	int n_kinds;
	long honeypots_n, honeypots_k, audits_n, audits_k;
	quality_interval reviewer_accuracy; /* core's */
} quality_me;

/* An approved annotation a label check's model contradicts: the item, the model's label and its
 * probability (core/label_check.h). Strings are borrowed. */
typedef struct audit_flag {
	int64_t item_id;
	const char *model_label;
	double confidence;
} audit_flag;

/* What promotion looks at for one worker in one project. */
typedef struct quality_worker_figures {
	long approved, first_pass, gold_n, gold_correct;
} quality_worker_figures;

#endif
