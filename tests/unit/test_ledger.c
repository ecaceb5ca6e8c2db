/*
 * Unit tests of the ledger: durability across reopen, a torn last line, and compaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ledger.h"
#include "util.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/meetingd-ledger-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/room.ledger", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);
    rmdir(dir);
    return 0;
}

static struct ledger *open_ok(void)
{
    char err[256] = "";
    struct ledger *l = ledger_open(path, err, sizeof(err));
    if (l == NULL)
        fail_msg("ledger_open: %s", err);
    return l;
}

static void append_raw(const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void append_raw_create(const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void test_states_survive_reopen(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    assert_int_equal(ledger_state(l, "AAMkA1"), LEDGER_UNKNOWN);
    assert_int_equal(ledger_intent(l, "AAMkA1", "accept"), 0);
    assert_int_equal(ledger_state(l, "AAMkA1"), LEDGER_INTENT);
    assert_int_equal(ledger_intent(l, "AAMkA2", "decline"), 0);
    assert_int_equal(ledger_done(l, "AAMkA2", "decline"), 0);
    ledger_close(l);

    l = open_ok();
    assert_int_equal(ledger_state(l, "AAMkA1"), LEDGER_INTENT);
    assert_string_equal(ledger_action(l, "AAMkA1"), "accept");
    assert_int_equal(ledger_state(l, "AAMkA2"), LEDGER_DONE);
    assert_string_equal(ledger_action(l, "AAMkA2"), "decline");
    assert_int_equal(ledger_count(l), 2);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    ledger_close(l);
}

static void count_pending(const char *id, const char *action, void *userdata)
{
    (void)action;
    assert_string_equal(id, "AAMkA1");
    (*(int *)userdata)++;
}

static void test_pending_and_bad_tokens(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    assert_int_equal(ledger_intent(l, "AAMkA1", "accept"), 0);
    assert_int_equal(ledger_done(l, "AAMkA3", "remove"), 0);
    int n = 0;
    ledger_foreach_pending(l, count_pending, &n);
    assert_int_equal(n, 1);
    /* Ids and actions that would break the line format are refused, not written. */
    assert_int_equal(ledger_intent(l, "has space", "accept"), -1);
    assert_int_equal(ledger_intent(l, "AAMkA4", "two words"), -1);
    assert_int_equal(ledger_intent(l, "", "accept"), -1);
    assert_int_equal(ledger_state(l, "has space"), LEDGER_UNKNOWN);
    ledger_close(l);
}

static void test_torn_last_line_is_cut(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    assert_int_equal(ledger_done(l, "AAMkA1", "accept"), 0);
    ledger_close(l);
    /* A crash in the middle of an append. */
    append_raw("D 1790000000 decline AAMk");
    l = open_ok();
    assert_int_equal(ledger_state(l, "AAMkA1"), LEDGER_DONE);
    assert_int_equal(ledger_state(l, "AAMk"), LEDGER_UNKNOWN);
    assert_int_equal(ledger_done(l, "AAMkA5", "tentative"), 0);
    ledger_close(l);
    l = open_ok();
    assert_int_equal(ledger_state(l, "AAMkA5"), LEDGER_DONE);
    assert_int_equal(ledger_count(l), 2);
    ledger_close(l);
    /* Garbage lines are skipped, never fatal. */
    append_raw("nonsense\nX 1 accept AAMkA9\n");
    l = open_ok();
    assert_int_equal(ledger_count(l), 2);
    ledger_close(l);
}

static off_t file_size(void)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static char *file_text(void)
{
    off_t size = file_size();
    char *text = calloc(1, (size_t)size + 1);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, text, (size_t)size), (ssize_t)size);
    close(fd);
    return text;
}

/* A disk that fills up: the process may write no byte past LIMIT (RLIMIT_FSIZE), so a
 * write stops short, as on a full file system. */
static void limit_file_size(rlim_t limit)
{
    struct rlimit rl = {.rlim_cur = limit, .rlim_max = RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void test_failed_append_is_undone(void **state)
{
    (void)state;
    signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of the signal */
    struct ledger *l = open_ok();
    assert_int_equal(ledger_done(l, "AAMkA1", "accept"), 0);
    off_t before = file_size();
    /* Room for half a record: the write is short, then fails. */
    limit_file_size((rlim_t)before + 10);
    errno = 0;
    assert_int_equal(ledger_intent(l, "AAMkA2", "tentative"), -1);
    assert_int_equal(errno, EFBIG);
    assert_int_equal(file_size(), before); /* cut back: no torn line */
    assert_int_equal(ledger_state(l, "AAMkA2"), LEDGER_UNKNOWN);
    /* A group commit that does not fit: none of it. */
    struct ledger_record batch[] = {{LEDGER_INTENT, "AAMkB1", "accept"},
                                    {LEDGER_INTENT, "AAMkB2", "decline"}};
    assert_int_equal(ledger_append_many(l, batch, 2), -1);
    assert_int_equal(file_size(), before);
    assert_int_equal(ledger_state(l, "AAMkB1"), LEDGER_UNKNOWN);
    /* Space returns: the next records start on lines of their own. */
    limit_file_size(RLIM_INFINITY);
    assert_int_equal(ledger_intent(l, "AAMkA3", "decline"), 0);
    ledger_close(l);
    char *text = file_text();
    char *second = strchr(text, '\n') + 1;
    assert_int_equal(strncmp(text, "D ", 2), 0);
    assert_int_equal(strncmp(second, "I ", 2), 0);
    assert_non_null(strstr(second, " decline AAMkA3\n"));
    assert_int_equal(strlen(strchr(second, '\n')), 1); /* exactly two lines */
    free(text);
    l = open_ok();
    assert_int_equal(ledger_count(l), 2);
    assert_int_equal(ledger_state(l, "AAMkA3"), LEDGER_INTENT);
    ledger_close(l);
}

static void test_group_commit(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    struct ledger_record batch[] = {{LEDGER_INTENT, "AAMkG1", "accept"},
                                    {LEDGER_INTENT, "AAMkG2", "decline"},
                                    {LEDGER_DONE, "AAMkG3", "remove"}};
    assert_int_equal(ledger_append_many(l, batch, 3), 0);
    assert_int_equal(ledger_state(l, "AAMkG1"), LEDGER_INTENT);
    assert_int_equal(ledger_state(l, "AAMkG3"), LEDGER_DONE);
    assert_int_equal(ledger_append_many(l, batch, 0), 0);
    /* One bad record: nothing written, nothing remembered. */
    off_t before = file_size();
    struct ledger_record bad[] = {{LEDGER_DONE, "AAMkG1", "accept"},
                                  {LEDGER_DONE, "two words", "accept"}};
    assert_int_equal(ledger_append_many(l, bad, 2), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(file_size(), before);
    assert_int_equal(ledger_state(l, "AAMkG1"), LEDGER_INTENT);
    ledger_close(l);
    l = open_ok();
    assert_int_equal(ledger_count(l), 3);
    assert_string_equal(ledger_action(l, "AAMkG2"), "decline");
    assert_int_equal(ledger_state(l, "AAMkG3"), LEDGER_DONE);
    ledger_close(l);
}

/* What versions before all-or-nothing appends left after a full disk: a torn record with
 * the next one glued on. The glued record is recovered, the torn one dropped. */
static void test_glued_record_is_recovered(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    ledger_close(l);
    append_raw("D 1796560800 accept AAMkA1\n"
               "I 1796560811 tenI 1796560837 tentative AUmEC9\n"
               "D 1796560900 declineD 1796560901 decline AAMkA7\n");
    l = open_ok();
    assert_int_equal(ledger_state(l, "AUmEC9"), LEDGER_INTENT);
    assert_string_equal(ledger_action(l, "AUmEC9"), "tentative");
    assert_int_equal(ledger_state(l, "AAMkA7"), LEDGER_DONE);
    assert_int_equal(ledger_state(l, "1796560837"), LEDGER_UNKNOWN);
    assert_int_equal(ledger_count(l), 3);
    ledger_close(l);
}

/* A ledger file removed under a running ledger (state_dir deleted): appends fail while its
 * directory is gone, nothing vanishes with the old file, and once the directory is back the
 * ledger is written anew from memory, every entry kept. A file put in its place is never
 * overwritten: appends fail with ESTALE. */
static void test_removed_file_refuses_appends(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    assert_int_equal(ledger_done(l, "AAMkA1", "accept"), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    errno = 0;
    assert_int_equal(ledger_intent(l, "AAMkA2", "accept"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(ledger_state(l, "AAMkA2"), LEDGER_UNKNOWN);

    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(ledger_intent(l, "AAMkA2", "accept"), 0);
    ledger_close(l);
    l = open_ok(); /* what the new file holds */
    assert_int_equal(ledger_state(l, "AAMkA1"), LEDGER_DONE);
    assert_int_equal(ledger_state(l, "AAMkA2"), LEDGER_INTENT);
    assert_int_equal(ledger_count(l), 2);

    assert_int_equal(unlink(path), 0);
    append_raw_create("");
    assert_int_equal(ledger_intent(l, "AAMkA3", "accept"), -1);
    assert_int_equal(errno, ESTALE);
    assert_int_equal(ledger_state(l, "AAMkA3"), LEDGER_UNKNOWN);
    ledger_close(l);
}

static bool present(const char *id, void *userdata)
{
    (void)userdata;
    return strcmp(id, "OLD-PRESENT") == 0;
}

static void test_compaction(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    ledger_close(l);
    append_raw("D 1000 accept OLD-GONE\n"
               "D 1000 accept OLD-PRESENT\n"
               "I 1000 accept OLD-PENDING\n");
    l = open_ok();
    assert_int_equal(ledger_done(l, "RECENT", "decline"), 0);
    for (int i = 0; i < 200; i++) { /* enough to make the table grow */
        char id[32];
        snprintf(id, sizeof(id), "OLD-%d", i);
        assert_int_equal(ledger_done(l, id, "remove"), 0);
    }
    assert_int_equal(ledger_count(l), 204);
    assert_int_equal(ledger_compact(l, time(NULL) - 3600, present, NULL), 0);
    /* Kept: recent, still present, pending. Dropped: old and gone. */
    assert_int_equal(ledger_state(l, "OLD-GONE"), LEDGER_UNKNOWN);
    assert_int_equal(ledger_state(l, "OLD-PRESENT"), LEDGER_DONE);
    assert_int_equal(ledger_state(l, "OLD-PENDING"), LEDGER_INTENT);
    assert_int_equal(ledger_state(l, "RECENT"), LEDGER_DONE);
    assert_int_equal(ledger_state(l, "OLD-7"), LEDGER_DONE); /* recent: written just now */
    assert_int_equal(ledger_count(l), 203);
    /* Appends after a compaction land in the new file. */
    assert_int_equal(ledger_done(l, "AFTER", "accept"), 0);
    ledger_close(l);
    l = open_ok();
    assert_int_equal(ledger_count(l), 204);
    assert_int_equal(ledger_state(l, "AFTER"), LEDGER_DONE);
    assert_int_equal(ledger_state(l, "OLD-GONE"), LEDGER_UNKNOWN);
    ledger_close(l);
}

/* An intent's link (its calendar item's id) survives a reopen and a compaction, goes with
 * the done line, and a link that would break the line is refused. */
static void test_intent_link(void **state)
{
    (void)state;
    struct ledger *l = open_ok();
    assert_int_equal(ledger_intent_linked(l, "AAMkREQ1", "accept", "AAMkCAL1"), 0);
    assert_int_equal(ledger_intent(l, "AAMkREQ2", "decline"), 0);
    assert_int_equal(ledger_intent_linked(l, "AAMkREQ3", "accept", "two words"), -1);
    assert_int_equal(ledger_pending_count(l), 2);
    ledger_close(l);

    l = open_ok();
    assert_string_equal(ledger_link(l, "AAMkREQ1"), "AAMkCAL1");
    assert_null(ledger_link(l, "AAMkREQ2"));
    assert_int_equal(ledger_compact(l, 0, NULL, NULL), 0);
    ledger_close(l);
    l = open_ok();
    assert_string_equal(ledger_link(l, "AAMkREQ1"), "AAMkCAL1");
    assert_int_equal(ledger_state(l, "AAMkREQ1"), LEDGER_INTENT);
    assert_int_equal(ledger_done(l, "AAMkREQ1", "accept"), 0);
    assert_null(ledger_link(l, "AAMkREQ1"));
    assert_int_equal(ledger_pending_count(l), 1);
    ledger_close(l);
    /* A done line with a fifth word is not ours: skipped. */
    append_raw("D 1000 accept AAMkREQ9 AAMkCAL9\n");
    l = open_ok();
    assert_int_equal(ledger_state(l, "AAMkREQ9"), LEDGER_UNKNOWN);
    ledger_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_states_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_and_bad_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_line_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_append_is_undone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_glued_record_is_recovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_file_refuses_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intent_link, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
