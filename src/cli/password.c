/* Password input for the command line. */
#include "cli/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

int password_read(const char *file, const char *env, const char *prompt, char *out, size_t size)
{
	out[0] = '\0';
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f) {
			fprintf(stderr, "crowdloop: cannot read password file %s\n", file);
			return -1;
		}
		if (!fgets(out, (int)size, f))
			out[0] = '\0';
		fclose(f);
		chomp(out);
		return 0;
	}
	const char *v = env ? getenv(env) : NULL;
	if (v) {
		snprintf(out, size, "%s", v);
		return 0;
	}
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "crowdloop: no password given: use --password-file, %s, or run on a "
				"terminal\n",
			env ? env : "a file");
		return -1;
	}
	struct termios old, quiet;
	tcgetattr(STDIN_FILENO, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fprintf(stderr, "%s", prompt);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	char *got = fgets(out, (int)size, stdin);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	if (!got)
		out[0] = '\0';
	chomp(out);
	return 0;
}
