/* `crowdloop audit --project ID --size N`: samples N approved tasks of a project for an audit
 * and prints the audit (its id and tasks) as JSON; `--show AUDIT` prints an audit, and
 * `--verdict AUDIT:TASK=correct|incorrect` records one verdict. `--quality` prints the
 * project's estimated quality line ("99.2% (98.6–99.6), n=800"). */
#include "cli/client.h"
#include "cli/cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: crowdloop audit [--server URL] --project ID --size N\n"
		     "       crowdloop audit [--server URL] --show AUDIT\n"
		     "       crowdloop audit [--server URL] --verdict AUDIT:TASK=correct|incorrect\n"
		     "       crowdloop audit [--server URL] --project ID --quality\n");
}

static void print(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"project", required_argument, NULL, 'p'},
		{"size", required_argument, NULL, 'n'},
		{"show", required_argument, NULL, 'S'},
		{"verdict", required_argument, NULL, 'v'},
		{"quality", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *verdict = NULL;
	long long project = 0, size = 0, show = 0;
	int quality = 0;
	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'p': project = client_parse_id(optarg); break;
		case 'n': size = client_parse_id(optarg); break;
		case 'S': show = client_parse_id(optarg); break;
		case 'v': verdict = optarg; break;
		case 'q': quality = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	client c;
	if (client_open(&c, server, 1)) {
		client_close(&c);
		return 1;
	}
	char path[96];
	json_t *answer = NULL, *body = NULL;
	long st = 0, want = 200;
	if (verdict) {
		long long a = 0, t = 0;
		char what[16] = "";
		if (sscanf(verdict, "%lld:%lld=%15s", &a, &t, what) != 3 || a <= 0 || t <= 0) {
			usage(stderr);
			client_close(&c);
			return 2;
		}
		snprintf(path, sizeof path, "/audits/%lld/tasks/%lld", a, t);
		body = json_pack("{s:s}", "verdict", what);
		st = client_post_json(&c, path, body, &answer);
	} else if (show) {
		snprintf(path, sizeof path, "/audits/%lld", show);
		st = client_get_json(&c, path, &answer);
	} else if (project && quality) {
		snprintf(path, sizeof path, "/projects/%lld/quality", project);
		st = client_get_json(&c, path, &answer);
		if (st == 200) {
			printf("%s\n", json_string_value(json_object_get(answer, "summary")));
			json_decref(answer);
			client_close(&c);
			return 0;
		}
	} else if (project && size) {
		snprintf(path, sizeof path, "/projects/%lld/audits", project);
		body = json_pack("{s:I}", "size", (json_int_t)size);
		st = client_post_json(&c, path, body, &answer);
		want = 201;
	} else {
		usage(stderr);
		client_close(&c);
		return 2;
	}
	if (st == want && answer)
		print(answer);
	json_decref(answer);
	json_decref(body);
	client_close(&c);
	return st == want ? 0 : 1;
}
