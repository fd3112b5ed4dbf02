/* The runtimes of the built-in trainers' models and of the language id model, each defined in
 * its own file of src/ml/ and listed in the table of ml/runtime.c. */
#ifndef CROWDLOOP_ML_BUILTIN_H
#define CROWDLOOP_ML_BUILTIN_H

#include "ml/runtime.h"

extern const ml_runtime ml_runtime_text_linear;	    /* text_linear.c */
extern const ml_runtime ml_runtime_text_fasttext;   /* text_fasttext.c */
extern const ml_runtime ml_runtime_langid_fasttext; /* text_fasttext.c: lid.176.ftz */
extern const ml_runtime ml_runtime_image_hog;	    /* image_hog.c */
extern const ml_runtime ml_runtime_spans_linear;    /* spans_linear.c */

#endif
