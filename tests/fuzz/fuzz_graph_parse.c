/*
 * Fuzz target for graph_parse: any byte string is parsed as a message page, an event page,
 * one message, one event and an error body; whatever parses is walked so that every field the
 * daemon will read is touched. Must never crash, hang or leak.
 */
#include "graph_parse.h"
#include "item.h"
#include "touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[200];
    for (int what = GRAPH_MESSAGES; what <= GRAPH_EVENTS; what++) {
        struct graph_page page;
        if (graph_parse_page(json, size, (enum graph_entity)what, &page, err, sizeof(err)) == 0) {
            for (size_t i = 0; i < page.n_items; i++)
                fuzz_touch_item(&page.items[i]);
            for (size_t i = 0; i < page.n_removed; i++)
                fuzz_touch_string(page.removed[i]);
            fuzz_touch_string(page.next_link);
            fuzz_touch_string(page.delta_link);
        }
        graph_page_clear(&page);
    }
    struct item it;
    if (graph_parse_message(json, size, &it, err, sizeof(err)) == 0)
        fuzz_touch_item(&it);
    item_clear(&it);
    if (graph_parse_event(json, size, &it, err, sizeof(err)) == 0)
        fuzz_touch_item(&it);
    item_clear(&it);
    struct graph_error e;
    graph_parse_error(json, size, &e);
    fuzz_touch_string(e.code);
    graph_error_clear(&e);
    return 0;
}
