/* `crowdloop admin create --data DIR --username U`: makes an administrator directly in the
 * store. This is how the first account comes to exist: there is no default password. */
#include "cli/cmd.h"
#include "cli/password.h"
#include "core/auth.h"
#include "store/store.h"
#include "util/fs.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: crowdloop admin create --data DIR --username NAME [--password-file F]\n"
		     "The password comes from --password-file, else CROWDLOOP_ADMIN_PASSWORD, else a "
		     "prompt.\n");
}

int cmd_admin(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "create")) {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"username", required_argument, NULL, 'u'},
		{"password-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *data = "data", *username = NULL, *file = NULL;
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'u': username = optarg; break;
		case 'p': file = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!username) {
		usage(stderr);
		return 2;
	}
	const char *problem = auth_username_problem(username);
	if (problem) {
		fprintf(stderr, "crowdloop: %s\n", problem);
		return 1;
	}
	char password[PASSWORD_MAX_BYTES + 2];
	if (password_read(file, "CROWDLOOP_ADMIN_PASSWORD", "Password for the new admin: ",
			  password, sizeof password))
		return 1;
	if ((problem = auth_password_problem(password))) {
		fprintf(stderr, "crowdloop: %s\n", problem);
		return 1;
	}
	if (auth_init()) {
		fprintf(stderr, "crowdloop: cannot initialize libsodium\n");
		return 1;
	}
	char hash[AUTH_HASH_LEN];
	if (auth_password_hash(password, hash)) {
		fprintf(stderr, "crowdloop: cannot hash the password\n");
		return 1;
	}
	if (fs_make_dirs(data)) {
		fprintf(stderr, "crowdloop: cannot make the data directory %s: %s\n", data,
			strerror(errno));
		return 1;
	}
	db *d;
	cl_error err = {0};
	if (db_open(data, true, &d, &err)) {
		fprintf(stderr, "crowdloop: %s\n", err.message);
		return 1;
	}
	json_t *user = NULL;
	int rc = store_user_create(d, username, hash, true, &user, &err);
	db_close(d);
	if (rc) {
		fprintf(stderr, "crowdloop: %s\n", err.message);
		return 1;
	}
	printf("created admin %s (id %lld)\n", username,
	       (long long)json_integer_value(json_object_get(user, "id")));
	json_decref(user);
	return 0;
}
