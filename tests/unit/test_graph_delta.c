/*
 * Unit tests of graph_delta: the Inbox delta state written and read back, ids kept once and
 * dropped, a reset, and files that cannot be read taken as no state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph_delta.h"
#include "log.h"

static char dir[] = "/tmp/test_graph_delta.XXXXXX";

static char *state_path(void)
{
    return xasprintf("%s/room.graph-delta", dir);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct graph_delta d;
    char err[256];
    graph_delta_load_take(&d, state_path());
    assert_null(d.delta_link);
    graph_delta_add(&d, "M1");
    graph_delta_add(&d, "M2");
    graph_delta_add(&d, "M1"); /* once */
    graph_delta_add(&d, "M3");
    graph_delta_remove(&d, "M2");
    graph_delta_remove(&d, "nothing");
    assert_int_equal(graph_delta_commit(&d, "https://g/delta?$deltatoken=1", err, sizeof(err)), 0);
    graph_delta_clear(&d);

    char *path = state_path();
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(path);
    graph_delta_load_take(&d, state_path());
    assert_string_equal(d.delta_link, "https://g/delta?$deltatoken=1");
    assert_int_equal(d.ids.n, 2);
    assert_string_equal(d.ids.v[0], "M1");
    assert_string_equal(d.ids.v[1], "M3");
    graph_delta_reset(&d);
    assert_null(d.delta_link);
    assert_int_equal(d.ids.n, 0);
    graph_delta_clear(&d);
}

static void test_unreadable_files(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "{", "[]", "{\"ids\":[\"M1\"]}",
                                      "{\"deltaLink\":7,\"ids\":[]}",
                                      "{\"deltaLink\":\"x\",\"ids\":\"M1\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char *path = state_path();
        write_text(path, bad[i]);
        struct graph_delta d;
        graph_delta_load_take(&d, path);
        assert_null(d.delta_link);
        assert_int_equal(d.ids.n, 0);
        graph_delta_clear(&d);
    }
    /* Entries that are not strings are skipped, the rest kept. */
    char *path = state_path();
    write_text(path, "{\"deltaLink\":\"L\",\"ids\":[\"M1\",5,\"M2\"]}");
    struct graph_delta d;
    graph_delta_load_take(&d, path);
    assert_string_equal(d.delta_link, "L");
    assert_int_equal(d.ids.n, 2);
    graph_delta_clear(&d);
}

static void test_unwritable(void **state)
{
    (void)state;
    struct graph_delta d;
    char err[256] = "";
    graph_delta_load_take(&d, xasprintf("%s/missing-dir/room.graph-delta", dir));
    graph_delta_add(&d, "M1");
    assert_int_equal(graph_delta_commit(&d, "L", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot write"));
    /* The state in memory is kept. */
    assert_string_equal(d.delta_link, "L");
    assert_int_equal(d.ids.n, 1);
    graph_delta_clear(&d);
}

int main(void)
{
    log_init("test_graph_delta", LOG_LEVEL_ERROR, false);
    if (mkdtemp(dir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unreadable_files),
        cmocka_unit_test(test_unwritable),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = 1;
    free(cmd);
    return rc;
}
