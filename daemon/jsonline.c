#include "jsonline.h"

#include <stdlib.h>
#include <string.h>

/* Before a value or a key: the "," that separates it from the previous one in its
 * container. A key clears the mark again (jsonline_key), so that its value takes none. */
static void separate(struct jsonline *j)
{
    if (j->depth == 0)
        return;
    if (j->has_member[j->depth - 1])
        strbuf_putc(&j->text, ',');
    j->has_member[j->depth - 1] = true;
}

static void open_container(struct jsonline *j, char c)
{
    if (j->depth >= JSONLINE_MAX_DEPTH)
        abort(); /* the record's shape is fixed in the code: deeper is a programming error */
    separate(j);
    strbuf_putc(&j->text, c);
    j->has_member[j->depth++] = false;
}

static void close_container(struct jsonline *j, char c)
{
    if (j->depth == 0)
        abort();
    j->depth--;
    strbuf_putc(&j->text, c);
}

void jsonline_object_begin(struct jsonline *j)
{
    open_container(j, '{');
}

void jsonline_object_end(struct jsonline *j)
{
    close_container(j, '}');
}

void jsonline_array_begin(struct jsonline *j)
{
    open_container(j, '[');
}

void jsonline_array_end(struct jsonline *j)
{
    close_container(j, ']');
}

/* S (valid UTF-8) as a JSON string with jansson's escapes: '"', '\\' and the C0 controls;
 * short forms where JSON has them, \u00XX (upper-case hex) for the others; everything else,
 * '/' and non-ASCII included, as it is. */
static void put_quoted(struct strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    strbuf_putc(b, '"');
    const char *run = s; /* the start of the bytes not yet copied */
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        strbuf_put(b, run, (size_t)(p - run));
        run = p + 1;
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            n = 6;
        }
        strbuf_put(b, esc, n);
    }
    strbuf_put(b, run, strlen(run));
    strbuf_putc(b, '"');
}

void jsonline_key(struct jsonline *j, const char *key)
{
    if (j->depth == 0)
        abort(); /* a key outside an object: a programming error */
    separate(j);
    put_quoted(&j->text, key);
    strbuf_putc(&j->text, ':');
    /* The value that follows belongs to this key: no separator before it. */
    j->has_member[j->depth - 1] = false;
}

void jsonline_string(struct jsonline *j, const char *s)
{
    separate(j);
    if (s == NULL) {
        strbuf_puts(&j->text, "null");
    } else if (util_utf8_valid(s, strlen(s))) {
        put_quoted(&j->text, s);
    } else {
        char *fixed = util_utf8_replace_invalid(s);
        put_quoted(&j->text, fixed);
        free(fixed);
    }
}

void jsonline_time(struct jsonline *j, time_t t)
{
    if (t == 0) {
        jsonline_string(j, NULL);
        return;
    }
    char buf[21];
    util_format_time_utc(t, buf);
    jsonline_string(j, buf);
}

void jsonline_bool(struct jsonline *j, bool v)
{
    separate(j);
    strbuf_puts(&j->text, v ? "true" : "false");
}

char *jsonline_take(struct jsonline *j, bool newline)
{
    if (newline)
        strbuf_putc(&j->text, '\n');
    j->depth = 0;
    return strbuf_take(&j->text);
}
