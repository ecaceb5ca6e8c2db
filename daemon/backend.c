/*
 * backend: the protocol-independent helpers of backend.h.
 */
#include "backend.h"

#include <stdlib.h>

int backend_status_scope(enum backend_status status)
{
    switch (status) {
    case BACKEND_BUSY:
        return BACKEND_SCOPE_BUDGET;
    case BACKEND_SERVER:
    case BACKEND_TRANSPORT:
        return BACKEND_SCOPE_SERVER;
    case BACKEND_AUTH:
        return BACKEND_SCOPE_CREDENTIALS;
    default:
        return -1;
    }
}

bool backend_request_failed(enum backend_status status)
{
    switch (status) {
    case BACKEND_OK:
    case BACKEND_ITEM_GONE:
    case BACKEND_OUT_OF_DATE:
    case BACKEND_ITEM_REFUSED:
        return false;
    default:
        return true;
    }
}

bool backend_throttled(const struct backend_result *r)
{
    return r->retry_ms > 0 || r->status == BACKEND_BUSY || r->status == BACKEND_TRY_LATER;
}

const char *backend_status_name(enum backend_status status)
{
    static const char *const names[] = {
        [BACKEND_OK] = "ok",
        [BACKEND_ITEM_GONE] = "item-gone",
        [BACKEND_OUT_OF_DATE] = "out-of-date",
        [BACKEND_ITEM_REFUSED] = "item-refused",
        [BACKEND_BUSY] = "busy",
        [BACKEND_TRY_LATER] = "try-later",
        [BACKEND_SERVER] = "server-unavailable",
        [BACKEND_TRANSPORT] = "transport",
        [BACKEND_AUTH] = "authentication",
        [BACKEND_ACCOUNT] = "account",
        [BACKEND_FAILED] = "failed",
        [BACKEND_TOO_LARGE] = "too-large",
        [BACKEND_UNUSABLE] = "unusable",
        [BACKEND_UNSUPPORTED] = "unsupported",
    };
    if ((unsigned)status < sizeof(names) / sizeof(names[0]) && names[status])
        return names[status];
    return "unknown";
}

void backend_result_clear(struct backend_result *r)
{
    item_array_free(r->items, r->n_items);
    r->items = NULL;
    r->n_items = 0;
    free(r->moved_id);
    r->moved_id = NULL;
    free(r->sync_state);
    r->sync_state = NULL;
    free(r->subscription_id);
    r->subscription_id = NULL;
    free(r->affinity_cookie);
    r->affinity_cookie = NULL;
    for (size_t i = 0; i < r->n_gone; i++)
        item_id_clear(&r->gone[i]);
    free(r->gone);
    r->gone = NULL;
    r->n_gone = 0;
    for (size_t i = 0; i < r->n_failures; i++) {
        free(r->failures[i].id);
        free(r->failures[i].reason);
    }
    free(r->failures);
    r->failures = NULL;
    r->n_failures = 0;
    for (size_t i = 0; r->moved_ids && i < r->n_item_status; i++)
        free(r->moved_ids[i]);
    free(r->moved_ids);
    r->moved_ids = NULL;
    for (size_t i = 0; r->item_errors && i < r->n_item_status; i++)
        free(r->item_errors[i]);
    free(r->item_errors);
    r->item_errors = NULL;
    free(r->item_status);
    r->item_status = NULL;
    r->n_item_status = 0;
    for (size_t i = 0; i < r->n_members; i++)
        free(r->members[i].address);
    free(r->members);
    r->members = NULL;
    r->n_members = 0;
}

void backend_head_clear(struct backend *b)
{
    for (int i = 0; i < BACKEND_SCOPES; i++) {
        free(b->keys[i]);
        b->keys[i] = NULL;
    }
    free(b->credentials_name);
    b->credentials_name = NULL;
}
