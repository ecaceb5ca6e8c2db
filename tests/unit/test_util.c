/*
 * Unit tests of util (allocation, parsers, secret files, lists, address matching) and log
 * (level names, line formats, journal detection, escaping).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#include "testfiles.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static char tmpdir[PATH_MAX];

static int setup_tmpdir(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/test_util.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

/* ---- allocation ------------------------------------------------------------------------- */

static void test_alloc(void **state)
{
    (void)state;
    char *s = xasprintf("%s-%d", "room", 42);
    assert_string_equal(s, "room-42");
    free(s);
    s = xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = xstrndup("ab", 10);
    assert_string_equal(s, "ab");
    free(s);
    int *v = xcalloc(4, sizeof(int));
    for (int i = 0; i < 4; i++)
        assert_int_equal(v[i], 0);
    v = xreallocarray(v, 1000, sizeof(int));
    v[999] = 7;
    assert_int_equal(v[999], 7);
    free(v);
    free(xmalloc(0));
}

/* ---- durations -------------------------------------------------------------------------- */

static void test_duration_ok(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        unsigned out;
    } cases[] = {
        {"30s", 30},
        {"5m", 300},
        {"2h", 7200},
        {"1d", 86400},
        {"90", 90},
        {"0", 0},
        {"0s", 0},
        {"1h30m", 5400},
        {"1d12h", 129600},
        {"1d1h1m1s", 90061},
        {"007s", 7},
        {"4294967295", 4294967295u},
        {"49710d", 4294944000u},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned v = 12345;
        if (util_parse_duration(cases[i].in, &v) != 0)
            fail_msg("'%s' rejected", cases[i].in);
        assert_int_equal(v, cases[i].out);
    }
}

static void test_duration_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "s",
        "h5",
        "abc",
        "5x",
        "1h1h",
        "30m1h",
        "1h30",
        " 5",
        "5 ",
        "-5",
        "+5",
        "1.5h",
        "1 h",
        "5S",
        "1H",
        "4294967296",
        "49711d",
        "99999999999999s",
        "1d24h30m9999999999s",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned v = 777;
        if (util_parse_duration(bad[i], &v) == 0)
            fail_msg("'%s' accepted as %u", bad[i], v);
        assert_int_equal(v, 777); /* untouched on error */
    }
    unsigned v;
    assert_int_equal(util_parse_duration(NULL, &v), -1);
}

static void test_duration_format(void **state)
{
    (void)state;
    char buf[24];
    util_format_duration(0, buf, sizeof(buf));
    assert_string_equal(buf, "0s");
    util_format_duration(5400, buf, sizeof(buf));
    assert_string_equal(buf, "1h30m");
    util_format_duration(86400 + 1, buf, sizeof(buf));
    assert_string_equal(buf, "1d1s");
    util_format_duration(59, buf, sizeof(buf));
    assert_string_equal(buf, "59s");
    /* What it prints reads back as the same value. */
    static const unsigned values[] = {1, 60, 61, 3599, 3600, 86399, 90061, 4294967295u};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        unsigned back = 0;
        util_format_duration(values[i], buf, sizeof(buf));
        assert_int_equal(util_parse_duration(buf, &back), 0);
        assert_int_equal(back, values[i]);
    }
    /* Truncation keeps the string terminated. */
    char small[4];
    util_format_duration(90061, small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
}

/* ---- booleans --------------------------------------------------------------------------- */

static void test_bool(void **state)
{
    (void)state;
    static const char *const yes[] = {"yes", "YES", "true", "True", "on", "ON", "1"};
    static const char *const no[] = {"no", "No", "false", "FALSE", "off", "Off", "0"};
    static const char *const bad[] = {"", "y", "n", "2", "yes ", "enable", "nope", "10"};
    bool b;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        b = false;
        assert_int_equal(util_parse_bool(yes[i], &b), 0);
        assert_true(b);
        assert_int_equal(util_parse_bool(no[i], &b), 0);
        assert_false(b);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (util_parse_bool(bad[i], &b) == 0)
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(util_parse_bool(NULL, &b), -1);
}

/* ---- times ------------------------------------------------------------------------------ */

static void test_time_ok(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        long long out;
    } cases[] = {
        {"2026-12-03T10:00:00Z", 1796292000LL},
        {"2026-12-03T10:00:00z", 1796292000LL},
        {"2026-12-03T10:00:00", 1796292000LL},
        {"2026-12-03T10:00Z", 1796292000LL},
        {"2026-12-03T11:00:00+01:00", 1796292000LL},
        {"2026-12-03T11:00:00+0100", 1796292000LL},
        {"2026-12-03T11:00:00+01", 1796292000LL},
        {"2026-12-03T04:30:00-05:30", 1796292000LL},
        {"2026-12-03T10:00:00.1234567Z", 1796292000LL},
        {"2026-12-03T10:00:00.999+00:00", 1796292000LL},
        {"2026-12-03", 1796256000LL},
        {"2024-02-29", 1709164800LL},
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59Z", -1},
        {"2000-03-01T12:34:56Z", 951914096LL},
        {"9999-12-31T23:59:59Z", 253402300799LL},
        {"2026-12-31T23:59:60Z", 1798761600LL}, /* leap second rolls over */
        {"2026-01-01T00:30:00+01:00", 1767223800LL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        time_t t = 99;
        if (util_parse_time(cases[i].in, &t) != 0)
            fail_msg("'%s' rejected", cases[i].in);
        if ((long long)t != cases[i].out)
            fail_msg("'%s' -> %lld, want %lld", cases[i].in, (long long)t, cases[i].out);
    }
}

static void test_time_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026",
        "2026-12",
        "2026-2-03",
        "2026-12-3",
        "2026-13-01",
        "2026-00-10",
        "2026-02-29",
        "2025-04-31",
        "2026-12-00",
        "2026-12-03T",
        "2026-12-03T10",
        "2026-12-03T24:00:00Z",
        "2026-12-03T10:60:00Z",
        "2026-12-03T10:00:61Z",
        "2026-12-03 10:00:00Z",
        "2026-12-03T10:00:00ZZ",
        "2026-12-03T10:00:00+1:00",
        "2026-12-03T10:00:00+24:00",
        "2026-12-03T10:00:00+01:60",
        "2026-12-03T10:00:00.Z",
        "2026-12-03T10:00:00Zjunk",
        "2026-12-03junk",
        " 2026-12-03",
        "-2026-12-03",
        "abcd-ef-ghT10:00:00Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        time_t t = 99;
        if (util_parse_time(bad[i], &t) == 0)
            fail_msg("'%s' accepted as %lld", bad[i], (long long)t);
        assert_int_equal(t, 99);
    }
    time_t t;
    assert_int_equal(util_parse_time(NULL, &t), -1);
}

/* The strict xs:dateTime of EWS: a zone, seconds, 24:00:00, years 1-9999. */
static void test_xs_datetime(void **state)
{
    time_t t;
    assert_int_equal(util_parse_xs_datetime("2026-12-03T11:00:00+01:00", &t), 0);
    assert_true(t == (time_t)1796292000);
    assert_int_equal(util_parse_xs_datetime(" 2026-12-03T10:00:00.999Z\n", &t), 0);
    assert_true(t == (time_t)1796292000);
    assert_int_equal(util_parse_xs_datetime("2026-12-02T24:00:00Z", &t), 0);
    assert_true(t == (time_t)1796256000);
    assert_int_equal(util_parse_xs_datetime("2026-12-03T10:00:00+14:00", &t), 0);
    static const char *const bad[] = {
        "2026-12-03T10:00:00",       "2026-12-03T10:00Z",         "2026-12-03",
        "2026-12-03T10:00:00z",      "2026-12-03T10:00:00+0100",  "2026-12-03T10:00:00+01",
        "2026-12-03T10:00:00+14:01", "2026-12-03T10:00:00+15:00", "2026-12-03T10:00:60Z",
        "2026-12-03T24:00:00.5Z",    "2026-12-03T24:00:01Z",      "0000-01-01T00:00:00Z",
        "2026-12-03T10:00:00,5Z",    "2026-02-29T10:00:00Z",      "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (util_parse_xs_datetime(bad[i], &t) == 0)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(util_parse_xs_datetime(NULL, &t), -1);

    char d[11];
    assert_int_equal(util_parse_xs_date("2014-01-07-08:00", d), 0);
    assert_string_equal(d, "2014-01-07");
    assert_int_equal(util_parse_xs_date(" 2014-01-07Z ", d), 0);
    assert_int_equal(util_parse_xs_date("2014-02-30", d), -1);
    assert_int_equal(util_parse_xs_date("0000-01-01", d), -1);
    assert_int_equal(util_parse_xs_date("2014-01-07T00:00:00Z", d), -1);
    assert_int_equal(util_parse_xs_date(NULL, d), -1);
}

static void test_xs_datetime_format(void **state)
{
    char b[21];
    assert_int_equal(util_format_xs_datetime(0, b), 0);
    assert_string_equal(b, "1970-01-01T00:00:00Z");
    assert_int_equal(util_format_xs_datetime((time_t)951782400, b), 0);
    assert_string_equal(b, "2000-02-29T00:00:00Z");
    assert_int_equal(util_format_xs_datetime((time_t)253402300799LL, b), 0);
    assert_string_equal(b, "9999-12-31T23:59:59Z");
    assert_int_equal(util_format_xs_datetime((time_t)253402300800LL, b), -1); /* 10000 */
    assert_int_equal(util_format_xs_datetime((time_t)-62135596801LL, b), -1); /* year 0 */
    /* The parser reads back what the formatter writes. */
    time_t back;
    assert_int_equal(util_format_xs_datetime((time_t)1796292059, b), 0);
    assert_int_equal(util_parse_xs_datetime(b, &back), 0);
    assert_true(back == (time_t)1796292059);
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[21];
    util_format_time_utc(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    util_format_time_utc(1796292000, buf);
    assert_string_equal(buf, "2026-12-03T10:00:00Z");
    util_format_time_utc(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
    util_format_time_utc(1709164800 + 86399, buf);
    assert_string_equal(buf, "2024-02-29T23:59:59Z");
    /* Clamped to four-digit years. */
    util_format_time_utc((time_t)253402300799LL + 1000000, buf);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
    util_format_time_utc((time_t)-62167219200LL - 5, buf);
    assert_string_equal(buf, "0000-01-01T00:00:00Z");
    /* Round trip over a spread of times, including before the epoch. */
    for (long long t = -5000000000LL; t < 20000000000LL; t += 123456789LL) {
        time_t back;
        util_format_time_utc((time_t)t, buf);
        assert_int_equal(strlen(buf), 20);
        assert_int_equal(util_parse_time(buf, &back), 0);
        assert_int_equal((long long)back, t);
    }
}

/* ---- secrets ---------------------------------------------------------------------------- */

#define SECRET "pa55-w0rd-Xq9!"

static void test_secret_ok(void **state)
{
    (void)state;
    char err[512] = "";
    char *path = write_test_file(tmpdir, "pw1", SECRET "\n", 0600);
    char *s = util_read_secret_file(path, err, sizeof(err));
    assert_non_null(s);
    assert_string_equal(s, SECRET);
    util_secure_free(s);
    free(path);

    /* CRLF counts as one newline; only one newline goes. */
    path = write_test_file(tmpdir, "pw2", SECRET "\r\n", 0400);
    s = util_read_secret_file(path, err, sizeof(err));
    assert_string_equal(s, SECRET);
    util_secure_free(s);
    free(path);
    path = write_test_file(tmpdir, "pw3", SECRET "\n\n", 0600);
    s = util_read_secret_file(path, err, sizeof(err));
    assert_string_equal(s, SECRET "\n");
    util_secure_free(s);
    free(path);
    path = write_test_file(tmpdir, "pw4", SECRET, 0600);
    s = util_read_secret_file(path, err, sizeof(err));
    assert_string_equal(s, SECRET);
    util_secure_free(s);
    free(path);
    util_secure_free(NULL);
}

static void test_secret_refused(void **state)
{
    (void)state;
    char err[512];
    static const mode_t modes[] = {0644, 0640, 0604, 0660, 0602, 0620, 0666};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        char *path = write_test_file(tmpdir, "pwmode", SECRET "\n", modes[i]);
        err[0] = '\0';
        assert_null(util_read_secret_file(path, err, sizeof(err)));
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "0600"));
        assert_null(strstr(err, SECRET));
        free(path);
    }
    char *path = write_test_file(tmpdir, "pwempty", "\n", 0600);
    assert_null(util_read_secret_file(path, err, sizeof(err)));
    assert_non_null(strstr(err, "empty"));
    free(path);

    path = xasprintf("%s/does-not-exist", tmpdir);
    assert_null(util_read_secret_file(path, err, sizeof(err)));
    assert_non_null(strstr(err, "No such file"));
    free(path);

    assert_null(util_read_secret_file(tmpdir, err, sizeof(err)));
    assert_non_null(strstr(err, "not a regular file"));

    /* A NUL byte would silently cut the password. */
    path = xasprintf("%s/pwnul", tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(write(fd, "ab\0cd", 5), 5);
    close(fd);
    assert_null(util_read_secret_file(path, err, sizeof(err)));
    assert_non_null(strstr(err, "NUL"));
    free(path);

    /* Too large. */
    char *big = xmalloc(70000);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    path = write_test_file(tmpdir, "pwbig", big, 0600);
    assert_null(util_read_secret_file(path, err, sizeof(err)));
    assert_non_null(strstr(err, "too large"));
    assert_null(strstr(err, "aaaa"));
    free(path);
    free(big);
}

static void test_secret_credentials_dir(void **state)
{
    (void)state;
    char err[512];
    char *creds = xasprintf("%s/creds", tmpdir);
    assert_int_equal(mkdir(creds, 0755), 0);
    char *path = write_test_file(creds, "ews", SECRET "\n", 0644);
    char *outside = write_test_file(tmpdir, "outside", SECRET "\n", 0644);

    assert_null(util_read_secret_file(path, err, sizeof(err)));
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    char *s = util_read_secret_file(path, err, sizeof(err));
    assert_non_null(s);
    assert_string_equal(s, SECRET);
    util_secure_free(s);

    /* ".." out of the directory does not count as under it. */
    char *escape = xasprintf("%s/../outside", creds);
    assert_null(util_read_secret_file(escape, err, sizeof(err)));
    assert_non_null(strstr(err, "0644"));
    /* A symlink inside pointing outside does not either. */
    char *link = xasprintf("%s/link", creds);
    assert_int_equal(symlink(outside, link), 0);
    assert_null(util_read_secret_file(link, err, sizeof(err)));
    unsetenv("CREDENTIALS_DIRECTORY");

    free(link);
    free(escape);
    free(outside);
    free(path);
    free(creds);
}

/* ---- clock, lists, strings -------------------------------------------------------------- */

static void test_monotonic(void **state)
{
    (void)state;
    uint64_t a = util_monotonic_ms();
    usleep(20000);
    uint64_t b = util_monotonic_ms();
    assert_true(b >= a + 15);
    assert_true(b < a + 5000);
}

static void test_strlist(void **state)
{
    (void)state;
    struct strlist l = {0};
    assert_false(strlist_contains_ci(&l, "x"));
    char buf[] = "Alice@Example.com";
    strlist_add(&l, buf);
    buf[0] = 'Z'; /* the list holds its own copy */
    strlist_add_take(&l, xstrdup("@contoso.com"));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "Alice@Example.com");
    assert_true(strlist_contains_ci(&l, "alice@example.COM"));
    assert_true(strlist_contains_ci(&l, "@CONTOSO.com"));
    assert_false(strlist_contains_ci(&l, "alice@example"));
    strlist_free(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.v);
    strlist_add(&l, "again");
    assert_int_equal(l.n, 1);
    strlist_free(&l);
}

static void test_casecmp(void **state)
{
    (void)state;
    assert_int_equal(util_str_casecmp_ascii("Room", "rOOM"), 0);
    assert_true(util_str_casecmp_ascii("a", "b") < 0);
    assert_true(util_str_casecmp_ascii("b", "A") > 0);
    assert_true(util_str_casecmp_ascii("ab", "a") > 0);
    assert_true(util_str_casecmp_ascii("", "a") < 0);
    /* Non-ASCII bytes compare as bytes, never case-folded. */
    assert_true(util_str_casecmp_ascii("\xc3\x84", "\xc3\xa4") != 0);
    assert_int_equal(util_str_ncasecmp_ascii("HelloX", "helloY", 5), 0);
    assert_true(util_str_ncasecmp_ascii("HelloX", "helloY", 6) < 0);
    assert_int_equal(util_str_ncasecmp_ascii("ab", "AB", 10), 0);
}

static void test_addr_valid(void **state)
{
    (void)state;
    static const char *const good[] = {"a@b", "room-1.2@example.com", "x+tag@sub.example.co.uk",
                                       "O'Neil@example.com", "UPPER@EXAMPLE.COM"};
    static const char *const bad[] = {
        "",         "@example.com", "user@",     "user",      "a@b@c",     "a b@x.com", "a@x..com",
        "a@.x.com", "a@x.com.",     "a@x_y.com", "<a>@x.com", "a,b@x.com", "a@x com"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!util_addr_is_valid(good[i]))
            fail_msg("'%s' rejected", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (util_addr_is_valid(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
    assert_true(util_domain_is_valid("example.com"));
    assert_true(util_domain_is_valid("localhost"));
    assert_false(util_domain_is_valid(""));
    assert_false(util_domain_is_valid("-"
                                      "."));
    assert_false(util_domain_is_valid("a..b"));
}

static void test_addr_matches(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *addr;
        bool match;
    } cases[] = {
        {"alice@example.com", "alice@example.com", true},
        {"Alice@Example.COM", "alice@example.com", true},
        {"alice@example.com", "alice@example.com.evil", false},
        {"alice@example.com", "xalice@example.com", false},
        {"@example.com", "bob@example.com", true},
        {"@EXAMPLE.com", "Bob@Example.Com", true},
        {"@example.com", "bob@sub.example.com", false},
        {"@example.com", "bob@notexample.com", false},
        {"@example.com", "bob@example.co", false},
        {"@example.com", "example.com", false},
        {"@example.com", "@example.com", false},
        {"*@example.com", "carol@example.com", true},
        {"*@example.com", "carol@sub.example.com", false},
        {"*@*.example.com", "carol@sub.example.com", true},
        {"*@*.example.com", "carol@example.com", false},
        {"*", "anyone@anywhere", true},
        {"?ob@example.com", "Bob@example.com", true},
        {"?ob@example.com", "bob@example.com", true},
        {"?ob@example.com", "ob@example.com", false},
        {"room-*@EXAMPLE.com", "ROOM-101@example.com", true},
        {"a*b*c@x", "aXXbYYc@x", true},
        {"a*b*c@x", "aXXbYY@x", false},
        {"*.admin@*", "it.admin@corp.example", true},
        {"[a]@x.com", "a@x.com", false}, /* only * and ? are special */
        {"", "a@x.com", false},
        {"a@x.com", "", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (util_addr_matches(cases[i].pattern, cases[i].addr) != cases[i].match)
            fail_msg("'%s' vs '%s': want %d", cases[i].pattern, cases[i].addr, cases[i].match);
    }
    assert_false(util_addr_matches(NULL, "a@x.com"));
    assert_false(util_addr_matches("a@x.com", NULL));
}

/* ---- log -------------------------------------------------------------------------------- */

static void test_log_levels(void **state)
{
    (void)state;
    assert_string_equal(log_level_name(LOG_LEVEL_WARNING), "warning");
    assert_string_equal(log_level_name((enum log_level)42), "unknown");
    assert_int_equal(log_level_priority(LOG_LEVEL_ERROR), 3);
    assert_int_equal(log_level_priority(LOG_LEVEL_WARNING), 4);
    assert_int_equal(log_level_priority(LOG_LEVEL_NOTICE), 5);
    assert_int_equal(log_level_priority(LOG_LEVEL_INFO), 6);
    assert_int_equal(log_level_priority(LOG_LEVEL_DEBUG), 7);
}

/* Runs fn with stderr redirected to a file; returns what was written (caller frees). */
static char *capture_stderr(void (*fn)(const char *path), const char *name)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    fn(path);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *out = xmalloc((size_t)len + 1);
    assert_int_equal(pread(fd, out, (size_t)len, 0), len);
    out[len] = '\0';
    close(fd);
    free(path);
    return out;
}

static void log_plain_lines(const char *path)
{
    (void)path;
    unsetenv("JOURNAL_STREAM");
    log_init("unittest", LOG_LEVEL_INFO, true);
    errno = EAGAIN;
    log_info("hello %s %d", "world", 7);
    assert_int_equal(errno, EAGAIN); /* logging leaves errno alone */
    log_debug("not shown at info");
    log_warn("subject \"a\nb\" with\ttab and \x01");
    log_error_errno(ENOENT, "open %s", "/x");
    log_set_level(LOG_LEVEL_DEBUG);
    log_debug("now shown");
    log_set_level(LOG_LEVEL_ERROR);
    log_warn("hidden");
    log_notice("hidden");
    log_error("shown");
}

static void test_log_plain(void **state)
{
    (void)state;
    char *out = capture_stderr(log_plain_lines, "plain.log");
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                             "unittest\\[[0-9]+\\]: info: hello world 7\n",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(regexec(&re, out, 0, NULL, 0), 0);
    regfree(&re);
    assert_null(strstr(out, "not shown"));
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, ": warning: subject \"a\\nb\" with\\ttab and \\x01\n"));
    assert_non_null(strstr(out, ": error: open /x: No such file or directory\n"));
    assert_non_null(strstr(out, ": debug: now shown\n"));
    assert_non_null(strstr(out, ": error: shown\n"));
    /* Exactly one line per shown message: the newline in the subject was escaped. */
    size_t lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 5);
    assert_null(strstr(out, "<"));
    free(out);
}

static void log_journal_lines(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    char js[64];
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    log_init("unittest", LOG_LEVEL_DEBUG, true);
    assert_true(log_to_journal());
    log_error("e");
    log_warn("w");
    log_notice("n");
    log_info("i");
    log_debug("d");
    log_warn_errno(EACCES, "x");
    /* Not allowed to use the journal format: timestamps even though it is the journal. */
    log_init(NULL, LOG_LEVEL_INFO, false);
    assert_false(log_to_journal());
    log_info("stamped");
    /* A JOURNAL_STREAM for another file (stderr redirected elsewhere) is ignored. */
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino + 1);
    setenv("JOURNAL_STREAM", js, 1);
    log_init(NULL, LOG_LEVEL_INFO, true);
    assert_false(log_to_journal());
    setenv("JOURNAL_STREAM", "garbage", 1);
    log_init(NULL, LOG_LEVEL_INFO, true);
    assert_false(log_to_journal());
    unsetenv("JOURNAL_STREAM");
}

static void test_log_journal(void **state)
{
    (void)state;
    char *out = capture_stderr(log_journal_lines, "journal.log");
    const char *want = "<3>e\n<4>w\n<5>n\n<6>i\n<7>d\n<4>x: Permission denied\n";
    assert_int_equal(strncmp(out, want, strlen(want)), 0);
    const char *rest = out + strlen(want);
    assert_non_null(strstr(rest, "Z unittest["));
    assert_non_null(strstr(rest, "]: info: stamped\n"));
    free(out);
}

static void log_long_line(const char *path)
{
    (void)path;
    unsetenv("JOURNAL_STREAM");
    log_init("unittest", LOG_LEVEL_INFO, true);
    char *big = xmalloc(20000);
    memset(big, 'x', 19999);
    big[19999] = '\0';
    log_info("%s", big);
    free(big);
}

static void test_log_long(void **state)
{
    (void)state;
    char *out = capture_stderr(log_long_line, "long.log");
    size_t len = strlen(out);
    assert_true(len <= 8192);
    assert_true(len > 8000);
    assert_int_equal(strcmp(out + len - 4, "...\n"), 0);
    assert_ptr_equal(strchr(out, '\n'), out + len - 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc),
        cmocka_unit_test(test_duration_ok),
        cmocka_unit_test(test_duration_bad),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_time_ok),
        cmocka_unit_test(test_time_bad),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_xs_datetime),
        cmocka_unit_test(test_xs_datetime_format),
        cmocka_unit_test(test_secret_ok),
        cmocka_unit_test(test_secret_refused),
        cmocka_unit_test(test_secret_credentials_dir),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_strlist),
        cmocka_unit_test(test_casecmp),
        cmocka_unit_test(test_addr_valid),
        cmocka_unit_test(test_addr_matches),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_log_plain),
        cmocka_unit_test(test_log_journal),
        cmocka_unit_test(test_log_long),
    };
    return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
