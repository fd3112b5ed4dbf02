/* `crowdloop predict --endpoint NAME [--key KEY] FILE...`: asks a serving endpoint about
 * images (up to 16, each up to 1 MiB in all: the JSON body's limit) with the endpoint's key
 * (--key, else $CROWDLOOP_KEY), through POST /endpoints/{name}/predict, and prints the
 * answer: one prediction per file, in order, each with its id for feedback. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "util/buf.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PREDICT_FILES_MAX 16
#define PREDICT_BYTES_MAX (768u << 10) /* base64 makes it 1 MiB */

/* {"image_bytes_b64": the file's bytes}; NULL after printing why. */
static json_t *image_input(const char *file)
{
	FILE *f = fopen(file, "rb");
	buf data;
	buf_init(&data, PREDICT_BYTES_MAX);
	char chunk[65536];
	size_t n;
	int rc = f ? 0 : -1;
	while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = buf_append(&data, chunk, n);
	if (f)
		fclose(f);
	json_t *in = NULL;
	if (rc || !data.len) {
		fprintf(stderr, "crowdloop: cannot read %s (or it is over %u bytes)\n", file,
			PREDICT_BYTES_MAX);
	} else {
		size_t len = sodium_base64_encoded_len(data.len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(len);
		if (b64)
			in = json_pack("{s:s}", "image_bytes_b64",
				       sodium_bin2base64(b64, len, (const unsigned char *)data.data,
							 data.len, sodium_base64_VARIANT_ORIGINAL));
		free(b64);
	}
	buf_release(&data);
	return in;
}

static json_t *inputs_of(char **files, int n)
{
	json_t *inputs = json_array();
	for (int i = 0; inputs && i < n; i++) {
		json_t *in = image_input(files[i]);
		if (!in) {
			json_decref(inputs);
			return NULL;
		}
		json_array_append_new(inputs, in);
	}
	return inputs;
}

int cmd_predict(int argc, char **argv)
{
	const char *server = NULL, *endpoint = NULL, *key = getenv("CROWDLOOP_KEY");
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_STRING(0, "endpoint", &endpoint, "NAME", "the endpoint (of the key's org)"),
	    OPT_STRING(0, "key", &key, "KEY", "the endpoint's key (default $CROWDLOOP_KEY)"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "predict",
	    .synopses = USAGE("[--server URL] --endpoint NAME [--key KEY] IMAGE..."),
	    .about = "Asks an endpoint about images with its key; prints the predictions.",
	    .operands = -1,
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;
	if (!endpoint || !key)
		return options_usage_error(&spec, "--endpoint and a key are required");
	if (operand >= argc || argc - operand > PREDICT_FILES_MAX)
		return options_usage_error(&spec, "give 1 to 16 image files");
	json_t *inputs = inputs_of(argv + operand, argc - operand), *answer = NULL;
	client c;
	long st = 0;
	if (inputs && client_open(&c, server, 0) == 0) {
		/* The endpoint's key stands in for a login. */
		client_drop_token(&c);
		c.token = strdup(key);
		char path[128], *name = client_escape(&c, endpoint);
		snprintf(path, sizeof path, "/endpoints/%.80s/predict", name ? name : "");
		free(name);
		json_t *body = json_pack("{s:O}", "inputs", inputs);
		st = client_post_json(&c, path, body, &answer);
		json_decref(body);
	}
	if (st == 200 && answer) {
		json_dumpf(answer, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	if (inputs)
		client_close(&c);
	json_decref(answer);
	json_decref(inputs);
	return st == 200 ? 0 : 1;
}
