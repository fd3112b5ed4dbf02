/* `crowdloop logs [-f] [--tail N] JOB`: prints a job's log (GET /jobs/{id}/logs); -f follows
 * it as it grows until the job ends. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"

#include <stdio.h>

int cmd_logs(int argc, char **argv)
{
	const char *server = NULL;
	bool follow = false;
	long long tail = 0;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    {OPTION_BOOL, 'f', "follow", &follow, NULL, "print the log as it grows, until the job ends",
	     0, 0, NULL},
	    OPT_INT("tail", &tail, 1, 10000, "N", "only the last N lines"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "logs",
	    .synopses = USAGE("[-f] [--tail N] JOB"),
	    .about = "Prints a training job's log.",
	    .operands = 1,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	long long job = operand < argc ? options_parse_id(argv[operand]) : 0;
	if (!job)
		return options_usage_error(&spec, "give the job's id");
	client c;
	ret = 1;
	if (!client_open(&c, server, 1)) {
		char path[96];
		int n = snprintf(path, sizeof path, "/jobs/%lld/logs?follow=%d", job, follow);
		if (tail)
			snprintf(path + n, sizeof path - (size_t)n, "&tail=%lld", tail);
		/* Followed, every chunk reaches the terminal as it comes. */
		setvbuf(stdout, NULL, _IONBF, 0);
		ret = client_status_ok(client_download(&c, path, stdout, NULL, NULL)) ? 0 : 1;
	}
	client_close(&c);
	return ret;
}
