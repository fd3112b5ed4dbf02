/* Hashed features of a text for the linear text classifier: lower-cased word uni- to n-grams
 * and character n-grams of each word (with "<" and ">" at its ends, over code points, so a
 * Korean syllable counts as one character), each hashed (FNV-1a, 64 bits) into 2^hash_bits
 * columns and the vector scaled to unit length. The hash is fixed, so a model's columns mean
 * the same at training and at serving, on any machine. */
#ifndef CROWDLOOP_ML_FEATURES_H
#define CROWDLOOP_ML_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "ml/linear.h"

/* The most tokens of one text that count: a longer text is read up to there. */
#define ML_TEXT_MAX_TOKENS 20000

typedef struct ml_text_opts {
	int hash_bits;	 /* 12..24 */
	int word_ngrams; /* 1..3 */
	int char_ngrams; /* 0: none; else character n-grams of 2 (1 when it is 1) to it */
} ml_text_opts;

/* FNV-1a over len bytes, continuing from h (start with ML_HASH_SEED). */
#define ML_HASH_SEED 0xcbf29ce484222325ULL
uint64_t ml_hash(uint64_t h, const void *data, size_t len);

/* The finished vector (see ml_fvec_finish, dim 2^hash_bits) of `text` into v; -1 when out of
 * memory. */
int ml_text_features(const char *text, const ml_text_opts *o, ml_fvec *v);

#endif
