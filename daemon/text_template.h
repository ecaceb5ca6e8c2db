/*
 * text_template: the texts meetingd sends to people, with placeholders. A template is plain
 * text in which {start}, {end}, {organizer}, {room} and {subject} stand for values of the
 * request being answered; anything else between braces is refused when the configuration is
 * loaded, so that a typing mistake never reaches an organizer as "{strat}".
 */
#ifndef MEETINGD_TEXT_TEMPLATE_H
#define MEETINGD_TEXT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

/* The values a template may name; NULL values are rendered as "". All borrowed. */
struct text_template_values {
    const char *start;     /* "2026-12-14 10:00" in the policy's time zone */
    const char *end;       /* "11:00" on the same day, else like start */
    const char *organizer; /* the request's organizer: name, else address */
    const char *room;      /* the mailbox's name ([mailbox NAME]) */
    const char *subject;   /* the request's subject */
};

/* True when every {name} in TEMPLATE is known. Otherwise false, with the first unknown
 * name (cut to fit) in BAD. A brace that does not open a {name} is plain text. */
bool text_template_check(const char *template, char *bad, size_t bad_len);

/* TEMPLATE with its placeholders replaced; caller frees. Unknown names (never in a checked
 * template) are kept as written. */
char *text_template_render(const char *template, const struct text_template_values *v);

/* "{start}, {end}, {organizer}, {room}, {subject}": for messages and help texts. */
const char *text_template_names(void);

#endif
