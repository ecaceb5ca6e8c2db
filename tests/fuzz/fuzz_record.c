/*
 * Fuzz target for the decision record's reader: arbitrary bytes as a decisions.jsonl file,
 * read by --history unfiltered and through filters. Beyond "no crash, no leak, no undefined
 * behaviour" it checks what the reader promises: filters never find more than there is, the
 * counts do not depend on the filter, and the printed history - like log_quote() of the
 * same bytes - is valid UTF-8 with no control character but the line ends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "log.h"
#include "record.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless S (LEN bytes) is valid UTF-8 without control characters other than '\n'
 * (when NEWLINES) and without C1 controls. */
static void check_clean(const unsigned char *s, size_t len, int newlines)
{
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            if ((c < 0x20 && !(newlines && c == '\n')) || c == 0x7f)
                abort();
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 4, cp = c & 0x07;
        else
            abort();
        if (i + n > len)
            abort();
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                abort();
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            abort();
        i += n;
    }
}

/* Runs the history reader over DATA with filter F; returns its counters. */
static struct history_stats run(const char *data, size_t size, const struct history_filter *f)
{
    struct history_stats st = {0};
    char *out = NULL;
    size_t out_len = 0;
    FILE *in = fmemopen((void *)data, size, "r");
    FILE *mem = open_memstream(&out, &out_len);
    if (in == NULL || mem == NULL)
        abort();
    if (history_stream(in, f, mem, &st) != 0)
        abort(); /* reading memory cannot fail */
    fclose(in);
    fclose(mem);
    check_clean((const unsigned char *)out, out_len, 1);
    if (st.shown > st.records || (st.unreadable > 0) != (st.first_unreadable > 0))
        abort();
    free(out);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = xmalloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';

    if (size > 0) { /* fmemopen() of zero bytes is not portable */
        struct history_stats all = run(copy, size, NULL);
        const struct history_filter filters[] = {
            {.mailbox = "room0"},
            {.organizer = "@contoso.com"},
            {.organizer = "jane@contoso.com", .since = 1764547200}, /* 2025-12-01 */
            {.mailbox = "room0@contoso.com", .organizer = "*@*", .since = 1},
        };
        for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
            struct history_stats st = run(copy, size, &filters[i]);
            if (st.records != all.records || st.unreadable != all.unreadable ||
                st.first_unreadable != all.first_unreadable || st.shown > all.shown)
                abort();
        }
    }

    char *q = log_quote(copy);
    size_t qlen = strlen(q);
    if (qlen < 2 || q[0] != '"' || q[qlen - 1] != '"')
        abort();
    check_clean((const unsigned char *)q, qlen, 0);
    free(q);
    free(copy);
    return 0;
}
