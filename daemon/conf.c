/*
 * conf: reading the configuration files (inih behind our own line reader), their sections,
 * and the checks of each section and of the whole. The key table is in conf_keys.c, the value
 * parsers in conf_types.c, the printers in conf_print.c.
 *
 * Debian's inih gives the handler no line number and does not tell a continuation line from
 * a repeated key, nor report section headers. So we hand ini_parse_stream() our own reader:
 * it reads each line in a bounded buffer (a huge line is consumed, never held), checks that
 * it is UTF-8 without NUL bytes, counts lines, classifies each one exactly as inih will
 * (comment, continuation, section, key), handles section headers itself and rejects what
 * inih would silently mangle (over-long lines). The handler then only sees key/value pairs,
 * with the current line number and section at hand.
 *
 * Loading happens in three stages: per key (syntax, type, bounds, secrets), per section when
 * the next one starts (required keys, keys that go together), and once everything is read
 * (references between sections, credentials, rule reachability). An error does not stop the
 * reading: like OpenBSD ntpd's parse.y we count errors and report them all, then refuse the
 * configuration. A refused line is handed to inih as an empty one, and the keys of a refused
 * section header are skipped, so one mistake does not cascade into many.
 */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_keys.h"
#include "conf_auth.h"
#include "log.h"
#include "util.h"

/* ---- errors ------------------------------------------------------------------------------ */

static void add_error(struct parser *p, const char *file, unsigned line, const char *fmt,
                      va_list ap) UTIL_PRINTF(4, 0);

static void add_error(struct parser *p, const char *file, unsigned line, const char *fmt,
                      va_list ap)
{
    struct conf_error *e = p->err;
    p->errors++;
    e->count = p->errors;
    if (p->errors == 1) {
        snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
        e->line = line;
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        return;
    }
    /* Later errors are kept printed, as many as fit whole. */
    char msg[600], where[PATH_MAX + 16];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (line != 0)
        snprintf(where, sizeof(where), "%s:%u", file ? file : "", line);
    else
        snprintf(where, sizeof(where), "%s", file ? file : "");
    size_t used = strlen(e->others);
    int w = snprintf(e->others + used, sizeof(e->others) - used, "%s: %s\n", where, msg);
    if (w < 0 || (size_t)w >= sizeof(e->others) - used)
        e->others[used] = '\0';
    else
        e->n_others++;
}

void conf_fail(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(p, p->file, p->lineno, fmt, ap);
    va_end(ap);
}

void conf_fail_at(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(p, file, line, fmt, ap);
    va_end(ap);
}

/* ---- sections --------------------------------------------------------------------------- */

static void apply_defaults(struct parser *p, enum sect_kind kind, void *obj)
{
    for (size_t i = 0; i < conf_n_keys; i++) {
        if (conf_keys[i].kind != kind || conf_keys[i].def == NULL)
            continue;
        unsigned before = p->errors;
        if (conf_parse_value(p, &conf_keys[i], obj, conf_keys[i].def, false) != 0 ||
            p->errors != before) {
            /* A default that does not parse is a bug in the table, not a user error. */
            fprintf(stderr, "meetingd: bad default for %s: %s\n", conf_keys[i].name,
                    p->err->message);
            abort();
        }
    }
}

/* A section's object: its fields from the table, then what the table does not describe. */
static void free_section(enum sect_kind kind, void *obj, char *name)
{
    conf_release_fields(kind, obj);
    free(name);
    free(obj);
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("._@+-", *s)))
            return false;
    return true;
}

static struct sect *find_sect(const struct parser *p, enum sect_kind kind, const char *name)
{
    if (kind == SK_SERVER)
        return p->server;
    if (kind == SK_DAEMON)
        return p->daemon;
    return nameindex_find(&p->named[kind], name);
}

/* Reports each required key the section lacks; returns how many. */
static unsigned check_required(struct parser *p, const struct sect *s)
{
    const char *sname = conf_sect_names[s->kind];
    unsigned missing = 0;
    for (size_t i = 0; i < conf_n_keys; i++) {
        const struct key *k = &conf_keys[i];
        if (k->kind != s->kind || !(k->flags & KF_REQUIRED) || s->key_line[i] != 0)
            continue;
        missing++;
        if (s->name)
            conf_fail_at(p, s->file, s->line, "missing required key '%s' in [%s %s]", k->name,
                         sname, s->name);
        else
            conf_fail_at(p, s->file, s->line, "missing required key '%s' in [%s]", k->name, sname);
    }
    return missing;
}

/* Checks that need the whole section: required keys and keys that go together. */
static void finish_section(struct parser *p)
{
    struct sect *s = p->cur;
    p->cur = NULL;
    p->last_key = -1;
    p->skipping = false;
    if (s == NULL || check_required(p, s) > 0)
        return;
    if (s->kind == SK_SERVER) {
        conf_check_server_auth(p, s);
    } else if (s->kind == SK_MAILBOX) {
        unsigned ul = s->key_line[conf_find_key(s->kind, "username")];
        unsigned pl = s->key_line[conf_find_key(s->kind, "password_file")];
        if ((ul == 0) != (pl == 0)) {
            conf_fail_at(p, s->file, ul ? ul : pl,
                         "username and password_file must be given together (%s is missing)",
                         ul ? "password_file" : "username");
            return;
        }
    } else if (s->kind == SK_POLICY) {
        const struct conf_policy *pol = s->obj;
        if (pol->max_duration_minutes != 0 &&
            pol->min_duration_minutes > pol->max_duration_minutes) {
            unsigned ml = s->key_line[conf_find_key(SK_POLICY, "min_duration_minutes")];
            unsigned xl = s->key_line[conf_find_key(SK_POLICY, "max_duration_minutes")];
            conf_fail_at(p, s->file, ml ? ml : xl,
                         "min_duration_minutes (%u) is greater than max_duration_minutes (%u)",
                         pol->min_duration_minutes, pol->max_duration_minutes);
            return;
        }
    } else if (s->kind == SK_RULE) {
        struct conf_rule *r = s->obj;
        unsigned ol = s->key_line[conf_find_key(SK_RULE, "organizer")];
        if (ol != 0 && r->organizer.n == 0) {
            conf_fail_at(p, s->file, ol,
                         "organizer: empty list (leave the key out to match any organizer)");
            return;
        }
        r->n_conditions = 0;
        for (size_t i = 0; i < conf_n_keys; i++)
            if (conf_keys[i].kind == SK_RULE && (conf_keys[i].flags & KF_COND) &&
                s->key_line[i] != 0)
                r->n_conditions++;
    }
}

/* Gives section S its object in the configuration: the one server or daemon, or a new
 * mailbox, policy or rule called NAME. */
static void attach_section_object(struct parser *p, struct sect *s, const char *name)
{
    struct conf *c = p->conf;
    switch (s->kind) {
    case SK_SERVER:
        s->obj = &c->server;
        c->server.file = s->file;
        c->server.line = s->line;
        p->server = s;
        break;
    case SK_DAEMON:
        s->obj = &c->daemon;
        c->daemon.file = s->file;
        c->daemon.line = s->line;
        p->daemon = s;
        break;
    case SK_MAILBOX: {
        struct conf_mailbox *m = xcalloc(1, sizeof(*m));
        m->name = xstrdup(name);
        m->file = s->file;
        m->line = s->line;
        c->mailboxes = conf_grow_for_one(c->mailboxes, c->n_mailboxes);
        c->mailboxes[c->n_mailboxes++] = m;
        s->obj = m;
        s->name = m->name;
        break;
    }
    case SK_POLICY: {
        struct conf_policy *pol = xcalloc(1, sizeof(*pol));
        pol->name = xstrdup(name);
        pol->file = s->file;
        pol->line = s->line;
        c->policies = conf_grow_for_one(c->policies, c->n_policies);
        c->policies[c->n_policies++] = pol;
        s->obj = pol;
        s->name = pol->name;
        break;
    }
    case SK_RULE: {
        struct conf_rule *r = xcalloc(1, sizeof(*r));
        r->name = xstrdup(name);
        r->file = s->file;
        r->line = s->line;
        c->rules = conf_grow_for_one(c->rules, c->n_rules);
        c->rules[c->n_rules++] = r;
        s->obj = r;
        s->name = r->name;
        break;
    }
    case SK_COUNT:
        break;
    }
}

/* Handles "[...]": content is what lies between the brackets. */
static void start_section(struct parser *p, char *content)
{
    finish_section(p);
    /* Until the header proves good, keys that follow belong to no section: skip them
     * without an error each. */
    p->skipping = true;

    char *kw = content;
    while (conf_is_space(*kw))
        kw++;
    char *end = kw + strlen(kw);
    while (end > kw && conf_is_space(end[-1]))
        *--end = '\0';
    char *name = kw + strcspn(kw, " \t\v\f\r");
    if (*name != '\0') {
        *name++ = '\0';
        while (conf_is_space(*name))
            name++;
    }

    int kind = -1;
    for (int i = 0; i < SK_COUNT; i++)
        if (util_str_casecmp_ascii(kw, conf_sect_names[i]) == 0)
            kind = i;
    if (kind < 0) {
        conf_fail(p,
                  "unknown section [%.60s] (allowed: [server], [daemon], [mailbox NAME], "
                  "[policy NAME], [rule NAME])",
                  kw);
        return;
    }
    bool named = kind == SK_MAILBOX || kind == SK_POLICY || kind == SK_RULE;
    if (!named && *name != '\0') {
        conf_fail(p, "[%s] takes no name", conf_sect_names[kind]);
        return;
    }
    if (named && *name == '\0') {
        conf_fail(p, "[%s] needs a name: [%s NAME]", conf_sect_names[kind], conf_sect_names[kind]);
        return;
    }
    if (named && !name_ok(name)) {
        conf_fail(p, "bad %s name '%.80s' (1-64 letters, digits and . _ @ + -)",
                  conf_sect_names[kind], name);
        return;
    }
    struct sect *dup = find_sect(p, (enum sect_kind)kind, named ? name : NULL);
    if (dup != NULL) {
        if (named)
            conf_fail(p, "duplicate section [%s %s] (first defined at %s:%u)",
                      conf_sect_names[kind], name, dup->file, dup->line);
        else
            conf_fail(p, "duplicate section [%s] (first defined at %s:%u)", conf_sect_names[kind],
                      dup->file, dup->line);
        return;
    }

    struct sect *s = xcalloc(1, sizeof(*s));
    s->kind = (enum sect_kind)kind;
    s->file = p->file;
    s->line = p->lineno;
    p->sects = conf_grow_for_one(p->sects, p->n_sects);
    p->sects[p->n_sects++] = s;

    attach_section_object(p, s, name);
    s->key_line = xcalloc(conf_n_keys, sizeof(*s->key_line));
    if (s->kind != SK_SERVER && s->kind != SK_DAEMON) {
        nameindex_add(&p->named[s->kind], s);
        apply_defaults(p, s->kind, s->obj);
    }
    p->cur = s;
    p->skipping = false;
    p->last_key = -1;
}

/* ---- the reader and handler given to inih ----------------------------------------------- */

/* Like inih's find_chars_or_comment(): the first of chars, or an inline ';' comment (one
 * preceded by whitespace), or the end. */
static bool one_of(const char *chars, char c)
{
    for (; chars && *chars; chars++)
        if (*chars == c)
            return true;
    return false;
}

static const char *find_or_comment(const char *s, const char *chars)
{
    bool was_space = false;
    while (*s && !one_of(chars, *s) && !(was_space && *s == ';')) {
        was_space = conf_is_space(*s);
        s++;
    }
    return s;
}

/* True if the (indented) line reads "KEY = ..." with KEY a key of the current section. */
static bool is_key_line_of_section(const struct parser *p, const char *start)
{
    if (p->cur == NULL)
        return false;
    const char *sep = find_or_comment(start, "=:");
    if (*sep != '=' && *sep != ':')
        return false;
    const char *e = sep;
    while (e > start && conf_is_space(e[-1]))
        e--;
    char name[64];
    size_t n = (size_t)(e - start);
    if (n == 0 || n >= sizeof(name))
        return false;
    memcpy(name, start, n);
    name[n] = '\0';
    return conf_find_key(p->cur->kind, name) >= 0;
}

/* What reading one line found. */
struct raw_line {
    size_t len;    /* bytes kept in p->line */
    bool too_long; /* longer than p->line: the rest was read and dropped */
    bool has_nul;
    bool bad_utf8;
};

/* Reads one line into p->line, without its newline, keeping at most sizeof(p->line) - 1
 * bytes: the rest of a longer line is consumed, checked and dropped, so a huge line costs no
 * memory. Returns 1, 0 at the end of the file, -1 on a read error. */
static int read_line(struct parser *p, struct raw_line *rl)
{
    memset(rl, 0, sizeof(*rl));
    struct util_utf8 u8 = {0};
    bool any = false;
    int c;
    while ((c = getc_unlocked(p->fp)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (c == '\0')
            rl->has_nul = true;
        /* ASCII between characters needs no decoder (most of every file). */
        if ((c >= 0x80 || u8.need > 0) && !util_utf8_feed(&u8, (unsigned char)c)) {
            rl->bad_utf8 = true;
            u8 = (struct util_utf8){0};
        }
        if (rl->len + 1 < sizeof(p->line))
            p->line[rl->len++] = (char)c;
        else
            rl->too_long = true;
    }
    p->line[rl->len] = '\0';
    if (!util_utf8_complete(&u8))
        rl->bad_utf8 = true;
    if (!any)
        return ferror(p->fp) ? -1 : 0;
    return 1;
}

/* A line inih is to skip (a refused or long comment line): an empty one keeps its count. */
static char *empty_line(char *str, int num)
{
    if (num < 2)
        return NULL;
    str[0] = '\n';
    str[1] = '\0';
    return str;
}

/* Checks a line that is neither blank, comment nor continuation; handles section headers.
 * Returns false if the line is refused. */
static bool check_plain_line(struct parser *p, char *start)
{
    if (*start == '[') {
        char *close = (char *)find_or_comment(start + 1, "]");
        if (*close != ']') {
            p->skipping = true;
            conf_fail(p, "section header without closing ']'");
            return false;
        }
        const char *after = close + 1;
        while (conf_is_space(*after))
            after++;
        if (*after != '\0' && *after != ';' && *after != '#') {
            p->skipping = true;
            conf_fail(p, "unexpected text after ']'");
            return false;
        }
        char *content = xstrndup(start + 1, (size_t)(close - start - 1));
        start_section(p, content);
        free(content);
        return !p->skipping;
    }
    const char *sep = find_or_comment(start, "=:");
    if (*sep != '=' && *sep != ':') {
        conf_fail(p, "syntax error: expected 'key = value', '[section]' or a comment");
        return false;
    }
    if (sep == start) {
        conf_fail(p, "missing key name before '%c'", *sep);
        return false;
    }
    return true;
}

static char *reader(char *str, int num, void *stream)
{
    struct parser *p = stream;
    struct raw_line rl;
    errno = 0;
    int r = read_line(p, &rl);
    if (r <= 0) {
        if (r < 0)
            conf_fail_at(p, p->file, 0, "read error: %s", strerror(errno ? errno : EIO));
        finish_section(p);
        return NULL;
    }
    p->lineno++;
    p->continuation = false;
    char *line = p->line;
    size_t n = rl.len;
    if (rl.has_nul) {
        conf_fail(p, "line contains a NUL byte");
        return empty_line(str, num);
    }
    if (rl.bad_utf8) {
        conf_fail(p, "not valid UTF-8");
        return empty_line(str, num);
    }
    /* Drop a UTF-8 byte order mark ourselves so the classification below sees the text. */
    if (p->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        n -= 3;
    }
    if (rl.too_long || n + 2 > (size_t)num) {
        /* A long comment is harmless: hand inih an empty line so the line count stays
         * right. Anything else would be cut by inih and its tail read as another line. */
        const char *t = line + strspn(line, " \t\v\f\r");
        if (*t != '#' && *t != ';')
            conf_fail(p,
                      "line is too long (at most %d characters; continue lists and texts on "
                      "indented lines)",
                      num - 2);
        return empty_line(str, num);
    }

    char *start = line;
    while (conf_is_space(*start))
        start++;
    if (*start == '\0' || *start == '#' || *start == ';') {
        /* Blank or comment: inih skips it. */
    } else if (start > line && p->last_key >= 0 && *start != '[' &&
               conf_type_continues(conf_keys[p->last_key].type) &&
               !is_key_line_of_section(p, start)) {
        /* Indented text under a list or text key: inih will pass it as another value
         * of that key. Some inih versions strip inline comments from such lines and some
         * do not: strip them here so that " ; comment" means the same on every line. */
        p->continuation = true;
        char *cut = (char *)find_or_comment(start, NULL);
        if (*cut != '\0') {
            while (cut > start && conf_is_space(cut[-1]))
                cut--;
            *cut = '\0';
            n = (size_t)(cut - line);
        }
    } else {
        /* Not a continuation: remove the indentation so that inih does not take it for
         * one either. */
        if (start > line) {
            memmove(line, start, strlen(start) + 1);
            n -= (size_t)(start - line);
            start = line;
        }
        if (!check_plain_line(p, start))
            return empty_line(str, num);
    }
    memcpy(str, line, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parser *p = user;
    (void)section; /* inih truncates long section names; we track sections ourselves */
    if (p->skipping)
        return 1; /* a key of a refused section header, reported with the header */
    if (p->continuation) {
        const struct key *k = &conf_keys[p->last_key];
        if (conf_parse_value(p, k, p->cur->obj, value, true) == 0 && (k->flags & KF_HAS))
            *FIELD(p->cur->obj, k->has_off, bool) = true;
        return 1;
    }
    if (p->cur == NULL) {
        conf_fail(p, "key '%.60s' outside of any section", name);
        return 1;
    }
    int row = conf_find_key(p->cur->kind, name);
    if (row < 0) {
        if (p->cur->name)
            conf_fail(p, "unknown key '%.60s' in [%s %s]", name, conf_sect_names[p->cur->kind],
                      p->cur->name);
        else
            conf_fail(p, "unknown key '%.60s' in [%s]", name, conf_sect_names[p->cur->kind]);
        return 1;
    }
    if (p->cur->key_line[row] != 0) {
        conf_fail(p, "duplicate key '%s' (first set at line %u)", conf_keys[row].name,
                  p->cur->key_line[row]);
        return 1;
    }
    p->cur->key_line[row] = p->lineno;
    p->last_key = row;
    const struct key *k = &conf_keys[row];
    if (conf_parse_value(p, k, p->cur->obj, value, false) == 0 && (k->flags & KF_HAS))
        *FIELD(p->cur->obj, k->has_off, bool) = true;
    return 1;
}

static void parse_file(struct parser *p, const char *path, bool main_file)
{
    strlist_add(&p->conf->files, path);
    p->file = p->conf->files.v[p->conf->files.n - 1];
    p->main_file = main_file;
    p->lineno = 0;
    p->cur = NULL;
    p->last_key = -1;
    p->skipping = false;
    p->continuation = false;
    p->fp = fopen(path, "re");
    if (p->fp == NULL) {
        conf_fail_at(p, path, 0, "cannot open: %s", strerror(errno));
        return;
    }
    struct stat sb;
    if (fstat(fileno(p->fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        conf_fail_at(p, path, 0, "is a directory");
    } else {
        unsigned before = p->errors;
        int r = ini_parse_stream(reader, p, handler, p);
        if (r == -2) {
            fputs("meetingd: out of memory in inih\n", stderr);
            abort();
        }
        /* Our reader refuses what inih would not parse: this is a safety net. */
        if (p->errors == before && r != 0)
            conf_fail_at(p, path, r > 0 ? (unsigned)r : 0, "syntax error");
    }
    fclose(p->fp);
    p->fp = NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_include_dir(struct parser *p)
{
    const char *dir = p->conf->daemon.include_dir;
    unsigned line = p->daemon->key_line[conf_find_key(SK_DAEMON, "include_dir")];
    const char *file = p->daemon->file;
    DIR *d = opendir(dir);
    if (d == NULL) {
        conf_fail_at(p, file, line, "include_dir: cannot open %s: %s", dir, strerror(errno));
        return;
    }
    struct strlist names = {0};
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".conf") != 0)
            continue;
        strlist_add(&names, de->d_name);
    }
    closedir(d);
    if (names.n > 0)
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        char *path = xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names.v[i]);
        struct stat sb;
        /* A subdirectory named *.conf is not configuration; a dangling link is a mistake. */
        if (stat(path, &sb) != 0)
            conf_fail_at(p, path, 0, "cannot open: %s", strerror(errno));
        else if (S_ISREG(sb.st_mode))
            parse_file(p, path, false);
        free(path);
    }
    strlist_free(&names);
}

/* ---- whole-configuration checks --------------------------------------------------------- */

static struct conf_policy *lookup_policy(const struct conf *c, const char *name)
{
    return nameindex_find(&c->policy_index, name);
}

static void unknown_policy(struct parser *p, const char *file, unsigned line, const char *name)
{
    const struct conf *c = p->conf;
    for (size_t i = 0; i < c->n_policies; i++) {
        if (util_str_casecmp_ascii(c->policies[i]->name, name) == 0) {
            conf_fail_at(p, file, line, "policy: unknown policy '%.64s' (did you mean '%s'?)", name,
                         c->policies[i]->name);
            return;
        }
    }
    conf_fail_at(p, file, line, "policy: unknown policy '%.64s' (no [policy %.64s] section)", name,
                 name);
}

/* The line a key of the section holding obj was set on (0 if not set). */
static unsigned key_line_of(const struct parser *p, const void *obj, enum sect_kind kind,
                            const char *key)
{
    for (size_t i = 0; i < p->n_sects; i++)
        if (p->sects[i]->obj == obj)
            return p->sects[i]->key_line[conf_find_key(kind, key)];
    return 0;
}

/* References between sections: each mailbox's and rule's policy, unique addresses. */
static void resolve_references(struct parser *p)
{
    struct conf *c = p->conf;
    struct nameindex addresses;
    nameindex_init(&addresses, conf_mailbox_address, true);
    for (size_t i = 0; i < c->n_mailboxes; i++) {
        struct conf_mailbox *m = c->mailboxes[i];
        if (m->policy_name != NULL) { /* else reported missing */
            m->policy = lookup_policy(c, m->policy_name);
            if (m->policy == NULL)
                unknown_policy(p, m->file, m->policy_line, m->policy_name);
        }
        const struct conf_mailbox *first = m->address ? nameindex_add(&addresses, m) : NULL;
        if (first != NULL)
            conf_fail_at(p, m->file, key_line_of(p, m, SK_MAILBOX, "address"),
                         "mailbox %s has the same address as [mailbox %s] (%s:%u)", m->name,
                         first->name, first->file, first->line);
    }
    nameindex_free(&addresses);
    for (size_t i = 0; i < c->n_rules; i++) {
        struct conf_rule *r = c->rules[i];
        if (r->policy_name == NULL)
            continue;
        r->policy = lookup_policy(c, r->policy_name);
        if (r->policy == NULL)
            unknown_policy(p, r->file, r->policy_line, r->policy_name);
    }
}

/* How each mailbox logs in, and its poll interval. */
static void resolve_access(struct parser *p)
{
    struct conf *c = p->conf;
    const struct conf_server *srv = &c->server;
    /* Kerberos proves who the account is without a password; an OAuth2 app logs in as
     * itself (client_id). */
    bool server_creds = (srv->username != NULL && srv->password != NULL) ||
                        (srv->auth == CONF_AUTH_NEGOTIATE && srv->username != NULL) ||
                        (srv->auth == CONF_AUTH_OAUTH2 && srv->oauth2.client_id != NULL);
    /* [server]'s password file was refused (reported there): saying each mailbox lacks
     * credentials would only repeat that. */
    bool server_refused = !server_creds && (srv->username != NULL || srv->client_id != NULL);
    for (size_t i = 0; i < c->n_mailboxes; i++) {
        struct conf_mailbox *m = c->mailboxes[i];
        if (!m->has_poll_interval)
            m->poll_interval_s = c->daemon.poll_interval_s;
        if (m->username != NULL && srv->auth == CONF_AUTH_OAUTH2) {
            conf_fail_at(p, m->file, m->line,
                         "mailbox %s: with auth = oauth2 every mailbox is reached by "
                         "impersonation; remove username and password_file",
                         m->name);
        } else if (m->username != NULL) {
            m->access = CONF_ACCESS_OWN;
            m->login_username = m->username;
            m->login_password = m->password;
        } else if (server_creds) {
            m->access = srv->impersonation || srv->protocol == CONF_PROTOCOL_GRAPH
                            ? CONF_ACCESS_IMPERSONATE
                            : CONF_ACCESS_DELEGATE;
            m->login_username = srv->auth == CONF_AUTH_OAUTH2 ? srv->client_id : srv->username;
            m->login_password = srv->auth == CONF_AUTH_OAUTH2 ? srv->client_secret : srv->password;
        } else if (!server_refused) {
            conf_fail_at(p, m->file, m->line,
                         "mailbox %s has no credentials: set username and password_file here, "
                         "or in [server]",
                         m->name);
        }
    }
}

/* Why rule r of policy pol can never match, or NULL. */
static char *never_matches(const struct conf_rule *r, const struct conf_policy *pol)
{
    char d1[24], d2[24];
    if (r->has_min_duration && r->has_max_duration && r->min_duration_s > r->max_duration_s) {
        util_format_duration(r->min_duration_s, d1, sizeof(d1));
        util_format_duration(r->max_duration_s, d2, sizeof(d2));
        return xasprintf("min_duration %s is greater than max_duration %s", d1, d2);
    }
    if (r->has_min_attendees && r->has_max_attendees && r->min_attendees > r->max_attendees)
        return xasprintf("min_attendees %u is greater than max_attendees %u", r->min_attendees,
                         r->max_attendees);
    if (r->has_days && r->days == 0)
        return xstrdup("days is empty");
    for (size_t j = 0; j < pol->n_rules; j++) {
        const struct conf_rule *e = pol->rules[j];
        if (e->n_conditions == 0)
            return xasprintf("shadowed by rule %s (%s:%u), which has no conditions and matches "
                             "everything first",
                             e->name, e->file, e->line);
    }
    if (r->external == CONF_COND_YES && !pol->process_external_meeting_messages) {
        /* The policy ignores external organizers before any rule is tried. */
        return xasprintf("external = yes, but policy %s ignores external organizers "
                         "(process_external_meeting_messages = no)",
                         pol->name);
    }
    return NULL;
}

static void validate_all(struct parser *p)
{
    struct conf *c = p->conf;
    if (p->server == NULL) {
        conf_fail_at(p, c->path, 0, "missing [server] section (url is required)");
        return;
    }
    conf_index_names(c);
    resolve_references(p);
    conf_check_kinds(p);
    resolve_access(p);
    for (size_t i = 0; i < c->n_rules; i++) {
        struct conf_rule *r = c->rules[i];
        struct conf_policy *pol = r->policy_name ? lookup_policy(c, r->policy_name) : NULL;
        if (pol == NULL)
            continue; /* reported */
        r->never_matches = never_matches(r, pol);
        pol->rules = xreallocarray(pol->rules, pol->n_rules + 1, sizeof(*pol->rules));
        pol->rules[pol->n_rules++] = r;
    }
}

/* ---- public API ------------------------------------------------------------------------- */

struct conf *conf_load(const char *path, struct conf_error *err)
{
    struct conf_error scratch;
    if (err == NULL)
        err = &scratch;
    if (path == NULL)
        path = CONF_DEFAULT_PATH;
    memset(err, 0, sizeof(*err));
    struct conf *c = xcalloc(1, sizeof(*c));
    c->path = xstrdup(path);
    struct parser p = {.conf = c, .err = err, .last_key = -1};
    for (int k = 0; k < SK_COUNT; k++)
        nameindex_init(&p.named[k], conf_sect_name, false);
    apply_defaults(&p, SK_SERVER, &c->server);
    apply_defaults(&p, SK_DAEMON, &c->daemon);

    parse_file(&p, path, true);
    if (c->daemon.include_dir != NULL && p.daemon != NULL)
        parse_include_dir(&p);
    /* A file that cannot be read at all says nothing more worth checking. */
    if (p.n_sects > 0 || p.errors == 0)
        validate_all(&p);

    for (size_t i = 0; i < p.n_sects; i++) {
        free(p.sects[i]->key_line);
        free(p.sects[i]);
    }
    free(p.sects);
    for (int k = 0; k < SK_COUNT; k++)
        nameindex_free(&p.named[k]);
    free(p.secret_path);
    util_secure_free(p.secret);
    if (p.errors > 0) {
        conf_free(c);
        return NULL;
    }
    return c;
}

void conf_free(struct conf *c)
{
    if (c == NULL)
        return;
    conf_release_fields(SK_SERVER, &c->server);
    conf_release_fields(SK_DAEMON, &c->daemon);
    for (size_t i = 0; i < c->n_mailboxes; i++)
        free_section(SK_MAILBOX, c->mailboxes[i], c->mailboxes[i]->name);
    free(c->mailboxes);
    for (size_t i = 0; i < c->n_policies; i++) {
        free(c->policies[i]->rules);
        free_section(SK_POLICY, c->policies[i], c->policies[i]->name);
    }
    free(c->policies);
    for (size_t i = 0; i < c->n_rules; i++) {
        free(c->rules[i]->never_matches);
        free_section(SK_RULE, c->rules[i], c->rules[i]->name);
    }
    free(c->rules);
    strlist_free(&c->files);
    nameindex_free(&c->mailbox_index);
    nameindex_free(&c->policy_index);
    free(c->path);
    free(c);
}

void conf_error_print(const struct conf_error *err, FILE *out)
{
    if (err->file[0] == '\0')
        fprintf(out, "%s\n", err->message);
    else if (err->line == 0)
        fprintf(out, "%s: %s\n", err->file, err->message);
    else
        fprintf(out, "%s:%u: %s\n", err->file, err->line, err->message);
    fputs(err->others, out);
    if (err->count > err->n_others + 1)
        fprintf(out, "%s: %u more errors not shown\n", err->file, err->count - err->n_others - 1);
}

const struct conf_policy *conf_find_policy(const struct conf *c, const char *name)
{
    return name ? lookup_policy(c, name) : NULL;
}

const struct conf_mailbox *conf_find_mailbox(const struct conf *c, const char *name)
{
    return nameindex_find(&c->mailbox_index, name);
}
