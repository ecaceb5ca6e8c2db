/*
 * Unit tests of group_cache (membership with nested groups, cycles, the cap, the TTL and
 * failures) and of the ExpandDL request and answer it is fed from (ews_build_dl,
 * ews_parse_dl).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ews_build.h"
#include "ews_parse.h"
#include "group_cache.h"
#include "util.h"

#define T0 ((time_t)1796130000)

static const struct group_limits LIMITS = {.ttl_s = 3600, .max_members = 10};

/* Feeds the answer "ADDRESS has MEMBERS" (NULL-terminated; a leading '+' marks a group). */
static void answer_group(struct group_cache *gc, const char *address, const char *const *members,
                         bool complete, time_t now)
{
    struct backend_result r = {.status = BACKEND_OK, .members_complete = complete};
    size_t n = 0;
    while (members[n] != NULL)
        n++;
    r.members = calloc(n + 1, sizeof(*r.members));
    for (size_t i = 0; i < n; i++) {
        bool group = members[i][0] == '+';
        r.members[i] = (struct backend_member){strdup(members[i] + group), group};
    }
    r.n_members = n;
    group_cache_store(gc, address, &r, now);
    backend_result_clear(&r);
}

static void answer_status(struct group_cache *gc, const char *address, enum backend_status st,
                          time_t now)
{
    struct backend_result r = {.status = st, .error = "test"};
    group_cache_store(gc, address, &r, now);
}

/* Expands what the cache queued, from TABLE (address, members...), until nothing is due. */
static void expand_queued(struct group_cache *gc, time_t now)
{
    static const char *const bookers[] = {"alice@example.com", "+Team@example.com", NULL};
    static const char *const team[] = {"bob@example.com", "+bookers@example.com", NULL};
    const char *address;
    while ((address = group_cache_next_wanted(gc, now)) != NULL) {
        char *a = strdup(address);
        if (strcmp(a, "bookers@example.com") == 0)
            answer_group(gc, a, bookers, true, now);
        else if (strcmp(a, "team@example.com") == 0)
            answer_group(gc, a, team, true, now);
        else
            answer_status(gc, a, BACKEND_ITEM_GONE, now);
        free(a);
    }
}

static void test_nested_groups_with_a_cycle(void **state)
{
    (void)state;
    struct group_cache *gc = group_cache_new();
    assert_int_equal(group_cache_member(gc, "bookers@example.com", "bob@example.com", &LIMITS, T0),
                     -1);
    expand_queued(gc, T0); /* bookers */
    /* The nested group is known only now: still unknown, and queued. */
    assert_int_equal(group_cache_member(gc, "bookers@example.com", "bob@example.com", &LIMITS, T0),
                     -1);
    expand_queued(gc, T0); /* team */
    assert_int_equal(group_cache_member(gc, "BOOKERS@example.com", "Bob@Example.com", &LIMITS, T0),
                     1);
    assert_int_equal(
        group_cache_member(gc, "bookers@example.com", "alice@example.com", &LIMITS, T0), 1);
    assert_int_equal(group_cache_member(gc, "team@example.com", "alice@example.com", &LIMITS, T0),
                     1);
    assert_int_equal(group_cache_member(gc, "bookers@example.com", "eve@example.com", &LIMITS, T0),
                     0);
    /* The people of the tree, each once, groups left out. */
    struct strlist people = {0};
    assert_int_equal(group_cache_members(gc, "team@example.com", &LIMITS, T0, &people), 1);
    assert_int_equal(people.n, 2);
    assert_string_equal(people.v[0], "bob@example.com");
    assert_string_equal(people.v[1], "alice@example.com");
    strlist_free(&people);
    /* Nothing more to ask before the TTL is over. */
    assert_null(group_cache_next_wanted(gc, T0 + 10));
    assert_int_equal(group_cache_size(gc), 2);
    assert_int_equal(group_cache_members(gc, "nobody@example.com", &LIMITS, T0, &people), -1);
    assert_int_equal(people.n, 0);
    group_cache_free(gc);
}

static void test_not_a_group_is_remembered(void **state)
{
    (void)state;
    struct group_cache *gc = group_cache_new();
    assert_int_equal(group_cache_member(gc, "alice@example.com", "bob@example.com", &LIMITS, T0),
                     -1);
    expand_queued(gc, T0);
    assert_int_equal(group_cache_member(gc, "alice@example.com", "bob@example.com", &LIMITS, T0),
                     0);
    assert_null(group_cache_next_wanted(gc, T0));
    /* After the TTL it is asked again, and meanwhile the answer stands. */
    assert_int_equal(
        group_cache_member(gc, "alice@example.com", "bob@example.com", &LIMITS, T0 + 3600), 0);
    const char *again = group_cache_next_wanted(gc, T0 + 3600);
    assert_non_null(again);
    assert_string_equal(again, "alice@example.com");
    group_cache_free(gc);
}

static void test_failures(void **state)
{
    (void)state;
    struct group_cache *gc = group_cache_new();
    assert_int_equal(group_cache_member(gc, "bookers@example.com", "x@example.com", &LIMITS, T0),
                     -1);
    assert_non_null(group_cache_next_wanted(gc, T0));
    answer_status(gc, "bookers@example.com", BACKEND_SERVER, T0);
    /* A failure is not asked again at once, and the group stays unknown. */
    assert_int_equal(
        group_cache_member(gc, "bookers@example.com", "alice@example.com", &LIMITS, T0 + 1), -1);
    assert_null(group_cache_next_wanted(gc, T0 + 1));
    assert_int_equal(group_cache_member(gc, "bookers@example.com", "alice@example.com", &LIMITS,
                                        T0 + GROUP_RETRY_S),
                     -1);
    assert_non_null(group_cache_next_wanted(gc, T0 + GROUP_RETRY_S));
    /* A list the server gave only in part is not a list to decide on. */
    static const char *const part[] = {"alice@example.com", NULL};
    answer_group(gc, "bookers@example.com", part, false, T0 + GROUP_RETRY_S);
    assert_int_equal(group_cache_member(gc, "bookers@example.com", "alice@example.com", &LIMITS,
                                        T0 + GROUP_RETRY_S),
                     -1);
    /* Once known, a failed refresh leaves the members as they were. */
    answer_group(gc, "bookers@example.com", part, true, T0 + 100);
    assert_int_equal(
        group_cache_member(gc, "bookers@example.com", "alice@example.com", &LIMITS, T0 + 5000), 1);
    answer_status(gc, "bookers@example.com", BACKEND_TRANSPORT, T0 + 5000);
    assert_int_equal(
        group_cache_member(gc, "bookers@example.com", "alice@example.com", &LIMITS, T0 + 5001), 1);
    group_cache_free(gc);
}

static void test_cap(void **state)
{
    (void)state;
    struct group_cache *gc = group_cache_new();
    static const char *const many[] = {"a1@x.org", "a2@x.org", "a3@x.org",     "a4@x.org",
                                       "a5@x.org", "a6@x.org", "+inner@x.org", NULL};
    static const char *const inner[] = {"b1@x.org", "b2@x.org", "b3@x.org", "b4@x.org", NULL};
    answer_group(gc, "big@x.org", many, true, T0);
    answer_group(gc, "inner@x.org", inner, true, T0);
    /* 7 + 4 members with the nested group: over the cap of 10, whoever asks. */
    assert_int_equal(group_cache_member(gc, "big@x.org", "a1@x.org", &LIMITS, T0), -1);
    assert_int_equal(group_cache_member(gc, "inner@x.org", "b1@x.org", &LIMITS, T0), 1);
    struct group_limits wide = {.ttl_s = 3600, .max_members = 11};
    assert_int_equal(group_cache_member(gc, "big@x.org", "b4@x.org", &wide, T0), 1);
    group_cache_free(gc);
}

static void test_expand_dl_wire(void **state)
{
    (void)state;
    struct ews_context ctx = {.server_version = "Exchange2013_SP1"};
    char *env = ews_build_expand_dl(&ctx, "bookers@example.com");
    assert_non_null(env);
    assert_non_null(strstr(env, "<m:ExpandDL><m:Mailbox><t:EmailAddress>bookers@example.com"
                                "</t:EmailAddress></m:Mailbox></m:ExpandDL>"));
    free(env);
    assert_null(ews_build_expand_dl(&ctx, "Room bookers"));

    static const char answer[] =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
        "<m:ExpandDLResponse xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/"
        "messages\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">"
        "<m:ResponseMessages><m:ExpandDLResponseMessage ResponseClass=\"Success\">"
        "<m:ResponseCode>NoError</m:ResponseCode>"
        "<m:DLExpansion TotalItemsInView=\"2\" IncludesLastItemInRange=\"true\">"
        "<t:Mailbox><t:Name>Alice</t:Name><t:EmailAddress>alice@example.com</t:EmailAddress>"
        "<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox>"
        "<t:Mailbox><t:Name>Team</t:Name><t:EmailAddress>team@example.com</t:EmailAddress>"
        "<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>PublicDL</t:MailboxType></t:Mailbox>"
        "</m:DLExpansion></m:ExpandDLResponseMessage></m:ResponseMessages>"
        "</m:ExpandDLResponse></s:Body></s:Envelope>";
    struct ews_response *r = NULL;
    char err[256];
    assert_int_equal(ews_parse_response(answer, strlen(answer), "ExpandDL", &r, err, sizeof(err)),
                     0);
    assert_int_equal(r->n_messages, 1);
    const struct ews_response_message *m = &r->messages[0];
    assert_true(m->has_dl_expansion);
    assert_true(m->includes_last_item_in_range);
    assert_int_equal(m->total_items_in_view, 2);
    assert_int_equal(m->n_dl_members, 2);
    assert_string_equal(m->dl_members[1].address, "team@example.com");
    assert_string_equal(m->dl_members[1].mailbox_type, "PublicDL");
    ews_response_free(r);

    /* A surprise inside a member fails the whole answer. */
    const char *bad_at = strstr(answer, "<t:RoutingType>");
    size_t head = (size_t)(bad_at - answer);
    char *bad = malloc(sizeof(answer) + 32);
    memcpy(bad, answer, head);
    strcpy(bad + head, "<t:Surprise/>");
    strcat(bad, bad_at);
    r = NULL;
    assert_int_equal(ews_parse_response(bad, strlen(bad), "ExpandDL", &r, err, sizeof(err)), -1);
    assert_null(r);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_groups_with_a_cycle),
        cmocka_unit_test(test_not_a_group_is_remembered),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_expand_dl_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
