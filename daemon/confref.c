#include "confref.h"

#include <stdlib.h>

#include "util.h"

struct confref *confref_new_take(struct conf *conf)
{
    struct confref *ref = xcalloc(1, sizeof(*ref));
    ref->conf = conf;
    ref->refs = 1;
    return ref;
}

struct confref *confref_get(struct confref *ref)
{
    ref->refs++;
    return ref;
}

void confref_put(struct confref *ref)
{
    if (ref == NULL || --ref->refs > 0)
        return;
    if (ref->dispose)
        ref->dispose(ref->conf, ref->dispose_data);
    else
        conf_free(ref->conf);
    free(ref);
}
