/* The option parser of cli/options.h: the table becomes getopt_long's long options and short
 * option letters, each value is checked as its type says, and the help is printed from the
 * same table, so that an option's name, argument and help line are written once. */
#include "cli/options.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OPTIONS_MAX 32	      /* rows in one table, --help not counted */
#define HELP_ID (OPTIONS_MAX) /* getopt_long's answer for --help is 256 + HELP_ID */
#define LEFT_MAX 40	      /* the widest "  -o, --output FILE" column */

long long options_parse_id(const char *s)
{
	if (!s || *s < '1' || *s > '9')
		return 0;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	return errno ? 0 : v;
}

/* ---- help ---- */

/* "batch|normal": a CHOICE option's words, as its argument is shown. */
static void choices_text(const cli_option *o, char *out, size_t size)
{
	size_t len = 0;
	out[0] = '\0';
	for (const char *const *w = o->choices; *w && len < size; w++) {
		int n = snprintf(out + len, size - len, "%s%s", w == o->choices ? "" : "|", *w);
		len += n > 0 ? (size_t)n : 0;
	}
}

/* The option as its help column shows it: "-o, --output FILE", "--sched batch|normal". */
static void option_label(const cli_option *o, char *out, size_t size)
{
	char words[128], flag[8] = "";
	const char *arg = o->arg;
	if (o->type == OPTION_CHOICE) {
		choices_text(o, words, sizeof words);
		arg = words;
	}
	if (o->short_name)
		snprintf(flag, sizeof flag, "-%c, ", o->short_name);
	snprintf(out, size, "%s--%s%s%s", flag, o->long_name, arg ? " " : "", arg ? arg : "");
}

/* Prints a help line, its continuation lines ("\n" in help) indented to `column`. */
static void print_help_text(FILE *out, const char *help, int column)
{
	for (const char *line = help; line;) {
		const char *end = strchr(line, '\n');
		fprintf(out, "%.*s\n", end ? (int)(end - line) : (int)strlen(line), line);
		line = end ? end + 1 : NULL;
		if (line)
			fprintf(out, "%*s", column, "");
	}
}

static void print_option(FILE *out, const char *label, const char *help, int column)
{
	int n = fprintf(out, "  %s", label);
	fprintf(out, "%*s", n < column ? column - n : 1, "");
	print_help_text(out, help, n < column ? column : n + 1);
}

/* The column where help lines start: past the widest label, within LEFT_MAX. */
static int help_column(const cli_option *opts)
{
	int widest = (int)strlen("-h, --help");
	char label[LEFT_MAX * 4];
	for (const cli_option *o = opts; o->type != OPTION_END; o++) {
		option_label(o, label, sizeof label);
		int n = (int)strlen(label);
		if (n > widest && n <= LEFT_MAX)
			widest = n;
	}
	return 2 + widest + 2;
}

static void print_options(const options_spec *spec, FILE *out)
{
	int column = help_column(spec->options);
	char label[LEFT_MAX * 4];
	for (const cli_option *o = spec->options; o->type != OPTION_END; o++) {
		option_label(o, label, sizeof label);
		print_option(out, label, o->help, column);
	}
	print_option(out, "-h, --help", "show this help", column);
}

void options_usage(const options_spec *spec, FILE *out)
{
	for (const char *const *s = spec->synopses; *s; s++)
		fprintf(out, "%s crowdloop %s%s%s\n", s == spec->synopses ? "usage:" : "      ",
			spec->command, **s ? " " : "", *s);
	if (spec->about)
		fprintf(out, "\n%s\n", spec->about);
	fputc('\n', out);
	print_options(spec, out);
	if (spec->notes)
		fprintf(out, "\n%s\n", spec->notes);
	if (spec->print_notes)
		spec->print_notes(out);
}

int options_usage_error(const options_spec *spec, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "crowdloop %s: ", spec->command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	options_usage(spec, stderr);
	return 2;
}

/* ---- values ---- */

/* A whole decimal number in [o->min, o->max] (max 0: no bound). */
static int take_int(const options_spec *spec, const cli_option *o, const char *arg)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (!*arg || *end || errno || v < o->min || (o->max && v > o->max)) {
		if (o->max)
			return options_usage_error(spec, "--%s takes %lld to %lld, not '%s'",
						   o->long_name, o->min, o->max, arg);
		return options_usage_error(spec, "--%s takes a whole number from %lld, not '%s'",
					   o->long_name, o->min, arg);
	}
	*(long long *)o->value = v;
	return -1;
}

static int take_choice(const options_spec *spec, const cli_option *o, const char *arg)
{
	for (const char *const *w = o->choices; *w; w++)
		if (!strcmp(arg, *w)) {
			*(const char **)o->value = *w;
			return -1;
		}
	char words[128];
	choices_text(o, words, sizeof words);
	return options_usage_error(spec, "--%s takes %s, not '%s'", o->long_name, words, arg);
}

/* Appends a repeatable option's argument; a usage error past CLI_LIST_MAX of them. */
static int take_list(const options_spec *spec, const cli_option *o, const char *arg)
{
	cli_list *list = o->value;
	if (list->n >= CLI_LIST_MAX)
		return options_usage_error(spec, "--%s is given more than %d times", o->long_name,
					   CLI_LIST_MAX);
	list->items[list->n++] = arg;
	return -1;
}

/* Stores the option's value; -1 when it was good, else the exit status of a usage error. */
static int take_value(const options_spec *spec, const cli_option *o, const char *arg)
{
	switch (o->type) {
	case OPTION_STRING: *(const char **)o->value = arg; return -1;
	case OPTION_BOOL: *(bool *)o->value = true; return -1;
	case OPTION_INT: return take_int(spec, o, arg);
	case OPTION_CHOICE: return take_choice(spec, o, arg);
	case OPTION_LIST: return take_list(spec, o, arg);
	case OPTION_ID:
		*(long long *)o->value = options_parse_id(arg);
		if (*(long long *)o->value)
			return -1;
		return options_usage_error(spec, "--%s takes an id (1, 2, ...), not '%s'",
					   o->long_name, arg);
	case OPTION_END: break;
	}
	return -1;
}

/* ---- parsing ---- */

/* getopt_long's view of the table: long options answer 256 + their row, short letters
 * themselves; --help and -h are added. */
static void getopt_tables(const cli_option *opts, struct option *longs, char *shorts)
{
	size_t i = 0, s = 0;
	shorts[s++] = ':'; /* a missing argument answers ':', told apart from an unknown option */
	for (; opts[i].type != OPTION_END; i++) {
		assert(i < OPTIONS_MAX);
		int has_arg = opts[i].type == OPTION_BOOL ? no_argument : required_argument;
		longs[i] = (struct option){opts[i].long_name, has_arg, NULL, 256 + (int)i};
		if (opts[i].short_name) {
			shorts[s++] = opts[i].short_name;
			if (has_arg)
				shorts[s++] = ':';
		}
	}
	longs[i++] = (struct option){"help", no_argument, NULL, 256 + HELP_ID};
	longs[i] = (struct option){NULL, 0, NULL, 0};
	shorts[s++] = 'h';
	shorts[s] = '\0';
}

/* The row a getopt_long answer stands for; NULL for an unknown short letter. */
static const cli_option *answered(const cli_option *opts, int ch)
{
	if (ch >= 256)
		return &opts[ch - 256];
	for (const cli_option *o = opts; o->type != OPTION_END; o++)
		if (o->short_name == ch)
			return o;
	return NULL;
}

/* The usage error for getopt_long's '?' (unknown) or ':' (argument missing). glibc's optopt
 * is the short letter, a long option's answer, or 0 for an unknown long option. */
static int getopt_error(const options_spec *spec, int ch, char **argv)
{
	char word[64];
	const char *what = argv[optind - 1];
	if (optopt >= 256 && optopt < 256 + HELP_ID)
		snprintf(word, sizeof word, "--%s", spec->options[optopt - 256].long_name);
	else if (optopt > 0 && optopt < 256)
		snprintf(word, sizeof word, "-%c", optopt);
	if (optopt > 0 && optopt < 256 + HELP_ID)
		what = word;
	if (ch == ':')
		return options_usage_error(spec, "%s needs a value", what);
	return options_usage_error(spec, "unknown option '%s'", what);
}

int options_parse(const options_spec *spec, int argc, char **argv, int *operand)
{
	struct option longs[OPTIONS_MAX + 2];
	char shorts[OPTIONS_MAX * 2 + 3];
	int ch, done = -1;

	getopt_tables(spec->options, longs, shorts);
	opterr = 0;
	optind = 0; /* glibc: start afresh at argv[1] */
	while (done < 0 && (ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const cli_option *o = NULL;
		if (ch == 'h' || ch == 256 + HELP_ID) {
			options_usage(spec, stdout);
			done = 0;
		} else if (ch == '?' || ch == ':' || !(o = answered(spec->options, ch))) {
			done = getopt_error(spec, ch, argv);
		} else {
			done = take_value(spec, o, optarg);
		}
	}
	*operand = optind;
	if (done < 0 && spec->operands == 0 && optind < argc)
		done = options_usage_error(spec, "unexpected argument '%s'", argv[optind]);
	return done;
}
