/* `crowdloop export --project ID | --dataset ID [--format jsonl] [--no-images] [--all-answers]
 *  [-o FILE]`:
 * streams a project's approved annotations from GET /projects/{id}/export (or a dataset
 * version's from GET /datasets/{id}/export) to FILE, or to stdout. A file is written as
 * FILE.part and renamed to FILE only once the whole answer has arrived and reached the disk;
 * an error answer, a broken stream or an interrupting signal removes the .part, so FILE is
 * either the complete export or untouched. On a terminal the bytes received are shown. */
#include "cli/client.h"
#include "cli/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: crowdloop export [--server URL] (--project ID | --dataset ID)\n"
		"                        [--format FORMAT] [--no-images] [--all-answers] [-o FILE]\n"
		"\n"
		"Downloads a project's approved annotations. With -o the file appears only when\n"
		"the download is complete (it is written as FILE.part first).\n"
		"\n"
		"  --server URL       server to ask (default: $CROWDLOOP_SERVER, then the stored one)\n"
		"  --project ID       the project (its approved annotations as they are now)\n"
		"  --dataset ID       a dataset version instead of a project\n"
		"  --format FORMAT    jsonl (default), csv, coco, yolo, voc, conll, labelstudio\n"
		"  --no-images        yolo and voc: leave the images out of the zip\n"
		"  --all-answers      with overlap: every approved annotation, not one\n"
		"                     consolidated answer per item (projects only)\n"
		"  -o, --output FILE  write to FILE instead of stdout\n"
		"  -h, --help         show this help\n");
}

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

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"project", required_argument, NULL, 'p'},
		{"dataset", required_argument, NULL, 'd'},
		{"no-images", no_argument, NULL, 'n'},
		{"all-answers", no_argument, NULL, 'a'},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *format = "jsonl", *output = NULL;
	long long project = 0, dataset = 0;
	int no_images = 0, all_answers = 0;
	client c;
	FILE *out = NULL;
	char *esc = NULL;
	int ret = 1;

	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'p':
			project = client_parse_id(optarg);
			if (!project) {
				fprintf(stderr, "crowdloop export: --project takes a project id, "
						"not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			dataset = client_parse_id(optarg);
			if (!dataset) {
				fprintf(stderr, "crowdloop export: --dataset takes a dataset id, "
						"not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n': no_images = 1; break;
		case 'a': all_answers = 1; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "Try `crowdloop export --help`.\n");
			return 2;
		}
	}
	if (optind < argc || !project == !dataset || !*format) {
		if (optind < argc)
			fprintf(stderr, "crowdloop export: unexpected argument '%s'\n", argv[optind]);
		else
			fprintf(stderr, "crowdloop export: %s\n",
				!project && !dataset ? "--project or --dataset is required"
				: project && dataset ? "give --project or --dataset, not both"
						     : "--format is empty");
		usage(stderr);
		return 2;
	}
	if (output && (!*output || !strcmp(output, "-")))
		output = NULL;
	if (output && snprintf(part_path, sizeof part_path, "%s.part", output) >=
			      (int)sizeof part_path) {
		fprintf(stderr, "crowdloop export: the file name is too long\n");
		return 2;
	}
	if (client_open(&c, server, 1)) {
		part_path[0] = '\0';
		goto out;
	}
	esc = client_escape(&c, format);
	if (!esc) {
		fprintf(stderr, "crowdloop export: out of memory\n");
		part_path[0] = '\0';
		goto out;
	}

	if (output) {
		/* Handlers first: from the moment the .part exists, a signal removes it. */
		catch_signals(remove_part_and_die);
		int fd = open(part_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || !(out = fdopen(fd, "wb"))) {
			fprintf(stderr, "crowdloop export: cannot create %s: %s\n", part_path,
				strerror(errno));
			if (fd >= 0)
				close(fd);
			part_path[0] = '\0';  /* not ours to remove */
			goto out;
		}
	} else {
		out = stdout;
	}

	char path[1024];
	if (snprintf(path, sizeof path, "/%s/%lld/export?format=%s%s%s",
		     dataset ? "datasets" : "projects", dataset ? dataset : project, esc,
		     no_images ? "&images=false" : "", all_answers ? "&answers=all" : "") >=
	    (int)sizeof path) {
		fprintf(stderr, "crowdloop export: the format name is too long\n");
		goto out;
	}
	/* Bytes on the terminal, unless the export itself is going there. */
	client_progress bar;
	client_progress_init(&bar, "export", isatty(STDERR_FILENO) &&
						     (output || !isatty(STDOUT_FILENO)));
	long status = client_download(&c, path, out, client_progress_update, &bar);
	client_progress_end(&bar);
	if (status < 200 || status > 299)
		goto out;

	if (output) {
		FILE *f = out;
		out = NULL;
		int failed = fflush(f) || fsync(fileno(f));
		int err = errno;
		if (fclose(f) && !failed) {
			failed = 1;
			err = errno;
		}
		if (failed) {
			fprintf(stderr, "crowdloop export: cannot write %s: %s\n", part_path,
				strerror(err));
			goto out;
		}
		if (rename(part_path, output)) {
			fprintf(stderr, "crowdloop export: cannot rename %s to %s: %s\n", part_path,
				output, strerror(errno));
			goto out;
		}
		part_path[0] = '\0';
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "Exported %s %lld to %s\n", dataset ? "dataset" : "project",
				dataset ? dataset : project, output);
	} else if (fflush(stdout)) {
		perror("crowdloop export: stdout");
		goto out;
	}
	ret = 0;
out:
	if (out && out != stdout)
		fclose(out);
	if (part_path[0]) {
		unlink(part_path);
		part_path[0] = '\0';
	}
	free(esc);
	client_close(&c);
	return ret;
}
