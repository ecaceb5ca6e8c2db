/*
 * Fuzz target for graph_parse: any byte string is parsed as a message page, an event page,
 * one message, one event and an error body; whatever parses is walked so that every field the
 * daemon will read is touched. Must never crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "graph_parse.h"
#include "item.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static void touch_string(const char *s)
{
    if (s != NULL)
        sink += strlen(s);
}

static void touch_item(const struct item *it)
{
    touch_string(it->item_class);
    touch_string(it->id.id);
    touch_string(it->uid);
    touch_string(it->subject);
    touch_string(it->body);
    touch_string(it->organizer.address);
    touch_string(it->meeting_request_type);
    touch_string(it->associated_calendar_item_id.id);
    for (size_t i = 0; i < it->n_attendees; i++)
        touch_string(it->attendees[i].mailbox.address);
    if (it->recurrence != NULL)
        sink += (size_t)it->recurrence->interval + strlen(it->recurrence->start_date);
    sink += (size_t)it->start + (size_t)it->end + (size_t)it->my_response;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[200];
    for (int what = GRAPH_MESSAGES; what <= GRAPH_EVENTS; what++) {
        struct graph_page page;
        if (graph_parse_page(json, size, (enum graph_entity)what, &page, err, sizeof(err)) == 0) {
            for (size_t i = 0; i < page.n_items; i++)
                touch_item(&page.items[i]);
            for (size_t i = 0; i < page.n_removed; i++)
                touch_string(page.removed[i]);
            touch_string(page.next_link);
            touch_string(page.delta_link);
        }
        graph_page_clear(&page);
    }
    struct item it;
    if (graph_parse_message(json, size, &it, err, sizeof(err)) == 0)
        touch_item(&it);
    item_clear(&it);
    if (graph_parse_event(json, size, &it, err, sizeof(err)) == 0)
        touch_item(&it);
    item_clear(&it);
    struct graph_error e;
    graph_parse_error(json, size, &e);
    touch_string(e.code);
    graph_error_clear(&e);
    return 0;
}
