/* `crowdloop import --project ID FILE...`: uploads each file, streamed from disk, to
 * POST /projects/{id}/items with the Content-Type its extension calls for (images and .txt go
 * as a multipart/form-data part with the file name), drawing a progress bar when stderr is a
 * terminal, and prints each import report: accepted, duplicates, rejected, and every rejection
 * with its source, line and reason. Every file is checked before the first upload; the first
 * failed upload stops the command (re-running it is safe: items already imported come back as
 * duplicates). */
#include "cli/client.h"
#include "cli/cmd.h"
#include "util/json.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: crowdloop import [--server URL] --project ID [--json] FILE...\n"
		"\n"
		"Uploads data files to a project and prints what was accepted, what was a\n"
		"duplicate and what was rejected, and why. File types, by extension:\n"
		"  .jsonl .ndjson      one JSON object a line: {\"text\": \"...\", \"meta\": {...}}\n"
		"  .csv                a header row with a \"text\" column\n"
		"  .zip .tar .tar.gz .tgz   archives holding any of these files\n"
		"  .txt                one text item per file\n"
		"  .png .jpg .jpeg .gif .bmp   one image item per file\n"
		"\n"
		"  --server URL   server to send to (default: $CROWDLOOP_SERVER, then the stored one)\n"
		"  --project ID   the project\n"
		"  --json         print each file's import report as one line of JSON\n"
		"  -h, --help     show this help\n");
}

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
	client_fput_text(stdout, file);
	printf(": accepted %lld, duplicates %lld, rejected %lld\n", count_of(report, "accepted"),
	       count_of(report, "duplicates"), count_of(report, "rejected"));
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(report, "rejections"), i, r) {
		char tmp[32];
		json_t *line = json_object_get(r, "line");
		const char *source = client_json_text(json_object_get(r, "source"), tmp, sizeof tmp);
		/* A plain (non-multipart) body is named "body" by the server; name the file. */
		if (!strcmp(source, "body"))
			source = base;
		fputs("  rejected ", stdout);
		client_fput_text(stdout, source);
		if (json_is_integer(line))
			printf(" line %lld", (long long)json_integer_value(line));
		fputs(": ", stdout);
		client_fput_text(stdout, client_json_text(json_object_get(r, "reason"), tmp,
							  sizeof tmp));
		fputc('\n', stdout);
	}
}

int cmd_import(int argc, char **argv)
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
	int ret = 1;

	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'p':
			project = client_parse_id(optarg);
			if (!project) {
				fprintf(stderr, "crowdloop import: --project takes a project id, "
						"not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': as_json = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "Try `crowdloop import --help`.\n");
			return 2;
		}
	}
	if (!project || optind >= argc) {
		fprintf(stderr, "crowdloop import: %s\n",
			!project ? "--project is required" : "no files to import");
		usage(stderr);
		return 2;
	}

	/* Check every file before sending any, so a typo does not leave half an import. */
	for (int i = optind; i < argc; i++) {
		struct stat st;
		if (!type_of(argv[i])) {
			fprintf(stderr, "crowdloop import: %s: unknown file type; see "
					"`crowdloop import --help` for the extensions taken\n", argv[i]);
			return 2;
		}
		if (stat(argv[i], &st) || access(argv[i], R_OK)) {
			fprintf(stderr, "crowdloop import: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "crowdloop import: %s is a directory\n", argv[i]);
			return 1;
		}
	}
	if (client_open(&c, server, 1))
		goto out;

	char path[64];
	snprintf(path, sizeof path, "/projects/%lld/items", project);
	long long total[3] = {0, 0, 0};
	int done = 0, files = argc - optind;
	for (int i = optind; i < argc; i++) {
		const struct upload_type *t = type_of(argv[i]);
		const char *base = strrchr(argv[i], '/');
		client_progress bar;
		json_t *report = NULL;

		client_progress_init(&bar, base ? base + 1 : argv[i], isatty(STDERR_FILENO));
		long status = client_upload(&c, path, argv[i], t->content_type, t->multipart,
					    client_progress_update, &bar, &report);
		client_progress_end(&bar);
		if (status < 200 || status > 299 || !json_is_object(report)) {
			if (status >= 200 && status <= 299)
				fprintf(stderr, "crowdloop import: the server's answer for %s is not "
						"an import report\n", argv[i]);
			else
				fprintf(stderr, "crowdloop import: %s was not imported\n", argv[i]);
			json_decref(report);
			if (files > 1)
				fprintf(stderr, "crowdloop import: stopped after %d of %d files; "
						"running the same command again is safe (items already "
						"imported count as duplicates)\n", done, files);
			goto out;
		}
		if (as_json) {
			json_dumpf(report, stdout, JSON_OUT);
			putchar('\n');
		} else {
			print_report(argv[i], report);
		}
		fflush(stdout);
		total[0] += count_of(report, "accepted");
		total[1] += count_of(report, "duplicates");
		total[2] += count_of(report, "rejected");
		json_decref(report);
		done++;
	}
	if (files > 1 && !as_json)
		printf("total (%d files): accepted %lld, duplicates %lld, rejected %lld\n", files,
		       total[0], total[1], total[2]);
	if (fflush(stdout)) {
		perror("crowdloop import: stdout");
		goto out;
	}
	ret = 0;
out:
	client_close(&c);
	return ret;
}
