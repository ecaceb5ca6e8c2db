/*
 * ews_parse_int: what the three parts of the EWS response parser share (private to
 * ews_parse.c, ews_parse_item.c and ews_parse_response.c; see ews_parse.h for the API).
 *
 * Every reader takes the parse context, reports a failure with ep_fail() (the first one
 * wins and says where it happened) and returns -1, or 0 on success.
 */
#ifndef MEETINGD_EWS_PARSE_INT_H
#define MEETINGD_EWS_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ews_xtree.h"

#include "ews_parse.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_M "http://schemas.microsoft.com/exchange/services/2006/messages"
#define NS_T "http://schemas.microsoft.com/exchange/services/2006/types"
#define NS_E "http://schemas.microsoft.com/exchange/services/2006/errors"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define FOR_EACH_EL(c, parent)                                                                     \
    for (const struct xnode *c = first_el(parent); c != NULL; c = next_el(c))

/* The state of one parse. */
struct pctx {
    char *err;
    size_t errlen;
    bool failed;
    char where[96];         /* "ResponseMessage 2, item 3 (t:MeetingRequest)" */
    size_t attendee_cap;    /* capacity of the current item's attendee array */
    char skipped[240];      /* why the last field or item that was passed over failed */
    size_t expect_messages; /* the request's count of items (0: not checked) */
    /* Which item field (-1: none) a child's name is, by the name's address (see field_of in
     * ews_parse_item.c); a slot whose name is NULL is empty. */
    struct {
        const char *name;
        int field;
    } field_memo[128];
};

/* parse_item(): this item cannot be used (the response can). */
#define ITEM_UNUSABLE (-2)

/* Converts TEXT (a copy of ours, which it may change) into *OUT; returns 0 or -1. */
typedef int value_parser(char *text, void *out);

/* Growable arrays: room for one more element (*cap doubles, new room zeroed). */
void *ep_grow(void *arr, size_t n, size_t *cap, size_t elsize);

/* Failure and tree helpers. */
__attribute__((format(printf, 2, 3))) int ep_fail(struct pctx *p, const char *fmt, ...);
const char *ep_shown(const char *v, char buf[48]);
bool ns_is(const struct xnode *n, const char *ns);
bool is_el(const struct xnode *n, const char *ns, const char *name);
const struct xnode *first_el(const struct xnode *parent);
const struct xnode *next_el(const struct xnode *n);
const char *prefix_of(const struct xnode *n);
int leaf_text(struct pctx *p, const struct xnode *n, char **out);
char *attr_dup(const struct xnode *n, const char *name);
char *ep_trim(char *s);

/* Typed readers of one leaf element or value. */
int el_string(struct pctx *p, const struct xnode *n, char **out);
int int_from(char *s, void *out);
int bool_from(char *s, void *out);
int response_from(char *s, void *out);
int free_busy_from(char *s, void *out);
int caltype_from(char *s, void *out);
int el_time(struct pctx *p, const struct xnode *n, time_t *out);
int el_int(struct pctx *p, const struct xnode *n, int *out);
int el_bool(struct pctx *p, const struct xnode *n, bool *out);
int el_enum(struct pctx *p, const struct xnode *n, value_parser *from_string, void *out);
int el_int_within(struct pctx *p, const struct xnode *n, int *out, int lo, int hi,
                  const char *complaint);
char *id_attr(struct pctx *p, const struct xnode *n);
int el_id(struct pctx *p, const struct xnode *n, struct item_id *out);
int ep_unexpected(struct pctx *p, const struct xnode *parent, const struct xnode *c);
int once_in(struct pctx *p, bool *seen, const struct xnode *c, const char *parent);
bool first_t(const struct xnode *c, const char *name, bool *got);
int el_date(struct pctx *p, const struct xnode *n, char out[11]);

/* ews_parse_item.c */
int parse_item(struct pctx *p, const struct xnode *n, struct item *it);
int parse_items(struct pctx *p, const struct xnode *items, int msg_no, struct item **arr, size_t *n,
                size_t *n_dropped);

/* ews_parse_dl.c */
int parse_dl_expansion(struct pctx *p, const struct xnode *dl, struct ews_response_message *m);
void dl_members_free(struct ews_response_message *m);

/* ews_parse_response.c */
int paging_attr(struct pctx *p, const struct xnode *el, const char *name, value_parser *parse,
                void *out);
int parse_envelope(struct pctx *p, const struct xtree *doc, const char *operation,
                   struct ews_response *r);

#endif
