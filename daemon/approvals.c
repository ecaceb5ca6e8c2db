/*
 * approvals: the held requests of one mailbox and their file (see approvals.h).
 */
#include "approvals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct approvals {
    char *path;
    int fd; /* -1 until the first append */
    struct held_request *held;
    size_t n, cap;
};

/* A word of the file: non-empty, printable, no white space. */
static bool word_ok(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 2048)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

static ssize_t find(const struct approvals *a, const char *request_id)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->held[i].request_id, request_id) == 0)
            return (ssize_t)i;
    return -1;
}

static void remember(struct approvals *a, const struct held_request *h)
{
    if (find(a, h->request_id) >= 0)
        return;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        a->held = xreallocarray(a->held, a->cap, sizeof(*a->held));
    }
    a->held[a->n++] = (struct held_request){
        .request_id = xstrdup(h->request_id),
        .calendar_id =
            h->calendar_id && strcmp(h->calendar_id, "-") != 0 ? xstrdup(h->calendar_id) : NULL,
        .uid = xstrdup(h->uid),
        .start = h->start,
        .end = h->end,
        .held_at = h->held_at,
    };
}

static void forget(struct approvals *a, const char *request_id)
{
    ssize_t i = find(a, request_id);
    if (i < 0)
        return;
    struct held_request *h = &a->held[i];
    free(h->request_id);
    free(h->calendar_id);
    free(h->uid);
    memmove(h, h + 1, (a->n - (size_t)i - 1) * sizeof(*h));
    a->n--;
}

static bool number(const char *s, long long *out)
{
    char *end = NULL;
    *out = strtoll(s, &end, 10);
    return end != s && *end == '\0';
}

static void load_line(struct approvals *a, char *line, unsigned lineno)
{
    char *save = NULL;
    char *f[8] = {0};
    size_t n = 0;
    for (char *t = strtok_r(line, " \n", &save); t && n < 8; t = strtok_r(NULL, " \n", &save))
        f[n++] = t;
    long long t[3] = {0};
    bool time_ok = n >= 2 && number(f[1], &t[0]);
    if (time_ok && n == 7 && strcmp(f[0], "held") == 0 && number(f[5], &t[1]) &&
        number(f[6], &t[2])) {
        struct held_request h = {f[2], f[3], f[4], (time_t)t[1], (time_t)t[2], (time_t)t[0]};
        remember(a, &h);
    } else if (time_ok && n == 4 && strcmp(f[0], "settled") == 0)
        forget(a, f[2]);
    else
        log_warn("%s:%u: not a record of held requests; skipped", a->path, lineno);
}

struct approvals *approvals_open(const char *path, char *err, size_t errlen)
{
    struct approvals *a = xcalloc(1, sizeof(*a));
    a->path = xstrdup(path);
    a->fd = -1;
    FILE *f = fopen(path, "r");
    if (f == NULL && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        approvals_close(a);
        return NULL;
    }
    if (f != NULL) {
        char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        ssize_t len;
        off_t whole = 0; /* where the complete lines end */
        bool torn = false;
        while ((len = getline(&line, &cap, f)) > 0) {
            lineno++;
            /* A torn last line (a crash in the middle of an append) is not a record. */
            torn = line[len - 1] != '\n';
            if (torn)
                break;
            whole += len;
            load_line(a, line, lineno);
        }
        free(line);
        fclose(f);
        /* Cut it off, so that the next append does not glue a record onto it. */
        if (torn) {
            log_warn("%s:%u: an incomplete last line (an interrupted write) is removed", path,
                     lineno);
            if (truncate(path, whole) != 0) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                approvals_close(a);
                return NULL;
            }
        }
    }
    return a;
}

void approvals_close(struct approvals *a)
{
    if (a == NULL)
        return;
    while (a->n > 0)
        forget(a, a->held[a->n - 1].request_id);
    free(a->held);
    if (a->fd >= 0)
        close(a->fd);
    free(a->path);
    free(a);
}

const struct held_request *approvals_list(const struct approvals *a, size_t *n)
{
    *n = a->n;
    return a->held;
}

/* One line, durably, or nothing (cut back after a failure). */
static int append(struct approvals *a, const char *line)
{
    if (a->fd < 0) {
        a->fd = open(a->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (a->fd < 0)
            return -1;
    }
    off_t before = lseek(a->fd, 0, SEEK_END);
    size_t len = strlen(line);
    ssize_t w = write(a->fd, line, len);
    if (w == (ssize_t)len && fdatasync(a->fd) == 0)
        return 0;
    int saved = errno ? errno : EIO;
    if (before >= 0 && ftruncate(a->fd, before) == 0)
        (void)fdatasync(a->fd);
    errno = saved;
    return -1;
}

int approvals_hold(struct approvals *a, const struct held_request *h, time_t now)
{
    if (!word_ok(h->request_id) || !word_ok(h->uid) ||
        (h->calendar_id && !word_ok(h->calendar_id))) {
        errno = EINVAL;
        return -1;
    }
    if (find(a, h->request_id) >= 0)
        return 0;
    char *line = xasprintf("held %lld %s %s %s %lld %lld\n", (long long)now, h->request_id,
                           h->calendar_id ? h->calendar_id : "-", h->uid, (long long)h->start,
                           (long long)h->end);
    int rc = append(a, line);
    free(line);
    struct held_request kept = *h;
    kept.held_at = now;
    if (rc == 0)
        remember(a, &kept);
    return rc;
}

int approvals_settle(struct approvals *a, const char *request_id, const char *how, time_t now)
{
    if (!word_ok(request_id) || !word_ok(how)) {
        errno = EINVAL;
        return -1;
    }
    char *line = xasprintf("settled %lld %s %s\n", (long long)now, request_id, how);
    int rc = append(a, line);
    free(line);
    if (rc == 0)
        forget(a, request_id);
    return rc;
}
