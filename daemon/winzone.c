/*
 * winzone: Windows zone names through CLDR's windowsZones.xml (see winzone.h).
 *
 * The file is system data, but it is parsed as carefully as a server's answer: no network,
 * no DTD loaded and no entity substituted (it names a DTD it does not need).
 */
#include "winzone.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DEFAULT_PATH "/usr/share/unicode/cldr/common/supplemental/windowsZones.xml"

/* The territory-001 mapping: Windows id -> first IANA name. Read once per path, kept. */
struct winzone_map {
    char *path; /* what was read; NULL = nothing yet */
    char error[160];
    struct strlist windows;
    struct strlist iana;
    /* Every territory's IANA names and their Windows id, for the way back. */
    struct strlist any_iana;
    struct strlist any_windows;
};

static struct winzone_map map;

const char *winzone_path(void)
{
    const char *env = getenv("MEETINGD_WINDOWS_ZONES");
    return env && *env ? env : DEFAULT_PATH;
}

static void take_map_zone(xmlNode *n)
{
    xmlChar *other = xmlGetProp(n, (const xmlChar *)"other");
    xmlChar *territory = xmlGetProp(n, (const xmlChar *)"territory");
    xmlChar *type = xmlGetProp(n, (const xmlChar *)"type");
    if (other && type) {
        char *copy = xstrdup((const char *)type), *save = NULL;
        for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
            strlist_add(&map.any_iana, tok);
            strlist_add(&map.any_windows, (const char *)other);
        }
        free(copy);
    }
    if (other && territory && type && strcmp((const char *)territory, "001") == 0) {
        char *first = xstrdup((const char *)type);
        first[strcspn(first, " \t")] = '\0';
        if (*first) {
            strlist_add(&map.windows, (const char *)other);
            strlist_add_take(&map.iana, first);
        } else {
            free(first);
        }
    }
    xmlFree(other);
    xmlFree(territory);
    xmlFree(type);
}

static void walk(xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, "mapZone") == 0)
            take_map_zone(n);
        else
            walk(n->children);
    }
}

/* Reads the map from winzone_path() unless that is what the map holds already. */
static void load(void)
{
    const char *path = winzone_path();
    if (map.path != NULL && strcmp(map.path, path) == 0)
        return;
    free(map.path);
    strlist_free(&map.windows);
    strlist_free(&map.iana);
    strlist_free(&map.any_iana);
    strlist_free(&map.any_windows);
    map.error[0] = '\0';
    map.path = xstrdup(path);
    xmlDoc *doc =
        xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        snprintf(map.error, sizeof(map.error), "cannot read the Windows zone map %.100s", path);
        return;
    }
    walk(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (map.windows.n == 0)
        snprintf(map.error, sizeof(map.error), "no zones in the Windows zone map %.100s", path);
}

/* Compares ignoring ASCII case and treating runs of blanks as one blank. */
static bool same_name(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ' && a[1] == ' ')
            a++;
        while (*b == ' ' && b[1] == ' ')
            b++;
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
        if (x == '\0')
            return true;
        a++;
        b++;
    }
}

char *winzone_to_iana(const char *name, char *err, size_t err_len)
{
    load();
    if (map.error[0]) {
        snprintf(err, err_len, "%s", map.error);
        return NULL;
    }
    for (size_t i = 0; i < map.windows.n; i++)
        if (same_name(map.windows.v[i], name))
            return xstrdup(map.iana.v[i]);
    snprintf(err, err_len, "no such Windows zone in %.100s", winzone_path());
    return NULL;
}

const char *winzone_from_iana(const char *iana)
{
    load();
    for (size_t i = 0; i < map.iana.n; i++)
        if (strcmp(map.iana.v[i], iana) == 0)
            return map.windows.v[i];
    for (size_t i = 0; i < map.any_iana.n; i++)
        if (strcmp(map.any_iana.v[i], iana) == 0)
            return map.any_windows.v[i];
    return NULL;
}

/* ---- IANA names -------------------------------------------------------------------------- */

bool zone_name_ok(const char *s)
{
    if (s[0] == '/' || s[0] == '\0' || strlen(s) > 100)
        return false;
    for (const char *q = s; *q; q++) {
        char c = *q;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
        if (c == '/' && (q[1] == '/' || q[1] == '\0'))
            return false;
    }
    return true; /* no '.' at all, so no ".." components */
}

bool zone_exists(const char *name, char *dirbuf, size_t dirlen)
{
    const char *dir = getenv("TZDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/usr/share/zoneinfo";
    snprintf(dirbuf, dirlen, "%s", dir);
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rbe");
    free(path);
    if (f == NULL)
        return false;
    char magic[4];
    bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

char *zone_resolve(const char *name)
{
    char err[160], dir[256];
    if (name == NULL || *name == '\0' || strlen(name) > 100)
        return NULL;
    char *iana = winzone_to_iana(name, err, sizeof(err));
    if (iana != NULL && zone_name_ok(iana) && zone_exists(iana, dir, sizeof(dir)))
        return iana;
    free(iana);
    if (zone_name_ok(name) && zone_exists(name, dir, sizeof(dir)))
        return xstrdup(name);
    return NULL;
}
