/* `crowdloop gold --project ID FILE`: adds gold items (known answers) to a project from a JSONL
 * file, one {"text"|"item_id", "answer", "explanation"?} a line, sent in batches of 1000 to
 * POST /projects/{id}/gold; prints how many were added. A bad line stops the import with the
 * server's message naming it. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 1000

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

/* Reads the file's lines into batches and sends them; 0, or -1 after printing why. */
static int send_file(client *c, long long project, const char *file, FILE *f, long long *added)
{
	json_t *items = json_array();
	char *line = NULL;
	size_t cap = 0;
	long long n = 0;
	int rc = items ? 0 : -1;

	while (!rc && getline(&line, &cap, f) > 0) {
		n++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		json_t *o = json_loads(line, 0, NULL);
		if (!json_is_object(o)) {
			fprintf(stderr, "crowdloop: %s:%lld: not a JSON object\n", file, n);
			json_decref(o);
			rc = -1;
		} else if (json_array_append_new(items, o) == 0 &&
			   json_array_size(items) == BATCH) {
			rc = send_batch(c, project, items, added);
		}
	}
	if (!rc && json_array_size(items))
		rc = send_batch(c, project, items, added);
	free(line);
	json_decref(items);
	return rc;
}

int cmd_gold(int argc, char **argv)
{
	const char *server = NULL;
	long long project = 0;
	const cli_option opts[] = {OPT_SERVER(&server), OPT_PROJECT(&project), OPT_END()};
	const options_spec spec = {
	    .command = "gold",
	    .synopses = USAGE("[--server URL] --project ID FILE.jsonl"),
	    .about = "Adds gold items: one JSON object a line with \"text\" (or \"item_id\" of an\n"
		     "existing item), \"answer\" and an optional \"explanation\".",
	    .operands = -1,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	if (!project)
		return options_usage_error(&spec, "--project is required");
	if (operand + 1 != argc)
		return options_usage_error(&spec, "give one JSONL file");

	FILE *f = fopen(argv[operand], "r");
	if (!f) {
		fprintf(stderr, "crowdloop: cannot read %s\n", argv[operand]);
		return 1;
	}
	client c;
	long long added = 0;
	ret = 1;
	if (client_open(&c, server, 1) == 0 &&
	    send_file(&c, project, argv[operand], f, &added) == 0) {
		printf("%lld gold items added\n", added);
		ret = 0;
	}
	client_close(&c);
	fclose(f);
	return ret;
}
