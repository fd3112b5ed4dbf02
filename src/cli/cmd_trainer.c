/* `crowdloop trainer`: the built-in trainers as a job's process runs them.
 *   trainer run --trainer NAME --data DIR --output DIR [--param k=v ...] [--cpus N]
 *   trainer list
 *   trainer predict --model DIR   (JSON inputs on stdin, one a line; one answer a line out)
 *   trainer check --trainer NAME --data DIR --output DIR [--folds K] [--threshold P] ...
 * `run` trains on the dataset directory's train split and writes the model and
 * evaluation.json (see ml/train.h); the job system relies on this command line as it is. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/options.h"
#include "ml/label_check.h"
#include "ml/runtime.h"
#include "ml/train.h"
#include "util/json_read.h"

/* The longest input line `trainer predict` reads. */
#define PREDICT_MAX_LINE (16u << 20)

/* {"name": number} from "name=value" words; NULL after printing what is wrong. */
static json_t *params_of(const cli_list *list)
{
	json_t *params = json_object();
	for (int i = 0; params && i < list->n; i++) {
		const char *eq = strchr(list->items[i], '=');
		char *end = NULL, name[64];
		double v = eq ? strtod(eq + 1, &end) : 0;
		if (!eq || eq == list->items[i] || (size_t)(eq - list->items[i]) >= sizeof name ||
		    end == eq + 1 || *end) {
			fprintf(stderr,
				"crowdloop trainer: --param takes name=number, not '%.80s'\n",
				list->items[i]);
			json_decref(params);
			return NULL;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - list->items[i]), list->items[i]);
		json_object_set_new(params, name, json_real(v));
	}
	return params;
}

/* The command line of `trainer run` or `trainer check`: the same options, check's two more. */
typedef struct trainer_command {
	const char *command;	  /* "trainer run" */
	const char *trainer_help; /* --trainer's help line */
	const char *synopsis;
	const char *about;
	bool checks; /* takes --folds and --threshold */
} trainer_command;

/* What such a command line asked for. */
typedef struct trainer_args {
	const char *name, *data, *output, *threshold;
	long long cpus, folds;
	json_t *params; /* the caller's, freed by trainer_finish */
} trainer_args;

/* The index of --folds in trainer_args_parse's table: the first of check's own options. */
enum { TRAINER_CHECK_OPTIONS = 5 };

/* Reads the command line of c into *a. Returns -1 when the command should go on (a->params
 * set), else the exit status (the help printed, or a usage error). */
static int trainer_args_parse(const trainer_command *c, int argc, char **argv, trainer_args *a)
{
	cli_list params = {0};
	*a = (trainer_args){.cpus = 1, .folds = ML_CHECK_DEFAULT_FOLDS};
	cli_option opts[] = {
	    OPT_STRING(0, "trainer", &a->name, "NAME", c->trainer_help),
	    OPT_STRING(0, "data", &a->data, "DIR", "the dataset: project.json and rows.jsonl"),
	    OPT_STRING(0, "output", &a->output, "DIR",
		       c->checks ? "where evaluation.json goes"
				 : "where the model and evaluation.json go"),
	    OPT_LIST("param", &params, "K=V", "a param of the trainer (repeat for more)"),
	    OPT_INT("cpus", &a->cpus, 1, 256, "N", "the most threads to use (default 1)"),
	    OPT_INT("folds", &a->folds, ML_CHECK_MIN_FOLDS, ML_CHECK_MAX_FOLDS, "K",
		    "cross-validation folds (default 5)"),
	    OPT_STRING(0, "threshold", &a->threshold, "P",
		       "the model's least probability to flag a label (default 0.9)"),
	    OPT_END(),
	};
	if (!c->checks)
		opts[TRAINER_CHECK_OPTIONS] = (cli_option)OPT_END();
	const options_spec spec = {
	    .command = c->command,
	    .synopses = USAGE(c->synopsis),
	    .about = c->about,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	if (!a->name || !a->data || !a->output)
		return options_usage_error(&spec, "--trainer, --data and --output are required");
	a->params = params_of(&params);
	return a->params ? -1 : 2;
}

/* The exit status of a run or check that returned ret, its error said on stderr. */
static int trainer_finish(const trainer_command *c, trainer_args *a, int ret, const cl_error *err)
{
	json_decref(a->params);
	if (ret)
		fprintf(stderr, "crowdloop %s: %s\n", c->command, err->message);
	return ret ? 1 : 0;
}

static int trainer_run(int argc, char **argv)
{
	static const trainer_command run = {
	    .command = "trainer run",
	    .trainer_help = "the trainer (see `crowdloop trainer list`)",
	    .synopsis = "--trainer NAME --data DIR --output DIR [--param K=V]... [--cpus N]",
	    .about = "Trains on the train split, evaluates on the test split, and writes\n"
		     "OUTPUT/model.json, the model's files and OUTPUT/evaluation.json.",
	};
	trainer_args a;
	int ret = trainer_args_parse(&run, argc, argv, &a);
	if (ret >= 0)
		return ret;
	cl_error err;
	ret = ml_train_run(a.name, a.data, a.output, a.params, (int)a.cpus, stdout, &err);
	return trainer_finish(&run, &a, ret, &err);
}

static int trainer_list(void)
{
	for (const ml_trainer *const *t = ml_trainers(); *t; t++) {
		printf("%s (%s", (*t)->name, (*t)->kinds[0]);
		for (int k = 1; (*t)->kinds[k]; k++)
			printf(", %s", (*t)->kinds[k]);
		printf("): %s\n", (*t)->about);
		for (const ml_param_spec *p = (*t)->params; p->name; p++)
			printf("  %-12s %g..%g, default %g: %s\n", p->name, p->min, p->max,
			       p->fallback, p->about);
	}
	return fflush(stdout) ? 1 : 0;
}

/* Answers one input line on stdout: the answer, or {"error":{...}}. */
static int predict_line(const ml_runtime *rt, ml_model *m, const char *line, size_t len)
{
	json_error_t je;
	cl_error err = {0};
	json_t *in = json_read(line, len, 0, &je), *out = NULL;
	int rc = in ? rt->predict(m, in, &out, &err)
		    : cl_fail(&err, CL_EINVAL, "bad_json", "%s", je.text);
	if (rc)
		out = json_pack("{s:{s:s,s:s}}", "error", "code",
				err.name[0] ? err.name : cl_err_name(rc), "message", err.message);
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(in);
	json_decref(out);
	return rc;
}

static int trainer_predict(int argc, char **argv)
{
	const char *dir = NULL;
	const cli_option opts[] = {
	    OPT_STRING(0, "model", &dir, "DIR", "the model's directory (its model.json)"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "trainer predict",
	    .synopses = USAGE("--model DIR < inputs.jsonl"),
	    .about = "Reads one JSON input a line ({\"text\":...} or {\"image_path\":...}) and\n"
		     "prints one answer a line.",
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand), failed = 0;
	if (ret >= 0)
		return ret;
	if (!dir)
		return options_usage_error(&spec, "--model is required");
	const ml_runtime *rt;
	ml_model *m = NULL;
	cl_error err;
	if (ml_model_open(dir, &rt, &m, &err)) {
		fprintf(stderr, "crowdloop trainer predict: %s\n", err.message);
		return 1;
	}
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	while ((len = getline(&line, &size, stdin)) > 0)
		if ((size_t)len > PREDICT_MAX_LINE || len > 1)
			failed |= (size_t)len > PREDICT_MAX_LINE ||
				  predict_line(rt, m, line, (size_t)len) != 0;
	free(line);
	rt->free(m);
	return failed || fflush(stdout) ? 1 : 0;
}

/* --threshold's value, a probability; -1 when it is not a number. */
static double threshold_of(const char *s)
{
	char *end = NULL;
	double v = s ? strtod(s, &end) : ML_CHECK_DEFAULT_THRESHOLD;
	return s && (end == s || *end) ? -1 : v;
}

static int trainer_check(int argc, char **argv)
{
	static const trainer_command check = {
	    .command = "trainer check",
	    .trainer_help = "text-linear or image-hog",
	    .synopsis = "--trainer NAME --data DIR --output DIR [--folds K] [--threshold P] "
			"[--param K=V]... [--cpus N]",
	    .about = "Cross-validates the trainer over every row and writes the rows whose label\n"
		     "the model contradicts to OUTPUT/evaluation.json.",
	    .checks = true,
	};
	trainer_args a;
	int ret = trainer_args_parse(&check, argc, argv, &a);
	if (ret >= 0)
		return ret;
	cl_error err;
	ret = ml_label_check_run(a.name, a.data, a.output, a.params, (int)a.folds,
				 threshold_of(a.threshold), (int)a.cpus, stdout, &err);
	return trainer_finish(&check, &a, ret, &err);
}

int cmd_trainer(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "run"))
		return trainer_run(argc - 1, argv + 1);
	if (!strcmp(what, "list"))
		return trainer_list();
	if (!strcmp(what, "predict"))
		return trainer_predict(argc - 1, argv + 1);
	if (!strcmp(what, "check"))
		return trainer_check(argc - 1, argv + 1);
	int help = !strcmp(what, "--help") || !strcmp(what, "-h");
	fprintf(help ? stdout : stderr,
		"usage: crowdloop trainer run --trainer NAME --data DIR --output DIR "
		"[--param K=V]... [--cpus N]\n"
		"       crowdloop trainer list\n"
		"       crowdloop trainer predict --model DIR < inputs.jsonl\n"
		"       crowdloop trainer check --trainer NAME --data DIR --output DIR "
		"[--folds K] [--threshold P]\n");
	return help ? 0 : 2;
}
