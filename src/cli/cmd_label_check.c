/* `crowdloop label-check --project ID`: a project's label checks (GET
 * /projects/{id}/label-checks), newest first; `--start` starts one (POST, of `--dataset` or of a
 * new version of the project as it is, with --trainer, --params, --folds, --threshold, --cpus);
 * `--wait` waits for the started check to end and prints it; `--show JOB` prints one check with
 * its flags: the items whose approved annotation the cross-validated model contradicts, which
 * the check put in an audit. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The most checks a listing asks for (the route's own bound). */
#define LABEL_CHECK_LIST_LIMIT 100

/* What the command line asks for. */
typedef struct check_args {
	const char *server, *trainer, *params, *threshold;
	long long project, dataset, show, folds, cpus;
	bool start, wait, as_json;
} check_args;

static const terminal_column columns[] = {
    {"JOB", "job_id", 6, 0},	      {"STATE", "state", 9, 1},
    {"DATASET", "dataset_id", 7, 0},  {"TRAINER", "trainer", 13, 1},
    {"THRESHOLD", "threshold", 9, 0}, {"AGREEMENT", "agreement", 9, 0},
    {"FLAGGED", "flagged", 9, 0},     {"AUDIT", "audit_id", 6, 0}};
#define NCOLS (sizeof columns / sizeof columns[0])

/* GET the project's checks into *page; the HTTP status. */
static long get_checks(client *c, long long project, json_t **page)
{
	char path[96];
	snprintf(path, sizeof path, "/projects/%lld/label-checks?limit=%d", project,
		 LABEL_CHECK_LIST_LIMIT);
	return client_get_json(c, path, page);
}

static int list(client *c, const check_args *a)
{
	json_t *page = NULL, *check;
	size_t i;
	if (!client_status_ok(get_checks(c, a->project, &page))) {
		json_decref(page); /* the server's error */
		return 1;
	}
	if (a->as_json) {
		terminal_print_json(page);
	} else {
		terminal_table_head(stdout, columns, NCOLS);
		json_array_foreach(json_object_get(page, "items"), i, check)
		    terminal_table_row(stdout, columns, NCOLS, check);
	}
	json_decref(page);
	return 0;
}

/* "item 12: pos -> neg (0.97)": what the model says against the annotation. */
static void print_flag(const json_t *f)
{
	printf("item %lld: ", (long long)json_integer_value(json_object_get(f, "item_id")));
	terminal_fput_text(stdout, json_string_value(json_object_get(f, "label")));
	fputs(" -> ", stdout);
	terminal_fput_text(stdout, json_string_value(json_object_get(f, "model_label")));
	printf(" (%.2f)\n", json_number_value(json_object_get(f, "confidence")));
}

static void print_check(const json_t *c)
{
	char rows[32], agreement[32], flagged[32], audit[32];
	const json_t *f;
	size_t i;
	printf("label check %lld: %s, dataset %lld, %s, %lld folds, threshold %g\n",
	       (long long)json_integer_value(json_object_get(c, "job_id")),
	       json_string_value(json_object_get(c, "state")),
	       (long long)json_integer_value(json_object_get(c, "dataset_id")),
	       json_string_value(json_object_get(c, "trainer")),
	       (long long)json_integer_value(json_object_get(c, "folds")),
	       json_number_value(json_object_get(c, "threshold")));
	printf("rows %s, agreement %s, flagged %s, audit %s (%lld tasks)\n",
	       terminal_json_text(json_object_get(c, "rows"), rows, sizeof rows),
	       terminal_json_text(json_object_get(c, "agreement"), agreement, sizeof agreement),
	       terminal_json_text(json_object_get(c, "flagged"), flagged, sizeof flagged),
	       terminal_json_text(json_object_get(c, "audit_id"), audit, sizeof audit),
	       (long long)json_integer_value(json_object_get(c, "audited")));
	json_array_foreach(json_object_get(c, "flags"), i, f) print_flag(f);
}

/* The project's check `job` (a new reference) into *found, NULL when it has none; 1 after
 * printing the server's error, else 0. */
static int find_check(client *c, long long project, long long job, json_t **found)
{
	json_t *page = NULL, *check;
	size_t i;
	*found = NULL;
	if (!client_status_ok(get_checks(c, project, &page))) {
		json_decref(page); /* the server's error */
		return 1;
	}
	json_array_foreach(json_object_get(page, "items"), i, check)
	{
		if (json_integer_value(json_object_get(check, "job_id")) == job)
			*found = json_incref(check);
	}
	json_decref(page);
	return 0;
}

/* The project's check `job`, printed; the exit status. */
static int show(client *c, const check_args *a, long long job)
{
	json_t *found = NULL;
	if (find_check(c, a->project, job, &found))
		return 1;
	if (!found)
		fprintf(stderr, "crowdloop label-check: project %lld has no label check %lld\n",
			a->project, job);
	else if (a->as_json)
		terminal_print_json(found);
	else
		print_check(found);
	json_decref(found);
	return found ? 0 : 1;
}

/* Waits for check `job` to end (asking every second), then prints it; 0 when it succeeded. */
static int wait_check(client *c, const check_args *a, long long job)
{
	for (;;) {
		json_t *check = NULL;
		if (find_check(c, a->project, job, &check) || !check)
			return show(c, a, job);
		const char *state = json_string_value(json_object_get(check, "state"));
		bool ended = state && strcmp(state, "queued") && strcmp(state, "running");
		bool succeeded = state && !strcmp(state, "succeeded");
		json_decref(check);
		if (ended)
			return show(c, a, job) || !succeeded;
		sleep(1);
	}
}

/* The start's body from the options; NULL after printing why. */
static json_t *start_body(const check_args *a)
{
	json_t *body = json_object();
	char *end = NULL;
	if (a->threshold) {
		double t = strtod(a->threshold, &end);
		if (!*a->threshold || *end) {
			fprintf(stderr,
				"crowdloop label-check: --threshold is a number, 0.5 to 1\n");
			json_decref(body);
			return NULL;
		}
		json_object_set_new(body, "threshold", json_real(t));
	}
	if (a->params) {
		json_t *params = json_loads(a->params, 0, NULL);
		if (!json_is_object(params)) {
			fprintf(stderr, "crowdloop label-check: --params is a JSON object\n");
			json_decref(params);
			json_decref(body);
			return NULL;
		}
		json_object_set_new(body, "params", params);
	}
	if (a->trainer)
		json_object_set_new(body, "trainer", json_string(a->trainer));
	if (a->dataset)
		json_object_set_new(body, "dataset_id", json_integer(a->dataset));
	if (a->folds)
		json_object_set_new(body, "folds", json_integer(a->folds));
	if (a->cpus)
		json_object_set_new(body, "cpus", json_integer(a->cpus));
	return body;
}

static int start(client *c, const check_args *a)
{
	json_t *body = start_body(a), *answer = NULL;
	char path[64];
	long status = 0;
	snprintf(path, sizeof path, "/projects/%lld/label-checks", a->project);
	if (body)
		status = client_post_json(c, path, body, &answer);
	long long job = json_integer_value(json_object_get(answer, "job_id"));
	if (client_status_ok(status) && a->as_json && !a->wait)
		terminal_print_json(answer);
	else if (client_status_ok(status))
		fprintf(a->wait ? stderr : stdout, "label check %lld of dataset %lld: %s\n", job,
			(long long)json_integer_value(json_object_get(answer, "dataset_id")),
			json_string_value(json_object_get(answer, "state")));
	json_decref(body);
	json_decref(answer);
	if (!client_status_ok(status))
		return 1;
	return a->wait ? wait_check(c, a, job) : 0;
}

/* A usage error of the options' combination, or NULL. */
static const char *misuse(const check_args *a)
{
	bool settings =
	    a->trainer || a->params || a->threshold || a->dataset || a->folds || a->cpus;
	if (!a->project)
		return "give the --project";
	if (a->start && a->show)
		return "--start or --show, not both";
	if ((settings || a->wait) && !a->start)
		return "--dataset, --trainer, --params, --folds, --threshold, --cpus and --wait go "
		       "with --start";
	return NULL;
}

int cmd_label_check(int argc, char **argv)
{
	check_args a = {0};
	const cli_option opts[] = {
	    OPT_SERVER(&a.server),
	    OPT_PROJECT(&a.project),
	    OPT_BOOL("start", &a.start, "start a label check"),
	    OPT_BOOL("wait", &a.wait,
		     "wait for the started check to end and print it\n(exit status 1 unless it "
		     "succeeded)"),
	    OPT_ID("show", &a.show, "JOB", "print a check with its flags"),
	    OPT_ID("dataset", &a.dataset, "ID",
		   "the dataset version to check (default: a new one of\nthe project as it is)"),
	    OPT_STRING(0, "trainer", &a.trainer, "NAME",
		       "text-linear, text-fasttext, image-hog or spans-linear\n(default: the "
		       "project kind's)"),
	    OPT_STRING(0, "params", &a.params, "JSON", "the trainer's params ('{\"C\":10}')"),
	    OPT_INT("folds", &a.folds, 2, 20, "K", "cross-validation folds (default 5)"),
	    OPT_STRING(0, "threshold", &a.threshold, "P",
		       "the model's probability that flags a label, 0.5 to 1\n(default 0.9)"),
	    OPT_INT("cpus", &a.cpus, 1, 64, "N", "the job's CPUs (default 1)"),
	    OPT_JSON(&a.as_json, "print the server's JSON answer"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "label-check",
	    .synopses =
		USAGE("--project ID [--json]",
		      "--project ID --start [--dataset ID] [--trainer NAME] [--params JSON]\n"
		      "                             [--folds K] [--threshold P] [--cpus N]",
		      "--project ID --show JOB [--json]"),
	    .about = "Lists a project's label checks, starts one, or prints one with its flags.\n"
		     "A check cross-validates a built-in model over the approved annotations\n"
		     "and puts the ones it contradicts at the threshold in an audit.",
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	const char *why = misuse(&a);
	if (why)
		return options_usage_error(&spec, "%s", why);
	client c;
	ret = 1;
	if (!client_open(&c, a.server, 1))
		ret = a.start ? start(&c, &a) : a.show ? show(&c, &a, a.show) : list(&c, &a);
	client_close(&c);
	return ret;
}
