/*
 * mailbox_sync: the Inbox by SyncFolderItems (see mailbox_int.h).
 *
 * Instead of listing every meeting message of the Inbox each poll (FindItem, page after
 * page: the cost grows with what the Inbox keeps), a poll asks what changed since the sync
 * state of the last one: an idle poll is one small request. Created and changed meeting
 * messages become the poll's candidates as FindItem's would (the ledger still decides what
 * is new), a message that left the Inbox drops out, a change of the read flag alone is of
 * no interest (the backend leaves it out).
 *
 * The state is saved (STATE_DIR/NAME.sync, written to a temporary file, flushed, renamed)
 * only after every change it covers went through the poll: recorded in the ledger or
 * decided. A poll that fails or stops halfway saves nothing, and the next one asks again
 * from the old state: what was answered meanwhile is in the ledger, so nothing is answered
 * twice and nothing is skipped. A state the server refuses (ErrorInvalidSyncStateData) or a
 * file that cannot be read start a sync from the beginning: every message of the Inbox comes
 * as a creation, a full scan the ledger keeps exactly-once, ending with a fresh state.
 *
 * Which way a mailbox reads its Inbox ([server] sync): finditem always lists; auto and
 * syncfolderitems use SyncFolderItems until the server answers that it lacks the operation,
 * which is remembered per server for the rest of the run and logged once; its mailboxes then
 * list with FindItem. The daily poll that collects the Inbox's ids for the ledger's
 * compaction lists with FindItem too (it needs them all).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mailbox_int.h"

#define SYNC_STATE_MAX_BYTES (64 * 1024) /* Exchange's states are a few hundred bytes */

struct mailbox_sync {
    char *dir;        /* the state directory */
    char *path;       /* STATE_DIR/NAME.sync */
    bool loaded;      /* the file was read (at the first poll: its key needs the server) */
    char *state;      /* the saved state, NULL for none: the next sync starts from scratch */
    char *next_state; /* the state covering this poll's answers, saved when the poll ends */
    bool restarted;   /* this poll started over after the server refused the state */
    /* Messages finished by the last poll: a server that moves them out of the Inbox (as
     * Exchange does) reports them gone in the next sync; those it leaves there are moved
     * by the next poll, as FindItem's sweep does. Kept in memory only: after a restart,
     * the daily FindItem poll finds them. */
    struct strlist finished;
    struct strlist gone; /* this poll's messages reported gone */
};

/* Servers (backend.h's server keys) that do not offer SyncFolderItems, learnt this run. */
static struct strlist servers_without_sync;
/* Servers where SyncFolderItems is in use (said once in the log). */
static struct strlist servers_with_sync;

struct mailbox_sync *mailbox_sync_new(const char *state_dir, const char *name)
{
    struct mailbox_sync *s = xcalloc(1, sizeof(*s));
    s->dir = xstrdup(state_dir);
    s->path = xasprintf("%s/%s.sync", state_dir, name);
    return s;
}

void mailbox_sync_free(struct mailbox_sync *s)
{
    if (s == NULL)
        return;
    free(s->dir);
    free(s->path);
    free(s->state);
    free(s->next_state);
    strlist_free(&s->finished);
    strlist_free(&s->gone);
    free(s);
}

/* What a state belongs to: a state of another server or mailbox (the configuration changed
 * under the same name) is not sent. */
static char *state_key(const struct mailbox *m)
{
    return xasprintf("%s %s", m->poll->backend->keys[BACKEND_SCOPE_SERVER], m->poll->cm->address);
}

static bool is_state_text(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!(('A' <= *s && *s <= 'Z') || ('a' <= *s && *s <= 'z') || ('0' <= *s && *s <= '9') ||
              *s == '+' || *s == '/' || *s == '='))
            return false;
    return true;
}

/* The file holds two lines: the key, the state (base64). Anything else is no state. */
static char *parse_state_file(char *text, const char *key)
{
    char *nl = strchr(text, '\n');
    if (nl == NULL)
        return NULL;
    *nl = '\0';
    if (strcmp(text, key) != 0)
        return NULL;
    char *state = nl + 1;
    char *end = strchr(state, '\n');
    if (end == NULL || end[1] != '\0')
        return NULL;
    *end = '\0';
    return is_state_text(state) ? xstrdup(state) : NULL;
}

static void load_state(struct mailbox *m)
{
    struct mailbox_sync *s = m->sync;
    s->loaded = true;
    FILE *f = fopen(s->path, "re");
    if (f == NULL) {
        if (errno != ENOENT)
            log_warn("mailbox %s: cannot read the sync state %s: %s; syncing from the start",
                     m->name, s->path, strerror(errno));
        return;
    }
    char *text = xcalloc(1, SYNC_STATE_MAX_BYTES + 1);
    size_t n = fread(text, 1, SYNC_STATE_MAX_BYTES + 1, f);
    fclose(f);
    char *key = state_key(m);
    if (n <= SYNC_STATE_MAX_BYTES && memchr(text, '\0', n) == NULL)
        s->state = parse_state_file(text, key);
    if (s->state == NULL)
        log_warn("mailbox %s: the sync state in %s is unusable (damaged, or of another server "
                 "or address); syncing from the start",
                 m->name, s->path);
    free(key);
    free(text);
}

/* Writes DATA to the state file so that it is either the old file or the new one whole. */
static int write_state_file(const struct mailbox_sync *s, const char *data)
{
    char *tmp = xasprintf("%s.tmp", s->path);
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        size_t len = strlen(data), off = 0;
        while (off < len) {
            ssize_t w = write(fd, data + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        rc = off == len && fsync(fd) == 0 ? 0 : -1;
        if (close(fd) != 0)
            rc = -1;
    }
    if (rc == 0)
        rc = rename(tmp, s->path);
    if (rc != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    } else {
        int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd); /* the rename itself */
            close(dfd);
        }
    }
    free(tmp);
    return rc;
}

/* A message this poll finished stays in the Inbox of a server that keeps answered requests:
 * the next poll sweeps it, as a FindItem listing would have found it (a sync reports it no
 * more). */
static void remember_if_finished(struct mailbox *m, const struct item *it)
{
    if (it != NULL && mailbox_inbox_finished(m, it->id.id))
        strlist_add(&m->sync->finished, it->id.id);
}

void mailbox_sync_save(struct mailbox *m)
{
    struct mailbox_sync *s = m->sync;
    if (s == NULL || s->next_state == NULL || m->env.dry_run || m->poll->item_failures > 0)
        return;
    char *key = state_key(m);
    char *data = xasprintf("%s\n%s\n", key, s->next_state);
    free(key);
    if (write_state_file(s, data) != 0) {
        log_error("mailbox %s: cannot save the sync state %s: %s; the next poll asks again "
                  "from the previous one",
                  m->name, s->path, strerror(errno));
    } else {
        free(s->state);
        s->state = s->next_state;
        s->next_state = NULL;
        const struct mailbox_poll *p = m->poll;
        for (size_t i = 0; i < p->n_queue; i++) /* NULL: taken by the batch (below) */
            if (p->queue[i] != NULL)
                remember_if_finished(m, p->queue[i]);
        size_t n_batched;
        struct item *const *batched = mailbox_batch_items(p->batch, &n_batched);
        for (size_t i = 0; i < n_batched; i++)
            remember_if_finished(m, batched[i]);
    }
    free(data);
}

/* The last poll's finished messages the server did not report gone are still there. */
static void sweep_finished(struct mailbox *m)
{
    struct mailbox_sync *s = m->sync;
    for (size_t i = 0; i < s->finished.n; i++) {
        if (strlist_contains_ci(&s->gone, s->finished.v[i]))
            continue;
        struct item left = {.id = {.id = s->finished.v[i]}};
        mailbox_inbox_consider(m, &left, true);
    }
    strlist_free(&s->finished);
    strlist_free(&s->gone);
}

static void send_sync(struct mailbox *m)
{
    struct mailbox_sync *s = m->sync;
    const char *from = s->next_state ? s->next_state : s->state;
    MAILBOX_SEND(m, STEP_SYNC, "SyncFolderItems", sync_inbox, from);
}

static bool uses_sync(const struct mailbox *m)
{
    const struct mailbox_poll *p = m->poll;
    if (m->sync == NULL || p->collect_seen || p->backend->ops->sync_inbox == NULL)
        return false;
    if (p->conf->conf->server.sync == CONF_SYNC_FINDITEM)
        return false;
    return !strlist_contains_ci(&servers_without_sync, p->backend->keys[BACKEND_SCOPE_SERVER]);
}

void mailbox_inbox_read(struct mailbox *m)
{
    if (!uses_sync(m)) {
        mailbox_find_page(m);
        return;
    }
    struct mailbox_sync *s = m->sync;
    if (!s->loaded)
        load_state(m);
    free(s->next_state);
    s->next_state = NULL;
    s->restarted = false;
    strlist_free(&s->gone);
    send_sync(m);
}

/* The server lacks the operation: said once per server, and its mailboxes list instead. */
static void sync_unsupported(struct mailbox *m, const struct backend_result *r)
{
    const char *server = m->poll->backend->keys[BACKEND_SCOPE_SERVER];
    if (!strlist_contains_ci(&servers_without_sync, server)) {
        strlist_add(&servers_without_sync, server);
        bool asked = m->poll->conf->conf->server.sync == CONF_SYNC_SYNCFOLDERITEMS;
        log_msg(asked ? LOG_LEVEL_WARNING : LOG_LEVEL_NOTICE,
                "%s does not offer SyncFolderItems (%s): its mailboxes list their Inbox with "
                "FindItem every poll",
                server, mailbox_reason(r));
    }
    mailbox_find_page(m);
}

/* Starts the poll's sync over from the beginning: what was gathered so far comes again. */
static void sync_start_over(struct mailbox *m)
{
    struct mailbox_sync *s = m->sync;
    log_warn("mailbox %s: the server refused the saved sync state; reading the whole Inbox "
             "again (what was answered before stays answered)",
             m->name);
    free(s->state);
    s->state = NULL;
    free(s->next_state);
    s->next_state = NULL;
    s->restarted = true;
    mailbox_inbox_forget_found(m);
    send_sync(m);
}

void mailbox_after_sync(struct mailbox *m, struct backend_result *r)
{
    struct mailbox_sync *s = m->sync;
    if (r->unsupported) {
        sync_unsupported(m, r);
        return;
    }
    if (r->sync_state_invalid && !s->restarted && (s->state || s->next_state)) {
        sync_start_over(m);
        return;
    }
    if (r->status != BACKEND_OK) {
        mailbox_poll_fail(m, "SyncFolderItems", r);
        return;
    }
    const char *server = m->poll->backend->keys[BACKEND_SCOPE_SERVER];
    if (!strlist_contains_ci(&servers_with_sync, server)) {
        strlist_add(&servers_with_sync, server);
        log_info("%s offers SyncFolderItems: its mailboxes ask for their Inbox's changes", server);
    }
    for (size_t i = 0; i < r->n_gone; i++) {
        mailbox_inbox_drop(m, r->gone[i].id);
        if (s->finished.n > 0)
            strlist_add(&s->gone, r->gone[i].id);
    }
    for (size_t i = 0; i < r->n_items; i++)
        mailbox_inbox_consider(m, &r->items[i], true);
    free(s->next_state);
    s->next_state = r->sync_state;
    r->sync_state = NULL;
    if (r->more) {
        send_sync(m);
        return;
    }
    sweep_finished(m);
    mailbox_inbox_found(m);
}
