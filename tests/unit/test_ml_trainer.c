/* Unit tests of the trainers' parts that need no data set: the check of params (a bad one is
 * named), the dataset directory's refusals, and a linear model that learns a separable problem
 * and answers the same after a save and a load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ml/dataset.h"
#include "ml/linear.h"
#include "ml/trainer.h"
#include "tmpdir.h"

static int check(const char *trainer, const char *params_json, cl_error *err)
{
	json_t *p = json_loads(params_json, 0, NULL);
	assert_non_null(p);
	int rc = ml_trainer_check(ml_trainer_find(trainer), p, err);
	json_decref(p);
	return rc;
}

static void test_params_checked_and_named(void **state)
{
	(void)state;
	cl_error err;
	assert_int_equal(check("text-linear", "{\"C\":2.5,\"hash_bits\":18}", &err), CL_OK);
	static const struct {
		const char *trainer, *params, *names;
	} bad[] = {
	    {"text-linear", "{\"epoch\":3}", "params.epoch"},
	    {"text-linear", "{\"C\":\"big\"}", "params.C must be a number"},
	    {"text-linear", "{\"hash_bits\":18.5}", "params.hash_bits must be a whole number"},
	    {"image-hog", "{\"cell_size\":1}", "params.cell_size must be between 2 and 32"},
	    {"text-fasttext", "{\"bucket\":1e9}", "params.bucket must be between"},
	    {"spans-linear", "{\"window\":-1}", "params.window"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(check(bad[i].trainer, bad[i].params, &err), CL_EINVAL);
		assert_non_null(strstr(err.message, bad[i].names));
	}
	const ml_trainer *t = ml_trainer_find("text-fasttext");
	assert_true(ml_param(t, NULL, "epoch") == 10);
	assert_null(ml_trainer_find("text-svm"));
	assert_true(ml_trainer_takes(ml_trainer_find("spans-linear"), "text_spans"));
	assert_false(ml_trainer_takes(ml_trainer_find("spans-linear"), "text_class"));
}

/* Two classes told apart by feature 1 or 2, and a third by feature 3. */
static void test_linear_learns_and_round_trips(void **state)
{
	(void)state;
	struct feature_node rows[6][3];
	struct feature_node *x[6];
	uint8_t truth[6 * 3] = {0};
	for (int i = 0; i < 6; i++) {
		int k = i % 3;
		rows[i][0] = (struct feature_node){k + 1, 1.0};
		rows[i][1] = (struct feature_node){5, 1.0}; /* the bias of dim 4 */
		rows[i][2] = (struct feature_node){-1, 0};
		x[i] = rows[i];
		truth[i * 3 + k] = 1;
	}
	cl_error err;
	ml_linear m = {4, 3, false, NULL, NULL, 0, NULL}, back;
	assert_int_equal(ml_linear_train(&m, x, 6, truth, 10, 2, &err), CL_OK);
	double p[3], q[3];
	for (int i = 0; i < 3; i++) {
		ml_linear_scores(&m, x[i], p);
		assert_int_equal(ml_argmax(p, 3), i);
		assert_true(p[0] + p[1] + p[2] > 0.999 && p[0] + p[1] + p[2] < 1.001);
	}
	char dir[64], path[96];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "ml-linear"), 0);
	snprintf(path, sizeof path, "%s/w.bin", dir);
	assert_int_equal(ml_linear_save(&m, path, &err), CL_OK);
	assert_int_equal(ml_linear_load(&back, path, &err), CL_OK);
	assert_null(back.cols); /* every column used: dense */
	for (int i = 0; i < 3; i++) {
		ml_linear_scores(&m, x[i], p);
		ml_linear_scores(&back, x[i], q);
		for (int k = 0; k < 3; k++)
			assert_true(p[k] == q[k]);
	}
	FILE *f = fopen(path, "wb");
	fputs("not a model", f);
	fclose(f);
	ml_linear bad;
	assert_int_equal(ml_linear_load(&bad, path, &err), CL_EINVAL);
	ml_linear_release(&m);
	ml_linear_release(&back);
	tmpdir_remove(dir);
}

static void file_read(const char *path, char *buf, size_t cap, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	*n = fread(buf, 1, cap, f);
	fclose(f);
}

/* Trains nclass classes on rows of features 2, 5 or 7 of dim 99 (class i % 3 of 3; the third
 * class never appears when nclass is 4, so it learns only its bias) both ways: the used
 * columns' model scores every row as the dense one does and writes the same file, which loads
 * back as a used columns' model (its classes use under a quarter of the columns) scoring the
 * same again. */
static void linear_used_as_dense(int nclass, bool multi_label)
{
	struct feature_node rows[6][3], *x[6];
	uint8_t truth[6 * 4] = {0};
	static const int feature[3] = {2, 5, 7};
	for (int i = 0; i < 6; i++) {
		int k = i % (nclass == 2 ? 2 : 3);
		rows[i][0] = (struct feature_node){feature[k], 1.0};
		rows[i][1] = (struct feature_node){100, 1.0}; /* the bias of dim 99 */
		rows[i][2] = (struct feature_node){-1, 0};
		x[i] = rows[i];
		truth[i * nclass + (k == 2 && nclass == 4 ? 3 : k)] = 1;
	}
	cl_error err;
	ml_linear dense = {99, nclass, multi_label, NULL, NULL, 0, NULL}, used = dense, back;
	assert_int_equal(ml_linear_train(&dense, x, 6, truth, 10, 2, &err), CL_OK);
	assert_int_equal(ml_linear_train_used(&used, x, 6, truth, 10, 2, &err), CL_OK);
	assert_int_equal(used.ncols, nclass == 2 ? 3 : 4); /* features 2, 5 (7), the bias */
	assert_int_equal(used.cols[used.ncols - 1], 99);
	char dir[64], a[96], b[96], fa[4096], fb[4096];
	size_t na, nb;
	assert_int_equal(tmpdir_make(dir, sizeof dir, "ml-linear-used"), 0);
	snprintf(a, sizeof a, "%s/dense.bin", dir);
	snprintf(b, sizeof b, "%s/used.bin", dir);
	assert_int_equal(ml_linear_save(&dense, a, &err), CL_OK);
	assert_int_equal(ml_linear_save(&used, b, &err), CL_OK);
	file_read(a, fa, sizeof fa, &na);
	file_read(b, fb, sizeof fb, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(fa, fb, na);
	assert_int_equal(ml_linear_load(&back, b, &err), CL_OK);
	assert_non_null(back.cols);
	assert_int_equal(back.dim, 99);
	double p[4], q[4], r[4];
	for (int i = 0; i < 6; i++) {
		ml_linear_scores(&dense, x[i], p);
		ml_linear_scores(&used, x[i], q);
		ml_linear_scores(&back, x[i], r);
		for (int k = 0; k < nclass; k++)
			assert_true(p[k] == q[k] && p[k] == r[k]);
	}
	ml_linear_release(&dense);
	ml_linear_release(&used);
	ml_linear_release(&back);
	tmpdir_remove(dir);
}

static void test_linear_used_columns_as_dense(void **state)
{
	(void)state;
	linear_used_as_dense(3, false);
	linear_used_as_dense(2, false); /* one class mirrors the other */
	linear_used_as_dense(4, true);	/* class 2 has no rows: its bias alone */
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_dataset_reads_and_refuses(void **state)
{
	(void)state;
	char dir[64];
	ml_dataset d;
	cl_error err;
	assert_int_equal(tmpdir_make(dir, sizeof dir, "ml-dataset"), 0);
	assert_int_equal(ml_dataset_load(dir, &d, &err), CL_EINVAL); /* no project.json */
	write_file(dir, "project.json", "{\"kind\":\"text_class\",\"labels\":[\"a\",\"b\"]}");
	write_file(dir, "rows.jsonl",
		   "{\"split\":\"train\",\"text\":\"x\",\"annotation\":{\"labels\":[\"b\"]}}\n\n"
		   "{\"split\":\"other\",\"text\":\"y\",\"annotation\":{}}\n"
		   "{\"split\":\"test\",\"text\":\"z\",\"annotation\":{\"labels\":[\"a\"]}}\n");
	assert_int_equal(ml_dataset_load(dir, &d, &err), CL_OK);
	assert_int_equal(d.nrows, 2);
	assert_int_equal(d.count[ML_TRAIN], 1);
	assert_int_equal(d.count[ML_TEST], 1);
	assert_int_equal(d.rows[0].labels[0], 1);
	ml_dataset_release(&d);
	write_file(dir, "rows.jsonl",
		   "{\"split\":\"train\",\"text\":\"x\",\"annotation\":{\"labels\":[\"b\"]}}\n"
		   "{\"split\":\"train\",\"text\":\"x\",\"annotation\":{\"labels\":[\"c\"]}}\n");
	assert_int_equal(ml_dataset_load(dir, &d, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "line 2"));
	assert_non_null(strstr(err.message, "not one of the project's labels"));
	write_file(dir, "project.json", "{\"kind\":\"image_class\",\"labels\":[\"a\"]}");
	write_file(dir, "rows.jsonl",
		   "{\"split\":\"train\",\"image\":\"../etc/"
		   "passwd\",\"annotation\":{\"labels\":[\"a\"]}}\n");
	assert_int_equal(ml_dataset_load(dir, &d, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "inside the dataset directory"));
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_params_checked_and_named),
	    cmocka_unit_test(test_linear_learns_and_round_trips),
	    cmocka_unit_test(test_linear_used_columns_as_dense),
	    cmocka_unit_test(test_dataset_reads_and_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
