/* `crowdloop stats --project ID`: prints a project's progress and quality figures from
 * GET /projects/{id}/stats: items and tasks, the count of tasks in each state, the first-pass
 * approval rate, approvals in the last hour, and a table of each worker's submissions,
 * approvals, rejections and reviews. --json prints the server's answer instead. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <string.h>

/* The task states in the order of the workflow; others the server sends come after. */
static const char *const states[] = {"open",   "assigned", "submitted", "in_review",
				     "rework", "approved", "escalated", "discarded"};
#define NSTATES (sizeof states / sizeof states[0])

static int known_state(const char *s)
{
	for (size_t i = 0; i < NSTATES; i++)
		if (!strcmp(s, states[i]))
			return 1;
	return 0;
}

static void print_state(const char *name, json_t *n, int width)
{
	char tmp[32];
	fputs("  ", stdout);
	terminal_fput_cell(stdout, name, width, 0);
	fputs("  ", stdout);
	/* A state the server leaves out has no tasks. */
	terminal_fput_cell(stdout, n ? terminal_json_text(n, tmp, sizeof tmp) : "0", 8, 1);
	fputc('\n', stdout);
}

static const char *const worker_cols[] = {"WORKER",   "SUBMITTED",  "APPROVED",
					  "REJECTED", "FIRST-PASS", "REVIEWS"};
static const char *const worker_fields[] = {"username", "submitted",	       "approved",
					    "rejected", "first_pass_approved", "reviews_done"};
#define NWCOLS (sizeof worker_cols / sizeof worker_cols[0])

/* A worker's cell in column k; a worker without a name shows their id. */
static const char *worker_cell(json_t *w, size_t k, char *tmp, size_t size)
{
	json_t *v = json_object_get(w, worker_fields[k]);
	if (k == 0 && !v)
		v = json_object_get(w, "user_id");
	return terminal_json_text(v, tmp, size);
}

static void worker_widths(json_t *workers, int width[NWCOLS])
{
	char tmp[32];
	size_t i;
	json_t *w;

	for (size_t k = 0; k < NWCOLS; k++)
		width[k] = terminal_text_width(worker_cols[k]);
	json_array_foreach(workers, i, w) {
		for (size_t k = 0; k < NWCOLS; k++) {
			int n = terminal_text_width(worker_cell(w, k, tmp, sizeof tmp));
			if (n > width[k])
				width[k] = n;
		}
	}
	if (width[0] > 40)
		width[0] = 40;
}

static void print_workers(json_t *workers)
{
	int width[NWCOLS];
	char tmp[32];
	size_t i;
	json_t *w;

	worker_widths(workers, width);
	for (size_t k = 0; k < NWCOLS; k++) {
		terminal_fput_cell(stdout, worker_cols[k], width[k], k > 0);
		fputs(k + 1 < NWCOLS ? "  " : "\n", stdout);
	}
	json_array_foreach(workers, i, w) {
		for (size_t k = 0; k < NWCOLS; k++) {
			terminal_fput_cell(stdout, worker_cell(w, k, tmp, sizeof tmp), width[k],
					   k > 0);
			fputs(k + 1 < NWCOLS ? "  " : "\n", stdout);
		}
	}
}

/* The workflow's states in order, then any others the server counts. */
static void print_states(json_t *tasks)
{
	const char *key;
	json_t *n;
	int width = 9;

	json_object_foreach(tasks, key, n) {
		int w = terminal_text_width(key);
		if (w > width)
			width = w < 24 ? w : 24;
	}
	printf("\ntasks by state:\n");
	for (size_t i = 0; i < NSTATES; i++)
		print_state(states[i], json_object_get(tasks, states[i]), width);
	json_object_foreach(tasks, key, n) {
		if (!known_state(key))
			print_state(key, n, width);
	}
}

static void print_rates(json_t *st)
{
	char a[32];
	json_t *rate = json_object_get(st, "first_pass_approval_rate");
	printf("\nfirst-pass approval rate:  ");
	if (json_is_number(rate))
		printf("%.1f%%\n", json_number_value(rate) * 100.0);
	else
		printf("- (nothing reviewed yet)\n");
	printf("approved in the last hour: %s\n",
	       terminal_json_text(json_object_get(st, "approved_last_hour"), a, sizeof a));
	printf("reviews:                   %s\n",
	       terminal_json_text(json_object_get(st, "reviews"), a, sizeof a));
}

static void print_stats(long long project, json_t *st)
{
	char a[32], b[32];
	printf("project %lld: %s items, %s tasks\n", project,
	       terminal_json_text(json_object_get(st, "items"), a, sizeof a),
	       terminal_json_text(json_object_get(st, "total_tasks"), b, sizeof b));
	print_states(json_object_get(st, "tasks"));
	print_rates(st);
	json_t *workers = json_object_get(st, "workers");
	if (json_array_size(workers)) {
		putchar('\n');
		print_workers(workers);
	} else {
		printf("\nno worker activity yet\n");
	}
}

/* The project's figures (new reference), or NULL after printing why. */
static json_t *fetch_stats(client *c, long long project)
{
	char path[64];
	json_t *st = NULL;
	snprintf(path, sizeof path, "/projects/%lld/stats", project);
	long status = client_get_json(c, path, &st);
	if (client_status_ok(status) && json_is_object(st))
		return st;
	if (client_status_ok(status))
		fprintf(stderr, "crowdloop stats: the server's answer is not a JSON object\n");
	json_decref(st);
	return NULL;
}

int cmd_stats(int argc, char **argv)
{
	const char *server = NULL;
	long long project = 0;
	bool as_json = false;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_PROJECT(&project),
	    OPT_JSON(&as_json, "print the server's JSON answer"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "stats",
	    .synopses = USAGE("[--server URL] --project ID [--json]"),
	    .about = "Prints counts of tasks by state, the first-pass approval rate, approvals in\n"
		     "the last hour and a table per worker.",
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	if (!project)
		return options_usage_error(&spec, "--project is required");

	client c;
	json_t *st = NULL;
	ret = 1;
	if (client_open(&c, server, 1) || !(st = fetch_stats(&c, project)))
		goto out;
	if (as_json && (json_dumpf(st, stdout, JSON_INDENT(2)) || putchar('\n') == EOF))
		goto out;
	if (!as_json)
		print_stats(project, st);
	if (fflush(stdout)) {
		perror("crowdloop stats: stdout");
		goto out;
	}
	ret = 0;
out:
	json_decref(st);
	client_close(&c);
	return ret;
}
