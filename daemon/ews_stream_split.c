/*
 * The envelope splitter of a GetStreamingEvents response (see ews_stream.h).
 *
 * The bytes of the envelope being received are kept; a scan position moves over them one
 * markup construct at a time. A construct whose end has not arrived yet is scanned again
 * from its start when more bytes come (constructs other than comments and CDATA are a few
 * hundred bytes at most, and an envelope is capped). Element depth decides where an
 * envelope ends: when the end tag (or empty tag) of the top-level element is passed.
 */
#include "ews_stream.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xml_scan.h"

enum split_step {
    SPLIT_SCANNING, /* looking for the end of the current envelope */
    SPLIT_READY,    /* an envelope is complete: [0, end) */
    SPLIT_FAILED,   /* for good */
};

struct ews_stream_splitter {
    enum split_step step;
    char *buf;
    size_t len, cap;
    size_t scan;  /* everything before has been understood */
    size_t end;   /* SPLIT_READY: length of the envelope at the start of buf */
    size_t taken; /* bytes handed out by next(), dropped at the next call */
    int depth;
    size_t max_envelope;
};

struct ews_stream_splitter *ews_stream_splitter_new(size_t max_envelope)
{
    struct ews_stream_splitter *s = xcalloc(1, sizeof(*s));
    s->max_envelope = max_envelope > 0 ? max_envelope : EWS_PARSE_DEFAULT_MAX_BYTES;
    return s;
}

void ews_stream_splitter_free(struct ews_stream_splitter *s)
{
    if (s == NULL)
        return;
    free(s->buf);
    free(s);
}

static void drop_taken(struct ews_stream_splitter *s)
{
    if (s->taken == 0)
        return;
    memmove(s->buf, s->buf + s->taken, s->len - s->taken);
    s->len -= s->taken;
    s->scan -= s->taken;
    s->taken = 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Move over one construct at s->scan. 1 when it moved, 0 when more bytes are needed, -1
 * when the bytes cannot be an envelope stream. */
static int step(struct ews_stream_splitter *s)
{
    size_t p = s->scan;
    if (s->buf[p] != '<') {
        if (s->depth == 0) { /* between envelopes only whitespace */
            if (!is_space(s->buf[p]))
                return -1;
            s->scan++;
            return 1;
        }
        const char *lt = memchr(s->buf + p, '<', s->len - p);
        s->scan = lt != NULL ? (size_t)(lt - s->buf) : s->len;
        return 1;
    }
    struct xml_construct c;
    int rc = xml_scan_construct(s->buf, s->len, p, &c);
    /* Outside an envelope neither an end tag nor CDATA can come, whole or not. */
    if (rc < 0 || (s->depth == 0 && (c.kind == XML_END || c.kind == XML_CDATA)))
        return -1;
    if (rc == 0)
        return 0;
    if (c.kind == XML_END)
        s->depth--;
    else if (c.kind == XML_START && !c.empty)
        s->depth++;
    s->scan = c.end;
    if (s->depth == 0 && (c.kind == XML_END || (c.kind == XML_START && c.empty))) {
        s->step = SPLIT_READY;
        s->end = c.end;
    }
    return 1;
}

static void advance(struct ews_stream_splitter *s)
{
    while (s->step == SPLIT_SCANNING && s->scan < s->len) {
        int rc = step(s);
        if (rc < 0)
            s->step = SPLIT_FAILED;
        if (rc <= 0)
            break;
    }
    if (s->step == SPLIT_SCANNING && s->len > s->max_envelope)
        s->step = SPLIT_FAILED;
}

int ews_stream_splitter_feed(struct ews_stream_splitter *s, const char *data, size_t len)
{
    if (s->step == SPLIT_FAILED)
        return -1;
    drop_taken(s);
    if (s->len + len > s->cap) {
        size_t cap = s->cap > 0 ? s->cap : 4096;
        while (cap < s->len + len)
            cap *= 2;
        s->buf = xrealloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    advance(s);
    return s->step == SPLIT_FAILED ? -1 : 0;
}

int ews_stream_splitter_next(struct ews_stream_splitter *s, const char **env, size_t *len)
{
    drop_taken(s);
    advance(s);
    if (s->step == SPLIT_FAILED)
        return -1;
    if (s->step != SPLIT_READY)
        return 0;
    *env = s->buf;
    *len = s->end;
    s->taken = s->end;
    s->step = SPLIT_SCANNING;
    return 1;
}
