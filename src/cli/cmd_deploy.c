/* `crowdloop deploy [--org ID] NAME TARGET...`: deploys endpoint NAME of the org with its targets
 * and their traffic split, and an optional shadow, or switches the endpoint that already has the
 * name to them (PATCH /endpoints/{id}: the new targets load before they are swapped in). A
 * target is a built-in service (`ocr`, `langid`), a registered model's version (`MODEL@N`) or
 * alias (`MODEL:ALIAS`), each with an optional `=WEIGHT` (the weights sum to 100). */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPLOY_TARGETS_MAX 4
#define DEPLOY_LIST_LIMIT "500"

/* The id of the org's model named `name`, 0 after printing why. */
static long long model_id_of(client *c, long long org, const char *name)
{
	char path[96];
	json_t *page = NULL, *m;
	long long id = 0;
	size_t i;
	snprintf(path, sizeof path, "/orgs/%lld/models?limit=" DEPLOY_LIST_LIMIT, org);
	if (client_status_ok(client_get_json(c, path, &page)))
		json_array_foreach(json_object_get(page, "items"), i, m)
		{
			if (!strcmp(json_string_value(json_object_get(m, "name")), name))
				id = json_integer_value(json_object_get(m, "id"));
		}
	if (page && !id)
		fprintf(stderr, "crowdloop deploy: org %lld has no model \"%s\"\n", org, name);
	json_decref(page);
	return id;
}

/* The registry id of version `version` of the org's model `name`, 0 after printing why. */
static long long version_id_of(client *c, long long org, const char *name, long long version)
{
	long long model = model_id_of(c, org, name), id = 0;
	char path[64];
	json_t *list = NULL, *v;
	size_t i;
	snprintf(path, sizeof path, "/models/%lld/versions", model);
	if (model && client_status_ok(client_get_json(c, path, &list)))
		json_array_foreach(json_object_get(list, "items"), i, v)
		{
			if (json_integer_value(json_object_get(v, "version")) == version)
				id = json_integer_value(json_object_get(v, "id"));
		}
	if (list && !id)
		fprintf(stderr, "crowdloop deploy: model \"%s\" has no version %lld\n", name,
			version);
	json_decref(list);
	return id;
}

/* The target a word names (without its weight), new; NULL after printing why. */
static json_t *target_of(client *c, long long org, const char *word)
{
	if (!strcmp(word, "ocr") || !strcmp(word, "langid"))
		return json_pack("{s:s}", "service", word);
	const char *at = strchr(word, '@'), *colon = strchr(word, ':');
	if (colon && !at && colon > word && colon[1])
		return json_pack("{s:s%,s:s}", "model", word, (size_t)(colon - word), "alias",
				 colon + 1);
	long long version = at ? options_parse_id(at + 1) : 0;
	if (!at || at == word || !version) {
		fprintf(stderr,
			"crowdloop deploy: \"%s\" is no target: ocr, langid, MODEL@VERSION or "
			"MODEL:ALIAS\n",
			word);
		return NULL;
	}
	char name[128];
	snprintf(name, sizeof name, "%.*s", (int)(at - word), word);
	long long id = version_id_of(c, org, name, version);
	return id ? json_pack("{s:I}", "model_version_id", (json_int_t)id) : NULL;
}

/* TARGET[=WEIGHT] into a target with its weight, new; NULL after printing why. */
static json_t *weighted_target_of(client *c, long long org, const char *arg, bool shadow)
{
	char word[160];
	const char *eq = strrchr(arg, '=');
	snprintf(word, sizeof word, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	char *end = NULL;
	long weight = eq ? strtol(eq + 1, &end, 10) : -1;
	if (eq && (shadow || !eq[1] || *end || weight < 0 || weight > 100)) {
		fprintf(stderr, "crowdloop deploy: \"%s\": %s\n", arg,
			shadow ? "a shadow takes no weight" : "a weight is 0 to 100");
		return NULL;
	}
	json_t *t = target_of(c, org, word);
	if (t && weight >= 0)
		json_object_set_new(t, "weight", json_integer(weight));
	return t;
}

static json_t *targets_of(client *c, long long org, char **args, int n)
{
	json_t *targets = json_array();
	for (int i = 0; targets && i < n; i++) {
		json_t *t = weighted_target_of(c, org, args[i], false);
		if (!t) {
			json_decref(targets);
			return NULL;
		}
		json_array_append_new(targets, t);
	}
	return targets;
}

/* "ocr=90 model_version_id 7=10": what an endpoint serves, for the user. */
static void print_targets(const json_t *targets)
{
	size_t i;
	json_t *t;
	json_array_foreach(targets, i, t)
	{
		const char *service = json_string_value(json_object_get(t, "service"));
		const char *model = json_string_value(json_object_get(t, "model"));
		json_t *version = json_object_get(t, "model_version_id");
		if (service)
			printf(" %s", service);
		else if (model)
			printf(" %s:%s", model, json_string_value(json_object_get(t, "alias")));
		else
			printf(" version-id %lld", (long long)json_integer_value(version));
		if (json_is_integer(json_object_get(t, "weight"))) /* a shadow has none */
			printf("=%lld", (long long)json_integer_value(json_object_get(t, "weight")));
	}
}

static void print_endpoint(const json_t *e, bool created, bool as_json)
{
	if (as_json) {
		json_dumpf(e, stdout, JSON_INDENT(2));
		putchar('\n');
		return;
	}
	printf("%s %s (id %lld, revision %lld):", created ? "deployed" : "switched",
	       json_string_value(json_object_get(e, "name")),
	       (long long)json_integer_value(json_object_get(e, "id")),
	       (long long)json_integer_value(json_object_get(e, "revision")));
	print_targets(json_object_get(e, "targets"));
	const json_t *shadow = json_object_get(e, "shadow");
	if (json_is_object(shadow)) {
		printf("; shadow");
		json_t *one = json_pack("[O]", shadow);
		print_targets(one);
		json_decref(one);
	}
	putchar('\n');
}

/* What the command line asked for. */
typedef struct deploy_args {
	long long org;
	const char *name, *shadow;
	char **targets;
	int n_targets;
	bool no_shadow, paused, as_json;
} deploy_args;

/* The endpoint's body: name, targets, and the shadow when one was given or removed. */
static json_t *deploy_body(client *c, const deploy_args *a)
{
	json_t *targets = targets_of(c, a->org, a->targets, a->n_targets);
	json_t *shadow = a->shadow ? weighted_target_of(c, a->org, a->shadow, true) : NULL;
	if (!targets || (a->shadow && !shadow)) {
		json_decref(targets);
		json_decref(shadow);
		return NULL;
	}
	json_t *body = json_pack("{s:s,s:o}", "name", a->name, "targets", targets);
	if (shadow || a->no_shadow)
		json_object_set_new(body, "shadow", shadow ? shadow : json_null());
	if (a->paused)
		json_object_set_new(body, "state", json_string("paused"));
	return body;
}

static int deploy(client *c, const deploy_args *a)
{
	long long id = client_endpoint_id(c, a->org, a->name);
	json_t *body = id < 0 ? NULL : deploy_body(c, a), *answer = NULL;
	char path[64];
	long status = 0;
	if (body && id) {
		snprintf(path, sizeof path, "/endpoints/%lld", id);
		status = client_send_json(c, "PATCH", path, body, &answer);
	} else if (body) {
		snprintf(path, sizeof path, "/orgs/%lld/endpoints", a->org);
		status = client_post_json(c, path, body, &answer);
	}
	if (client_status_ok(status))
		print_endpoint(answer, !id, a->as_json);
	json_decref(answer);
	json_decref(body);
	return client_status_ok(status) ? 0 : 1;
}

int cmd_deploy(int argc, char **argv)
{
	const char *server = NULL;
	deploy_args a = {0};
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_ID("org", &a.org, "ID", "the org (default: your only one)"),
	    OPT_STRING(0, "shadow", &a.shadow, "TARGET",
		       "a target that sees a copy of the traffic; its answers\n"
		       "are logged, never returned"),
	    OPT_BOOL("no-shadow", &a.no_shadow, "remove the endpoint's shadow"),
	    OPT_BOOL("paused", &a.paused, "pause it (it answers 503 until made active)"),
	    OPT_JSON(&a.as_json, "print the endpoint as JSON"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "deploy",
	    .synopses = USAGE("[--org ID] [--shadow TARGET | --no-shadow] NAME TARGET[=WEIGHT]..."),
	    .about = "Deploys endpoint NAME with its targets, or switches the endpoint of that\n"
		     "name to them: the new targets load before they take traffic.",
	    .notes = "A TARGET is ocr or langid (the built-in services), MODEL@VERSION (a\n"
		     "version of a registered model) or MODEL:ALIAS (what an alias points at,\n"
		     "followed when it moves). WEIGHTs split the traffic and sum to 100:\n"
		     "  crowdloop deploy sentiment sentiment:production=90 sentiment@4=10\n",
	    .operands = -1,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	a.n_targets = argc - operand - 1;
	if (a.n_targets < 1 || a.n_targets > DEPLOY_TARGETS_MAX)
		return options_usage_error(&spec, "give NAME and 1 to %d targets",
					   DEPLOY_TARGETS_MAX);
	if (a.shadow && a.no_shadow)
		return options_usage_error(&spec, "--shadow or --no-shadow, not both");
	a.name = argv[operand];
	a.targets = argv + operand + 1;
	client c;
	ret = 1;
	if (!client_open(&c, server, 1) && !client_default_org(&c, "deploy", &a.org))
		ret = deploy(&c, &a);
	client_close(&c);
	return ret;
}
