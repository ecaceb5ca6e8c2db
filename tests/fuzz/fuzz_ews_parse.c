/*
 * Fuzz target for ews_parse: any byte string is fed to ews_parse_response() for the
 * operations meetingd uses (and for "any operation"); whatever parses is walked and copied so
 * that every field the daemon will read is touched. Must never crash, hang or leak.
 * Built with the replay driver (tests/fuzz/replay_main.c) it replays the corpus as a test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ews_error.h"
#include "ews_parse.h"
#include "item.h"
#include "touch.h"

static void touch_response(const struct ews_response *r)
{
    fuzz_touch_string(r->fault_code_text);
    fuzz_touch_string(r->fault_string);
    fuzz_sink += r->fault_backoff_ms + (size_t)ews_error_action(r->fault_code);
    for (size_t m = 0; m < r->n_messages; m++) {
        const struct ews_response_message *msg = &r->messages[m];
        fuzz_touch_string(msg->response_code_text);
        fuzz_touch_string(msg->message_text);
        fuzz_sink += strlen(ews_error_name(msg->code)) + msg->backoff_ms;
        for (size_t i = 0; i < msg->n_items; i++)
            fuzz_touch_item(&msg->items[i]);
        for (size_t i = 0; i < msg->n_folders; i++)
            fuzz_touch_string(msg->folders[i].display_name);
        for (size_t i = 0; i < msg->n_changes; i++)
            fuzz_touch_item(&msg->changes[i].item);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const operations[] = {
        "FindItem",   "GetItem",   "CreateItem",      "UpdateItem",
        "DeleteItem", "GetFolder", "SyncFolderItems", NULL,
    };
    for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
        struct ews_response *r = NULL;
        char err[256];
        if (ews_parse_response((const char *)data, size, operations[i], &r, err, sizeof(err)) ==
            0) {
            touch_response(r);
            ews_response_free(r);
        } else if (r != NULL || err[0] == '\0') {
            abort(); /* a failure must leave no result and say why */
        }
    }

    /* the scalar parsers on the raw bytes, NUL-terminated */
    if (size < 64) {
        char buf[65];
        memcpy(buf, data, size);
        buf[size] = '\0';
        time_t t;
        char d[11];
        fuzz_sink += ews_datetime_parse(buf, &t) == 0 ? (size_t)t : 0;
        fuzz_sink += ews_date_parse(buf, d) == 0 ? strlen(d) : 0;
        fuzz_sink += ews_error_from_name(buf);
    }
    return 0;
}
