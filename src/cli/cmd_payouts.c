/* `crowdloop payouts`: an admin's payout desk. Without options it lists requested payouts as
 * JSON; `--status S` lists another status; `--approve ID` and `--reject ID` (with an optional
 * `--note TEXT`) decide one. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"

#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"requested", "approved", "rejected", NULL};

/* POST /payouts/{id}/approve|reject with the note, if any. */
static long decide(client *c, long long id, const char *verb, const char *note, json_t **answer)
{
	char path[96];
	snprintf(path, sizeof path, "/payouts/%lld/%s", id, verb);
	json_t *body = note ? json_pack("{s:s}", "note", note) : json_object();
	long st = client_post_json(c, path, body, answer);
	json_decref(body);
	return st;
}

/* GET the payouts in one status (the first 500). */
static long list(client *c, const char *status, json_t **answer)
{
	char path[96];
	snprintf(path, sizeof path, "/payouts?status=%s&limit=500", status);
	return client_get_json(c, path, answer);
}

int cmd_payouts(int argc, char **argv)
{
	const char *server = NULL, *status = "requested", *note = NULL;
	long long approve = 0, reject = 0;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_CHOICE("status", &status, statuses,
		       "list the payouts in this status "
		       "(default requested)"),
	    OPT_ID("approve", &approve, "ID", "approve a payout"),
	    OPT_ID("reject", &reject, "ID", "reject a payout"),
	    OPT_STRING(0, "note", &note, "TEXT", "a note on the decision"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "payouts",
	    .synopses = USAGE("[--server URL] [--status requested|approved|rejected]",
			      "[--server URL] --approve ID|--reject ID [--note TEXT]"),
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;

	client c;
	json_t *answer = NULL;
	long st = 0;
	if (client_open(&c, server, 1))
		goto out;
	if (approve)
		st = decide(&c, approve, "approve", note, &answer);
	else if (reject)
		st = decide(&c, reject, "reject", note, &answer);
	else
		st = list(&c, status, &answer);
	if (st == 200 && answer) {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
out:
	json_decref(answer);
	client_close(&c);
	return st == 200 ? 0 : 1;
}
