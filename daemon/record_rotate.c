/*
 * record_rotate: rotation and retention of the decision record (see record_rotate.h).
 * Rotated names are STEM-YYYYMMDD.jsonl and STEM-YYYYMMDD-N.jsonl; they are ordered by (day,
 * N), not by name, since "-1" sorts before ".jsonl".
 */
#include "record_rotate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Every record line starts so (record_format_line puts "time" first). */
#define TIME_PREFIX "{\"time\":\""

int record_day_of(time_t when)
{
    struct tm tm;
    if (gmtime_r(&when, &tm) == NULL)
        return 0;
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int record_first_day(int fd, off_t size, int *day)
{
    char buf[sizeof(TIME_PREFIX) + 16] = "";
    size_t want = sizeof(buf) - 1;
    if (size < (off_t)want)
        return -1;
    ssize_t n = pread(fd, buf, want, 0);
    if (n != (ssize_t)want || strncmp(buf, TIME_PREFIX, strlen(TIME_PREFIX)) != 0)
        return -1;
    int y, m, d;
    char dash1, dash2;
    const char *date = buf + strlen(TIME_PREFIX);
    if (sscanf(date, "%4d%c%2d%c%2d", &y, &dash1, &m, &dash2, &d) != 5 || dash1 != '-' ||
        dash2 != '-' || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    *day = y * 10000 + m * 100 + d;
    return 0;
}

/* The directory of PATH and the stem of its base name ("decisions" for decisions.jsonl). */
static void split_path(const char *path, char **dir, char **stem)
{
    const char *slash = strrchr(path, '/');
    *dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    *stem = dot ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int record_rotate_file(const char *path, int day)
{
    char *dir, *stem;
    split_path(path, &dir, &stem);
    int rc = -1;
    for (unsigned n = 0; n < 10000 && rc != 0; n++) {
        char *to = n == 0 ? xasprintf("%s/%s-%08d.jsonl", dir, stem, day)
                          : xasprintf("%s/%s-%08d-%u.jsonl", dir, stem, day, n);
        /* link() + unlink() instead of rename(): never replaces an older rotated file. */
        if (link(path, to) == 0) {
            rc = unlink(path) == 0 && fsync_dir(dir) == 0 ? 0 : -1;
            if (rc != 0) {
                int saved = errno;
                unlink(to);
                errno = saved;
                free(to);
                break;
            }
        } else if (errno != EEXIST) {
            free(to);
            break;
        }
        free(to);
    }
    free(dir);
    free(stem);
    return rc;
}

/* A rotated file's name parsed: its day and sequence number (0 for the first of the day). */
struct rotated {
    char *path;
    int day;
    unsigned seq;
};

static bool parse_rotated(const char *name, const char *stem, int *day, unsigned *seq)
{
    size_t sl = strlen(stem);
    if (strncmp(name, stem, sl) != 0 || name[sl] != '-')
        return false;
    const char *p = name + sl + 1;
    char rest[16] = "";
    int used = 0;
    *seq = 0;
    if (strlen(p) < 8 || sscanf(p, "%8d%n", day, &used) != 1 || used != 8 || *day < 10000101)
        return false;
    p += 8;
    if (*p == '-') {
        if (sscanf(p + 1, "%u%n", seq, &used) != 1 || *seq == 0)
            return false;
        p += 1 + used;
    }
    snprintf(rest, sizeof(rest), "%s", p);
    return strcmp(rest, ".jsonl") == 0;
}

static int rotated_cmp(const void *a, const void *b)
{
    const struct rotated *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The rotated files of PATH, sorted oldest first; *N their number. Caller frees. */
static struct rotated *list_rotated(const char *path, size_t *n)
{
    char *dir, *stem;
    split_path(path, &dir, &stem);
    struct rotated *v = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        int day;
        unsigned seq;
        if (!parse_rotated(e->d_name, stem, &day, &seq))
            continue;
        v = xreallocarray(v, *n + 1, sizeof(*v));
        v[(*n)++] = (struct rotated){xasprintf("%s/%s", dir, e->d_name), day, seq};
    }
    if (d != NULL)
        closedir(d);
    if (*n > 1)
        qsort(v, *n, sizeof(*v), rotated_cmp);
    free(dir);
    free(stem);
    return v;
}

char **record_rotated_list(const char *path)
{
    size_t n;
    struct rotated *v = list_rotated(path, &n);
    char **out = xcalloc(n + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = v[i].path;
    free(v);
    return out;
}

void record_rotated_free(char **list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        free(list[i]);
    free(list);
}

/* The time at which the UTC day DAY (YYYYMMDD) ends. */
static time_t day_end(int day)
{
    struct tm tm = {
        .tm_year = day / 10000 - 1900, .tm_mon = day / 100 % 100 - 1, .tm_mday = day % 100 + 1};
    return timegm(&tm);
}

void record_prune(const char *path, time_t now, unsigned retention_s)
{
    if (retention_s == 0)
        return;
    size_t n;
    struct rotated *v = list_rotated(path, &n);
    for (size_t i = 0; i < n; i++) {
        if (day_end(v[i].day) <= now - (time_t)retention_s) {
            if (unlink(v[i].path) == 0)
                log_info("%s: removed, its decisions are older than record_retention", v[i].path);
            else
                log_warn("%s: cannot remove an expired decision record: %s", v[i].path,
                         strerror(errno));
        }
        free(v[i].path);
    }
    free(v);
}
