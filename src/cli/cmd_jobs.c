/* `crowdloop jobs [--org ID] [--state S]`: the org's job queue from GET /orgs/{id}/jobs, newest
 * first: id, state, what runs, resources, node, running time and exit status. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <string.h>

static const char *const states[] = {"queued",    "running", "succeeded", "failed",
				     "cancelled", "lost",    NULL};
static const char *const cols[] = {"ID", "STATE", "WHAT", "CPUS", "GPUS", "NODE", "SECONDS",
				   "EXIT"};
static const int widths[] = {6, 9, 28, 4, 4, 8, 8, 4};
#define NCOLS (sizeof cols / sizeof cols[0])

/* What a job runs, in a few words: its trainer, or its command's first word. */
static void what_of(json_t *j, char *out, size_t size)
{
	const char *trainer = json_string_value(json_object_get(j, "trainer"));
	const char *cmd = json_string_value(json_array_get(json_object_get(j, "command"), 0));
	snprintf(out, size, "%s%s", trainer ? trainer : "custom: ", trainer ? "" : cmd ? cmd : "?");
}

static const char *text_of(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void print_job(json_t *j)
{
	char cell[NCOLS][64];
	json_t *res = json_object_get(j, "resources"), *ms = json_object_get(j, "running_ms");
	terminal_json_text(json_object_get(j, "id"), cell[0], 64);
	snprintf(cell[1], 64, "%s", text_of(json_object_get(j, "state")));
	what_of(j, cell[2], 64);
	terminal_json_text(json_object_get(res, "cpus"), cell[3], 64);
	terminal_json_text(json_object_get(res, "gpus"), cell[4], 64);
	snprintf(cell[5], 64, "%s", text_of(json_object_get(j, "node")));
	snprintf(cell[6], 64, "%s", "-");
	if (json_is_integer(ms))
		snprintf(cell[6], 64, "%.1f", json_integer_value(ms) / 1000.0);
	terminal_json_text(json_object_get(j, "exit_status"), cell[7], 64);
	for (size_t k = 0; k < NCOLS; k++) {
		terminal_fput_cell(stdout, cell[k], widths[k], k == 0 || k == 3 || k == 4 || k >= 6);
		fputs(k + 1 < NCOLS ? "  " : "\n", stdout);
	}
}

int cmd_jobs(int argc, char **argv)
{
	const char *server = NULL, *state = NULL;
	long long org = 0;
	bool as_json = false;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_ID("org", &org, "ID", "the org (default: your only one)"),
	    OPT_CHOICE("state", &state, states, "only jobs in this state"),
	    OPT_JSON(&as_json, "print the server's JSON answer"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "jobs",
	    .synopses = USAGE("[--org ID] [--state STATE] [--json]"),
	    .about = "Lists an org's training jobs, newest first.",
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	client c;
	json_t *page = NULL;
	ret = 1;
	if (client_open(&c, server, 1) || client_default_org(&c, "jobs", &org))
		goto out;
	char path[128];
	snprintf(path, sizeof path, "/orgs/%lld/jobs?sort=-id&limit=100%s%s", org,
		 state ? "&state=" : "", state ? state : "");
	if (!client_status_ok(client_get_json(&c, path, &page)))
		goto out;
	if (as_json) {
		json_dumpf(page, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		for (size_t k = 0; k < NCOLS; k++) {
			terminal_fput_cell(stdout, cols[k], widths[k],
					   k == 0 || k == 3 || k == 4 || k >= 6);
			fputs(k + 1 < NCOLS ? "  " : "\n", stdout);
		}
		size_t i;
		json_t *j;
		json_array_foreach(json_object_get(page, "items"), i, j)
			print_job(j);
	}
	ret = fflush(stdout) ? 1 : 0;
out:
	json_decref(page);
	client_close(&c);
	return ret;
}
