/* Black-on-white text to PNG for the OCR tests and the demo: stb_truetype draws each glyph into an 8-bit
 * page with a margin around the text, stb_image_write encodes it. */
#include "util/text_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb_truetype.h>
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma GCC diagnostic pop

#define MARGIN 24

/* The next code point of UTF-8 text; advances *s. */
static int utf8_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	int cp, n;
	if (p[0] < 0x80)
		cp = p[0], n = 1;
	else if ((p[0] & 0xE0) == 0xC0)
		cp = p[0] & 0x1F, n = 2;
	else if ((p[0] & 0xF0) == 0xE0)
		cp = p[0] & 0x0F, n = 3;
	else
		cp = p[0] & 0x07, n = 4;
	for (int i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3F);
	*s += n;
	return cp;
}

static unsigned char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *data = n > 0 ? malloc((size_t)n) : NULL;
	if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	return data;
}

/* Draws one line with its baseline at y; its width in pixels. With page NULL, only measures. */
static int draw_line(const stbtt_fontinfo *font, float scale, const char *text, unsigned char *page,
		     int width, int y)
{
	float x = MARGIN;
	while (*text) {
		int cp = utf8_next(&text), adv, lsb, x0, y0, x1, y1;
		int g = stbtt_FindGlyphIndex(font, cp);
		if (!g && cp != ' ')
			return -1;
		stbtt_GetGlyphHMetrics(font, g, &adv, &lsb);
		stbtt_GetGlyphBitmapBox(font, g, scale, scale, &x0, &y0, &x1, &y1);
		if (page) {
			/* Darkest wins where glyphs touch: the page starts white (255). */
			int gw = x1 - x0, gh = y1 - y0;
			unsigned char *glyph =
			    calloc((size_t)(gw > 0 ? gw : 1) * (gh > 0 ? gh : 1), 1);
			stbtt_MakeGlyphBitmap(font, glyph, gw, gh, gw, scale, scale, g);
			for (int j = 0; j < gh; j++)
				for (int i = 0; i < gw; i++) {
					int col = (int)x + x0 + i;
					if (y + y0 + j < 0 || col < 0 || col >= width)
						continue;
					unsigned char *p = &page[(y + y0 + j) * width + col];
					unsigned char v = (unsigned char)(255 - glyph[j * gw + i]);
					if (v < *p)
						*p = v;
				}
			free(glyph);
		}
		x += (float)adv * scale;
	}
	return (int)x + MARGIN;
}

static void to_buf(void *ctx, void *data, int size)
{
	buf_append(ctx, data, (size_t)size);
}

int text_render_png(const char *font_path, const char *const *lines, int px, buf *png)
{
	unsigned char *ttf = read_file(font_path);
	stbtt_fontinfo font;
	if (!ttf || !stbtt_InitFont(&font, ttf, stbtt_GetFontOffsetForIndex(ttf, 0))) {
		free(ttf);
		return -1;
	}
	float scale = stbtt_ScaleForPixelHeight(&font, (float)px);
	int n = 0, width = 0, line_h = px * 3 / 2;
	for (; lines[n]; n++) {
		int w = draw_line(&font, scale, lines[n], NULL, 0, 0);
		if (w < 0) {
			free(ttf);
			return -1;
		}
		width = w > width ? w : width;
	}
	int height = n * line_h + 2 * MARGIN;
	unsigned char *page = malloc((size_t)width * height);
	memset(page, 255, (size_t)width * height);
	for (int i = 0; i < n; i++)
		draw_line(&font, scale, lines[i], page, width, MARGIN + i * line_h + px);
	int ok = stbi_write_png_to_func(to_buf, png, width, height, 1, page, width);
	free(page);
	free(ttf);
	return ok ? 0 : -1;
}
