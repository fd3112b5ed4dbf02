/* crowdloop: one binary for the server, its local admin commands and the API client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#ifdef CROWDLOOP_MIMALLOC
#include <mimalloc.h>
#endif

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help; /* NULL: not listed in the usage */
} commands[] = {
	{"serve", cmd_serve, "run the server (--data DIR --listen ADDR:PORT [--demo])"},
	{"admin", cmd_admin, "local administration: admin create --username U"},
	{"login", cmd_login, "log in to a server and keep the token"},
	{"logout", cmd_logout, "revoke and forget the kept token"},
	{"projects", cmd_projects, "list the projects you can see"},
	{"import", cmd_import, "upload data files to a project"},
	{"export", cmd_export, "download a project's approved annotations"},
	{"stats", cmd_stats, "print a project's progress and quality figures"},
	{"gold", cmd_gold, "add gold items (known answers) from a JSONL file"},
	{"audit", cmd_audit, "sample approved tasks for an audit, record verdicts"},
	{"payouts", cmd_payouts, "list and decide workers' payout requests (admin)"},
	{"predict", cmd_predict, "ask a serving endpoint about images, with its key"},
	{"trainer", cmd_trainer, "train a built-in model on a dataset directory, or predict"},
	{"train", cmd_train, "queue a built-in trainer on a dataset version"},
	{"jobs", cmd_jobs, "list an org's training jobs"},
	{"logs", cmd_logs, "print a job's log (-f follows it)"},
	{"models", cmd_models, "list registered models, or a model's versions"},
	{"alias", cmd_alias, "point a model's alias at a version: alias MODEL VERSION NAME"},
	{"deploy", cmd_deploy, "deploy an endpoint, or switch it to new targets"},
	{"keys", cmd_keys, "list, create or revoke an endpoint's API keys"},
	{"pipeline", cmd_pipeline, "show or set a project's retraining pipeline, decide its runs"},
	{"label-check", cmd_label_check, "start, list or show a project's label checks"},
	{"permissions", cmd_permissions, NULL},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: crowdloop <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (commands[i].help)
			fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n`crowdloop <command> --help` describes a command's options.\n");
}

/* mimalloc gives freed pages back to the kernel a moment after they are freed; a request that
 * parses a large body (an MLflow batch, an import) then faults them back in on the next call, and
 * madvise and those faults were a third of the server's time under metric ingest
 * (docs/BENCHMARKS.md, MLflow). Holding them 5 s costs a little resident memory, no more than a
 * few seconds' worth of what the load itself frees. The environment still wins. */
static void allocator_tune(void)
{
#ifdef CROWDLOOP_MIMALLOC
	if (!getenv("MIMALLOC_DECOMMIT_DELAY") && !getenv("MIMALLOC_RESET_DELAY"))
		mi_option_set(mi_option_decommit_delay, 5000);
#endif
}

int main(int argc, char **argv)
{
	allocator_tune();
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "crowdloop: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
