/* `crowdloop train --dataset D --trainer NAME [--param k=v ...]`: submits a built-in trainer's
 * job on a dataset version (POST /orgs/{id}/jobs, the org found from the version's project) and
 * prints its id; `crowdloop logs -f ID` follows it. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 32

/* Takes the --param k=v options out of argv (the option table has no repeated option) into
 * `params`; the new argc, or -1 after printing why. */
static int take_params(int argc, char **argv, json_t *params)
{
	int out = 0;
	for (int i = 0; i < argc; i++) {
		const char *kv = NULL;
		if (!strcmp(argv[i], "--param") && i + 1 < argc)
			kv = argv[++i];
		else if (!strncmp(argv[i], "--param=", 8))
			kv = argv[i] + 8;
		if (!kv) {
			argv[out++] = argv[i];
			continue;
		}
		const char *eq = strchr(kv, '=');
		char *end = NULL;
		double v = eq ? strtod(eq + 1, &end) : 0;
		if (!eq || eq == kv || !end || *end || end == eq + 1 ||
		    json_object_size(params) >= MAX_PARAMS) {
			fprintf(stderr, "crowdloop train: --param takes NAME=NUMBER (\"%s\")\n", kv);
			return -1;
		}
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
		json_object_set_new(params, key, json_real(v));
	}
	return out;
}

/* The org of dataset version `dataset`, through its project; 0 after printing why. */
static long long org_of_dataset(client *c, long long dataset)
{
	char path[64];
	json_t *ds = NULL, *p = NULL;
	long long org = 0;
	snprintf(path, sizeof path, "/datasets/%lld", dataset);
	if (client_status_ok(client_get_json(c, path, &ds))) {
		snprintf(path, sizeof path, "/projects/%lld",
			 (long long)json_integer_value(json_object_get(ds, "project_id")));
		if (client_status_ok(client_get_json(c, path, &p)))
			org = json_integer_value(json_object_get(p, "org_id"));
	}
	json_decref(ds);
	json_decref(p);
	return org;
}

int cmd_train(int argc, char **argv)
{
	const char *server = NULL, *trainer = NULL;
	long long dataset = 0, cpus = 0, gpus = 0, priority = 0, limit = 0, retries = 0;
	bool as_json = false;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_ID("dataset", &dataset, "ID", "the dataset version to train on"),
	    OPT_STRING(0, "trainer", &trainer, "NAME",
		       "text-linear, text-fasttext, image-hog or spans-linear"),
	    OPT_INT("cpus", &cpus, 1, 4096, "N", "CPU slots (default 1)"),
	    OPT_INT("gpus", &gpus, 0, 64, "N", "GPUs (default 0)"),
	    OPT_INT("priority", &priority, 0, 9, "N", "0 (default) to 9, higher first"),
	    OPT_INT("time-limit", &limit, 1, 0, "SECONDS", "end the job after this long"),
	    OPT_INT("retries", &retries, 0, 10, "N", "run a failed job again up to N times"),
	    OPT_JSON(&as_json, "print the server's JSON answer"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "train",
	    .synopses = USAGE("--dataset ID --trainer NAME [--param NAME=NUMBER ...] [options]"),
	    .about = "Queues a built-in trainer on a dataset version and prints the job's id.\n"
		     "--param NAME=NUMBER (repeatable) sets a trainer's param.",
	    .options = opts,
	};
	json_t *params = json_object(), *job = NULL;
	client c = {0};
	int operand, ret = 1;
	argc = take_params(argc, argv, params);
	if (argc < 0) {
		json_decref(params);
		return 2;
	}
	if ((ret = options_parse(&spec, argc, argv, &operand)) >= 0)
		goto out;
	ret = 2;
	if (!dataset || !trainer) {
		ret = options_usage_error(&spec, "--dataset and --trainer are required");
		goto out;
	}
	ret = 1;
	long long org;
	if (client_open(&c, server, 1) || !(org = org_of_dataset(&c, dataset)))
		goto out;
	json_t *body = json_pack("{s:I,s:s,s:O,s:I,s:I,s:I,s:I,s:I}", "dataset_id",
				 (json_int_t)dataset, "trainer", trainer, "params", params, "cpus",
				 (json_int_t)(cpus ? cpus : 1), "gpus", (json_int_t)gpus,
				 "priority", (json_int_t)priority, "time_limit_s",
				 (json_int_t)limit, "max_retries", (json_int_t)retries);
	char path[64];
	snprintf(path, sizeof path, "/orgs/%lld/jobs", org);
	long status = client_post_json(&c, path, body, &job);
	json_decref(body);
	if (!client_status_ok(status))
		goto out;
	if (as_json) {
		json_dumpf(job, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("job %lld queued (%s on dataset %lld); follow it: crowdloop logs -f %lld\n",
		       (long long)json_integer_value(json_object_get(job, "id")), trainer, dataset,
		       (long long)json_integer_value(json_object_get(job, "id")));
	}
	ret = fflush(stdout) ? 1 : 0;
out:
	json_decref(params);
	json_decref(job);
	client_close(&c);
	return ret;
}
