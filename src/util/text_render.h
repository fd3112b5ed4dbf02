/* Renders lines of text in a TrueType font to a PNG (stb_truetype, stb_image_write), so the OCR
 * tests and the demo's transcription project read images made at run time from the fonts
 * Debian ships (Nanum, DejaVu). */
#ifndef CROWDLOOP_UTIL_TEXT_RENDER_H
#define CROWDLOOP_UTIL_TEXT_RENDER_H

#include "util/buf.h"

/* Black text on white, one line of `lines` (UTF-8, NULL-ended) per row, `px` pixels high, into
 * `png` (appended). 0, or -1 when the font cannot be read or a glyph is missing. */
int text_render_png(const char *font_path, const char *const *lines, int px, buf *png);

#endif
