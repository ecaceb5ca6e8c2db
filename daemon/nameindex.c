/*
 * nameindex: open addressing with linear probing over FNV-1a hashes (see nameindex.h).
 */
#include "nameindex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static unsigned char fold(unsigned char c, bool fold_case)
{
    return fold_case && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static size_t hash(const char *s, bool fold_case)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ fold((unsigned char)*s, fold_case)) * 1099511628211ULL;
    return (size_t)h;
}

static bool same(const char *a, const char *b, bool fold_case)
{
    return fold_case ? util_str_casecmp_ascii(a, b) == 0 : strcmp(a, b) == 0;
}

void nameindex_init(struct nameindex *x, const char *(*key)(const void *item), bool fold_case)
{
    *x = (struct nameindex){.key = key, .fold_case = fold_case};
}

void nameindex_free(struct nameindex *x)
{
    free(x->slots);
    x->slots = NULL;
    x->cap = x->n = 0;
}

/* The slot holding NAME, or the empty slot where it would go. */
static size_t slot_of(const struct nameindex *x, const char *name)
{
    size_t i = hash(name, x->fold_case) & (x->cap - 1);
    while (x->slots[i] != NULL && !same(x->key(x->slots[i]), name, x->fold_case))
        i = (i + 1) & (x->cap - 1);
    return i;
}

void *nameindex_find(const struct nameindex *x, const char *name)
{
    if (x->cap == 0 || name == NULL)
        return NULL;
    return (void *)x->slots[slot_of(x, name)];
}

static void grow(struct nameindex *x)
{
    struct nameindex bigger = *x;
    bigger.cap = x->cap ? x->cap * 2 : 64;
    bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
    for (size_t i = 0; i < x->cap; i++)
        if (x->slots[i] != NULL)
            bigger.slots[slot_of(&bigger, x->key(x->slots[i]))] = x->slots[i];
    free(x->slots);
    *x = bigger;
}

void *nameindex_add(struct nameindex *x, const void *item)
{
    if ((x->n + 1) * 2 > x->cap)
        grow(x);
    size_t i = slot_of(x, x->key(item));
    if (x->slots[i] != NULL)
        return (void *)x->slots[i];
    x->slots[i] = item;
    x->n++;
    return NULL;
}
