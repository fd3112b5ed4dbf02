/* The server's formats for the CLI (cli/formats.h): fetched once per command, looked up by file
 * name or format name, and printed for help texts and messages. */
#include "cli/formats.h"
#include "api/api.h"
#include "cli/terminal.h"

#include <string.h>
#include <strings.h>

int formats_fetch(client *c, json_t **out)
{
	*out = NULL;
	if (!c->token) {
		*out = api_formats_answer();
		if (!*out)
			fprintf(stderr, "crowdloop: out of memory\n");
		return *out ? 0 : -1;
	}
	long status = client_get_json(c, "/formats", out);
	if (client_status_ok(status) && json_is_array(json_object_get(*out, "uploads")) &&
	    json_is_array(json_object_get(*out, "exports")))
		return 0;
	fprintf(stderr,
		"crowdloop: cannot learn from %s which file types it takes and which "
		"formats it exports\n",
		c->server);
	json_decref(*out);
	*out = NULL;
	return -1;
}

/* The length of the longest of the type's extensions that ends `file`, or 0. */
static size_t extension_match(const json_t *type, const char *file, size_t len)
{
	size_t i, best = 0;
	json_t *e;
	json_array_foreach(json_object_get(type, "extensions"), i, e) {
		const char *ext = json_string_value(e);
		size_t n = ext ? strlen(ext) : 0;
		if (n && len > n && n > best && !strcasecmp(file + len - n, ext))
			best = n;
	}
	return best;
}

json_t *formats_upload_for(const json_t *formats, const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t i, len = strlen(base), best = 0;
	json_t *type, *found = NULL;
	json_array_foreach(json_object_get(formats, "uploads"), i, type) {
		size_t n = extension_match(type, base, len);
		if (n > best) {
			best = n;
			found = type;
		}
	}
	return found;
}

json_t *formats_export_named(const json_t *formats, const char *name)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(formats, "exports"), i, f) {
		const char *n = json_string_value(json_object_get(f, "name"));
		if (n && !strcmp(n, name))
			return f;
	}
	return NULL;
}

/* Prints the strings of an array joined by `sep`. */
static void print_joined(FILE *out, const json_t *list, const char *sep)
{
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		if (i)
			fputs(sep, out);
		terminal_fput_text(out, json_string_value(s) ? json_string_value(s) : "?");
	}
}

/* Prints one help line: `left` in a column `width` wide, then the description. */
static void print_help_line(FILE *out, const char *left, int width, const json_t *row)
{
	fputs("  ", out);
	terminal_fput_cell(out, left, width, 0);
	fputs(" ", out);
	terminal_fput_text(out, json_string_value(json_object_get(row, "description")));
	fputc('\n', out);
}

void formats_print_uploads(FILE *out, const json_t *formats)
{
	size_t i, j;
	json_t *type, *ext;
	json_array_foreach(json_object_get(formats, "uploads"), i, type) {
		char left[128] = "";
		json_array_foreach(json_object_get(type, "extensions"), j, ext) {
			size_t len = strlen(left);
			snprintf(left + len, sizeof left - len, "%s%s", j ? " " : "",
				 json_string_value(ext) ? json_string_value(ext) : "?");
		}
		print_help_line(out, left, 16, type);
	}
}

void formats_print_exports(FILE *out, const json_t *formats)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(formats, "exports"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		print_help_line(out, name ? name : "?", 12, f);
		fprintf(out, "%15sfor ", "");
		print_joined(out, json_object_get(f, "kinds"), ", ");
		fputc('\n', out);
	}
}

void formats_print_export_names(FILE *out, const json_t *formats)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(formats, "exports"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		fputs(i ? ", " : "", out);
		terminal_fput_text(out, name ? name : "?");
	}
}
