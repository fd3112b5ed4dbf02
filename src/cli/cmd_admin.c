/* `crowdloop admin create --data DIR --username U`: makes an administrator directly in the
 * store. This is how the first account comes to exist: there is no default password. */
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/password.h"
#include "core/auth.h"
#include "store/store.h"
#include "util/fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The password, checked and hashed into hash; 0, or -1 after printing why. */
static int hashed_password(const char *file, char hash[AUTH_HASH_LEN])
{
	char password[PASSWORD_MAX_BYTES + 2];
	const char *problem;
	if (password_read(file, "CROWDLOOP_ADMIN_PASSWORD",
			  "Password for the new admin: ", password, sizeof password))
		return -1;
	if ((problem = auth_password_problem(password))) {
		fprintf(stderr, "crowdloop: %s\n", problem);
		return -1;
	}
	if (auth_init()) {
		fprintf(stderr, "crowdloop: cannot initialize libsodium\n");
		return -1;
	}
	if (auth_password_hash(password, hash)) {
		fprintf(stderr, "crowdloop: cannot hash the password\n");
		return -1;
	}
	return 0;
}

/* Stores the administrator in the store under `data`; 0, or -1 after printing why. */
static int store_admin(const char *data, const char *username, const char *hash)
{
	if (fs_make_dirs(data)) {
		fprintf(stderr, "crowdloop: cannot make the data directory %s: %s\n", data,
			strerror(errno));
		return -1;
	}
	db *d;
	cl_error err = {0};
	if (db_open(data, true, &d, &err)) {
		fprintf(stderr, "crowdloop: %s\n", err.message);
		return -1;
	}
	json_t *user = NULL;
	int rc = store_user_create(d, username, hash, true, &user, &err);
	db_close(d);
	if (rc) {
		fprintf(stderr, "crowdloop: %s\n", err.message);
		return -1;
	}
	printf("created admin %s (id %lld)\n", username,
	       (long long)json_integer_value(json_object_get(user, "id")));
	json_decref(user);
	return 0;
}

int cmd_admin(int argc, char **argv)
{
	const char *data = "data", *username = NULL, *file = NULL;
	const cli_option opts[] = {
	    OPT_STRING(0, "data", &data, "DIR", "the server's data directory (default: data)"),
	    OPT_STRING(0, "username", &username, "NAME", "the new administrator's name"),
	    OPT_STRING(0, "password-file", &file, "FILE",
		       "read the password from the first line of FILE (- for stdin)"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "admin create",
	    .synopses = USAGE("--data DIR --username NAME [--password-file F]"),
	    .notes = "The password comes from --password-file, else CROWDLOOP_ADMIN_PASSWORD, "
		     "else a prompt.",
	    .options = opts,
	};
	if (argc < 2 || strcmp(argv[1], "create")) {
		int help = argc >= 2 && !strcmp(argv[1], "--help");
		options_usage(&spec, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	int operand, ret = options_parse(&spec, argc - 1, argv + 1, &operand);
	if (ret >= 0)
		return ret;
	if (!username)
		return options_usage_error(&spec, "--username is required");
	const char *problem = auth_username_problem(username);
	if (problem) {
		fprintf(stderr, "crowdloop: %s\n", problem);
		return 1;
	}
	char hash[AUTH_HASH_LEN];
	if (hashed_password(file, hash) || store_admin(data, username, hash))
		return 1;
	return 0;
}
