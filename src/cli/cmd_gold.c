/* `crowdloop gold --project ID FILE`: adds gold items (known answers) to a project from a JSONL
 * file, one {"text"|"item_id", "answer", "explanation"?} a line, sent in batches of 1000 to
 * POST /projects/{id}/gold; prints how many were added. A bad line stops the import with the
 * server's message naming it. */
#include "cli/client.h"
#include "cli/cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1000

static void usage(FILE *out)
{
	fprintf(out, "usage: crowdloop gold [--server URL] --project ID FILE.jsonl\n"
		     "\n"
		     "Adds gold items: one JSON object a line with \"text\" (or \"item_id\" of an\n"
		     "existing item), \"answer\" and an optional \"explanation\".\n");
}

static int send_batch(client *c, long long project, json_t *items, long long *added)
{
	char path[64];
	snprintf(path, sizeof path, "/projects/%lld/gold", project);
	json_t *body = json_pack("{s:O}", "items", items), *answer = NULL;
	long st = client_post_json(c, path, body, &answer);
	json_decref(body);
	if (st == 200)
		*added += json_integer_value(json_object_get(answer, "added"));
	json_decref(answer);
	json_array_clear(items);
	return st == 200 ? 0 : -1;
}

int cmd_gold(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"project", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL;
	long long project = 0;
	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'p': project = client_parse_id(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!project || optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	FILE *f = fopen(argv[optind], "r");
	if (!f) {
		fprintf(stderr, "crowdloop: cannot read %s\n", argv[optind]);
		return 1;
	}
	client c;
	int ret = 1;
	json_t *items = json_array();
	long long added = 0, line = 0;
	if (client_open(&c, server, 1))
		goto out;
	char *buf = NULL;
	size_t cap = 0;
	while (getline(&buf, &cap, f) > 0) {
		line++;
		if (strspn(buf, " \t\r\n") == strlen(buf))
			continue;
		json_error_t e;
		json_t *o = json_loads(buf, 0, &e);
		if (!json_is_object(o)) {
			fprintf(stderr, "crowdloop: %s:%lld: not a JSON object\n", argv[optind], line);
			json_decref(o);
			free(buf);
			goto out;
		}
		json_array_append_new(items, o);
		if (json_array_size(items) == BATCH && send_batch(&c, project, items, &added)) {
			free(buf);
			goto out;
		}
	}
	free(buf);
	if (json_array_size(items) && send_batch(&c, project, items, &added))
		goto out;
	printf("%lld gold items added\n", added);
	ret = 0;
out:
	json_decref(items);
	client_close(&c);
	fclose(f);
	return ret;
}
