/*
 * touch: the field walk the fuzz targets share (see touch.h).
 */
#include "touch.h"

#include <string.h>

size_t fuzz_sink;

void fuzz_touch_string(const char *s)
{
    if (s != NULL)
        fuzz_sink += strlen(s);
}

void fuzz_touch_item(const struct item *it)
{
    fuzz_touch_string(it->item_class);
    fuzz_touch_string(it->id.id);
    fuzz_touch_string(it->uid);
    fuzz_touch_string(it->subject);
    fuzz_touch_string(it->body);
    fuzz_touch_string(it->organizer.address);
    fuzz_touch_string(it->meeting_request_type);
    fuzz_touch_string(it->associated_calendar_item_id.id);
    for (size_t i = 0; i < it->n_attendees; i++)
        fuzz_touch_string(it->attendees[i].mailbox.address);
    if (it->recurrence != NULL)
        fuzz_sink += (size_t)it->recurrence->interval + strlen(it->recurrence->start_date);
    fuzz_sink += (size_t)it->start + (size_t)it->end + it->n_modified_occurrences;
    fuzz_sink += item_find_attendee(it, "room@contoso.com") != NULL;
    fuzz_sink += strlen(item_response_to_string(it->my_response));
    fuzz_sink += strlen(item_free_busy_to_string(it->legacy_free_busy));
}
