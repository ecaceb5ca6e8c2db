/*
 * Fuzz target for the configuration loader (conf_load on a file holding the input, then the
 * summary) and for the util parsers that read outside input (ISO 8601 times from EWS,
 * durations, booleans, address patterns), fed with the same bytes.
 *
 * Built with the replay driver its corpus (tests/fuzz/corpus/fuzz_conf/) runs as a ctest test;
 * with -DMEETINGD_LIBFUZZER=ON it links libFuzzer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "policy.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];

static void remove_input_file(void)
{
    if (path[0] != '\0')
        unlink(path);
}

/* One scratch file per process, rewritten for each input: conf_load reads files. */
static bool write_input(const uint8_t *data, size_t size)
{
    if (path[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof(path), "%s/fuzz_conf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0) {
            path[0] = '\0';
            return false;
        }
        close(fd);
        atexit(remove_input_file);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return false;
    bool ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

static void fuzz_util(const uint8_t *data, size_t size)
{
    char *s = xstrndup((const char *)data, size);
    time_t t;
    unsigned u;
    bool b;
    char buf[24];
    if (util_parse_time(s, &t) == 0) {
        /* What parses must format and parse back within the clamped range. */
        char out[21];
        util_format_time_utc(t, out);
        time_t back;
        if (util_parse_time(out, &back) != 0)
            abort();
    }
    if (util_parse_duration(s, &u) == 0) {
        util_format_duration(u, buf, sizeof(buf));
        unsigned back;
        if (util_parse_duration(buf, &back) != 0 || back != u)
            abort();
    }
    (void)util_parse_bool(s, &b);
    char *nl = strchr(s, '\n');
    if (nl != NULL) {
        *nl = '\0';
        (void)util_addr_matches(s, nl + 1);
        (void)util_addr_is_valid(nl + 1);
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_util(data, size);
    if (!write_input(data, size))
        return 0;
    struct conf_error err;
    struct conf *c = conf_load(path, &err);
    FILE *null = fopen("/dev/null", "w");
    if (c != NULL) {
        if (null != NULL)
            conf_print_summary(c, null);
        for (size_t i = 0; i < c->n_rules; i++)
            (void)policy_subject_matches(&(c->rules[i])->subject, "Weekly sync");
        (void)conf_find_policy(c, "room");
        conf_free(c);
    } else if (null != NULL) {
        conf_error_print(&err, null);
    }
    if (null != NULL)
        fclose(null);
    return 0;
}
