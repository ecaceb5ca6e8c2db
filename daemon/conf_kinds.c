/*
 * conf_kinds: what a mailbox's kind demands of its policy. A person's calendar is their own:
 * the booking attendant (automate = auto_accept) and the keys that rewrite booked items are
 * for rooms and equipment, and a policy that asks for them on a person's mailbox is refused
 * where the key is written, rather than silently not doing what it says.
 */
#include <string.h>

#include "conf_keys.h"

/* The keys that rewrite an accepted item: never applied to a person's items. */
static const char *const rewrite_keys[] = {
    "add_organizer_to_subject", "delete_subject",     "delete_comments",
    "remove_private_property",  "delete_attachments",
};

static const struct sect *sect_of(const struct parser *p, const void *obj)
{
    for (size_t i = 0; i < p->n_sects; i++)
        if (p->sects[i]->obj == obj)
            return p->sects[i];
    return NULL;
}

static void check_person(struct parser *p, const struct conf_mailbox *m)
{
    const struct conf_policy *pol = m->policy;
    const struct sect *ps = sect_of(p, pol);
    if (ps == NULL)
        return;
    if (pol->automate == CONF_AUTOMATE_AUTO_ACCEPT) {
        unsigned line = ps->key_line[conf_find_key(SK_POLICY, "automate")];
        conf_fail_at(p, ps->file, line ? line : ps->line,
                     "automate = auto_accept is the booking attendant of rooms and equipment, "
                     "but policy %s is used by person mailbox %s (%s:%u): use automate = "
                     "accept_if_free (or accept, tentative, decline, none)",
                     pol->name, m->name, m->file, m->line);
    }
    for (size_t i = 0; i < sizeof(rewrite_keys) / sizeof(rewrite_keys[0]); i++) {
        int row = conf_find_key(SK_POLICY, rewrite_keys[i]);
        unsigned line = ps->key_line[row];
        if (line == 0 || !*FIELD((void *)pol, conf_keys[row].off, bool))
            continue;
        conf_fail_at(p, ps->file, line,
                     "%s: a person's items are never rewritten, but policy %s is used by person "
                     "mailbox %s (%s:%u); remove the key",
                     rewrite_keys[i], pol->name, m->name, m->file, m->line);
    }
}

void conf_check_kinds(struct parser *p)
{
    const struct conf *c = p->conf;
    for (size_t i = 0; i < c->n_mailboxes; i++) {
        const struct conf_mailbox *m = c->mailboxes[i];
        if (m->kind == CONF_KIND_PERSON && m->policy != NULL)
            check_person(p, m);
    }
}
