/* The OCR runtime over Tesseract's C API (ocr_tesseract.c): Korean and English text lines with
 * their boxes and confidences, from an image's bytes or path. A model holds a pool of engines,
 * one per thread that is predicting at the time (an engine's init reads the language data, about
 * 300 ms, so engines are kept and reused); predict() is safe from several threads at once.
 * A read runs Tesseract's OpenMP regions on its own thread (ocr_tesseract.c defines libgomp's
 * entry points for that), so an engine uses one thread whatever OMP_THREAD_LIMIT says. */
#ifndef CROWDLOOP_ML_OCR_TESSERACT_H
#define CROWDLOOP_ML_OCR_TESSERACT_H

#include <stdint.h>

#include "ml/runtime.h"

/* The default pixel budget of an image read by OCR, as the importer's (50 megapixels). */
#define OCR_MAX_PIXELS_DEFAULT 50000000LL
/* The most bytes of an encoded image (32 MiB). */
#define OCR_MAX_IMAGE_BYTES (32u << 20)

/* Tesseract's script model for Korean (Debian's tesseract-ocr-script-hang): Hangul and Latin in
 * one LSTM, so a line is read once, where "kor+eng" reads a doubtful line again with the other
 * language's model. A third less CPU a page, and the same text or better (docs/BENCHMARKS.md). */
#define OCR_LANGUAGES_DEFAULT "Hangul"

typedef struct ocr_options {
	/* Tesseract's "Hangul" (the default), "kor+eng", "eng+kor", "kor", "eng" */
	char languages[64];
	int64_t max_pixels; /* width × height, checked on the header before decoding; 0: default */
} ocr_options;

/* OCR_LANGUAGES_DEFAULT and the default budget. */
void ocr_options_default(ocr_options *o);
/* A model with these options (no directory needed); CL_EINVAL naming a language that is not
 * installed, CL_ENOMEM. The first engine is made here, so a bad language fails at load. */
int ocr_tesseract_open(const ocr_options *o, ml_model **out, cl_error *err);

/* The runtime's table: load() reads model.json {"runtime":"ocr_tesseract","languages":"eng",
 * "max_pixels":N} (each member optional). */
extern const ml_runtime ml_runtime_ocr_tesseract;

/* How many of Tesseract's OpenMP regions the reads so far ran on their own thread (all models):
 * tests and the benchmark see that Tesseract's calls reach this file, not libgomp. */
uint64_t ocr_tesseract_serial_regions(void);

#endif
