/* `crowdloop export --project ID | --dataset ID [--format jsonl] [--no-images] [--all-answers]
 *  [-o FILE]`:
 * streams a project's approved annotations from GET /projects/{id}/export (or a dataset
 * version's from GET /datasets/{id}/export) to FILE, or to stdout. A file is written as
 * FILE.part and renamed to FILE only once the whole answer has arrived and reached the disk;
 * an error answer, a broken stream or an interrupting signal removes the .part, so FILE is
 * either the complete export or untouched. On a terminal the bytes received are shown. A
 * --format given is first checked against the server's formats (GET /formats), so that a typo
 * is a usage error naming the formats there are. */
#include "api/api.h"
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/formats.h"
#include "cli/options.h"
#include "cli/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The .part file a signal handler must remove; empty when none. */
static char part_path[PATH_MAX];

static void remove_part_and_die(int sig)
{
	if (part_path[0])
		unlink(part_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void (*handler)(int))
{
	struct sigaction sa = {0};
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

/* What the command line asks for. */
typedef struct export_args {
	const char *server, *format, *output;
	long long project, dataset;
	bool no_images, all_answers;
} export_args;

/* Creates `output`.part; NULL after printing why. part_path names it while it is ours. */
static FILE *open_part(const char *output)
{
	snprintf(part_path, sizeof part_path, "%s.part", output);
	/* Handlers first: from the moment the .part exists, a signal removes it. */
	catch_signals(remove_part_and_die);
	int fd = open(part_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!out) {
		fprintf(stderr, "crowdloop export: cannot create %s: %s\n", part_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		part_path[0] = '\0'; /* not ours to remove */
	}
	return out;
}

/* Flushes the .part file to disk and renames it to `output`; 0, or -1 after printing why. */
static int finish_part(FILE *f, const char *output)
{
	int failed = fflush(f) || fsync(fileno(f));
	int err = errno;
	if (fclose(f) && !failed) {
		failed = 1;
		err = errno;
	}
	if (failed) {
		fprintf(stderr, "crowdloop export: cannot write %s: %s\n", part_path,
			strerror(err));
		return -1;
	}
	if (rename(part_path, output)) {
		fprintf(stderr, "crowdloop export: cannot rename %s to %s: %s\n", part_path, output,
			strerror(errno));
		return -1;
	}
	part_path[0] = '\0';
	return 0;
}

/* "/projects/1/export?format=jsonl&images=false"; 0, or -1 after printing why. */
static int export_path(client *c, const export_args *a, char *path, size_t size)
{
	char *esc = client_escape(c, a->format);
	if (!esc) {
		fprintf(stderr, "crowdloop export: out of memory\n");
		return -1;
	}
	int n = snprintf(path, size, "/%s/%lld/export?format=%s%s%s",
			 a->dataset ? "datasets" : "projects", a->dataset ? a->dataset : a->project,
			 esc, a->no_images ? "&images=false" : "",
			 a->all_answers ? "&answers=all" : "");
	free(esc);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "crowdloop export: the format name is too long\n");
		return -1;
	}
	return 0;
}

/* Downloads the export into out; 0, or -1 after printing why. */
static int download(client *c, const export_args *a, FILE *out)
{
	char path[1024];
	if (export_path(c, a, path, sizeof path))
		return -1;
	/* Bytes on the terminal, unless the export itself is going there. */
	terminal_progress bar;
	terminal_progress_init(&bar, "export",
			       isatty(STDERR_FILENO) && (a->output || !isatty(STDOUT_FILENO)));
	long status = client_download(c, path, out, terminal_progress_update, &bar);
	terminal_progress_end(&bar);
	return client_status_ok(status) ? 0 : -1;
}

/* Writes the export to -o's file through its .part, or to stdout; 0, or -1 after printing
 * why. */
static int export_to(client *c, const export_args *a)
{
	if (!a->output) {
		if (download(c, a, stdout))
			return -1;
		if (fflush(stdout)) {
			perror("crowdloop export: stdout");
			return -1;
		}
		return 0;
	}
	FILE *out = open_part(a->output);
	if (!out)
		return -1;
	if (download(c, a, out)) {
		fclose(out);
		return -1;
	}
	if (finish_part(out, a->output))
		return -1;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "Exported %s %lld to %s\n", a->dataset ? "dataset" : "project",
			a->dataset ? a->dataset : a->project, a->output);
	return 0;
}

/* Checks a --format given on the command line against the server's export formats (the
 * default, jsonl, is left to the export request itself); -1 when it is one, else the exit
 * status. */
static int check_format(client *c, const char *format)
{
	json_t *formats = NULL;
	int ret = -1;
	if (formats_fetch(c, &formats))
		return 1;
	if (!formats_export_named(formats, format)) {
		fprintf(stderr, "crowdloop export: %s has no export format '", c->server);
		terminal_fput_text(stderr, format);
		fputs("'; it has ", stderr);
		formats_print_export_names(stderr, formats);
		fputc('\n', stderr);
		ret = 2;
	}
	json_decref(formats);
	return ret;
}

/* The formats this version's server writes; the command asks the server itself. */
static void print_formats(FILE *out)
{
	json_t *formats = api_formats_answer();
	fprintf(out, "\nFormats, and the project kinds each can hold (the server is asked for the "
		     "ones it has):\n");
	formats_print_exports(out, formats);
	json_decref(formats);
}

/* Checks the options together; -1 when they fit, else the exit status of a usage error. */
static int check_args(const options_spec *spec, export_args *a)
{
	if (!a->project && !a->dataset)
		return options_usage_error(spec, "--project or --dataset is required");
	if (a->project && a->dataset)
		return options_usage_error(spec, "give --project or --dataset, not both");
	if (a->format && !*a->format)
		return options_usage_error(spec, "--format is empty");
	if (a->output && (!*a->output || !strcmp(a->output, "-")))
		a->output = NULL;
	if (a->output && strlen(a->output) + sizeof ".part" > sizeof part_path) {
		fprintf(stderr, "crowdloop export: the file name is too long\n");
		return 2;
	}
	return -1;
}

int cmd_export(int argc, char **argv)
{
	export_args a = {0};
	const cli_option opts[] = {
	    OPT_SERVER(&a.server),
	    OPT_ID("project", &a.project, "ID",
		   "the project (its approved annotations as they are now)"),
	    OPT_ID("dataset", &a.dataset, "ID", "a dataset version instead of a project"),
	    OPT_STRING(0, "format", &a.format, "FORMAT",
		       "one of the formats below (default jsonl)"),
	    OPT_BOOL("no-images", &a.no_images, "yolo and voc: leave the images out of the zip"),
	    OPT_BOOL("all-answers", &a.all_answers,
		     "with overlap: every approved annotation, not one\n"
		     "consolidated answer per item (projects only)"),
	    OPT_STRING('o', "output", &a.output, "FILE", "write to FILE instead of stdout"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "export",
	    .synopses =
		USAGE("[--server URL] --project ID [--format FORMAT] [--no-images]\n"
		      "                        [--all-answers] [-o FILE]",
		      "[--server URL] --dataset ID [--format FORMAT] [--no-images] [-o FILE]"),
	    .about = "Downloads a project's approved annotations. With -o the file appears only "
		     "when\nthe download is complete (it is written as FILE.part first).",
	    .print_notes = print_formats,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret < 0)
		ret = check_args(&spec, &a);
	if (ret >= 0)
		return ret;

	client c;
	ret = client_open(&c, a.server, 1) ? 1 : -1;
	if (ret < 0 && a.format)
		ret = check_format(&c, a.format);
	if (!a.format)
		a.format = "jsonl";
	if (ret < 0)
		ret = export_to(&c, &a) ? 1 : 0;
	if (part_path[0]) {
		unlink(part_path);
		part_path[0] = '\0';
	}
	client_close(&c);
	return ret;
}
