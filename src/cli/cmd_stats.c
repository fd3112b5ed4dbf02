/* `crowdloop stats --project ID`: prints a project's progress and quality figures from
 * GET /projects/{id}/stats: items and tasks, the count of tasks in each state, the first-pass
 * approval rate, approvals in the last hour, and a table of each worker's submissions,
 * approvals, rejections and reviews. --json prints the server's answer instead. */
#include "cli/client.h"
#include "cli/cmd.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: crowdloop stats [--server URL] --project ID [--json]\n"
		"\n"
		"Prints counts of tasks by state, the first-pass approval rate, approvals in the\n"
		"last hour and a table per worker.\n"
		"\n"
		"  --server URL   server to ask (default: $CROWDLOOP_SERVER, then the stored one)\n"
		"  --project ID   the project\n"
		"  --json         print the server's JSON answer\n"
		"  -h, --help     show this help\n");
}

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
	client_fput_cell(stdout, name, width, 0);
	fputs("  ", stdout);
	/* A state the server leaves out has no tasks. */
	client_fput_cell(stdout, n ? client_json_text(n, tmp, sizeof tmp) : "0", 8, 1);
	fputc('\n', stdout);
}

static const char *const worker_cols[] = {"WORKER", "SUBMITTED", "APPROVED", "REJECTED",
					  "FIRST-PASS", "REVIEWS"};
static const char *const worker_fields[] = {"username", "submitted", "approved", "rejected",
					    "first_pass_approved", "reviews_done"};
#define NWCOLS (sizeof worker_cols / sizeof worker_cols[0])

static void print_workers(json_t *workers)
{
	int width[NWCOLS];
	char tmp[32];
	size_t i;
	json_t *w;

	for (size_t k = 0; k < NWCOLS; k++)
		width[k] = client_text_width(worker_cols[k]);
	json_array_foreach(workers, i, w) {
		for (size_t k = 0; k < NWCOLS; k++) {
			json_t *v = json_object_get(w, worker_fields[k]);
			if (k == 0 && !v)
				v = json_object_get(w, "user_id");
			int n = client_text_width(client_json_text(v, tmp, sizeof tmp));
			if (n > width[k])
				width[k] = n;
		}
	}
	if (width[0] > 40)
		width[0] = 40;
	for (size_t k = 0; k < NWCOLS; k++) {
		client_fput_cell(stdout, worker_cols[k], width[k], k > 0);
		fputs(k + 1 < NWCOLS ? "  " : "\n", stdout);
	}
	json_array_foreach(workers, i, w) {
		for (size_t k = 0; k < NWCOLS; k++) {
			json_t *v = json_object_get(w, worker_fields[k]);
			if (k == 0 && !v)
				v = json_object_get(w, "user_id");
			client_fput_cell(stdout, client_json_text(v, tmp, sizeof tmp), width[k],
					 k > 0);
			fputs(k + 1 < NWCOLS ? "  " : "\n", stdout);
		}
	}
}

static void print_stats(long long project, json_t *st)
{
	char a[32], b[32];
	json_t *tasks = json_object_get(st, "tasks");
	const char *key;
	json_t *n;

	printf("project %lld: %s items, %s tasks\n", project,
	       client_json_text(json_object_get(st, "items"), a, sizeof a),
	       client_json_text(json_object_get(st, "total_tasks"), b, sizeof b));

	int width = 9;
	json_object_foreach(tasks, key, n) {
		int w = client_text_width(key);
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

	json_t *rate = json_object_get(st, "first_pass_approval_rate");
	printf("\nfirst-pass approval rate:  ");
	if (json_is_number(rate))
		printf("%.1f%%\n", json_number_value(rate) * 100.0);
	else
		printf("- (nothing reviewed yet)\n");
	printf("approved in the last hour: %s\n",
	       client_json_text(json_object_get(st, "approved_last_hour"), a, sizeof a));
	printf("reviews:                   %s\n",
	       client_json_text(json_object_get(st, "reviews"), a, sizeof a));

	json_t *workers = json_object_get(st, "workers");
	if (json_array_size(workers)) {
		putchar('\n');
		print_workers(workers);
	} else {
		printf("\nno worker activity yet\n");
	}
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"project", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL;
	long long project = 0;
	int as_json = 0;
	client c;
	json_t *st = NULL;
	int ret = 1;

	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'p':
			project = client_parse_id(optarg);
			if (!project) {
				fprintf(stderr, "crowdloop stats: --project takes a project id, "
						"not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': as_json = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "Try `crowdloop stats --help`.\n");
			return 2;
		}
	}
	if (optind < argc || !project) {
		if (optind < argc)
			fprintf(stderr, "crowdloop stats: unexpected argument '%s'\n", argv[optind]);
		else
			fprintf(stderr, "crowdloop stats: --project is required\n");
		usage(stderr);
		return 2;
	}
	if (client_open(&c, server, 1))
		goto out;

	char path[64];
	snprintf(path, sizeof path, "/projects/%lld/stats", project);
	long status = client_get_json(&c, path, &st);
	if (status < 200 || status > 299)
		goto out;
	if (!json_is_object(st)) {
		fprintf(stderr, "crowdloop stats: the server's answer is not a JSON object\n");
		goto out;
	}
	if (as_json) {
		if (json_dumpf(st, stdout, JSON_INDENT(2)))
			goto out;
		putchar('\n');
	} else {
		print_stats(project, st);
	}
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
