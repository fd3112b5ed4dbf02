/* `crowdloop import --project ID FILE...`: uploads each file, streamed from disk, to
 * POST /projects/{id}/items with the Content-Type its extension calls for (images and .txt go
 * as a multipart/form-data part with the file name), drawing a progress bar when stderr is a
 * terminal, and prints each import report: accepted, duplicates, rejected, and every rejection
 * with its source, line and reason. Every file is checked before the first upload; the first
 * failed upload stops the command (re-running it is safe: items already imported come back as
 * duplicates). */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/terminal.h"
#include "util/json.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct upload_type {
	const char *suffix;
	const char *content_type;
	int multipart;
} upload_types[] = {
    {".jsonl", "application/x-ndjson", 0},
    {".ndjson", "application/x-ndjson", 0},
    {".csv", "text/csv", 0},
    {".zip", "application/zip", 0},
    {".tar", "application/x-tar", 0},
    {".tar.gz", "application/gzip", 0},
    {".tgz", "application/gzip", 0},
    {".txt", "text/plain", 1},
    {".png", "image/png", 1},
    {".jpg", "image/jpeg", 1},
    {".jpeg", "image/jpeg", 1},
    {".gif", "image/gif", 1},
    {".bmp", "image/bmp", 1},
};

static const struct upload_type *type_of(const char *path)
{
	size_t len = strlen(path);
	for (size_t i = 0; i < sizeof upload_types / sizeof upload_types[0]; i++) {
		size_t n = strlen(upload_types[i].suffix);
		if (len > n && !strcasecmp(path + len - n, upload_types[i].suffix))
			return &upload_types[i];
	}
	return NULL;
}

static long long count_of(json_t *report, const char *key)
{
	return (long long)json_integer_value(json_object_get(report, key));
}

static void print_report(const char *file, json_t *report)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	terminal_fput_text(stdout, file);
	printf(": accepted %lld, duplicates %lld, rejected %lld\n", count_of(report, "accepted"),
	       count_of(report, "duplicates"), count_of(report, "rejected"));
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(report, "rejections"), i, r)
	{
		char tmp[32];
		json_t *line = json_object_get(r, "line");
		const char *source =
		    terminal_json_text(json_object_get(r, "source"), tmp, sizeof tmp);
		/* A plain (non-multipart) body is named "body" by the server; name the file. */
		if (!strcmp(source, "body"))
			source = base;
		fputs("  rejected ", stdout);
		terminal_fput_text(stdout, source);
		if (json_is_integer(line))
			printf(" line %lld", (long long)json_integer_value(line));
		fputs(": ", stdout);
		terminal_fput_text(
		    stdout, terminal_json_text(json_object_get(r, "reason"), tmp, sizeof tmp));
		fputc('\n', stdout);
	}
}

/* Checks every file before sending any, so a typo does not leave half an import; -1 when all
 * are fine, else the exit status. */
static int check_files(const options_spec *spec, int n, char **files)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (!type_of(files[i])) {
			fprintf(stderr,
				"crowdloop %s: %s: unknown file type; see "
				"`crowdloop import --help` for the extensions taken\n",
				spec->command, files[i]);
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

/* Uploads one file and prints its report, adding its counts to total; 0, or -1 after
 * printing why. */
static int import_file(client *c, const char *path, const char *file, bool as_json,
		       long long total[3])
{
	const struct upload_type *t = type_of(file);
	const char *base = strrchr(file, '/');
	terminal_progress bar;
	json_t *report = NULL;

	terminal_progress_init(&bar, base ? base + 1 : file, isatty(STDERR_FILENO));
	long status = client_upload(c, path, file, t->content_type, t->multipart,
				    terminal_progress_update, &bar, &report);
	terminal_progress_end(&bar);
	int ok = status >= 200 && status <= 299;
	if (!ok || !json_is_object(report)) {
		fprintf(stderr,
			ok ? "crowdloop import: the server's answer for %s is not an import "
			     "report\n"
			   : "crowdloop import: %s was not imported\n",
			file);
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
	total[0] += count_of(report, "accepted");
	total[1] += count_of(report, "duplicates");
	total[2] += count_of(report, "rejected");
	json_decref(report);
	return 0;
}

/* Uploads the files in order, stopping at the first failure; 0, or -1 after printing why. */
static int import_files(client *c, long long project, int n, char **files, bool as_json)
{
	char path[64];
	long long total[3] = {0, 0, 0};
	snprintf(path, sizeof path, "/projects/%lld/items", project);
	for (int i = 0; i < n; i++) {
		if (import_file(c, path, files[i], as_json, total) == 0)
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
		       total[0], total[1], total[2]);
	if (fflush(stdout)) {
		perror("crowdloop import: stdout");
		return -1;
	}
	return 0;
}

static void print_types(FILE *out)
{
	fprintf(
	    out,
	    "\nFile types, by extension:\n"
	    "  .jsonl .ndjson      one JSON object a line: {\"text\": \"...\", \"meta\": {...}}\n"
	    "  .csv                a header row with a \"text\" column\n"
	    "  .zip .tar .tar.gz .tgz   archives holding any of these files\n"
	    "  .txt                one text item per file\n"
	    "  .png .jpg .jpeg .gif .bmp   one image item per file\n");
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
	ret = check_files(&spec, argc - first, argv + first);
	if (ret >= 0)
		return ret;

	client c;
	ret = 1;
	if (client_open(&c, server, 1) == 0 &&
	    import_files(&c, project, argc - first, argv + first, as_json) == 0)
		ret = 0;
	client_close(&c);
	return ret;
}
