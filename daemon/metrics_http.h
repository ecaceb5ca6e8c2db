/*
 * metrics_http: the smallest HTTP/1.1 server that serves one page, GET /metrics, on the
 * daemon's libev loop - what Prometheus scrapes.
 *
 * Non-blocking throughout: the listening socket and every connection are ev_io watchers, so a
 * slow or hostile client never holds up the mailboxes. Bounded: a request head larger than
 * METRICS_HTTP_REQUEST_MAX bytes is answered 431, at most METRICS_HTTP_MAX_CONNECTIONS are
 * open at once (more are closed on accept), and a connection that has not finished within the
 * timeout (10 s) is closed. Every answer ends the connection (Connection: close). Anything
 * but GET is 405, any path but /metrics 404, a request line that is not HTTP 400.
 *
 * The address comes from the configuration (`metrics_listen`, loopback by convention: the
 * page has no authentication, like every node exporter).
 */
#ifndef MEETINGD_METRICS_HTTP_H
#define MEETINGD_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define METRICS_HTTP_REQUEST_MAX 4096
#define METRICS_HTTP_MAX_CONNECTIONS 8

struct ev_loop;
struct metrics_http;

/* Produces the page for one scrape, caller frees; NULL makes the answer a 500. */
typedef char *(*metrics_http_render_fn)(void *userdata);

/*
 * Parses a listen address "HOST:PORT": HOST an IPv4 literal (127.0.0.1) or an IPv6 literal
 * in brackets ([::1]), PORT 0..65535 (0: the kernel picks one). No names are resolved.
 * Returns 0 and fills *ADDR / *LEN, or -1 with ERR filled.
 */
int metrics_http_parse_listen(const char *spec, struct sockaddr_storage *addr, socklen_t *len,
                              char *err, size_t errlen);

/* True when ADDR is a loopback address (127.0.0.0/8, ::1). */
bool metrics_http_is_loopback(const struct sockaddr_storage *addr);

/*
 * Listens on LISTEN (as metrics_http_parse_listen) on LOOP (borrowed). RENDER is called with
 * USERDATA for each GET /metrics. Returns NULL with ERR filled when the address is invalid or
 * cannot be bound. Free with metrics_http_free(), while LOOP still exists.
 */
struct metrics_http *metrics_http_new(struct ev_loop *loop, const char *listen,
                                      metrics_http_render_fn render, void *userdata, char *err,
                                      size_t errlen);

/* Closes the listening socket and every open connection. NULL is allowed. */
void metrics_http_free(struct metrics_http *srv);

/* The address actually bound, "127.0.0.1:9873" (with the kernel's port for port 0). */
const char *metrics_http_address(const struct metrics_http *srv);

/* Changes how long a connection may take from accept to its last byte (default 10 s). */
void metrics_http_set_timeout(struct metrics_http *srv, double seconds);

#endif
