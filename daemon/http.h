/*
 * http: asynchronous HTTP/1.1 client on one libev loop (libcurl multi_socket API).
 *
 * One struct http_client per loop. Requests are submitted with a completion callback and
 * never block the loop: sockets are watched with ev_io, curl's timeouts with one ev_timer.
 * At most `max_concurrent` requests are handed to curl at once; the others wait in a FIFO
 * queue inside the client. Connections are kept alive and reused across requests, except
 * one whose response was not a plain 200 (a SOAP fault, any error status), was truncated or
 * malformed, or carried bytes beyond it: curl closes those, so nothing a misbehaving server
 * writes after a response can be read as the reply to the next request.
 *
 * Callback rules (the contract every caller relies on):
 *  - A callback runs exactly once per submitted request, always from the event loop (never
 *    from inside http_submit), unless the request is cancelled with http_cancel().
 *  - Inside a callback it is allowed to submit new requests, to cancel other requests and to
 *    call http_client_free() (the free is then deferred until the callback returns).
 *  - The struct http_response and everything it points to are valid only during the callback.
 *  - The struct http_handle of a request is invalid once its callback starts, or once
 *    http_cancel() returned: clear any stored pointer to it in the callback.
 *
 * Call http_global_init() once at program start (before any thread exists) and
 * http_global_cleanup() once at exit.
 */
#ifndef MEETINGD_HTTP_H
#define MEETINGD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct http_client;
struct http_handle;

/*
 * Outcome of a request. Only HTTP_OK carries an HTTP status; any status (401, 500...) is OK.
 * HTTP_ERR_NO_REPLY and HTTP_ERR_TIMEOUT are "unknown fate": the request left, and the server
 * may have carried it out (http_result_fate_unknown). A caller must find out from the
 * server's state before it sends a non-idempotent request again.
 */
enum http_result {
    HTTP_OK = 0,        /* a complete HTTP response arrived (any status) */
    HTTP_ERR_TIMEOUT,   /* request sent (at least partly), no complete answer in time */
    HTTP_ERR_CONNECT,   /* name resolution, TCP connect, or connect timeout: nothing was sent,
                           so retrying cannot duplicate the request */
    HTTP_ERR_TLS,       /* TLS handshake or certificate verification failed */
    HTTP_ERR_TOO_LARGE, /* response body exceeded max_body_bytes; transfer aborted */
    HTTP_ERR_TRANSPORT, /* malformed response, any other transport error */
    HTTP_ERR_NO_REPLY,  /* request sent (at least partly), then the connection closed or was
                           reset before a complete answer; not re-sent (see idempotent) */
    HTTP_CANCELLED,     /* only delivered by http_client_free(), see there */
};

enum http_auth {
    HTTP_AUTH_NONE = 0,
    HTTP_AUTH_BASIC,     /* sent preemptively; use over https only */
    HTTP_AUTH_NTLM,      /* challenge/response on one kept-alive connection */
    HTTP_AUTH_NEGOTIATE, /* SPNEGO/Kerberos from the process's credential cache */
};

/*
 * Client settings. A zero-initialised struct (or NULL) means "all defaults"; every zero
 * field takes its default, which is why TLS verification is switched *off* by a true
 * `tls_insecure` rather than switched on by a flag.
 */
struct http_client_options {
    unsigned max_concurrent;       /* requests in flight at once, all hosts (default 8);
                                      the config's max_concurrent_requests. Also caps the
                                      open connections (idle ones are closed to make room) */
    unsigned max_host_connections; /* open connections per host (default max_concurrent) */
    double timeout_s;              /* whole transfer, from when it leaves the queue (60);
                                      time spent queued is not limited, see elapsed_s */
    double connect_timeout_s;      /* TCP + TLS connection set-up (default 10) */
    size_t max_body_bytes;         /* response body cap (default 16 MiB) */
    bool tls_insecure;             /* true: no peer/host verification (tests, lab setups) */
    const char *ca_file;           /* CA bundle (CURLOPT_CAINFO); NULL = system default */
    const char *user_agent;        /* NULL = "meetingd/" MEETINGD_VERSION */
    const char *proxy;             /* NULL = libcurl's environment (https_proxy...), "" = none */
};

struct http_request {
    const char *url;            /* http:// or https:// only (anything else: submit fails) */
    const char *body;           /* NULL = GET; otherwise POST of body_len bytes (copied) */
    size_t body_len;            /* may be 0 for an empty POST */
    const char *content_type;   /* POST only; NULL = "text/xml; charset=utf-8" */
    enum http_auth auth;        /* HTTP_AUTH_NONE: no Authorization header */
    const char *username;       /* copied; never logged */
    const char *password;       /* copied; never logged */
    const char *const *headers; /* optional NULL-terminated "Name: value" list (copied) */
    double timeout_s;           /* 0 = the client's timeout_s */
    /* true: harmless to repeat (a read). libcurl may then re-send it on a fresh connection
     * when a kept-alive one died before the reply. false (the default) for a POST with a
     * body: the body leaves at most once; a connection that dies after it left ends the
     * request with HTTP_ERR_NO_REPLY instead of a silent second copy. Only an
     * authentication challenge (401/407) lets the body go out again, as the server then
     * did not act on it. */
    bool idempotent;
    /* NULL: GET without a body, POST with one; otherwise the method sent instead (PATCH,
     * DELETE: Microsoft Graph's updates and removals), with the body if there is one. */
    const char *method;
    /* Non-NULL: the body of a 2xx response is handed over as it arrives (a long-lived
     * streaming response) instead of being collected; the final callback then has an empty
     * body. Another status's body is collected as usual (a 401's, say).
     * Called from inside the transfer: it may only keep the bytes (no http_* call). */
    void (*on_data)(const char *data, size_t len, void *userdata);
};

struct http_response {
    enum http_result result;
    long status;                  /* HTTP status when known (also set for TOO_LARGE), else 0 */
    const char *body;             /* HTTP_OK: body, NUL-terminated ("" when empty); else NULL */
    size_t body_len;              /* bytes in body, not counting the terminating NUL */
    const char *error;            /* NULL for HTTP_OK; else a human-readable reason */
    double elapsed_s;             /* from http_submit() to completion, queue time included */
    const char *content_type;     /* response Content-Type or NULL */
    long retry_after_s;           /* Retry-After header in seconds, 0 when absent */
    const char *bearer_challenge; /* a 401's "WWW-Authenticate: Bearer ..." value, or NULL */
    /* Exchange's affinity cookie: the value of a "Set-Cookie: X-BackEndOverrideCookie=...",
     * or NULL (see mailbox_stream.c). */
    const char *affinity_cookie;
    /* For http_response_discard_connection() only. */
    struct http_client *client_;
    long local_port_, peer_port_;
};

typedef void (*http_done_cb)(const struct http_response *resp, void *userdata);

/* Counters since the client was created (benchmarks, status line). */
struct http_stats {
    uint64_t submitted; /* accepted by http_submit() */
    uint64_t completed; /* callbacks delivered with any result other than HTTP_CANCELLED */
    uint64_t ok;        /* ... of which HTTP_OK */
    uint64_t failed;    /* ... of which an HTTP_ERR_* */
    uint64_t cancelled; /* http_cancel() calls plus HTTP_CANCELLED deliveries */
    uint64_t connects;  /* new connections opened (requests minus reuses) */
    uint64_t bytes_out; /* request headers + bodies sent */
    uint64_t bytes_in;  /* response headers + bodies received */
};

/* Process-wide libcurl initialisation; call once at start-up. Returns 0 or -1. */
int http_global_init(void);

/* Counterpart of http_global_init(), once at exit after every client is freed. */
void http_global_cleanup(void);

/*
 * Creates a client on `loop` (borrowed; must outlive the client). `opts` may be NULL; its
 * strings are copied. Returns NULL when libcurl refuses the multi handle.
 */
struct http_client *http_client_new(struct ev_loop *loop, const struct http_client_options *opts);

/*
 * Frees the client. Must be called while `loop` still exists. Every request whose callback
 * has not run yet (in flight, queued or completed-but-undelivered) gets its callback now,
 * synchronously, with HTTP_CANCELLED, so owners can release their userdata; in those
 * callbacks http_submit() fails and http_cancel() of other requests still works.
 * Called from inside an http callback, the free is deferred until that callback returns.
 * NULL is allowed.
 */
void http_client_free(struct http_client *client);

/*
 * Submits a request; everything in `req` is copied. `cb` runs later from the loop with the
 * outcome. When `out_opt` is not NULL it receives a handle usable with http_cancel() until
 * the callback starts. Returns 0, or -1 (nothing submitted, no callback) on bad arguments,
 * a URL that is not http(s), or when the client is being freed.
 */
int http_submit(struct http_client *client, const struct http_request *req, http_done_cb cb,
                void *userdata, struct http_handle **out_opt);

/*
 * Cancels a queued or in-flight request. Its callback is NOT called (the caller, who is
 * typically tearing down the userdata, already knows), and the handle is freed.
 */
void http_cancel(struct http_handle *handle);

/*
 * From inside the callback: the connection that carried RESP is never used for another
 * request (a body the caller found malformed, a reply that does not match its request:
 * whatever else the server writes on it cannot be trusted). The HTTP layer itself already
 * closes a connection after a status other than 200, a truncated body or stray bytes.
 */
void http_response_discard_connection(const struct http_response *resp);

/* Requests handed to curl right now (<= max_concurrent). */
size_t http_in_flight(const struct http_client *client);

/* Requests waiting in the client's FIFO queue. */
size_t http_queued(const struct http_client *client);

/* Copies the client's counters into *out. */
void http_client_stats(const struct http_client *client, struct http_stats *out);

/* True when the request may have reached the server without an answer (TIMEOUT, NO_REPLY). */
bool http_result_fate_unknown(enum http_result result);

/* Static name of a result ("ok", "timeout", ...), for logs. */
const char *http_result_str(enum http_result result);

#endif
