/*
 * Unit tests of nameindex: items found by the name they hold, exactly or ignoring ASCII case,
 * the first of two items of one name kept, and growth keeping every item findable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "nameindex.h"

struct named {
    char name[32];
};

static const char *name_of(const void *item)
{
    return ((const struct named *)item)->name;
}

static void test_find_and_duplicates(void **state)
{
    struct nameindex x;
    nameindex_init(&x, name_of, false);
    struct named a = {"room1"}, b = {"Room1"}, c = {"room1"};
    assert_null(nameindex_find(&x, "room1"));
    assert_null(nameindex_add(&x, &a));
    assert_null(nameindex_add(&x, &b)); /* case counts */
    assert_ptr_equal(nameindex_add(&x, &c), &a);
    assert_ptr_equal(nameindex_find(&x, "room1"), &a);
    assert_ptr_equal(nameindex_find(&x, "Room1"), &b);
    assert_null(nameindex_find(&x, "room2"));
    assert_null(nameindex_find(&x, NULL));
    nameindex_free(&x);
}

static void test_fold_case(void **state)
{
    struct nameindex x;
    nameindex_init(&x, name_of, true);
    struct named a = {"Room@Example.com"}, b = {"room@example.COM"};
    assert_null(nameindex_add(&x, &a));
    assert_ptr_equal(nameindex_add(&x, &b), &a);
    assert_ptr_equal(nameindex_find(&x, "ROOM@EXAMPLE.COM"), &a);
    nameindex_free(&x);
}

static void test_many(void **state)
{
    enum { N = 20000 };
    struct named *items = calloc(N, sizeof(*items));
    struct nameindex x;
    nameindex_init(&x, name_of, false);
    for (int i = 0; i < N; i++) {
        snprintf(items[i].name, sizeof(items[i].name), "mb%d", i);
        assert_null(nameindex_add(&x, &items[i]));
    }
    assert_int_equal(x.n, N);
    assert_true(x.cap >= 2 * (size_t)N);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof(name), "mb%d", i);
        assert_ptr_equal(nameindex_find(&x, name), &items[i]);
    }
    assert_null(nameindex_find(&x, "mb20000"));
    nameindex_free(&x);
    free(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_and_duplicates),
        cmocka_unit_test(test_fold_case),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
