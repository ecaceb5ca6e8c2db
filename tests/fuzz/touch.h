/*
 * touch: what the fuzz targets share. A target walks whatever parsed and reads every field
 * the daemon will read (so that a dangling pointer or an unterminated string shows under the
 * sanitizers); the lengths and values go to fuzz_sink, so that the reads are not optimised
 * away. Not named fuzz_*.c: each of those is a target of its own (tests/CMakeLists.txt).
 */
#ifndef MEETINGD_FUZZ_TOUCH_H
#define MEETINGD_FUZZ_TOUCH_H

#include <stddef.h>
#include <stdint.h>

#include "item.h"

/* The entry point every target defines (libFuzzer's, or replay_main.c's caller). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern size_t fuzz_sink;

/* Reads S to its end (S may be NULL). */
void fuzz_touch_string(const char *s);
/* Reads every field of IT that the daemon reads, whichever protocol parsed it. */
void fuzz_touch_item(const struct item *it);

#endif
