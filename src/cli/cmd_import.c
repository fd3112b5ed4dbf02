/* `crowdloop import --project ID FILE...`: uploads each file, streamed from disk, to
 * POST /projects/{id}/items with the Content-Type the server gives for its extension
 * (GET /formats; types that make one item of a whole file, text and images, go as a
 * multipart/form-data part with the file name), drawing a progress bar when stderr is a
 * terminal, and prints each import report: accepted, duplicates, rejected, and every rejection
 * with its source, line and reason. Every file is checked before the first upload; the first
 * failed upload stops the command (re-running it is safe: items already imported come back as
 * duplicates). */
#include "api/api.h"
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/formats.h"
#include "cli/options.h"
#include "cli/terminal.h"
#include "util/json.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The sums of the import reports. */
typedef struct import_totals {
	long long accepted, duplicates, rejected;
} import_totals;

static long long count_of(json_t *report, const char *key)
{
	return (long long)json_integer_value(json_object_get(report, key));
}

/* "  rejected data.jsonl line 4: malformed JSON" */
static void print_rejection(json_t *r, const char *base)
{
	char tmp[32];
	json_t *line = json_object_get(r, "line");
	const char *source = terminal_json_text(json_object_get(r, "source"), tmp, sizeof tmp);
	/* A plain (non-multipart) body is named "body" by the server; name the file. */
	if (!strcmp(source, "body"))
		source = base;
	fputs("  rejected ", stdout);
	terminal_fput_text(stdout, source);
	if (json_is_integer(line))
		printf(" line %lld", (long long)json_integer_value(line));
	fputs(": ", stdout);
	terminal_fput_text(stdout,
			   terminal_json_text(json_object_get(r, "reason"), tmp, sizeof tmp));
	fputc('\n', stdout);
}

static void print_report(const char *file, json_t *report)
{
	const char *base = strrchr(file, '/');
	size_t i;
	json_t *r;
	terminal_fput_text(stdout, file);
	printf(": accepted %lld, duplicates %lld, rejected %lld\n", count_of(report, "accepted"),
	       count_of(report, "duplicates"), count_of(report, "rejected"));
	json_array_foreach(json_object_get(report, "rejections"), i, r) {
		print_rejection(r, base ? base + 1 : file);
	}
}

/* Checks every file before sending any, so a typo does not leave half an import; -1 when all
 * are fine, else the exit status. */
static int check_files(const json_t *formats, int n, char **files)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (!formats_upload_for(formats, files[i])) {
			fprintf(stderr,
				"crowdloop import: %s: unknown file type; see "
				"`crowdloop import --help` for the extensions taken\n",
				files[i]);
			return 2;
		}
		if (stat(files[i], &st) || access(files[i], R_OK)) {
			fprintf(stderr, "crowdloop import: %s: %s\n", files[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "crowdloop import: %s is a directory\n", files[i]);
			return 1;
		}
	}
	return -1;
}

/* Sends one file as its upload type says, with a progress bar; the status, *report the
 * server's answer (new reference). */
static long upload(client *c, const char *path, const char *file, const json_t *type,
		   json_t **report)
{
	const char *base = strrchr(file, '/');
	const char *content_type = json_string_value(json_object_get(type, "content_type"));
	int multipart = json_is_true(json_object_get(type, "one_item_per_file"));
	terminal_progress bar;
	terminal_progress_init(&bar, base ? base + 1 : file, isatty(STDERR_FILENO));
	long status = client_upload(c, path, file, content_type ? content_type : "", multipart,
				    terminal_progress_update, &bar, report);
	terminal_progress_end(&bar);
	return status;
}

/* Uploads one file and prints its report, adding its counts to sum; 0, or -1 after printing
 * why. */
static int import_file(client *c, const char *path, const char *file, const json_t *type,
		       bool as_json, import_totals *sum)
{
	json_t *report = NULL;
	long status = upload(c, path, file, type, &report);
	int ok = client_status_ok(status);
	if (ok && !json_is_object(report))
		fprintf(stderr,
			"crowdloop import: the server's answer for %s is not an import "
			"report\n",
			file);
	else if (!ok)
		fprintf(stderr, "crowdloop import: %s was not imported\n", file);
	if (!ok || !json_is_object(report)) {
		json_decref(report);
		return -1;
	}
	if (as_json) {
		json_dumpf(report, stdout, JSON_OUT);
		putchar('\n');
	} else {
		print_report(file, report);
	}
	fflush(stdout);
	sum->accepted += count_of(report, "accepted");
	sum->duplicates += count_of(report, "duplicates");
	sum->rejected += count_of(report, "rejected");
	json_decref(report);
	return 0;
}

/* Uploads the files in order, stopping at the first failure; 0, or -1 after printing why. */
static int import_files(client *c, long long project, const json_t *formats, int n, char **files,
			bool as_json)
{
	char path[64];
	import_totals sum = {0, 0, 0};
	snprintf(path, sizeof path, "/projects/%lld/items", project);
	for (int i = 0; i < n; i++) {
		const json_t *type = formats_upload_for(formats, files[i]);
		if (import_file(c, path, files[i], type, as_json, &sum) == 0)
			continue;
		if (n > 1)
			fprintf(stderr,
				"crowdloop import: stopped after %d of %d files; running the "
				"same command again is safe (items already imported count "
				"as duplicates)\n",
				i, n);
		return -1;
	}
	if (n > 1 && !as_json)
		printf("total (%d files): accepted %lld, duplicates %lld, rejected %lld\n", n,
		       sum.accepted, sum.duplicates, sum.rejected);
	if (fflush(stdout)) {
		perror("crowdloop import: stdout");
		return -1;
	}
	return 0;
}

/* The types this version's server takes; the command asks the server itself. */
static void print_types(FILE *out)
{
	json_t *formats = api_formats_answer();
	fprintf(out, "\nFile types, by extension (the server is asked for the ones it takes):\n");
	formats_print_uploads(out, formats);
	json_decref(formats);
}

/* Checks the files against the server's upload types and uploads them; the exit status. */
static int run(client *c, long long project, int n, char **files, bool as_json)
{
	json_t *formats = NULL;
	int ret = formats_fetch(c, &formats) ? 1 : check_files(formats, n, files);
	if (ret < 0 && client_need_token(c))
		ret = 1;
	if (ret < 0)
		ret = import_files(c, project, formats, n, files, as_json) ? 1 : 0;
	json_decref(formats);
	return ret;
}

int cmd_import(int argc, char **argv)
{
	const char *server = NULL;
	long long project = 0;
	bool as_json = false;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_PROJECT(&project),
	    OPT_JSON(&as_json, "print each file's import report as one line of JSON"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "import",
	    .synopses = USAGE("[--server URL] --project ID [--json] FILE..."),
	    .about = "Uploads data files to a project and prints what was accepted, what was a\n"
		     "duplicate and what was rejected, and why.",
	    .print_notes = print_types,
	    .operands = -1,
	    .options = opts,
	};
	int first, ret = options_parse(&spec, argc, argv, &first);
	if (ret >= 0)
		return ret;
	if (!project)
		return options_usage_error(&spec, "--project is required");
	if (first >= argc)
		return options_usage_error(&spec, "no files to import");

	client c;
	/* Without a login the files are still checked (against this binary's own types) before
	 * the command says to log in. */
	ret =
	    client_open(&c, server, 0) ? 1 : run(&c, project, argc - first, argv + first, as_json);
	client_close(&c);
	return ret;
}
