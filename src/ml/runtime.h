/* A model runtime: what serving and evaluation need of a trained or shipped model, behind one
 * small table (load, predict, free), so that built-in trainers' models, OCR and language
 * identification are served the same way. Runtimes are pure computation over files and
 * buffers: no HTTP, no SQL.
 *
 * A model lives in a directory: `model.json` names its runtime and holds what the runtime needs
 * to know besides its own files ({"runtime":"text_linear","kind":"text_class","labels":[...],
 * ...}). ml_runtime_find() picks the table by that name.
 *
 * Inputs and outputs are JSON, the shapes of the Open Inference Protocol's data kept simple:
 *   text models:  input {"text":"..."}          -> {"label":"pos","scores":{"pos":0.91,...}}
 *                 (multi-label: {"labels":[...],"scores":{...}})
 *   image models: input {"image_path":"/abs/file.png"} or {"image_bytes_b64":"..."}
 *                 -> {"label":...,"scores":{...}}
 *   span models:  input {"text":"..."} -> {"spans":[{"start":0,"end":5,"label":"PER",
 *                 "score":0.8}]}  (character offsets, as the text_spans annotation)
 *   OCR:          input image as above -> {"lines":[{"text":"...","box":[x,y,w,h],
 *                 "confidence":0.93}]}
 *   language id:  input {"text":"..."} -> {"label":"ko","scores":{"ko":0.98,...}}
 * A model is loaded once and shared by handler threads: predict() must be safe to call from
 * several threads at once (a runtime that needs per-thread state, as Tesseract does, keeps it
 * per thread itself). */
#ifndef CROWDLOOP_ML_RUNTIME_H
#define CROWDLOOP_ML_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

typedef struct ml_model ml_model;

typedef struct ml_runtime {
	const char *name; /* "text_linear", "text_fasttext", "image_hog", "spans_linear",
			     "ocr_tesseract", "langid_fasttext" */
	/* Loads the model in `dir` (its model.json and files). CL_EINVAL naming the problem for a
	 * directory that is not this runtime's model, CL_ENOMEM. */
	int (*load)(const char *dir, ml_model **out, cl_error *err);
	/* Answers one input (borrowed) with a new JSON object in *out. CL_EINVAL naming the
	 * problem for an input of the wrong shape; CL_ETOOBIG over a limit (text length,
	 * pixels). */
	int (*predict)(ml_model *m, const json_t *input, json_t **out, cl_error *err);
	/* Frees the model; NULL is fine. */
	void (*free)(ml_model *m);
	/* Whether predict answers a text in microseconds, touching no file, process or network:
	 * serving may then run it on an HTTP I/O thread (core/serving.h, serving_quick). */
	bool quick;
} ml_runtime;

/* The runtime named `name`, or NULL. */
const ml_runtime *ml_runtime_find(const char *name);

/* Loads the model in `dir` with the runtime its model.json names, into *rt and *m. */
int ml_model_open(const char *dir, const ml_runtime **rt, ml_model **m, cl_error *err);

/* For runtimes: <dir>/model.json (a new reference), checked to name `runtime` when not NULL;
 * NULL with CL_EINVAL in err when it cannot be read or names another. */
json_t *ml_model_meta(const char *dir, const char *runtime, cl_error *err);
/* For runtimes: model.json's "labels" as a new array of *n strings (free with
 * ml_model_labels_free); NULL with err filled when they are missing or bad. */
char **ml_model_labels(const json_t *meta, int *n, cl_error *err);
void ml_model_labels_free(char **labels, int n);
/* For runtimes: the answer {"label","scores"} (or {"labels" (p >= 0.5),"scores"} for
 * multi-label) from the probabilities p[n] of the classes `labels`; a new object. */
json_t *ml_scores_json(char *const *labels, const double *p, int n, bool multi_label);

#endif
