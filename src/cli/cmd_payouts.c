/* `crowdloop payouts`: an admin's payout desk. Without options it lists requested payouts as
 * JSON; `--status S` lists another status; `--approve ID` and `--reject ID` (with an optional
 * `--note TEXT`) decide one. */
#include "cli/client.h"
#include "cli/cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: crowdloop payouts [--server URL] [--status requested|approved|rejected]\n"
		     "       crowdloop payouts [--server URL] --approve ID|--reject ID [--note TEXT]\n");
}

int cmd_payouts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"status", required_argument, NULL, 't'},
		{"approve", required_argument, NULL, 'a'},
		{"reject", required_argument, NULL, 'r'},
		{"note", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *status = "requested", *note = NULL;
	long long approve = 0, reject = 0;
	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 't': status = optarg; break;
		case 'a': approve = client_parse_id(optarg); break;
		case 'r': reject = client_parse_id(optarg); break;
		case 'n': note = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(status, "requested") && strcmp(status, "approved") && strcmp(status, "rejected")) {
		usage(stderr);
		return 2;
	}
	client c;
	if (client_open(&c, server, 1)) {
		client_close(&c);
		return 1;
	}
	char path[96];
	json_t *answer = NULL;
	long st;
	if (approve || reject) {
		snprintf(path, sizeof path, "/payouts/%lld/%s", approve ? approve : reject,
			 approve ? "approve" : "reject");
		json_t *body = note ? json_pack("{s:s}", "note", note) : json_object();
		st = client_post_json(&c, path, body, &answer);
		json_decref(body);
	} else {
		snprintf(path, sizeof path, "/payouts?status=%s&limit=500", status);
		st = client_get_json(&c, path, &answer);
	}
	if (st == 200 && answer) {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	json_decref(answer);
	client_close(&c);
	return st == 200 ? 0 : 1;
}
