/* `crowdloop pipeline --project ID`: a project's retraining pipeline (GET
 * /projects/{id}/pipeline): its settings and its runs, newest first; `--run RUN` prints one run
 * with its steps; `--approve RUN` / `--reject RUN` decide a run that waits for a person; any of
 * the settings' options (--trainer, --model, --params, --threshold, --metric, --margin, --mode,
 * --enable, --disable) sets them (PUT), the settings not given kept as they were. The server
 * starts runs itself; `crowdloop pipeline trigger --project ID` starts one now (POST
 * /projects/{id}/pipeline/runs). */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <stdlib.h>
#include <string.h>

static const char *const metrics[] = {"accuracy", "macro_f1", NULL};
static const char *const modes[] = {"auto", "approve", NULL};

/* What the command line asks for. */
typedef struct pipeline_args {
	const char *server, *trainer, *model, *params, *metric, *margin, *mode;
	long long project, run, approve, reject, threshold;
	bool enable, disable, as_json, trigger;
} pipeline_args;

/* Whether the command line sets a setting. */
static bool sets_settings(const pipeline_args *a)
{
	return a->trainer || a->model || a->params || a->metric || a->margin || a->mode ||
	       a->threshold || a->enable || a->disable;
}

/* GET /projects/{id}/pipeline into *answer; the HTTP status. */
static long get_pipeline(client *c, long long project, json_t **answer)
{
	char path[64];
	snprintf(path, sizeof path, "/projects/%lld/pipeline", project);
	return client_get_json(c, path, answer);
}

static void print_settings(const json_t *s)
{
	char *params = json_dumps(json_object_get(s, "params"), JSON_COMPACT);
	printf("%s: every %lld approved, %s %s -> model ",
	       json_is_true(json_object_get(s, "enabled")) ? "enabled" : "disabled",
	       (long long)json_integer_value(json_object_get(s, "threshold")),
	       json_string_value(json_object_get(s, "trainer")), params ? params : "{}");
	terminal_fput_text(stdout, json_string_value(json_object_get(s, "model")));
	printf(", %s, margin %g, mode %s\n", json_string_value(json_object_get(s, "metric")),
	       json_number_value(json_object_get(s, "margin")),
	       json_string_value(json_object_get(s, "mode")));
	free(params);
}

static const terminal_column run_columns[] = {{"RUN", "id", 6, 0},
					      {"STATE", "state", 9, 1},
					      {"APPROVED", "approved", 8, 0},
					      {"JOB", "job_id", 6, 0},
					      {"VERSION", "model_version", 7, 0},
					      {"FIGURE", "figure", 8, 0},
					      {"PRODUCTION", "production_figure", 10, 0},
					      {"REASON", "reason", 30, 1}};
#define RUN_NCOLS (sizeof run_columns / sizeof run_columns[0])

static void print_pipeline(const json_t *p, long long project)
{
	const json_t *settings = json_object_get(p, "settings"), *r;
	size_t i;
	printf("pipeline of project %lld ", project);
	if (json_is_object(settings))
		print_settings(settings);
	else
		printf("not set\n");
	terminal_table_head(stdout, run_columns, RUN_NCOLS);
	json_array_foreach(json_object_get(p, "runs"), i, r)
	    terminal_table_row(stdout, run_columns, RUN_NCOLS, r);
}

/* The run `id` of the pipeline's answer, or NULL. */
static const json_t *run_of(const json_t *p, long long id)
{
	const json_t *r, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(p, "runs"), i, r)
	{
		if (json_integer_value(json_object_get(r, "id")) == id)
			found = r;
	}
	return found;
}

static void print_run(const json_t *r)
{
	const json_t *s;
	size_t i;
	char figure[64], production[64];
	printf("run %lld: %s", (long long)json_integer_value(json_object_get(r, "id")),
	       json_string_value(json_object_get(r, "state")));
	printf(" (%s %s, production %s)\n", json_string_value(json_object_get(r, "metric")),
	       terminal_json_text(json_object_get(r, "figure"), figure, sizeof figure),
	       terminal_json_text(json_object_get(r, "production_figure"), production,
				  sizeof production));
	json_array_foreach(json_object_get(r, "steps"), i, s)
	{
		char *figures = json_dumps(json_object_get(s, "figures"), JSON_COMPACT);
		printf("  %-9s %-8s %s", json_string_value(json_object_get(s, "step")),
		       json_string_value(json_object_get(s, "state")), figures ? figures : "");
		if (json_is_string(json_object_get(s, "reason"))) {
			fputs("  ", stdout);
			terminal_fput_text(stdout, json_string_value(json_object_get(s, "reason")));
		}
		putchar('\n');
		free(figures);
	}
}

/* Prints the pipeline, or one run of it; the exit status. */
static int show(client *c, const pipeline_args *a)
{
	json_t *p = NULL;
	int ret = 1;
	if (client_status_ok(get_pipeline(c, a->project, &p))) {
		const json_t *r = a->run ? run_of(p, a->run) : p;
		if (!r)
			fprintf(stderr, "crowdloop pipeline: project %lld has no run %lld\n",
				a->project, a->run);
		else if (a->as_json)
			terminal_print_json(r);
		else if (a->run)
			print_run(r);
		else
			print_pipeline(p, a->project);
		ret = r ? 0 : 1;
	}
	json_decref(p);
	return ret;
}

/* POST .../runs/{run}/approve or reject; the exit status. */
static int decide(client *c, const pipeline_args *a)
{
	char path[128];
	const char *verb = a->approve ? "approve" : "reject";
	json_t *answer = NULL;
	snprintf(path, sizeof path, "/projects/%lld/pipeline/runs/%lld/%s", a->project,
		 a->approve ? a->approve : a->reject, verb);
	long status = client_post_json(c, path, NULL, &answer);
	if (client_status_ok(status) && a->as_json)
		terminal_print_json(answer);
	else if (client_status_ok(status))
		printf("run %lld: %s\n",
		       (long long)json_integer_value(json_object_get(answer, "run_id")),
		       json_string_value(json_object_get(answer, "state")));
	json_decref(answer);
	return client_status_ok(status) ? 0 : 1;
}

/* POST /projects/{id}/pipeline/runs: a run now; the exit status. */
static int trigger(client *c, const pipeline_args *a)
{
	char path[64];
	json_t *answer = NULL;
	snprintf(path, sizeof path, "/projects/%lld/pipeline/runs", a->project);
	long status = client_post_json(c, path, NULL, &answer);
	if (client_status_ok(status) && a->as_json)
		terminal_print_json(answer);
	else if (client_status_ok(status))
		printf("run %lld: %s (triggered)\n",
		       (long long)json_integer_value(json_object_get(answer, "id")),
		       json_string_value(json_object_get(answer, "state")));
	json_decref(answer);
	return client_status_ok(status) ? 0 : 1;
}

/* The command line's settings over the current ones (a copy of `was`, or new); NULL after
 * printing why. */
static json_t *settings_body(const pipeline_args *a, const json_t *was)
{
	json_t *s = json_is_object(was) ? json_deep_copy(was) : json_object();
	char *end = NULL;
	if (a->params) {
		json_t *params = json_loads(a->params, 0, NULL);
		if (!json_is_object(params)) {
			fprintf(stderr, "crowdloop pipeline: --params is a JSON object\n");
			json_decref(params);
			json_decref(s);
			return NULL;
		}
		json_object_set_new(s, "params", params);
	}
	if (a->margin) {
		double m = strtod(a->margin, &end);
		if (!*a->margin || *end) {
			fprintf(stderr, "crowdloop pipeline: --margin is a number from 0 to 1\n");
			json_decref(s);
			return NULL;
		}
		json_object_set_new(s, "margin", json_real(m));
	}
	if (a->trainer)
		json_object_set_new(s, "trainer", json_string(a->trainer));
	if (a->model)
		json_object_set_new(s, "model", json_string(a->model));
	if (a->metric)
		json_object_set_new(s, "metric", json_string(a->metric));
	if (a->mode)
		json_object_set_new(s, "mode", json_string(a->mode));
	if (a->threshold)
		json_object_set_new(s, "threshold", json_integer(a->threshold));
	if (a->enable || a->disable)
		json_object_set_new(s, "enabled", json_boolean(a->enable));
	return s;
}

/* PUT the settings, the ones not given kept; the exit status. */
static int set(client *c, const pipeline_args *a)
{
	json_t *p = NULL, *body = NULL, *answer = NULL;
	char path[64];
	long status = 0;
	if (client_status_ok(get_pipeline(c, a->project, &p)) &&
	    (body = settings_body(a, json_object_get(p, "settings")))) {
		snprintf(path, sizeof path, "/projects/%lld/pipeline", a->project);
		status = client_send_json(c, "PUT", path, body, &answer);
	}
	if (client_status_ok(status) && a->as_json) {
		terminal_print_json(answer);
	} else if (client_status_ok(status)) {
		printf("pipeline of project %lld ", a->project);
		print_settings(json_object_get(answer, "settings"));
	}
	json_decref(p);
	json_decref(body);
	json_decref(answer);
	return client_status_ok(status) ? 0 : 1;
}

/* A usage error of the options' combination, or NULL. */
static const char *misuse(const pipeline_args *a)
{
	int actions = (a->run != 0) + (a->approve != 0) + (a->reject != 0) + sets_settings(a) +
		      a->trigger;
	if (!a->project)
		return "give the --project";
	if (actions > 1)
		return "one of trigger, --run, --approve, --reject or the settings";
	if (a->enable && a->disable)
		return "--enable or --disable, not both";
	return NULL;
}

int cmd_pipeline(int argc, char **argv)
{
	pipeline_args a = {0};
	const cli_option opts[] = {
	    OPT_SERVER(&a.server),
	    OPT_PROJECT(&a.project),
	    OPT_ID("run", &a.run, "RUN", "print one run with its steps"),
	    OPT_ID("approve", &a.approve, "RUN", "promote the version a waiting run made"),
	    OPT_ID("reject", &a.reject, "RUN", "keep production: reject a waiting run's version"),
	    OPT_STRING(0, "trainer", &a.trainer, "NAME", "set the built-in trainer"),
	    OPT_STRING(0, "params", &a.params, "JSON", "set the trainer's params ('{\"C\":10}')"),
	    OPT_STRING(0, "model", &a.model, "NAME", "set the registered model runs feed"),
	    OPT_INT("threshold", &a.threshold, 1, 1000000, "N",
		    "set the approved annotations that start a run"),
	    OPT_CHOICE("metric", &a.metric, metrics, "set the figure runs compare"),
	    OPT_STRING(0, "margin", &a.margin, "X", "set how much better a run must be (0-1)"),
	    OPT_CHOICE("mode", &a.mode, modes, "promote by itself, or wait for a person"),
	    OPT_BOOL("enable", &a.enable, "switch the pipeline on"),
	    OPT_BOOL("disable", &a.disable, "switch the pipeline off"),
	    OPT_JSON(&a.as_json, "print the server's JSON answer"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "pipeline",
	    .synopses = USAGE(
		"--project ID [--json]", "--project ID --run RUN [--json]",
		"--project ID --approve RUN | --reject RUN", "trigger --project ID [--json]",
		"--project ID [--trainer NAME] [--model NAME] [--params JSON]\n"
		"                          [--threshold N] [--metric M] [--margin X] [--mode M] "
		"[--enable|--disable]"),
	    .about = "Prints a project's retraining pipeline, its settings and its runs; prints\n"
		     "one run with its steps; decides a run waiting for a person; or sets the\n"
		     "settings (those not given stay as they were; trainer and model are\n"
		     "needed the first time). The server starts runs itself once enough\n"
		     "annotations have been approved; `trigger` starts one now.",
	    .operands = -1,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	a.trigger = argc - operand == 1 && !strcmp(argv[operand], "trigger");
	if (operand < argc && !a.trigger)
		return options_usage_error(&spec, "the only subcommand is trigger");
	const char *why = misuse(&a);
	if (why)
		return options_usage_error(&spec, "%s", why);
	client c;
	ret = 1;
	if (!client_open(&c, a.server, 1))
		ret = a.trigger		    ? trigger(&c, &a)
		      : a.approve || a.reject ? decide(&c, &a)
		      : sets_settings(&a)   ? set(&c, &a)
					    : show(&c, &a);
	client_close(&c);
	return ret;
}
