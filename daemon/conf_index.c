/*
 * conf_index: what makes loading a configuration of thousands of sections cost time linear
 * in their number: the indexes by name (nameindex.h) and the arrays' growth.
 */
#include "conf_keys.h"

void *conf_grow_for_one(void *array, size_t n)
{
    if (n != 0 && (n & (n - 1)) != 0)
        return array;
    return xreallocarray(array, n ? 2 * n : 1, sizeof(void *));
}

const char *conf_sect_name(const void *item)
{
    return ((const struct sect *)item)->name;
}

const char *conf_mailbox_address(const void *item)
{
    return ((const struct conf_mailbox *)item)->address;
}

static const char *mailbox_name(const void *item)
{
    return ((const struct conf_mailbox *)item)->name;
}

static const char *policy_name(const void *item)
{
    return ((const struct conf_policy *)item)->name;
}

void conf_index_names(struct conf *c)
{
    nameindex_init(&c->mailbox_index, mailbox_name, false);
    for (size_t i = 0; i < c->n_mailboxes; i++)
        nameindex_add(&c->mailbox_index, c->mailboxes[i]);
    nameindex_init(&c->policy_index, policy_name, false);
    for (size_t i = 0; i < c->n_policies; i++)
        nameindex_add(&c->policy_index, c->policies[i]);
}
