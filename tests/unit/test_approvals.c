/*
 * Unit tests of approvals: held requests survive a reopen, settled ones do not come back,
 * repeats are harmless, a torn last line and malformed lines are skipped, unwritable words
 * are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approvals.h"

static char dir[] = "/tmp/test_approvals.XXXXXX";
static char path[256];

static int hold(struct approvals *a, const char *req, const char *cal, const char *uid, time_t now)
{
    struct held_request h = {(char *)req, (char *)cal, (char *)uid, 1000, 2000, 0};
    return approvals_hold(a, &h, now);
}

static struct approvals *reopen(struct approvals *a)
{
    approvals_close(a);
    char err[256];
    struct approvals *b = approvals_open(path, err, sizeof(err));
    assert_non_null(b);
    return b;
}

static void test_hold_settle_reopen(void **state)
{
    (void)state;
    unlink(path);
    char err[256];
    struct approvals *a = approvals_open(path, err, sizeof(err));
    assert_non_null(a);
    size_t n;
    approvals_list(a, &n);
    assert_int_equal(n, 0);
    assert_int_equal(access(path, F_OK), -1); /* nothing held: no file */

    assert_int_equal(hold(a, "REQ1", "CAL1", "uid-1", 100), 0);
    assert_int_equal(hold(a, "REQ2", NULL, "uid-2", 200), 0);
    assert_int_equal(hold(a, "REQ1", "CAL1", "uid-1", 300), 0); /* again */
    a = reopen(a);
    const struct held_request *h = approvals_list(a, &n);
    assert_int_equal(n, 2);
    assert_string_equal(h[0].request_id, "REQ1");
    assert_string_equal(h[0].calendar_id, "CAL1");
    assert_string_equal(h[0].uid, "uid-1");
    assert_int_equal(h[0].held_at, 100);
    assert_int_equal(h[0].start, 1000);
    assert_int_equal(h[0].end, 2000);
    assert_null(h[1].calendar_id);

    assert_int_equal(approvals_settle(a, "REQ1", "approved", 400), 0);
    a = reopen(a);
    h = approvals_list(a, &n);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].request_id, "REQ2");
    approvals_close(a);
}

static void test_damaged_file(void **state)
{
    (void)state;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("held 10 A - uid-a 1000 2000\nnonsense here\nheld x B - uid-b 1 2\nsettled 11 Z gone\n"
          "held 12 C CAL uid-c 3 4\nheld 13 D - uid-d 5\nheld 14 E - uid-",
          f);
    fclose(f);
    char err[256];
    struct approvals *a = approvals_open(path, err, sizeof(err));
    assert_non_null(a);
    size_t n;
    const struct held_request *h = approvals_list(a, &n);
    assert_int_equal(n, 2);
    assert_string_equal(h[0].request_id, "A");
    assert_string_equal(h[1].request_id, "C");
    /* Words that would break the file are refused. */
    assert_int_equal(hold(a, "with space", NULL, "u", 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(hold(a, "E", NULL, "", 1), -1);
    assert_int_equal(approvals_settle(a, "A", "two words", 1), -1);
    approvals_list(a, &n);
    assert_int_equal(n, 2);
    /* The torn line was cut off: what is appended now reads back whole. */
    assert_int_equal(hold(a, "F", NULL, "uid-f", 20), 0);
    a = reopen(a);
    h = approvals_list(a, &n);
    assert_int_equal(n, 3);
    assert_string_equal(h[2].uid, "uid-f");
    approvals_close(a);
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/room.approvals", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_settle_reopen),
        cmocka_unit_test(test_damaged_file),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    rmdir(dir);
    return rc;
}
