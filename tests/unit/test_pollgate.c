/*
 * Unit tests of pollgate: at most max_running slots, waiters served in the order they came,
 * a slot handed to the longest waiter (never released to whoever asks next), and a waiter
 * that leaves the queue no longer woken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "pollgate.h"

struct waiter {
    struct pollgate_waiter w;
    int id;
};

static int woken[8];
static int n_woken;

static void on_wake(struct pollgate_waiter *w)
{
    woken[n_woken++] = ((struct waiter *)(void *)w)->id;
}

static void test_slots_and_fifo(void **state)
{
    struct pollgate g;
    pollgate_init(&g, 2);
    struct waiter a = {.w.wake = on_wake, .id = 1}, b = {.w.wake = on_wake, .id = 2},
                  c = {.w.wake = on_wake, .id = 3}, d = {.w.wake = on_wake, .id = 4};
    n_woken = 0;
    assert_true(pollgate_enter(&g, &a.w));
    assert_true(pollgate_enter(&g, &b.w));
    assert_false(pollgate_enter(&g, &c.w));
    assert_false(pollgate_enter(&g, &d.w));
    assert_false(pollgate_enter(&g, &c.w)); /* queued once, not twice */
    assert_int_equal(g.n_waiting, 2);

    pollgate_leave(&g); /* a's slot goes to c, the first waiter */
    assert_int_equal(n_woken, 1);
    assert_int_equal(woken[0], 3);
    assert_int_equal(g.running, 2);
    struct waiter e = {.w.wake = on_wake, .id = 5};
    assert_false(pollgate_enter(&g, &e.w)); /* the handed slot is c's: e waits */

    pollgate_cancel(&g, &d.w); /* d stopped waiting */
    pollgate_leave(&g);
    assert_int_equal(n_woken, 2);
    assert_int_equal(woken[1], 5);
    pollgate_leave(&g);
    pollgate_leave(&g);
    assert_int_equal(g.running, 0);
    assert_int_equal(g.n_waiting, 0);
    assert_true(pollgate_enter(&g, &d.w));
}

static void test_no_limit(void **state)
{
    struct pollgate g;
    pollgate_init(&g, 0);
    struct waiter w[5];
    for (int i = 0; i < 5; i++) {
        w[i] = (struct waiter){.w.wake = on_wake, .id = i};
        assert_true(pollgate_enter(&g, &w[i].w));
    }
    assert_int_equal(g.n_waiting, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_and_fifo),
        cmocka_unit_test(test_no_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
