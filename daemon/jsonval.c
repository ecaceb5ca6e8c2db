#include "jsonval.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

json_t *jsonval_string(const char *s)
{
    if (s == NULL)
        return json_null();
    if (util_utf8_valid(s, strlen(s)))
        return json_string(s);
    char *fixed = util_utf8_replace_invalid(s);
    json_t *v = json_string(fixed);
    free(fixed);
    return v;
}

json_t *jsonval_time(time_t t)
{
    if (t == 0)
        return json_null();
    char buf[21];
    util_format_time_utc(t, buf);
    return json_string(buf);
}

int jsonval_print_take(json_t *v, FILE *out)
{
    if (v == NULL)
        return 0;
    int rc = json_dumpf(v, out, JSON_COMPACT);
    json_decref(v);
    return rc;
}
