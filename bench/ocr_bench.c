/* What one in-process OCR read costs: `crowdloop-ocr-bench [PAGES] [--page NAME] [--png FILE]
 * [--truth FILE] [--languages L]` renders a page of Korean and English lines (Nanum Gothic) at
 * start, then times making an engine (the model load the server does once) and reading the page
 * PAGES times (default 20) on one engine, in wall and CPU time (the mean and the fastest read),
 * with the OpenMP regions a read ran on its own thread (ocr_tesseract.c). The pages, of different
 * density: "six" (six lines, Korean and English alternating, 40 px: the default), "two" (a Korean
 * and an English line, 40 px), "dense" (twelve lines of a Korean document with English lines among
 * them, 32 px). `--png FILE` also writes the page there and `--truth FILE` its lines, so that
 * bench/ocr_cli.sh reads the same page with the `tesseract` command and scores both readings.
 * `--languages` names the Tesseract model (default OCR_LANGUAGES_DEFAULT, "Hangul"; "kor+eng" the
 * two language models). The lines of the first reading go to stderr. Run with OMP_THREAD_LIMIT=1,
 * as the server runs. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml/ocr_tesseract.h"
#include "util/text_render.h"
#include "util/clock.h"

#define NANUM "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

static const char *const six_lines[] = {
    "크라우드 데이터 라벨링 플랫폼",
    "Crowd data labeling platform",
    "모델 서빙과 피드백 루프",
    "Model serving and the feedback loop",
    "한국어와 영어 문자 인식",
    "Korean and English text recognition",
    NULL,
};

static const char *const two_lines[] = {
    "주문이 접수되었습니다",
    "Your order has been received",
    NULL,
};

static const char *const dense_lines[] = {
    "크라우드 작업자는 이미지와 문장에 라벨을 붙입니다",
    "검수자는 제출된 라벨을 확인하고 승인합니다",
    "승인된 라벨은 새 데이터셋 버전이 됩니다",
    "모델은 그 버전으로 다시 학습됩니다",
    "Workers label images and sentences for the crowd",
    "Reviewers check each submitted label and approve it",
    "새 모델은 시험 데이터에서 더 나을 때만 배포됩니다",
    "예측의 신뢰도가 낮으면 새 작업이 만들어집니다",
    "작업에는 모델의 답이 미리 채워져 있습니다",
    "The feedback loop turns doubtful answers into tasks",
    "사용자의 불만도 라벨링 작업으로 돌아옵니다",
    "이렇게 데이터와 모델이 함께 좋아집니다",
    NULL,
};

/* A page of the bench: its name, its lines and their height in pixels. */
typedef struct bench_page {
	const char *name;
	const char *const *lines;
	int px;
} bench_page;

static const bench_page pages_set[] = {
    {"six", six_lines, 40},
    {"two", two_lines, 40},
    {"dense", dense_lines, 32},
};

static const bench_page *page_find(const char *name)
{
	for (size_t i = 0; i < sizeof pages_set / sizeof pages_set[0]; i++)
		if (!strcmp(pages_set[i].name, name))
			return &pages_set[i];
	return NULL;
}

/* The process's CPU time in seconds. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes `len` bytes to `path`; returns 0 or -1. */
static int write_file(const char *data, size_t len, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

/* Writes the page's lines, one a line, to `path`; returns 0 or -1. */
static int write_truth(const bench_page *p, const char *path)
{
	buf text;
	buf_init(&text, 0);
	int rc = 0;
	for (const char *const *l = p->lines; *l && !rc; l++)
		rc = buf_append(&text, *l, strlen(*l)) || buf_append(&text, "\n", 1) ? -1 : 0;
	if (!rc)
		rc = write_file(text.data, text.len, path);
	buf_release(&text);
	return rc;
}

/* The rendered page as a predict input; its PNG also goes to `png_path` when not NULL. */
static json_t *page_input(const bench_page *p, const char *png_path)
{
	buf png;
	buf_init(&png, 0);
	if (text_render_png(NANUM, p->lines, p->px, &png))
		return NULL;
	if (png_path && write_file(png.data, png.len, png_path)) {
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
	const char *png_path = NULL, *truth_path = NULL, *languages = OCR_LANGUAGES_DEFAULT;
	const bench_page *page = &pages_set[0];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--png") && i + 1 < argc)
			png_path = argv[++i];
		else if (!strcmp(argv[i], "--truth") && i + 1 < argc)
			truth_path = argv[++i];
		else if (!strcmp(argv[i], "--languages") && i + 1 < argc)
			languages = argv[++i];
		else if (!strcmp(argv[i], "--page") && i + 1 < argc)
			page = page_find(argv[++i]);
		else
			pages = (int)strtol(argv[i], NULL, 10);
	}
	if (!page) {
		fprintf(stderr, "the pages are six, two and dense\n");
		return 1;
	}
	if (truth_path && write_truth(page, truth_path)) {
		fprintf(stderr, "cannot write %s\n", truth_path);
		return 1;
	}
	json_t *in = page_input(page, png_path);
	ocr_options o;
	ocr_options_default(&o);
	snprintf(o.languages, sizeof o.languages, "%s", languages);
	ml_model *m = NULL;
	cl_error err = {0};
	int64_t t0 = clock_mono_ns();
	if (!in || pages < 1 || ocr_tesseract_open(&o, &m, &err)) {
		fprintf(stderr, "cannot start: %s\n", err.message);
		return 1;
	}
	double load_ms = (double)(clock_mono_ns() - t0) / 1e6;
	t0 = clock_mono_ns();
	double cpu0 = cpu_s(), fastest_ms = 1e9;
	uint64_t regions0 = ocr_tesseract_serial_regions();
	size_t lines = 0;
	for (int i = 0; i < pages; i++) {
		json_t *out = NULL;
		double read0 = cpu_s();
		int rc = ml_runtime_ocr_tesseract.predict(m, in, &out, &err);
		/* The fastest read is the one other processes slowed least: steadier under load. */
		if ((cpu_s() - read0) * 1e3 < fastest_ms)
			fastest_ms = (cpu_s() - read0) * 1e3;
		if (rc) {
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
	       "%.1f CPU ms a page, %.2f pages per CPU second; fastest read %.1f CPU ms; "
	       "%.0f OpenMP regions a read run on its thread\n",
	       load_ms, pages, lines, page_ms, 1000.0 / page_ms, page_cpu_ms, 1000.0 / page_cpu_ms,
	       fastest_ms, (double)(ocr_tesseract_serial_regions() - regions0) / pages);
	ml_runtime_ocr_tesseract.free(m);
	json_decref(in);
	return 0;
}
