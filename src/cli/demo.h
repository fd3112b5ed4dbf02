/* The demo that `crowdloop serve --demo` seeds on first start: an organization, a text_class
 * project on real sentences and an image_class project on Fashion-MNIST, and admin, manager,
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

#endif
