/* The quality settings of a project and the figures promotion reads, as plain types: the store
 * loads them, core/quality.h holds the rules over them. */
#ifndef CROWDLOOP_CORE_QUALITY_TYPES_H
#define CROWDLOOP_CORE_QUALITY_TYPES_H

#include <stdbool.h>
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
