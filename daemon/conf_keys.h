/*
 * conf_keys: the key table and the value parsers, shared by the parts of the configuration
 * module (conf.c reads files and checks sections, conf_keys.c holds the table, conf_types.c
 * parses values, conf_print.c prints). Internal to those files: everything else sees conf.h
 * only.
 *
 * Adding a key is one row in conf_keys.c's table (and its field in conf.h); a new kind of
 * value is one row in the type table with its parser.
 */
#ifndef MEETINGD_CONF_KEYS_H
#define MEETINGD_CONF_KEYS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "util.h"

enum sect_kind { SK_SERVER, SK_DAEMON, SK_MAILBOX, SK_POLICY, SK_RULE, SK_COUNT };

extern const char *const conf_sect_names[SK_COUNT];

enum key_type {
    KT_STRING,      /* char *, non-empty */
    KT_TEXT,        /* char *, may be empty, continues over indented lines */
    KT_BOOL,        /* bool */
    KT_UINT,        /* unsigned in [min, max] */
    KT_DURATION,    /* unsigned seconds in [min, max] */
    KT_ENUM,        /* int from choices */
    KT_CHOICE_STR,  /* const char *, canonical spelling from choices */
    KT_URL,         /* char *, http:// or https:// */
    KT_ABSPATH,     /* char *, absolute path */
    KT_LISTEN,      /* char *, HOST:PORT with a numeric host (metrics_http_parse_listen) */
    KT_INCLUDE_DIR, /* char *, resolved path, main file only */
    KT_CA_FILE,     /* char *, resolved path of an existing readable file */
    KT_SECRET_FILE, /* char * path at off, char * secret at off2 */
    KT_ADDRESS,     /* char *, e-mail address */
    KT_ADDR_LIST,   /* strlist of addresses, @domains, globs */
    KT_PLAIN_ADDRS, /* strlist of addresses */
    KT_DOMAIN_LIST, /* strlist of lowercase domains */
    KT_DAYS,        /* unsigned CONF_DAY mask */
    KT_HOURS,       /* unsigned start minute at off, end minute at off2 */
    KT_TIME_ZONE,   /* char * IANA name at off, the Windows name given at off2; NULL = host */
    KT_POLICY_REF,  /* char * name at off, unsigned line at off2 */
    KT_SUBJECT,     /* struct conf_text_match */
    KT_COND_BOOL,   /* enum conf_cond_bool */
    KT_TEMPLATE,    /* char *, a text with {placeholders}; NULL = not given */
};
#define KT_COUNT (KT_TEMPLATE + 1)

#define KF_REQUIRED 0x01u /* must be given */
#define KF_HAS 0x02u      /* sets the bool at has_off when given */
#define KF_COND 0x04u     /* a rule condition */
#define KF_NONEMPTY 0x08u /* (days) must not be empty */
#define KF_RESTART 0x10u  /* a reload keeps the running value until the next restart */

struct choice {
    const char *name;
    int value;
    const char *refused; /* recognised but refused with this reason */
};

struct key {
    enum sect_kind kind;
    const char *name;
    enum key_type type;
    size_t off;
    size_t off2;
    size_t has_off;
    unsigned long min, max;
    const char *def; /* default, in config syntax; NULL = none */
    unsigned flags;
    const struct choice *choices;
    const char *help;
};

extern const struct key conf_keys[];
extern const size_t conf_n_keys;

/* One section being read. */
struct sect {
    enum sect_kind kind;
    void *obj;
    const char *file;
    unsigned line;
    const char *name;   /* NULL for [server] / [daemon] */
    unsigned *key_line; /* per row of conf_keys: line it was set on; 0 = not set */
};

/* The state of one conf_load(). Errors are counted, not fatal: reading goes on so that one
 * run reports every mistake of a file (like OpenBSD ntpd's parse.y). */
struct parser {
    struct conf *conf;
    struct conf_error *err;
    unsigned errors;

    const char *file; /* current file (owned by conf->files) */
    bool main_file;
    FILE *fp;
    char line[1024]; /* the line being read; longer lines are cut here and refused */
    unsigned lineno;
    struct sect *cur; /* current section, NULL before the first */
    bool skipping;    /* the current section header was refused: skip its keys quietly */
    int last_key;     /* row of the last key line in the current section, -1 = none */
    bool continuation;

    struct sect **sects; /* every section read, in order */
    size_t n_sects;
    struct sect *server, *daemon;
};

#define FIELD(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

/* Records an error at the line being read, or at another place (a section header, an
 * earlier key). */
void conf_fail(struct parser *p, const char *fmt, ...) UTIL_PRINTF(2, 3);
void conf_fail_at(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
    UTIL_PRINTF(4, 5);

/* The row of key NAME (case-insensitive) in a section of KIND, or -1. */
int conf_find_key(enum sect_kind kind, const char *name);

/* True if values of type T continue over indented lines. */
bool conf_type_continues(enum key_type t);

/* Parses V into the field(s) of OBJ that row K names; CONT: V continues the previous line's
 * value. Returns 0, or -1 with the error recorded. */
int conf_parse_value(struct parser *p, const struct key *k, void *obj, const char *v, bool cont);

/* Frees what the table's fields of OBJ (a section of KIND) hold, wiping secrets; not OBJ. */
void conf_release_fields(enum sect_kind kind, void *obj);

/* The choice's canonical name for VALUE, or "?". */
const char *conf_choice_name(const struct choice *c, int value);

/* "Mon-Fri", "Mon,Wed,Fri": the CONF_DAY mask as the configuration reads it. */
void conf_format_days(unsigned mask, char *buf, size_t len);

bool conf_is_space(char c);

/* What each mailbox's kind demands of its policy (conf_kinds.c): errors at the keys. */
void conf_check_kinds(struct parser *p);

#endif
