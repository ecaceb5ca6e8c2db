/*
 * capability: per-server memory of what a server implements (see capability.h).
 */
#include "capability.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#define MAX_SERVERS 8
#define MAX_KEY 512

struct server_caps {
    char key[MAX_KEY];
    unsigned char state[CAP_COUNT];
    unsigned long last_use; /* the least recently used entry makes room for a new server */
};

static struct server_caps servers[MAX_SERVERS];
static unsigned long use_clock;

static const char *const cap_names[CAP_COUNT] = {
    [CAP_REMOVE_ITEM] = "RemoveItem",
    [CAP_VIEW_EXPANDS] = "CalendarView expanding series",
};

/* The entry of SERVER, or NULL; with CREATE, a new (or the least recently used) one. */
static struct server_caps *entry(const char *server, int create)
{
    if (server == NULL || strlen(server) >= MAX_KEY)
        return NULL;
    struct server_caps *oldest = &servers[0];
    for (size_t i = 0; i < MAX_SERVERS; i++) {
        struct server_caps *s = &servers[i];
        if (s->key[0] != '\0' && strcmp(s->key, server) == 0) {
            s->last_use = ++use_clock;
            return s;
        }
        if (s->last_use < oldest->last_use)
            oldest = s;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->key, sizeof(oldest->key), "%s", server);
    oldest->last_use = ++use_clock;
    return oldest;
}

enum capability_state capability_get(const char *server, enum capability cap)
{
    const struct server_caps *s = entry(server, 0);
    return s && (unsigned)cap < CAP_COUNT ? (enum capability_state)s->state[cap] : CAP_UNKNOWN;
}

void capability_learn(const char *server, enum capability cap, enum capability_state state,
                      const char *what)
{
    struct server_caps *s = entry(server, 1);
    if (s == NULL || (unsigned)cap >= CAP_COUNT || s->state[cap] == state)
        return;
    s->state[cap] = (unsigned char)state;
    if (state == CAP_NO)
        log_notice("%s does not support %s; %s", server, cap_names[cap],
                   what ? what : "working around it");
    else
        log_debug("%s supports %s", server, cap_names[cap]);
}

void capability_forget_all(void)
{
    memset(servers, 0, sizeof(servers));
    use_clock = 0;
}
