/*
 * record: the decision record, decisions.jsonl (see record.h).
 *
 * Writing: the line is built in memory (jsonline) and handed to one write()
 * on an O_APPEND descriptor, so a killed daemon leaves either the whole line or a prefix of
 * it - never an interleaving - and record_open() cuts such a prefix off. Reading it back is
 * history.c's job.
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonline.h"
#include "log.h"
#include "record_rotate.h"
#include "util.h"

struct record {
    int fd;
    char *path;
    dev_t dev; /* the file fd is open on, to notice it removed or replaced */
    ino_t ino;
    bool lost; /* the file was found removed or replaced; reported once until it is back */
    unsigned retention_s; /* rotated files older than this are removed (0 = kept forever) */
    uint64_t max_bytes;   /* the current file is rotated before it would grow past this */
    /* A group (record_group_begin): its lines wait here for one write and one fdatasync. */
    unsigned group_depth;
    char *group_buf;
    size_t group_len, group_cap;
    time_t group_when; /* the time of the group's first line (rotation) */
    /* Lines whose append failed (a full disk), oldest first, with their times: written before
     * any newer one as soon as the file takes them, so a decision is late but not lost. */
    struct strlist unwritten;
    time_t *unwritten_when;
    bool failing; /* an append failed: said once, and once again when writing works */
};

#define RECORD_UNWRITTEN_MAX 4096 /* lines kept in memory while the file takes none */

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",     "Thu",
                                        "Fri", "Sat", "day", "weekday", "weekend day"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const ordinals[] = {"first", "second", "third", "fourth", "last"};

static void put_days(struct strbuf *b, unsigned days)
{
    bool first = true;
    for (size_t i = 0; i < sizeof(day_names) / sizeof(day_names[0]); i++) {
        if (!(days & (1u << i)))
            continue;
        if (!first)
            strbuf_putc(b, ',');
        strbuf_puts(b, day_names[i]);
        first = false;
    }
    if (first)
        strbuf_puts(b, "?");
}

static const char *month_name(int month)
{
    return month >= 1 && month <= 12 ? month_names[month - 1] : "?";
}

static const char *ordinal(int index)
{
    return index >= 1 && index <= 5 ? ordinals[index - 1] : "?";
}

char *record_recurrence_text(const struct item_recurrence *rec)
{
    struct strbuf b = {0};
    if (rec == NULL)
        return strbuf_take(&b);
    switch (rec->pattern) {
    case REC_DAILY:
        strbuf_printf(&b, "daily every %d day(s)", rec->interval);
        break;
    case REC_WEEKLY:
        strbuf_printf(&b, "weekly every %d week(s) on ", rec->interval);
        put_days(&b, rec->days_of_week);
        break;
    case REC_ABSOLUTE_MONTHLY:
        strbuf_printf(&b, "monthly every %d month(s) on day %d", rec->interval, rec->day_of_month);
        break;
    case REC_RELATIVE_MONTHLY:
        strbuf_printf(&b, "monthly every %d month(s) on the %s ", rec->interval,
                      ordinal(rec->day_of_week_index));
        put_days(&b, rec->days_of_week);
        break;
    case REC_ABSOLUTE_YEARLY:
        strbuf_printf(&b, "yearly on %s %d", month_name(rec->month), rec->day_of_month);
        break;
    case REC_RELATIVE_YEARLY:
        strbuf_printf(&b, "yearly on the %s ", ordinal(rec->day_of_week_index));
        put_days(&b, rec->days_of_week);
        strbuf_printf(&b, " of %s", month_name(rec->month));
        break;
    default:
        strbuf_puts(&b, "recurring");
        break;
    }
    /* The dates are fixed-size arrays filled by ews_parse; bound the reads all the same. */
    int start_len = (int)strnlen(rec->start_date, sizeof(rec->start_date));
    int end_len = (int)strnlen(rec->end_date, sizeof(rec->end_date));
    if (start_len > 0)
        strbuf_printf(&b, " from %.*s", start_len, rec->start_date);
    switch (rec->range) {
    case REC_RANGE_END_DATE:
        if (end_len > 0)
            strbuf_printf(&b, " until %.*s", end_len, rec->end_date);
        break;
    case REC_RANGE_NUMBERED:
        strbuf_printf(&b, ", %d occurrences", rec->number_of_occurrences);
        break;
    case REC_RANGE_NO_END:
    default:
        strbuf_puts(&b, ", no end");
        break;
    }
    return strbuf_take(&b);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* ,"KEY": - how every member of the record but the first ("time") starts. */
static const char *check_outcome_name(enum policy_outcome o)
{
    switch (o) {
    case POLICY_CHECK_PASS:
        return "pass";
    case POLICY_CHECK_FAIL:
        return "fail";
    case POLICY_CHECK_INFO:
        break;
    }
    return "info";
}

char *record_format_line(const struct policy_event *d, bool dry_run, time_t when)
{
    const struct item *it = d->request;
    const struct policy_result *res = d->result;
    char *rec = it->recurrence ? record_recurrence_text(it->recurrence) : NULL;
    /* The members in the order the header documents. */
    struct jsonline j = {0};
    jsonline_object_begin(&j);
    jsonline_key(&j, "time");
    jsonline_time(&j, when);
    static const char *const item_keys[] = {"mailbox",   "address",        "uid",    "item_id",
                                            "organizer", "organizer_name", "subject"};
    const char *item_values[] = {
        d->mailbox,         d->address, it->uid, it->id.id, it->organizer.address,
        it->organizer.name, it->subject};
    for (size_t i = 0; i < sizeof(item_keys) / sizeof(item_keys[0]); i++) {
        jsonline_key(&j, item_keys[i]);
        jsonline_string(&j, item_values[i]);
    }
    jsonline_key(&j, "start");
    jsonline_time(&j, it->start);
    jsonline_key(&j, "end");
    jsonline_time(&j, it->end);
    jsonline_key(&j, "recurring");
    jsonline_bool(&j, it->is_recurring || it->recurrence);
    jsonline_key(&j, "recurrence");
    jsonline_string(&j, rec);
    jsonline_key(&j, "decision");
    jsonline_string(&j, d->action ? d->action : policy_decision_name(res->decision));
    jsonline_key(&j, "dry_run");
    jsonline_bool(&j, dry_run);
    jsonline_key(&j, "outcome");
    jsonline_string(&j, d->outcome);
    if (d->settles) {
        jsonline_key(&j, "settles");
        jsonline_bool(&j, true);
    }
    jsonline_key(&j, "rule");
    jsonline_string(&j, res->rule);
    jsonline_key(&j, "response");
    jsonline_string(&j, res->response_text);
    jsonline_key(&j, "declined_occurrences");
    jsonline_array_begin(&j);
    for (size_t i = 0; i < res->n_declined_occurrences; i++)
        jsonline_time(&j, res->declined_occurrences[i]);
    jsonline_array_end(&j);
    jsonline_key(&j, "checks");
    jsonline_array_begin(&j);
    for (size_t i = 0; i < res->n_checks; i++) {
        const struct policy_check *c = &res->checks[i];
        jsonline_object_begin(&j);
        jsonline_key(&j, "name");
        jsonline_string(&j, c->name);
        jsonline_key(&j, "outcome");
        jsonline_string(&j, check_outcome_name(c->outcome));
        jsonline_key(&j, "reason");
        jsonline_string(&j, c->reason);
        jsonline_object_end(&j);
    }
    jsonline_array_end(&j);
    jsonline_object_end(&j);
    free(rec);
    return jsonline_take(&j, true);
}

/* Reads exactly LEN bytes at OFFSET. */
static int pread_full(int fd, char *buf, size_t len, off_t offset)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, offset + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO; /* the file shrank under us */
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* Cuts off whatever follows the last '\n' of the SIZE-byte file: the prefix of a line whose
 * write a crash interrupted. Scans backwards, so a long record costs nothing. Sets *CUT to the
 * number of bytes cut off. */
static int cut_partial_line(int fd, off_t size, off_t *cut)
{
    *cut = 0;
    char buf[4096];
    off_t end = size, keep = 0;
    while (end > 0) {
        size_t n = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
        off_t from = end - (off_t)n;
        if (pread_full(fd, buf, n, from) != 0)
            return -1;
        size_t i = n;
        while (i > 0 && buf[i - 1] != '\n')
            i--;
        if (i > 0) {
            keep = from + (off_t)i;
            break;
        }
        end = from;
    }
    if (keep == size)
        return 0;
    if (ftruncate(fd, keep) != 0 || fsync(fd) != 0)
        return -1;
    *cut = size - keep;
    return 0;
}

/* Opens PATH, repairing a torn last line; returns the descriptor or -1 with ERR filled. */
static int open_file(const char *path, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    off_t cut = 0;
    if (fstat(fd, st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        errno = EISDIR;
    } else if (cut_partial_line(fd, st->st_size, &cut) != 0) {
        snprintf(err, errlen, "%s: cannot cut off a partial last record: %s", path,
                 strerror(errno));
    } else {
        if (cut > 0)
            log_warn("%s: cut off a torn last record (%lld bytes) that an interrupted write "
                     "left",
                     path, (long long)cut);
        return fd;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

struct record *record_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd = open_file(path, &st, err, errlen);
    if (fd < 0)
        return NULL;
    struct record *r = xcalloc(1, sizeof(*r));
    r->fd = fd;
    r->path = xstrdup(path);
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->retention_s = 90u * 86400u;
    r->max_bytes = RECORD_MAX_BYTES_DEFAULT;
    return r;
}

void record_set_limits(struct record *r, unsigned retention_s, uint64_t max_bytes)
{
    if (r == NULL)
        return;
    r->retention_s = retention_s;
    r->max_bytes = max_bytes > 0 ? max_bytes : RECORD_MAX_BYTES_DEFAULT;
    /* A daemon started after days without decisions removes what expired meanwhile. */
    record_prune(r->path, util_now(), r->retention_s);
}

void record_close(struct record *r)
{
    if (r == NULL)
        return;
    if (r->group_depth > 0) {
        r->group_depth = 1;
        if (record_group_end(r) != 0)
            log_error_errno(errno, "%s: cannot write the last decisions", r->path);
    }
    free(r->group_buf);
    close(r->fd);
    strlist_free(&r->unwritten);
    free(r->unwritten_when);
    free(r->path);
    free(r);
}

/* Makes sure the descriptor still is the file at the record's path: the state directory or
 * the file may have been removed or replaced while we ran, and appending to an unlinked file
 * would lose every record without a word. Reopens (creating the file anew) when the path
 * names something else; -1 when it cannot, with errno set. Reported at error level, once. */
static int ensure_same_file(struct record *r)
{
    struct stat st;
    int rc = stat(r->path, &st);
    if (rc == 0 && st.st_dev == r->dev && st.st_ino == r->ino) {
        if (r->lost)
            log_notice("%s: the decision record is back", r->path);
        r->lost = false;
        return 0;
    }
    char err[512];
    struct stat fresh;
    int fd = open_file(r->path, &fresh, err, sizeof(err));
    int saved = errno;
    if (!r->lost)
        log_error("%s: the decision record was %s while meetingd ran; %s", r->path,
                  rc != 0 ? "removed" : "replaced",
                  fd >= 0 ? "recording goes on in a new file" : "decisions cannot be recorded");
    if (fd < 0) {
        if (!r->lost)
            log_error("%s", err);
        r->lost = true;
        errno = saved;
        return -1;
    }
    close(r->fd);
    r->fd = fd;
    r->dev = fresh.st_dev;
    r->ino = fresh.st_ino;
    r->lost = false;
    return 0;
}

int record_check(struct record *r)
{
    return r == NULL ? 0 : ensure_same_file(r);
}

/* Starts a new file when the record of WHEN (LEN bytes) belongs to another UTC day than the
 * current file's first record, or would make it outgrow max_bytes; then removes the rotated
 * files past the retention. A rotation that fails is logged and the record goes on in the
 * current file: a decision is never lost for want of a rename. */
static void rotate_if_due(struct record *r, time_t when, size_t len)
{
    struct stat st;
    int first = 0;
    if (fstat(r->fd, &st) != 0 || st.st_size == 0)
        return;
    bool new_day = record_first_day(r->fd, st.st_size, &first) == 0 && first != record_day_of(when);
    bool too_big = (uint64_t)st.st_size + len > r->max_bytes;
    if (!new_day && !too_big)
        return;
    if (first == 0)
        first = record_day_of(when);
    char err[512];
    struct stat fresh;
    int fd = -1;
    if (record_rotate_file(r->path, first) != 0) {
        log_error_errno(errno, "%s: cannot rotate the decision record", r->path);
    } else if ((fd = open_file(r->path, &fresh, err, sizeof(err))) < 0) {
        /* the rotated file is still open: append there rather than lose the record */
        log_error("%s", err);
    } else {
        close(r->fd);
        r->fd = fd;
        r->dev = fresh.st_dev;
        r->ino = fresh.st_ino;
    }
    record_prune(r->path, when, r->retention_s);
}

/* Takes back a failed append: the file ends where it did before, so no torn line is left for
 * the next record to be glued onto. */
static void take_back(struct record *r, off_t before)
{
    int saved = errno;
    if (before >= 0 && ftruncate(r->fd, before) != 0)
        log_error_errno(errno,
                        "%s: cannot take back a failed append (the next start cuts it "
                        "off)",
                        r->path);
    errno = saved;
}

/* Appends LEN bytes of whole lines, all or nothing (see take_back), with the rotation due
 * at WHEN. */
static int append_lines(struct record *r, const char *lines, size_t len, time_t when)
{
    if (ensure_same_file(r) != 0)
        return -1;
    rotate_if_due(r, when, len);
    struct stat st;
    off_t before = fstat(r->fd, &st) == 0 ? st.st_size : -1;
    ssize_t n;
    do
        n = write(r->fd, lines, len);
    while (n < 0 && errno == EINTR);
    if (n >= 0 && (size_t)n != len)
        errno = ENOSPC; /* short write: disk full, quota, file size limit */
    /* All or nothing: a write that failed or fell short, or data the disk did not take
     * (fdatasync fails for a full disk under delayed allocation), is taken back. */
    if (n < 0 || (size_t)n != len || fdatasync(r->fd) != 0) {
        take_back(r, before);
        return -1;
    }
    return 0;
}

/* Writes the lines kept after failed appends, oldest first; -1 (errno set) while the file
 * takes none, with the rest still kept. */
static int write_unwritten(struct record *r)
{
    size_t done = 0;
    int rc = 0;
    while (done < r->unwritten.n &&
           (rc = append_lines(r, r->unwritten.v[done], strlen(r->unwritten.v[done]),
                              r->unwritten_when[done])) == 0)
        done++;
    int saved = errno;
    if (done > 0) {
        for (size_t i = 0; i < done; i++)
            free(r->unwritten.v[i]);
        size_t rest = r->unwritten.n - done;
        memmove(r->unwritten.v, r->unwritten.v + done, rest * sizeof(char *));
        memmove(r->unwritten_when, r->unwritten_when + done, rest * sizeof(time_t));
        r->unwritten.n = rest;
    }
    if (rc == 0 && r->failing) {
        log_notice("%s: the decision record can be written again%s", r->path,
                   done > 0 ? "; the decisions kept meanwhile are written" : "");
        r->failing = false;
    }
    errno = saved;
    return rc;
}

/* Keeps LINES (whole lines, taken) for a later attempt; said once per episode. */
static void keep_unwritten(struct record *r, char *lines, time_t when)
{
    if (!r->failing)
        log_error("%s: cannot append to the decision record: %s; the mailboxes send nothing "
                  "until it can be written, and the decisions meanwhile are kept to be written "
                  "then",
                  r->path, strerror(errno));
    r->failing = true;
    if (r->unwritten.n >= RECORD_UNWRITTEN_MAX) {
        log_error("%s: more than %d decisions could not be recorded; this one is lost", r->path,
                  RECORD_UNWRITTEN_MAX);
        free(lines);
        return;
    }
    r->unwritten_when = xreallocarray(r->unwritten_when, r->unwritten.n + 1, sizeof(time_t));
    r->unwritten_when[r->unwritten.n] = when;
    strlist_add_take(&r->unwritten, lines);
}

/* Appends LINES (taken) after the kept ones, or keeps them too; 0 or -1 (errno set). */
static int append_or_keep(struct record *r, char *lines, time_t when)
{
    if (write_unwritten(r) != 0 || append_lines(r, lines, strlen(lines), when) != 0) {
        int saved = errno;
        keep_unwritten(r, lines, when);
        errno = saved;
        return -1;
    }
    free(lines);
    return 0;
}

int record_append_at(struct record *r, const struct policy_event *d, bool dry_run, time_t when)
{
    if (r == NULL || d == NULL || d->request == NULL || d->result == NULL) {
        errno = EINVAL;
        return -1;
    }
    char *line = record_format_line(d, dry_run, when);
    size_t len = strlen(line);
    if (r->group_depth > 0) {
        if (r->group_len == 0)
            r->group_when = when;
        if (r->group_len + len > r->group_cap) {
            r->group_cap = (r->group_len + len) * 2;
            r->group_buf = xrealloc(r->group_buf, r->group_cap);
        }
        memcpy(r->group_buf + r->group_len, line, len);
        r->group_len += len;
        free(line);
        return 0;
    }
    return append_or_keep(r, line, when);
}

bool record_writable(struct record *r)
{
    return r == NULL || (ensure_same_file(r) == 0 && write_unwritten(r) == 0);
}

void record_group_begin(struct record *r)
{
    if (r != NULL)
        r->group_depth++;
}

int record_group_end(struct record *r)
{
    if (r == NULL || r->group_depth == 0 || --r->group_depth > 0 || r->group_len == 0)
        return 0;
    char *lines = xmalloc(r->group_len + 1);
    memcpy(lines, r->group_buf, r->group_len);
    lines[r->group_len] = '\0';
    r->group_len = 0;
    return append_or_keep(r, lines, r->group_when);
}

int record_append(struct record *r, const struct policy_event *d, bool dry_run)
{
    return record_append_at(r, d, dry_run, util_now());
}
