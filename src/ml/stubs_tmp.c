#include "ml/runtime.h"
#include "ml/train.h"
int ml_spans_linear_train(const ml_train_job *job, cl_error *err) { (void)job; return cl_fail(err, CL_EINVAL, NULL, "not yet"); }
static int ld(const char *d, ml_model **o, cl_error *e) { (void)d; (void)o; return cl_fail(e, CL_EINVAL, NULL, "not yet"); }
static int pr(ml_model *m, const json_t *i, json_t **o, cl_error *e) { (void)m; (void)i; (void)o; return cl_fail(e, CL_EINVAL, NULL, "not yet"); }
static void fr(ml_model *m) { (void)m; }
const ml_runtime ml_spans_linear_runtime = {"spans_linear", ld, pr, fr};
