/* Unit tests of the OCR runtime (ml/ocr_tesseract.c) on images rendered here from Debian's
 * Nanum and DejaVu fonts: Korean and English lines read back as written, with boxes inside the
 * page, by the default script model and by kor+eng; the pixel budget refuses an image on its
 * header; a bad input names the problem; a model loads from a model directory through the runtimes'
 * table; several threads share one model; Tesseract's OpenMP regions run on the reading thread
 * during a read and reach libgomp outside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ocr_tesseract.h"
#include "util/text_render.h"
#include "tmpdir.h"

#define NANUM "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
#define DEJAVU "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

static ml_model *shared_model;

/* {"image_bytes_b64": PNG of `lines` in `font`}; a new reference. */
static json_t *rendered_input(const char *font, const char *const *lines)
{
	buf png;
	buf_init(&png, 0);
	assert_int_equal(text_render_png(font, lines, 40, &png), 0);
	size_t n = sodium_base64_encoded_len(png.len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(n);
	sodium_bin2base64(b64, n, (const unsigned char *)png.data, png.len,
			  sodium_base64_VARIANT_ORIGINAL);
	json_t *in = json_pack("{s:s}", "image_bytes_b64", b64);
	free(b64);
	buf_release(&png);
	return in;
}

/* The text of line i of a prediction, "" when there is none. */
static const char *line_text(const json_t *out, size_t i)
{
	const char *t = json_string_value(
	    json_object_get(json_array_get(json_object_get(out, "lines"), i), "text"));
	return t ? t : "";
}

static int group_setup(void **state)
{
	(void)state;
	ocr_options o;
	ocr_options_default(&o);
	cl_error err = {0};
	return ocr_tesseract_open(&o, &shared_model, &err);
}

static int group_teardown(void **state)
{
	(void)state;
	ml_runtime_ocr_tesseract.free(shared_model);
	return 0;
}

static void test_reads_korean_and_english(void **state)
{
	(void)state;
	const char *const lines[] = {"안녕하세요 세계", "Hello crowdloop 2026", NULL};
	json_t *in = rendered_input(NANUM, lines), *out = NULL;
	cl_error err = {0};
	assert_int_equal(ml_runtime_ocr_tesseract.predict(shared_model, in, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "lines")), 2);
	assert_string_equal(line_text(out, 0), "안녕하세요 세계");
	assert_string_equal(line_text(out, 1), "Hello crowdloop 2026");
	json_t *first = json_array_get(json_object_get(out, "lines"), 0);
	json_t *box = json_object_get(first, "box");
	assert_int_equal(json_array_size(box), 4);
	assert_true(json_integer_value(json_array_get(box, 2)) > 100); /* a wide line */
	double conf = json_real_value(json_object_get(first, "confidence"));
	assert_true(conf > 0.5 && conf <= 1.0);
	json_decref(in);
	json_decref(out);
}

/* Reads `lines` (Nanum Gothic) with a model of `languages` and checks each line comes back. */
static void reads_back(const char *languages, const char *const *lines)
{
	ocr_options o;
	ocr_options_default(&o);
	snprintf(o.languages, sizeof o.languages, "%s", languages);
	ml_model *m = NULL;
	cl_error err = {0};
	assert_int_equal(ocr_tesseract_open(&o, &m, &err), 0);
	json_t *in = rendered_input(NANUM, lines), *out = NULL;
	assert_int_equal(ml_runtime_ocr_tesseract.predict(m, in, &out, &err), 0);
	size_t n = 0;
	for (; lines[n]; n++)
		assert_string_equal(line_text(out, n), lines[n]);
	assert_int_equal(json_array_size(json_object_get(out, "lines")), n);
	ml_runtime_ocr_tesseract.free(m);
	json_decref(in);
	json_decref(out);
}

/* The default is the Hangul script model, whose words stay whole (read without
 * preserve_interword_spaces it gives "크 라 우 드 데이터 라 벨 링 플랫폼"); the two language
 * models stay selectable and read the same page. */
static void test_script_model_keeps_words_and_kor_eng_stays(void **state)
{
	(void)state;
	ocr_options o;
	ocr_options_default(&o);
	assert_string_equal(o.languages, "Hangul");
	const char *const lines[] = {"크라우드 데이터 라벨링 플랫폼",
				     "Crowd data labeling platform", "한국어와 영어 문자 인식",
				     NULL};
	reads_back("Hangul", lines);
	reads_back("kor+eng", lines);
}

static void test_reads_dejavu_english(void **state)
{
	(void)state;
	const char *const lines[] = {"The quick brown fox", NULL};
	json_t *in = rendered_input(DEJAVU, lines), *out = NULL;
	cl_error err = {0};
	assert_int_equal(ml_runtime_ocr_tesseract.predict(shared_model, in, &out, &err), 0);
	assert_string_equal(line_text(out, 0), "The quick brown fox");
	json_decref(in);
	json_decref(out);
}

static void test_pixel_budget_and_bad_inputs(void **state)
{
	(void)state;
	ocr_options o;
	ocr_options_default(&o);
	o.max_pixels = 1000;
	ml_model *small = NULL;
	cl_error err = {0};
	assert_int_equal(ocr_tesseract_open(&o, &small, &err), 0);
	const char *const lines[] = {"budget", NULL};
	json_t *in = rendered_input(DEJAVU, lines), *out = NULL;
	assert_int_equal(ml_runtime_ocr_tesseract.predict(small, in, &out, &err), CL_ETOOBIG);
	assert_non_null(strstr(err.message, "over the budget"));
	assert_null(out);
	ml_runtime_ocr_tesseract.free(small);
	json_decref(in);

	in = json_pack("{s:s}", "image_bytes_b64", "bm90IGFuIGltYWdl"); /* "not an image" */
	assert_int_equal(ml_runtime_ocr_tesseract.predict(shared_model, in, &out, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "not a PNG"));
	json_decref(in);
	in = json_pack("{s:s}", "image_bytes_b64", "!!!");
	assert_int_equal(ml_runtime_ocr_tesseract.predict(shared_model, in, &out, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "base64"));
	json_decref(in);
	in = json_pack("{s:s}", "text", "hello");
	assert_int_equal(ml_runtime_ocr_tesseract.predict(shared_model, in, &out, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "image_bytes_b64"));
	json_decref(in);
	ocr_options_default(&o);
	snprintf(o.languages, sizeof o.languages, "xyz");
	assert_int_equal(ocr_tesseract_open(&o, &small, &err), CL_EINVAL);
	assert_null(small);
}

static void test_loads_from_model_dir(void **state)
{
	(void)state;
	char root[64], path[256];
	assert_int_equal(tmpdir_make(root, sizeof root, "ocr"), 0);
	snprintf(path, sizeof path, "%s/model.json", root);
	FILE *f = fopen(path, "w");
	fputs("{\"runtime\":\"ocr_tesseract\",\"languages\":\"eng\"}", f);
	fclose(f);
	const ml_runtime *rt = ml_runtime_find("ocr_tesseract");
	assert_ptr_equal(rt, &ml_runtime_ocr_tesseract);
	assert_null(ml_runtime_find("nope"));
	ml_model *m = NULL;
	cl_error err = {0};
	assert_int_equal(rt->load(root, &m, &err), 0);
	const char *const lines[] = {"Model directory", NULL};
	json_t *in = rendered_input(DEJAVU, lines), *out = NULL;
	assert_int_equal(rt->predict(m, in, &out, &err), 0);
	assert_string_equal(line_text(out, 0), "Model directory");
	rt->free(m);
	json_decref(in);
	json_decref(out);
	f = fopen(path, "w");
	fputs("{\"runtime\":\"text_linear\"}", f);
	fclose(f);
	assert_int_equal(rt->load(root, &m, &err), CL_EINVAL);
	assert_int_equal(tmpdir_remove(root), 0);
}

static void *predict_thread(void *arg)
{
	json_t *out = NULL;
	cl_error err = {0};
	int rc = ml_runtime_ocr_tesseract.predict(shared_model, arg, &out, &err);
	bool ok = !rc && !strcmp(line_text(out, 0), "Three threads");
	json_decref(out);
	return ok ? arg : NULL;
}

static void test_threads_share_a_model(void **state)
{
	(void)state;
	const char *const lines[] = {"Three threads", NULL};
	json_t *in = rendered_input(DEJAVU, lines);
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, predict_thread, in);
	for (int i = 0; i < 3; i++) {
		void *ok;
		pthread_join(t[i], &ok);
		assert_non_null(ok);
	}
	json_decref(in);
}

/* libgomp's entry points as ocr_tesseract.c defines them. */
void GOMP_parallel(void (*fn)(void *), void *data, unsigned threads, unsigned flags);
void GOMP_parallel_sections(void (*fn)(void *), void *data, unsigned threads, unsigned count,
			    unsigned flags);
unsigned GOMP_sections_next(void);
void GOMP_sections_end_nowait(void);

/* libgomp's omp_get_level, found at run time (libtesseract loads libgomp): 1 inside a region
 * libgomp runs, 0 in one run on the calling thread. */
static int (*omp_level)(void);

/* Records the nesting level libgomp sees, as the region's body. */
static void record_level(void *arg)
{
	*(int *)arg = omp_level();
}

/* Marks each section it is given, as the body of `#pragma omp parallel sections` does. */
static void mark_sections(void *arg)
{
	for (unsigned s; (s = GOMP_sections_next());)
		*(unsigned *)arg |= 1u << s;
	GOMP_sections_end_nowait();
}

static void test_openmp_regions_run_on_the_reading_thread(void **state)
{
	(void)state;
	const char *const lines[] = {"Serial regions", NULL};
	json_t *in = rendered_input(DEJAVU, lines), *out = NULL;
	cl_error err = {0};
	uint64_t before = ocr_tesseract_serial_regions();
	assert_int_equal(ml_runtime_ocr_tesseract.predict(shared_model, in, &out, &err), 0);
	assert_string_equal(line_text(out, 0), "Serial regions");
	/* Tesseract's LSTM opened its regions here, not in libgomp: hundreds a line. */
	uint64_t during = ocr_tesseract_serial_regions() - before;
	assert_true(during > 100);
	/* Outside a read a region goes to libgomp (a team of one, level 1) and counts nothing. */
	omp_level = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_level");
	assert_non_null(omp_level);
	int level = -1;
	unsigned seen = 0;
	GOMP_parallel(record_level, &level, 1, 0);
	GOMP_parallel_sections(mark_sections, &seen, 1, 3, 0);
	assert_int_equal(level, 1);
	assert_int_equal(seen, 0xe); /* sections 1, 2 and 3 */
	assert_true(ocr_tesseract_serial_regions() - before == during);
	json_decref(in);
	json_decref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_korean_and_english),
	    cmocka_unit_test(test_script_model_keeps_words_and_kor_eng_stays),
	    cmocka_unit_test(test_reads_dejavu_english),
	    cmocka_unit_test(test_pixel_budget_and_bad_inputs),
	    cmocka_unit_test(test_loads_from_model_dir),
	    cmocka_unit_test(test_threads_share_a_model),
	    cmocka_unit_test(test_openmp_regions_run_on_the_reading_thread),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
