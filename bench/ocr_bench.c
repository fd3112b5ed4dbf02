/* What one in-process OCR read costs: `crowdloop-ocr-bench [PAGES] [--png FILE]` renders a page
 * of Korean and English lines (Nanum Gothic, 40 px) at start, then times making an engine (the
 * model load the server does once) and reading the page PAGES times (default 20) on one engine,
 * in wall and CPU time. `--png FILE` also writes the page there, so that bench/ocr_cli.sh reads
 * the same page with the `tesseract` command. Run with OMP_THREAD_LIMIT=1, as the server runs. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml/ocr_tesseract.h"
#include "util/text_render.h"
#include "util/clock.h"

#define NANUM "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

static const char *const page[] = {
    "크라우드 데이터 라벨링 플랫폼",
    "Crowd data labeling platform",
    "모델 서빙과 피드백 루프",
    "Model serving and the feedback loop",
    "한국어와 영어 문자 인식",
    "Korean and English text recognition",
    NULL,
};

/* The process's CPU time in seconds. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes the page's PNG to `path`; returns 0 or -1. */
static int write_png(const buf *png, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(png->data, 1, png->len, f);
	return fclose(f) == 0 && n == png->len ? 0 : -1;
}

/* The rendered page as a predict input; its PNG also goes to `png_path` when not NULL. */
static json_t *page_input(const char *png_path)
{
	buf png;
	buf_init(&png, 0);
	if (text_render_png(NANUM, page, 40, &png))
		return NULL;
	if (png_path && write_png(&png, png_path)) {
		fprintf(stderr, "cannot write %s\n", png_path);
		buf_release(&png);
		return NULL;
	}
	size_t n = sodium_base64_encoded_len(png.len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(n);
	sodium_bin2base64(b64, n, (const unsigned char *)png.data, png.len,
			  sodium_base64_VARIANT_ORIGINAL);
	json_t *in = json_pack("{s:s}", "image_bytes_b64", b64);
	free(b64);
	buf_release(&png);
	return in;
}

int main(int argc, char **argv)
{
	int pages = 20;
	const char *png_path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--png") && i + 1 < argc)
			png_path = argv[++i];
		else
			pages = atoi(argv[i]);
	}
	json_t *in = page_input(png_path);
	ocr_options o;
	ocr_options_default(&o);
	ml_model *m = NULL;
	cl_error err = {0};
	int64_t t0 = clock_mono_ns();
	if (!in || pages < 1 || ocr_tesseract_open(&o, &m, &err)) {
		fprintf(stderr, "cannot start: %s\n", err.message);
		return 1;
	}
	double load_ms = (double)(clock_mono_ns() - t0) / 1e6;
	t0 = clock_mono_ns();
	double cpu0 = cpu_s();
	size_t lines = 0;
	for (int i = 0; i < pages; i++) {
		json_t *out = NULL;
		if (ml_runtime_ocr_tesseract.predict(m, in, &out, &err)) {
			fprintf(stderr, "page %d: %s\n", i, err.message);
			return 1;
		}
		lines = json_array_size(json_object_get(out, "lines"));
		if (i == 0) /* what was read, to see it is the page */
			for (size_t j = 0; j < lines; j++)
				fprintf(
				    stderr, "%s\n",
				    json_string_value(json_object_get(
					json_array_get(json_object_get(out, "lines"), j), "text")));
		json_decref(out);
	}
	double page_ms = (double)(clock_mono_ns() - t0) / 1e6 / pages;
	double page_cpu_ms = (cpu_s() - cpu0) * 1e3 / pages;
	printf("engine load %.1f ms; %d pages of %zu lines: %.1f ms a page, %.1f pages/s; "
	       "%.1f CPU ms a page, %.2f pages per CPU second\n",
	       load_ms, pages, lines, page_ms, 1000.0 / page_ms, page_cpu_ms, 1000.0 / page_cpu_ms);
	ml_runtime_ocr_tesseract.free(m);
	json_decref(in);
	return 0;
}
