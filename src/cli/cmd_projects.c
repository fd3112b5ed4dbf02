/* `crowdloop projects`: lists the projects the logged-in user may see, following the list's
 * next_cursor until the last page, as an aligned table (id, name, kind, status, visibility)
 * or, with --json, as one JSON object {"items":[...],"next_cursor":null} holding every page. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_COLS 48
#define MAX_PAGES 100000 /* a server that never ends its cursor chain is broken */

static const char *const columns[] = {"ID", "NAME", "KIND", "STATUS", "VISIBILITY"};
static const char *const fields[] = {"id", "name", "kind", "status", "visibility"};
#define NCOLS (sizeof columns / sizeof columns[0])

/* Each column as wide as its widest cell, the name within NAME_MAX_COLS. */
static void column_widths(json_t *items, int width[NCOLS])
{
	char tmp[32];
	size_t i;
	json_t *p;

	for (size_t k = 0; k < NCOLS; k++)
		width[k] = terminal_text_width(columns[k]);
	json_array_foreach(items, i, p) {
		for (size_t k = 0; k < NCOLS; k++) {
			int w = terminal_text_width(
			    terminal_json_text(json_object_get(p, fields[k]), tmp, sizeof tmp));
			if (w > width[k])
				width[k] = w;
		}
	}
	if (width[1] > NAME_MAX_COLS)
		width[1] = NAME_MAX_COLS;
}

/* One line of the table: the id right-aligned, the last column unpadded. */
static void print_row(const char *const cells[NCOLS], const int width[NCOLS])
{
	for (size_t k = 0; k < NCOLS; k++) {
		if (k + 1 < NCOLS)
			terminal_fput_cell(stdout, cells[k], width[k], k == 0);
		else
			terminal_fput_text(stdout, cells[k]);
		fputs(k + 1 < NCOLS ? "  " : "\n", stdout);
	}
}

static void print_table(json_t *items)
{
	int width[NCOLS];
	char tmp[NCOLS][32];
	const char *cells[NCOLS];
	size_t i;
	json_t *p;

	column_widths(items, width);
	print_row(columns, width);
	json_array_foreach(items, i, p) {
		for (size_t k = 0; k < NCOLS; k++)
			cells[k] = terminal_json_text(json_object_get(p, fields[k]), tmp[k],
						      sizeof tmp[k]);
		print_row(cells, width);
	}
}

/* GETs the page that starts at `cursor` (NULL: the first); 0 or -1 after printing why. */
static int fetch_page(client *c, long long page_size, const char *cursor, json_t **page)
{
	char path[1024];
	char *esc = cursor ? client_escape(c, cursor) : NULL;
	if (cursor && !esc) {
		fprintf(stderr, "crowdloop projects: out of memory\n");
		return -1;
	}
	int n = snprintf(path, sizeof path, "/projects?limit=%lld%s%s", page_size,
			 esc ? "&cursor=" : "", esc ? esc : "");
	free(esc);
	if (n < 0 || (size_t)n >= sizeof path) {
		fprintf(stderr, "crowdloop projects: the server's cursor is too long\n");
		return -1;
	}
	long status = client_get_json(c, path, page);
	if (!client_status_ok(status))
		return -1;
	if (!json_is_array(json_object_get(*page, "items"))) {
		fprintf(stderr, "crowdloop projects: the server's answer has no items list\n");
		return -1;
	}
	return 0;
}

/* The page's next cursor (a new string in *cursor), or NULL in *cursor at the end of the list;
 * 0, or -1 after printing why. */
static int next_cursor(json_t *page, char **cursor, int pages)
{
	const char *next = json_string_value(json_object_get(page, "next_cursor"));
	/* An empty page ends the list too, so a stray cursor cannot loop forever. */
	if (!next || !*next || json_array_size(json_object_get(page, "items")) == 0) {
		free(*cursor);
		*cursor = NULL;
		return 0;
	}
	if ((*cursor && !strcmp(*cursor, next)) || pages >= MAX_PAGES) {
		fprintf(stderr, "crowdloop projects: the server repeats its list cursor\n");
		return -1;
	}
	free(*cursor);
	*cursor = strdup(next);
	return *cursor ? 0 : -1;
}

/* Every page's items in one array (new reference), or NULL after printing why. */
static json_t *fetch_all(client *c, long long page_size)
{
	json_t *all = json_array(), *page = NULL;
	char *cursor = NULL;
	int pages = 0, rc = all ? 0 : -1;

	do {
		json_decref(page);
		page = NULL;
		rc = rc ? rc : fetch_page(c, page_size, cursor, &page);
		rc = rc ? rc : json_array_extend(all, json_object_get(page, "items"));
		rc = rc ? rc : next_cursor(page, &cursor, pages++);
	} while (!rc && cursor);
	free(cursor);
	json_decref(page);
	if (rc) {
		json_decref(all);
		all = NULL;
	}
	return all;
}

static int print_json(json_t *all)
{
	json_t *doc = json_pack("{s:O, s:n}", "items", all, "next_cursor");
	int rc = !doc || json_dumpf(doc, stdout, JSON_INDENT(2)) || putchar('\n') == EOF;
	json_decref(doc);
	return rc ? -1 : 0;
}

int cmd_projects(int argc, char **argv)
{
	const char *server = NULL;
	bool as_json = false;
	long long page_size = 500;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_JSON(&as_json, "print the list as JSON instead of a table"),
	    OPT_INT("page-size", &page_size, 1, 500, "N",
		    "projects per request, 1-500 (default 500)"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "projects",
	    .synopses = USAGE("[--server URL] [--json] [--page-size N]"),
	    .about = "Lists the projects you can see: id, name, kind, status and visibility.",
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;

	client c;
	json_t *all = NULL;
	ret = 1;
	if (client_open(&c, server, 1) || !(all = fetch_all(&c, page_size)))
		goto out;
	if (as_json && print_json(all))
		goto out;
	if (!as_json)
		print_table(all);
	if (fflush(stdout)) {
		perror("crowdloop projects: stdout");
		goto out;
	}
	ret = 0;
out:
	json_decref(all);
	client_close(&c);
	return ret;
}
