/* crowdloop-render-text FONT PX OUT.png LINE...: the end-to-end tests' images, rendered at test
 * time (text_render.c). */
#include <stdio.h>
#include <stdlib.h>

#include "util/text_render.h"

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s FONT PX OUT.png LINE...\n", argv[0]);
		return 2;
	}
	buf png;
	buf_init(&png, 0);
	if (text_render_png(argv[1], (const char *const *)argv + 4, atoi(argv[2]), &png)) {
		fprintf(stderr, "cannot render with %s\n", argv[1]);
		return 1;
	}
	FILE *f = fopen(argv[3], "wb");
	int rc = !f || fwrite(png.data, 1, png.len, f) != png.len;
	if (f)
		rc |= fclose(f) != 0;
	buf_release(&png);
	return rc;
}
