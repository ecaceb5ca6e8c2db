/*
 * http_conns: open connections of an HTTP client; stray bytes before a reuse (see
 * http_conns.h).
 */
#include "http_conns.h"

#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static struct http_conn_sock *by_fd(struct http_conns *conns, curl_socket_t fd)
{
    for (size_t i = 0; i < conns->n; i++)
        if (conns->v[i].fd == fd)
            return &conns->v[i];
    return NULL;
}

static int sock_port(curl_socket_t fd, bool peer)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&sa, &len)
                  : getsockname(fd, (struct sockaddr *)&sa, &len);
    if (rc != 0)
        return -1;
    if (sa.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&sa)->sin_port);
    if (sa.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    return -1;
}

/* The socket of the connection with these ports, or NULL. */
static struct http_conn_sock *by_ports(struct http_conns *conns, long local, long peer)
{
    for (size_t i = 0; i < conns->n; i++)
        if (sock_port(conns->v[i].fd, false) == local && sock_port(conns->v[i].fd, true) == peer)
            return &conns->v[i];
    return NULL;
}

curl_socket_t http_conns_open(struct http_conns *conns, const struct curl_sockaddr *addr)
{
    curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    if (conns->n == conns->cap) {
        size_t cap = conns->cap ? 2 * conns->cap : 8;
        struct http_conn_sock *v = realloc(conns->v, cap * sizeof(*v));
        if (v == NULL)
            abort();
        conns->v = v;
        conns->cap = cap;
    }
    conns->v[conns->n++] = (struct http_conn_sock){.fd = fd};
    return fd;
}

int http_conns_close(struct http_conns *conns, curl_socket_t fd)
{
    struct http_conn_sock *cs = by_fd(conns, fd);
    if (cs)
        *cs = conns->v[--conns->n];
    return close(fd);
}

void http_conns_mark_answered(struct http_conns *conns, CURL *easy)
{
    long local_port = 0, peer_port = 0;
    curl_easy_getinfo(easy, CURLINFO_LOCAL_PORT, &local_port);
    curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &peer_port);
    struct http_conn_sock *cs = by_ports(conns, local_port, peer_port);
    if (cs)
        cs->answered = true;
}

void http_conns_discard(struct http_conns *conns, long local_port, long peer_port)
{
    struct http_conn_sock *cs = by_ports(conns, local_port, peer_port);
    if (cs)
        cs->discarded = true;
}

void http_conns_before_request(struct http_conns *conns, int local_port, int peer_port)
{
    struct http_conn_sock *cs = by_ports(conns, local_port, peer_port);
    if (cs == NULL || !cs->answered)
        return; /* a fresh connection: a TLS 1.3 session ticket may be waiting, rightly */
    struct pollfd p = {.fd = cs->fd, .events = POLLIN};
    if (cs->discarded || poll(&p, 1, 0) != 0)
        shutdown(cs->fd, SHUT_RDWR);
}

void http_conns_free(struct http_conns *conns)
{
    free(conns->v);
    conns->v = NULL;
    conns->n = conns->cap = 0;
}
