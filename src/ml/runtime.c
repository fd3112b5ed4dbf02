/* The model runtimes' table (ml/runtime.h): every runtime the server can load, by name. */
#include "ml/runtime.h"

#include <string.h>

#include "ml/ocr_tesseract.h"

static const ml_runtime *const runtimes[] = {
    &ml_runtime_ocr_tesseract,
};

const ml_runtime *ml_runtime_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof runtimes / sizeof runtimes[0]; i++)
		if (!strcmp(runtimes[i]->name, name))
			return runtimes[i];
	return NULL;
}
