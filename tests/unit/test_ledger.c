/*
 * Unit tests of the ledger: durability across reopen, a torn last line, and compaction.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_states_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_and_bad_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_line_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
