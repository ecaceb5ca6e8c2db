/*
 * graph_delta: the Inbox delta state of a Graph mailbox (see graph_delta.h).
 */
#include "graph_delta.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void graph_delta_load_take(struct graph_delta *d, char *path)
{
    memset(d, 0, sizeof(*d));
    d->path = path;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (access(path, F_OK) == 0)
            log_warn("%s: %s; the Inbox is read again from the start", path, jerr.text);
        return;
    }
    const char *link = json_string_value(json_object_get(root, "deltaLink"));
    const json_t *ids = json_object_get(root, "ids");
    size_t i;
    const json_t *v;
    if (link != NULL && json_is_array(ids)) {
        d->delta_link = xstrdup(link);
        json_array_foreach(ids, i, v)
        {
            if (json_is_string(v))
                strlist_add(&d->ids, json_string_value(v));
        }
    }
    json_decref(root);
}

void graph_delta_clear(struct graph_delta *d)
{
    free(d->path);
    graph_delta_reset(d);
}

void graph_delta_reset(struct graph_delta *d)
{
    free(d->delta_link);
    d->delta_link = NULL;
    strlist_free(&d->ids);
}

static ssize_t index_of(const struct graph_delta *d, const char *id)
{
    for (size_t i = 0; i < d->ids.n; i++)
        if (strcmp(d->ids.v[i], id) == 0)
            return (ssize_t)i;
    return -1;
}

void graph_delta_add(struct graph_delta *d, const char *id)
{
    if (index_of(d, id) < 0)
        strlist_add(&d->ids, id);
}

void graph_delta_remove(struct graph_delta *d, const char *id)
{
    ssize_t i = index_of(d, id);
    if (i < 0)
        return;
    free(d->ids.v[i]);
    memmove(d->ids.v + i, d->ids.v + i + 1, (d->ids.n - (size_t)i - 1) * sizeof(*d->ids.v));
    d->ids.n--;
}

/* Writes TEXT to PATH through a temporary file: the old file or the new one, never half. */
static int replace_file(const char *path, const char *text, char *err, size_t errlen)
{
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text), done = 0;
    int rc = fd < 0 ? -1 : 0;
    while (rc == 0 && done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno != EINTR)
            rc = -1;
        else if (w > 0)
            done += (size_t)w;
    }
    if (rc == 0)
        rc = fsync(fd);
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    char *dir_copy = xstrdup(path);
    int dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* the rename itself made durable */
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir_copy);
    return 0;
}

int graph_delta_commit(struct graph_delta *d, const char *delta_link, char *err, size_t errlen)
{
    free(d->delta_link);
    d->delta_link = xstrdup(delta_link);
    json_t *ids = json_array();
    for (size_t i = 0; i < d->ids.n; i++)
        json_array_append_new(ids, json_string(d->ids.v[i]));
    json_t *root = json_pack("{s:s, s:o}", "deltaLink", delta_link, "ids", ids);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL) {
        snprintf(err, errlen, "the delta state cannot be written as JSON");
        return -1;
    }
    int rc = replace_file(d->path, text, err, errlen);
    free(text);
    return rc;
}
