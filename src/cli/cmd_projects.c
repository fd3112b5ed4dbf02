/* `crowdloop projects`: lists the projects the logged-in user may see, following the list's
 * next_cursor until the last page, as an aligned table (id, name, kind, status, visibility)
 * or, with --json, as one JSON object {"items":[...],"next_cursor":null} holding every page. */
#include "cli/client.h"
#include "cli/cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_COLS 48
#define MAX_PAGES 100000  /* a server that never ends its cursor chain is broken */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: crowdloop projects [--server URL] [--json] [--page-size N]\n"
		"\n"
		"Lists the projects you can see: id, name, kind, status and visibility.\n"
		"\n"
		"  --server URL     server to ask (default: $CROWDLOOP_SERVER, then the stored one)\n"
		"  --json           print the list as JSON instead of a table\n"
		"  --page-size N    projects per request, 1-500 (default 500)\n"
		"  -h, --help       show this help\n");
}

static const char *const columns[] = {"ID", "NAME", "KIND", "STATUS", "VISIBILITY"};
static const char *const fields[] = {"id", "name", "kind", "status", "visibility"};
#define NCOLS (sizeof columns / sizeof columns[0])

static void print_table(json_t *items)
{
	int width[NCOLS];
	char tmp[32];
	size_t i;
	json_t *p;

	for (size_t k = 0; k < NCOLS; k++)
		width[k] = client_text_width(columns[k]);
	json_array_foreach(items, i, p) {
		for (size_t k = 0; k < NCOLS; k++) {
			int w = client_text_width(
				client_json_text(json_object_get(p, fields[k]), tmp, sizeof tmp));
			if (w > width[k])
				width[k] = w;
		}
	}
	if (width[1] > NAME_MAX_COLS)
		width[1] = NAME_MAX_COLS;

	for (size_t k = 0; k < NCOLS; k++) {
		if (k + 1 < NCOLS)
			client_fput_cell(stdout, columns[k], width[k], k == 0);
		else
			fputs(columns[k], stdout);
		fputs(k + 1 < NCOLS ? "  " : "\n", stdout);
	}
	json_array_foreach(items, i, p) {
		for (size_t k = 0; k < NCOLS; k++) {
			const char *s = client_json_text(json_object_get(p, fields[k]), tmp, sizeof tmp);
			if (k + 1 < NCOLS)
				client_fput_cell(stdout, s, width[k], k == 0);
			else
				client_fput_text(stdout, s);
			fputs(k + 1 < NCOLS ? "  " : "\n", stdout);
		}
	}
}

int cmd_projects(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"page-size", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL;
	int as_json = 0;
	long long page_size = 500;
	client c;
	json_t *all = NULL, *page = NULL;
	char *cursor = NULL;
	int ret = 1;

	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'j': as_json = 1; break;
		case 'n':
			page_size = client_parse_id(optarg);
			if (page_size < 1 || page_size > 500) {
				fprintf(stderr, "crowdloop projects: --page-size takes 1 to 500\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "Try `crowdloop projects --help`.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "crowdloop projects: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (client_open(&c, server, 1))
		goto out;

	all = json_array();
	if (!all)
		goto out;
	for (int pages = 0;; pages++) {
		char path[1024];
		char *esc = cursor ? client_escape(&c, cursor) : NULL;
		if (cursor && !esc) {
			fprintf(stderr, "crowdloop projects: out of memory\n");
			goto out;
		}
		int n = snprintf(path, sizeof path, "/projects?limit=%lld%s%s", page_size,
				 esc ? "&cursor=" : "", esc ? esc : "");
		free(esc);
		if (n < 0 || (size_t)n >= sizeof path) {
			fprintf(stderr, "crowdloop projects: the server's cursor is too long\n");
			goto out;
		}
		json_decref(page);
		page = NULL;
		long status = client_get_json(&c, path, &page);
		if (status < 200 || status > 299)
			goto out;
		json_t *items = json_object_get(page, "items");
		if (!json_is_array(items)) {
			fprintf(stderr, "crowdloop projects: the server's answer has no items list\n");
			goto out;
		}
		if (json_array_extend(all, items))
			goto out;
		const char *next = json_string_value(json_object_get(page, "next_cursor"));
		/* An empty page ends the list too, so a stray cursor cannot loop forever. */
		if (!next || !*next || json_array_size(items) == 0)
			break;
		if ((cursor && !strcmp(cursor, next)) || pages >= MAX_PAGES) {
			fprintf(stderr, "crowdloop projects: the server repeats its list cursor\n");
			goto out;
		}
		free(cursor);
		cursor = strdup(next);
		if (!cursor)
			goto out;
	}

	if (as_json) {
		json_t *doc = json_pack("{s:O, s:n}", "items", all, "next_cursor");
		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) || putchar('\n') == EOF) {
			json_decref(doc);
			goto out;
		}
		json_decref(doc);
	} else {
		print_table(all);
	}
	if (fflush(stdout)) {
		perror("crowdloop projects: stdout");
		goto out;
	}
	ret = 0;
out:
	free(cursor);
	json_decref(page);
	json_decref(all);
	client_close(&c);
	return ret;
}
