/*
 * metrics_http: GET /metrics on the loop (see metrics_http.h).
 *
 * Each connection is a two-step state machine: READING the request head into a fixed buffer
 * until the empty line, then WRITING one prepared answer; it is closed after the last byte,
 * on any error and at its deadline.
 */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define DEFAULT_TIMEOUT_S 10.0
#define ACCEPT_PAUSE_S 1.0 /* out of descriptors: accept again after this */

enum conn_step {
    CONN_READING,
    CONN_WRITING,
};

struct conn {
    struct metrics_http *srv;
    int fd;
    enum conn_step step;
    ev_io io;
    ev_timer deadline;
    char request[METRICS_HTTP_REQUEST_MAX];
    size_t request_len;
    char *answer; /* head and body */
    size_t answer_len, answer_sent;
};

struct metrics_http {
    struct ev_loop *loop;
    int fd;
    ev_io accept_io;
    ev_timer accept_pause;
    metrics_http_render_fn render;
    void *userdata;
    double timeout_s;
    struct conn *conns[METRICS_HTTP_MAX_CONNECTIONS];
    char address[64];
};

/* ---- addresses -------------------------------------------------------------------------- */

int metrics_http_parse_listen(const char *spec, struct sockaddr_storage *addr, socklen_t *len,
                              char *err, size_t errlen)
{
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    if (colon == NULL || colon == spec || colon[1] == '\0') {
        snprintf(err, errlen, "not HOST:PORT (e.g. 127.0.0.1:9873 or [::1]:9873): %s",
                 spec ? spec : "");
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || errno != 0 || port > 65535 || colon[1] < '0' || colon[1] > '9') {
        snprintf(err, errlen, "not a port number (0-65535): %s", colon + 1);
        return -1;
    }
    char host[INET6_ADDRSTRLEN + 2];
    size_t hlen = (size_t)(colon - spec);
    bool bracketed = spec[0] == '[' && hlen >= 2 && spec[hlen - 1] == ']';
    if (bracketed) {
        spec++;
        hlen -= 2;
    }
    if (hlen >= sizeof(host)) {
        snprintf(err, errlen, "not an IP address: %.*s", (int)(colon - spec), spec);
        return -1;
    }
    memcpy(host, spec, hlen);
    host[hlen] = '\0';
    memset(addr, 0, sizeof(*addr));
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (!bracketed && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof(*v4);
        return 0;
    }
    if (bracketed && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        return 0;
    }
    snprintf(err, errlen,
             "not an IPv4 address or a bracketed IPv6 address (names are not "
             "resolved): %s",
             host);
    return -1;
}

bool metrics_http_is_loopback(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)addr)->sin6_addr);
    return false;
}

static void format_address(const struct sockaddr_storage *addr, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
        port = ntohs(v4->sin_port);
        snprintf(out, outlen, "%s:%u", host, port);
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
        port = ntohs(v6->sin6_port);
        snprintf(out, outlen, "[%s]:%u", host, port);
    }
}

/* ---- connections ------------------------------------------------------------------------ */

static void conn_free(struct conn *c)
{
    struct metrics_http *srv = c->srv;
    ev_io_stop(srv->loop, &c->io);
    ev_timer_stop(srv->loop, &c->deadline);
    close(c->fd);
    free(c->answer);
    for (size_t i = 0; i < METRICS_HTTP_MAX_CONNECTIONS; i++) {
        if (srv->conns[i] == c)
            srv->conns[i] = NULL;
    }
    free(c);
}

/* Sends what is left of the answer; true when the connection is done with (sent or dead). */
static bool conn_flush(struct conn *c)
{
    while (c->answer_sent < c->answer_len) {
        ssize_t n =
            send(c->fd, c->answer + c->answer_sent, c->answer_len - c->answer_sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        if (n <= 0)
            return true;
        c->answer_sent += (size_t)n;
    }
    shutdown(c->fd, SHUT_WR);
    return true;
}

/* Discards what the client sent beyond its request head: closing with unread input would
 * reset the connection, and a reset can cost the client the answer it has not read yet. */
static void conn_drain(struct conn *c)
{
    char sink[512];
    while (recv(c->fd, sink, sizeof(sink), 0) > 0)
        continue;
}

/* Prepares the answer (BODY is taken) and starts sending it. */
static void conn_answer_take(struct conn *c, const char *status, const char *headers, char *body)
{
    size_t body_len = strlen(body);
    char *head = xasprintf("HTTP/1.1 %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
                           status, body_len, headers);
    size_t head_len = strlen(head);
    c->answer = xmalloc(head_len + body_len);
    memcpy(c->answer, head, head_len);
    memcpy(c->answer + head_len, body, body_len);
    c->answer_len = head_len + body_len;
    c->answer_sent = 0;
    free(head);
    free(body);
    c->step = CONN_WRITING;
    conn_drain(c);
    ev_io_stop(c->srv->loop, &c->io);
    if (conn_flush(c)) {
        conn_free(c);
        return;
    }
    ev_io_set(&c->io, c->fd, EV_WRITE);
    ev_io_start(c->srv->loop, &c->io);
}

/* An error answer: the status line's reason is the body too. */
static void conn_fail(struct conn *c, const char *status, const char *extra_headers)
{
    char *headers = xasprintf("Content-Type: text/plain; charset=utf-8\r\n%s", extra_headers);
    conn_answer_take(c, status, headers, xasprintf("%s\n", strchr(status, ' ') + 1));
    free(headers);
}

/* The request head is complete: answer it. Only the request line matters. */
static void conn_respond(struct conn *c)
{
    char line[128], method[8], target[64], version[16];
    size_t eol = strcspn(c->request, "\r\n");
    if (eol >= sizeof(line)) {
        conn_fail(c, "400 Bad Request", "");
        return;
    }
    memcpy(line, c->request, eol);
    line[eol] = '\0';
    if (sscanf(line, "%7s %63s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        conn_fail(c, "400 Bad Request", "");
        return;
    }
    if (strcmp(method, "GET") != 0) {
        conn_fail(c, "405 Method Not Allowed", "Allow: GET\r\n");
        return;
    }
    if (strcmp(target, "/metrics") != 0) {
        conn_fail(c, "404 Not Found", "");
        return;
    }
    char *page = c->srv->render(c->srv->userdata);
    if (page == NULL) {
        conn_fail(c, "500 Internal Server Error", "");
        return;
    }
    conn_answer_take(c, "200 OK", "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
                     page);
}

static bool head_complete(const struct conn *c)
{
    return strstr(c->request, "\r\n\r\n") != NULL || strstr(c->request, "\n\n") != NULL;
}

static void conn_read(struct conn *c)
{
    for (;;) {
        size_t room = sizeof(c->request) - 1 - c->request_len;
        if (room == 0) {
            conn_fail(c, "431 Request Header Fields Too Large", "");
            return;
        }
        ssize_t n = recv(c->fd, c->request + c->request_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) { /* closed before finishing its request, or reset */
            conn_free(c);
            return;
        }
        /* A NUL byte would hide the rest of the head from the string functions. */
        if (memchr(c->request + c->request_len, '\0', (size_t)n) != NULL) {
            conn_fail(c, "400 Bad Request", "");
            return;
        }
        c->request_len += (size_t)n;
        c->request[c->request_len] = '\0';
        if (head_complete(c)) {
            conn_respond(c);
            return;
        }
    }
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = w->data;
    switch (c->step) {
    case CONN_READING:
        conn_read(c);
        break;
    case CONN_WRITING:
        if (conn_flush(c))
            conn_free(c);
        break;
    }
}

static void on_conn_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_free(w->data);
}

/* ---- listening -------------------------------------------------------------------------- */

static void on_accept_pause(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct metrics_http *srv = w->data;
    ev_io_start(loop, &srv->accept_io);
}

static void conn_start(struct metrics_http *srv, int fd)
{
    size_t slot = 0;
    while (slot < METRICS_HTTP_MAX_CONNECTIONS && srv->conns[slot] != NULL)
        slot++;
    if (slot == METRICS_HTTP_MAX_CONNECTIONS) {
        close(fd); /* full: Prometheus retries at its next scrape */
        return;
    }
    struct conn *c = xcalloc(1, sizeof(*c));
    c->srv = srv;
    c->fd = fd;
    c->step = CONN_READING;
    ev_io_init(&c->io, on_conn_io, fd, EV_READ);
    c->io.data = c;
    ev_timer_init(&c->deadline, on_conn_deadline, srv->timeout_s, 0.0);
    c->deadline.data = c;
    srv->conns[slot] = c;
    ev_io_start(srv->loop, &c->io);
    ev_timer_start(srv->loop, &c->deadline);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct metrics_http *srv = w->data;
    for (;;) {
        int fd = accept(srv->fd, NULL, NULL);
        if (fd >= 0) {
            if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
                close(fd);
            else
                conn_start(srv, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* The pending connection stays queued; without a pause the loop would spin. */
            log_warn_errno(errno, "metrics: cannot accept a connection");
            ev_io_stop(loop, &srv->accept_io);
            ev_timer_set(&srv->accept_pause, ACCEPT_PAUSE_S, 0.0);
            ev_timer_start(loop, &srv->accept_pause);
        }
        return;
    }
}

static int listen_on(const struct sockaddr_storage *addr, socklen_t len, char *err, size_t errlen)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    /* A restart must not fail on the previous instance's connections in TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)addr, len) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "cannot listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct metrics_http *metrics_http_new(struct ev_loop *loop, const char *listen,
                                      metrics_http_render_fn render, void *userdata, char *err,
                                      size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t len;
    if (metrics_http_parse_listen(listen, &addr, &len, err, errlen) != 0)
        return NULL;
    int fd = listen_on(&addr, len, err, errlen);
    if (fd < 0)
        return NULL;
    struct metrics_http *srv = xcalloc(1, sizeof(*srv));
    srv->loop = loop;
    srv->fd = fd;
    srv->render = render;
    srv->userdata = userdata;
    srv->timeout_s = DEFAULT_TIMEOUT_S;
    len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        format_address(&addr, srv->address, sizeof(srv->address));
    ev_io_init(&srv->accept_io, on_accept, fd, EV_READ);
    srv->accept_io.data = srv;
    ev_timer_init(&srv->accept_pause, on_accept_pause, ACCEPT_PAUSE_S, 0.0);
    srv->accept_pause.data = srv;
    ev_io_start(loop, &srv->accept_io);
    return srv;
}

void metrics_http_free(struct metrics_http *srv)
{
    if (srv == NULL)
        return;
    for (size_t i = 0; i < METRICS_HTTP_MAX_CONNECTIONS; i++) {
        if (srv->conns[i])
            conn_free(srv->conns[i]);
    }
    ev_io_stop(srv->loop, &srv->accept_io);
    ev_timer_stop(srv->loop, &srv->accept_pause);
    close(srv->fd);
    free(srv);
}

const char *metrics_http_address(const struct metrics_http *srv)
{
    return srv->address;
}

void metrics_http_set_timeout(struct metrics_http *srv, double seconds)
{
    srv->timeout_s = seconds;
}
