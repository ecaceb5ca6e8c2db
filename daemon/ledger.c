/*
 * ledger: append-only, fsync'ed record of answered meeting messages (see ledger.h).
 *
 * Line format: "<kind> <unix-time> <action> <id>\n" with kind "I" (intent) or "D" (done).
 * The in-memory index maps each id to its last record (uthash, keyed by the id string).
 */
#include "ledger.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* uthash's default on a failed allocation is exit(-1); the rest of meetingd aborts. */
#define uthash_fatal(msg) abort()
#include <uthash.h>

#define LEDGER_ACTION_MAX 32
#define LEDGER_ID_MAX 1024

struct ledger_entry {
    char *id; /* the key */
    enum ledger_state state;
    time_t when;
    char action[LEDGER_ACTION_MAX];
    char *link; /* an intent's link to the request's calendar item, or NULL */
    bool keep;  /* ledger_compact's mark */
    UT_hash_handle hh;
};

struct ledger {
    char *path;
    int fd;
    off_t size;  /* bytes of complete records: where a failed append is cut back to */
    bool broken; /* a failed append could not be cut back: refuse appends until reopened */
    bool gone;   /* the file was found removed: said once, until it is written again */
    struct ledger_entry *entries;
    size_t n_pending; /* entries whose last record is an intent */
};

static struct ledger_entry *find(const struct ledger *l, const char *id)
{
    struct ledger_entry *e = NULL;
    HASH_FIND_STR(l->entries, id, e);
    return e;
}

static void remember(struct ledger *l, const char *id, enum ledger_state state, time_t when,
                     const char *action, const char *link)
{
    /* ACTION may be ledger_action()'s pointer into the very field written below. */
    char copy[LEDGER_ACTION_MAX];
    snprintf(copy, sizeof(copy), "%s", action);
    struct ledger_entry *e = find(l, id);
    if (e == NULL) {
        e = xcalloc(1, sizeof(*e));
        e->id = xstrdup(id);
        HASH_ADD_KEYPTR(hh, l->entries, e->id, strlen(e->id), e);
    }
    if (state == LEDGER_INTENT && e->state != LEDGER_INTENT)
        l->n_pending++;
    else if (state != LEDGER_INTENT && e->state == LEDGER_INTENT)
        l->n_pending--;
    e->state = state;
    e->when = when;
    snprintf(e->action, sizeof(e->action), "%s", copy);
    char *old_link = e->link; /* LINK may be ledger_link()'s pointer to it */
    e->link = state == LEDGER_INTENT && link != NULL ? xstrdup(link) : NULL;
    free(old_link);
}

static void forget(struct ledger *l, struct ledger_entry *e)
{
    if (e->state == LEDGER_INTENT)
        l->n_pending--;
    HASH_DEL(l->entries, e);
    free(e->link);
    free(e->id);
    free(e);
}

/* An id or action that would break the line format is refused rather than escaped: EWS ids
 * are base64 and the actions are our own words. */
static bool token_ok(const char *s, size_t max)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    }
    return true;
}

/* One complete record: exactly "K TIME ACTION ID [LINK]", K one of I and D, TIME all digits,
 * LINK only on an intent. */
static bool parse_record(const char *line, char *kind, long long *when, char *action, char *id,
                         char *link)
{
    char k[2], t[24], extra[2];
    link[0] = '\0';
    int n = sscanf(line, "%1s %23s %31s %1023s %1023s %1s", k, t, action, id, link, extra);
    if (n != 4 && !(n == 5 && k[0] == 'I'))
        return false;
    if ((k[0] != 'I' && k[0] != 'D') || line[0] != k[0] || line[1] != ' ')
        return false;
    for (const char *p = t; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    *kind = k[0];
    *when = strtoll(t, NULL, 10);
    return true;
}

/* Parses LINE; a line that is not a record may be a torn record with a complete one glued
 * on ("I 1796560811 tenI 1796560837 tentative AUmEC9"): the record at its end is taken.
 * Returns 0 for a record, 1 for a recovered one, -1 for a line without one. */
static int parse_line(struct ledger *l, const char *line)
{
    char kind, action[LEDGER_ACTION_MAX], id[LEDGER_ID_MAX], link[LEDGER_ID_MAX];
    long long when;
    int rc = 0;
    const char *p = line;
    while (!parse_record(p, &kind, &when, action, id, link)) {
        rc = 1;
        p = strpbrk(p + 1, "ID");
        if (p == NULL)
            return -1;
    }
    remember(l, id, kind == 'I' ? LEDGER_INTENT : LEDGER_DONE, (time_t)when, action,
             link[0] ? link : NULL);
    return rc;
}

static char *read_whole(int fd, size_t size)
{
    char *buf = xmalloc(size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* shorter than fstat said */
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    buf[size] = '\0';
    return buf;
}

static int load(struct ledger *l, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(l->fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
        return -1;
    }
    size_t size = (size_t)st.st_size;
    char *buf = read_whole(l->fd, size);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: read failed: %s", l->path, strerror(errno));
        return -1;
    }

    /* A crash while appending can leave a partial last line: cut it off so that the next
     * record starts on a line of its own. The record it held was never acted on, because
     * acting waits for the write to complete. */
    size_t complete = size;
    while (complete > 0 && buf[complete - 1] != '\n')
        complete--;
    if (complete != size) {
        if (ftruncate(l->fd, (off_t)complete) != 0) {
            snprintf(err, errlen, "%s: cannot cut partial record: %s", l->path, strerror(errno));
            free(buf);
            return -1;
        }
        log_warn("%s: cut off a torn last record (%zu bytes) left by an interrupted write", l->path,
                 size - complete);
    }
    buf[complete] = '\0';
    l->size = (off_t)complete;

    unsigned recovered = 0, skipped = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int rc = parse_line(l, line); /* an unreadable line is skipped, never fatal */
        recovered += rc == 1;
        skipped += rc == -1;
    }
    if (recovered > 0)
        log_warn("%s: %u record(s) recovered from torn lines", l->path, recovered);
    if (skipped > 0)
        log_warn("%s: %u unreadable line(s) skipped", l->path, skipped);
    free(buf);
    return 0;
}

struct ledger *ledger_open(const char *path, char *err, size_t errlen)
{
    struct ledger *l = xcalloc(1, sizeof(*l));
    l->path = xstrdup(path);
    l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (l->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        ledger_close(l);
        return NULL;
    }
    if (load(l, err, errlen) != 0) {
        ledger_close(l);
        return NULL;
    }
    return l;
}

void ledger_close(struct ledger *l)
{
    if (l == NULL)
        return;
    if (l->fd >= 0)
        close(l->fd);
    struct ledger_entry *e, *tmp;
    HASH_ITER(hh, l->entries, e, tmp)
    {
        forget(l, e);
    }
    free(l->path);
    free(l);
}

enum ledger_state ledger_state(const struct ledger *l, const char *id)
{
    const struct ledger_entry *e = find(l, id);
    return e ? e->state : LEDGER_UNKNOWN;
}

const char *ledger_action(const struct ledger *l, const char *id)
{
    const struct ledger_entry *e = find(l, id);
    return e ? e->action : NULL;
}

const char *ledger_link(const struct ledger *l, const char *id)
{
    const struct ledger_entry *e = find(l, id);
    return e ? e->link : NULL;
}

time_t ledger_when(const struct ledger *l, const char *id)
{
    const struct ledger_entry *e = find(l, id);
    return e ? e->when : 0;
}

size_t ledger_pending_count(const struct ledger *l)
{
    return l->n_pending;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Whether PATH is still the file the ledger writes to: a removed state_dir or a file put in
 * its place would take every record written from now on with it. */
static int still_in_place(const struct ledger *l)
{
    struct stat by_path, by_fd;
    if (stat(l->path, &by_path) != 0)
        return -1; /* errno from stat: ENOENT when removed */
    if (fstat(l->fd, &by_fd) != 0)
        return -1;
    if (by_path.st_dev != by_fd.st_dev || by_path.st_ino != by_fd.st_ino) {
        errno = ESTALE;
        return -1;
    }
    return 0;
}

/* The ledger's file was removed under us (a state_dir deleted while meetingd runs): every
 * entry is still in memory, so the file is written anew from them as soon as its directory
 * exists again. Until then appends fail, and nothing is sent without its intent. A file put in
 * the ledger's place (ESTALE) is not overwritten: that needs a person. */
static int restore_removed(struct ledger *l)
{
    if (errno != ENOENT)
        return -1;
    if (!l->gone)
        log_error("%s: the ledger was removed while meetingd ran; nothing is answered until it "
                  "can be written again from memory",
                  l->path);
    l->gone = true;
    if (ledger_compact(l, 0, NULL, NULL) != 0) {
        errno = ENOENT;
        return -1;
    }
    l->gone = false;
    log_notice("%s: the ledger was written again with its %zu entries", l->path, ledger_count(l));
    return 0;
}

/* Appends LEN bytes of complete lines durably, or nothing: a failed write or flush is cut
 * back to the last complete record. */
static int append_durably(struct ledger *l, const char *buf, size_t len)
{
    if (l->broken) {
        errno = EIO;
        return -1;
    }
    if (still_in_place(l) != 0 && restore_removed(l) != 0)
        return -1;
    if (write_all(l->fd, buf, len) == 0 && fdatasync(l->fd) == 0) {
        l->size += (off_t)len;
        return 0;
    }
    int saved = errno;
    if (ftruncate(l->fd, l->size) != 0 || fdatasync(l->fd) != 0) {
        /* The file may end in a torn line: no more appends until a restart repairs it. */
        l->broken = true;
        log_error("%s: a failed append could not be undone (%s); the ledger takes no more "
                  "records until meetingd restarts",
                  l->path, strerror(errno));
    }
    errno = saved;
    return -1;
}

int ledger_append_many_linked(struct ledger *l, const struct ledger_record *records,
                              const char *const *links, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!token_ok(records[i].id, LEDGER_ID_MAX) ||
            !token_ok(records[i].action, LEDGER_ACTION_MAX) ||
            (records[i].state != LEDGER_INTENT && records[i].state != LEDGER_DONE) ||
            (links != NULL && links[i] != NULL && !token_ok(links[i], LEDGER_ID_MAX))) {
            errno = EINVAL;
            return -1;
        }
    }
    if (n == 0)
        return 0;
    time_t now = time(NULL);
    size_t len = 0, cap = 0;
    char *buf = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *link = records[i].state == LEDGER_INTENT && links ? links[i] : NULL;
        char *line = xasprintf("%c %lld %s %s%s%s\n", records[i].state == LEDGER_INTENT ? 'I' : 'D',
                               (long long)now, records[i].action, records[i].id, link ? " " : "",
                               link ? link : "");
        size_t ll = strlen(line);
        if (len + ll > cap) {
            cap = 2 * (len + ll);
            buf = xrealloc(buf, cap);
        }
        memcpy(buf + len, line, ll);
        len += ll;
        free(line);
    }
    int rc = append_durably(l, buf, len);
    free(buf);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        remember(l, records[i].id, records[i].state, now, records[i].action,
                 links ? links[i] : NULL);
    return 0;
}

int ledger_append_many(struct ledger *l, const struct ledger_record *records, size_t n)
{
    return ledger_append_many_linked(l, records, NULL, n);
}

int ledger_intent_linked(struct ledger *l, const char *id, const char *action, const char *link)
{
    struct ledger_record r = {.state = LEDGER_INTENT, .id = id, .action = action};
    return ledger_append_many_linked(l, &r, &link, 1);
}

int ledger_intent(struct ledger *l, const char *id, const char *action)
{
    struct ledger_record r = {.state = LEDGER_INTENT, .id = id, .action = action};
    return ledger_append_many(l, &r, 1);
}

int ledger_done(struct ledger *l, const char *id, const char *action)
{
    struct ledger_record r = {.state = LEDGER_DONE, .id = id, .action = action};
    return ledger_append_many(l, &r, 1);
}

void ledger_foreach_pending(const struct ledger *l,
                            void (*fn)(const char *id, const char *action, void *userdata),
                            void *userdata)
{
    for (const struct ledger_entry *e = l->entries; e != NULL; e = e->hh.next) {
        if (e->state == LEDGER_INTENT)
            fn(e->id, e->action, userdata);
    }
}

size_t ledger_count(const struct ledger *l)
{
    return HASH_COUNT(l->entries);
}

static void sync_parent_dir(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Writes the entries marked keep to FD; the byte count in *SIZE. */
static int write_kept(const struct ledger *l, int fd, off_t *size)
{
    *size = 0;
    for (const struct ledger_entry *e = l->entries; e != NULL; e = e->hh.next) {
        if (!e->keep)
            continue;
        char *line = xasprintf("%c %lld %s %s%s%s\n", e->state == LEDGER_INTENT ? 'I' : 'D',
                               (long long)e->when, e->action, e->id, e->link ? " " : "",
                               e->link ? e->link : "");
        size_t n = strlen(line);
        int rc = write_all(fd, line, n);
        free(line);
        if (rc != 0)
            return -1;
        *size += (off_t)n;
    }
    return 0;
}

int ledger_compact(struct ledger *l, time_t keep_after,
                   bool (*still_present)(const char *id, void *userdata), void *userdata)
{
    if (l->broken) {
        errno = EIO;
        return -1;
    }
    char *tmp = xasprintf("%s.tmp", l->path);
    /* Opened for appending too: after the rename this descriptor is the ledger's, so no
     * reopen can fail and leave the ledger writing to the replaced file. */
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    for (struct ledger_entry *e = l->entries; e != NULL; e = e->hh.next)
        e->keep = e->state == LEDGER_INTENT || e->when >= keep_after ||
                  (still_present && still_present(e->id, userdata));
    off_t size = 0;
    int rc = write_kept(l, fd, &size);
    if (rc == 0)
        rc = fsync(fd);
    if (rc == 0)
        rc = rename(tmp, l->path);
    if (rc == 0)
        sync_parent_dir(l->path); /* make the rename itself durable */
    if (rc != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        errno = saved;
        return -1;
    }
    free(tmp);
    close(l->fd);
    l->fd = fd;
    l->size = size;

    struct ledger_entry *e, *next;
    HASH_ITER(hh, l->entries, e, next)
    {
        if (!e->keep)
            forget(l, e);
    }
    return 0;
}
