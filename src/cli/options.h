/* The option parser of every subcommand, in the manner of git's parse-options: a command
 * declares its options in a table (OPT_STRING, OPT_ID, OPT_INT, OPT_BOOL, OPT_CHOICE, each with
 * a long name, an optional short letter, where the value goes and a help line), and
 * options_parse() reads argv against it (GNU getopt_long underneath: options may follow the
 * operands, "--" ends them), checks each value, answers -h/--help with usage generated from
 * the table, and reports usage errors the same way for every command (exit status 2). The
 * options that many commands share are declared once below (OPT_SERVER, OPT_PROJECT,
 * OPT_JSON); --help is added to every table by the parser. */
#ifndef CROWDLOOP_CLI_OPTIONS_H
#define CROWDLOOP_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

typedef enum option_type {
	OPTION_END,    /* ends a table */
	OPTION_STRING, /* value: const char **, the argument as given */
	OPTION_ID,     /* value: long long *, a positive decimal id (options_parse_id) */
	OPTION_INT,    /* value: long long *, a decimal integer in [min, max] */
	OPTION_BOOL,   /* value: bool *, set true when the option is given; takes no argument */
	OPTION_CHOICE, /* value: const char **, one of `choices` */
	OPTION_LIST,   /* value: cli_list *, every argument given, in order (repeatable) */
} option_type;

/* The arguments of a repeatable option (OPT_LIST): at most CLI_LIST_MAX, borrowed from argv. */
#define CLI_LIST_MAX 32
typedef struct cli_list {
	const char *items[CLI_LIST_MAX];
	int n;
} cli_list;

/* One row of an option table. */
typedef struct cli_option {
	option_type type;
	char short_name;	    /* 'o' for -o; 0 for none */
	const char *long_name;	    /* "output" for --output */
	void *value;		    /* where the value goes; its type depends on `type` */
	const char *arg;	    /* the argument's name in the help ("FILE"); NULL for BOOL,
				     * and for CHOICE, whose words are shown ("full|normal") */
	const char *help;	    /* the help line; "\n" starts a continuation line */
	long long min, max;	    /* OPTION_INT's range (max 0: no upper bound) */
	const char *const *choices; /* OPTION_CHOICE's words, NULL-ended */
} cli_option;

#define OPT_STRING(s, l, v, a, h)                                                                  \
	{                                                                                          \
		OPTION_STRING, (s), (l), (v), (a), (h), 0, 0, NULL                                 \
	}
#define OPT_ID(l, v, a, h)                                                                         \
	{                                                                                          \
		OPTION_ID, 0, (l), (v), (a), (h), 1, 0, NULL                                       \
	}
#define OPT_INT(l, v, lo, hi, a, h)                                                                \
	{                                                                                          \
		OPTION_INT, 0, (l), (v), (a), (h), (lo), (hi), NULL                                \
	}
#define OPT_BOOL(l, v, h)                                                                          \
	{                                                                                          \
		OPTION_BOOL, 0, (l), (v), NULL, (h), 0, 0, NULL                                    \
	}
#define OPT_CHOICE(l, v, words, h)                                                                 \
	{                                                                                          \
		OPTION_CHOICE, 0, (l), (v), NULL, (h), 0, 0, (words)                               \
	}
#define OPT_LIST(l, v, a, h)                                                                       \
	{                                                                                          \
		OPTION_LIST, 0, (l), (v), (a), (h), 0, 0, NULL                                     \
	}
#define OPT_END()                                                                                  \
	{                                                                                          \
		OPTION_END, 0, NULL, NULL, NULL, NULL, 0, 0, NULL                                  \
	}

/* The options the API subcommands share (OPT_SERVER's help names cli/client.h's default). */
#define OPT_SERVER(v)                                                                              \
	OPT_STRING(0, "server", (v), "URL",                                                        \
		   "the server (default: $CROWDLOOP_SERVER, then the stored one,\n"                \
		   "then " CLIENT_DEFAULT_SERVER ")")
#define OPT_PROJECT(v) OPT_ID("project", (v), "ID", "the project")
#define OPT_JSON(v, h) OPT_BOOL("json", (v), (h))

/* The usage lines of an options_spec: USAGE("--project ID FILE...", "--show AUDIT"). */
#define USAGE(...) ((const char *const[]){__VA_ARGS__, NULL})

/* A command's whole command line: its table and the text of its help. */
typedef struct options_spec {
	const char *command;	     /* "import": messages begin "crowdloop import: " */
	const char *const *synopses; /* usage lines after "crowdloop <command> "; NULL-ended */
	const char *about;	     /* the paragraph between the usage and the options, or NULL */
	const char *notes;	     /* the text after the options, or NULL */
	void (*print_notes)(FILE *out); /* more text after the options, made at run time, or NULL */
	int operands;			/* operands allowed after the options: 0, or -1 for any */
	const cli_option *options;	/* the table, ended by OPT_END() */
} options_spec;

/* Reads argv[1..] (argv[0] names the command) against spec. Returns -1 when the command should
 * go on, with *operand the index of the first operand (argc when none); else the exit status
 * the command should return: 0 after printing the help (-h, --help), 2 after a usage error (an
 * unknown option, a missing or bad value, an operand where none is taken). */
int options_parse(const options_spec *spec, int argc, char **argv, int *operand);
/* Prints the help: the usage lines, `about`, the options (from the table) and the notes. */
void options_usage(const options_spec *spec, FILE *out);
/* Prints "crowdloop <command>: <message>" and the usage to stderr; returns 2, the status of a
 * usage error. */
int options_usage_error(const options_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses a positive decimal id ("12"); returns it, or 0 when s is not one. */
long long options_parse_id(const char *s);

#endif
