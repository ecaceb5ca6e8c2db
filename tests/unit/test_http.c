/*
 * http: the client against a real HTTP/1.1 server started by each test.
 *
 * The server is a forked process group (one acceptor, one process per connection, so a
 * slow response never delays another connection). It serves scripted responses chosen by
 * the request path and records what it saw in a MAP_SHARED page: connections, requests,
 * the peak number of simultaneous requests, the arrival order of `id=` tags and the
 * headers of the last request. Tests assert on both sides: the client's callbacks and the
 * server's record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "http.h"

/* ---- the scripted server (runs in forked processes) ------------------------------------ */

#define MAX_IDS 256

struct shared {
    atomic_int connections, cur_conns, max_conns;
    atomic_int requests, cur_reqs, max_reqs;
    atomic_int order_n;
    int order[MAX_IDS];
    /* The last request; written before its response, read after the callback. */
    char method[16];
    char path[256];
    char auth[512];
    char ctype[256];
    char ua[256];
    char xtest[256];
    int has_expect;
    long body_len;
    char body[8192];
};

struct server {
    pid_t pid;
    int port;
    struct shared *sh;
};

static void bump_max(atomic_int *cur, atomic_int *max)
{
    int now = atomic_fetch_add(cur, 1) + 1;
    int m = atomic_load(max);
    while (now > m && !atomic_compare_exchange_weak(max, &m, now))
        ;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void respond(int fd, int status, const char *reason, const char *extra, const char *body,
                    size_t len)
{
    char head[1024];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s\r\n", status,
                     reason, len, extra ? extra : "");
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
}

/* Copies header `name`'s value out of the header block, or "" when absent. */
static bool get_header(const char *block, size_t blen, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = memchr(block, '\n', blen); /* skip the request line */

    out[0] = '\0';
    while (p && (size_t)(p - block) < blen) {
        p++;
        const char *eol = memchr(p, '\n', blen - (size_t)(p - block));
        if (!eol)
            break;
        if ((size_t)(eol - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            size_t vlen = (size_t)(eol - v);
            if (vlen > 0 && v[vlen - 1] == '\r')
                vlen--;
            if (vlen >= cap)
                vlen = cap - 1;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = eol;
    }
    return false;
}

static long query_long(const char *path, const char *key, long dflt)
{
    const char *q = strchr(path, '?');
    size_t klen = strlen(key);

    while (q) {
        q++;
        if (strncmp(q, key, klen) == 0 && q[klen] == '=')
            return strtol(q + klen + 1, NULL, 10);
        q = strchr(q, '&');
    }
    return dflt;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void send_x_body(int fd, long len, bool chunked)
{
    static char chunk[65536];
    memset(chunk, 'x', sizeof(chunk));
    while (len > 0) {
        size_t n = len > (long)sizeof(chunk) ? sizeof(chunk) : (size_t)len;
        if (chunked) {
            char sz[32];
            int m = snprintf(sz, sizeof(sz), "%zx\r\n", n);
            send_all(fd, sz, (size_t)m);
        }
        send_all(fd, chunk, n);
        if (chunked)
            send_all(fd, "\r\n", 2);
        len -= (long)n;
    }
    if (chunked)
        send_all(fd, "0\r\n\r\n", 5);
}

static void reset_connection(int fd)
{
    struct linger lg = {1, 0}; /* close() then sends RST instead of FIN */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* ---- a minimal NTLM server: enough of the handshake to see whose connection it is ----- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *in && *in != '='; in++) {
        const char *p = strchr(B64, *in);
        if (!p)
            break;
        acc = (acc << 6) | (unsigned)(p - B64);
        bits += 6;
        if (bits >= 8 && n < cap) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n;
}

static void b64_encode(const unsigned char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < len ? in[i + 2] : 0);
        *out++ = B64[v >> 18 & 63];
        *out++ = B64[v >> 12 & 63];
        *out++ = i + 1 < len ? B64[v >> 6 & 63] : '=';
        *out++ = i + 2 < len ? B64[v & 63] : '=';
    }
    *out = '\0';
}

/* The user the connection authenticated as (one process per connection), "" before, and
 * the connection's number. */
static char ntlm_user[64];
static int conn_number;

/* NTLM is bound to the connection: once the handshake is done, requests on it come without
 * an Authorization header and are that user's. The body names the user and the connection. */
static void route_ntlm(int fd, const char *hdrs, size_t hlen, int conn_no)
{
    char auth[512], body[128];
    unsigned char msg[384];
    size_t n = 0;
    get_header(hdrs, hlen, "Authorization", auth, sizeof(auth));
    if (strncmp(auth, "NTLM ", 5) == 0)
        n = b64_decode(auth + 5, msg, sizeof(msg));
    if (n >= 12 && msg[8] == 1) {
        /* Type 2: signature, type, empty target name, flags (Unicode, NTLM), challenge. */
        unsigned char t2[32] = "NTLMSSP";
        t2[8] = 2;
        t2[16] = 32;
        t2[20] = 0x01;
        t2[21] = 0x02;
        memcpy(t2 + 24, "chllenge", 8);
        char head[160] = "WWW-Authenticate: NTLM ";
        b64_encode(t2, sizeof(t2), head + strlen(head));
        strcat(head, "\r\n");
        respond(fd, 401, "Unauthorized", head, "", 0);
        return;
    }
    if (n >= 44 && msg[8] == 3) {
        size_t ulen = (size_t)(msg[36] | msg[37] << 8), uoff = (size_t)(msg[40] | msg[41] << 8);
        size_t k = 0;
        for (size_t i = uoff; i < uoff + ulen && i < n && k + 1 < sizeof(ntlm_user); i += 2)
            ntlm_user[k++] = (char)msg[i]; /* UTF-16LE, ASCII names */
        ntlm_user[k] = '\0';
    }
    if (ntlm_user[0] == '\0') {
        respond(fd, 401, "Unauthorized", "WWW-Authenticate: NTLM\r\n", "", 0);
        return;
    }
    int len = snprintf(body, sizeof(body), "user=%s conn=%d", ntlm_user, conn_no);
    respond(fd, 200, "OK", NULL, body, (size_t)len);
}

/* Answers one request. Returns false when the connection must end. */
static bool route(struct shared *sh, int fd, const char *path, const char *hdrs, size_t hlen,
                  const char *body, size_t blen)
{
    bool keep = true;

    /* The request is "being served" while it waits... */
    if (strncmp(path, "/slow", 5) == 0)
        sleep_ms(query_long(path, "ms", 1000));
    /* ...and leaves the count before the first response byte: the client cannot start
     * its next request before that, so the recorded peak is exact. */
    atomic_fetch_sub(&sh->cur_reqs, 1);

    if (strncmp(path, "/hello", 6) == 0) {
        respond(fd, 200, "OK", "Content-Type: text/plain\r\n", "hello, world", 12);
    } else if (strncmp(path, "/echo", 5) == 0) {
        respond(fd, 200, "OK", "Content-Type: text/xml; charset=utf-8\r\n", body, blen);
    } else if (strncmp(path, "/status/401", 11) == 0) {
        respond(fd, 401, "Unauthorized", "WWW-Authenticate: Basic realm=\"test\"\r\n", "denied", 6);
    } else if (strncmp(path, "/auth", 5) == 0) {
        char auth[512];
        get_header(hdrs, hlen, "Authorization", auth, sizeof(auth));
        if (strcmp(auth, "Basic YWxpY2U6czNjcmV0") == 0)
            respond(fd, 200, "OK", NULL, "welcome", 7);
        else
            respond(fd, 401, "Unauthorized", "WWW-Authenticate: Basic realm=\"test\"\r\n", "denied",
                    6);
    } else if (strncmp(path, "/ntlm2", 6) == 0) {
        route_ntlm(fd, hdrs, hlen, conn_number);
    } else if (strncmp(path, "/ntlm", 5) == 0) {
        respond(fd, 401, "Unauthorized", "WWW-Authenticate: NTLM\r\n", "denied", 6);
    } else if (strncmp(path, "/retry", 6) == 0) {
        respond(fd, 503, "Service Unavailable",
                "Retry-After: 7\r\nContent-Type: text/xml; charset=utf-8\r\n", "<busy/>", 7);
    } else if (strncmp(path, "/redirect", 9) == 0) {
        respond(fd, 302, "Found", "Location: /hello\r\n", "", 0);
    } else if (strncmp(path, "/slow", 5) == 0) {
        respond(fd, 200, "OK", NULL, "slow", 4);
    } else if (strncmp(path, "/big", 4) == 0) {
        long len = query_long(path, "len", 0);
        bool chunked = query_long(path, "chunked", 0) != 0;
        char head[256];
        if (chunked)
            snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        else
            snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %ld\r\n\r\n", len);
        send_all(fd, head, strlen(head));
        send_x_body(fd, len, chunked);
    } else if (strncmp(path, "/drop", 5) == 0) {
        /* Read and "carried out", then closed without one byte of a reply. */
        keep = false;
    } else if (strncmp(path, "/fault", 6) == 0) {
        respond(fd, 500, "Internal Server Error", "Content-Type: text/xml; charset=utf-8\r\n",
                "<fault/>", 8);
    } else if (strncmp(path, "/excess", 7) == 0) {
        /* A response followed, in the same write, by a second one nobody asked for. */
        const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray";
        send_all(fd, r, strlen(r));
    } else if (strncmp(path, "/late", 5) == 0) {
        /* A stray response written a little after the real one. */
        respond(fd, 200, "OK", NULL, "first", 5);
        sleep_ms(100);
        respond(fd, 200, "OK", NULL, "stray", 5);
    } else if (strncmp(path, "/reset", 6) == 0) {
        if (query_long(path, "partial", 0)) {
            const char *part = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
            send_all(fd, part, strlen(part));
            sleep_ms(50);
        }
        reset_connection(fd);
        keep = false;
    } else {
        respond(fd, 404, "Not Found", NULL, "", 0);
    }
    return keep;
}

static void record(struct shared *sh, const char *method, const char *path, const char *hdrs,
                   size_t hlen, const char *body, size_t blen)
{
    char tmp[16];
    long id = query_long(path, "id", -1);

    atomic_fetch_add(&sh->requests, 1);
    bump_max(&sh->cur_reqs, &sh->max_reqs);
    if (id >= 0) {
        int i = atomic_fetch_add(&sh->order_n, 1);
        if (i < MAX_IDS)
            sh->order[i] = (int)id;
    }
    snprintf(sh->method, sizeof(sh->method), "%s", method);
    snprintf(sh->path, sizeof(sh->path), "%s", path);
    get_header(hdrs, hlen, "Authorization", sh->auth, sizeof(sh->auth));
    get_header(hdrs, hlen, "Content-Type", sh->ctype, sizeof(sh->ctype));
    get_header(hdrs, hlen, "User-Agent", sh->ua, sizeof(sh->ua));
    get_header(hdrs, hlen, "X-Test", sh->xtest, sizeof(sh->xtest));
    sh->has_expect = get_header(hdrs, hlen, "Expect", tmp, sizeof(tmp));
    sh->body_len = (long)blen;
    memcpy(sh->body, body, blen < sizeof(sh->body) ? blen : sizeof(sh->body));
}

static char *find_crlfcrlf(char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return buf + i;
    return NULL;
}

static void serve_connection(struct shared *sh, int fd)
{
    static char buf[1 << 20];
    size_t len = 0;

    for (;;) {
        char *end;
        while (!(end = find_crlfcrlf(buf, len))) {
            if (len == sizeof(buf))
                return;
            ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
            if (n <= 0)
                return;
            if (len == 0 && (unsigned char)buf[0] == 0x16) {
                /* A TLS ClientHello on a plain-text server: answer in plain text. */
                const char *r = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
                send_all(fd, r, strlen(r));
                return;
            }
            len += (size_t)n;
        }
        size_t hlen = (size_t)(end - buf) + 4;
        char method[16] = "", path[256] = "", clen_s[32];
        sscanf(buf, "%15s %255s", method, path);
        get_header(buf, hlen, "Content-Length", clen_s, sizeof(clen_s));
        size_t clen = (size_t)strtoul(clen_s, NULL, 10);
        if (hlen + clen > sizeof(buf))
            return;
        while (len < hlen + clen) {
            ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
            if (n <= 0)
                return;
            len += (size_t)n;
        }
        record(sh, method, path, buf, hlen, buf + hlen, clen);
        bool keep = route(sh, fd, path, buf, hlen, buf + hlen, clen);
        memmove(buf, buf + hlen + clen, len - hlen - clen);
        len -= hlen + clen;
        if (!keep)
            return;
    }
}

static void acceptor(struct shared *sh, int lfd)
{
    signal(SIGCHLD, SIG_IGN); /* connection processes reap themselves */
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() == 1)
                _exit(0);
            close(lfd);
            conn_number = atomic_fetch_add(&sh->connections, 1) + 1;
            bump_max(&sh->cur_conns, &sh->max_conns);
            serve_connection(sh, fd);
            atomic_fetch_sub(&sh->cur_conns, 1);
            close(fd);
            _exit(0);
        }
        close(fd);
    }
}

static int server_start(struct server *s)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    s->sh = mmap(NULL, sizeof(*s->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->sh == MAP_FAILED)
        return -1;
    memset(s->sh, 0, sizeof(*s->sh));
    pid_t parent = getpid();
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        setpgid(0, 0); /* one group: the test kills acceptor and connections together */
        /* A crashed test must not leave servers behind holding ctest's output pipe. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        acceptor(s->sh, lfd);
        _exit(0);
    }
    setpgid(s->pid, s->pid);
    close(lfd);
    return 0;
}

static void server_stop(struct server *s)
{
    if (s->pid > 0) {
        kill(-s->pid, SIGKILL);
        /* We are the subreaper: the connection processes come back to us once the
         * acceptor is gone; reap the whole group so no test leaves a process behind. */
        while (waitpid(-s->pid, NULL, 0) > 0 || errno == EINTR)
            ;
    }
    if (s->sh && s->sh != MAP_FAILED)
        munmap(s->sh, sizeof(*s->sh));
}

/* ---- client side helpers --------------------------------------------------------------- */

struct ctx;

struct res {
    struct ctx *ctx;
    int calls;
    int seq; /* completion order, from 1 */
    enum http_result result;
    long status;
    bool body_null, body_terminated;
    size_t body_len;
    char body[16384];
    bool error_null;
    char error[512];
    char ctype[128];
    long retry_after;
    double elapsed;
    int submit_in_cb; /* http_submit's return value when the callback tried to submit */
};

#define NRES 16

struct ctx {
    struct ev_loop *loop;
    struct http_client *client;
    struct server srv;
    int done;
    struct res res[NRES];
    struct http_handle *handles[NRES];
    int chain_left;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    if (!c || server_start(&c->srv) < 0)
        return -1;
    c->loop = ev_loop_new(EVFLAG_AUTO);
    if (!c->loop)
        return -1;
    for (int i = 0; i < NRES; i++)
        c->res[i].ctx = c;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;

    http_client_free(c->client); /* before the loop, as the API requires */
    ev_loop_destroy(c->loop);
    server_stop(&c->srv);
    free(c);
    return 0;
}

static struct http_client *make_client(struct ctx *c, struct http_client_options *o)
{
    struct http_client_options dflt;

    if (!o) {
        memset(&dflt, 0, sizeof(dflt));
        o = &dflt;
    }
    if (!o->proxy)
        o->proxy = ""; /* a proxy from the environment must not capture 127.0.0.1 */
    c->client = http_client_new(c->loop, o);
    assert_non_null(c->client);
    return c->client;
}

static void url(struct ctx *c, char *out, size_t cap, const char *path)
{
    snprintf(out, cap, "http://127.0.0.1:%d%s", c->srv.port, path);
}

static void record_response(struct res *r, const struct http_response *resp)
{
    r->calls++;
    r->seq = ++r->ctx->done;
    r->result = resp->result;
    r->status = resp->status;
    r->body_null = resp->body == NULL;
    r->body_len = resp->body_len;
    if (resp->body) {
        r->body_terminated = resp->body[resp->body_len] == '\0';
        memcpy(r->body, resp->body,
               resp->body_len < sizeof(r->body) ? resp->body_len : sizeof(r->body));
    }
    r->error_null = resp->error == NULL;
    snprintf(r->error, sizeof(r->error), "%s", resp->error ? resp->error : "");
    snprintf(r->ctype, sizeof(r->ctype), "%s", resp->content_type ? resp->content_type : "");
    r->retry_after = resp->retry_after_s;
    r->elapsed = resp->elapsed_s;
}

static void on_done(const struct http_response *resp, void *ud)
{
    record_response(ud, resp);
}

static void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
    *(bool *)w->data = true;
    ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop until `want` callbacks arrived in total; false on timeout. */
static bool run_until_done(struct ctx *c, int want, double timeout_s)
{
    bool expired = false;
    ev_timer guard;

    ev_now_update(c->loop);
    ev_timer_init(&guard, on_guard, timeout_s, 0.0);
    guard.data = &expired;
    ev_timer_start(c->loop, &guard);
    while (c->done < want && !expired)
        ev_run(c->loop, EVRUN_ONCE);
    ev_timer_stop(c->loop, &guard);
    return !expired;
}

/* Runs the loop for `s` seconds, whatever happens. */
static void run_for(struct ctx *c, double s)
{
    bool expired = false;
    ev_timer guard;

    ev_now_update(c->loop);
    ev_timer_init(&guard, on_guard, s, 0.0);
    guard.data = &expired;
    ev_timer_start(c->loop, &guard);
    while (!expired)
        ev_run(c->loop, EVRUN_ONCE);
    ev_timer_stop(c->loop, &guard);
}

/* True when nothing but our guard watches the loop (the client left nothing behind). */
static bool loop_idle(struct ctx *c)
{
    bool expired = false;
    ev_timer guard;

    ev_now_update(c->loop);
    ev_timer_init(&guard, on_guard, 2.0, 0.0);
    guard.data = &expired;
    ev_timer_start(c->loop, &guard);
    ev_unref(c->loop); /* the guard alone does not keep ev_run going */
    ev_run(c->loop, 0);
    ev_ref(c->loop);
    ev_timer_stop(c->loop, &guard);
    return !expired;
}

/* Submits a GET of PATH whose answer CB gets with c->res[SLOT] (the handle in
 * c->handles[SLOT]); http_submit's result. */
static int submit_get_cb(struct ctx *c, const char *path, http_done_cb cb, int slot)
{
    char u[512];
    struct http_request req = {0};

    url(c, u, sizeof(u), path);
    req.url = u;
    return http_submit(c->client, &req, cb, &c->res[slot], &c->handles[slot]);
}

static int submit_get(struct ctx *c, const char *path, int slot)
{
    return submit_get_cb(c, path, on_done, slot);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_get_ok(void **state)
{
    struct ctx *c = *state;
    struct res *r = &c->res[0];

    make_client(c, NULL);
    assert_int_equal(submit_get(c, "/hello", 0), 0);
    assert_non_null(c->handles[0]);
    assert_int_equal(r->calls, 0); /* never called from inside http_submit */
    assert_true(run_until_done(c, 1, 10));
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->result, HTTP_OK);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->body_len, 12);
    assert_memory_equal(r->body, "hello, world", 12);
    assert_true(r->body_terminated);
    assert_true(r->error_null);
    assert_string_equal(r->ctype, "text/plain");
    assert_int_equal(r->retry_after, 0);
    assert_true(r->elapsed > 0.0 && r->elapsed < 10.0);
    assert_string_equal(c->srv.sh->method, "GET");
    assert_string_equal(c->srv.sh->ua, "meetingd/" MEETINGD_VERSION);
    assert_string_equal(c->srv.sh->auth, "");
    assert_int_equal(http_in_flight(c->client), 0);
    assert_int_equal(http_queued(c->client), 0);
    assert_string_equal(http_result_str(HTTP_OK), "ok");
    assert_string_equal(http_result_str(HTTP_ERR_TOO_LARGE), "response too large");
}

static void test_post_body_is_copied(void **state)
{
    struct ctx *c = *state;
    struct res *r = &c->res[0];
    char u[256];
    char body[] = "<soap:Envelope>\0binary\x01</soap:Envelope>";
    size_t blen = sizeof(body) - 1;
    const char *headers[] = {"X-Test: forty-two", NULL};
    struct http_request req = {0};
    struct http_stats st;

    make_client(c, NULL);
    url(c, u, sizeof(u), "/echo");
    req.url = u;
    req.body = body;
    req.body_len = blen;
    req.headers = headers;
    assert_int_equal(http_submit(c->client, &req, on_done, r, NULL), 0);
    memset(body, 'Z', blen); /* the client must have taken its own copy */
    memset(u, 0, sizeof(u));
    assert_true(run_until_done(c, 1, 10));
    assert_int_equal(r->result, HTTP_OK);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->body_len, blen);
    assert_memory_equal(r->body, "<soap:Envelope>\0binary\x01</soap:Envelope>", blen);
    assert_string_equal(c->srv.sh->method, "POST");
    assert_string_equal(c->srv.sh->ctype, "text/xml; charset=utf-8");
    assert_string_equal(c->srv.sh->xtest, "forty-two");
    assert_int_equal(c->srv.sh->has_expect, 0);
    assert_int_equal(c->srv.sh->body_len, (long)blen);

    http_client_stats(c->client, &st);
    assert_int_equal(st.submitted, 1);
    assert_int_equal(st.completed, 1);
    assert_int_equal(st.ok, 1);
    assert_true(st.bytes_out >= blen + 40); /* request line and headers come on top */
    assert_true(st.bytes_in >= blen + 17);  /* "HTTP/1.1 200 OK\r\n" plus the echo */
    assert_true(st.bytes_out < blen + 400);
    assert_true(st.bytes_in < blen + 400);

    /* A large body goes out in several writes; the counters still see it exactly once. */
    uint64_t out_before = st.bytes_out, in_before = st.bytes_in;
    size_t big = 300000;
    char *bigbody = malloc(big);
    assert_non_null(bigbody);
    for (size_t i = 0; i < big; i++)
        bigbody[i] = (char)('a' + i % 26);
    url(c, u, sizeof(u), "/echo");
    req.body = bigbody;
    req.body_len = big;
    req.headers = NULL;
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[1], NULL), 0);
    free(bigbody);
    assert_true(run_until_done(c, 2, 10));
    assert_int_equal(c->res[1].result, HTTP_OK);
    assert_int_equal(c->res[1].body_len, big);
    assert_memory_equal(c->res[1].body, "abcdefghijklmnopqrstuvwxyzabc", 29);
    assert_int_equal(c->srv.sh->body_len, (long)big);
    http_client_stats(c->client, &st);
    assert_true(st.bytes_out - out_before >= big + 40 && st.bytes_out - out_before < big + 400);
    assert_true(st.bytes_in - in_before >= big + 17 && st.bytes_in - in_before < big + 400);
}

static void test_keepalive_reuses_connection(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};
    struct http_stats st;

    make_client(c, &o);
    for (int i = 0; i < 5; i++)
        assert_int_equal(submit_get(c, "/hello", i), 0);
    assert_int_equal(http_in_flight(c->client), 1);
    assert_int_equal(http_queued(c->client), 4);
    assert_true(run_until_done(c, 5, 10));
    for (int i = 0; i < 5; i++) {
        assert_int_equal(c->res[i].result, HTTP_OK);
        assert_int_equal(c->res[i].seq, i + 1); /* FIFO */
    }
    assert_int_equal(atomic_load(&c->srv.sh->requests), 5);
    assert_int_equal(atomic_load(&c->srv.sh->connections), 1);
    http_client_stats(c->client, &st);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.completed, 5);
    assert_true(st.bytes_in >= 5 * 12);
}

static void test_http_error_status_is_ok_result(void **state)
{
    struct ctx *c = *state;

    make_client(c, NULL);
    assert_int_equal(submit_get(c, "/status/401", 0), 0);
    assert_int_equal(submit_get(c, "/retry", 1), 0);
    assert_int_equal(submit_get(c, "/redirect", 2), 0);
    assert_true(run_until_done(c, 3, 10));
    assert_int_equal(c->res[0].result, HTTP_OK);
    assert_int_equal(c->res[0].status, 401);
    assert_memory_equal(c->res[0].body, "denied", 6);
    assert_int_equal(c->res[1].result, HTTP_OK);
    assert_int_equal(c->res[1].status, 503);
    assert_int_equal(c->res[1].retry_after, 7);
    assert_string_equal(c->res[1].ctype, "text/xml; charset=utf-8");
    /* Redirects are reported, not followed. */
    assert_int_equal(c->res[2].result, HTTP_OK);
    assert_int_equal(c->res[2].status, 302);
    assert_int_equal(c->res[2].body_len, 0);
    assert_false(c->res[2].body_null);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 3);
}

/* Sends a GET of PATH as USERNAME / PASSWORD under AUTH into c->res[I] and waits for it: an
 * HTTP answer (HTTP_OK) with STATUS. */
static void get_as(struct ctx *c, const char *path, enum http_auth auth, const char *username,
                   const char *password, int i, long status)
{
    char u[256];
    url(c, u, sizeof(u), path);
    struct http_request req = {.url = u, .auth = auth, .username = username, .password = password};
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[i], NULL), 0);
    assert_true(run_until_done(c, i + 1, 10));
    assert_int_equal(c->res[i].result, HTTP_OK);
    assert_int_equal(c->res[i].status, status);
}

static void test_basic_auth(void **state)
{
    struct ctx *c = *state;

    make_client(c, NULL);
    get_as(c, "/auth", HTTP_AUTH_BASIC, "alice", "s3cret", 0, 200);
    assert_memory_equal(c->res[0].body, "welcome", 7);
    assert_string_equal(c->srv.sh->auth, "Basic YWxpY2U6czNjcmV0");
    assert_int_equal(atomic_load(&c->srv.sh->requests), 1); /* sent preemptively */

    get_as(c, "/auth", HTTP_AUTH_BASIC, "alice", "wrong", 1, 401);
    assert_string_equal(c->srv.sh->auth, "Basic YWxpY2U6d3Jvbmc=");
}

static void test_ntlm_auth_starts_handshake(void **state)
{
    struct ctx *c = *state;

    make_client(c, NULL);
    get_as(c, "/ntlm", HTTP_AUTH_NTLM, "CONTOSO\\alice", "s3cret", 0, 401);
    /* base64 of "NTLMSSP\0" followed by message type 1 (negotiate) */
    assert_int_equal(strncmp(c->srv.sh->auth, "NTLM TlRMTVNTUAAB", 17), 0);
}

static void test_timeout(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.timeout_s = 0.5};
    struct res *r = &c->res[0];

    make_client(c, &o);
    assert_int_equal(submit_get(c, "/slow?ms=5000", 0), 0);
    assert_true(run_until_done(c, 1, 10));
    assert_int_equal(r->result, HTTP_ERR_TIMEOUT);
    assert_true(r->body_null);
    assert_false(r->error_null);
    assert_true(strlen(r->error) > 0);
    assert_true(r->elapsed >= 0.45 && r->elapsed < 4.0);

    /* A per-request timeout overrides the client's. */
    char u[256];
    struct http_request req = {0};
    url(c, u, sizeof(u), "/slow?ms=1000");
    req.url = u;
    req.timeout_s = 3.0;
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[1], NULL), 0);
    assert_true(run_until_done(c, 2, 10));
    assert_int_equal(c->res[1].result, HTTP_OK);
    assert_memory_equal(c->res[1].body, "slow", 4);
}

static void test_body_cap(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_body_bytes = 1000};

    make_client(c, &o);
    assert_int_equal(submit_get(c, "/big?len=1000", 0), 0);
    assert_int_equal(submit_get(c, "/big?len=1001", 1), 0);
    assert_int_equal(submit_get(c, "/big?len=1000&chunked=1", 2), 0);
    assert_int_equal(submit_get(c, "/big?len=5000&chunked=1", 3), 0);
    assert_true(run_until_done(c, 4, 10));
    assert_int_equal(c->res[0].result, HTTP_OK);
    assert_int_equal(c->res[0].body_len, 1000);
    assert_int_equal(c->res[0].body[999], 'x');
    assert_true(c->res[0].body_terminated);
    /* Known Content-Length: refused from the headers. */
    assert_int_equal(c->res[1].result, HTTP_ERR_TOO_LARGE);
    assert_int_equal(c->res[1].status, 200);
    assert_true(c->res[1].body_null);
    assert_non_null(strstr(c->res[1].error, "1000"));
    assert_int_equal(c->res[2].result, HTTP_OK);
    assert_int_equal(c->res[2].body_len, 1000);
    /* Chunked: cut off in the write callback. */
    assert_int_equal(c->res[3].result, HTTP_ERR_TOO_LARGE);
    assert_non_null(strstr(c->res[3].error, "1000"));
}

static void test_default_body_cap_is_16_mib(void **state)
{
    struct ctx *c = *state;

    make_client(c, NULL);
    assert_int_equal(submit_get(c, "/big?len=16777216&chunked=1", 0), 0);
    assert_int_equal(submit_get(c, "/big?len=16777217&chunked=1", 1), 0);
    assert_true(run_until_done(c, 2, 60));
    assert_int_equal(c->res[0].result, HTTP_OK);
    assert_int_equal(c->res[0].body_len, 16777216);
    assert_true(c->res[0].body_terminated);
    assert_int_equal(c->res[1].result, HTTP_ERR_TOO_LARGE);
}

static void test_connection_reset(void **state)
{
    struct ctx *c = *state;

    make_client(c, NULL);
    assert_int_equal(submit_get(c, "/reset", 0), 0);
    assert_int_equal(submit_get(c, "/reset?partial=1", 1), 0);
    assert_true(run_until_done(c, 2, 10));
    /* The request had left: whatever the server did with it is unknown. */
    assert_int_equal(c->res[0].result, HTTP_ERR_NO_REPLY);
    assert_true(http_result_fate_unknown(c->res[0].result));
    assert_false(c->res[0].error_null);
    assert_true(c->res[0].body_null);
    assert_int_equal(c->res[1].result, HTTP_ERR_NO_REPLY);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 2);
    assert_false(http_result_fate_unknown(HTTP_ERR_CONNECT));
    assert_string_equal(http_result_str(HTTP_ERR_NO_REPLY), "no reply");
}

static int times_seen(struct ctx *c, int id)
{
    int n = 0, total = atomic_load(&c->srv.sh->order_n);
    for (int i = 0; i < total && i < MAX_IDS; i++)
        n += c->srv.sh->order[i] == id;
    return n;
}

static int submit_post(struct ctx *c, const char *path, bool idempotent, int slot)
{
    char u[512];
    struct http_request req = {0};

    url(c, u, sizeof(u), path);
    req.url = u;
    req.body = "<answer/>";
    req.body_len = 9;
    req.idempotent = idempotent;
    return http_submit(c->client, &req, on_done, &c->res[slot], &c->handles[slot]);
}

/*
 * A server that carries a request out and closes the kept-alive connection without a reply:
 * libcurl would send the request again on a fresh connection. A request that is not
 * idempotent goes out once and comes back as "no reply"; a read may be repeated.
 */
static void test_post_not_resent_when_reused_connection_dies(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};

    make_client(c, &o);
    assert_int_equal(submit_get(c, "/hello", 0), 0);
    assert_int_equal(submit_post(c, "/drop?id=1", false, 1), 0);
    assert_true(run_until_done(c, 2, 10));
    assert_int_equal(c->res[0].result, HTTP_OK);
    assert_int_equal(c->res[1].result, HTTP_ERR_NO_REPLY);
    assert_true(http_result_fate_unknown(c->res[1].result));
    assert_int_equal(times_seen(c, 1), 1);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 2);

    /* The same with a large body, which leaves in several writes. */
    assert_int_equal(submit_get(c, "/hello", 2), 0);
    char u[512], *big = malloc(200000);
    assert_non_null(big);
    memset(big, 'a', 200000);
    url(c, u, sizeof(u), "/drop?id=3");
    struct http_request req = {.url = u, .body = big, .body_len = 200000};
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[3], NULL), 0);
    free(big);
    assert_true(run_until_done(c, 4, 10));
    assert_int_equal(c->res[3].result, HTTP_ERR_NO_REPLY);
    assert_int_equal(times_seen(c, 3), 1);

    /* A read: libcurl tries once more on a fresh connection (which this server drops too). */
    assert_int_equal(submit_get(c, "/hello", 4), 0);
    assert_int_equal(submit_post(c, "/drop?id=5", true, 5), 0);
    assert_true(run_until_done(c, 6, 10));
    assert_int_equal(times_seen(c, 5), 2);
    assert_true(http_result_fate_unknown(c->res[5].result));

    /* The client goes on working afterwards. */
    assert_int_equal(submit_post(c, "/echo?id=6", false, 6), 0);
    assert_true(run_until_done(c, 7, 10));
    assert_int_equal(c->res[6].result, HTTP_OK);
    assert_memory_equal(c->res[6].body, "<answer/>", 9);
    assert_int_equal(times_seen(c, 6), 1);
}

/* Only a 200 leaves its connection open for the next request. */
static void test_error_status_closes_connection(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};
    const char *paths[] = {"/hello", "/hello", "/fault",      "/hello",
                           "/retry", "/hello", "/status/401", "/hello"};

    make_client(c, &o);
    for (int i = 0; i < 8; i++)
        assert_int_equal(submit_get(c, paths[i], i), 0);
    assert_true(run_until_done(c, 8, 10));
    for (int i = 0; i < 8; i++)
        assert_int_equal(c->res[i].result, HTTP_OK);
    assert_int_equal(c->res[2].status, 500);
    assert_memory_equal(c->res[3].body, "hello, world", 12);
    /* hello hello fault | hello retry | hello 401 | hello */
    assert_int_equal(atomic_load(&c->srv.sh->connections), 4);
}

/* Bytes beyond the declared response never reach the next request as its reply. */
static void test_stray_bytes_close_connection(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};

    make_client(c, &o);
    assert_int_equal(submit_get(c, "/excess", 0), 0);
    assert_int_equal(submit_get(c, "/hello", 1), 0);
    assert_true(run_until_done(c, 2, 10));
    assert_int_equal(c->res[0].result, HTTP_OK);
    assert_memory_equal(c->res[0].body, "first", 5);
    assert_int_equal(c->res[1].result, HTTP_OK);
    assert_memory_equal(c->res[1].body, "hello, world", 12);

    /* The stray response arrives while the connection is idle. */
    assert_int_equal(submit_get(c, "/late", 2), 0);
    assert_true(run_until_done(c, 3, 10));
    assert_memory_equal(c->res[2].body, "first", 5);
    run_for(c, 0.5);
    assert_int_equal(submit_get(c, "/hello", 3), 0);
    assert_true(run_until_done(c, 4, 10));
    assert_int_equal(c->res[3].result, HTTP_OK);
    assert_memory_equal(c->res[3].body, "hello, world", 12);
    assert_int_equal(atomic_load(&c->srv.sh->connections), 3);
}

/*
 * NTLM authenticates a connection, not a request: a connection authenticated for one
 * account must never carry another account's request. Two accounts alternate, one request
 * at a time; each answer must be its own account's.
 */
static void test_ntlm_connections_are_not_shared_between_accounts(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};
    const char *users[] = {"alice", "bob", "alice", "bob", "alice", "alice"};
    char u[512];

    make_client(c, &o);
    url(c, u, sizeof(u), "/ntlm2");
    for (int i = 0; i < 6; i++) {
        struct http_request req = {.url = u,
                                   .body = "<answer/>",
                                   .body_len = 9,
                                   .auth = HTTP_AUTH_NTLM,
                                   .username = users[i],
                                   .password = "pw"};
        assert_int_equal(http_submit(c->client, &req, on_done, &c->res[i], NULL), 0);
    }
    assert_true(run_until_done(c, 6, 20));
    int conn_of[2] = {-1, -1}; /* alice, bob: the connection each used last */
    for (int i = 0; i < 6; i++) {
        char want[32], user[32] = "";
        int conn = -1, me = strcmp(users[i], "alice") == 0 ? 0 : 1;
        assert_int_equal(c->res[i].result, HTTP_OK);
        assert_int_equal(c->res[i].status, 200);
        snprintf(want, sizeof(want), "user=%s ", users[i]);
        assert_int_equal(strncmp(c->res[i].body, want, strlen(want)), 0);
        assert_int_equal(sscanf(c->res[i].body, "user=%31s conn=%d", user, &conn), 2);
        assert_int_not_equal(conn, conn_of[1 - me]);
        conn_of[me] = conn;
    }
    /* The body went out once per request, after the handshake. */
    assert_int_equal(c->srv.sh->body_len, 9);
}

static void on_done_discard(const struct http_response *resp, void *ud)
{
    record_response(ud, resp);
    http_response_discard_connection(resp);
}

/* A caller that found a 200 response unusable (malformed, not its reply) discards its
 * connection: the next request goes out on a fresh one. */
static void test_discarded_connection_is_not_reused(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};

    make_client(c, &o);
    assert_int_equal(submit_get_cb(c, "/hello", on_done_discard, 0), 0);
    assert_int_equal(submit_get(c, "/hello", 1), 0);
    assert_int_equal(submit_get(c, "/hello", 2), 0);
    assert_true(run_until_done(c, 3, 10));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c->res[i].result, HTTP_OK);
        assert_memory_equal(c->res[i].body, "hello, world", 12);
    }
    /* The discarded one, then one kept alive for the last two. */
    assert_int_equal(atomic_load(&c->srv.sh->connections), 2);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 3);
}

static void test_connection_refused(void **state)
{
    struct ctx *c = *state;
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    char u[128];
    struct http_request req = {0};

    /* A bound socket that never listens: connecting to it is refused, and nobody else can
     * take the port meanwhile. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);

    make_client(c, NULL);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/hello", ntohs(sa.sin_port));
    req.url = u;
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[0], NULL), 0);
    assert_true(run_until_done(c, 1, 10));
    close(fd);
    assert_int_equal(c->res[0].result, HTTP_ERR_CONNECT);
    assert_false(c->res[0].error_null);
}

static void test_connect_timeout_is_connect_error(void **state)
{
    struct ctx *c = *state;
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    struct http_client_options o = {.connect_timeout_s = 0.3};
    char u[128];
    struct http_request req = {0};
    int fillers[3];

    /* A listener whose accept queue is full drops further SYNs: the connect hangs. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 0), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
    for (int i = 0; i < 3; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&sa, sizeof(sa));
    }
    usleep(100000);

    make_client(c, &o);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/hello", ntohs(sa.sin_port));
    req.url = u;
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[0], NULL), 0);
    assert_true(run_until_done(c, 1, 10));
    for (int i = 0; i < 3; i++)
        close(fillers[i]);
    close(lfd);
    assert_int_equal(c->res[0].result, HTTP_ERR_CONNECT);
    assert_true(c->res[0].elapsed >= 0.25 && c->res[0].elapsed < 5.0);
}

static void test_tls_failure(void **state)
{
    struct ctx *c = *state;
    char u[128];
    struct http_request req = {0};

    make_client(c, NULL);
    /* https to the plain-text server: the handshake fails. */
    snprintf(u, sizeof(u), "https://127.0.0.1:%d/hello", c->srv.port);
    req.url = u;
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[0], NULL), 0);
    assert_true(run_until_done(c, 1, 10));
    assert_int_equal(c->res[0].result, HTTP_ERR_TLS);
    assert_false(c->res[0].error_null);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 0);
}

/* ---- a TLS server (Python's ssl module: python3 is already required by the test suite) --- */

/*
 * Self-signed certificate for 127.0.0.1 / localhost, valid 2000-2100, CA:TRUE so it can be
 * its own trust anchor. Generated for this test only; the key protects nothing.
 */
static const char test_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfzCCASWgAwIBAgIBATAKBggqhkjOPQQDAjAYMRYwFAYDVQQDDA1tZWV0aW5n\n"
    "ZCB0ZXN0MCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAYMRYwFAYD\n"
    "VQQDDA1tZWV0aW5nZCB0ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEia8E\n"
    "zPv32GI/+CPn0eppy/KA2/8YGr2C8Z1QZclwCHrlDSyZliySxwK7urHFwWe+ZEY1\n"
    "GtzkoCXQseAr2XF9q6NeMFwwGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxob3N0MA8G\n"
    "A1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgKEMB0GA1UdDgQWBBS980V5BjfI\n"
    "1k5QvN9QVbeButyRbzAKBggqhkjOPQQDAgNIADBFAiEA7chV0SLm8iSdTSvLNkv2\n"
    "07SpoDE3SlakJ3jGXJiW3DwCIDK2wAajIQ3xamgM2yArVhpyDKEITyUGbhVizt48\n"
    "GeBi\n"
    "-----END CERTIFICATE-----\n";
static const char test_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPoMEbO5U1OJRMWIZ\n"
    "z0a8EiSal65qrlaL8tA3EAoMxbChRANCAASJrwTM+/fYYj/4I+fR6mnL8oDb/xga\n"
    "vYLxnVBlyXAIeuUNLJmWLJLHAru6scXBZ75kRjUa3OSgJdCx4CvZcX2r\n"
    "-----END PRIVATE KEY-----\n";

static const char tls_server_py[] = "import http.server, ssl, sys\n"
                                    "class H(http.server.BaseHTTPRequestHandler):\n"
                                    "    protocol_version = 'HTTP/1.1'\n"
                                    "    def do_GET(self):\n"
                                    "        b = b'secure hello'\n"
                                    "        self.send_response(200)\n"
                                    "        self.send_header('Content-Length', str(len(b)))\n"
                                    "        self.end_headers()\n"
                                    "        self.wfile.write(b)\n"
                                    "    def log_message(self, *a):\n"
                                    "        pass\n"
                                    "srv = http.server.ThreadingHTTPServer((sys.argv[3], 0), H)\n"
                                    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
                                    "ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
                                    "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
                                    "print(srv.server_address[1], flush=True)\n"
                                    "srv.serve_forever()\n";

struct tls_server {
    pid_t pid;
    int port;
    char dir[64];
    char cert[128];
    char key[128];
};

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

/* Starts the TLS server on `host`; returns 0 once it listens (its port is in t->port). */
static int tls_server_start(struct tls_server *t, const char *host)
{
    const char *py = getenv("PYTHON");
    int pfd[2];
    char line[32] = "";
    size_t len = 0;

    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/test-http-tls-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->cert, sizeof(t->cert), "%s/cert.pem", t->dir);
    snprintf(t->key, sizeof(t->key), "%s/key.pem", t->dir);
    if (write_file(t->cert, test_cert_pem) < 0 || write_file(t->key, test_key_pem) < 0 ||
        pipe(pfd) < 0)
        return -1;
    if (!py || !*py)
        py = "python3";
    pid_t parent = getpid();
    t->pid = fork();
    if (t->pid < 0)
        return -1;
    if (t->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execlp(py, py, "-c", tls_server_py, t->cert, t->key, host, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    /* The port line, or EOF if Python failed. */
    while (len < sizeof(line) - 1 && !strchr(line, '\n')) {
        ssize_t n = read(pfd[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        line[len] = '\0';
    }
    close(pfd[0]);
    t->port = atoi(line);
    return t->port > 0 ? 0 : -1;
}

static void tls_server_stop(struct tls_server *t)
{
    if (t->pid > 0) {
        kill(t->pid, SIGKILL);
        waitpid(t->pid, NULL, 0);
    }
    unlink(t->cert);
    unlink(t->key);
    if (t->dir[0])
        rmdir(t->dir);
}

/* One GET with a fresh client using `o`; the result lands in c->res[slot]. */
static void tls_get(struct ctx *c, struct http_client_options *o, const char *host, int port,
                    int slot)
{
    char u[128];
    struct http_request req = {0};
    int want = c->done + 1;

    make_client(c, o);
    snprintf(u, sizeof(u), "https://%s:%d/hello", host, port);
    req.url = u;
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[slot], NULL), 0);
    assert_true(run_until_done(c, want, 20));
    http_client_free(c->client);
    c->client = NULL;
}

static void test_tls_verification(void **state)
{
    struct ctx *c = *state;
    struct tls_server t, t2;
    struct http_client_options o;

    assert_int_equal(tls_server_start(&t, "127.0.0.1"), 0);
    assert_int_equal(tls_server_start(&t2, "127.0.0.2"), 0);

    /* Verification is on by default: a self-signed certificate is refused. */
    memset(&o, 0, sizeof(o));
    tls_get(c, &o, "127.0.0.1", t.port, 0);
    /* Switched off explicitly, the same server is accepted. */
    o.tls_insecure = true;
    tls_get(c, &o, "127.0.0.1", t.port, 1);
    /* Verification on, with the certificate as trust anchor (CURLOPT_CAINFO). */
    memset(&o, 0, sizeof(o));
    o.ca_file = t.cert;
    tls_get(c, &o, "127.0.0.1", t.port, 2);
    /* Trusted certificate, but the name does not match (127.0.0.2 is not in its SAN). */
    tls_get(c, &o, "127.0.0.2", t2.port, 3);
    /* A CA file that does not exist. */
    o.ca_file = "/nonexistent/meetingd-ca.pem";
    tls_get(c, &o, "127.0.0.1", t.port, 4);

    tls_server_stop(&t);
    tls_server_stop(&t2);

    assert_int_equal(c->res[0].result, HTTP_ERR_TLS);
    assert_non_null(strstr(c->res[0].error, "certificate"));
    assert_int_equal(c->res[1].result, HTTP_OK);
    assert_int_equal(c->res[1].status, 200);
    assert_memory_equal(c->res[1].body, "secure hello", 12);
    assert_int_equal(c->res[2].result, HTTP_OK);
    assert_memory_equal(c->res[2].body, "secure hello", 12);
    assert_int_equal(c->res[3].result, HTTP_ERR_TLS);
    assert_non_null(strstr(c->res[3].error, "127.0.0.2"));
    assert_int_equal(c->res[4].result, HTTP_ERR_TLS);
}

static void test_concurrency_cap(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 2};
    char path[64];
    struct shared *sh = c->srv.sh;

    make_client(c, &o);
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof(path), "/slow?ms=100&id=%d", i);
        assert_int_equal(submit_get(c, path, i), 0);
    }
    assert_int_equal(http_in_flight(c->client), 2);
    assert_int_equal(http_queued(c->client), 8);
    assert_true(run_until_done(c, 10, 20));
    for (int i = 0; i < 10; i++)
        assert_int_equal(c->res[i].result, HTTP_OK);
    assert_int_equal(atomic_load(&sh->requests), 10);
    assert_int_equal(atomic_load(&sh->max_reqs), 2); /* the cap, and it was used */
    assert_true(atomic_load(&sh->connections) <= 2);
    /* FIFO: each request starts at most one place away from its submission rank. */
    assert_int_equal(atomic_load(&sh->order_n), 10);
    for (int pos = 0; pos < 10; pos++)
        assert_true(abs(sh->order[pos] - pos) <= 1);
    assert_int_equal(http_in_flight(c->client), 0);
    assert_int_equal(http_queued(c->client), 0);
}

/* Of requests 0, 1 and 2 (one at a time), 1 was cancelled before it went out: 0 and 2 were
 * sent, in that order, and answered; 1 never called back, not even a while later. */
static void assert_middle_cancelled(struct ctx *c)
{
    assert_true(run_until_done(c, 2, 10));
    run_for(c, 0.1);
    assert_int_equal(c->res[0].calls, 1);
    assert_int_equal(c->res[1].calls, 0);
    assert_int_equal(c->res[2].calls, 1);
    assert_int_equal(c->res[2].result, HTTP_OK);
    assert_int_equal(atomic_load(&c->srv.sh->order_n), 2);
    assert_int_equal(c->srv.sh->order[0], 0);
    assert_int_equal(c->srv.sh->order[1], 2);
}

static void test_cancel_queued(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};
    struct http_stats st;

    make_client(c, &o);
    assert_int_equal(submit_get(c, "/slow?ms=200&id=0", 0), 0);
    assert_int_equal(submit_get(c, "/hello?id=1", 1), 0);
    assert_int_equal(submit_get(c, "/hello?id=2", 2), 0);
    assert_int_equal(http_queued(c->client), 2);
    http_cancel(c->handles[1]);
    assert_int_equal(http_queued(c->client), 1);
    assert_int_equal(http_in_flight(c->client), 1);
    assert_middle_cancelled(c);
    http_client_stats(c->client, &st);
    assert_int_equal(st.submitted, 3);
    assert_int_equal(st.completed, 2);
    assert_int_equal(st.cancelled, 1);
}

static void on_cancel_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct ctx *c = w->data;
    http_cancel(c->handles[0]);
    c->handles[0] = NULL;
}

static void test_cancel_in_flight(void **state)
{
    struct ctx *c = *state;
    ev_timer t;

    make_client(c, NULL);
    assert_int_equal(submit_get(c, "/slow?ms=3000", 0), 0);
    ev_timer_init(&t, on_cancel_timer, 0.3, 0.0);
    t.data = c;
    ev_timer_start(c->loop, &t);
    run_for(c, 0.6);
    assert_null(c->handles[0]);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 1); /* it really was in flight */
    assert_int_equal(c->res[0].calls, 0);
    assert_int_equal(http_in_flight(c->client), 0);
    /* The client still works. */
    assert_int_equal(submit_get(c, "/hello", 1), 0);
    assert_true(run_until_done(c, 1, 10));
    assert_int_equal(c->res[1].result, HTTP_OK);
    assert_int_equal(c->res[0].calls, 0);
}

static void on_chain(const struct http_response *resp, void *ud)
{
    struct res *r = ud;
    struct ctx *c = r->ctx;

    record_response(r, resp);
    if (c->chain_left > 0) {
        int next = (int)(r - c->res) + 1;
        char u[256];
        struct http_request req = {0};
        c->chain_left--;
        url(c, u, sizeof(u), "/hello");
        req.url = u;
        r->submit_in_cb = http_submit(c->client, &req, on_chain, &c->res[next], NULL);
    }
}

static void test_callback_submits_next(void **state)
{
    struct ctx *c = *state;

    make_client(c, NULL);
    c->chain_left = 3;
    assert_int_equal(submit_get_cb(c, "/hello", on_chain, 0), 0);
    assert_true(run_until_done(c, 4, 10));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(c->res[i].result, HTTP_OK);
        assert_int_equal(c->res[i].seq, i + 1);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(c->res[i].submit_in_cb, 0);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 4);
    assert_int_equal(atomic_load(&c->srv.sh->connections), 1); /* reused across callbacks */
}

static void on_cancel_other(const struct http_response *resp, void *ud)
{
    struct res *r = ud;
    record_response(r, resp);
    http_cancel(r->ctx->handles[1]);
    r->ctx->handles[1] = NULL;
}

static void test_callback_cancels_other(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};

    make_client(c, &o);
    assert_int_equal(submit_get_cb(c, "/hello?id=0", on_cancel_other, 0), 0);
    assert_int_equal(submit_get(c, "/hello?id=1", 1), 0);
    assert_int_equal(submit_get(c, "/hello?id=2", 2), 0);
    assert_middle_cancelled(c);
}

static void on_cancelled_try_submit(const struct http_response *resp, void *ud)
{
    struct res *r = ud;
    char u[256];
    struct http_request req = {0};

    record_response(r, resp);
    url(r->ctx, u, sizeof(u), "/hello");
    req.url = u;
    r->submit_in_cb = http_submit(r->ctx->client, &req, on_done, &r->ctx->res[NRES - 1], NULL);
}

static void test_free_cancels_pending(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 1};
    char u[256];
    struct http_request req = {0};

    make_client(c, &o);
    url(c, u, sizeof(u), "/slow?ms=3000");
    req.url = u;
    for (int i = 0; i < 3; i++)
        assert_int_equal(http_submit(c->client, &req, on_cancelled_try_submit, &c->res[i], NULL),
                         0);
    run_for(c, 0.2);
    assert_int_equal(atomic_load(&c->srv.sh->requests), 1);
    assert_int_equal(c->done, 0);
    http_client_free(c->client); /* callbacks run synchronously, in flight first */
    assert_int_equal(c->done, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c->res[i].calls, 1);
        assert_int_equal(c->res[i].seq, i + 1);
        assert_int_equal(c->res[i].result, HTTP_CANCELLED);
        assert_true(c->res[i].body_null);
        assert_false(c->res[i].error_null);
        assert_int_equal(c->res[i].submit_in_cb, -1);
    }
    assert_int_equal(c->res[NRES - 1].calls, 0);
    c->client = NULL;
    assert_true(loop_idle(c));
}

static void on_free_client(const struct http_response *resp, void *ud)
{
    struct res *r = ud;
    record_response(r, resp);
    http_client_free(r->ctx->client);
    /* Deferred: the other callbacks must not have run yet. */
    r->submit_in_cb = r->ctx->done;
    r->ctx->client = NULL;
}

static void test_free_from_callback(void **state)
{
    struct ctx *c = *state;
    struct http_client_options o = {.max_concurrent = 2};

    make_client(c, &o);
    assert_int_equal(submit_get_cb(c, "/hello", on_free_client, 0), 0);
    assert_int_equal(submit_get(c, "/slow?ms=3000", 1), 0);
    assert_int_equal(submit_get(c, "/hello", 2), 0);
    assert_true(run_until_done(c, 3, 10));
    assert_null(c->client);
    assert_int_equal(c->res[0].result, HTTP_OK);
    assert_int_equal(c->res[0].submit_in_cb, 1);
    assert_int_equal(c->res[1].result, HTTP_CANCELLED);
    assert_int_equal(c->res[2].result, HTTP_CANCELLED);
    assert_int_equal(c->res[1].calls, 1);
    assert_int_equal(c->res[2].calls, 1);
    assert_true(loop_idle(c));
}

static void test_bad_arguments(void **state)
{
    struct ctx *c = *state;
    struct http_request req = {0};
    struct http_handle *h = (struct http_handle *)&req;
    struct http_stats st;

    make_client(c, NULL);
    req.url = "ftp://127.0.0.1/x";
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[0], &h), -1);
    assert_null(h);
    req.url = "file:///etc/passwd";
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[0], NULL), -1);
    req.url = NULL;
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[0], NULL), -1);
    req.url = "http://127.0.0.1/x";
    assert_int_equal(http_submit(c->client, &req, NULL, NULL, NULL), -1);
    req.body_len = 5; /* length without a body */
    assert_int_equal(http_submit(c->client, &req, on_done, &c->res[0], NULL), -1);
    assert_int_equal(http_submit(NULL, &req, on_done, &c->res[0], NULL), -1);
    assert_null(http_client_new(NULL, NULL));
    run_for(c, 0.05);
    assert_int_equal(c->done, 0);
    http_client_stats(c->client, &st);
    assert_int_equal(st.submitted, 0);
    assert_int_equal(http_in_flight(c->client), 0);
    assert_int_equal(http_queued(c->client), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_body_is_copied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_reuses_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_error_status_is_ok_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_basic_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ntlm_auth_starts_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_body_cap_is_16_mib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_not_resent_when_reused_connection_dies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_error_status_closes_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stray_bytes_close_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discarded_connection_is_not_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ntlm_connections_are_not_shared_between_accounts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout_is_connect_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_verification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrency_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_submits_next, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_cancels_other, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_cancels_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    int rc;

    if (http_global_init() < 0)
        return 1;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    http_global_cleanup();
    return rc;
}
