/* Hashed word and character n-grams of a text. */
#include "ml/features.h"

#include <stdlib.h>
#include <string.h>

#include "ml/text.h"

uint64_t ml_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int put(ml_fvec *v, uint64_t h, int bits)
{
	return ml_fvec_add(v, (int)(h & ((1ULL << bits) - 1)) + 1, 1.0);
}

/* The lower-cased words, each NUL-ended, one after another in `buf`; their starts in `at`. */
typedef struct words {
	char *buf;
	size_t *at;
	size_t n;
} words;

static int words_read(const char *text, words *w)
{
	size_t len = strlen(text), n;
	ml_token *t;
	*w = (words){0};
	if (ml_tokenize(text, len, ML_TEXT_MAX_TOKENS, &t, &n))
		return -1;
	w->buf = malloc(4 * len + n + 1);
	w->at = malloc((n + 1) * sizeof *w->at);
	if (!w->buf || !w->at)
		return free(t), free(w->buf), free(w->at), -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		w->at[i] = o;
		o += ml_lower_utf8(text + t[i].byte_start, t[i].byte_end - t[i].byte_start,
				   w->buf + o);
		w->buf[o++] = '\0';
	}
	w->n = n;
	free(t);
	return 0;
}

static int word_ngrams(const words *w, const ml_text_opts *o, ml_fvec *v)
{
	for (size_t i = 0; i < w->n; i++) {
		uint64_t h = ml_hash(ML_HASH_SEED, "w", 1);
		for (int n = 1; n <= o->word_ngrams && i + (size_t)n <= w->n; n++) {
			const char *word = w->buf + w->at[i + (size_t)n - 1];
			h = ml_hash(h, word, strlen(word) + 1); /* the NUL parts the words */
			if (put(v, h, o->hash_bits))
				return -1;
		}
	}
	return 0;
}

/* The character n-grams of "<word>": byte offsets of its code points mark where they cut. */
static int char_ngrams(const char *word, const ml_text_opts *o, ml_fvec *v)
{
	size_t len = strlen(word), cuts[66], nc = 0, i = 0;
	char framed[260];
	if (len > 250)
		return 0; /* not a word: a long run of letters says little in character n-grams */
	framed[0] = '<';
	memcpy(framed + 1, word, len);
	framed[len + 1] = '>';
	len += 2;
	while (i < len && nc < 65) {
		cuts[nc++] = i;
		ml_utf8_next(framed, len, &i);
	}
	cuts[nc] = i;
	int shortest = o->char_ngrams > 1 ? 2 : 1;
	for (size_t a = 0; a < nc; a++)
		for (int n = shortest; n <= o->char_ngrams && a + (size_t)n <= nc; n++) {
			uint64_t h = ml_hash(ml_hash(ML_HASH_SEED, "c", 1), framed + cuts[a],
					     cuts[a + (size_t)n] - cuts[a]);
			if (put(v, h, o->hash_bits))
				return -1;
		}
	return 0;
}

int ml_text_features(const char *text, const ml_text_opts *o, ml_fvec *v)
{
	words w;
	v->n = 0;
	if (words_read(text, &w))
		return -1;
	int rc = word_ngrams(&w, o, v);
	for (size_t i = 0; !rc && o->char_ngrams > 0 && i < w.n; i++)
		rc = char_ngrams(w.buf + w.at[i], o, v);
	free(w.buf);
	free(w.at);
	return rc ? rc : ml_fvec_finish(v, 1 << o->hash_bits, true);
}
