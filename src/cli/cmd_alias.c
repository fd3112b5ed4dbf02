/* `crowdloop alias MODEL VERSION NAME`: points a model's alias (production, staging, ...) at a
 * version (POST /models/{id}/aliases); the server records who moved it from where. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"

#include <stdio.h>

int cmd_alias(int argc, char **argv)
{
	const char *server = NULL;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "alias",
	    .synopses = USAGE("MODEL VERSION NAME"),
	    .about = "Points alias NAME of model MODEL (its id) at VERSION.",
	    .operands = 3,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	if (argc - operand != 3)
		return options_usage_error(&spec, "give MODEL VERSION NAME");
	long long model = options_parse_id(argv[operand]);
	long long version = options_parse_id(argv[operand + 1]);
	if (!model || !version)
		return options_usage_error(&spec, "MODEL and VERSION are numbers");
	client c;
	json_t *answer = NULL;
	ret = 1;
	if (!client_open(&c, server, 1)) {
		char path[64];
		snprintf(path, sizeof path, "/models/%lld/aliases", model);
		json_t *body = json_pack("{s:s,s:I}", "name", argv[operand + 2], "version",
					 (json_int_t)version);
		if (client_status_ok(client_post_json(&c, path, body, &answer))) {
			json_t *from = json_object_get(answer, "from_version");
			printf("%s: v%lld (was %s%lld)\n", argv[operand + 2], version,
			       json_is_integer(from) ? "v" : "none", 
			       json_is_integer(from) ? (long long)json_integer_value(from) : 0LL);
			ret = 0;
		}
		json_decref(body);
	}
	json_decref(answer);
	client_close(&c);
	return ret;
}
