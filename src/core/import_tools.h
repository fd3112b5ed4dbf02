/* Imports of other tools' work: Label Studio JSON exports, COCO files and transcription
 * pre-fills (a .jsonl of {"image": "<file name>", "lines": [{"text", "box"}]} a line, in the
 * same zip or tar as the images) become items whose
 * annotations are kept as pre-annotations (meta.preannotation, in crowdloop's annotation shape
 * for the project's kind), a starting point for workers to correct. A JSON file alone brings
 * text tasks; images come in the same zip or tar as the JSON and are matched by file name.
 * Results that do not fit the project (another kind, an unknown label, a box outside the image)
 * are reported in the import report with the reason, and the item comes without them. */
#ifndef CROWDLOOP_CORE_IMPORT_TOOLS_H
#define CROWDLOOP_CORE_IMPORT_TOOLS_H

#include <stddef.h>

#include "core/import.h"

/* import_tools_parse's answer for an upload that is not a Label Studio or COCO import. */
#define IMPORT_TOOLS_NOT_MINE 1

/* Parses the upload when it is a Label Studio or COCO JSON file (Content-Type
 * application/json or a ".json" name), or an archive that holds one. Everything found goes to
 * `sink` as import_parse would send it: images and text are checked by import_parse itself.
 * Returns IMPORT_TOOLS_NOT_MINE for any other upload, else as import_parse. `lim->project`, when
 * set, is what pre-annotations are mapped onto and checked against. */
int import_tools_parse(const char *content_type, const char *source, const unsigned char *data,
		       size_t len, const import_limits *lim, const import_sink *sink);

/* The reason a pre-annotation was dropped starts with this, so a report line about it can be
 * told from a rejected item. */
#define IMPORT_TOOLS_PRE_DROPPED "pre-annotation not kept: "

#endif
