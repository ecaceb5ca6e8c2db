/*
 * sdnotify: real datagrams to a unix socket standing in for systemd's, filesystem and
 * abstract, plus the environment parsing of the watchdog settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"

struct fixture {
    int fd;
    char dir[64];
    char path[128];
};

static int bind_dgram(const char *name, socklen_t *len_out, struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    size_t n = strlen(name);

    if (fd < 0)
        return -1;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, name, n);
    if (name[0] == '@') {
        sa->sun_path[0] = '\0';
        *len_out = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *len_out = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    if (bind(fd, (struct sockaddr *)sa, *len_out) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Binds F's socket at f->path, names it in NOTIFY_SOCKET and makes F the tests' state. */
static int listen_at_path(struct fixture *f, void **state)
{
    struct sockaddr_un sa;
    socklen_t len;

    f->fd = bind_dgram(f->path, &len, &sa);
    if (f->fd < 0)
        return -1;
    setenv("NOTIFY_SOCKET", f->path, 1);
    *state = f;
    return 0;
}

static int setup_path(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/sdnotify-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
    return listen_at_path(f, state);
}

static int setup_abstract(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->path, sizeof(f->path), "@meetingd-sdnotify-test-%ld-%ld", (long)getpid(),
             (long)time(NULL));
    return listen_at_path(f, state);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unsetenv("NOTIFY_SOCKET");
    close(f->fd);
    if (f->dir[0]) {
        unlink(f->path);
        rmdir(f->dir);
    }
    free(f);
    return 0;
}

/* Receives one pending datagram (unix datagrams are queued synchronously by sendto). */
static ssize_t recv_one(int fd, char *buf, size_t cap)
{
    ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

static void assert_no_datagram(int fd)
{
    char buf[64];
    assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void expect_datagram(int fd, const char *want)
{
    char buf[2048];
    ssize_t n = recv_one(fd, buf, sizeof(buf));
    assert_int_equal(n, (ssize_t)strlen(want));
    assert_string_equal(buf, want);
}

static void check_messages(int fd)
{
    assert_int_equal(sdnotify_ready(), 0);
    expect_datagram(fd, "READY=1");
    assert_int_equal(sdnotify_stopping(), 0);
    expect_datagram(fd, "STOPPING=1");
    assert_int_equal(sdnotify_watchdog(), 0);
    expect_datagram(fd, "WATCHDOG=1");
    assert_int_equal(sdnotify_status("polling %d mailboxes, %s", 3, "all fine"), 0);
    expect_datagram(fd, "STATUS=polling 3 mailboxes, all fine");
    assert_int_equal(sdnotify_send("FDSTORE=0\nERRNO=5"), 0);
    expect_datagram(fd, "FDSTORE=0\nERRNO=5");
    assert_no_datagram(fd);
}

static void test_path_socket(void **state)
{
    struct fixture *f = *state;
    check_messages(f->fd);
}

static void test_abstract_socket(void **state)
{
    struct fixture *f = *state;
    check_messages(f->fd);
}

static unsigned long long mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
}

static void test_reloading_carries_monotonic_usec(void **state)
{
    struct fixture *f = *state;
    char buf[256];
    unsigned long long before = mono_usec(), usec = 0;
    int consumed = 0;

    assert_int_equal(sdnotify_reloading(), 0);
    unsigned long long after = mono_usec();
    assert_true(recv_one(f->fd, buf, sizeof(buf)) > 0);
    assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu%n", &usec, &consumed), 1);
    assert_int_equal((size_t)consumed, strlen(buf)); /* nothing else in the datagram */
    assert_true(usec >= before && usec <= after);
}

static void test_status_cannot_inject_assignments(void **state)
{
    struct fixture *f = *state;
    char longtext[3000];

    assert_int_equal(sdnotify_status("mailbox %s", "room1\nREADY=1\r"), 0);
    expect_datagram(f->fd, "STATUS=mailbox room1 READY=1 ");

    memset(longtext, 'a', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    assert_int_equal(sdnotify_status("%s", longtext), 0);
    char buf[4096];
    ssize_t n = recv_one(f->fd, buf, sizeof(buf));
    assert_int_equal(n, (ssize_t)(strlen("STATUS=") + 1024));
    assert_memory_equal(buf, "STATUS=aaaa", 11);
}

static void test_unset_is_noop(void **state)
{
    struct fixture *f = *state;

    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(sdnotify_ready(), 0);
    assert_int_equal(sdnotify_status("x %d", 1), 0);
    assert_int_equal(sdnotify_reloading(), 0);
    assert_int_equal(sdnotify_watchdog(), 0);
    assert_int_equal(sdnotify_stopping(), 0);
    assert_no_datagram(f->fd);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(sdnotify_ready(), 0);
    assert_no_datagram(f->fd);
}

static void test_bad_addresses_fail(void **state)
{
    struct fixture *f = *state;
    char toolong[200];

    setenv("NOTIFY_SOCKET", "relative/notify", 1);
    assert_int_equal(sdnotify_ready(), -1);
    setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    assert_int_equal(sdnotify_ready(), -1);
    memset(toolong, 'x', sizeof(toolong) - 1);
    toolong[0] = '/';
    toolong[sizeof(toolong) - 1] = '\0';
    setenv("NOTIFY_SOCKET", toolong, 1);
    assert_int_equal(sdnotify_ready(), -1);
    /* Well-formed but nobody listens there. */
    setenv("NOTIFY_SOCKET", "/nonexistent-dir-meetingd/notify", 1);
    assert_int_equal(sdnotify_ready(), -1);
    assert_int_equal(errno, ENOENT);
    assert_no_datagram(f->fd);
}

static void test_watchdog_interval(void **state)
{
    char pid[32];
    double s = -1.0;

    (void)state;
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    assert_false(sdnotify_watchdog_interval(&s));
    assert_true(s == -1.0);

    setenv("WATCHDOG_USEC", "30000000", 1);
    assert_true(sdnotify_watchdog_interval(&s));
    assert_true(s == 30.0);

    setenv("WATCHDOG_USEC", "1500000", 1);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    s = -1.0;
    assert_true(sdnotify_watchdog_interval(&s));
    assert_true(s == 1.5);

    snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    s = -1.0;
    assert_false(sdnotify_watchdog_interval(&s));
    assert_true(s == -1.0);
    setenv("WATCHDOG_PID", "12ab", 1);
    assert_false(sdnotify_watchdog_interval(&s));
    unsetenv("WATCHDOG_PID");

    const char *bad[] = {"0", "", "-5", "10s", "abc", " 10", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("WATCHDOG_USEC", bad[i], 1);
        s = -1.0;
        assert_false(sdnotify_watchdog_interval(&s));
        assert_true(s == -1.0);
    }
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_path_socket, setup_path, teardown),
        cmocka_unit_test_setup_teardown(test_abstract_socket, setup_abstract, teardown),
        cmocka_unit_test_setup_teardown(test_reloading_carries_monotonic_usec, setup_path,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_status_cannot_inject_assignments, setup_abstract,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unset_is_noop, setup_path, teardown),
        cmocka_unit_test_setup_teardown(test_bad_addresses_fail, setup_path, teardown),
        cmocka_unit_test(test_watchdog_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
