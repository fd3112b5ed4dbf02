/* Output for a terminal (cli/terminal.h): UTF-8 decoding with malformed bytes, controls and
 * invisible reordering characters shown as '?', column widths with East Asian wide characters
 * counted two, table cells cut with "~", and the progress line of uploads and downloads. */
#include "cli/terminal.h"
#include "util/clock.h"

#include <string.h>

#define CP_BAD 0xFFFFFFFFu

/* ---- text ---- */

/* The length of the UTF-8 sequence that starts with c, its payload bits in *v and the least
 * code point it may encode in *min; 0 for a byte that cannot start one. */
static size_t utf8_lead(unsigned char c, uint32_t *v, uint32_t *min)
{
	if ((c & 0xE0) == 0xC0) {
		*v = c & 0x1F, *min = 0x80;
		return 2;
	}
	if ((c & 0xF0) == 0xE0) {
		*v = c & 0x0F, *min = 0x800;
		return 3;
	}
	if ((c & 0xF8) == 0xF0) {
		*v = c & 0x07, *min = 0x10000;
		return 4;
	}
	return 0;
}

/* Decodes one UTF-8 sequence; malformed input yields CP_BAD for one byte. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t v = 0, min = 0;
	*cp = s[0] < 0x80 ? s[0] : CP_BAD;
	size_t n = s[0] < 0x80 ? 0 : utf8_lead(s[0], &v, &min);
	if (n == 0)
		return 1;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 1;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 1;
	*cp = v;
	return n;
}

/* Characters shown as '?': controls, and the invisible ones that reorder or hide text. */
static int cp_hidden(uint32_t cp)
{
	return cp == CP_BAD || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
	       (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
}

static int cp_width(uint32_t cp)
{
	if (cp_hidden(cp))
		return 1;
	if (cp >= 0x0300 && cp <= 0x036F)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
	    (cp >= 0x3041 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
	    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
	    (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
	    (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
	    (cp >= 0x20000 && cp <= 0x3FFFD))
		return 2;
	return 1;
}

/* Prints s up to `max` columns (max < 0: all); returns the columns printed. */
static int put_text(FILE *out, const char *s, int max)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);
		int w = cp_width(cp);
		if (max >= 0 && cols + w > max)
			break;
		if (cp_hidden(cp))
			fputc('?', out);
		else
			fwrite(p, 1, n, out);
		cols += w;
		p += n;
	}
	return cols;
}

void terminal_fput_text(FILE *out, const char *s)
{
	put_text(out, s, -1);
}

int terminal_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;
	while (*p) {
		uint32_t cp;
		p += utf8_next(p, &cp);
		cols += cp_width(cp);
	}
	return cols;
}

void terminal_fput_cell(FILE *out, const char *s, int width, int right)
{
	int w = terminal_text_width(s);
	if (w <= width) {
		if (right)
			fprintf(out, "%*s", width - w, "");
		put_text(out, s, -1);
		if (!right)
			fprintf(out, "%*s", width - w, "");
		return;
	}
	int cols = width > 0 ? put_text(out, s, width - 1) : 0;
	if (width > 0) {
		fputc('~', out);
		cols++;
	}
	fprintf(out, "%*s", width - cols, "");
}

const char *terminal_json_text(const json_t *v, char *tmp, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(tmp, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(tmp, size, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(tmp, size, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(tmp, size, "-");
	return tmp;
}

static void table_line(FILE *out, const terminal_column *cols, size_t n, const char *const *text)
{
	for (size_t k = 0; k < n; k++) {
		terminal_fput_cell(out, text[k], cols[k].width, !cols[k].left);
		fputs(k + 1 < n ? "  " : "\n", out);
	}
}

/* The most columns a table has: wider than any terminal. */
#define TABLE_MAX_COLUMNS 16

void terminal_table_head(FILE *out, const terminal_column *cols, size_t n)
{
	const char *text[TABLE_MAX_COLUMNS];
	n = n < TABLE_MAX_COLUMNS ? n : TABLE_MAX_COLUMNS;
	for (size_t k = 0; k < n; k++)
		text[k] = cols[k].title;
	table_line(out, cols, n, text);
}

void terminal_table_row(FILE *out, const terminal_column *cols, size_t n, const json_t *object)
{
	const char *text[TABLE_MAX_COLUMNS];
	char tmp[TABLE_MAX_COLUMNS][64];
	n = n < TABLE_MAX_COLUMNS ? n : TABLE_MAX_COLUMNS;
	for (size_t k = 0; k < n; k++)
		text[k] = terminal_json_text(json_object_get(object, cols[k].key), tmp[k], 64);
	table_line(out, cols, n, text);
}

void terminal_print_json(const json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	putchar('\n');
}

/* ---- progress line ---- */

void terminal_progress_init(terminal_progress *p, const char *label, int enabled)
{
	p->label = label;
	p->enabled = enabled;
	p->drawn = 0;
	p->last_ns = 0;
}

static void human_bytes(int64_t n, char *out, size_t size)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%lld B", (long long)n);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

/* " [#####.....]  50%  1.0 MiB / 2.0 MiB" */
static void draw_bar(int64_t done, int64_t total, const char *done_text)
{
	enum { WIDTH = 30 };
	char t[32];
	int64_t pct = done >= total ? 100 : done * 100 / total;
	int fill = (int)(pct * WIDTH / 100);
	human_bytes(total, t, sizeof t);
	fputs(" [", stderr);
	for (int i = 0; i < WIDTH; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%%  %s / %s", (int)pct, done_text, t);
}

void terminal_progress_update(void *arg, int64_t done, int64_t total)
{
	terminal_progress *p = arg;
	if (!p->enabled)
		return;
	int64_t now = clock_mono_ns();
	int finished = total >= 0 && done >= total;
	if (p->drawn && !finished && now - p->last_ns < 100000000)
		return;
	p->last_ns = now;

	char d[32];
	human_bytes(done, d, sizeof d);
	fputs("\r\033[K", stderr);
	terminal_fput_cell(stderr, p->label ? p->label : "", 24, 0);
	if (total > 0)
		draw_bar(done, total, d);
	else
		fprintf(stderr, " %s", d);
	fflush(stderr);
	p->drawn = 1;
}

void terminal_progress_end(terminal_progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = 0;
}
