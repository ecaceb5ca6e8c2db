/*
 * sdnotify: see sdnotify.h. A fresh socket per message keeps this stateless; the daemon
 * sends only a handful of notifications plus one watchdog ping every few seconds.
 */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int sdnotify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t salen;
    size_t plen, slen;
    ssize_t n;
    int fd, saved;

    if (!path || !*path)
        return 0;
    if (!state) {
        errno = EINVAL;
        return -1;
    }
    plen = strlen(path);
    /* systemd only hands out absolute paths or '@' abstract names (vsock: is unsupported). */
    if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path) || plen < 2) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, plen);
    if (path[0] == '@') {
        /* Abstract namespace: leading NUL, and the length excludes any trailing NUL. */
        sa.sun_path[0] = '\0';
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    } else {
        salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    }

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    slen = strlen(state);
    n = sendto(fd, state, slen, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
    saved = errno;
    close(fd);
    if (n < 0 || (size_t)n != slen) {
        errno = n < 0 ? saved : EMSGSIZE;
        return -1;
    }
    return 0;
}

int sdnotify_ready(void)
{
    return sdnotify_send("READY=1");
}

int sdnotify_reloading(void)
{
    struct timespec ts;
    char msg[64];

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return -1;
    unsigned long long usec =
        (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
    return sdnotify_send(msg);
}

int sdnotify_stopping(void)
{
    return sdnotify_send("STOPPING=1");
}

int sdnotify_status(const char *fmt, ...)
{
    char msg[1024 + sizeof("STATUS=")];
    const size_t prefix = sizeof("STATUS=") - 1;
    va_list ap;

    if (!fmt) {
        errno = EINVAL;
        return -1;
    }
    if (!getenv("NOTIFY_SOCKET"))
        return 0;
    memcpy(msg, "STATUS=", prefix);
    va_start(ap, fmt);
    int n = vsnprintf(msg + prefix, sizeof(msg) - prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    for (char *p = msg + prefix; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return sdnotify_send(msg);
}

int sdnotify_watchdog(void)
{
    return sdnotify_send("WATCHDOG=1");
}

/* Parses a whole non-empty decimal string; false on sign, junk, or overflow. */
static bool parse_ull(const char *s, unsigned long long *out)
{
    char *end;

    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

bool sdnotify_watchdog_interval(double *seconds_out)
{
    unsigned long long usec, pid;
    const char *pid_s = getenv("WATCHDOG_PID");

    if (!parse_ull(getenv("WATCHDOG_USEC"), &usec) || usec == 0)
        return false;
    /* WATCHDOG_PID tells which process of the service the watchdog is meant for. */
    if (pid_s && (!parse_ull(pid_s, &pid) || pid != (unsigned long long)getpid()))
        return false;
    if (seconds_out)
        *seconds_out = (double)usec / 1e6;
    return true;
}
