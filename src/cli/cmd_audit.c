/* `crowdloop audit --project ID --size N`: samples N approved tasks of a project for an audit
 * and prints the audit (its id and tasks) as JSON; `--show AUDIT` prints an audit, and
 * `--verdict AUDIT:TASK=correct|incorrect` records one verdict. `--quality` prints the
 * project's estimated quality line ("99.2% (98.6–99.6), n=800"). */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"

#include <stdlib.h>
#include <string.h>

/* What the command line asks for. */
typedef struct audit_args {
	const char *server, *verdict;
	long long project, size, show;
	bool quality;
} audit_args;

static void print(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

/* POST /audits/{a}/tasks/{t} {"verdict"}; -1 when `verdict` is not AUDIT:TASK=WORD. */
static int record_verdict(client *c, const char *verdict, json_t **answer, long *status)
{
	long long a = 0, t = 0;
	char what[16] = "", path[96];
	if (sscanf(verdict, "%lld:%lld=%15s", &a, &t, what) != 3 || a <= 0 || t <= 0)
		return -1;
	snprintf(path, sizeof path, "/audits/%lld/tasks/%lld", a, t);
	json_t *body = json_pack("{s:s}", "verdict", what);
	*status = client_post_json(c, path, body, answer);
	json_decref(body);
	return 0;
}

/* Prints the project's quality line; the exit status. */
static int print_quality(client *c, long long project)
{
	char path[96];
	json_t *answer = NULL;
	snprintf(path, sizeof path, "/projects/%lld/quality", project);
	long st = client_get_json(c, path, &answer);
	if (st == 200)
		printf("%s\n", json_string_value(json_object_get(answer, "summary")));
	json_decref(answer);
	return st == 200 ? 0 : 1;
}

static long start_audit(client *c, long long project, long long size, json_t **answer)
{
	char path[96];
	snprintf(path, sizeof path, "/projects/%lld/audits", project);
	json_t *body = json_pack("{s:I}", "size", (json_int_t)size);
	long st = client_post_json(c, path, body, answer);
	json_decref(body);
	return st;
}

/* Runs what the arguments ask for and prints the answer; the exit status. */
static int run(client *c, const audit_args *a, const options_spec *spec)
{
	char path[96];
	json_t *answer = NULL;
	long st = 0, want = 200;
	if (a->verdict) {
		if (record_verdict(c, a->verdict, &answer, &st))
			return options_usage_error(spec,
						   "--verdict takes AUDIT:TASK=correct|incorrect");
	} else if (a->show) {
		snprintf(path, sizeof path, "/audits/%lld", a->show);
		st = client_get_json(c, path, &answer);
	} else if (a->project && a->quality) {
		return print_quality(c, a->project);
	} else {
		st = start_audit(c, a->project, a->size, &answer);
		want = 201;
	}
	if (st == want && answer)
		print(answer);
	json_decref(answer);
	return st == want ? 0 : 1;
}

int cmd_audit(int argc, char **argv)
{
	audit_args a = {0};
	const cli_option opts[] = {
	    OPT_SERVER(&a.server),
	    OPT_PROJECT(&a.project),
	    OPT_ID("size", &a.size, "N", "sample N approved tasks for a new audit"),
	    OPT_ID("show", &a.show, "AUDIT", "print an audit"),
	    OPT_STRING(0, "verdict", &a.verdict, "AUDIT:TASK=correct|incorrect",
		       "record the verdict on one task of an audit"),
	    OPT_BOOL("quality", &a.quality, "print the project's estimated quality"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "audit",
	    .synopses = USAGE("[--server URL] --project ID --size N", "[--server URL] --show AUDIT",
			      "[--server URL] --verdict AUDIT:TASK=correct|incorrect",
			      "[--server URL] --project ID --quality"),
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	if (!a.verdict && !a.show && !(a.project && (a.quality || a.size)))
		return options_usage_error(&spec, "say what to do: --size, --show, --verdict or "
						  "--quality");
	client c;
	ret = client_open(&c, a.server, 1) ? 1 : run(&c, &a, &spec);
	client_close(&c);
	return ret;
}
