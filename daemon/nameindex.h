/*
 * nameindex: items looked up by a name they hold, in O(1) on average.
 *
 * An open-addressing table of borrowed item pointers; the name is read from the item through
 * the KEY function given at init, so the table stores nothing but one pointer a slot (at
 * most half full: 16 bytes an item). Names compare exactly, or ASCII case-insensitively
 * when FOLD_CASE (e-mail addresses). Items are only added, never removed: the index is
 * built with what it indexes (a loaded configuration, a parser's sections) and freed with it.
 */
#ifndef MEETINGD_NAMEINDEX_H
#define MEETINGD_NAMEINDEX_H

#include <stdbool.h>
#include <stddef.h>

struct nameindex {
    const char *(*key)(const void *item);
    bool fold_case;
    const void **slots;
    size_t cap, n;
};

void nameindex_init(struct nameindex *x, const char *(*key)(const void *item), bool fold_case);
void nameindex_free(struct nameindex *x);

/* The item named NAME, or NULL. */
void *nameindex_find(const struct nameindex *x, const char *name);

/* Adds ITEM unless an item of the same name is there: returns that one (ITEM is not added),
 * or NULL when ITEM was added. */
void *nameindex_add(struct nameindex *x, const void *item);

#endif
