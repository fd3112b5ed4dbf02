/* Unit tests of serving's rules and machinery without HTTP: endpoint names and targets
 * (core/endpoint.c) through a table of bodies, the key limiter's token bucket, and the registry
 * (core/serving.c): a deployment installed once is shared, a new revision is loaded and swapped
 * in while a request still holds the old one, which keeps answering until it lets go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/endpoint.h"
#include "core/serving.h"
#include "util/text_render.h"

#define DEJAVU "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

static void test_endpoint_names(void **state)
{
	(void)state;
	assert_null(endpoint_name_problem("ocr"));
	assert_null(endpoint_name_problem("ocr-kr-2"));
	const char *bad[] = {"",
			     "1ocr",
			     "Ocr",
			     "ocr.kr",
			     "ocr kr",
			     "-ocr",
			     "a123456789012345678901234567890123456789012345678901234567890123"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_non_null(endpoint_name_problem(bad[i]));
}

/* Targets and shadow (JSON text; "" for none), and the words the error must hold ("" when
 * the check passes). */
static const struct {
	const char *targets, *shadow, *error;
} target_cases[] = {
    {"[{\"service\":\"ocr\"}]", "", ""},
    {"[{\"service\":\"ocr\",\"weight\":90},{\"service\":\"ocr\",\"options\":"
     "{\"languages\":\"eng\"},\"weight\":10}]",
     "{\"service\":\"ocr\",\"options\":{\"languages\":\"kor\"}}", ""},
    {"[{\"model_dir\":\"/data/models/m1\",\"runtime\":\"ocr_tesseract\"}]", "", ""},
    {"[]", "", "1 to 4 targets"},
    {"{}", "", "1 to 4 targets"},
    {"[{\"service\":\"ocr\",\"weight\":50}]", "", "sum to 50"},
    {"[{\"service\":\"ocr\"},{\"service\":\"ocr\"}]", "", "\"weight\""},
    {"[{\"service\":\"ocr\",\"weight\":101}]", "", "\"weight\""},
    {"[{\"service\":\"speech\"}]", "", "\"service\""},
    {"[{\"service\":\"ocr\",\"options\":{\"languages\":\"fra\"}}]", "", "\"languages\""},
    {"[{\"service\":\"ocr\",\"options\":{\"psm\":3}}]", "", "only \"languages\""},
    {"[{\"service\":\"ocr\",\"model_dir\":\"/data/models/m\"}]", "", "either"},
    {"[{\"service\":\"ocr\",\"colour\":1}]", "", "\"colour\""},
    {"[{\"model_dir\":\"/etc\",\"runtime\":\"ocr_tesseract\"}]", "", "/data/models"},
    {"[{\"model_dir\":\"/data/models/../x\",\"runtime\":\"ocr_tesseract\"}]", "", "absolute"},
    {"[{\"model_dir\":\"/data/models-b/x\",\"runtime\":\"ocr_tesseract\"}]", "", "/data/models"},
    {"[{\"model_dir\":\"/data/models/m\",\"runtime\":\"nope\"}]", "", "\"runtime\""},
    {"[{\"service\":\"ocr\"}]", "{\"service\":\"ocr\",\"weight\":10}", "no \"weight\""},
    {"[{\"service\":\"ocr\"}]", "[1]", "an object"},
    {"[{\"service\":\"langid\"}]", "", ""},
    {"[{\"service\":\"langid\",\"options\":{\"languages\":\"kor\"}}]", "", "no options"},
    /* A registry version's directory was read from the store: it may lie outside the root. */
    {"[{\"model_dir\":\"/data/jobs/3/output\",\"runtime\":\"text_linear\","
     "\"model_version_id\":7,\"model\":\"m\",\"alias\":\"production\"}]",
     "", ""},
    {"[{\"model_dir\":\"/data/jobs/3/output\",\"runtime\":\"text_linear\","
     "\"model_version_id\":null}]",
     "", "/data/models"},
};

static void test_targets_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof target_cases / sizeof *target_cases; i++) {
		json_t *t = json_loads(target_cases[i].targets, 0, NULL);
		json_t *sh =
		    target_cases[i].shadow[0] ? json_loads(target_cases[i].shadow, 0, NULL) : NULL;
		json_t *to = NULL, *so = NULL;
		cl_error err = {0};
		int rc = endpoint_targets_check(t, sh, "/data/models", &to, &so, &err);
		if (!target_cases[i].error[0]) {
			if (rc)
				fail_msg("case %zu: %s", i, err.message);
			for (size_t j = 0; j < json_array_size(to); j++)
				assert_true(json_is_integer(
				    json_object_get(json_array_get(to, j), "weight")));
			assert_true(!sh || so);
		} else {
			assert_int_equal(rc, CL_EINVAL);
			if (!strstr(err.message, target_cases[i].error))
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message,
					 target_cases[i].error);
			assert_null(to);
			assert_null(so);
		}
		json_decref(t);
		json_decref(sh);
		json_decref(to);
		json_decref(so);
	}
	/* A lone target's weight and the OCR default languages are spelled out. */
	json_t *t = json_loads("[{\"service\":\"ocr\"}]", 0, NULL), *to, *so;
	cl_error err = {0};
	assert_int_equal(endpoint_targets_check(t, NULL, NULL, &to, &so, &err), 0);
	char key[64];
	endpoint_target_key(json_array_get(to, 0), key, sizeof key);
	assert_string_equal(key, "ocr:Hangul");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(to, 0), "weight")), 100);
	json_decref(t);
	json_decref(to);
}

static void test_limiter_token_bucket(void **state)
{
	(void)state;
	serving_limiter *l = serving_limiter_new();
	/* Two a second: a burst of two, then a wait of half a second. */
	assert_int_equal(serving_limiter_take(l, 7, 2.0, 1000), 0);
	assert_int_equal(serving_limiter_take(l, 7, 2.0, 1000), 0);
	int64_t wait = serving_limiter_take(l, 7, 2.0, 1000);
	assert_true(wait >= 500 && wait <= 501);
	assert_int_equal(serving_limiter_take(l, 8, 2.0, 1000), 0); /* another key's own bucket */
	assert_int_equal(serving_limiter_take(l, 7, 2.0, 1500), 0);
	assert_true(serving_limiter_take(l, 7, 2.0, 1500) > 0);
	/* Under one a second: a burst of one. */
	assert_int_equal(serving_limiter_take(l, 9, 0.1, 0), 0);
	assert_true(serving_limiter_take(l, 9, 0.1, 0) >= 9999);
	assert_int_equal(serving_limiter_take(l, 9, 0.1, 10001), 0);
	serving_limiter_free(l);
}

static json_t *ocr_targets(const char *languages)
{
	json_t *in =
	    json_pack("[{s:s,s:{s:s}}]", "service", "ocr", "options", "languages", languages);
	json_t *out, *shadow;
	cl_error err = {0};
	assert_int_equal(endpoint_targets_check(in, NULL, NULL, &out, &shadow, &err), 0);
	json_decref(in);
	return out;
}

static json_t *page_input(void)
{
	const char *const lines[] = {"Swap", NULL};
	buf png;
	buf_init(&png, 0);
	assert_int_equal(text_render_png(DEJAVU, lines, 40, &png), 0);
	char *b64 = malloc(sodium_base64_encoded_len(png.len, sodium_base64_VARIANT_ORIGINAL));
	sodium_bin2base64(b64, sodium_base64_encoded_len(png.len, sodium_base64_VARIANT_ORIGINAL),
			  (const unsigned char *)png.data, png.len, sodium_base64_VARIANT_ORIGINAL);
	json_t *in = json_pack("{s:s}", "image_bytes_b64", b64);
	free(b64);
	buf_release(&png);
	return in;
}

static void predict_ok(serving_deployment *d, const json_t *in, const char *target)
{
	serving_answer a, sh;
	assert_int_equal(serving_predict(d, in, 42, &a), 0);
	assert_string_equal(a.target, target);
	assert_int_equal(serving_answer_shadow(d, in, &sh), CL_ENOTFOUND);
	assert_string_equal(sh.target, "");
	const char *text = json_string_value(
	    json_object_get(json_array_get(json_object_get(a.output, "lines"), 0), "text"));
	assert_non_null(text);
	assert_string_equal(text, "Swap");
	json_decref(a.output);
}

static void test_registry_swaps_after_loading(void **state)
{
	(void)state;
	serving_registry *g = serving_registry_new(0);
	json_t *eng = ocr_targets("eng"), *kor = ocr_targets("kor+eng"), *in = page_input();
	serving_deployment *first = NULL, *again = NULL, *second = NULL;
	cl_error err = {0};
	/* The first request loads and installs revision 1; the next shares it. */
	assert_int_equal(serving_acquire(g, 1, 1, eng, NULL, &first, &err), 0);
	assert_int_equal(serving_acquire(g, 1, 1, eng, NULL, &again, &err), 0);
	assert_ptr_equal(first, again);
	serving_release(again);
	/* A change to revision 2 loads it and swaps it in while `first` is held. */
	serving_deployment *loaded = NULL;
	assert_int_equal(serving_load(g, kor, NULL, &loaded, &err), 0);
	serving_install(g, 1, 2, loaded);
	assert_int_equal(serving_acquire(g, 1, 2, kor, NULL, &second, &err), 0);
	assert_ptr_not_equal(second, first);
	predict_ok(first, in, "ocr:eng");
	predict_ok(second, in, "ocr:kor+eng");
	serving_release(first);
	/* A request that read the older revision gets the newer deployment: never goes back. */
	assert_int_equal(serving_acquire(g, 1, 1, eng, NULL, &again, &err), 0);
	assert_ptr_equal(again, second);
	serving_release(again);
	serving_release(second);
	/* A target that does not load leaves nothing installed and names the problem. */
	json_t *bad = json_pack("[{s:s,s:s,s:i}]", "model_dir", "/nonexistent/m", "runtime",
				"ocr_tesseract", "weight", 100);
	assert_int_equal(serving_acquire(g, 2, 1, bad, NULL, &first, &err), CL_EINVAL);
	assert_null(first);
	assert_non_null(strstr(err.message, "model.json"));
	serving_forget(g, 1);
	serving_registry_free(g);
	json_decref(bad);
	json_decref(eng);
	json_decref(kor);
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_endpoint_names),
	    cmocka_unit_test(test_targets_check),
	    cmocka_unit_test(test_limiter_token_bucket),
	    cmocka_unit_test(test_registry_swaps_after_loading),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
