/*
 * Unit tests of ews_error: names round-trip, unknown codes, the action table, and (with the
 * shared schema kit) that every name is a real m:ResponseCodeType value of messages.xsd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "ews_error.h"

static void test_round_trip(void **state)
{
    for (int e = 0; e < EWS_ERROR_COUNT; e++) {
        const char *name = ews_error_name((enum ews_error)e);
        assert_non_null(name);
        assert_string_not_equal(name, "Invalid");
        if (e == EWS_ERROR_OTHER)
            continue;
        if (ews_error_from_name(name) != (enum ews_error)e)
            fail_msg("%s does not map back to %d", name, e);
        /* every name is a ResponseCode spelling */
        if (e == EWS_OK)
            assert_string_equal(name, "NoError");
        else
            assert_memory_equal(name, "Error", 5);
        /* and no two values share one */
        for (int f = e + 1; f < EWS_ERROR_COUNT; f++)
            assert_string_not_equal(name, ews_error_name((enum ews_error)f));
    }
}

static void test_unknown_names(void **state)
{
    assert_int_equal(ews_error_from_name(NULL), EWS_ERROR_OTHER);
    assert_int_equal(ews_error_from_name(""), EWS_ERROR_OTHER);
    assert_int_equal(ews_error_from_name("ErrorSomethingNew"), EWS_ERROR_OTHER);
    assert_int_equal(ews_error_from_name("errorserverbusy"), EWS_ERROR_OTHER); /* exact */
    assert_int_equal(ews_error_from_name("ErrorServerBusy "), EWS_ERROR_OTHER);
    assert_int_equal(ews_error_from_name("ErrorOther"), EWS_ERROR_OTHER);
    assert_int_equal(ews_error_from_name("NoError"), EWS_OK);
    assert_int_equal(ews_error_from_name("ErrorServerBusy"), EWS_ERR_SERVER_BUSY);
    assert_string_equal(ews_error_name((enum ews_error)EWS_ERROR_COUNT), "Invalid");
    assert_string_equal(ews_error_name((enum ews_error) - 1), "Invalid");
    assert_int_equal(ews_error_action((enum ews_error)EWS_ERROR_COUNT), EWS_ACTION_PERMANENT);
}

static void expect_action(const char *name, enum ews_error_action want)
{
    enum ews_error e = ews_error_from_name(name);
    if (e == EWS_ERROR_OTHER)
        fail_msg("%s is not in the table", name);
    if (ews_error_action(e) != want)
        fail_msg("%s: action %d, want %d", name, (int)ews_error_action(e), (int)want);
}

static void test_actions(void **state)
{
    assert_int_equal(ews_error_action(EWS_OK), EWS_ACTION_NONE);
    assert_int_equal(ews_error_action(EWS_ERROR_OTHER), EWS_ACTION_PERMANENT);

    static const char *const retry[] = {
        "ErrorServerBusy",
        "ErrorTimeoutExpired",
        "ErrorConnectionFailed",
        "ErrorInternalServerError",
        "ErrorMailboxMoveInProgress",
        "ErrorMailboxStoreUnavailable",
        "ErrorTooManyObjectsOpened",
        "ErrorExceededConnectionCount",
        "ErrorADUnavailable",
        "ErrorBatchProcessingStopped",
        "ErrorInternalServerTransientError",
    };
    static const char *const gone[] = {
        "ErrorItemNotFound",
        "ErrorInvalidIdMalformed",
        "ErrorCalendarIsCancelledForAccept",
        "ErrorCalendarIsCancelledForDecline",
        "ErrorCalendarIsCancelledForTentative",
        "ErrorCalendarIsCancelledForRemove",
        "ErrorCalendarOccurrenceIsDeletedFromRecurrence",
    };
    static const char *const conflict[] = {"ErrorIrresolvableConflict", "ErrorInvalidChangeKey",
                                           "ErrorStaleObject",
                                           "ErrorChangeKeyRequiredForWriteOperations"};
    static const char *const auth[] = {
        "ErrorAccessDenied",       "ErrorImpersonateUserDenied",
        "ErrorNonExistentMailbox", "ErrorAccountDisabled",
        "ErrorInvalidSid",         "ErrorNonPrimarySmtpAddress",
        "ErrorSendAsDenied",       "ErrorImpersonationFailed",
        "ErrorQuotaExceeded",
    };
    static const char *const permanent[] = {
        "ErrorSchemaValidation",
        "ErrorInvalidRequest",
        "ErrorInvalidServerVersion",
        "ErrorCalendarViewRangeTooBig",
        "ErrorMessageSizeExceeded",
        "ErrorCannotDeleteObject",
        "ErrorCalendarIsOrganizerForAccept",
        "ErrorSendMeetingInvitationsRequired",
    };
    for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
        expect_action(retry[i], EWS_ACTION_RETRY_LATER);
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        expect_action(gone[i], EWS_ACTION_ITEM_GONE);
    for (size_t i = 0; i < sizeof(conflict) / sizeof(conflict[0]); i++)
        expect_action(conflict[i], EWS_ACTION_CONFLICT);
    expect_action("ErrorCalendarMeetingRequestIsOutOfDate", EWS_ACTION_OUT_OF_DATE);
    for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++)
        expect_action(auth[i], EWS_ACTION_AUTH);
    for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
        expect_action(permanent[i], EWS_ACTION_PERMANENT);

    /* every code has a real action; only success has none */
    for (int e = 0; e < EWS_ERROR_COUNT; e++) {
        enum ews_error_action a = ews_error_action((enum ews_error)e);
        assert_true(a >= EWS_ACTION_NONE && a <= EWS_ACTION_PERMANENT);
        assert_int_equal(a == EWS_ACTION_NONE, e == EWS_OK);
    }
}

static const char *schema_dir(void)
{
    const char *d = getenv("MEETINGD_SCHEMA_DIR");
    return d != NULL && d[0] != '\0' ? d : "../../../shared/ews-schema";
}

/* Every name we map must be one Exchange can send: a value of m:ResponseCodeType. */
static void test_names_in_schema(void **state)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/messages.xsd", schema_dir());
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlXPathContextPtr xc = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(xc, BAD_CAST "xs", BAD_CAST "http://www.w3.org/2001/XMLSchema");
    xmlXPathObjectPtr o = xmlXPathEvalExpression(
        BAD_CAST "//xs:simpleType[@name='ResponseCodeType']/xs:restriction/xs:enumeration/@value",
        xc);
    assert_non_null(o);
    assert_non_null(o->nodesetval);
    int n = o->nodesetval->nodeNr;
    assert_true(n > 300); /* the real list, not an empty match */
    for (int e = 0; e < EWS_ERROR_COUNT; e++) {
        if (e == EWS_ERROR_OTHER)
            continue;
        const char *name = ews_error_name((enum ews_error)e);
        bool found = false;
        for (int i = 0; i < n && !found; i++) {
            xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
            found = v != NULL && strcmp((const char *)v, name) == 0;
            xmlFree(v);
        }
        if (!found)
            fail_msg("%s is not a ResponseCodeType value", name);
    }
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(xc);
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_actions),
    };
    const struct CMUnitTest kit_tests[] = {
        cmocka_unit_test(test_names_in_schema),
    };
    int rc = cmocka_run_group_tests_name("table", tests, NULL, NULL);
    if (rc != 0)
        return rc;
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/messages.xsd", schema_dir());
    if (stat(path, &st) != 0) {
        fprintf(stderr,
                "test_ews_error: schema kit not found (%s); table tests passed, the "
                "check against messages.xsd is skipped\n",
                path);
        return 77;
    }
    rc = cmocka_run_group_tests_name("schema", kit_tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
