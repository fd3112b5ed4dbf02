/* The OCR runtime: Tesseract through its C API. An image's header is read first (stb_image's
 * info, no pixels) so the pixel budget holds before anything is decoded; Leptonica then decodes
 * it from memory and an engine from the model's pool reads its text lines. Engines are made on
 * demand, one for each prediction running at once (at most the handler threads), and kept:
 * making one costs about 300 ms, reading a page about 180 ms. */
#include "ml/ocr_tesseract.h"

#include <dlfcn.h>
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stb_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

#include "util/buf.h"

typedef struct ocr_engine {
	TessBaseAPI *api;
	struct ocr_engine *next;
} ocr_engine;

struct ml_model {
	ocr_options opt;
	pthread_mutex_t lock;
	ocr_engine *idle; /* engines no prediction holds */
};

void ocr_options_default(ocr_options *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->languages, sizeof o->languages, OCR_LANGUAGES_DEFAULT);
	o->max_pixels = OCR_MAX_PIXELS_DEFAULT;
}

static void engine_free(ocr_engine *e)
{
	if (!e)
		return;
	TessBaseAPIEnd(e->api);
	TessBaseAPIDelete(e->api);
	free(e);
}

/* Tesseract's script models ("Hangul": Hangul and Latin in one LSTM) are named with a capital,
 * its language models ("kor", "eng") without. */
static bool script_model(const char *languages)
{
	return *languages >= 'A' && *languages <= 'Z';
}

static int engine_new(const ocr_options *o, ocr_engine **out, cl_error *err)
{
	ocr_engine *e = calloc(1, sizeof *e);
	if (!e || !(e->api = TessBaseAPICreate())) {
		free(e);
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	/* Tesseract's own diagnostics would go to stderr on every page. */
	TessBaseAPISetVariable(e->api, "debug_file", "/dev/null");
	if (TessBaseAPIInit3(e->api, NULL, o->languages)) {
		TessBaseAPIDelete(e->api);
		free(e);
		return cl_fail(err, CL_EINVAL, NULL, "OCR languages \"%s\" are not installed",
			       o->languages);
	}
	TessBaseAPISetPageSegMode(e->api, PSM_AUTO);
	/* A script model's reading of Korean puts a space between the syllables of a word ("크 라
	 * 우 드"); keeping the spaces the LSTM itself read gives the words whole. */
	if (script_model(o->languages))
		TessBaseAPISetVariable(e->api, "preserve_interword_spaces", "1");
	*out = e;
	return 0;
}

/* An idle engine, or a new one when every engine is busy. */
static int engine_take(ml_model *m, ocr_engine **out, cl_error *err)
{
	pthread_mutex_lock(&m->lock);
	ocr_engine *e = m->idle;
	if (e)
		m->idle = e->next;
	pthread_mutex_unlock(&m->lock);
	if (e) {
		*out = e;
		return 0;
	}
	return engine_new(&m->opt, out, err);
}

static void engine_give_back(ml_model *m, ocr_engine *e)
{
	TessBaseAPIClear(e->api);
	pthread_mutex_lock(&m->lock);
	e->next = m->idle;
	m->idle = e;
	pthread_mutex_unlock(&m->lock);
}

static bool languages_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '+' ||
		      *s == '_'))
			return false;
	return true;
}

int ocr_tesseract_open(const ocr_options *o, ml_model **out, cl_error *err)
{
	*out = NULL;
	if (!languages_ok(o->languages))
		return cl_fail(err, CL_EINVAL, NULL,
			       "OCR languages must look like \"Hangul\" or \"kor+eng\"");
	/* Leptonica reports unreadable images on stderr; the caller gets the error instead. */
	setMsgSeverity(L_SEVERITY_NONE);
	ml_model *m = calloc(1, sizeof *m);
	if (!m)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	m->opt = *o;
	if (m->opt.max_pixels <= 0)
		m->opt.max_pixels = OCR_MAX_PIXELS_DEFAULT;
	pthread_mutex_init(&m->lock, NULL);
	int rc = engine_new(&m->opt, &m->idle, err);
	if (rc) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

static void ocr_free(ml_model *m)
{
	if (!m)
		return;
	while (m->idle) {
		ocr_engine *e = m->idle;
		m->idle = e->next;
		engine_free(e);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* ---- load from a model directory ---- */

static int options_from_json(const json_t *j, ocr_options *o, cl_error *err)
{
	ocr_options_default(o);
	const json_t *lang = json_object_get(j, "languages");
	const json_t *px = json_object_get(j, "max_pixels");
	if (lang && (!json_is_string(lang) || json_string_length(lang) >= sizeof o->languages))
		return cl_fail(err, CL_EINVAL, NULL, "\"languages\" must be a short string");
	if (px && (!json_is_integer(px) || json_integer_value(px) <= 0))
		return cl_fail(err, CL_EINVAL, NULL, "\"max_pixels\" must be a positive integer");
	if (lang)
		snprintf(o->languages, sizeof o->languages, "%s", json_string_value(lang));
	if (px)
		o->max_pixels = json_integer_value(px);
	return 0;
}

static int ocr_load(const char *dir, ml_model **out, cl_error *err)
{
	char path[4096];
	*out = NULL;
	if ((size_t)snprintf(path, sizeof path, "%s/model.json", dir) >= sizeof path)
		return cl_fail(err, CL_EINVAL, NULL, "the model directory's path is too long");
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		return cl_fail(err, CL_EINVAL, NULL, "%s: %s", path, je.text);
	ocr_options o;
	int rc = 0;
	const char *runtime = json_string_value(json_object_get(j, "runtime"));
	if (!runtime || strcmp(runtime, "ocr_tesseract"))
		rc = cl_fail(err, CL_EINVAL, NULL, "%s does not name the ocr_tesseract runtime",
			     path);
	if (!rc)
		rc = options_from_json(j, &o, err);
	json_decref(j);
	return rc ? rc : ocr_tesseract_open(&o, out, err);
}

/* ---- Tesseract's OpenMP regions, run on the reading thread ----
 * Debian's libtesseract is built with OpenMP and opens a parallel region for every LSTM time
 * step. Even with one thread (OMP_THREAD_LIMIT=1) libgomp makes a team for each and ends it
 * with a futex wake-up: about 30,000 system calls a six-line page, a third of its CPU time.
 * During a read this thread runs the regions itself, as a Tesseract built without OpenMP does
 * (the server's parallelism is one engine per prediction, never threads inside one). These
 * definitions take the place of libgomp's for the whole process, so any other caller (vlfeat's
 * regions) is passed on to libgomp unchanged. libtesseract uses only these four entry points. */

void GOMP_parallel(void (*fn)(void *), void *data, unsigned threads, unsigned flags);
void GOMP_parallel_sections(void (*fn)(void *), void *data, unsigned threads, unsigned count,
			    unsigned flags);
unsigned GOMP_sections_next(void);
void GOMP_sections_end_nowait(void);

static struct {
	void (*parallel)(void (*)(void *), void *, unsigned, unsigned);
	void (*parallel_sections)(void (*)(void *), void *, unsigned, unsigned, unsigned);
	unsigned (*sections_next)(void);
	void (*sections_end_nowait)(void);
} libgomp;
static pthread_once_t libgomp_once = PTHREAD_ONCE_INIT;

static void libgomp_resolve(void)
{
	libgomp.parallel = (void (*)(void (*)(void *), void *, unsigned, unsigned))dlsym(
	    RTLD_NEXT, "GOMP_parallel");
	libgomp.parallel_sections = (void (*)(void (*)(void *), void *, unsigned, unsigned,
					      unsigned))dlsym(RTLD_NEXT, "GOMP_parallel_sections");
	libgomp.sections_next = (unsigned (*)(void))dlsym(RTLD_NEXT, "GOMP_sections_next");
	libgomp.sections_end_nowait = (void (*)(void))dlsym(RTLD_NEXT, "GOMP_sections_end_nowait");
}

static _Thread_local bool serial_read;	       /* inside recognize_serially() */
static _Thread_local unsigned serial_sections; /* sections left in a serial sections region */
static _Thread_local unsigned serial_section;  /* the next section's number (from 1) */
static _Thread_local uint64_t read_regions;    /* regions this read ran itself */
/* All reads' regions, for ocr_tesseract_serial_regions(). */
static atomic_uint_fast64_t serial_regions;

void GOMP_parallel(void (*fn)(void *), void *data, unsigned threads, unsigned flags)
{
	pthread_once(&libgomp_once, libgomp_resolve);
	if (!serial_read && libgomp.parallel) {
		libgomp.parallel(fn, data, threads, flags);
		return;
	}
	read_regions += serial_read;
	fn(data); /* a team of one: omp_get_num_threads() answers 1 outside a team */
}

void GOMP_parallel_sections(void (*fn)(void *), void *data, unsigned threads, unsigned count,
			    unsigned flags)
{
	pthread_once(&libgomp_once, libgomp_resolve);
	if (!serial_read && libgomp.parallel_sections) {
		libgomp.parallel_sections(fn, data, threads, count, flags);
		return;
	}
	unsigned left = serial_sections, next = serial_section; /* an enclosing region's */
	serial_sections = count;
	serial_section = 1;
	read_regions += serial_read;
	fn(data); /* asks GOMP_sections_next for 1..count, then 0 */
	serial_sections = left;
	serial_section = next;
}

unsigned GOMP_sections_next(void)
{
	if (!serial_read && libgomp.sections_next)
		return libgomp.sections_next();
	if (!serial_sections)
		return 0;
	serial_sections--;
	return serial_section++;
}

void GOMP_sections_end_nowait(void)
{
	if (!serial_read && libgomp.sections_end_nowait)
		libgomp.sections_end_nowait();
}

uint64_t ocr_tesseract_serial_regions(void)
{
	return atomic_load_explicit(&serial_regions, memory_order_relaxed);
}

/* TessBaseAPIRecognize with its OpenMP regions run on this thread; 0 or Tesseract's -1. */
static int recognize_serially(TessBaseAPI *api)
{
	serial_read = true;
	int rc = TessBaseAPIRecognize(api, NULL);
	serial_read = false;
	atomic_fetch_add_explicit(&serial_regions, read_regions, memory_order_relaxed);
	read_regions = 0;
	return rc;
}

/* ---- reading an image ---- */

/* An image's encoded bytes, owned. */
typedef struct ocr_bytes {
	unsigned char *data;
	size_t len;
} ocr_bytes;

static int bytes_from_b64(const json_t *b64, ocr_bytes *img, cl_error *err)
{
	size_t len = json_string_length(b64), cap = len / 4 * 3 + 3;
	if (len / 4 * 3 > OCR_MAX_IMAGE_BYTES)
		return cl_fail(err, CL_ETOOBIG, NULL, "the image is over %u bytes",
			       OCR_MAX_IMAGE_BYTES);
	if (!(img->data = malloc(cap)))
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (sodium_base642bin(img->data, cap, json_string_value(b64), len, "\n\r ", &img->len, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return cl_fail(err, CL_EINVAL, NULL, "\"image_bytes_b64\" is not base64");
	return 0;
}

/* A file the server itself names (a batch job's item), never a path a caller sent. */
static int bytes_from_file(const char *path, ocr_bytes *img, cl_error *err)
{
	buf b;
	buf_init(&b, OCR_MAX_IMAGE_BYTES);
	FILE *f = fopen(path, "rb");
	if (!f)
		return cl_fail(err, CL_EINVAL, NULL, "cannot read the image file");
	char chunk[65536];
	size_t got;
	int rc = 0;
	while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(&b, chunk, got))
			rc = cl_fail(err, CL_ETOOBIG, NULL, "the image is over %u bytes",
				     OCR_MAX_IMAGE_BYTES);
	fclose(f);
	img->data = (unsigned char *)buf_detach(&b, &img->len);
	buf_release(&b);
	return rc;
}

/* The image's encoded bytes from the input (capped at OCR_MAX_IMAGE_BYTES). */
static int input_bytes(const json_t *input, ocr_bytes *img, cl_error *err)
{
	const json_t *b64 = json_object_get(input, "image_bytes_b64");
	const json_t *path = json_object_get(input, "image_path");
	if (json_is_string(b64))
		return bytes_from_b64(b64, img, err);
	if (json_is_string(path))
		return bytes_from_file(json_string_value(path), img, err);
	return cl_fail(err, CL_EINVAL, NULL,
		       "the input wants \"image_bytes_b64\" or \"image_path\"");
}

/* Decodes the image once its header shows it within the pixel budget. */
static int image_decode(const ml_model *m, const ocr_bytes *img, PIX **out, cl_error *err)
{
	int w, h, comp;
	if (img->len > (size_t)INT32_MAX ||
	    !stbi_info_from_memory((const unsigned char *)img->data, (int)img->len, &w, &h, &comp))
		return cl_fail(err, CL_EINVAL, NULL, "the image is not a PNG, JPEG, GIF or BMP");
	if ((int64_t)w * h > m->opt.max_pixels)
		return cl_fail(err, CL_ETOOBIG, NULL,
			       "the image has %lld pixels, over the budget of %lld",
			       (long long)w * h, (long long)m->opt.max_pixels);
	*out = pixReadMem((const l_uint8 *)img->data, img->len);
	return *out ? 0 : cl_fail(err, CL_EINVAL, NULL, "the image cannot be decoded");
}

/* Cuts Tesseract's line text before its trailing newline and spaces; its length after. */
static size_t line_trim(char *text)
{
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	return n;
}

/* The recognized lines: {"lines":[{"text","box":[x,y,w,h],"confidence"}]}. */
static json_t *lines_json(TessBaseAPI *api)
{
	json_t *lines = json_array();
	TessResultIterator *it = TessBaseAPIGetIterator(api);
	if (it) {
		do {
			char *text = TessResultIteratorGetUTF8Text(it, RIL_TEXTLINE);
			int l, t, r, b;
			/* A line of only spaces (a stroke or a speck read as a line) is none. */
			if (text && line_trim(text) &&
			    TessPageIteratorBoundingBox(TessResultIteratorGetPageIterator(it),
							RIL_TEXTLINE, &l, &t, &r, &b))
				json_array_append_new(
				    lines,
				    json_pack("{s:s,s:[iiii],s:f}", "text", text, "box", l, t,
					      r - l, b - t, "confidence",
					      TessResultIteratorConfidence(it, RIL_TEXTLINE) /
						  100.0));
			TessDeleteText(text);
		} while (TessResultIteratorNext(it, RIL_TEXTLINE));
		TessResultIteratorDelete(it);
	}
	return json_pack("{s:o}", "lines", lines);
}

static int ocr_predict(ml_model *m, const json_t *input, json_t **out, cl_error *err)
{
	ocr_bytes img = {NULL, 0};
	PIX *pix = NULL;
	ocr_engine *e = NULL;
	*out = NULL;
	int rc =
	    json_is_object(input) ? 0 : cl_fail(err, CL_EINVAL, NULL, "the input is not an object");
	if (!rc)
		rc = input_bytes(input, &img, err);
	if (!rc)
		rc = image_decode(m, &img, &pix, err);
	if (!rc)
		rc = engine_take(m, &e, err);
	if (!rc) {
		TessBaseAPISetImage2(e->api, pix);
		if (recognize_serially(e->api))
			rc = cl_fail(err, CL_EINVAL, NULL, "the image cannot be read as text");
		else
			*out = lines_json(e->api);
		engine_give_back(m, e);
	}
	pixDestroy(&pix);
	free(img.data);
	return rc;
}

const ml_runtime ml_runtime_ocr_tesseract = {"ocr_tesseract", ocr_load, ocr_predict, ocr_free,
					     false};
