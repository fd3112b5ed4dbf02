/* `crowdloop models [--org ID] [MODEL]`: the org's registered models with their latest version
 * and aliases; with a model's id, its versions with their evaluation's accuracy and lineage. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <stdio.h>

static void print_aliases(json_t *aliases)
{
	const char *name;
	json_t *v;
	int first = 1;
	json_object_foreach(aliases, name, v) {
		printf("%s%s=v%lld", first ? "" : ", ", name, (long long)json_integer_value(v));
		first = 0;
	}
}

static int list_models(client *c, long long org, bool as_json)
{
	char path[96];
	json_t *page = NULL;
	snprintf(path, sizeof path, "/orgs/%lld/models?limit=500", org);
	if (!client_status_ok(client_get_json(c, path, &page)))
		return 1;
	size_t i;
	json_t *m;
	if (as_json) {
		json_dumpf(page, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	/* The list carries each model's aliases: one request for them all. */
	json_array_foreach(as_json ? NULL : json_object_get(page, "items"), i, m) {
		printf("%-6lld %-32s latest v%lld  ",
		       (long long)json_integer_value(json_object_get(m, "id")),
		       json_string_value(json_object_get(m, "name")),
		       (long long)json_integer_value(json_object_get(m, "latest_version")));
		print_aliases(json_object_get(m, "aliases"));
		putchar('\n');
	}
	json_decref(page);
	return 0;
}

static int show_versions(client *c, long long model, bool as_json)
{
	char path[64];
	json_t *a = NULL;
	snprintf(path, sizeof path, "/models/%lld/versions", model);
	if (!client_status_ok(client_get_json(c, path, &a)))
		return 1;
	size_t i;
	json_t *v;
	if (as_json) {
		json_dumpf(a, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_array_foreach(as_json ? NULL : json_object_get(a, "items"), i, v) {
		json_t *lin = json_object_get(v, "lineage"), *ev = json_object_get(v, "evaluation");
		json_t *acc = json_object_get(ev, "accuracy");
		printf("v%lld  job %lld  dataset %lld  %lld approved annotations by %lld workers, "
		       "%lld reviewers",
		       (long long)json_integer_value(json_object_get(v, "version")),
		       (long long)json_integer_value(json_object_get(v, "job_id")),
		       (long long)json_integer_value(
			   json_object_get(json_object_get(lin, "dataset"), "id")),
		       (long long)json_integer_value(json_object_get(lin, "approved_annotations")),
		       (long long)json_integer_value(json_object_get(lin, "workers")),
		       (long long)json_integer_value(json_object_get(lin, "reviewers")));
		if (json_is_number(acc))
			printf("  accuracy %.4f", json_number_value(acc));
		putchar('\n');
	}
	json_decref(a);
	return 0;
}

int cmd_models(int argc, char **argv)
{
	const char *server = NULL;
	long long org = 0;
	bool as_json = false;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_ID("org", &org, "ID", "the org (default: your only one)"),
	    OPT_JSON(&as_json, "print the server's JSON answer"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "models",
	    .synopses = USAGE("[--org ID] [--json]", "MODEL [--json]"),
	    .about = "Lists an org's registered models, or a model's versions with their\n"
		     "lineage and accuracy.",
	    .operands = 1,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	long long model = operand < argc ? options_parse_id(argv[operand]) : 0;
	if (operand < argc && !model)
		return options_usage_error(&spec, "MODEL is a model's id");
	client c;
	ret = 1;
	if (!client_open(&c, server, 1)) {
		if (model)
			ret = show_versions(&c, model, as_json);
		else if (!client_default_org(&c, "models", &org))
			ret = list_models(&c, org, as_json);
	}
	if (fflush(stdout))
		ret = 1;
	client_close(&c);
	return ret;
}
