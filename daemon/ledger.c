/*
 * ledger: append-only, fsync'ed record of answered meeting messages (see ledger.h).
 *
 * Line format: "<kind> <unix-time> <action> <id>\n" with kind "I" (intent) or "D" (done).
 * The in-memory index is an open-addressing hash table from id to the last record.
 */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define LEDGER_ACTION_MAX 32
#define LEDGER_ID_MAX 1024

struct ledger_entry {
    char *id; /* NULL marks an empty slot */
    enum ledger_state state;
    time_t when;
    char action[LEDGER_ACTION_MAX];
};

struct ledger {
    char *path;
    int fd;
    struct ledger_entry *slots;
    size_t capacity; /* power of two */
    size_t count;
};

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static struct ledger_entry *find_slot(struct ledger_entry *slots, size_t capacity, const char *id)
{
    size_t i = hash_id(id) & (capacity - 1);
    while (slots[i].id != NULL && strcmp(slots[i].id, id) != 0)
        i = (i + 1) & (capacity - 1);
    return &slots[i];
}

static void grow(struct ledger *l)
{
    size_t ncap = l->capacity ? l->capacity * 2 : 64;
    struct ledger_entry *nslots = xcalloc(ncap, sizeof(*nslots));
    for (size_t i = 0; i < l->capacity; i++) {
        if (l->slots[i].id != NULL)
            *find_slot(nslots, ncap, l->slots[i].id) = l->slots[i];
    }
    free(l->slots);
    l->slots = nslots;
    l->capacity = ncap;
}

static void remember(struct ledger *l, const char *id, enum ledger_state state, time_t when,
                     const char *action)
{
    /* ACTION may be ledger_action()'s pointer into the table that grow() frees or the very
     * field written below: copy it first. */
    char copy[LEDGER_ACTION_MAX];
    snprintf(copy, sizeof(copy), "%s", action);
    action = copy;
    if ((l->count + 1) * 2 > l->capacity)
        grow(l);
    struct ledger_entry *e = find_slot(l->slots, l->capacity, id);
    if (e->id == NULL) {
        e->id = xstrdup(id);
        l->count++;
    }
    e->state = state;
    e->when = when;
    snprintf(e->action, sizeof(e->action), "%s", action);
}

/* An id or action that would break the line format is refused rather than escaped: EWS ids
 * are base64 and the actions are our own words. */
static bool token_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    }
    return true;
}

static int parse_line(struct ledger *l, char *line)
{
    char kind;
    long long when;
    char action[LEDGER_ACTION_MAX];
    char id[LEDGER_ID_MAX];
    if (sscanf(line, "%c %lld %31s %1023s", &kind, &when, action, id) != 4)
        return -1;
    if (kind != 'I' && kind != 'D')
        return -1;
    remember(l, id, kind == 'I' ? LEDGER_INTENT : LEDGER_DONE, (time_t)when, action);
    return 0;
}

static int load(struct ledger *l, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(l->fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
        return -1;
    }
    size_t size = (size_t)st.st_size;
    char *buf = xmalloc(size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(l->fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s: read failed: %s", l->path,
                     n < 0 ? strerror(errno) : "short read");
            free(buf);
            return -1;
        }
        got += (size_t)n;
    }
    buf[size] = '\0';

    /* A crash while appending can leave a partial last line: cut it off so that the next
     * record starts on a line of its own. The record it held was never acted on, because
     * acting waits for the write to complete. */
    size_t complete = size;
    while (complete > 0 && buf[complete - 1] != '\n')
        complete--;
    if (complete != size && ftruncate(l->fd, (off_t)complete) != 0) {
        snprintf(err, errlen, "%s: cannot cut partial record: %s", l->path, strerror(errno));
        free(buf);
        return -1;
    }
    buf[complete] = '\0';

    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        (void)parse_line(l, line); /* an unreadable line is ignored, never fatal */
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
    grow(l);
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
    for (size_t i = 0; i < l->capacity; i++)
        free(l->slots[i].id);
    free(l->slots);
    free(l->path);
    free(l);
}

enum ledger_state ledger_state(const struct ledger *l, const char *id)
{
    const struct ledger_entry *e = find_slot(l->slots, l->capacity, id);
    return e->id ? e->state : LEDGER_UNKNOWN;
}

const char *ledger_action(const struct ledger *l, const char *id)
{
    const struct ledger_entry *e = find_slot(l->slots, l->capacity, id);
    return e->id ? e->action : NULL;
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

static int append(struct ledger *l, char kind, const char *id, const char *action)
{
    if (!token_ok(id, LEDGER_ID_MAX) || !token_ok(action, LEDGER_ACTION_MAX)) {
        errno = EINVAL;
        return -1;
    }
    time_t now = time(NULL);
    char *line = xasprintf("%c %lld %s %s\n", kind, (long long)now, action, id);
    int rc = write_all(l->fd, line, strlen(line));
    free(line);
    if (rc == 0)
        rc = fdatasync(l->fd);
    if (rc != 0)
        return -1;
    remember(l, id, kind == 'I' ? LEDGER_INTENT : LEDGER_DONE, now, action);
    return 0;
}

int ledger_intent(struct ledger *l, const char *id, const char *action)
{
    return append(l, 'I', id, action);
}

int ledger_done(struct ledger *l, const char *id, const char *action)
{
    return append(l, 'D', id, action);
}

void ledger_foreach_pending(const struct ledger *l,
                            void (*fn)(const char *id, const char *action, void *userdata),
                            void *userdata)
{
    for (size_t i = 0; i < l->capacity; i++) {
        if (l->slots[i].id != NULL && l->slots[i].state == LEDGER_INTENT)
            fn(l->slots[i].id, l->slots[i].action, userdata);
    }
}

size_t ledger_count(const struct ledger *l)
{
    return l->count;
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

int ledger_compact(struct ledger *l, time_t keep_after,
                   bool (*still_present)(const char *id, void *userdata), void *userdata)
{
    char *tmp = xasprintf("%s.tmp", l->path);
    /* Opened for appending too: after the rename this descriptor is the ledger's, so no
     * reopen can fail and leave the ledger writing to the replaced file. */
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    struct ledger_entry *keep = xcalloc(l->capacity, sizeof(*keep));
    int rc = 0;
    for (size_t i = 0; i < l->capacity && rc == 0; i++) {
        struct ledger_entry *e = &l->slots[i];
        if (e->id == NULL)
            continue;
        bool kept = e->state == LEDGER_INTENT || e->when >= keep_after ||
                    (still_present && still_present(e->id, userdata));
        if (!kept)
            continue;
        char *line = xasprintf("%c %lld %s %s\n", e->state == LEDGER_INTENT ? 'I' : 'D',
                               (long long)e->when, e->action, e->id);
        rc = write_all(fd, line, strlen(line));
        free(line);
        keep[i] = *e;
    }
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
        free(keep);
        errno = saved;
        return -1;
    }
    free(tmp);
    close(l->fd);
    l->fd = fd;

    /* Rebuild the index from the kept entries; dropped ids are freed. */
    struct ledger_entry *old = l->slots;
    size_t oldcap = l->capacity;
    l->slots = xcalloc(oldcap, sizeof(*l->slots));
    l->count = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].id == NULL)
            continue;
        if (keep[i].id != NULL) {
            *find_slot(l->slots, l->capacity, old[i].id) = old[i];
            l->count++;
        } else {
            free(old[i].id);
        }
    }
    free(old);
    free(keep);
    return 0;
}
