/* The demo that `crowdloop serve --demo` seeds on first start: an organization, a text_class
 * project on real sentences, an image_class project on Fashion-MNIST, LLM preference, answer
 * writing and transcription projects (cli/demo_kinds.c), and admin, manager,
 * worker and reviewer accounts with generated passwords (kept in DATA/demo-logins.txt, 0600). */
#ifndef CROWDLOOP_CLI_DEMO_H
#define CROWDLOOP_CLI_DEMO_H

#include "api/api.h"

/* Seeds once (a no-op when the demo exists) and prints the logins. Returns 0 or -1. */
int demo_seed(app *a, const char *url);

/* The demo's trained model (cli/demo_training.c): `worker` labels most of the `text` project's
 * sentences (their own labels, from the file `sentences`), `reviewer` reviews them, a dataset
 * version seals them, text-linear trains on it and the result becomes model "sentiment" at
 * alias production. Waits for the job. 0, or -1 after logging why. */
int demo_train(app *a, const project *text, const char *sentences, int64_t admin,
	       int64_t worker, int64_t reviewer);

/* Creates a project of the demo's org from a JSON spec; 0, or -1 after logging why. */
int demo_project_create(app *a, int64_t org, const char *spec, project *p);

/* Who the demo's projects of the new kinds belong to and who works on them. */
typedef struct demo_people {
	int64_t org, manager, reviewer;
	int64_t workers[2];
} demo_people;

/* What cli/demo_kinds.c made: an llm_preference, an llm_response and an image_transcription
 * project, each with its items, members and a deposit. */
#define DEMO_KINDS 3
typedef struct demo_kinds {
	int64_t ids[DEMO_KINDS];
	char names[DEMO_KINDS][201 * 4];
	long long items[DEMO_KINDS];
} demo_kinds;

/* Seeds the three projects of demo_kinds; 0, or -1 after logging why. */
int demo_seed_kinds(app *a, const demo_people *who, demo_kinds *out);

#endif
