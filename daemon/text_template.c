/*
 * text_template: placeholders in the texts for organizers (see text_template.h).
 */
#include "text_template.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const names[] = {"start", "end", "organizer", "room", "subject"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

const char *text_template_names(void)
{
    return "{start}, {end}, {organizer}, {room}, {subject}";
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* When S starts a {name}, its length without the braces (the name starts at S + 1);
 * otherwise 0. */
static size_t placeholder_len(const char *s)
{
    if (s[0] != '{')
        return 0;
    size_t n = 1;
    while (name_char(s[n]))
        n++;
    return n > 1 && s[n] == '}' ? n - 1 : 0;
}

/* The index of the name of length N at S in names, or -1. */
static int name_index(const char *s, size_t n)
{
    for (size_t i = 0; i < N_NAMES; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return (int)i;
    return -1;
}

bool text_template_check(const char *t, char *bad, size_t bad_len)
{
    for (const char *s = t; *s; s++) {
        size_t n = placeholder_len(s);
        if (n == 0)
            continue;
        if (name_index(s + 1, n) < 0) {
            snprintf(bad, bad_len, "%.*s", (int)n, s + 1);
            return false;
        }
        s += n + 1;
    }
    return true;
}

char *text_template_render(const char *t, const struct text_template_values *v)
{
    const char *values[N_NAMES] = {v->start, v->end, v->organizer, v->room, v->subject};
    struct strbuf b = {0};
    for (const char *s = t; *s; s++) {
        size_t n = placeholder_len(s);
        int i = n ? name_index(s + 1, n) : -1;
        if (i < 0) {
            strbuf_putc(&b, *s);
            continue;
        }
        strbuf_puts(&b, values[i] ? values[i] : "");
        s += n + 1;
    }
    return strbuf_take(&b);
}
