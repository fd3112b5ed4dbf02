/* The OCR runtime: Tesseract through its C API. An image's header is read first (stb_image's
 * info, no pixels) so the pixel budget holds before anything is decoded; Leptonica then decodes
 * it from memory and an engine from the model's pool reads its text lines. Engines are made on
 * demand, one for each prediction running at once (at most the handler threads), and kept:
 * making one costs about 300 ms, reading a page about 180 ms. */
#include "ml/ocr_tesseract.h"

#include <leptonica/allheaders.h>
#include <pthread.h>
#include <sodium.h>
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
	snprintf(o->languages, sizeof o->languages, "kor+eng");
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
		if (!((*s >= 'a' && *s <= 'z') || *s == '+' || *s == '_'))
			return false;
	return true;
}

int ocr_tesseract_open(const ocr_options *o, ml_model **out, cl_error *err)
{
	*out = NULL;
	if (!languages_ok(o->languages))
		return cl_fail(err, CL_EINVAL, NULL, "OCR languages must look like \"kor+eng\"");
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
		if (TessBaseAPIRecognize(e->api, NULL))
			rc = cl_fail(err, CL_EINVAL, NULL, "the image cannot be read as text");
		else
			*out = lines_json(e->api);
		engine_give_back(m, e);
	}
	pixDestroy(&pix);
	free(img.data);
	return rc;
}

const ml_runtime ml_runtime_ocr_tesseract = {"ocr_tesseract", ocr_load, ocr_predict, ocr_free};
