/* The export writers of the LLM and transcription kinds, one row at a time (core/export.c's
 * table calls them): preference pairs for DPO and reward models, chat-format conversations for
 * supervised fine-tuning, and an OCR ground-truth table. Private to core/export.c. */
#ifndef CROWDLOOP_CORE_EXPORT_KINDS_H
#define CROWDLOOP_CORE_EXPORT_KINDS_H

#include "core/export.h"

/* A consolidated pair is exported when more than this share of the annotators decided it. */
#define EXPORT_MIN_PAIR_AGREEMENT 0.5

/* {"prompt","chosen","rejected","system"?,"messages"?,"item_id","task_id","agreement"?,"tie"?}
 * lines: each pair a consolidated majority of more than half the annotators decided (a pair
 * with agreement EXPORT_MIN_PAIR_AGREEMENT or less is left out), or of a single answer every
 * pair its ranking orders (the best against each other response without one); a tie gives no
 * line. With `all_pairs`, the low-agreement pairs are kept, and a single answer's tie gives
 * every pair of responses, in stored order, with "tie": true. */
int export_preference_pairs_row(const export_row *r, bool all_pairs, buf *out);
/* {"messages": [system?, earlier turns, the user's prompt, the assistant's answer]} lines:
 * llm_response every approved answer, llm_preference the best response (none on a tie). */
int export_chat_row(task_kind kind, const export_row *r, buf *out);
/* "<image path>\t<line number>\t<text>" lines, one per transcribed line, tabs and line breaks in
 * the text written as spaces. */
int export_ocr_tsv_row(const export_row *r, buf *out);
/* The item document of an LLM row as the JSONL export's "data" member (",\"data\":{...}"). */
int export_llm_data(task_kind kind, const export_row *r, buf *out);

#endif
