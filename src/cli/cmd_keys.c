/* `crowdloop keys [--org ID] ENDPOINT`: an endpoint's API keys (never the keys themselves: only
 * their digests are stored); `--create NAME [--rate R]` makes one and prints it, the one time it
 * is shown; `--revoke KEY_ID` revokes one (it answers 401 from then on). ENDPOINT is the
 * endpoint's name in the org, or its id. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <stdio.h>
#include <stdlib.h>

static void print_key(const json_t *k)
{
	const json_t *revoked = json_object_get(k, "revoked_at");
	printf("%-6lld %-24s %s…  %g/s  %s\n",
	       (long long)json_integer_value(json_object_get(k, "id")),
	       json_string_value(json_object_get(k, "name")),
	       json_string_value(json_object_get(k, "prefix")),
	       json_number_value(json_object_get(k, "rate_limit")),
	       json_is_string(revoked) ? "revoked" : "live");
}

static int list_keys(client *c, long long endpoint, bool as_json)
{
	char path[96];
	json_t *page = NULL, *k;
	size_t i;
	snprintf(path, sizeof path, "/endpoints/%lld/keys?limit=500", endpoint);
	if (!client_status_ok(client_get_json(c, path, &page))) {
		json_decref(page); /* the server's error */
		return 1;
	}
	if (as_json)
		terminal_print_json(page);
	json_array_foreach(as_json ? NULL : json_object_get(page, "items"), i, k) print_key(k);
	json_decref(page);
	return 0;
}

static int create_key(client *c, long long endpoint, const char *name, const char *rate,
		      bool as_json)
{
	char path[64], *end = NULL;
	json_t *body = json_pack("{s:s}", "name", name), *answer = NULL;
	if (rate) {
		double r = strtod(rate, &end);
		if (!*rate || *end) {
			fprintf(stderr,
				"crowdloop keys: --rate is a number of requests a second\n");
			json_decref(body);
			return 2;
		}
		json_object_set_new(body, "rate_limit", json_real(r));
	}
	snprintf(path, sizeof path, "/endpoints/%lld/keys", endpoint);
	long status = client_post_json(c, path, body, &answer);
	if (client_status_ok(status) && as_json) {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (client_status_ok(status)) {
		printf("%s\n", json_string_value(json_object_get(answer, "key")));
		fprintf(stderr, "key %lld \"%s\": keep it now, it is not shown again\n",
			(long long)json_integer_value(json_object_get(answer, "id")), name);
	}
	json_decref(answer);
	json_decref(body);
	return client_status_ok(status) ? 0 : 1;
}

static int revoke_key(client *c, long long endpoint, long long key)
{
	char path[96];
	snprintf(path, sizeof path, "/endpoints/%lld/keys/%lld", endpoint, key);
	long status = client_send_json(c, "DELETE", path, NULL, NULL);
	if (client_status_ok(status))
		printf("revoked key %lld\n", key);
	return client_status_ok(status) ? 0 : 1;
}

/* ENDPOINT as an id, or as a name of the org's endpoints (which are never all digits): its
 * id, or 0 after printing why. */
static long long endpoint_of(client *c, long long *org, const char *word)
{
	long long id = options_parse_id(word);
	if (id)
		return id;
	if (client_default_org(c, "keys", org))
		return 0;
	id = client_endpoint_id(c, *org, word);
	if (!id)
		fprintf(stderr, "crowdloop keys: org %lld has no endpoint \"%s\"\n", *org, word);
	return id > 0 ? id : 0;
}

int cmd_keys(int argc, char **argv)
{
	const char *server = NULL, *create = NULL, *rate = NULL;
	long long org = 0, revoke = 0;
	bool as_json = false;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_ID("org", &org, "ID", "the endpoint's org (default: your only one)"),
	    OPT_STRING(0, "create", &create, "NAME", "create a key named NAME and print it"),
	    OPT_STRING(0, "rate", &rate, "R",
		       "the new key's requests a second (0.01-100000, default 10)"),
	    OPT_ID("revoke", &revoke, "KEY_ID", "revoke a key"),
	    OPT_JSON(&as_json, "print the server's answer as JSON"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "keys",
	    .synopses = USAGE("[--org ID] ENDPOINT", "[--org ID] --create NAME [--rate R] ENDPOINT",
			      "[--org ID] --revoke KEY_ID ENDPOINT"),
	    .about = "Lists, creates or revokes the API keys of ENDPOINT (its name or id).\n"
		     "A new key is printed once: only its digest is stored.",
	    .operands = 1,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	if (argc - operand != 1)
		return options_usage_error(&spec, "give the ENDPOINT");
	if (create && revoke)
		return options_usage_error(&spec, "--create or --revoke, not both");
	if (rate && !create)
		return options_usage_error(&spec, "--rate goes with --create");
	client c;
	ret = 1;
	long long endpoint = 0;
	if (!client_open(&c, server, 1) && (endpoint = endpoint_of(&c, &org, argv[operand])))
		ret = create   ? create_key(&c, endpoint, create, rate, as_json)
		      : revoke ? revoke_key(&c, endpoint, revoke)
			       : list_keys(&c, endpoint, as_json);
	client_close(&c);
	return ret;
}
