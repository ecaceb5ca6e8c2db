/*
 * Fuzz target for ews_stream and ews_batch_results: any byte string is cut into pieces (of
 * sizes taken from its first byte) and fed to the envelope splitter, each envelope it hands
 * out is parsed as a GetStreamingEvents envelope and every field touched; the whole input
 * is also read as a Subscribe answer and as a batched CreateItem / UpdateItem answer. Must
 * never crash, hang or leak. The corpus holds bytes captured from the simulator.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ews_stream.h"
#include "ews_sync.h"
#include "touch.h"

static void touch_envelope(const struct ews_stream_envelope *e)
{
    fuzz_touch_string(e->fault_code_text);
    for (size_t i = 0; i < e->n_messages; i++) {
        const struct ews_stream_message *m = &e->messages[i];
        fuzz_touch_string(m->code_text);
        fuzz_sink += m->status + m->backoff_ms;
        for (size_t k = 0; k < m->n_error_subscription_ids; k++)
            fuzz_touch_string(m->error_subscription_ids[k]);
        for (size_t k = 0; k < m->n_events; k++) {
            fuzz_touch_string(m->events[k].subscription_id);
            fuzz_touch_string(m->events[k].id.id);
            fuzz_touch_string(m->events[k].parent_folder_id.id);
            fuzz_sink += (size_t)m->events[k].time_stamp + m->events[k].type;
        }
        fuzz_sink += ews_stream_code_means_subscription_lost(m->code_text);
    }
}

static void split_and_parse(const char *text, size_t size, size_t piece)
{
    struct ews_stream_splitter *s = ews_stream_splitter_new(64 * 1024);
    for (size_t at = 0; at < size; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        if (ews_stream_splitter_feed(s, text + at, n) < 0)
            break;
        const char *env;
        size_t len;
        while (ews_stream_splitter_next(s, &env, &len) == 1) {
            struct ews_stream_envelope *e = NULL;
            char err[256] = "";
            if (ews_parse_stream_envelope(env, len, &e, err, sizeof(err)) == 0) {
                touch_envelope(e);
                ews_stream_envelope_free(e);
            } else if (e != NULL || err[0] == '\0') {
                abort(); /* a failure must leave no result and say why */
            }
        }
    }
    ews_stream_splitter_free(s);
}

static void batch(const char *text, size_t size, const char *operation)
{
    struct ews_response *r = NULL;
    if (ews_parse_response(text, size, operation, &r, NULL, 0) != 0)
        return;
    struct ews_batch_result results[8];
    for (size_t n = 1; n <= 8; n++) {
        fuzz_sink += ews_batch_results(r, n, results);
        for (size_t i = 0; i < n; i++) {
            fuzz_touch_string(results[i].code_text);
            fuzz_sink += results[i].outcome + results[i].action +
                         (results[i].item != NULL
                              ? strlen(results[i].item->id.id != NULL ? results[i].item->id.id : "")
                              : 0);
        }
    }
    for (size_t i = 0; i < r->n_messages; i++)
        fuzz_sink += ews_sync_state_is_invalid(&r->messages[i]);
    ews_response_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t piece = size > 0 ? (size_t)data[0] % 97 + 1 : 1;
    split_and_parse(text, size, piece);
    split_and_parse(text, size, size > 0 ? size : 1);

    struct ews_subscribe_result sub;
    if (ews_parse_subscribe(text, size, &sub, NULL, 0) == 0) {
        fuzz_touch_string(sub.code_text);
        fuzz_touch_string(sub.subscription_id);
        fuzz_sink += ews_sync_code_means_unsupported(sub.code_text);
        ews_subscribe_result_clear(&sub);
    }
    batch(text, size, "CreateItem");
    batch(text, size, "UpdateItem");
    batch(text, size, "SyncFolderItems");
    return 0;
}
