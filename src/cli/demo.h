/* The demo that `crowdloop serve --demo` seeds on first start: an organization, a text_class
 * project on real sentences and an image_class project on Fashion-MNIST, and admin, manager,
 * worker and reviewer accounts with generated passwords (kept in DATA/demo-logins.txt, 0600). */
#ifndef CROWDLOOP_CLI_DEMO_H
#define CROWDLOOP_CLI_DEMO_H

#include "api/api.h"

/* Seeds once (a no-op when the demo exists) and prints the logins. Returns 0 or -1. */
int demo_seed(app *a, const char *url);

#endif
