/*
 * ews_parse: hardened parsing of EWS responses (see ews_parse.h).
 *
 * The document is parsed into a libxml2 tree with the safe options only, then walked by
 * hand: every element is matched by namespace URI and local name, every typed value goes
 * through a strict parser, and the first surprise aborts the whole parse with a message that
 * says where it happened. The response is built on the side and only handed out when the
 * walk finished cleanly.
 */
#include "ews_parse.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "util.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_M "http://schemas.microsoft.com/exchange/services/2006/messages"
#define NS_T "http://schemas.microsoft.com/exchange/services/2006/types"
#define NS_E "http://schemas.microsoft.com/exchange/services/2006/errors"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation (util.h's helpers abort on out-of-memory) ---- */

/* Make room for one more element in a growable array: *cap doubles as needed. */
static void *ep_grow(void *arr, size_t n, size_t *cap, size_t elsize)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap == 0 ? 4 : *cap * 2;
    if (ncap < *cap || ncap > SIZE_MAX / elsize)
        abort();
    void *p = realloc(arr, ncap * elsize);
    if (p == NULL)
        abort();
    memset((char *)p + *cap * elsize, 0, (ncap - *cap) * elsize);
    *cap = ncap;
    return p;
}

/* ---- parse context and errors ---- */

struct pctx {
    char *err;
    size_t errlen;
    bool failed;
    bool saw_doctype;
    char xml_error[200]; /* first libxml2 diagnostic, for "malformed XML" reports */
    char where[96];      /* "ResponseMessage 2, item 3 (t:MeetingRequest)" */
    size_t attendee_cap; /* capacity of the current item's attendee array */
};

__attribute__((format(printf, 2, 0))) static int failv(struct pctx *p, const char *fmt, va_list ap)
{
    if (!p->failed) {
        p->failed = true;
        if (p->err != NULL && p->errlen > 0) {
            size_t off = 0;
            if (p->where[0] != '\0') {
                int n = snprintf(p->err, p->errlen, "%s: ", p->where);
                off = n < 0 ? 0 : (size_t)n < p->errlen ? (size_t)n : p->errlen - 1;
            }
            vsnprintf(p->err + off, p->errlen - off, fmt, ap);
        }
    }
    return -1;
}

__attribute__((format(printf, 2, 3))) static int fail(struct pctx *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(p, fmt, ap);
    va_end(ap);
    return -1;
}

/* A short printable rendering of an untrusted value for error messages. */
static const char *shown(const char *v, char buf[48])
{
    size_t i = 0;
    if (v == NULL)
        v = "(null)";
    for (; v[i] != '\0' && i < 40; i++)
        buf[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
    if (v[i] != '\0' && i >= 3) {
        buf[i - 3] = buf[i - 2] = buf[i - 1] = '.';
    }
    buf[i] = '\0';
    return buf;
}

/* ---- tree helpers ---- */

static bool ns_is(const xmlNode *n, const char *ns)
{
    if (ns == NULL)
        return n->ns == NULL;
    return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && ns_is(n, ns) &&
           strcmp((const char *)n->name, name) == 0;
}

static xmlNode *first_el(const xmlNode *parent)
{
    for (xmlNode *c = parent->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

static xmlNode *next_el(const xmlNode *n)
{
    for (xmlNode *c = n->next; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

#define FOR_EACH_EL(c, parent) for (xmlNode *c = first_el(parent); c != NULL; c = next_el(c))

static const char *prefix_of(const xmlNode *n)
{
    if (n->ns == NULL || n->ns->href == NULL)
        return "";
    const char *h = (const char *)n->ns->href;
    if (strcmp(h, NS_T) == 0)
        return "t:";
    if (strcmp(h, NS_M) == 0)
        return "m:";
    if (strcmp(h, NS_SOAP) == 0)
        return "soap:";
    return "{other-ns}:";
}

/* The text content of a leaf element (text and CDATA children), newly allocated. An element
 * child makes it an error: a "leaf" with structure is not what the schema says. */
static int leaf_text(struct pctx *p, const xmlNode *n, char **out)
{
    size_t len = 0;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            len += c->content != NULL ? strlen((const char *)c->content) : 0;
        } else if (c->type == XML_ELEMENT_NODE || c->type == XML_ENTITY_REF_NODE) {
            return fail(p, "%s%s: unexpected child in a text element", prefix_of(n),
                        (const char *)n->name);
        }
    }
    char *s = xcalloc(1, len + 1);
    size_t off = 0;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
            size_t l = strlen((const char *)c->content);
            memcpy(s + off, c->content, l);
            off += l;
        }
    }
    s[off] = '\0';
    *out = s;
    return 0;
}

/* An attribute without namespace, newly allocated (free()), or NULL when absent. */
static char *attr_dup(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (v == NULL)
        return NULL;
    char *s = xstrdup((const char *)v);
    xmlFree(v);
    return s;
}

/* ---- strict scalar parsers ---- */

static bool xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trim XML whitespace in place (xs types other than string collapse it). */
static char *trim(char *s)
{
    while (xml_space(*s))
        s++;
    size_t l = strlen(s);
    while (l > 0 && xml_space(s[l - 1]))
        s[--l] = '\0';
    return s;
}

/* TEXT without its surrounding XML whitespace, copied into BUF; NULL when TEXT does not fit
 * (the callers refuse such a text). */
static const char *trimmed_copy(const char *text, char *buf, size_t size)
{
    size_t l = strlen(text);
    if (l >= size)
        return NULL;
    memcpy(buf, text, l + 1);
    return trim(buf);
}

static int parse_int(const char *text, int *out)
{
    char buf[32];
    const char *s = trimmed_copy(text, buf, sizeof(buf));
    if (s == NULL)
        return -1;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s == '\0')
        return -1;
    long long v = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > (long long)INT_MAX + 1)
            return -1;
    }
    if (neg)
        v = -v;
    if (v < INT_MIN || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_bool(const char *text, bool *out)
{
    char buf[16];
    const char *s = trimmed_copy(text, buf, sizeof(buf));
    if (s == NULL)
        return -1;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* The xs:dateTime / xs:date codec is util's (one for the whole daemon). */
int ews_datetime_parse(const char *text, time_t *out)
{
    return out != NULL ? util_parse_xs_datetime(text, out) : -1;
}

int ews_date_parse(const char *text, char out[11])
{
    return util_parse_xs_date(text, out);
}

/* ---- typed element readers ---- */

static int el_string(struct pctx *p, const xmlNode *n, char **out)
{
    char *s;
    if (leaf_text(p, n, &s) < 0)
        return -1;
    free(*out);
    *out = s;
    return 0;
}

/* Converts TEXT (a copy of ours, which it may change) into *OUT; returns 0 or -1. */
typedef int value_parser(char *text, void *out);

static int datetime_from(char *s, void *out)
{
    return ews_datetime_parse(s, out);
}

static int date_from(char *s, void *out)
{
    return ews_date_parse(s, out);
}

static int int_from(char *s, void *out)
{
    return parse_int(s, out);
}

static int bool_from(char *s, void *out)
{
    return parse_bool(s, out);
}

/* Enumeration values are looked up without their surrounding whitespace. */
static int response_from(char *s, void *out)
{
    return item_response_from_string(trim(s), out);
}

static int free_busy_from(char *s, void *out)
{
    return item_free_busy_from_string(trim(s), out);
}

static int caltype_from(char *s, void *out)
{
    return item_calendar_type_from_string(trim(s), out);
}

/* The text of leaf N converted by PARSE into *OUT; a text PARSE refuses is reported as
 * "t:Name: WHAT "text"". */
static int el_value(struct pctx *p, const xmlNode *n, value_parser *parse, void *out,
                    const char *what)
{
    char *s, b[48];
    if (leaf_text(p, n, &s) < 0)
        return -1;
    int rc = parse(s, out);
    if (rc < 0)
        fail(p, "%s%s: %s \"%s\"", prefix_of(n), (const char *)n->name, what, shown(s, b));
    free(s);
    return rc;
}

static int el_time(struct pctx *p, const xmlNode *n, time_t *out)
{
    return el_value(p, n, datetime_from, out, "invalid xs:dateTime");
}

static int el_int(struct pctx *p, const xmlNode *n, int *out)
{
    return el_value(p, n, int_from, out, "invalid xs:int");
}

static int el_bool(struct pctx *p, const xmlNode *n, bool *out)
{
    return el_value(p, n, bool_from, out, "invalid xs:boolean");
}

/* An enumeration value mapped by FROM_STRING; unknown values are errors. */
static int el_enum(struct pctx *p, const xmlNode *n, value_parser *from_string, void *out)
{
    return el_value(p, n, from_string, out, "unexpected value");
}

/* An xs:int that must lie within [LO, HI]; COMPLAINT says so otherwise. */
static int el_int_within(struct pctx *p, const xmlNode *n, int *out, int lo, int hi,
                         const char *complaint)
{
    if (el_int(p, n, out) < 0)
        return -1;
    if (*out < lo || *out > hi)
        return fail(p, "%s", complaint);
    return 0;
}

/* The required, non-empty Id attribute of N, newly allocated; NULL after failing the parse. */
static char *id_attr(struct pctx *p, const xmlNode *n)
{
    char *id = attr_dup(n, "Id");
    if (id == NULL || id[0] == '\0') {
        free(id);
        fail(p, "%s%s without Id", prefix_of(n), (const char *)n->name);
        return NULL;
    }
    return id;
}

/* An ItemIdType / FolderIdType element: Id required, ChangeKey optional. */
static int el_id(struct pctx *p, const xmlNode *n, struct item_id *out)
{
    char *id = id_attr(p, n);
    if (id == NULL)
        return -1;
    item_id_clear(out);
    out->id = id;
    out->change_key = attr_dup(n, "ChangeKey");
    return 0;
}

/* "t:Parent: unexpected element t:Child" */
static int unexpected(struct pctx *p, const xmlNode *parent, const xmlNode *c)
{
    return fail(p, "%s%s: unexpected element %s%s", prefix_of(parent), (const char *)parent->name,
                prefix_of(c), (const char *)c->name);
}

/* Marks the single-valued child C of t:PARENT as seen; a second one is an error. */
static int once_in(struct pctx *p, bool *seen, const xmlNode *c, const char *parent)
{
    if (*seen)
        return fail(p, "duplicate t:%s in t:%s", (const char *)c->name, parent);
    *seen = true;
    return 0;
}

/* Whether C is the first t:NAME child (*GOT tracks it): where the schema allows one, a second
 * is as unexpected as any other element. */
static bool first_t(const xmlNode *c, const char *name, bool *got)
{
    if (*got || !is_el(c, NS_T, name))
        return false;
    *got = true;
    return true;
}

/* An EmailAddressType element (t:Mailbox). */
static int el_mailbox_inner(struct pctx *p, const xmlNode *mb, struct item_mailbox *out)
{
    bool seen_name = false, seen_addr = false;
    FOR_EACH_EL(c, mb)
    {
        if (is_el(c, NS_T, "Name")) {
            if (once_in(p, &seen_name, c, "Mailbox") < 0 || el_string(p, c, &out->name) < 0)
                return -1;
        } else if (is_el(c, NS_T, "EmailAddress")) {
            if (once_in(p, &seen_addr, c, "Mailbox") < 0 || el_string(p, c, &out->address) < 0)
                return -1;
        }
        /* RoutingType, MailboxType, ItemId, OriginalDisplayName: not needed. */
    }
    return 0;
}

/* A SingleRecipientType element (Organizer, From, Sender): exactly one t:Mailbox. */
static int el_single_recipient(struct pctx *p, const xmlNode *n, struct item_mailbox *out)
{
    const xmlNode *mb = first_el(n);
    if (!is_el(mb, NS_T, "Mailbox") || next_el(mb) != NULL)
        return fail(p, "%s%s must hold exactly one t:Mailbox", prefix_of(n), (const char *)n->name);
    item_mailbox_clear(out);
    return el_mailbox_inner(p, mb, out);
}

static int el_attendees(struct pctx *p, const xmlNode *n, enum attendee_role role, struct item *it)
{
    bool any = false;
    FOR_EACH_EL(a, n)
    {
        if (!is_el(a, NS_T, "Attendee"))
            return unexpected(p, n, a);
        any = true;
        /* Geometric growth: a hostile response may carry a great many attendees. */
        it->attendees =
            ep_grow(it->attendees, it->n_attendees, &p->attendee_cap, sizeof(*it->attendees));
        struct item_attendee *at = &it->attendees[it->n_attendees++];
        at->role = role;
        at->response = RESPONSE_UNKNOWN;
        bool seen_mb = false, seen_rt = false, seen_lrt = false;
        FOR_EACH_EL(c, a)
        {
            if (is_el(c, NS_T, "Mailbox")) {
                if (once_in(p, &seen_mb, c, "Attendee") < 0 ||
                    el_mailbox_inner(p, c, &at->mailbox) < 0)
                    return -1;
            } else if (is_el(c, NS_T, "ResponseType")) {
                if (once_in(p, &seen_rt, c, "Attendee") < 0 ||
                    el_enum(p, c, response_from, &at->response) < 0)
                    return -1;
            } else if (is_el(c, NS_T, "LastResponseTime")) {
                if (once_in(p, &seen_lrt, c, "Attendee") < 0 ||
                    el_time(p, c, &at->last_response_time) < 0)
                    return -1;
            }
            /* ProposedStart / ProposedEnd of an attendee: not used. */
        }
        if (!seen_mb)
            return fail(p, "t:Attendee without t:Mailbox");
    }
    if (!any)
        return fail(p, "empty t:%s", (const char *)n->name);
    return 0;
}

/* ---- recurrence ---- */

/* 1-based position of S among the N NAMES, 0 when it is none of them. */
static int name_number(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i + 1;
    return 0;
}

static int day_bit(const char *s, unsigned *bit)
{
    int i = name_number(item_day_names, ITEM_DAY_NAMES, s);
    if (i == 0)
        return -1;
    *bit = 1u << (i - 1);
    return 0;
}

/* t:DaysOfWeek: a whitespace-separated list (weekly) or a single day (relative patterns). */
static int el_days(struct pctx *p, const xmlNode *n, bool list, unsigned *out)
{
    char *s, b[48];
    if (leaf_text(p, n, &s) < 0)
        return -1;
    unsigned mask = 0;
    int count = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, " \t\r\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        unsigned bit;
        if (day_bit(tok, &bit) < 0) {
            fail(p, "t:DaysOfWeek: unknown day \"%s\"", shown(tok, b));
            free(s);
            return -1;
        }
        mask |= bit;
        count++;
    }
    free(s);
    if (count == 0 || (!list && count != 1))
        return fail(p, "t:DaysOfWeek: expected %s", list ? "at least one day" : "one day");
    *out = mask;
    return 0;
}

/* The 1-based number of a name (t:DayOfWeekIndex, t:Month) into the int *OUT. */
static int number_from(const char *const *names, size_t n, char *s, void *out)
{
    int v = name_number(names, n, trim(s));
    if (v == 0)
        return -1;
    *(int *)out = v;
    return 0;
}

static int index_from(char *s, void *out)
{
    return number_from(item_week_index_names, ITEM_WEEK_INDEX_NAMES, s, out);
}

static int month_from(char *s, void *out)
{
    return number_from(item_month_names, ITEM_MONTH_NAMES, s, out);
}

struct pattern_desc {
    const char *element;
    enum recurrence_pattern pattern;
    bool interval, days, days_list, index, day_of_month, month;
};

static const struct pattern_desc patterns[] = {
    {"DailyRecurrence", REC_DAILY, true, false, false, false, false, false},
    {"WeeklyRecurrence", REC_WEEKLY, true, true, true, false, false, false},
    {"AbsoluteMonthlyRecurrence", REC_ABSOLUTE_MONTHLY, true, false, false, false, true, false},
    {"RelativeMonthlyRecurrence", REC_RELATIVE_MONTHLY, true, true, false, true, false, false},
    {"AbsoluteYearlyRecurrence", REC_ABSOLUTE_YEARLY, false, false, false, false, true, true},
    {"RelativeYearlyRecurrence", REC_RELATIVE_YEARLY, false, true, false, true, false, true},
};

struct range_desc {
    const char *element;
    enum recurrence_range range;
};

static const struct range_desc ranges[] = {
    {"NoEndRecurrence", REC_RANGE_NO_END},
    {"EndDateRecurrence", REC_RANGE_END_DATE},
    {"NumberedRecurrence", REC_RANGE_NUMBERED},
};

static int el_pattern(struct pctx *p, const xmlNode *n, const struct pattern_desc *d,
                      struct item_recurrence *r)
{
    bool got_interval = false, got_days = false, got_index = false, got_dom = false,
         got_month = false;
    r->pattern = d->pattern;
    r->interval = 1;
    FOR_EACH_EL(c, n)
    {
        int rc;
        if (d->interval && first_t(c, "Interval", &got_interval))
            rc = el_int_within(p, c, &r->interval, 1, INT_MAX, "t:Interval must be >= 1");
        else if (d->days && first_t(c, "DaysOfWeek", &got_days))
            rc = el_days(p, c, d->days_list, &r->days_of_week);
        else if (d->days_list && is_el(c, NS_T, "FirstDayOfWeek"))
            rc = 0; /* display hint only */
        else if (d->index && first_t(c, "DayOfWeekIndex", &got_index))
            rc = el_enum(p, c, index_from, &r->day_of_week_index);
        else if (d->day_of_month && first_t(c, "DayOfMonth", &got_dom))
            rc = el_int_within(p, c, &r->day_of_month, 1, 31, "t:DayOfMonth out of range");
        else if (d->month && first_t(c, "Month", &got_month))
            rc = el_enum(p, c, month_from, &r->month);
        else
            rc = unexpected(p, n, c);
        if (rc < 0)
            return -1;
    }
    if (got_interval != d->interval || got_days != d->days || got_index != d->index ||
        got_dom != d->day_of_month || got_month != d->month)
        return fail(p, "t:%s: missing child element", d->element);
    return 0;
}

static int el_date(struct pctx *p, const xmlNode *n, char out[11])
{
    return el_value(p, n, date_from, out, "invalid xs:date");
}

static int el_range(struct pctx *p, const xmlNode *n, enum recurrence_range range,
                    struct item_recurrence *r)
{
    bool got_start = false, got_end = false, got_count = false;
    r->range = range;
    FOR_EACH_EL(c, n)
    {
        int rc;
        if (first_t(c, "StartDate", &got_start))
            rc = el_date(p, c, r->start_date);
        else if (range == REC_RANGE_END_DATE && first_t(c, "EndDate", &got_end))
            rc = el_date(p, c, r->end_date);
        else if (range == REC_RANGE_NUMBERED && first_t(c, "NumberOfOccurrences", &got_count))
            rc = el_int_within(p, c, &r->number_of_occurrences, 1, INT_MAX,
                               "t:NumberOfOccurrences must be >= 1");
        else
            rc = unexpected(p, n, c);
        if (rc < 0)
            return -1;
    }
    if (!got_start || got_end != (range == REC_RANGE_END_DATE) ||
        got_count != (range == REC_RANGE_NUMBERED))
        return fail(p, "t:%s: missing child element", (const char *)n->name);
    return 0;
}

static int el_recurrence(struct pctx *p, const xmlNode *n, struct item *it)
{
    struct item_recurrence r;
    memset(&r, 0, sizeof(r));
    bool got_pattern = false, got_range = false;
    FOR_EACH_EL(c, n)
    {
        const struct pattern_desc *d = NULL;
        const struct range_desc *rd = NULL;
        for (size_t i = 0; i < NELEM(patterns); i++)
            if (is_el(c, NS_T, patterns[i].element))
                d = &patterns[i];
        for (size_t i = 0; i < NELEM(ranges); i++)
            if (is_el(c, NS_T, ranges[i].element))
                rd = &ranges[i];
        int rc;
        if (d != NULL && !got_pattern) {
            got_pattern = true;
            rc = el_pattern(p, c, d, &r);
        } else if (rd != NULL && !got_range) {
            got_range = true;
            rc = el_range(p, c, rd->range, &r);
        } else {
            rc = unexpected(p, n, c);
        }
        if (rc < 0)
            return -1;
    }
    if (!got_pattern || !got_range)
        return fail(p, "t:Recurrence needs one pattern and one range");
    free(it->recurrence);
    it->recurrence = xcalloc(1, sizeof(*it->recurrence));
    *it->recurrence = r;
    return 0;
}

/* t:OccurrenceInfoType: ItemId, Start, End, OriginalStart (all required by the schema). */
static int el_occurrence(struct pctx *p, const xmlNode *n, struct item_occurrence *o)
{
    bool got_id = false, got_start = false, got_end = false, got_orig = false;
    FOR_EACH_EL(c, n)
    {
        int rc;
        if (first_t(c, "ItemId", &got_id))
            rc = el_id(p, c, &o->id);
        else if (first_t(c, "Start", &got_start))
            rc = el_time(p, c, &o->start);
        else if (first_t(c, "End", &got_end))
            rc = el_time(p, c, &o->end);
        else if (first_t(c, "OriginalStart", &got_orig))
            rc = el_time(p, c, &o->original_start);
        else
            rc = unexpected(p, n, c);
        if (rc < 0)
            return -1;
    }
    if (!got_id || !got_start || !got_end || !got_orig)
        return fail(p, "t:%s: missing child element", (const char *)n->name);
    return 0;
}

static int el_modified_occurrences(struct pctx *p, const xmlNode *n, struct item *it)
{
    size_t cap = 0;
    FOR_EACH_EL(c, n)
    {
        if (!is_el(c, NS_T, "Occurrence"))
            return unexpected(p, n, c);
        it->modified_occurrences = ep_grow(it->modified_occurrences, it->n_modified_occurrences,
                                           &cap, sizeof(*it->modified_occurrences));
        /* Count it before parsing so that item_clear() frees a half-filled entry. */
        struct item_occurrence *o = &it->modified_occurrences[it->n_modified_occurrences++];
        if (el_occurrence(p, c, o) < 0)
            return -1;
    }
    if (it->n_modified_occurrences == 0)
        return fail(p, "empty t:ModifiedOccurrences");
    return 0;
}

static int el_deleted_occurrences(struct pctx *p, const xmlNode *n, struct item *it)
{
    size_t cap = 0;
    FOR_EACH_EL(c, n)
    {
        if (!is_el(c, NS_T, "DeletedOccurrence"))
            return unexpected(p, n, c);
        const xmlNode *st = first_el(c);
        if (!is_el(st, NS_T, "Start") || next_el(st) != NULL)
            return fail(p, "t:DeletedOccurrence must hold exactly one t:Start");
        it->deleted_occurrences = ep_grow(it->deleted_occurrences, it->n_deleted_occurrences, &cap,
                                          sizeof(*it->deleted_occurrences));
        if (el_time(p, st, &it->deleted_occurrences[it->n_deleted_occurrences]) < 0)
            return -1;
        it->n_deleted_occurrences++;
    }
    if (it->n_deleted_occurrences == 0)
        return fail(p, "empty t:DeletedOccurrences");
    return 0;
}

/* t:Attachments: the t:AttachmentId Id of each t:FileAttachment, t:ItemAttachment or
 * t:ReferenceAttachment; nothing else of an attachment (name, size, an attached item) is
 * read. An attachment without AttachmentId (the schema allows it) gives no id. An empty
 * t:Attachments breaks the schema but means nothing worse than "none": refusing it would
 * throw away the whole response, every other meeting message of the batch with it. */
static int el_attachments(struct pctx *p, const xmlNode *n, struct item *it)
{
    size_t cap = it->n_attachment_ids;
    FOR_EACH_EL(a, n)
    {
        if (!is_el(a, NS_T, "FileAttachment") && !is_el(a, NS_T, "ItemAttachment") &&
            !is_el(a, NS_T, "ReferenceAttachment"))
            return unexpected(p, n, a);
        const xmlNode *aid = NULL;
        FOR_EACH_EL(c, a)
        {
            if (!is_el(c, NS_T, "AttachmentId"))
                continue;
            if (aid != NULL)
                return fail(p, "t:%s: duplicate t:AttachmentId", (const char *)a->name);
            aid = c;
        }
        if (aid == NULL)
            continue;
        char *id = id_attr(p, aid);
        if (id == NULL)
            return -1;
        it->attachment_ids =
            ep_grow(it->attachment_ids, it->n_attachment_ids, &cap, sizeof(*it->attachment_ids));
        it->attachment_ids[it->n_attachment_ids++] = (struct item_id){.id = id};
    }
    return 0;
}

/* ---- items: a table of the fields we read ---- */

enum field_kind {
    F_STR,
    F_STR_ENUM, /* a string restricted to a schema enumeration (aux = list index) */
    F_BODY,
    F_TIME,
    F_BOOL,
    F_INT,
    F_RESPONSE,
    F_FREE_BUSY,
    F_CALTYPE,
    F_ID,
    F_MAILBOX,
    F_ATTENDEES, /* aux = enum attendee_role */
    F_RECURRENCE,
    F_OCCURRENCE,
    F_MODIFIED_OCCURRENCES,
    F_DELETED_OCCURRENCES,
    F_TZ_DEFINITION, /* t:StartTimeZone: its Id attribute, unless StartTimeZoneId says */
    F_ATTACHMENTS,
};

static const char *const sensitivity_values[] = {"Normal", "Personal", "Private", "Confidential",
                                                 NULL};
static const char *const meeting_request_type_values[] = {
    "None",     "FullUpdate",   "InformationalUpdate", "NewMeetingRequest",
    "Outdated", "SilentUpdate", "PrincipalWantsCopy",  NULL};
static const char *const *const enum_lists[] = {sensitivity_values, meeting_request_type_values};

struct item_field {
    const char *name;
    enum field_kind kind;
    size_t offset;
    int aux;
};

#define FLD(name, kind, member, aux)                                                               \
    {                                                                                              \
        name, kind, offsetof(struct item, member), aux                                             \
    }

static const struct item_field item_fields[] = {
    FLD("ItemClass", F_STR, item_class, 0),
    FLD("ItemId", F_ID, id, 0),
    FLD("ParentFolderId", F_ID, parent_folder_id, 0),
    FLD("Subject", F_STR, subject, 0),
    FLD("Sensitivity", F_STR_ENUM, sensitivity, 0),
    FLD("Body", F_BODY, body, 0),
    FLD("Attachments", F_ATTACHMENTS, attachment_ids, 0),
    FLD("DateTimeReceived", F_TIME, date_time_received, 0),
    FLD("DateTimeSent", F_TIME, date_time_sent, 0),
    FLD("HasAttachments", F_BOOL, has_attachments, 0),
    FLD("Sender", F_MAILBOX, sender, 0),
    FLD("From", F_MAILBOX, from, 0),
    FLD("IsResponseRequested", F_BOOL, is_response_requested, 0),
    FLD("AssociatedCalendarItemId", F_ID, associated_calendar_item_id, 0),
    FLD("IsDelegated", F_BOOL, is_delegated, 0),
    FLD("IsOutOfDate", F_BOOL, is_out_of_date, 0),
    FLD("HasBeenProcessed", F_BOOL, has_been_processed, 0),
    FLD("ResponseType", F_RESPONSE, response_type, 0),
    FLD("UID", F_STR, uid, 0),
    FLD("MeetingRequestType", F_STR_ENUM, meeting_request_type, 1),
    FLD("IntendedFreeBusyStatus", F_FREE_BUSY, intended_free_busy, 0),
    FLD("Start", F_TIME, start, 0),
    FLD("End", F_TIME, end, 0),
    FLD("OriginalStart", F_TIME, original_start, 0),
    FLD("IsAllDayEvent", F_BOOL, is_all_day, 0),
    FLD("LegacyFreeBusyStatus", F_FREE_BUSY, legacy_free_busy, 0),
    FLD("Location", F_STR, location, 0),
    FLD("IsMeeting", F_BOOL, is_meeting, 0),
    FLD("IsCancelled", F_BOOL, is_cancelled, 0),
    FLD("IsRecurring", F_BOOL, is_recurring, 0),
    FLD("CalendarItemType", F_CALTYPE, calendar_item_type, 0),
    FLD("MyResponseType", F_RESPONSE, my_response, 0),
    FLD("Organizer", F_MAILBOX, organizer, 0),
    FLD("RequiredAttendees", F_ATTENDEES, attendees, ROLE_REQUIRED),
    FLD("OptionalAttendees", F_ATTENDEES, attendees, ROLE_OPTIONAL),
    FLD("Resources", F_ATTENDEES, attendees, ROLE_RESOURCE),
    FLD("ConflictingMeetingCount", F_INT, conflicting_meeting_count, 0),
    FLD("AdjacentMeetingCount", F_INT, adjacent_meeting_count, 0),
    FLD("TimeZone", F_STR, time_zone, 0),
    FLD("AppointmentSequenceNumber", F_INT, appointment_sequence_number, 0),
    FLD("Recurrence", F_RECURRENCE, recurrence, 0),
    FLD("FirstOccurrence", F_OCCURRENCE, first_occurrence, 0),
    FLD("LastOccurrence", F_OCCURRENCE, last_occurrence, 0),
    FLD("ModifiedOccurrences", F_MODIFIED_OCCURRENCES, modified_occurrences, 0),
    FLD("DeletedOccurrences", F_DELETED_OCCURRENCES, deleted_occurrences, 0),
    FLD("StartTimeZone", F_TZ_DEFINITION, start_time_zone_id, 0),
    FLD("StartTimeZoneId", F_STR, start_time_zone_id, 0),
    FLD("ProposedStart", F_TIME, proposed_start, 0),
    FLD("ProposedEnd", F_TIME, proposed_end, 0),
};

#define N_ITEM_FIELDS NELEM(item_fields)
_Static_assert(N_ITEM_FIELDS <= 64, "the seen mask is a uint64_t");

static int read_field(struct pctx *p, const struct item_field *f, const xmlNode *c, struct item *it)
{
    void *dst = (char *)it + f->offset;
    char *s = NULL, b[48];
    switch (f->kind) {
    case F_STR:
        return el_string(p, c, dst);
    case F_STR_ENUM: {
        if (leaf_text(p, c, &s) < 0)
            return -1;
        const char *v = trim(s);
        for (const char *const *e = enum_lists[f->aux]; *e != NULL; e++) {
            if (strcmp(v, *e) == 0) {
                char **slot = dst;
                free(*slot);
                *slot = xstrdup(v);
                free(s);
                return 0;
            }
        }
        fail(p, "t:%s: unexpected value \"%s\"", f->name, shown(s, b));
        free(s);
        return -1;
    }
    case F_BODY: {
        char *type = attr_dup(c, "BodyType");
        bool html = type != NULL && strcmp(type, "HTML") == 0;
        bool ok = type != NULL && (html || strcmp(type, "Text") == 0);
        free(type);
        if (!ok)
            return fail(p, "t:Body: BodyType must be HTML or Text");
        it->body_is_html = html;
        return el_string(p, c, &it->body);
    }
    case F_TIME:
        return el_time(p, c, dst);
    case F_BOOL:
        return el_bool(p, c, dst);
    case F_INT:
        return el_int(p, c, dst);
    case F_RESPONSE:
        return el_enum(p, c, response_from, dst);
    case F_FREE_BUSY:
        return el_enum(p, c, free_busy_from, dst);
    case F_CALTYPE:
        return el_enum(p, c, caltype_from, dst);
    case F_ID:
        return el_id(p, c, dst);
    case F_MAILBOX:
        return el_single_recipient(p, c, dst);
    case F_ATTENDEES:
        return el_attendees(p, c, (enum attendee_role)f->aux, it);
    case F_RECURRENCE:
        return el_recurrence(p, c, it);
    case F_OCCURRENCE:
        return el_occurrence(p, c, dst);
    case F_MODIFIED_OCCURRENCES:
        return el_modified_occurrences(p, c, it);
    case F_DELETED_OCCURRENCES:
        return el_deleted_occurrences(p, c, it);
    case F_TZ_DEFINITION:
        /* The string t:StartTimeZoneId wins when both are sent. */
        if (it->start_time_zone_id == NULL)
            it->start_time_zone_id = attr_dup(c, "Id");
        return 0;
    case F_ATTACHMENTS:
        return el_attachments(p, c, it);
    }
    return fail(p, "internal error: unknown field kind");
}

static enum item_kind kind_of(const char *element)
{
    if (strcmp(element, "Message") == 0)
        return ITEM_MESSAGE;
    if (strcmp(element, "MeetingRequest") == 0)
        return ITEM_MEETING_REQUEST;
    if (strcmp(element, "MeetingCancellation") == 0)
        return ITEM_MEETING_CANCELLATION;
    if (strcmp(element, "MeetingResponse") == 0)
        return ITEM_MEETING_RESPONSE;
    if (strcmp(element, "CalendarItem") == 0)
        return ITEM_CALENDAR;
    return ITEM_OTHER;
}

/* Parse one item element (any element of the types namespace) into *it (initialised). */
static int parse_item(struct pctx *p, const xmlNode *n, struct item *it)
{
    if (!ns_is(n, NS_T))
        return fail(p, "item element %s%s is not in the EWS types namespace", prefix_of(n),
                    (const char *)n->name);
    it->kind = kind_of((const char *)n->name);
    p->attendee_cap = it->n_attendees;
    uint64_t seen = 0;
    FOR_EACH_EL(c, n)
    {
        if (!ns_is(c, NS_T))
            continue; /* foreign extensions: not ours to interpret */
        for (size_t i = 0; i < N_ITEM_FIELDS; i++) {
            const struct item_field *f = &item_fields[i];
            if (strcmp((const char *)c->name, f->name) != 0)
                continue;
            if (seen & (UINT64_C(1) << i))
                return fail(p, "duplicate t:%s", f->name);
            seen |= UINT64_C(1) << i;
            if (read_field(p, f, c, it) < 0)
                return -1;
            break;
        }
    }
    return 0;
}

/* Parse the item children of an Items element into a growing array. */
static int parse_items(struct pctx *p, const xmlNode *items, int msg_no, struct item **arr,
                       size_t *n)
{
    size_t cap = *n;
    FOR_EACH_EL(c, items)
    {
        *arr = ep_grow(*arr, *n, &cap, sizeof(**arr));
        struct item *it = &(*arr)[(*n)++];
        item_init(it);
        snprintf(p->where, sizeof(p->where), "ResponseMessage %d, item %zu (%s%.40s)", msg_no, *n,
                 prefix_of(c), (const char *)c->name);
        if (parse_item(p, c, it) < 0)
            return -1;
    }
    snprintf(p->where, sizeof(p->where), "ResponseMessage %d", msg_no);
    return 0;
}

/* ---- response messages ---- */

/* The BackOffMilliseconds value inside a MessageXml element, if any. */
static int parse_message_xml(struct pctx *p, const xmlNode *mx, unsigned *backoff)
{
    FOR_EACH_EL(v, mx)
    {
        if (!is_el(v, NS_T, "Value"))
            continue;
        char *name = attr_dup(v, "Name");
        bool is_backoff = name != NULL && strcmp(name, "BackOffMilliseconds") == 0;
        free(name);
        if (!is_backoff)
            continue;
        int ms;
        if (el_int_within(p, v, &ms, 0, INT_MAX, "negative BackOffMilliseconds") < 0)
            return -1;
        *backoff = (unsigned)ms;
    }
    return 0;
}

/* The optional attribute NAME of m:RootFolder converted by PARSE into *OUT (left alone when
 * the attribute is absent). */
static int root_folder_attr(struct pctx *p, const xmlNode *rf, const char *name,
                            value_parser *parse, void *out)
{
    char *v = attr_dup(rf, name), b[48];
    if (v == NULL)
        return 0;
    int rc = parse(v, out);
    if (rc < 0)
        fail(p, "m:RootFolder: invalid %s \"%s\"", name, shown(v, b));
    free(v);
    return rc;
}

static int parse_root_folder(struct pctx *p, const xmlNode *rf, int msg_no,
                             struct ews_response_message *m)
{
    m->has_root_folder = true;
    if (root_folder_attr(p, rf, "IndexedPagingOffset", int_from, &m->indexed_paging_offset) < 0 ||
        root_folder_attr(p, rf, "TotalItemsInView", int_from, &m->total_items_in_view) < 0 ||
        root_folder_attr(p, rf, "IncludesLastItemInRange", bool_from,
                         &m->includes_last_item_in_range) < 0)
        return -1;
    bool got_items = false;
    FOR_EACH_EL(c, rf)
    {
        if (is_el(c, NS_T, "Items") && !got_items) {
            got_items = true;
            if (parse_items(p, c, msg_no, &m->items, &m->n_items) < 0)
                return -1;
        } else if (is_el(c, NS_T, "Groups")) {
            /* We never send GroupBy, so grouped results mean a confused server. */
            return fail(p, "m:RootFolder: grouped results (t:Groups) were not requested");
        } else {
            return unexpected(p, rf, c);
        }
    }
    return 0;
}

static bool is_folder_element(const xmlNode *n)
{
    static const char *const names[] = {"Folder", "CalendarFolder", "ContactsFolder",
                                        "SearchFolder", "TasksFolder"};
    for (size_t i = 0; i < NELEM(names); i++)
        if (is_el(n, NS_T, names[i]))
            return true;
    return false;
}

/* The folder properties we read: the same scheme as item_fields, on a smaller scale. */
enum folder_field_kind { FF_ID, FF_STRING, FF_INT };

static const struct folder_field {
    const char *name;
    enum folder_field_kind kind;
    size_t offset;
} folder_fields[] = {
    {"FolderId", FF_ID, offsetof(struct ews_folder, id)},
    {"DisplayName", FF_STRING, offsetof(struct ews_folder, display_name)},
    {"FolderClass", FF_STRING, offsetof(struct ews_folder, folder_class)},
    {"TotalCount", FF_INT, offsetof(struct ews_folder, total_count)},
    {"ChildFolderCount", FF_INT, offsetof(struct ews_folder, child_folder_count)},
    {"UnreadCount", FF_INT, offsetof(struct ews_folder, unread_count)},
};

static int read_folder_field(struct pctx *p, const struct folder_field *ff, const xmlNode *e,
                             struct ews_folder *f)
{
    void *dst = (char *)f + ff->offset;
    switch (ff->kind) {
    case FF_ID:
        return el_id(p, e, dst);
    case FF_STRING:
        return el_string(p, e, dst);
    case FF_INT:
        break;
    }
    return el_int(p, e, dst);
}

static int parse_folders(struct pctx *p, const xmlNode *fs, struct ews_response_message *m)
{
    size_t cap = 0;
    FOR_EACH_EL(c, fs)
    {
        if (!is_folder_element(c))
            return unexpected(p, fs, c);
        m->folders = ep_grow(m->folders, m->n_folders, &cap, sizeof(*m->folders));
        struct ews_folder *f = &m->folders[m->n_folders++];
        f->total_count = f->child_folder_count = f->unread_count = -1;
        unsigned seen = 0;
        FOR_EACH_EL(e, c)
        {
            size_t k = 0;
            while (k < NELEM(folder_fields) && !is_el(e, NS_T, folder_fields[k].name))
                k++;
            if (k == NELEM(folder_fields))
                continue; /* PermissionSet, EffectiveRights...: not needed */
            if (seen & (1u << k))
                return fail(p, "duplicate t:%s in a folder", folder_fields[k].name);
            seen |= 1u << k;
            if (read_folder_field(p, &folder_fields[k], e, f) < 0)
                return -1;
        }
    }
    return 0;
}

static int parse_changes(struct pctx *p, const xmlNode *ch, int msg_no,
                         struct ews_response_message *m)
{
    size_t cap = 0;
    FOR_EACH_EL(c, ch)
    {
        enum ews_sync_change_kind kind;
        if (is_el(c, NS_T, "Create"))
            kind = EWS_SYNC_CREATE;
        else if (is_el(c, NS_T, "Update"))
            kind = EWS_SYNC_UPDATE;
        else if (is_el(c, NS_T, "Delete"))
            kind = EWS_SYNC_DELETE;
        else if (is_el(c, NS_T, "ReadFlagChange"))
            kind = EWS_SYNC_READ_FLAG_CHANGE;
        else
            return unexpected(p, ch, c);
        m->changes = ep_grow(m->changes, m->n_changes, &cap, sizeof(*m->changes));
        struct ews_sync_change *sc = &m->changes[m->n_changes++];
        item_init(&sc->item);
        sc->kind = kind;
        snprintf(p->where, sizeof(p->where), "ResponseMessage %d, change %zu (t:%s)", msg_no,
                 m->n_changes, (const char *)c->name);
        const xmlNode *e = first_el(c);
        if (kind == EWS_SYNC_CREATE || kind == EWS_SYNC_UPDATE) {
            if (e == NULL || next_el(e) != NULL)
                return fail(p, "must hold exactly one item");
            if (parse_item(p, e, &sc->item) < 0)
                return -1;
        } else {
            if (!is_el(e, NS_T, "ItemId"))
                return fail(p, "t:ItemId expected");
            if (el_id(p, e, &sc->item.id) < 0)
                return -1;
            const xmlNode *r = next_el(e);
            if (kind == EWS_SYNC_READ_FLAG_CHANGE) {
                if (!is_el(r, NS_T, "IsRead") || next_el(r) != NULL)
                    return fail(p, "t:IsRead expected after t:ItemId");
                if (el_bool(p, r, &sc->is_read) < 0)
                    return -1;
            } else if (r != NULL) {
                return fail(p, "unexpected element after t:ItemId");
            }
        }
    }
    snprintf(p->where, sizeof(p->where), "ResponseMessage %d", msg_no);
    return 0;
}

static int parse_response_class(struct pctx *p, const xmlNode *rm, enum ews_response_class *out)
{
    char *cls = attr_dup(rm, "ResponseClass"), b[48];
    if (cls == NULL)
        return fail(p, "m:%s without ResponseClass", (const char *)rm->name);
    int rc = 0;
    if (strcmp(cls, "Success") == 0)
        *out = EWS_CLASS_SUCCESS;
    else if (strcmp(cls, "Warning") == 0)
        *out = EWS_CLASS_WARNING;
    else if (strcmp(cls, "Error") == 0)
        *out = EWS_CLASS_ERROR;
    else
        rc = fail(p, "invalid ResponseClass \"%s\"", shown(cls, b));
    free(cls);
    return rc;
}

/* Every m:* child we interpret may appear once; this mask tracks them. */
enum {
    SEEN_TEXT = 1 << 0,
    SEEN_CODE = 1 << 1,
    SEEN_XML = 1 << 2,
    SEEN_ITEMS = 1 << 3,
    SEEN_ROOT = 1 << 4,
    SEEN_FOLDERS = 1 << 5,
    SEEN_CONFLICTS = 1 << 6,
    SEEN_SYNC_STATE = 1 << 7,
    SEEN_LAST = 1 << 8,
    SEEN_CHANGES = 1 << 9,
};

static int once(struct pctx *p, unsigned *seen, unsigned bit, const xmlNode *c)
{
    if (*seen & bit)
        return fail(p, "duplicate m:%s", (const char *)c->name);
    *seen |= bit;
    return 0;
}

static int parse_response_message(struct pctx *p, const xmlNode *rm, int msg_no,
                                  struct ews_response_message *m)
{
    snprintf(p->where, sizeof(p->where), "ResponseMessage %d", msg_no);
    m->indexed_paging_offset = -1;
    m->total_items_in_view = -1;
    if (parse_response_class(p, rm, &m->cls) < 0)
        return -1;

    unsigned seen = 0;
    FOR_EACH_EL(c, rm)
    {
        if (!ns_is(c, NS_M))
            return fail(p, "unexpected element %s%s", prefix_of(c), (const char *)c->name);
        const char *name = (const char *)c->name;
        int rc = 0;
        if (strcmp(name, "MessageText") == 0) {
            rc = once(p, &seen, SEEN_TEXT, c) < 0 ? -1 : el_string(p, c, &m->message_text);
        } else if (strcmp(name, "ResponseCode") == 0) {
            rc = once(p, &seen, SEEN_CODE, c) < 0 ? -1 : el_string(p, c, &m->response_code_text);
        } else if (strcmp(name, "MessageXml") == 0) {
            rc = once(p, &seen, SEEN_XML, c) < 0 ? -1 : parse_message_xml(p, c, &m->backoff_ms);
        } else if (strcmp(name, "Items") == 0) {
            rc = once(p, &seen, SEEN_ITEMS, c) < 0
                     ? -1
                     : parse_items(p, c, msg_no, &m->items, &m->n_items);
        } else if (strcmp(name, "RootFolder") == 0) {
            rc = once(p, &seen, SEEN_ROOT, c) < 0 ? -1 : parse_root_folder(p, c, msg_no, m);
        } else if (strcmp(name, "Folders") == 0) {
            rc = once(p, &seen, SEEN_FOLDERS, c) < 0 ? -1 : parse_folders(p, c, m);
        } else if (strcmp(name, "ConflictResults") == 0) {
            if (once(p, &seen, SEEN_CONFLICTS, c) < 0)
                return -1;
            const xmlNode *cnt = first_el(c);
            if (!is_el(cnt, NS_T, "Count") || next_el(cnt) != NULL)
                return fail(p, "m:ConflictResults must hold one t:Count");
            rc = el_int(p, cnt, &m->conflict_count);
        } else if (strcmp(name, "SyncState") == 0) {
            rc = once(p, &seen, SEEN_SYNC_STATE, c) < 0 ? -1 : el_string(p, c, &m->sync_state);
        } else if (strcmp(name, "IncludesLastItemInRange") == 0) {
            rc = once(p, &seen, SEEN_LAST, c) < 0 ? -1
                                                  : el_bool(p, c, &m->includes_last_item_in_range);
        } else if (strcmp(name, "Changes") == 0) {
            rc = once(p, &seen, SEEN_CHANGES, c) < 0 ? -1 : parse_changes(p, c, msg_no, m);
        }
        /* DescriptiveLinkKey, HighlightTerms, Notifications...: not ours. */
        if (rc < 0)
            return -1;
    }

    if (m->response_code_text != NULL) {
        char *code = trim(m->response_code_text);
        if (code != m->response_code_text)
            memmove(m->response_code_text, code, strlen(code) + 1);
        m->code = ews_error_from_name(m->response_code_text);
    } else {
        /* The schema makes ResponseCode optional; only a success can do without it. */
        m->code = m->cls == EWS_CLASS_SUCCESS ? EWS_OK : EWS_ERROR_OTHER;
    }
    /* Contradictions mean we cannot tell whether the operation happened: refuse. */
    if (m->cls == EWS_CLASS_SUCCESS && m->code != EWS_OK)
        return fail(p, "ResponseClass Success with ResponseCode %s",
                    m->response_code_text != NULL ? m->response_code_text : "(none)");
    if (m->cls == EWS_CLASS_ERROR && m->code == EWS_OK)
        return fail(p, "ResponseClass Error with ResponseCode NoError");
    return 0;
}

/* ---- SOAP fault ---- */

static int parse_fault(struct pctx *p, const xmlNode *f, struct ews_response *r)
{
    snprintf(p->where, sizeof(p->where), "soap:Fault");
    r->is_fault = true;
    char *faultcode = NULL, *detail_code = NULL;
    bool got_string = false;
    int rc = 0;
    FOR_EACH_EL(c, f)
    {
        /* faultcode, faultstring, faultactor and detail are unqualified in SOAP 1.1. */
        if (is_el(c, NULL, "faultcode") && faultcode == NULL) {
            rc = el_string(p, c, &faultcode);
        } else if (is_el(c, NULL, "faultstring") && !got_string) {
            got_string = true;
            rc = el_string(p, c, &r->fault_string);
        } else if (is_el(c, NULL, "faultactor")) {
            continue;
        } else if (is_el(c, NULL, "detail")) {
            FOR_EACH_EL(d, c)
            {
                if (is_el(d, NS_E, "ResponseCode") && detail_code == NULL)
                    rc = el_string(p, d, &detail_code);
                else if (is_el(d, NS_T, "MessageXml") || is_el(d, NS_M, "MessageXml"))
                    rc = parse_message_xml(p, d, &r->fault_backoff_ms);
                if (rc < 0)
                    break;
            }
        } else {
            rc = fail(p, "unexpected element %s%s", prefix_of(c), (const char *)c->name);
        }
        if (rc < 0)
            break;
    }
    if (rc == 0 && (faultcode == NULL || !got_string))
        rc = fail(p, "faultcode and faultstring are required");
    if (rc < 0) {
        free(faultcode);
        free(detail_code);
        return -1;
    }
    if (detail_code != NULL) {
        r->fault_code_text = xstrdup(trim(detail_code));
        r->fault_code = ews_error_from_name(r->fault_code_text);
    } else {
        /* faultcode is a QName such as "a:ErrorServerBusy" or "s:Client". */
        const char *qn = trim(faultcode);
        const char *colon = strrchr(qn, ':');
        r->fault_code_text = xstrdup(qn);
        r->fault_code = ews_error_from_name(colon != NULL ? colon + 1 : qn);
    }
    /* A fault is never a success, whatever its code says. */
    if (r->fault_code == EWS_OK)
        r->fault_code = EWS_ERROR_OTHER;
    free(faultcode);
    free(detail_code);
    return 0;
}

/* ---- envelope ---- */

static bool name_is_op(const char *name, const char *operation, const char *suffix)
{
    size_t nl = strlen(name), sl = strlen(suffix);
    if (operation == NULL)
        return nl > sl && strcmp(name + nl - sl, suffix) == 0;
    size_t ol = strlen(operation);
    return nl == ol + sl && strncmp(name, operation, ol) == 0 && strcmp(name + ol, suffix) == 0;
}

static int parse_operation_response(struct pctx *p, const xmlNode *resp, const char *operation,
                                    struct ews_response *r)
{
    const xmlNode *rms = NULL;
    FOR_EACH_EL(c, resp)
    {
        if (is_el(c, NS_M, "ResponseMessages") && rms == NULL)
            rms = c;
        else
            return unexpected(p, resp, c);
    }
    if (rms == NULL)
        return fail(p, "m:%s without m:ResponseMessages", (const char *)resp->name);

    size_t cap = 0;
    FOR_EACH_EL(c, rms)
    {
        if (!ns_is(c, NS_M) || !name_is_op((const char *)c->name, operation, "ResponseMessage"))
            return fail(p, "m:ResponseMessages: unexpected element %s%.60s", prefix_of(c),
                        (const char *)c->name);
        r->messages = ep_grow(r->messages, r->n_messages, &cap, sizeof(*r->messages));
        struct ews_response_message *m = &r->messages[r->n_messages++];
        if (parse_response_message(p, c, (int)r->n_messages, m) < 0)
            return -1;
    }
    p->where[0] = '\0';
    if (r->n_messages == 0)
        return fail(p, "m:ResponseMessages is empty");
    return 0;
}

static int parse_envelope(struct pctx *p, const xmlDoc *doc, const char *operation,
                          struct ews_response *r)
{
    const xmlNode *env = xmlDocGetRootElement(doc);
    if (!is_el(env, NS_SOAP, "Envelope"))
        return fail(p, "root element is not a SOAP 1.1 Envelope");
    const xmlNode *header = NULL, *body = NULL;
    FOR_EACH_EL(c, env)
    {
        if (is_el(c, NS_SOAP, "Header") && header == NULL && body == NULL)
            header = c;
        else if (is_el(c, NS_SOAP, "Body") && body == NULL)
            body = c;
        else
            return unexpected(p, env, c);
    }
    if (body == NULL)
        return fail(p, "soap:Envelope without soap:Body");
    if (header != NULL) {
        FOR_EACH_EL(h, header)
        {
            if (is_el(h, NS_T, "ServerVersionInfo") && r->server_version == NULL)
                r->server_version = attr_dup(h, "Version");
        }
    }
    const xmlNode *content = first_el(body);
    if (content == NULL)
        return fail(p, "empty soap:Body");
    if (next_el(content) != NULL)
        return fail(p, "soap:Body holds more than one element");
    if (is_el(content, NS_SOAP, "Fault"))
        return parse_fault(p, content, r);
    if (!ns_is(content, NS_M) || !name_is_op((const char *)content->name, operation, "Response")) {
        const char *ns =
            content->ns != NULL && content->ns->href != NULL ? (const char *)content->ns->href : "";
        return fail(p, "expected m:%sResponse in soap:Body, got {%.80s}%.60s",
                    operation != NULL ? operation : "*", ns, (const char *)content->name);
    }
    return parse_operation_response(p, content, operation, r);
}

/* ---- libxml2 driver ---- */

/* Collect libxml2's diagnostics instead of letting it print them. */
static void ep_xml_error(void *ctx, xmlErrorPtr e)
{
    struct pctx *p = ctx;
    if (p == NULL || e == NULL || p->xml_error[0] != '\0')
        return;
    const char *msg = e->message != NULL ? e->message : "unknown error";
    snprintf(p->xml_error, sizeof(p->xml_error), "line %d: %s", e->line, msg);
    size_t l = strlen(p->xml_error);
    while (l > 0 && (p->xml_error[l - 1] == '\n' || p->xml_error[l - 1] == '\r'))
        p->xml_error[--l] = '\0';
}

/* SAX hook called at "<!DOCTYPE name ..." before the internal subset is read: stopping there
 * means no entity is ever declared, let alone expanded. EWS never sends a DOCTYPE. */
static void ep_reject_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                              const xmlChar *system_id)
{
    xmlParserCtxtPtr c = ctx;
    struct pctx *p = c->_private;
    p->saw_doctype = true;
    xmlStopParser(c);
}

static xmlDoc *read_document(struct pctx *p, const char *body, size_t len)
{
    xmlInitParser();
    /* libxml2 reports some errors (encoding conversion, for one) without a parser context,
     * through the global handler; swap ours in for the duration of the parse. */
    xmlStructuredErrorFunc old_handler = xmlStructuredError;
    void *old_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(p, ep_xml_error);

    xmlDoc *doc = NULL;
    xmlParserCtxtPtr c = xmlNewParserCtxt();
    if (c != NULL && c->sax != NULL) {
        c->_private = p;
        /* Our own context, so the hook changes no global SAX handler. */
        c->sax->internalSubset = ep_reject_doctype;
        doc = xmlCtxtReadMemory(c, body, (int)len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        /* The hook stops at the DOCTYPE (possibly leaving a stub document); checking the tree
         * as well keeps a DTD out even if a libxml2 version called the hook late. */
        if (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))
            p->saw_doctype = true;
        if (doc != NULL && (p->saw_doctype || !c->wellFormed)) {
            xmlFreeDoc(doc);
            doc = NULL;
        }
    }
    if (c != NULL)
        xmlFreeParserCtxt(c);
    xmlSetStructuredErrorFunc(old_ctx, old_handler);

    if (doc == NULL) {
        if (p->saw_doctype)
            fail(p, "document has a DOCTYPE; DTDs are refused");
        else
            fail(p, "malformed XML: %s", p->xml_error[0] != '\0' ? p->xml_error : "no document");
    }
    return doc;
}

static void message_clear(struct ews_response_message *m)
{
    free(m->response_code_text);
    free(m->message_text);
    item_array_free(m->items, m->n_items);
    for (size_t i = 0; i < m->n_folders; i++) {
        item_id_clear(&m->folders[i].id);
        free(m->folders[i].display_name);
        free(m->folders[i].folder_class);
    }
    free(m->folders);
    free(m->sync_state);
    for (size_t i = 0; i < m->n_changes; i++)
        item_clear(&m->changes[i].item);
    free(m->changes);
}

void ews_response_free(struct ews_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->fault_code_text);
    free(resp->fault_string);
    free(resp->server_version);
    for (size_t i = 0; i < resp->n_messages; i++)
        message_clear(&resp->messages[i]);
    free(resp->messages);
    free(resp);
}

size_t ews_response_message_take_items(struct ews_response_message *m, struct item **items)
{
    size_t n = m->n_items;
    *items = m->items;
    m->items = NULL;
    m->n_items = 0;
    return n;
}

int ews_parse_response_capped(const char *body, size_t len, size_t max_bytes, const char *operation,
                              struct ews_response **out, char *err, size_t errlen)
{
    struct pctx p;
    memset(&p, 0, sizeof(p));
    p.err = err;
    p.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return fail(&p, "no result pointer");
    *out = NULL;
    if (max_bytes == 0)
        max_bytes = EWS_PARSE_DEFAULT_MAX_BYTES;
    if (body == NULL || len == 0)
        return fail(&p, "empty response body");
    if (len > max_bytes || len > INT_MAX)
        return fail(&p, "response body of %zu bytes exceeds the %zu byte limit", len, max_bytes);

    xmlDoc *doc = read_document(&p, body, len);
    if (doc == NULL)
        return -1;
    struct ews_response *r = xcalloc(1, sizeof(*r));
    int rc = parse_envelope(&p, doc, operation, r);
    xmlFreeDoc(doc);
    if (rc < 0 || p.failed) {
        ews_response_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

int ews_parse_response(const char *body, size_t len, const char *operation,
                       struct ews_response **out, char *err, size_t errlen)
{
    return ews_parse_response_capped(body, len, 0, operation, out, err, errlen);
}
