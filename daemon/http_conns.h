/*
 * http_conns: the open connections of one HTTP client, and the check that keeps bytes a
 * server wrote between two requests from being read as the next request's reply.
 *
 * Bytes that arrive on a kept-alive connection between two requests (a stray response, as
 * Gromox writes after a fault) would be read as the next request's reply: libcurl 7.88
 * checks an idle connection for them at most once a second. So just before a request goes
 * out on a connection that already carried a response (http_conns_before_request), the
 * connection is checked: anything to read, even its end, and it is shut down. Sending then
 * fails before a byte of the request left, and curl makes the request on a fresh
 * connection. curl 7.88 names a connection to callbacks only by its ports, so the client
 * opens and closes the sockets itself (CURLOPT_OPENSOCKETFUNCTION, CLOSESOCKETFUNCTION) and
 * finds a connection's socket by them.
 */
#ifndef MEETINGD_HTTP_CONNS_H
#define MEETINGD_HTTP_CONNS_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct http_conn_sock {
    curl_socket_t fd;
    bool answered;  /* carried a complete response: the next request reuses it */
    bool discarded; /* never to carry another request */
};

/* Zero-initialised: empty. */
struct http_conns {
    struct http_conn_sock *v;
    size_t n, cap;
};

/* Opens a socket for ADDR (close-on-exec) and records it; CURL_SOCKET_BAD on failure. */
curl_socket_t http_conns_open(struct http_conns *conns, const struct curl_sockaddr *addr);

/* Forgets FD and closes it; close()'s result. */
int http_conns_close(struct http_conns *conns, curl_socket_t fd);

/* The connection of the finished transfer EASY carried a complete response; it stays open
 * for the next request. */
void http_conns_mark_answered(struct http_conns *conns, CURL *easy);

/* The connection with these ports must carry no other request. */
void http_conns_discard(struct http_conns *conns, long local_port, long peer_port);

/* Called just before a request goes out on the connection with these ports: shuts it down
 * when it was discarded, or carried a response before and has bytes (or its end) waiting
 * to be read. */
void http_conns_before_request(struct http_conns *conns, int local_port, int peer_port);

/* Frees the table (the sockets are curl's to close). */
void http_conns_free(struct http_conns *conns);

#endif
