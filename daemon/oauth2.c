/*
 * oauth2: the token sources (see the header). A source is in one of three steps:
 *
 *   EMPTY    no token, or the one it had is stale or was rejected
 *   FETCHING one token request in flight; callers queue as waiters
 *   READY    a token, fresh until `fresh_until`
 *
 * A finished request (any outcome) answers every waiter and moves to READY or EMPTY.
 */
#include "oauth2.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "log.h"
#include "oauth2_assert.h"
#include "util.h"

/* Share of a token's lifetime after which it is replaced. */
#define OAUTH2_REFRESH_SHARE 0.8
#define OAUTH2_REQUEST_TIMEOUT_S 30.0

enum oauth2_step { OA_EMPTY, OA_FETCHING, OA_READY };

struct oauth2_wait {
    struct oauth2 *source;
    struct oauth2_wait *next;
    oauth2_cb cb;
    void *userdata;
};

struct oauth2 {
    struct oauth2 *next; /* the registry */
    struct http_client *http;
    char *token_url, *client_id, *client_secret, *certificate, *private_key, *scope;
    struct oauth2_signer *signer; /* certificate credentials only */
    enum oauth2_step step;
    char *token;          /* SECRET */
    uint64_t fresh_until; /* monotonic ms */
    struct http_handle *request;
    struct oauth2_wait *waiters;
    unsigned long fetches;
};

static struct oauth2 *registry;

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool matches(const struct oauth2 *o, struct http_client *http, const struct oauth2_params *p)
{
    const char *scope = p->scope ? p->scope : OAUTH2_DEFAULT_SCOPE;
    return o->http == http && same(o->token_url, p->token_url) &&
           same(o->client_id, p->client_id) && same(o->client_secret, p->client_secret) &&
           same(o->certificate, p->certificate) && same(o->private_key, p->private_key) &&
           same(o->scope, scope);
}

static char *dup_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void drop_token(struct oauth2 *o)
{
    util_secure_free(o->token);
    o->token = NULL;
    o->step = o->request ? OA_FETCHING : OA_EMPTY;
}

static void source_free(struct oauth2 *o)
{
    if (o->request)
        http_cancel(o->request);
    while (o->waiters) {
        struct oauth2_wait *w = o->waiters;
        o->waiters = w->next;
        free(w);
    }
    oauth2_signer_free(o->signer);
    util_secure_free(o->token);
    util_secure_free(o->client_secret);
    free(o->token_url);
    free(o->client_id);
    free(o->certificate);
    free(o->private_key);
    free(o->scope);
    free(o);
}

struct oauth2 *oauth2_shared(struct http_client *http, const struct oauth2_params *p, char *err,
                             size_t errlen)
{
    for (struct oauth2 *o = registry; o; o = o->next)
        if (matches(o, http, p))
            return o;
    struct oauth2_signer *signer = NULL;
    if (p->client_secret == NULL) {
        if (p->certificate == NULL || p->private_key == NULL) {
            snprintf(err, errlen, "oauth2 needs a client secret or a certificate and key");
            return NULL;
        }
        signer = oauth2_signer_new(p->certificate, p->private_key, err, errlen);
        if (signer == NULL)
            return NULL;
    }
    struct oauth2 *o = xcalloc(1, sizeof(*o));
    o->http = http;
    o->token_url = xstrdup(p->token_url);
    o->client_id = xstrdup(p->client_id);
    o->client_secret = dup_opt(p->client_secret);
    o->certificate = dup_opt(p->certificate);
    o->private_key = dup_opt(p->private_key);
    o->scope = xstrdup(p->scope ? p->scope : OAUTH2_DEFAULT_SCOPE);
    o->signer = signer;
    o->next = registry;
    registry = o;
    return o;
}

void oauth2_shared_free(struct http_client *http)
{
    struct oauth2 **pp = &registry;
    while (*pp) {
        struct oauth2 *o = *pp;
        if (o->http == http) {
            *pp = o->next;
            source_free(o);
        } else {
            pp = &o->next;
        }
    }
}

const char *oauth2_fresh_token(struct oauth2 *o)
{
    if (o->step == OA_READY && util_monotonic_ms() >= o->fresh_until)
        drop_token(o); /* 80 % of its life is over: the next request gets a new one */
    return o->step == OA_READY ? o->token : NULL;
}

unsigned long oauth2_fetches(const struct oauth2 *o)
{
    return o->fetches;
}

double oauth2_fresh_for_s(struct oauth2 *o)
{
    if (oauth2_fresh_token(o) == NULL)
        return 0.0;
    return (double)(o->fresh_until - util_monotonic_ms()) / 1000.0;
}

void oauth2_reject(struct oauth2 *o, const char *token)
{
    if (o->token && token && strcmp(o->token, token) == 0)
        drop_token(o);
}

/* ---- the token request ----------------------------------------------------------------- */

/* application/x-www-form-urlencoded value of S appended to the growing form *F. */
static void form_add(char **f, const char *name, const char *s)
{
    size_t n = strlen(s);
    char *enc = xmalloc(n * 3 + 1), *e = enc;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *e++ = (char)*p;
        } else {
            e += snprintf(e, 4, "%%%02X", *p);
        }
    }
    *e = '\0';
    char *joined = xasprintf("%s%s%s=%s", *f ? *f : "", *f ? "&" : "", name, enc);
    util_secure_free(enc); /* may hold the client secret */
    util_secure_free(*f);
    *f = joined;
}

/* The request body (a secret: it carries the client secret or a signed assertion). */
static char *token_form(struct oauth2 *o)
{
    char *form = NULL;
    form_add(&form, "grant_type", "client_credentials");
    form_add(&form, "client_id", o->client_id);
    form_add(&form, "scope", o->scope);
    if (o->client_secret) {
        form_add(&form, "client_secret", o->client_secret);
        return form;
    }
    char *assertion = oauth2_signer_assertion(o->signer, o->client_id, o->token_url);
    if (assertion == NULL) {
        util_secure_free(form);
        return NULL;
    }
    form_add(&form, "client_assertion_type",
             "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form_add(&form, "client_assertion", assertion);
    util_secure_free(assertion);
    return form;
}

/* Reads a token answer. On OAUTH2_OK sets *TOKEN (caller frees) and *LIFETIME_S. */
static enum oauth2_status parse_answer(const struct http_response *r, char **token,
                                       long *lifetime_s, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    enum oauth2_status st = r->status >= 400 && r->status < 500 ? OAUTH2_REFUSED : OAUTH2_FAILED;
    if (!json_is_object(root)) {
        snprintf(why, whylen, "HTTP %ld, not a JSON object", r->status);
        json_decref(root);
        return OAUTH2_FAILED;
    }
    const char *error = json_string_value(json_object_get(root, "error"));
    const char *desc = json_string_value(json_object_get(root, "error_description"));
    const char *tok = json_string_value(json_object_get(root, "access_token"));
    const char *type = json_string_value(json_object_get(root, "token_type"));
    json_t *exp = json_object_get(root, "expires_in");
    /* v2.0 endpoints send a number, v1.0 a string of digits. */
    long life = json_is_integer(exp)  ? (long)json_integer_value(exp)
                : json_is_string(exp) ? strtol(json_string_value(exp), NULL, 10)
                                      : 0;
    if (r->status == 200 && tok && *tok && type && strcasecmp(type, "Bearer") == 0 && life > 0) {
        *token = xstrdup(tok);
        *lifetime_s = life;
        st = OAUTH2_OK;
    } else if (error) {
        /* Entra's descriptions carry no secret; cut to the first line (AADSTS code first). */
        snprintf(why, whylen, "HTTP %ld %s: %.*s", r->status, error,
                 desc ? (int)strcspn(desc, "\r\n") : 0, desc ? desc : "");
    } else {
        snprintf(why, whylen, "HTTP %ld without a usable bearer token", r->status);
        if (r->status == 200)
            st = OAUTH2_FAILED;
    }
    json_decref(root);
    return st;
}

static void answer_waiters(struct oauth2 *o, enum oauth2_status st, const char *why)
{
    /* Callbacks may wait again (a new request) or cancel other waits: detach the list. */
    struct oauth2_wait *list = o->waiters;
    o->waiters = NULL;
    while (list) {
        struct oauth2_wait *w = list;
        list = w->next;
        oauth2_cb cb = w->cb;
        void *ud = w->userdata;
        free(w);
        cb(st, st == OAUTH2_OK ? o->token : NULL, why, ud);
    }
}

static void on_token(const struct http_response *r, void *userdata)
{
    struct oauth2 *o = userdata;
    char why[384] = "";
    char *token = NULL;
    long life = 0;
    enum oauth2_status st;

    o->request = NULL;
    if (r->result == HTTP_CANCELLED) {
        st = OAUTH2_CANCELLED;
        snprintf(why, sizeof(why), "cancelled");
    } else if (r->result != HTTP_OK) {
        st = OAUTH2_FAILED;
        snprintf(why, sizeof(why), "%s", r->error ? r->error : http_result_str(r->result));
    } else {
        st = parse_answer(r, &token, &life, why, sizeof(why));
    }
    if (st == OAUTH2_OK) {
        util_secure_free(o->token);
        o->token = token;
        o->step = OA_READY;
        o->fresh_until =
            util_monotonic_ms() + (uint64_t)((double)life * 1000.0 * OAUTH2_REFRESH_SHARE);
        o->fetches++;
        log_info("oauth2: new access token for app %s, valid %ld s", o->client_id, life);
    } else {
        o->step = o->token ? OA_READY : OA_EMPTY;
        if (st != OAUTH2_CANCELLED)
            log_warn("oauth2: token request for app %s failed: %s", o->client_id, why);
    }
    answer_waiters(o, st, why);
}

static int start_request(struct oauth2 *o)
{
    char *form = token_form(o);
    if (form == NULL)
        return -1;
    struct http_request req = {
        .url = o->token_url,
        .body = form,
        .body_len = strlen(form),
        .content_type = "application/x-www-form-urlencoded",
        .auth = HTTP_AUTH_NONE,
        .timeout_s = OAUTH2_REQUEST_TIMEOUT_S,
    };
    int rc = http_submit(o->http, &req, on_token, o, &o->request);
    util_secure_free(form);
    if (rc != 0)
        return -1;
    o->step = OA_FETCHING;
    return 0;
}

int oauth2_wait_token(struct oauth2 *o, oauth2_cb cb, void *userdata,
                      struct oauth2_wait **handle_out)
{
    if (o->request == NULL && start_request(o) != 0)
        return -1;
    struct oauth2_wait *w = xcalloc(1, sizeof(*w));
    w->source = o;
    w->cb = cb;
    w->userdata = userdata;
    /* Appended: waiters are answered in the order they came. */
    struct oauth2_wait **pp = &o->waiters;
    while (*pp)
        pp = &(*pp)->next;
    *pp = w;
    if (handle_out)
        *handle_out = w;
    return 0;
}

void oauth2_cancel(struct oauth2_wait *w)
{
    if (w == NULL)
        return;
    for (struct oauth2_wait **pp = &w->source->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    free(w);
}
