/* The table of built-in trainers and the check of their params. */
#include "ml/trainer.h"

#include <math.h>
#include <string.h>

/* Unit-length text vectors want little regularisation: C 10 beats 1 by 3 points on the sentiment
 * sentences (0.828 against 0.799). Character n-grams are off by default: on both English corpora
 * of docs/BENCHMARKS.md they cost about 8 times the train time for no accuracy (Debian's package
 * descriptions: 0.800 with n-grams up to 4, 0.810 without). */
static const ml_param_spec linear_params[] = {
    {"C", 1e-4, 1e4, 10.0, false, "inverse regularisation strength of the logistic regression"},
    {"hash_bits", 12, 24, 20, true, "feature space of hashed n-grams: 2^hash_bits"},
    {"word_ngrams", 1, 3, 2, true, "longest word n-gram"},
    {"char_ngrams", 0, 6, 0, true, "longest character n-gram (0: none, the default)"},
    {NULL, 0, 0, 0, false, NULL},
};

static const ml_param_spec fasttext_params[] = {
    {"epoch", 1, 200, 10, true, "passes over the training rows"},
    {"lr", 0.001, 5, 0.5, false, "learning rate"},
    {"dim", 2, 300, 50, true, "size of the word vectors"},
    {"word_ngrams", 1, 5, 2, true, "longest word n-gram"},
    {"bucket", 1000, 2000000, 200000, true, "hash buckets for n-grams (the model's size)"},
    {"min_count", 1, 1000, 1, true, "words seen fewer times are dropped"},
    {NULL, 0, 0, 0, false, NULL},
};

/* C 10 for the same reason as text's unit-length vectors: on 15,000 Fashion-MNIST images it
 * beats C 1 by 1.9 points (0.888 against 0.869; 30 gives 0.888, 100 0.884). Images scaled to
 * 32 make 8 x 8 cells of 4 pixels: 0.901 there, against 0.888 at 28 (7 x 7 cells). */
static const ml_param_spec hog_params[] = {
    {"C", 1e-4, 1e4, 10.0, false, "inverse regularisation strength of the logistic regression"},
    {"cell_size", 2, 32, 4, true, "HOG cell size in pixels"},
    {"image_size", 16, 256, 32, true, "images are scaled to this square before features"},
    {NULL, 0, 0, 0, false, NULL},
};

static const ml_param_spec spans_params[] = {
    {"C", 1e-4, 1e4, 1.0, false, "inverse regularisation strength of the logistic regression"},
    {"window", 0, 4, 2, true, "neighbouring tokens on each side used as features"},
    {"hash_bits", 12, 24, 20, true, "feature space of hashed features: 2^hash_bits"},
    {NULL, 0, 0, 0, false, NULL},
};

static const ml_trainer text_linear = {
    "text-linear", {"text_class", NULL}, linear_params,
    "logistic regression (liblinear's problem) over hashed word and character n-grams"};
static const ml_trainer text_fasttext = {
    "text-fasttext", {"text_class", NULL}, fasttext_params, "fastText supervised"};
static const ml_trainer image_hog = {
    "image-hog", {"image_class", NULL}, hog_params,
    "HOG features (vlfeat) and logistic regression (liblinear's problem)"};
static const ml_trainer spans_linear = {
    "spans-linear", {"text_spans", NULL}, spans_params,
    "token classification (liblinear's problem) over window features, decoded to BIO spans"};

static const ml_trainer *const trainers[] = {&text_linear, &text_fasttext, &image_hog,
					     &spans_linear, NULL};

const ml_trainer *const *ml_trainers(void) { return trainers; }

const ml_trainer *ml_trainer_find(const char *name)
{
	for (size_t i = 0; name && trainers[i]; i++)
		if (!strcmp(trainers[i]->name, name))
			return trainers[i];
	return NULL;
}

bool ml_trainer_takes(const ml_trainer *t, const char *kind)
{
	for (size_t i = 0; kind && t->kinds[i]; i++)
		if (!strcmp(t->kinds[i], kind))
			return true;
	return false;
}

static const ml_param_spec *spec_of(const ml_trainer *t, const char *name)
{
	for (const ml_param_spec *p = t->params; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

int ml_trainer_check(const ml_trainer *t, const json_t *params, cl_error *err)
{
	const char *name;
	json_t *v;
	if (params && !json_is_object(params))
		return cl_fail(err, CL_EINVAL, "bad_params", "params must be an object");
	json_object_foreach((json_t *)params, name, v) {
		const ml_param_spec *p = spec_of(t, name);
		if (!p)
			return cl_fail(err, CL_EINVAL, "bad_params",
				       "params.%.60s: %s takes no such param", name, t->name);
		if (!json_is_number(v))
			return cl_fail(err, CL_EINVAL, "bad_params", "params.%s must be a number",
				       name);
		double x = json_number_value(v);
		if (p->integer && x != floor(x))
			return cl_fail(err, CL_EINVAL, "bad_params", "params.%s must be a whole number",
				       name);
		if (!(x >= p->min && x <= p->max))
			return cl_fail(err, CL_EINVAL, "bad_params",
				       "params.%s must be between %g and %g", name, p->min, p->max);
	}
	return CL_OK;
}

double ml_param(const ml_trainer *t, const json_t *params, const char *name)
{
	const ml_param_spec *p = spec_of(t, name);
	json_t *v = params ? json_object_get(params, name) : NULL;
	if (v && json_is_number(v))
		return json_number_value(v);
	return p ? p->fallback : 0;
}
