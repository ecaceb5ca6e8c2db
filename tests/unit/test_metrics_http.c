/*
 * metrics_http: the responder on a real libev loop, spoken to through real TCP sockets on
 * 127.0.0.1 (port chosen by the kernel). The loop and the client run in this one thread: the
 * client writes, then the loop turns until the client has read the whole answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "metrics_http.h"

#define PAGE "# TYPE x counter\nx 1\n"

struct fixture {
    struct ev_loop *loop;
    struct metrics_http *srv;
    int port;
    int renders;
    bool fail_render;
};

static char *render(void *userdata)
{
    struct fixture *f = userdata;
    f->renders++;
    return f->fail_render ? NULL : strdup(PAGE);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];
    f->loop = ev_loop_new(EVFLAG_AUTO);
    f->srv = metrics_http_new(f->loop, "127.0.0.1:0", render, f, err, sizeof(err));
    if (f->srv == NULL) {
        fprintf(stderr, "metrics_http_new: %s\n", err);
        return -1;
    }
    const char *colon = strrchr(metrics_http_address(f->srv), ':');
    f->port = atoi(colon + 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    metrics_http_free(f->srv);
    ev_loop_destroy(f->loop);
    free(f);
    return 0;
}

static int client_connect(const struct fixture *f)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void client_send(int fd, const char *data, size_t len)
{
    assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Turns the loop until FD is at end of file (the server closed); returns what was read,
 * caller frees. Fails after a generous deadline of turns, never on speed. */
static char *client_read_all(struct fixture *f, int fd)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (int turns = 0; turns < 2000; turns++) {
        ev_run(f->loop, EVRUN_NOWAIT);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5) <= 0)
            continue;
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n < 0 && errno == ECONNRESET)
            break;
        assert_true(n >= 0);
        if (n == 0) {
            buf[len] = '\0';
            return buf;
        }
        len += (size_t)n;
    }
    fail_msg("the server did not close the connection (read %zu bytes)", len);
    return NULL;
}

/* Sends LEN bytes of REQUEST on a new connection; the whole answer, caller frees. */
static char *exchange_bytes(struct fixture *f, const char *request, size_t len)
{
    int fd = client_connect(f);
    client_send(fd, request, len);
    char *answer = client_read_all(f, fd);
    close(fd);
    return answer;
}

static char *exchange(struct fixture *f, const char *request)
{
    return exchange_bytes(f, request, strlen(request));
}

static void test_get_metrics(void **state)
{
    struct fixture *f = *state;
    char *a = exchange(f, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
    assert_true(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(a, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    char cl[64];
    snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(PAGE));
    assert_non_null(strstr(a, cl));
    assert_non_null(strstr(a, "\r\nConnection: close\r\n"));
    const char *body = strstr(a, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, PAGE);
    assert_int_equal(f->renders, 1);
    free(a);
}

static void test_errors(void **state)
{
    struct fixture *f = *state;
    char *a = exchange(f, "GET / HTTP/1.1\r\n\r\n");
    assert_true(strncmp(a, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
    free(a);
    a = exchange(f, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_true(strncmp(a, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
    assert_non_null(strstr(a, "\r\nAllow: GET\r\n"));
    free(a);
    a = exchange(f, "hello there\r\n\r\n");
    assert_true(strncmp(a, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
    free(a);
    a = exchange(f, "GET /metrics SMTP/1.0\n\n");
    assert_true(strncmp(a, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
    free(a);
    f->fail_render = true;
    a = exchange(f, "GET /metrics HTTP/1.0\n\n");
    assert_true(strncmp(a, "HTTP/1.1 500 Internal Server Error\r\n", 36) == 0);
    free(a);
    assert_int_equal(f->renders, 1);
}

/* A request arriving a byte at a time is still one request. */
static void test_request_in_pieces(void **state)
{
    struct fixture *f = *state;
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd = client_connect(f);
    for (const char *p = req; *p; p++) {
        client_send(fd, p, 1);
        ev_run(f->loop, EVRUN_NOWAIT);
    }
    char *a = client_read_all(f, fd);
    close(fd);
    assert_true(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_int_equal(f->renders, 1);
    free(a);
}

/* A head that never ends within the bound gets 431 and the connection closes. */
static void test_request_too_large(void **state)
{
    struct fixture *f = *state;
    char big[METRICS_HTTP_REQUEST_MAX + 512];
    memset(big, 'a', sizeof(big));
    memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
    char *a = exchange_bytes(f, big, sizeof(big));
    assert_true(strncmp(a, "HTTP/1.1 431 ", 13) == 0);
    assert_int_equal(f->renders, 0);
    free(a);
}

static void test_nul_byte(void **state)
{
    struct fixture *f = *state;
    char *a = exchange_bytes(f, "GET /metrics\0 HTTP/1.1\r\n\r\n", 26);
    assert_true(strncmp(a, "HTTP/1.1 400 ", 13) == 0);
    free(a);
}

/* More connections than allowed: the extra ones are closed at once; the others still get
 * their answer, and once they are gone new connections are served again. */
static void test_connection_limit(void **state)
{
    struct fixture *f = *state;
    int idle[METRICS_HTTP_MAX_CONNECTIONS];
    for (int i = 0; i < METRICS_HTTP_MAX_CONNECTIONS; i++) {
        idle[i] = client_connect(f);
        ev_run(f->loop, EVRUN_NOWAIT);
    }
    int extra = client_connect(f);
    char *a = client_read_all(f, extra);
    assert_string_equal(a, "");
    free(a);
    close(extra);
    client_send(idle[0], "GET /metrics HTTP/1.1\r\n\r\n", 25);
    a = client_read_all(f, idle[0]);
    assert_true(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0);
    free(a);
    for (int i = 0; i < METRICS_HTTP_MAX_CONNECTIONS; i++)
        close(idle[i]);
    /* The server notices the closed idle connections, then serves a new one. */
    for (int i = 0; i < 20; i++)
        ev_run(f->loop, EVRUN_NOWAIT);
    a = exchange(f, "GET /metrics HTTP/1.1\r\n\r\n");
    assert_true(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0);
    free(a);
}

/* A client that connects and says nothing is closed at the deadline. */
static void test_idle_client_closed(void **state)
{
    struct fixture *f = *state;
    metrics_http_set_timeout(f->srv, 0.05);
    int fd = client_connect(f);
    client_send(fd, "GET /metrics HTTP/1.1\r\n", 23);
    char *a = client_read_all(f, fd);
    close(fd);
    assert_string_equal(a, "");
    assert_int_equal(f->renders, 0);
    free(a);
}

static void test_parse_listen(void **state)
{
    (void)state;
    struct sockaddr_storage addr;
    socklen_t len;
    char err[256];
    assert_int_equal(metrics_http_parse_listen("127.0.0.1:9873", &addr, &len, err, sizeof(err)), 0);
    assert_int_equal(addr.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&addr)->sin_port), 9873);
    assert_true(metrics_http_is_loopback(&addr));
    assert_int_equal(metrics_http_parse_listen("[::1]:80", &addr, &len, err, sizeof(err)), 0);
    assert_int_equal(addr.ss_family, AF_INET6);
    assert_true(metrics_http_is_loopback(&addr));
    assert_int_equal(metrics_http_parse_listen("0.0.0.0:9873", &addr, &len, err, sizeof(err)), 0);
    assert_false(metrics_http_is_loopback(&addr));
    assert_int_equal(metrics_http_parse_listen("127.9.8.7:1", &addr, &len, err, sizeof(err)), 0);
    assert_true(metrics_http_is_loopback(&addr));
    const char *bad[] = {"localhost:9873",
                         "127.0.0.1",
                         "127.0.0.1:",
                         ":9873",
                         "127.0.0.1:65536",
                         "127.0.0.1:-1",
                         "127.0.0.1:9x",
                         "[::1:80",
                         "::1:80",
                         "[127.0.0.1]:80",
                         "",
                         "1.2.3:80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (metrics_http_parse_listen(bad[i], &addr, &len, err, sizeof(err)) != -1)
            fail_msg("accepted %s", bad[i]);
        assert_true(err[0] != '\0');
    }
}

static void test_address_in_use(void **state)
{
    struct fixture *f = *state;
    char spec[64], err[256];
    snprintf(spec, sizeof(spec), "127.0.0.1:%d", f->port);
    assert_null(metrics_http_new(f->loop, spec, render, f, err, sizeof(err)));
    assert_non_null(strstr(err, "in use"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_in_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_client_closed, setup, teardown),
        cmocka_unit_test(test_parse_listen),
        cmocka_unit_test_setup_teardown(test_address_in_use, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
