/*
 * conf_print: the configuration as text. --check-config's summary (the effective
 * configuration in the file's own syntax, defaults filled in, secrets never shown), --keys'
 * reference table, and the list of restart-only keys a reload changed. All three walk the key
 * table, so a new key appears in each without code here.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_keys.h"
#include "log.h"

/* Whether the summary shows the key: set, or having a meaningful default. */
static bool key_present(const struct key *k, const void *obj)
{
    if (k->flags & KF_HAS)
        return *FIELD((void *)obj, k->has_off, bool);
    switch (k->type) {
    case KT_STRING:
    case KT_URL:
    case KT_ABSPATH:
    case KT_LISTEN:
    case KT_INCLUDE_DIR:
    case KT_CA_FILE:
    case KT_SECRET_FILE:
    case KT_ADDRESS:
    case KT_POLICY_REF:
        return *FIELD((void *)obj, k->off, char *) != NULL;
    case KT_TEXT:
        return k->kind == SK_POLICY || *FIELD((void *)obj, k->off, char *) != NULL;
    case KT_ADDR_LIST:
    case KT_PLAIN_ADDRS:
    case KT_DOMAIN_LIST:
        return k->kind == SK_POLICY || FIELD((void *)obj, k->off, struct strlist)->n > 0;
    case KT_SUBJECT:
        return FIELD((void *)obj, k->off, struct conf_text_match)->pattern != NULL;
    case KT_COND_BOOL:
        return *FIELD((void *)obj, k->off, enum conf_cond_bool) != CONF_COND_ANY;
    case KT_TEMPLATE:
        return *FIELD((void *)obj, k->off, char *) != NULL;
    default:
        return true;
    }
}

static void print_list(FILE *out, const char *name, const struct strlist *l)
{
    size_t total = 0;
    for (size_t i = 0; i < l->n; i++)
        total += strlen(l->v[i]) + 2;
    fprintf(out, "%s =", name);
    if (total + strlen(name) < 90) {
        for (size_t i = 0; i < l->n; i++)
            fprintf(out, "%s%s", i ? ", " : " ", l->v[i]);
        fputc('\n', out);
        return;
    }
    fputc('\n', out);
    for (size_t i = 0; i < l->n; i++)
        fprintf(out, "    %s\n", l->v[i]);
}

/* Texts longer than a line are wrapped at spaces onto indented continuation lines, which
 * load back as the same text (the pieces are joined with one space). */
static void print_text(FILE *out, const char *name, const char *s)
{
    size_t col = (size_t)fprintf(out, "%s =", name);
    if (strlen(s) + col < 96) {
        fprintf(out, "%s%s\n", *s ? " " : "", s);
        return;
    }
    while (*s) {
        size_t n = strlen(s);
        if (col + 1 + n > 96) {
            /* Break at the last space that fits, or the first one after. */
            size_t room = 96 - col - 1, cut = 0;
            for (size_t i = 1; i < n && (i <= room || cut == 0); i++)
                if (s[i] == ' ' && !strchr("[#; ", s[i + 1]))
                    cut = i; /* a piece must not read as a section or a comment */
            if (cut != 0)
                n = cut;
        }
        fprintf(out, " %.*s\n", (int)n, s);
        s += n;
        while (*s == ' ')
            s++;
        if (*s) {
            fputs("   ", out);
            col = 3;
        }
    }
}

static void print_key(FILE *out, const struct key *k, const void *obj)
{
    void *o = (void *)obj;
    char buf[64];
    switch (k->type) {
    case KT_TEXT:
    case KT_TEMPLATE: {
        const char *s = *FIELD(o, k->off, char *);
        print_text(out, k->name, s ? s : "");
        break;
    }
    case KT_STRING:
    case KT_URL:
    case KT_ABSPATH:
    case KT_LISTEN:
    case KT_INCLUDE_DIR:
    case KT_CA_FILE:
    case KT_ADDRESS:
    case KT_POLICY_REF: {
        const char *s = *FIELD(o, k->off, char *);
        fprintf(out, "%s =%s%s\n", k->name, s && *s ? " " : "", s ? s : "");
        break;
    }
    case KT_SECRET_FILE:
        /* The path only: the secret itself never leaves the struct. */
        fprintf(out, "; secret read from this file at load time, not shown\n");
        fprintf(out, "%s = %s\n", k->name, *FIELD(o, k->off, char *));
        break;
    case KT_BOOL:
        fprintf(out, "%s = %s\n", k->name, *FIELD(o, k->off, bool) ? "yes" : "no");
        break;
    case KT_COND_BOOL:
        fprintf(out, "%s = %s\n", k->name,
                *FIELD(o, k->off, enum conf_cond_bool) == CONF_COND_YES ? "yes" : "no");
        break;
    case KT_UINT:
        fprintf(out, "%s = %u\n", k->name, *FIELD(o, k->off, unsigned));
        break;
    case KT_DURATION:
        util_format_duration(*FIELD(o, k->off, unsigned), buf, sizeof(buf));
        fprintf(out, "%s = %s\n", k->name, buf);
        break;
    case KT_ENUM:
        fprintf(out, "%s = %s\n", k->name, conf_choice_name(k->choices, *FIELD(o, k->off, int)));
        break;
    case KT_CHOICE_STR:
        fprintf(out, "%s = %s\n", k->name, *FIELD(o, k->off, const char *));
        break;
    case KT_ADDR_LIST:
    case KT_PLAIN_ADDRS:
    case KT_DOMAIN_LIST:
        print_list(out, k->name, FIELD(o, k->off, struct strlist));
        break;
    case KT_DAYS:
        conf_format_days(*FIELD(o, k->off, unsigned), buf, sizeof(buf));
        fprintf(out, "%s =%s%s\n", k->name, buf[0] ? " " : "", buf);
        break;
    case KT_HOURS: {
        unsigned a = *FIELD(o, k->off, unsigned), b = *FIELD(o, k->off2, unsigned);
        fprintf(out, "%s = %02u:%02u-%02u:%02u\n", k->name, a / 60, a % 60, b / 60, b % 60);
        break;
    }
    case KT_TIME_ZONE: {
        const char *tz = *FIELD(o, k->off, char *);
        const char *win = *FIELD(o, k->off2, char *);
        if (tz && win)
            fprintf(out, "%s = %s\n# %s: the Windows name %s, mapped by CLDR's windowsZones.xml\n",
                    k->name, win, tz, win);
        else if (tz)
            fprintf(out, "%s = %s\n", k->name, tz);
        else
            fprintf(out, "%s =\n", k->name);
        break;
    }
    case KT_SUBJECT:
        fprintf(out, "%s = %s\n", k->name, FIELD(o, k->off, struct conf_text_match)->pattern);
        break;
    }
}

static void print_section(FILE *out, enum sect_kind kind, const void *obj)
{
    for (size_t i = 0; i < conf_n_keys; i++)
        if (conf_keys[i].kind == kind && key_present(&conf_keys[i], obj))
            print_key(out, &conf_keys[i], obj);
}

void conf_print_summary(const struct conf *c, FILE *out)
{
    fprintf(out, "# meetingd configuration from %s", c->path);
    if (c->files.n > 1)
        fprintf(out, " and %zu included file%s", c->files.n - 1, c->files.n > 2 ? "s" : "");
    fputc('\n', out);
    for (size_t i = 1; i < c->files.n; i++)
        fprintf(out, "#   included: %s\n", c->files.v[i]);

    fprintf(out, "\n[server]\n# defined at %s:%u\n", c->server.file ? c->server.file : c->path,
            c->server.line);
    print_section(out, SK_SERVER, &c->server);

    fprintf(out, "\n[daemon]\n");
    if (c->daemon.file)
        fprintf(out, "# defined at %s:%u\n", c->daemon.file, c->daemon.line);
    else
        fprintf(out, "# not in the file: all defaults\n");
    print_section(out, SK_DAEMON, &c->daemon);

    if (c->n_mailboxes == 0)
        fprintf(out, "\n# no [mailbox] sections: nothing to handle\n");
    for (size_t i = 0; i < c->n_mailboxes; i++) {
        const struct conf_mailbox *m = c->mailboxes[i];
        fprintf(out, "\n[mailbox %s]\n# defined at %s:%u\n", m->name, m->file, m->line);
        fprintf(out, "# reached by %s as %s\n", conf_access_name(m->access),
                m->login_username ? m->login_username : "?");
        if (m->kind == CONF_KIND_PERSON)
            fprintf(out, "# a person: answers speak in the first person; items are never "
                         "rewritten\n");
        print_section(out, SK_MAILBOX, m);
        if (!m->has_poll_interval) {
            char d[24];
            util_format_duration(m->poll_interval_s, d, sizeof(d));
            fprintf(out, "; poll_interval = %s (from [daemon])\n", d);
        }
    }
    for (size_t i = 0; i < c->n_policies; i++) {
        const struct conf_policy *pol = c->policies[i];
        fprintf(out, "\n[policy %s]\n# defined at %s:%u\n", pol->name, pol->file, pol->line);
        fprintf(out, "# rules:");
        if (pol->n_rules == 0)
            fprintf(out, " none");
        for (size_t j = 0; j < pol->n_rules; j++)
            fprintf(out, " %s", pol->rules[j]->name);
        fputc('\n', out);
        for (size_t j = 0; j < c->n_mailboxes; j++) {
            if (c->mailboxes[j]->policy == pol && c->mailboxes[j]->kind == CONF_KIND_PERSON) {
                fprintf(out,
                        "# used by person mailbox %s: its items are never rewritten, "
                        "whatever the rewrite keys below say\n",
                        c->mailboxes[j]->name);
                break;
            }
        }
        if (!pol->process_external_meeting_messages)
            fprintf(out, "# external requests (organizers outside internal_domains, by default "
                         "outside the mailbox's own domain) are ignored unless "
                         "process_external_meeting_messages = yes; each such organizer is "
                         "logged at notice level once a day\n");
        print_section(out, SK_POLICY, pol);
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        const struct conf_rule *r = c->rules[i];
        fprintf(out, "\n[rule %s]\n# defined at %s:%u\n", r->name, r->file, r->line);
        if (r->n_conditions == 0)
            fprintf(out, "# no conditions: matches every request\n");
        if (r->never_matches)
            fprintf(out, "# WARNING: never matches: %s\n", r->never_matches);
        print_section(out, SK_RULE, r);
    }
}

static const char *type_name(const struct key *k, char *buf, size_t len)
{
    char d1[24], d2[24];
    switch (k->type) {
    case KT_STRING:
        return "string";
    case KT_TEXT:
        return "text";
    case KT_TEMPLATE:
        return "text with {placeholders}";
    case KT_BOOL:
        return "yes/no";
    case KT_COND_BOOL:
        return "yes/no";
    case KT_UINT:
        snprintf(buf, len, "integer %lu..%lu", k->min, k->max);
        return buf;
    case KT_DURATION:
        util_format_duration((unsigned)k->min, d1, sizeof(d1));
        util_format_duration((unsigned)k->max, d2, sizeof(d2));
        snprintf(buf, len, "duration %s..%s", d1, d2);
        return buf;
    case KT_ENUM:
    case KT_CHOICE_STR: {
        size_t off = 0;
        buf[0] = '\0';
        for (const struct choice *c = k->choices; c->name; c++) {
            if (c->refused)
                continue;
            int w = snprintf(buf + off, len - off, "%s%s", off ? " \\| " : "", c->name);
            if (w < 0 || (size_t)w >= len - off)
                break;
            off += (size_t)w;
        }
        return buf;
    }
    case KT_URL:
        return "URL";
    case KT_ABSPATH:
        return "absolute path";
    case KT_LISTEN:
        return "address:port";
    case KT_INCLUDE_DIR:
        return "directory";
    case KT_CA_FILE:
        return "file";
    case KT_SECRET_FILE:
        return "secret file";
    case KT_ADDRESS:
        return "address";
    case KT_ADDR_LIST:
        return "list of addresses, @domains, globs";
    case KT_PLAIN_ADDRS:
        return "list of addresses";
    case KT_DOMAIN_LIST:
        return "list of domains";
    case KT_DAYS:
        return "days";
    case KT_HOURS:
        return "HH:MM-HH:MM";
    case KT_TIME_ZONE:
        return "time zone";
    case KT_POLICY_REF:
        return "policy name";
    case KT_SUBJECT:
        return "text or /regex/";
    }
    return "?";
}

void conf_print_keys(FILE *out)
{
    static const char *const headers[SK_COUNT] = {"[server]", "[daemon]", "[mailbox NAME]",
                                                  "[policy NAME]", "[rule NAME]"};
    char buf[400];
    for (int kind = 0; kind < SK_COUNT; kind++) {
        fprintf(out, "%s### %s\n\n| key | type | default | description |\n|---|---|---|---|\n",
                kind ? "\n" : "", headers[kind]);
        for (size_t i = 0; i < conf_n_keys; i++) {
            const struct key *k = &conf_keys[i];
            if ((int)k->kind != kind)
                continue;
            const char *def = k->def ? k->def : "";
            if (k->flags & KF_REQUIRED)
                def = "(required)";
            else if (k->def && *k->def == '\0')
                def = "(empty)";
            else if (!k->def)
                def = "(none)";
            fprintf(out, "| `%s` | %s | %s | %s%s |\n", k->name, type_name(k, buf, sizeof(buf)),
                    def, k->help,
                    (k->flags & KF_RESTART) ? " A reload keeps the running value until the next "
                                              "restart."
                                            : "");
        }
    }
}

/* The value of row K in OBJ as the summary prints it (a new string). */
static char *value_text(const struct key *k, const void *obj)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort(); /* out of memory */
    print_key(f, k, obj);
    if (fclose(f) != 0)
        abort();
    return buf;
}

static const void *section_of(const struct conf *c, enum sect_kind kind)
{
    return kind == SK_SERVER ? (const void *)&c->server : (const void *)&c->daemon;
}

size_t conf_restart_changes(const struct conf *old, const struct conf *fresh, char *buf, size_t len)
{
    size_t n = 0, off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < conf_n_keys; i++) {
        const struct key *k = &conf_keys[i];
        if (!(k->flags & KF_RESTART))
            continue;
        /* Only [server] and [daemon] exist once; a per-mailbox key is never restart-only. */
        char *a = value_text(k, section_of(old, k->kind));
        char *b = value_text(k, section_of(fresh, k->kind));
        if (strcmp(a, b) != 0) {
            int w = snprintf(buf + off, len - off, "%s%s", n ? ", " : "", k->name);
            if (w > 0 && (size_t)w < len - off)
                off += (size_t)w;
            n++;
        }
        free(a);
        free(b);
    }
    return n;
}

size_t conf_log_warnings(const struct conf *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_rules; i++) {
        const struct conf_rule *r = c->rules[i];
        if (r->never_matches != NULL) {
            log_warn("%s:%u: rule %s never matches: %s", r->file, r->line, r->name,
                     r->never_matches);
            n++;
        }
    }
    return n;
}
