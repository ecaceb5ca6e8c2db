/*
 * http: libcurl's multi_socket API glued to libev.
 *
 * Data flow: http_submit() configures an easy handle and either adds it to the multi handle
 * (a slot is free) or appends it to the FIFO queue. curl tells us which sockets to watch
 * (sock_cb -> one ev_io per socket, its state attached with curl_multi_assign) and when to
 * call it back (timer_cb -> one ev_timer). Our ev callbacks call curl_multi_socket_action()
 * and only after it returned read curl's completion messages (collect_done), move finished
 * requests to the `done` list, refill the free slots from the queue and finally run the
 * user callbacks (dispatch). User code never runs inside a curl callback (but on_data,
 * which may only keep bytes), which makes submitting, cancelling and freeing from a user
 * callback safe.
 */
#include "http.h"
#include "http_classify.h"
#include "http_conns.h"

#include <curl/curl.h>
#include <ev.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTP_DEFAULT_MAX_CONCURRENT 8u
#define HTTP_DEFAULT_TIMEOUT_S 60.0
#define HTTP_DEFAULT_CONNECT_TIMEOUT_S 10.0
#define HTTP_DEFAULT_MAX_BODY ((size_t)16 * 1024 * 1024)
#define HTTP_DEFAULT_CONTENT_TYPE "text/xml; charset=utf-8"

#ifndef MEETINGD_VERSION
#define MEETINGD_VERSION "unknown"
#endif

enum http_state { HS_QUEUED, HS_ACTIVE, HS_DONE };

struct http_list {
    struct http_handle *head, *tail;
    size_t n;
};

struct http_handle {
    struct http_client *client;
    struct http_handle *prev, *next;
    enum http_state state;
    CURL *easy; /* owns copies of url, credentials and the POST body */
    struct curl_slist *headers;
    http_done_cb cb;
    void *userdata;
    double t_submit;
    char *buf; /* response body, NUL-terminated when non-NULL */
    size_t len, cap;
    bool too_large;
    CURLcode rc;          /* set when state == HS_DONE */
    const char *fail_msg; /* our own error text, overrides curl's */
    char errbuf[CURL_ERROR_SIZE];
    /* A request that is not idempotent hands its body to curl only through on_read, so that
     * no copy of it can leave without us knowing (see send_once_rules). */
    bool send_once;
    char *body;
    size_t body_len, body_pos;
    bool body_started;    /* a body byte went to curl: the server may act on it */
    long body_port;       /* the connection that byte went to (its local port) */
    bool auth_challenge;  /* 401/407 since the body started: a new round is allowed */
    bool resend_refused;  /* curl wanted to send the body a second time; refused */
    bool conn_bound_auth; /* NTLM or Negotiate: the handshake needs its connection */
    void (*on_data)(const char *data, size_t len, void *userdata); /* see http_request */
};

/* One watched socket; attached to curl's socket with curl_multi_assign(). */
struct http_sock {
    ev_io io;
    struct http_client *client;
    curl_socket_t fd;
    struct http_sock *prev, *next;
};

struct http_client {
    struct ev_loop *loop;
    CURLM *multi;
    ev_timer timer;    /* curl's own timeout */
    ev_timer dispatch; /* 0 s: deliver completions produced outside an ev callback */
    struct http_list queued, active, done;
    struct http_sock *socks;
    struct http_conns conns; /* every open connection (on_open_socket) */
    unsigned max_concurrent;
    long timeout_ms, connect_timeout_ms;
    size_t max_body;
    bool tls_insecure;
    char *ca_file, *user_agent, *proxy;
    struct http_stats stats;
    unsigned depth;    /* nesting of user callbacks being run */
    bool closing;      /* http_client_free() started or requested: refuse submits */
    bool free_pending; /* free requested from inside a callback */
    bool destroying;   /* client_destroy() running */
};

static void *http_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

static void *http_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *http_xstrdup_opt(const char *s)
{
    return s ? memcpy(http_xmalloc(strlen(s) + 1), s, strlen(s) + 1) : NULL;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long seconds_to_ms(double s)
{
    double ms = s * 1000.0;
    if (ms < 1.0)
        return 1;
    if (ms > 2147483647.0)
        return 2147483647L;
    return (long)ms;
}

static void list_append(struct http_list *l, struct http_handle *h)
{
    h->next = NULL;
    h->prev = l->tail;
    if (l->tail)
        l->tail->next = h;
    else
        l->head = h;
    l->tail = h;
    l->n++;
}

static void list_remove(struct http_list *l, struct http_handle *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        l->head = h->next;
    if (h->next)
        h->next->prev = h->prev;
    else
        l->tail = h->prev;
    h->prev = h->next = NULL;
    l->n--;
}

static struct http_list *list_of(struct http_client *c, struct http_handle *h)
{
    switch (h->state) {
    case HS_QUEUED:
        return &c->queued;
    case HS_ACTIVE:
        return &c->active;
    case HS_DONE:
        break;
    }
    return &c->done;
}

static void handle_free(struct http_handle *h)
{
    if (h->easy)
        curl_easy_cleanup(h->easy);
    curl_slist_free_all(h->headers);
    free(h->buf);
    free(h->body);
    free(h);
}

/* ---- curl -> libev glue ---------------------------------------------------------------- */

static void dispatch(struct http_client *c);
static void collect_done(struct http_client *c);

static void sock_free(struct http_client *c, struct http_sock *s)
{
    ev_io_stop(c->loop, &s->io);
    if (s->prev)
        s->prev->next = s->next;
    else
        c->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    free(s);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct http_sock *s = w->data;
    struct http_client *c = s->client;
    curl_socket_t fd = s->fd;
    int action =
        ((revents & EV_READ) ? CURL_CSELECT_IN : 0) | ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running = 0;

    (void)loop;
    /* `s` may be freed inside this call (CURL_POLL_REMOVE): do not touch it afterwards. */
    curl_multi_socket_action(c->multi, fd, action, &running);
    collect_done(c);
    dispatch(c);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct http_client *c = w->data;
    int running = 0;

    (void)loop;
    (void)revents;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_done(c);
    dispatch(c);
}

static void on_dispatch(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    dispatch(w->data);
}

/* CURLMOPT_SOCKETFUNCTION: keep one ev_io per socket in step with what curl wants. */
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http_client *c = userp;
    struct http_sock *s = socketp;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s)
            sock_free(c, s);
        return 0;
    }
    if (!s) {
        s = http_xmalloc(sizeof(*s));
        memset(s, 0, sizeof(*s));
        s->client = c;
        s->fd = fd;
        ev_init(&s->io, on_io);
        s->io.data = s;
        s->next = c->socks;
        if (c->socks)
            c->socks->prev = s;
        c->socks = s;
        curl_multi_assign(c->multi, fd, s);
    }
    int events = ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    /* ev_io_set is only legal on a stopped watcher. */
    ev_io_stop(c->loop, &s->io);
    ev_io_set(&s->io, fd, events);
    if (events)
        ev_io_start(c->loop, &s->io);
    return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: never call curl from here; arm the ev_timer instead (0 ms
 * becomes a 0 s timer that fires on the next loop iteration), -1 disarms it.
 */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_client *c = userp;

    (void)multi;
    ev_timer_stop(c->loop, &c->timer);
    if (timeout_ms >= 0) {
        ev_timer_set(&c->timer, (double)timeout_ms / 1000.0, 0.0);
        ev_timer_start(c->loop, &c->timer);
    }
    return 0;
}

/* CURLOPT_WRITEFUNCTION: accumulate the body, aborting once it exceeds the cap. */
static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_handle *h = userdata;
    size_t n = size * nmemb;
    size_t max = h->client->max_body;
    if (h->on_data && http_classify_streams(h->easy)) {
        h->on_data(ptr, n, h->userdata);
        return n;
    }
    if (n > max - h->len) {
        h->too_large = true;
        return 0; /* anything but n makes curl fail with CURLE_WRITE_ERROR */
    }
    if (h->len + n + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < h->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        h->buf = http_xrealloc(h->buf, cap);
        h->cap = cap;
    }
    memcpy(h->buf + h->len, ptr, n);
    h->len += n;
    h->buf[h->len] = '\0';
    return n;
}

/*
 * send_once_rules: libcurl re-sends a request on a fresh connection when a reused one died
 * before any byte of the reply ("Connection died, retrying a fresh connect"); for a POST it
 * rewinds the body first. A server that carried the request out and then closed the
 * connection would get it twice. So the body of a request that is not idempotent comes from
 * on_read, byte by byte once: a rewind (on_seek) is refused, and so is reading on another
 * connection than the one the body started on; the request then ends with CURLE_SEND_FAIL_
 * REWIND or CURLE_ABORTED_BY_CALLBACK, reported as HTTP_ERR_NO_REPLY. The one exception is
 * an authentication challenge (401/407, seen by on_header): the server refused the request
 * unread, and NTLM / Negotiate must send it again to complete the handshake.
 */
static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct http_handle *h = userdata;
    long port = -1; /* curl 7.88 names a transfer's connection to callbacks by its ports */

    curl_easy_getinfo(h->easy, CURLINFO_LOCAL_PORT, &port);
    if (h->body_started && port != h->body_port) {
        h->resend_refused = true;
        return CURL_READFUNC_ABORT;
    }
    size_t n = h->body_len - h->body_pos;
    if (n > size * nitems)
        n = size * nitems;
    if (n > 0 && !h->body_started) {
        h->body_started = true;
        h->body_port = port;
    }
    memcpy(buf, h->body + h->body_pos, n);
    h->body_pos += n;
    return n;
}

static int on_seek(void *userdata, curl_off_t offset, int origin)
{
    struct http_handle *h = userdata;

    if (offset != 0 || origin != SEEK_SET || (h->body_started && !h->auth_challenge)) {
        h->resend_refused = true;
        return CURL_SEEKFUNC_FAIL;
    }
    h->body_pos = 0;
    h->body_started = false;
    h->auth_challenge = false;
    return CURL_SEEKFUNC_OK;
}

/*
 * CURLOPT_HEADERFUNCTION: sees each status line. A final status other than 200 (a SOAP
 * fault is a 500, then any error, redirect or refusal) closes the connection after this
 * transfer: Gromox, for one, writes a stray second response after a fault. The challenge
 * of an NTLM or Negotiate handshake is the exception: the handshake goes on on its
 * connection, and curl never reuses such a connection for other credentials.
 */
static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
    struct http_handle *h = userdata;
    size_t n = size * nitems;
    int status = 0;

    if (n > 9 && strncmp(line, "HTTP/", 5) == 0 && sscanf(line + 5, "%*s %3d", &status) == 1 &&
        status >= 200) {
        if (status == 401 || status == 407)
            h->auth_challenge = true;
        if (status != 200 && !(h->auth_challenge && h->conn_bound_auth))
            curl_easy_setopt(h->easy, CURLOPT_FORBID_REUSE, 1L);
    }
    return n;
}

/* Sockets: opened and closed by the client itself, so that a connection about to be reused
 * can be checked for stray bytes (http_conns.h). */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct http_client *c = clientp;
    (void)purpose;
    return http_conns_open(&c->conns, addr);
}

static int on_close_socket(void *clientp, curl_socket_t fd)
{
    struct http_client *c = clientp;
    return http_conns_close(&c->conns, fd);
}

static int on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
    struct http_handle *h = clientp;
    (void)primary_ip;
    (void)local_ip;
    http_conns_before_request(&h->client->conns, local_port, primary_port);
    return CURL_PREREQFUNC_OK;
}

/* ---- queue and completion -------------------------------------------------------------- */

/* Hands a queued or new handle to curl. Returns 0, or -1 with the handle untouched. */
static int start_handle(struct http_client *c, struct http_handle *h)
{
    if (curl_multi_add_handle(c->multi, h->easy) != CURLM_OK)
        return -1;
    h->state = HS_ACTIVE;
    list_append(&c->active, h);
    return 0;
}

static void arm_dispatch(struct http_client *c)
{
    if (c->done.n > 0 && !ev_is_active(&c->dispatch))
        ev_timer_start(c->loop, &c->dispatch);
}

/* Fills free slots from the FIFO queue. */
static void promote(struct http_client *c)
{
    while (!c->closing && c->queued.head && c->active.n < c->max_concurrent) {
        struct http_handle *h = c->queued.head;
        list_remove(&c->queued, h);
        if (start_handle(c, h) < 0) {
            h->state = HS_DONE;
            h->rc = CURLE_FAILED_INIT;
            h->fail_msg = "curl_multi_add_handle failed";
            list_append(&c->done, h);
        }
    }
    arm_dispatch(c);
}

/* Moves transfers curl reports finished from `active` to `done`. Runs no user code. */
static void collect_done(struct http_client *c)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg dies with curl_multi_remove_handle(): copy what we need first. */
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        struct http_handle *h = (struct http_handle *)priv;
        curl_multi_remove_handle(c->multi, easy);
        list_remove(&c->active, h);
        h->state = HS_DONE;
        h->rc = rc;
        list_append(&c->done, h);
        if (rc == CURLE_OK)
            http_conns_mark_answered(&c->conns, easy);
    }
    promote(c);
}

/* Whether the request may have reached the server: the body started (send_once), or
 * curl wrote any of the request. */
static bool request_left(struct http_handle *h)
{
    long req_size = 0;

    if (h->send_once)
        return h->body_started || h->resend_refused;
    curl_easy_getinfo(h->easy, CURLINFO_REQUEST_SIZE, &req_size);
    return req_size > 0;
}

static enum http_result classify(struct http_handle *h)
{
    if (h->rc == CURLE_OK)
        return HTTP_OK;
    return http_classify_curl(h->rc, h->too_large, h->resend_refused, request_left(h));
}

static void account_traffic(struct http_client *c, CURL *easy)
{
    long hdr_in = 0, req_out = 0, nconn = 0;
    curl_off_t down = 0, up = 0;

    curl_easy_getinfo(easy, CURLINFO_HEADER_SIZE, &hdr_in);
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &req_out);
    curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &down);
    curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &nconn);
    c->stats.bytes_in += (uint64_t)(hdr_in > 0 ? hdr_in : 0) + (uint64_t)(down > 0 ? down : 0);
    if (req_out < 0)
        req_out = 0;
    if (up < 0)
        up = 0;
    /*
     * curl counts a small POST body (sent in the same buffer as the headers) in both
     * REQUEST_SIZE and SIZE_UPLOAD, a large one only in SIZE_UPLOAD. In the first case
     * REQUEST_SIZE >= SIZE_UPLOAD, in the second the headers are far smaller than the body.
     */
    c->stats.bytes_out +=
        (uint64_t)req_out < (uint64_t)up ? (uint64_t)req_out + (uint64_t)up : (uint64_t)req_out;
    c->stats.connects += (uint64_t)(nconn > 0 ? nconn : 0);
}

/* Runs the user callback of one finished handle, then frees it. */
static void deliver(struct http_client *c, struct http_handle *h, bool cancelled)
{
    struct http_response r;
    char msg[96], cookie[256];
    curl_off_t retry_after = 0;
    char *ctype = NULL;

    memset(&r, 0, sizeof(r));
    r.elapsed_s = mono_now() - h->t_submit;
    if (cancelled) {
        r.result = HTTP_CANCELLED;
        r.error = "request cancelled: HTTP client shut down";
        c->stats.cancelled++;
    } else {
        r.result = classify(h);
        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r.status);
        curl_easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ctype);
        curl_easy_getinfo(h->easy, CURLINFO_RETRY_AFTER, &retry_after);
        r.content_type = ctype;
        r.retry_after_s = (long)retry_after;
        if (r.status == 401)
            r.bearer_challenge = http_classify_challenge(h->easy, "Bearer");
        r.affinity_cookie = http_classify_affinity_cookie(h->easy, cookie, sizeof(cookie));
        r.client_ = c;
        curl_easy_getinfo(h->easy, CURLINFO_LOCAL_PORT, &r.local_port_);
        curl_easy_getinfo(h->easy, CURLINFO_PRIMARY_PORT, &r.peer_port_);
        account_traffic(c, h->easy);
        if (r.result == HTTP_OK) {
            r.body = h->buf ? h->buf : "";
            r.body_len = h->len;
            c->stats.ok++;
        } else {
            c->stats.failed++;
            if (r.result == HTTP_ERR_TOO_LARGE) {
                snprintf(msg, sizeof(msg), "response body exceeds %zu bytes", c->max_body);
                r.error = msg;
            } else if (h->resend_refused) {
                r.error = "the connection closed before the reply; the request is not sent "
                          "again, as the server may have carried it out";
            } else if (h->fail_msg) {
                r.error = h->fail_msg;
            } else if (h->errbuf[0]) {
                r.error = h->errbuf;
            } else {
                r.error = curl_easy_strerror(h->rc);
            }
        }
        c->stats.completed++;
    }
    c->depth++;
    h->cb(&r, h->userdata);
    c->depth--;
    handle_free(h);
}

static void client_destroy(struct http_client *c);

/*
 * Delivers every finished request. Each callback may submit, cancel (which may unlink
 * entries of `done`) or ask to free the client, so the list head is re-read every time.
 */
static void dispatch(struct http_client *c)
{
    ev_timer_stop(c->loop, &c->dispatch);
    if (c->depth > 0 || c->destroying)
        return; /* the outer dispatch or the destroy loop delivers */
    while (c->done.head && !c->free_pending) {
        struct http_handle *h = c->done.head;
        list_remove(&c->done, h);
        deliver(c, h, false);
    }
    if (c->free_pending)
        client_destroy(c);
}

/* ---- public API ------------------------------------------------------------------------ */

int http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

struct http_client *http_client_new(struct ev_loop *loop, const struct http_client_options *opts)
{
    static const struct http_client_options defaults;
    struct http_client *c;

    if (!loop)
        return NULL;
    if (!opts)
        opts = &defaults;
    c = http_xmalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return NULL;
    }
    c->max_concurrent = opts->max_concurrent ? opts->max_concurrent : HTTP_DEFAULT_MAX_CONCURRENT;
    c->timeout_ms = seconds_to_ms(opts->timeout_s > 0 ? opts->timeout_s : HTTP_DEFAULT_TIMEOUT_S);
    c->connect_timeout_ms = seconds_to_ms(
        opts->connect_timeout_s > 0 ? opts->connect_timeout_s : HTTP_DEFAULT_CONNECT_TIMEOUT_S);
    c->max_body = opts->max_body_bytes ? opts->max_body_bytes : HTTP_DEFAULT_MAX_BODY;
    c->tls_insecure = opts->tls_insecure;
    c->ca_file = http_xstrdup_opt(opts->ca_file);
    c->user_agent =
        http_xstrdup_opt(opts->user_agent ? opts->user_agent : "meetingd/" MEETINGD_VERSION);
    c->proxy = http_xstrdup_opt(opts->proxy);

    long host_conns =
        opts->max_host_connections ? (long)opts->max_host_connections : (long)c->max_concurrent;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* HTTP/1.1 only: one request per connection at a time, no multiplexing. */
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, host_conns);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->max_concurrent);
    /* The idle-connection cache: enough to keep every slot's connection for reuse. */
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->max_concurrent);

    ev_timer_init(&c->timer, on_timer, 0.0, 0.0);
    c->timer.data = c;
    ev_timer_init(&c->dispatch, on_dispatch, 0.0, 0.0);
    c->dispatch.data = c;
    return c;
}

static bool url_scheme_ok(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static int configure_easy(struct http_client *c, struct http_handle *h,
                          const struct http_request *req)
{
    CURL *e = h->easy;
    CURLcode rc = CURLE_OK;
    long auth = CURLAUTH_NONE;

    h->headers = curl_slist_append(NULL, "Expect:"); /* no 100-continue round trip */
    if (!h->headers)
        abort();
    if (req->body) {
        const char *ct = req->content_type ? req->content_type : HTTP_DEFAULT_CONTENT_TYPE;
        size_t n = strlen("Content-Type: ") + strlen(ct) + 1;
        char *line = http_xmalloc(n);
        snprintf(line, n, "Content-Type: %s", ct);
        struct curl_slist *l = curl_slist_append(h->headers, line);
        free(line);
        if (!l)
            abort();
        h->headers = l;
    }
    for (const char *const *p = req->headers; p && *p; p++) {
        struct curl_slist *l = curl_slist_append(h->headers, *p);
        if (!l)
            abort();
        h->headers = l;
    }

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)

    SET(CURLOPT_PRIVATE, h);
    SET(CURLOPT_ERRORBUFFER, h->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    /* EWS does not redirect a SOAP POST; a 3xx is returned to the caller as is. */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_USERAGENT, c->user_agent);
    SET(CURLOPT_HTTPHEADER, h->headers);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, h);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, h);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, h);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, c);
    SET(CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    SET(CURLOPT_CLOSESOCKETDATA, c);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, req->timeout_s > 0 ? seconds_to_ms(req->timeout_s) : c->timeout_ms);
    SET(CURLOPT_SSL_VERIFYPEER, c->tls_insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, c->tls_insecure ? 0L : 2L);
    if (c->ca_file)
        SET(CURLOPT_CAINFO, c->ca_file);
    if (c->proxy)
        SET(CURLOPT_PROXY, c->proxy);
    if (h->send_once) {
        h->body = http_xmalloc(req->body_len);
        memcpy(h->body, req->body, req->body_len);
        h->body_len = req->body_len;
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, h);
        SET(CURLOPT_SEEKFUNCTION, on_seek);
        SET(CURLOPT_SEEKDATA, h);
    } else if (req->body) {
        /* Size first: COPYPOSTFIELDS copies exactly that many bytes (binary-safe). */
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_COPYPOSTFIELDS, req->body_len ? req->body : "");
    }
    if (req->method)
        SET(CURLOPT_CUSTOMREQUEST, req->method);
    switch (req->auth) {
    case HTTP_AUTH_NONE:
        break;
    case HTTP_AUTH_BASIC:
        auth = CURLAUTH_BASIC;
        break;
    case HTTP_AUTH_NTLM:
        auth = CURLAUTH_NTLM;
        break;
    case HTTP_AUTH_NEGOTIATE:
        auth = CURLAUTH_NEGOTIATE;
        break;
    default:
        return -1;
    }
    h->conn_bound_auth = auth == CURLAUTH_NTLM || auth == CURLAUTH_NEGOTIATE;
    if (auth != CURLAUTH_NONE) {
        SET(CURLOPT_HTTPAUTH, auth);
        /* Negotiate takes its identity from the credential cache; "" just enables it. */
        SET(CURLOPT_USERNAME, req->username ? req->username : "");
        SET(CURLOPT_PASSWORD, req->password ? req->password : "");
    }
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

int http_submit(struct http_client *c, const struct http_request *req, http_done_cb cb,
                void *userdata, struct http_handle **out_opt)
{
    struct http_handle *h;

    if (out_opt)
        *out_opt = NULL;
    if (!c || !req || !cb || !req->url || !url_scheme_ok(req->url) || c->closing)
        return -1;
    if (req->body == NULL && req->body_len != 0)
        return -1;
    h = http_xmalloc(sizeof(*h));
    memset(h, 0, sizeof(*h));
    h->client = c;
    h->cb = cb;
    h->userdata = userdata;
    h->t_submit = mono_now();
    /* An empty body cannot be told apart from no body by on_read; it is a request whose
     * headers say everything, and EWS never sends one. */
    h->send_once = req->body && req->body_len > 0 && !req->idempotent;
    h->body_port = -1;
    h->on_data = req->on_data;
    h->easy = curl_easy_init();
    if (!h->easy || configure_easy(c, h, req) < 0) {
        handle_free(h);
        return -1;
    }
    /* FIFO: a free slot goes to the queue's head first. */
    if (c->queued.n == 0 && c->active.n < c->max_concurrent) {
        if (start_handle(c, h) < 0) {
            handle_free(h);
            return -1;
        }
    } else {
        h->state = HS_QUEUED;
        list_append(&c->queued, h);
    }
    c->stats.submitted++;
    if (out_opt)
        *out_opt = h;
    return 0;
}

void http_cancel(struct http_handle *h)
{
    struct http_client *c;

    if (!h)
        return;
    c = h->client;
    list_remove(list_of(c, h), h);
    if (h->state == HS_ACTIVE && !c->destroying)
        curl_multi_remove_handle(c->multi, h->easy); /* may call sock_cb/timer_cb: fine */
    c->stats.cancelled++;
    handle_free(h);
    if (!c->destroying)
        promote(c); /* any resulting completions are delivered from the loop */
}

static void client_destroy(struct http_client *c)
{
    struct http_handle *h;

    c->destroying = true;
    c->closing = true;
    ev_timer_stop(c->loop, &c->dispatch);
    /*
     * Detach every in-flight transfer from curl first, so the callbacks below see a
     * quiescent client; then deliver HTTP_CANCELLED in completion / submission order.
     * A callback may http_cancel() a later request: re-read the list heads each time.
     */
    for (h = c->active.head; h; h = h->next)
        curl_multi_remove_handle(c->multi, h->easy);
    c->depth++;
    for (;;) {
        struct http_list *l = c->done.head     ? &c->done
                              : c->active.head ? &c->active
                              : c->queued.head ? &c->queued
                                               : NULL;
        if (!l)
            break;
        h = l->head;
        list_remove(l, h);
        h->state = HS_DONE; /* no longer in curl; avoids a second remove */
        deliver(c, h, true);
    }
    c->depth--;
    /* curl closes its cached connections here, calling sock_cb: the loop must still exist. */
    curl_multi_cleanup(c->multi);
    while (c->socks)
        sock_free(c, c->socks);
    ev_timer_stop(c->loop, &c->timer);
    http_conns_free(&c->conns);
    free(c->ca_file);
    free(c->user_agent);
    free(c->proxy);
    free(c);
}

void http_client_free(struct http_client *c)
{
    if (!c || c->destroying)
        return;
    c->closing = true;
    if (c->depth > 0) {
        c->free_pending = true; /* dispatch() destroys once the callback returns */
        return;
    }
    client_destroy(c);
}

void http_response_discard_connection(const struct http_response *resp)
{
    if (resp->client_)
        http_conns_discard(&resp->client_->conns, resp->local_port_, resp->peer_port_);
}

size_t http_in_flight(const struct http_client *c)
{
    return c ? c->active.n : 0;
}

size_t http_queued(const struct http_client *c)
{
    return c ? c->queued.n : 0;
}

void http_client_stats(const struct http_client *c, struct http_stats *out)
{
    if (c)
        *out = c->stats;
    else
        memset(out, 0, sizeof(*out));
}
