/*
 * Unit tests of ews_build: every envelope is validated against Microsoft's schemas
 * (ews-envelope-strict.xsd from the shared schema kit) and its content checked with XPath.
 * Without the schema kit the test cannot judge anything and exits 77 (skipped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "ews_build.h"
#include "ews_parse.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_M "http://schemas.microsoft.com/exchange/services/2006/messages"
#define NS_T "http://schemas.microsoft.com/exchange/services/2006/types"

static xmlSchemaPtr schema;
static char schema_errors[4096];

static void collect_schema_error(void *ctx, xmlErrorPtr e)
{
    size_t used = strlen(schema_errors);
    if (e != NULL && e->message != NULL && used + 1 < sizeof(schema_errors))
        snprintf(schema_errors + used, sizeof(schema_errors) - used, "line %d: %s", e->line,
                 e->message);
}

static const char *schema_dir(void)
{
    const char *d = getenv("MEETINGD_SCHEMA_DIR");
    return d != NULL && d[0] != '\0' ? d : "../../../shared/ews-schema";
}

/* Load the strict envelope schema once; without it nothing can be checked (exit 77). */
static void load_schema_or_skip(void)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/ews-envelope-strict.xsd", schema_dir());
    if (stat(path, &st) != 0) {
        fprintf(stderr, "test_ews_build: schema kit not found (%s); skipping\n", path);
        exit(77);
    }
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
    if (pc == NULL) {
        fprintf(stderr, "test_ews_build: cannot read %s\n", path);
        exit(1);
    }
    xmlSchemaSetParserStructuredErrors(pc, collect_schema_error, NULL);
    schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    if (schema == NULL) {
        fprintf(stderr, "test_ews_build: cannot compile %s: %s\n", path, schema_errors);
        exit(1);
    }
}

static xmlDocPtr read_doc(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "request.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    return doc;
}

/* Schema-validates DOC, its errors in schema_errors: 0 when valid. */
static int validate_doc(xmlDocPtr doc)
{
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    assert_non_null(vc);
    schema_errors[0] = '\0';
    xmlSchemaSetValidStructuredErrors(vc, collect_schema_error, NULL);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    return rc;
}

/* Schema-validate a document: 0 when valid. */
static int validate(const char *xml)
{
    xmlDocPtr doc = read_doc(xml);
    int rc = validate_doc(doc);
    xmlFreeDoc(doc);
    return rc;
}

/* Parse and schema-validate an envelope; fails the test (printing why) if it is invalid. */
static xmlDocPtr valid_doc(const char *xml)
{
    assert_non_null(xml);
    xmlDocPtr doc = read_doc(xml);
    int rc = validate_doc(doc);
    if (rc != 0)
        fprintf(stderr, "schema validation failed:\n%s\n--- document:\n%s\n", schema_errors, xml);
    assert_int_equal(rc, 0);
    return doc;
}

static xmlXPathObjectPtr eval(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr xc = xmlXPathNewContext(doc);
    assert_non_null(xc);
    xmlXPathRegisterNs(xc, BAD_CAST "soap", BAD_CAST NS_SOAP);
    xmlXPathRegisterNs(xc, BAD_CAST "m", BAD_CAST NS_M);
    xmlXPathRegisterNs(xc, BAD_CAST "t", BAD_CAST NS_T);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, xc);
    xmlXPathFreeContext(xc);
    assert_non_null(o);
    return o;
}

/* string(expr), compared with want. */
static void assert_xp_str(xmlDocPtr doc, const char *expr, const char *want)
{
    char full[512];
    snprintf(full, sizeof(full), "string(%s)", expr);
    xmlXPathObjectPtr o = eval(doc, full);
    const char *got = o->stringval != NULL ? (const char *)o->stringval : "";
    if (strcmp(got, want) != 0)
        fprintf(stderr, "xpath %s: got \"%s\", want \"%s\"\n", expr, got, want);
    assert_string_equal(got, want);
    xmlXPathFreeObject(o);
}

static void assert_xp_count(xmlDocPtr doc, const char *expr, int want)
{
    char full[512];
    snprintf(full, sizeof(full), "count(%s)", expr);
    xmlXPathObjectPtr o = eval(doc, full);
    if ((int)o->floatval != want)
        fprintf(stderr, "xpath count(%s): got %g, want %d\n", expr, o->floatval, want);
    assert_int_equal((int)o->floatval, want);
    xmlXPathFreeObject(o);
}

static const struct ews_context ctx_plain = {"Exchange2013_SP1", NULL, NULL};
static const struct ews_context ctx_imp = {"Exchange2010_SP2", "room.721@contoso.com",
                                           "W. Europe Standard Time"};

/* 2026-12-01T13:00:00Z and 14:00 */
#define T0 ((time_t)1796130000)
#define T1 ((time_t)(T0 + 3600))

/* The harness itself: the validator must catch wrong order, unknown elements and a
 * misspelled operation, or every "valid" below would prove nothing. */
static void test_validator_is_strict(void **state)
{
    static const char head[] =
        "<soap:Envelope xmlns:soap=\"" NS_SOAP "\" xmlns:t=\"" NS_T "\" xmlns:m=\"" NS_M
        "\"><soap:Header><t:RequestServerVersion Version=\"Exchange2013\"/></soap:Header>"
        "<soap:Body>";
    static const char tail[] = "</soap:Body></soap:Envelope>";
    static const char *const bodies[] = {
        /* Body after ReferenceItemId */
        "<m:CreateItem MessageDisposition=\"SendOnly\"><m:Items><t:AcceptItem>"
        "<t:ReferenceItemId Id=\"x\"/><t:Body BodyType=\"Text\">b</t:Body></t:AcceptItem>"
        "</m:Items></m:CreateItem>",
        /* End before Start */
        "<m:CreateItem SendMeetingInvitations=\"SendToNone\"><m:Items><t:CalendarItem>"
        "<t:End>2026-12-01T14:00:00Z</t:End><t:Start>2026-12-01T13:00:00Z</t:Start>"
        "</t:CalendarItem></m:Items></m:CreateItem>",
        /* misspelled operation */
        "<m:FindItems Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>"
        "</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id=\"inbox\"/>"
        "</m:ParentFolderIds></m:FindItems>",
        /* unknown distinguished folder */
        ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
         "<m:FolderIds><t:DistinguishedFolderId Id=\"Inbox\"/></m:FolderIds></m:GetFolder>"),
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char doc[2048];
        snprintf(doc, sizeof(doc), "%s%s%s", head, bodies[i], tail);
        assert_int_not_equal(validate(doc), 0);
    }
    /* and accepts the fixed first one */
    char doc[2048];
    snprintf(doc, sizeof(doc),
             "%s<m:CreateItem MessageDisposition=\"SendOnly\"><m:Items><t:AcceptItem>"
             "<t:Body BodyType=\"Text\">b</t:Body><t:ReferenceItemId Id=\"x\"/></t:AcceptItem>"
             "</m:Items></m:CreateItem>%s",
             head, tail);
    assert_int_equal(validate(doc), 0);
}

/* ---- headers ---- */

static void test_header_plain(void **state)
{
    struct item_id id = {"AAMkAD1", "CwAAAB1"};
    char *xml = ews_build_get_item(&ctx_plain, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "/soap:Envelope/soap:Header/t:RequestServerVersion/@Version",
                  "Exchange2013_SP1");
    assert_xp_count(doc, "//t:ExchangeImpersonation", 0);
    assert_xp_count(doc, "//t:TimeZoneContext", 0);
    assert_xp_count(doc, "/soap:Envelope/soap:Body/*", 1);
    xmlFreeDoc(doc);
    free(xml);
}

static void test_header_impersonation_and_time_zone(void **state)
{
    struct item_id id = {"AAMkAD1", NULL};
    char *xml = ews_build_get_item(&ctx_imp, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//t:RequestServerVersion/@Version", "Exchange2010_SP2");
    assert_xp_count(doc, "/soap:Envelope/soap:Header/t:ExchangeImpersonation", 1);
    assert_xp_str(doc, "//t:ExchangeImpersonation/t:ConnectingSID/t:PrimarySmtpAddress",
                  "room.721@contoso.com");
    assert_xp_str(doc, "//t:TimeZoneContext/t:TimeZoneDefinition/@Id", "W. Europe Standard Time");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_header_defaults_and_bad_context(void **state)
{
    struct item_id id = {"AAMkAD1", NULL};
    struct ews_context dflt = {NULL, NULL, NULL};
    char *xml = ews_build_get_item(&dflt, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//t:RequestServerVersion/@Version", "Exchange2013_SP1");
    xmlFreeDoc(doc);
    free(xml);

    struct ews_context bad_version = {"Exchange2099", NULL, NULL};
    assert_null(ews_build_get_item(&bad_version, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0));
    struct ews_context empty_imp = {"Exchange2013", "", NULL};
    assert_null(ews_build_get_item(&empty_imp, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0));
    struct ews_context empty_tz = {"Exchange2013", NULL, ""};
    assert_null(ews_build_get_item(&empty_tz, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0));
    assert_null(ews_build_get_item(NULL, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0));
}

/* ---- FindItem ---- */

static void test_find_item_inbox(void **state)
{
    const char *fields[] = {"item:ItemClass", "meeting:AssociatedCalendarItemId"};
    const char *classes[] = {"IPM.Schedule.Meeting"};
    struct ews_find_item_args a = {
        .folder = {.distinguished_id = "inbox"},
        .shape = EWS_SHAPE_ALL_PROPERTIES,
        .additional_fields = fields,
        .n_additional_fields = 2,
        .view = EWS_VIEW_INDEXED,
        .offset = 50,
        .max_entries = 25,
        .item_class_prefixes = classes,
        .n_item_class_prefixes = 1,
    };
    char *xml = ews_build_find_item(&ctx_plain, &a);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:FindItem/@Traversal", "Shallow");
    assert_xp_str(doc, "//m:ItemShape/t:BaseShape", "AllProperties");
    assert_xp_count(doc, "//m:ItemShape/t:AdditionalProperties/t:FieldURI", 2);
    assert_xp_str(doc, "//t:AdditionalProperties/t:FieldURI[2]/@FieldURI",
                  "meeting:AssociatedCalendarItemId");
    assert_xp_str(doc, "//m:IndexedPageItemView/@Offset", "50");
    assert_xp_str(doc, "//m:IndexedPageItemView/@MaxEntriesReturned", "25");
    assert_xp_str(doc, "//m:IndexedPageItemView/@BasePoint", "Beginning");
    assert_xp_count(doc, "//m:Restriction/t:Or", 0);
    assert_xp_str(doc, "//m:Restriction/t:Contains/@ContainmentMode", "Prefixed");
    assert_xp_str(doc, "//m:Restriction/t:Contains/@ContainmentComparison", "IgnoreCase");
    assert_xp_str(doc, "//t:Contains/t:FieldURI/@FieldURI", "item:ItemClass");
    assert_xp_str(doc, "//t:Contains/t:Constant/@Value", "IPM.Schedule.Meeting");
    assert_xp_count(doc, "//m:SortOrder", 0);
    assert_xp_str(doc, "//m:ParentFolderIds/t:DistinguishedFolderId/@Id", "inbox");
    assert_xp_count(doc, "//t:DistinguishedFolderId/t:Mailbox", 0);
    xmlFreeDoc(doc);
    free(xml);
}

static void test_find_item_classes_sorted_other_mailbox(void **state)
{
    const char *classes[] = {"IPM.Schedule.Meeting.Request", "IPM.Schedule.Meeting.Canceled"};
    struct ews_find_item_args a = {
        .folder = {.distinguished_id = "inbox", .mailbox = "room.721@contoso.com"},
        .shape = EWS_SHAPE_ID_ONLY,
        .view = EWS_VIEW_INDEXED,
        .offset = 0,
        .item_class_prefixes = classes,
        .n_item_class_prefixes = 2,
        .sort = EWS_SORT_RECEIVED_ASCENDING,
    };
    char *xml = ews_build_find_item(&ctx_imp, &a);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_count(doc, "//m:IndexedPageItemView/@MaxEntriesReturned", 0);
    assert_xp_count(doc, "//m:Restriction/t:Or/t:Contains", 2);
    assert_xp_str(doc, "//t:Or/t:Contains[2]/t:Constant/@Value", "IPM.Schedule.Meeting.Canceled");
    assert_xp_str(doc, "//m:SortOrder/t:FieldOrder/@Order", "Ascending");
    assert_xp_str(doc, "//m:SortOrder/t:FieldOrder/t:FieldURI/@FieldURI", "item:DateTimeReceived");
    assert_xp_str(doc, "//t:DistinguishedFolderId/t:Mailbox/t:EmailAddress",
                  "room.721@contoso.com");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_find_item_calendar_view(void **state)
{
    const char *fields[] = {"item:Subject", "calendar:Start", "calendar:End",
                            "calendar:LegacyFreeBusyStatus"};
    struct ews_find_item_args a = {
        .folder = {.folder_id = "AAMkCal=", .change_key = "AgAA"},
        .shape = EWS_SHAPE_ID_ONLY,
        .additional_fields = fields,
        .n_additional_fields = 4,
        .view = EWS_VIEW_CALENDAR,
        .max_entries = 100,
        .start = T0,
        .end = T0 + 7 * 86400,
    };
    char *xml = ews_build_find_item(&ctx_plain, &a);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:CalendarView/@StartDate", "2026-12-01T13:00:00Z");
    assert_xp_str(doc, "//m:CalendarView/@EndDate", "2026-12-08T13:00:00Z");
    assert_xp_str(doc, "//m:CalendarView/@MaxEntriesReturned", "100");
    assert_xp_count(doc, "//m:IndexedPageItemView", 0);
    assert_xp_str(doc, "//m:ParentFolderIds/t:FolderId/@Id", "AAMkCal=");
    assert_xp_str(doc, "//m:ParentFolderIds/t:FolderId/@ChangeKey", "AgAA");
    xmlFreeDoc(doc);
    free(xml);

    /* no view at all is fine too */
    struct ews_find_item_args b = {.folder = {.distinguished_id = "deleteditems"}};
    xml = ews_build_find_item(&ctx_plain, &b);
    doc = valid_doc(xml);
    assert_xp_str(doc, "//t:BaseShape", "IdOnly");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_find_item_bad_args(void **state)
{
    const char *classes[] = {"IPM.Schedule.Meeting"};
    const char *bad_field[] = {"item:NoSuchField"};
    const char *empty_class[] = {""};
    struct ews_find_item_args ok = {.folder = {.distinguished_id = "calendar"},
                                    .view = EWS_VIEW_CALENDAR,
                                    .start = T0,
                                    .end = T1};
    char *xml = ews_build_find_item(&ctx_plain, &ok);
    assert_non_null(xml);
    free(xml);

    struct ews_find_item_args a = ok;
    a.item_class_prefixes = classes;
    a.n_item_class_prefixes = 1; /* restriction + CalendarView */
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.sort = EWS_SORT_RECEIVED_DESCENDING; /* sort + CalendarView */
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.end = a.start; /* empty range */
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.folder.distinguished_id = "Inbox"; /* the schema's names are lower case */
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.folder.folder_id = "AAMk"; /* both kinds of folder */
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.folder.distinguished_id = NULL; /* neither */
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.additional_fields = bad_field;
    a.n_additional_fields = 1;
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.view = EWS_VIEW_INDEXED;
    a.offset = -1;
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.view = EWS_VIEW_INDEXED;
    a.item_class_prefixes = empty_class;
    a.n_item_class_prefixes = 1;
    assert_null(ews_build_find_item(&ctx_plain, &a));
    a = ok;
    a.shape = (enum ews_base_shape)7;
    assert_null(ews_build_find_item(&ctx_plain, &a));
    assert_null(ews_build_find_item(&ctx_plain, NULL));
}

/* ---- GetItem ---- */

static void test_get_item(void **state)
{
    struct item_id ids[] = {{"AAMkAD1=", "CwAAAB1"}, {"AAMkAD2=", NULL}};
    const char *fields[] = {"item:Subject", "calendar:RequiredAttendees"};
    char *xml = ews_build_get_item(&ctx_plain, ids, 2, EWS_SHAPE_ALL_PROPERTIES, fields, 2);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_count(doc, "//m:GetItem/m:ItemIds/t:ItemId", 2);
    assert_xp_str(doc, "//m:ItemIds/t:ItemId[1]/@Id", "AAMkAD1=");
    assert_xp_str(doc, "//m:ItemIds/t:ItemId[1]/@ChangeKey", "CwAAAB1");
    assert_xp_str(doc, "//m:ItemIds/t:ItemId[2]/@Id", "AAMkAD2=");
    assert_xp_count(doc, "//m:ItemIds/t:ItemId[2]/@ChangeKey", 0);
    assert_xp_str(doc, "//m:ItemShape/t:BaseShape", "AllProperties");
    assert_xp_str(doc, "//t:AdditionalProperties/t:FieldURI[2]/@FieldURI",
                  "calendar:RequiredAttendees");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_get_item_refs(void **state)
{
    struct ews_item_ref refs[] = {
        {EWS_REF_OCCURRENCE, "AAMkMaster=", NULL, 3},
        {EWS_REF_RECURRING_MASTER, "AAMkOcc=", "DwAA", 0},
        {EWS_REF_ITEM, "AAMkPlain=", NULL, 0},
    };
    char *xml = ews_build_get_item_refs(&ctx_plain, refs, 3, EWS_SHAPE_DEFAULT, NULL, 0);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:ItemIds/*[1]/@RecurringMasterId", "AAMkMaster=");
    assert_xp_str(doc, "//m:ItemIds/t:OccurrenceItemId/@InstanceIndex", "3");
    assert_xp_str(doc, "//m:ItemIds/*[2]/@OccurrenceId", "AAMkOcc=");
    assert_xp_str(doc, "//m:ItemIds/t:RecurringMasterItemId/@ChangeKey", "DwAA");
    assert_xp_str(doc, "//m:ItemIds/*[3][self::t:ItemId]/@Id", "AAMkPlain=");
    xmlFreeDoc(doc);
    free(xml);

    struct ews_item_ref bad_index = {EWS_REF_OCCURRENCE, "AAMkMaster=", NULL, 0};
    assert_null(ews_build_get_item_refs(&ctx_plain, &bad_index, 1, EWS_SHAPE_DEFAULT, NULL, 0));
    struct item_id empty = {"", NULL}, none = {NULL, NULL};
    assert_null(ews_build_get_item(&ctx_plain, &empty, 1, EWS_SHAPE_DEFAULT, NULL, 0));
    assert_null(ews_build_get_item(&ctx_plain, &none, 1, EWS_SHAPE_DEFAULT, NULL, 0));
    assert_null(ews_build_get_item(&ctx_plain, &empty, 0, EWS_SHAPE_DEFAULT, NULL, 0));
    assert_null(ews_build_get_item(&ctx_plain, NULL, 1, EWS_SHAPE_DEFAULT, NULL, 0));
}

/* ---- responses ---- */

static void test_respond_each_kind(void **state)
{
    static const char *const elements[] = {"AcceptItem", "TentativelyAcceptItem", "DeclineItem",
                                           "RemoveItem"};
    static const char *const dispositions[] = {"SaveOnly", "SendOnly", "SendAndSaveCopy"};
    const char *reason = "Booked by meetingd: <room> & \"chairs\" 'ok' \xc3\xa9t\xc3\xa9";
    struct item_id ref = {"AAMkReq=", "CwAAAB"};
    for (int k = EWS_ACCEPT; k <= EWS_REMOVE; k++) {
        for (int d = EWS_SAVE_ONLY; d <= EWS_SEND_AND_SAVE_COPY; d++) {
            char *xml = ews_build_respond(&ctx_plain, (enum ews_respond_kind)k, &ref, reason,
                                          (enum ews_disposition)d);
            xmlDocPtr doc = valid_doc(xml);
            char path[128];
            assert_xp_str(doc, "//m:CreateItem/@MessageDisposition", dispositions[d]);
            assert_xp_count(doc, "//m:CreateItem/m:Items/*", 1);
            snprintf(path, sizeof(path), "//m:Items/t:%s/t:ReferenceItemId/@Id", elements[k]);
            assert_xp_str(doc, path, "AAMkReq=");
            snprintf(path, sizeof(path), "//m:Items/t:%s/t:ReferenceItemId/@ChangeKey",
                     elements[k]);
            assert_xp_str(doc, path, "CwAAAB");
            if (k == EWS_REMOVE) {
                assert_xp_count(doc, "//t:Body", 0);
            } else {
                snprintf(path, sizeof(path), "//m:Items/t:%s/t:Body", elements[k]);
                assert_xp_str(doc, path, reason);
                assert_xp_str(doc, "//t:Body/@BodyType", "Text");
            }
            xmlFreeDoc(doc);
            free(xml);
        }
    }
    /* no body */
    char *xml = ews_build_respond(&ctx_plain, EWS_DECLINE, &ref, NULL, EWS_SEND_AND_SAVE_COPY);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_count(doc, "//t:Body", 0);
    xmlFreeDoc(doc);
    free(xml);

    assert_null(ews_build_respond(&ctx_plain, EWS_ACCEPT, NULL, NULL, EWS_SEND_ONLY));
    assert_null(ews_build_respond(&ctx_plain, (enum ews_respond_kind)9, &ref, NULL, EWS_SEND_ONLY));
    assert_null(ews_build_respond(&ctx_plain, EWS_ACCEPT, &ref, NULL, (enum ews_disposition)5));
}

static void test_respond_batch(void **state)
{
    struct item_id r1 = {"AAMkAD1", "CwAAAB1"}, r2 = {"AAMkAD2", NULL}, r3 = {"AAMkAD3", "X"};
    struct ews_respond_spec specs[] = {
        {EWS_TENTATIVE, &r1, NULL},
        {EWS_DECLINE, &r2, "Conflicts with another meeting."},
        {EWS_REMOVE, &r3, NULL},
    };
    char *xml = ews_build_respond_batch(&ctx_imp, specs, 3, EWS_SEND_ONLY);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_count(doc, "//m:Items/*", 3);
    assert_xp_str(doc, "local-name(//m:Items/*[1])", "TentativelyAcceptItem");
    assert_xp_str(doc, "//m:Items/*[2][self::t:DeclineItem]/t:Body",
                  "Conflicts with another meeting.");
    assert_xp_str(doc, "//m:Items/*[3][self::t:RemoveItem]/t:ReferenceItemId/@Id", "AAMkAD3");
    xmlFreeDoc(doc);
    free(xml);
    assert_null(ews_build_respond_batch(&ctx_imp, specs, 0, EWS_SEND_ONLY));
}

/* ---- text safety ---- */

static void test_escaping(void **state)
{
    const char *subject = "Budget <Q4> & \"plans\" 'draft' ]]> &amp;";
    const char *req[] = {"a&b@contoso.com"};
    struct ews_meeting_spec m = {
        .subject = subject,
        .body = "<b>bold?</b> & more",
        .start = T0,
        .end = T1,
        .location = "Room \"7\" <21>",
        .required = req,
        .n_required = 1,
        .send_invitations = EWS_SEND_TO_NONE,
    };
    char *xml = ews_build_create_meeting(&ctx_plain, &m);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//t:CalendarItem/t:Subject", subject);
    assert_xp_str(doc, "//t:CalendarItem/t:Body", "<b>bold?</b> & more");
    assert_xp_str(doc, "//t:CalendarItem/t:Location", "Room \"7\" <21>");
    assert_xp_str(doc, "//t:RequiredAttendees/t:Attendee/t:Mailbox/t:EmailAddress",
                  "a&b@contoso.com");
    /* the markup must not survive as markup */
    assert_null(strstr(xml, "<Q4>"));
    assert_null(strstr(xml, "<b>"));
    assert_non_null(strstr(xml, "&lt;Q4&gt;"));
    assert_non_null(strstr(xml, "&amp;amp;"));
    xmlFreeDoc(doc);
    free(xml);

    /* attribute values: quotes in ids */
    struct item_id id = {"id\"with'quotes<&>", "ck\"<"};
    xml = ews_build_get_item(&ctx_plain, &id, 1, EWS_SHAPE_ID_ONLY, NULL, 0);
    doc = valid_doc(xml);
    assert_xp_str(doc, "//t:ItemId/@Id", "id\"with'quotes<&>");
    assert_xp_str(doc, "//t:ItemId/@ChangeKey", "ck\"<");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_invalid_text_rejected(void **state)
{
    struct item_id ref = {"AAMkReq=", NULL};
    static const char *const bad[] = {
        "control \x01 char",         "bad utf8 \xc3\x28",  "overlong \xc0\xaf",
        "surrogate \xed\xa0\x80",    "truncated \xe2\x82", "beyond \xf4\x90\x80\x80",
        "noncharacter \xef\xbf\xbf",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(ews_build_respond(&ctx_plain, EWS_ACCEPT, &ref, bad[i], EWS_SEND_ONLY));
    struct item_id bad_id = {"id\x02", NULL};
    assert_null(ews_build_respond(&ctx_plain, EWS_ACCEPT, &bad_id, NULL, EWS_SEND_ONLY));

    /* tab, newline, CR and 4-byte UTF-8 are fine */
    const char *good = "line1\n\tline2\r\n\xf0\x9f\x93\x85 \xe2\x82\xac";
    char *xml = ews_build_respond(&ctx_plain, EWS_ACCEPT, &ref, good, EWS_SEND_ONLY);
    xmlDocPtr doc = valid_doc(xml);
    assert_non_null(strstr(xml, "\xf0\x9f\x93\x85"));
    xmlFreeDoc(doc);
    free(xml);
}

/* ---- CreateItem meeting ---- */

static void test_create_meeting_full(void **state)
{
    const char *req[] = {"sadie@contoso.com", "mack@contoso.com"};
    const char *opt[] = {"magdalena@contoso.com"};
    const char *res[] = {"room721@contoso.com"};
    struct item_recurrence r = {
        .pattern = REC_WEEKLY,
        .interval = 2,
        .days_of_week = ITEM_DOW_MONDAY | ITEM_DOW_WEDNESDAY,
        .range = REC_RANGE_NUMBERED,
        .start_date = "2026-12-02",
        .number_of_occurrences = 10,
    };
    struct ews_meeting_spec m = {
        .subject = "Planning",
        .body = "<p>Agenda</p>",
        .body_is_html = true,
        .start = T0,
        .end = T1,
        .location = "Conference Room 721",
        .required = req,
        .n_required = 2,
        .optional = opt,
        .n_optional = 1,
        .resources = res,
        .n_resources = 1,
        .recurrence = &r,
        .start_time_zone_id = "Pacific Standard Time",
        .sensitivity = "Private",
        .send_invitations = EWS_SEND_TO_ALL_AND_SAVE_COPY,
    };
    char *xml = ews_build_create_meeting(&ctx_plain, &m);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:CreateItem/@SendMeetingInvitations", "SendToAllAndSaveCopy");
    assert_xp_count(doc, "//m:CreateItem/@MessageDisposition", 0);
    assert_xp_str(doc, "//m:SavedItemFolderId/t:DistinguishedFolderId/@Id", "calendar");
    assert_xp_str(doc, "//t:CalendarItem/t:Subject", "Planning");
    assert_xp_str(doc, "//t:CalendarItem/t:Sensitivity", "Private");
    assert_xp_str(doc, "//t:CalendarItem/t:Body/@BodyType", "HTML");
    assert_xp_str(doc, "//t:CalendarItem/t:Start", "2026-12-01T13:00:00Z");
    assert_xp_str(doc, "//t:CalendarItem/t:End", "2026-12-01T14:00:00Z");
    assert_xp_str(doc, "//t:CalendarItem/t:IsAllDayEvent", "false");
    assert_xp_count(doc, "//t:RequiredAttendees/t:Attendee", 2);
    assert_xp_str(doc, "//t:RequiredAttendees/t:Attendee[2]/t:Mailbox/t:EmailAddress",
                  "mack@contoso.com");
    assert_xp_count(doc, "//t:OptionalAttendees/t:Attendee", 1);
    assert_xp_str(doc, "//t:Resources/t:Attendee/t:Mailbox/t:EmailAddress", "room721@contoso.com");
    assert_xp_str(doc, "//t:Recurrence/t:WeeklyRecurrence/t:Interval", "2");
    assert_xp_str(doc, "//t:Recurrence/t:WeeklyRecurrence/t:DaysOfWeek", "Monday Wednesday");
    assert_xp_str(doc, "//t:Recurrence/t:NumberedRecurrence/t:StartDate", "2026-12-02");
    assert_xp_str(doc, "//t:Recurrence/t:NumberedRecurrence/t:NumberOfOccurrences", "10");
    assert_xp_str(doc, "//t:CalendarItem/t:StartTimeZone/@Id", "Pacific Standard Time");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_create_meeting_every_recurrence(void **state)
{
    struct item_recurrence patterns[] = {
        {.pattern = REC_DAILY, .interval = 1},
        {.pattern = REC_WEEKLY, .interval = 1, .days_of_week = ITEM_DOW_FRIDAY},
        {.pattern = REC_ABSOLUTE_MONTHLY, .interval = 3, .day_of_month = 31},
        {.pattern = REC_RELATIVE_MONTHLY,
         .interval = 1,
         .days_of_week = ITEM_DOW_WEEKDAY,
         .day_of_week_index = 5},
        {.pattern = REC_ABSOLUTE_YEARLY, .day_of_month = 29, .month = 2},
        {.pattern = REC_RELATIVE_YEARLY,
         .days_of_week = ITEM_DOW_THURSDAY,
         .day_of_week_index = 4,
         .month = 11},
    };
    static const char *const elements[] = {"DailyRecurrence",           "WeeklyRecurrence",
                                           "AbsoluteMonthlyRecurrence", "RelativeMonthlyRecurrence",
                                           "AbsoluteYearlyRecurrence",  "RelativeYearlyRecurrence"};
    static const char *const ranges[] = {"NoEndRecurrence", "EndDateRecurrence",
                                         "NumberedRecurrence"};
    for (size_t i = 0; i < 6; i++) {
        for (int rg = REC_RANGE_NO_END; rg <= REC_RANGE_NUMBERED; rg++) {
            struct item_recurrence r = patterns[i];
            r.range = (enum recurrence_range)rg;
            strcpy(r.start_date, "2026-12-01");
            strcpy(r.end_date, rg == REC_RANGE_END_DATE ? "2027-06-30" : "");
            r.number_of_occurrences = rg == REC_RANGE_NUMBERED ? 5 : 0;
            struct ews_meeting_spec m = {.subject = "Series",
                                         .start = T0,
                                         .end = T1,
                                         .recurrence = &r,
                                         .send_invitations = EWS_SEND_TO_NONE};
            char *xml = ews_build_create_meeting(&ctx_plain, &m);
            xmlDocPtr doc = valid_doc(xml);
            char path[160];
            snprintf(path, sizeof(path), "//t:Recurrence/t:%s", elements[i]);
            assert_xp_count(doc, path, 1);
            snprintf(path, sizeof(path), "//t:Recurrence/t:%s/t:StartDate", ranges[rg]);
            assert_xp_str(doc, path, "2026-12-01");
            if (i == 3) {
                assert_xp_str(doc, "//t:RelativeMonthlyRecurrence/t:DaysOfWeek", "Weekday");
                assert_xp_str(doc, "//t:RelativeMonthlyRecurrence/t:DayOfWeekIndex", "Last");
            }
            if (i == 4)
                assert_xp_str(doc, "//t:AbsoluteYearlyRecurrence/t:Month", "February");
            if (i == 5)
                assert_xp_str(doc, "//t:RelativeYearlyRecurrence/t:DayOfWeekIndex", "Fourth");
            xmlFreeDoc(doc);
            free(xml);
        }
    }
}

static void test_create_meeting_bad_args(void **state)
{
    struct item_recurrence weekly = {.pattern = REC_WEEKLY,
                                     .interval = 1,
                                     .days_of_week = ITEM_DOW_MONDAY,
                                     .range = REC_RANGE_NO_END,
                                     .start_date = "2026-12-01"};
    struct ews_meeting_spec ok = {.subject = "x", .start = T0, .end = T1, .recurrence = &weekly};
    char *xml = ews_build_create_meeting(&ctx_plain, &ok);
    assert_non_null(xml);
    free(xml);

    struct ews_meeting_spec m = ok;
    m.end = m.start;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    m = ok;
    m.subject = NULL;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    m = ok;
    m.sensitivity = "Secret";
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    m = ok;
    const char *empty_addr[] = {""};
    m.required = empty_addr;
    m.n_required = 1;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    m = ok;
    m.start_time_zone_id = "Pacific Standard Time";
    struct ews_context old = {"Exchange2007_SP1", NULL, NULL};
    assert_null(ews_build_create_meeting(&old, &m)); /* StartTimeZone needs Exchange2010 */
    m.send_invitations = (enum ews_send_invitations)3;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));

    struct item_recurrence r;
    m = ok;
    m.recurrence = &r;
    r = weekly;
    r.days_of_week = ITEM_DOW_WEEKDAY; /* not valid for weekly */
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    r = weekly;
    r.days_of_week = 0;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    r = weekly;
    r.interval = 0;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    r = weekly;
    r.pattern = REC_RELATIVE_MONTHLY;
    r.days_of_week = ITEM_DOW_MONDAY | ITEM_DOW_FRIDAY; /* one day only */
    r.day_of_week_index = 1;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    r = weekly;
    strcpy(r.start_date, "2026-02-30");
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    r = weekly;
    r.range = REC_RANGE_END_DATE;
    strcpy(r.end_date, "2026-11-30"); /* before the start */
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    r = weekly;
    r.range = REC_RANGE_NUMBERED;
    r.number_of_occurrences = 0;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    r = weekly;
    r.pattern = REC_ABSOLUTE_YEARLY;
    r.day_of_month = 1;
    r.month = 13;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
}

/* ---- UpdateItem ---- */

static void test_update_resource_rewrite(void **state)
{
    struct item_id id = {"AAMkCal=", "DwAAAB"};
    struct ews_item_change ch[] = {
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = "Booked: Team sync"},
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_BODY, .text = ""},
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_SENSITIVITY, .text = "Normal"},
    };
    char *xml =
        ews_build_update_item(&ctx_imp, &id, ch, 3, EWS_AUTO_RESOLVE, EWS_UPDATE_SEND_TO_NONE);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:UpdateItem/@ConflictResolution", "AutoResolve");
    assert_xp_str(doc, "//m:UpdateItem/@SendMeetingInvitationsOrCancellations", "SendToNone");
    assert_xp_count(doc, "//m:UpdateItem/@MessageDisposition", 0);
    assert_xp_str(doc, "//t:ItemChange/t:ItemId/@Id", "AAMkCal=");
    assert_xp_str(doc, "//t:ItemChange/t:ItemId/@ChangeKey", "DwAAAB");
    assert_xp_count(doc, "//t:Updates/t:SetItemField", 3);
    assert_xp_str(doc, "//t:SetItemField[1]/t:FieldURI/@FieldURI", "item:Subject");
    assert_xp_str(doc, "//t:SetItemField[1]/t:CalendarItem/t:Subject", "Booked: Team sync");
    assert_xp_str(doc, "//t:SetItemField[2]/t:FieldURI/@FieldURI", "item:Body");
    assert_xp_count(doc, "//t:SetItemField[2]/t:CalendarItem/t:Body", 1);
    assert_xp_str(doc, "//t:SetItemField[2]/t:CalendarItem/t:Body", "");
    assert_xp_str(doc, "//t:SetItemField[3]/t:CalendarItem/t:Sensitivity", "Normal");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_update_meeting_changes(void **state)
{
    const char *req[] = {"sadie@contoso.com"};
    const char *opt[] = {"alisa@contoso.com", "dlp@contoso.com"};
    struct ews_item_change ch[] = {
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_START, .time = T0 + 3600},
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_END, .time = T1 + 3600},
        {.op = EWS_CHANGE_SET,
         .field = EWS_FIELD_REQUIRED_ATTENDEES,
         .addresses = req,
         .n_addresses = 1},
        {.op = EWS_CHANGE_APPEND,
         .field = EWS_FIELD_OPTIONAL_ATTENDEES,
         .addresses = opt,
         .n_addresses = 2},
        {.op = EWS_CHANGE_DELETE, .field = EWS_FIELD_LOCATION},
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_IS_ALL_DAY, .flag = false},
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_LEGACY_FREE_BUSY, .free_busy = FB_TENTATIVE},
        {.op = EWS_CHANGE_APPEND, .field = EWS_FIELD_BODY, .text = "More.", .body_is_html = true},
        {.op = EWS_CHANGE_DELETE, .field = EWS_FIELD_RESOURCES},
    };
    struct item_id id = {"AAMkCal=", "DwAAAB"};
    char *xml = ews_build_update_item(&ctx_plain, &id, ch, 9, EWS_ALWAYS_OVERWRITE,
                                      EWS_UPDATE_SEND_TO_CHANGED_AND_SAVE_COPY);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:UpdateItem/@SendMeetingInvitationsOrCancellations",
                  "SendToChangedAndSaveCopy");
    assert_xp_count(doc, "//t:Updates/*", 9);
    assert_xp_str(doc, "//t:Updates/*[1]/t:CalendarItem/t:Start", "2026-12-01T14:00:00Z");
    assert_xp_str(doc, "//t:Updates/*[2]/t:CalendarItem/t:End", "2026-12-01T15:00:00Z");
    assert_xp_count(doc, "//t:Updates/*[3]/t:CalendarItem/t:RequiredAttendees/t:Attendee", 1);
    assert_xp_str(doc, "local-name(//t:Updates/*[4])", "AppendToItemField");
    assert_xp_str(doc,
                  "//t:Updates/*[4]/t:CalendarItem/t:OptionalAttendees/t:Attendee[2]/t:Mailbox/"
                  "t:EmailAddress",
                  "dlp@contoso.com");
    assert_xp_str(doc, "local-name(//t:Updates/*[5])", "DeleteItemField");
    assert_xp_str(doc, "//t:Updates/*[5]/t:FieldURI/@FieldURI", "calendar:Location");
    assert_xp_count(doc, "//t:Updates/*[5]/*", 1);
    assert_xp_str(doc, "//t:Updates/*[6]/t:CalendarItem/t:IsAllDayEvent", "false");
    assert_xp_str(doc, "//t:Updates/*[7]/t:CalendarItem/t:LegacyFreeBusyStatus", "Tentative");
    assert_xp_str(doc, "//t:Updates/*[8]/t:CalendarItem/t:Body/@BodyType", "HTML");
    assert_xp_str(doc, "//t:Updates/*[9]/t:FieldURI/@FieldURI", "calendar:Resources");
    xmlFreeDoc(doc);
    free(xml);

    /* one occurrence of a series */
    struct ews_item_ref occ = {EWS_REF_OCCURRENCE, "AAMkMaster=", NULL, 2};
    xml = ews_build_update_item_ref(&ctx_plain, &occ, ch, 2, EWS_AUTO_RESOLVE,
                                    EWS_UPDATE_SEND_ONLY_TO_ALL);
    doc = valid_doc(xml);
    assert_xp_str(doc, "//t:ItemChange/t:OccurrenceItemId/@InstanceIndex", "2");
    assert_xp_str(doc, "//m:UpdateItem/@SendMeetingInvitationsOrCancellations", "SendOnlyToAll");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_update_message(void **state)
{
    struct item_id id = {"AAMkMsg=", "CQAAAB"};
    struct ews_item_change ch[] = {
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_IS_READ, .flag = true},
        {.op = EWS_CHANGE_SET, .field = EWS_FIELD_SENSITIVITY, .text = "Normal"},
    };
    char *xml =
        ews_build_update_item(&ctx_plain, &id, ch, 2, EWS_AUTO_RESOLVE, EWS_UPDATE_NOT_CALENDAR);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:UpdateItem/@MessageDisposition", "SaveOnly");
    assert_xp_count(doc, "//m:UpdateItem/@SendMeetingInvitationsOrCancellations", 0);
    assert_xp_str(doc, "//t:SetItemField[1]/t:FieldURI/@FieldURI", "message:IsRead");
    assert_xp_str(doc, "//t:SetItemField[1]/t:Message/t:IsRead", "true");
    assert_xp_count(doc, "//t:CalendarItem", 0);
    xmlFreeDoc(doc);
    free(xml);
}

static void test_update_bad_args(void **state)
{
    struct item_id id = {"AAMk=", NULL};
    const char *addr[] = {"a@contoso.com"};
    struct {
        struct ews_item_change ch;
        enum ews_update_send send;
    } bad[] = {
        {{.op = EWS_CHANGE_SET, .field = EWS_FIELD_START, .time = T0}, EWS_UPDATE_NOT_CALENDAR},
        {{.op = EWS_CHANGE_SET, .field = EWS_FIELD_IS_READ}, EWS_UPDATE_SEND_TO_NONE},
        {{.op = EWS_CHANGE_APPEND, .field = EWS_FIELD_SUBJECT, .text = "x"},
         EWS_UPDATE_SEND_TO_NONE},
        {{.op = EWS_CHANGE_DELETE, .field = EWS_FIELD_START}, EWS_UPDATE_SEND_TO_NONE},
        {{.op = EWS_CHANGE_SET, .field = EWS_FIELD_REQUIRED_ATTENDEES, .addresses = addr},
         EWS_UPDATE_SEND_TO_NONE},
        {{.op = EWS_CHANGE_SET, .field = EWS_FIELD_SENSITIVITY, .text = "Secret"},
         EWS_UPDATE_SEND_TO_NONE},
        {{.op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = NULL}, EWS_UPDATE_SEND_TO_NONE},
        {{.op = EWS_CHANGE_SET, .field = (enum ews_change_field)42}, EWS_UPDATE_SEND_TO_NONE},
        {{.op = (enum ews_change_op)9, .field = EWS_FIELD_SUBJECT, .text = "x"},
         EWS_UPDATE_SEND_TO_NONE},
        {{.op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = "x"}, (enum ews_update_send)17},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(
            ews_build_update_item(&ctx_plain, &id, &bad[i].ch, 1, EWS_AUTO_RESOLVE, bad[i].send));
    struct ews_item_change ok = {.op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = "x"};
    assert_null(
        ews_build_update_item(&ctx_plain, &id, &ok, 0, EWS_AUTO_RESOLVE, EWS_UPDATE_SEND_TO_NONE));
    assert_null(ews_build_update_item(&ctx_plain, &id, &ok, 1, (enum ews_conflict_resolution)5,
                                      EWS_UPDATE_SEND_TO_NONE));
    struct ews_item_ref occ = {EWS_REF_OCCURRENCE, "AAMkMaster=", NULL, 1};
    assert_null(ews_build_update_item_ref(&ctx_plain, &occ, &ok, 1, EWS_AUTO_RESOLVE,
                                          EWS_UPDATE_NOT_CALENDAR));
    char *xml = ews_build_update_item(&ctx_plain, &id, &ok, 1, EWS_NEVER_OVERWRITE,
                                      EWS_UPDATE_SEND_TO_NONE);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:UpdateItem/@ConflictResolution", "NeverOverwrite");
    assert_xp_count(doc, "//t:ItemId/@ChangeKey", 0);
    xmlFreeDoc(doc);
    free(xml);
}

/* ---- DeleteItem, CancelCalendarItem, GetFolder ---- */

static void test_delete_item(void **state)
{
    struct item_id ids[] = {{"AAMkA1", "DwAAA1"}, {"AAMkA2", NULL}};
    char *xml = ews_build_delete_item(&ctx_plain, ids, 2, EWS_MOVE_TO_DELETED_ITEMS,
                                      EWS_SEND_TO_ALL_AND_SAVE_COPY);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:DeleteItem/@DeleteType", "MoveToDeletedItems");
    assert_xp_str(doc, "//m:DeleteItem/@SendMeetingCancellations", "SendToAllAndSaveCopy");
    assert_xp_count(doc, "//m:DeleteItem/@AffectedTaskOccurrences", 0);
    assert_xp_count(doc, "//m:DeleteItem/m:ItemIds/t:ItemId", 2);
    assert_xp_str(doc, "//m:ItemIds/t:ItemId[2]/@Id", "AAMkA2");
    xmlFreeDoc(doc);
    free(xml);

    struct ews_item_ref occ = {EWS_REF_OCCURRENCE, "AAMkADA8", NULL, 3};
    xml = ews_build_delete_item_refs(&ctx_plain, &occ, 1, EWS_HARD_DELETE, EWS_SEND_ONLY_TO_ALL);
    doc = valid_doc(xml);
    assert_xp_str(doc, "//m:DeleteItem/@DeleteType", "HardDelete");
    assert_xp_str(doc, "//m:ItemIds/t:OccurrenceItemId/@RecurringMasterId", "AAMkADA8");
    assert_xp_str(doc, "//m:ItemIds/t:OccurrenceItemId/@InstanceIndex", "3");
    xmlFreeDoc(doc);
    free(xml);

    xml = ews_build_delete_item(&ctx_plain, ids, 1, EWS_SOFT_DELETE, EWS_SEND_TO_NONE);
    doc = valid_doc(xml);
    assert_xp_str(doc, "//m:DeleteItem/@DeleteType", "SoftDelete");
    assert_xp_str(doc, "//m:DeleteItem/@SendMeetingCancellations", "SendToNone");
    xmlFreeDoc(doc);
    free(xml);

    assert_null(ews_build_delete_item(&ctx_plain, ids, 0, EWS_HARD_DELETE, EWS_SEND_TO_NONE));
    assert_null(
        ews_build_delete_item(&ctx_plain, ids, 1, (enum ews_delete_type)3, EWS_SEND_TO_NONE));
}

static void test_cancel_meeting(void **state)
{
    struct item_id cal = {"AAMkCal=", "DwAAA"};
    char *xml = ews_build_cancel_meeting(&ctx_plain, &cal, "Cancelled: the room is closed & dark.");
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:CreateItem/@MessageDisposition", "SendAndSaveCopy");
    assert_xp_str(doc, "//m:Items/t:CancelCalendarItem/t:ReferenceItemId/@Id", "AAMkCal=");
    assert_xp_str(doc, "//t:CancelCalendarItem/t:NewBodyContent",
                  "Cancelled: the room is closed & dark.");
    assert_xp_str(doc, "//t:CancelCalendarItem/t:NewBodyContent/@BodyType", "Text");
    assert_xp_str(doc, "local-name(//t:CancelCalendarItem/*[1])", "ReferenceItemId");
    xmlFreeDoc(doc);
    free(xml);

    xml = ews_build_cancel_meeting(&ctx_plain, &cal, NULL);
    doc = valid_doc(xml);
    assert_xp_count(doc, "//t:NewBodyContent", 0);
    xmlFreeDoc(doc);
    free(xml);
    assert_null(ews_build_cancel_meeting(&ctx_plain, NULL, "x"));
}

static void test_create_meeting_attachments(void **state)
{
    static const unsigned char bytes[] = {0x00, 0xff, 0x10, 'h', 'i', '<', '&'};
    struct ews_file_attachment files[] = {
        {.name = "agenda & notes.txt",
         .content_type = "text/plain",
         .content = (const unsigned char *)"hello world",
         .size = 11},
        {.name = "raw.bin", .content = bytes, .size = sizeof(bytes)},
        {.name = "empty.txt", .content = NULL, .size = 0},
    };
    const char *room[] = {"room721@contoso.com"};
    struct ews_meeting_spec m = {.subject = "With files",
                                 .body = "See attached.",
                                 .start = T0,
                                 .end = T1,
                                 .resources = room,
                                 .n_resources = 1,
                                 .attachments = files,
                                 .n_attachments = 3,
                                 .send_invitations = EWS_SEND_TO_ALL_AND_SAVE_COPY};
    char *xml = ews_build_create_meeting(&ctx_plain, &m);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_count(doc, "//t:CalendarItem/t:Attachments/t:FileAttachment", 3);
    /* ItemType order: Body, then Attachments, then the calendar part. */
    assert_xp_str(doc, "local-name(//t:CalendarItem/t:Body/following-sibling::*[1])",
                  "Attachments");
    assert_xp_str(doc, "//t:FileAttachment[1]/t:Name", "agenda & notes.txt");
    assert_xp_str(doc, "//t:FileAttachment[1]/t:ContentType", "text/plain");
    assert_xp_str(doc, "normalize-space(//t:FileAttachment[1]/t:Content)", "aGVsbG8gd29ybGQ=");
    assert_xp_count(doc, "//t:FileAttachment[2]/t:ContentType", 0);
    assert_xp_str(doc, "normalize-space(//t:FileAttachment[2]/t:Content)", "AP8QaGk8Jg==");
    assert_xp_str(doc, "//t:FileAttachment[3]/t:Content", "");
    xmlFreeDoc(doc);
    free(xml);

    /* The content survives the trip: decode what was written. */
    struct ews_file_attachment big = {.name = "big.bin", .size = 3000};
    unsigned char *data = malloc(big.size);
    assert_non_null(data);
    for (size_t i = 0; i < big.size; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    big.content = data;
    m.attachments = &big;
    m.n_attachments = 1;
    xml = ews_build_create_meeting(&ctx_plain, &m);
    doc = valid_doc(xml);
    xmlXPathObjectPtr o = eval(doc, "string(//t:FileAttachment/t:Content)");
    const char *b64 = (const char *)o->stringval;
    unsigned char *back = malloc(big.size + 8);
    assert_non_null(back);
    size_t nback = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *c = b64; *c != '\0' && *c != '='; c++) {
        const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *pos = strchr(alphabet, *c);
        if (pos == NULL)
            continue; /* line breaks */
        acc = (acc << 6) | (unsigned)(pos - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            assert_true(nback < big.size + 8);
            back[nback++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    assert_int_equal(nback, big.size);
    assert_memory_equal(back, data, big.size);
    free(back);
    xmlXPathFreeObject(o);
    xmlFreeDoc(doc);
    free(xml);
    free(data);

    /* Exchange requires a name; content must exist when there is a size. */
    struct ews_file_attachment bad = {.name = "", .content = bytes, .size = 1};
    m.attachments = &bad;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    bad = (struct ews_file_attachment){.name = NULL, .size = 0};
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    bad = (struct ews_file_attachment){.name = "x", .content = NULL, .size = 4};
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    bad = (struct ews_file_attachment){.name = "x", .content_type = "", .size = 0};
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    bad = (struct ews_file_attachment){.name = "bad\x01name", .size = 0};
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
    m.attachments = NULL;
    m.n_attachments = 1;
    assert_null(ews_build_create_meeting(&ctx_plain, &m));
}

static void test_forward(void **state)
{
    struct item_id req = {"AAMkReq=", "CwAAA"};
    const char *delegates[] = {"alice@contoso.com", "bob@contoso.com"};
    char *xml = ews_build_forward(&ctx_plain, &req, delegates, 2,
                                  "Needs approval: longer than 4 hours & outside work hours.",
                                  EWS_SEND_AND_SAVE_COPY);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_str(doc, "//m:CreateItem/@MessageDisposition", "SendAndSaveCopy");
    assert_xp_count(doc, "//m:Items/*", 1);
    assert_xp_count(doc, "//m:Items/t:ForwardItem/t:ToRecipients/t:Mailbox", 2);
    assert_xp_str(doc, "//t:ToRecipients/t:Mailbox[2]/t:EmailAddress", "bob@contoso.com");
    assert_xp_str(doc, "//t:ForwardItem/t:ReferenceItemId/@Id", "AAMkReq=");
    assert_xp_str(doc, "//t:ForwardItem/t:ReferenceItemId/@ChangeKey", "CwAAA");
    assert_xp_str(doc, "//t:ForwardItem/t:NewBodyContent/@BodyType", "Text");
    assert_xp_str(doc, "//t:ForwardItem/t:NewBodyContent",
                  "Needs approval: longer than 4 hours & outside work hours.");
    /* SmartResponseType order. */
    assert_xp_str(doc, "local-name(//t:ForwardItem/*[1])", "ToRecipients");
    assert_xp_str(doc, "local-name(//t:ForwardItem/*[2])", "ReferenceItemId");
    assert_xp_str(doc, "local-name(//t:ForwardItem/*[3])", "NewBodyContent");
    xmlFreeDoc(doc);
    free(xml);

    /* No note; a draft needs no recipient. */
    struct item_id bare = {"AAMkReq=", NULL};
    xml = ews_build_forward(&ctx_plain, &bare, delegates, 1, NULL, EWS_SEND_ONLY);
    doc = valid_doc(xml);
    assert_xp_str(doc, "//m:CreateItem/@MessageDisposition", "SendOnly");
    assert_xp_count(doc, "//t:NewBodyContent", 0);
    assert_xp_count(doc, "//t:ReferenceItemId/@ChangeKey", 0);
    xmlFreeDoc(doc);
    free(xml);
    xml = ews_build_forward(&ctx_plain, &bare, NULL, 0, "draft", EWS_SAVE_ONLY);
    doc = valid_doc(xml);
    assert_xp_count(doc, "//t:ToRecipients", 0);
    xmlFreeDoc(doc);
    free(xml);

    assert_null(ews_build_forward(&ctx_plain, &bare, NULL, 0, "x", EWS_SEND_AND_SAVE_COPY));
    assert_null(ews_build_forward(&ctx_plain, NULL, delegates, 1, "x", EWS_SEND_AND_SAVE_COPY));
    struct item_id empty = {"", NULL};
    assert_null(ews_build_forward(&ctx_plain, &empty, delegates, 1, "x", EWS_SEND_ONLY));
    const char *blank[] = {"alice@contoso.com", ""};
    assert_null(ews_build_forward(&ctx_plain, &bare, blank, 2, "x", EWS_SEND_ONLY));
    assert_null(ews_build_forward(&ctx_plain, &bare, delegates, 1, "bad\x02", EWS_SEND_ONLY));
    assert_null(ews_build_forward(&ctx_plain, &bare, delegates, 1, "x", (enum ews_disposition)3));
}

static void test_delete_attachments(void **state)
{
    struct item_id ids[] = {{"AAMkAtt1=", NULL}, {"AAMkAtt2=", "ignored"}};
    char *xml = ews_build_delete_attachments(&ctx_plain, ids, 2);
    xmlDocPtr doc = valid_doc(xml);
    assert_xp_count(doc, "//m:DeleteAttachment/m:AttachmentIds/t:AttachmentId", 2);
    assert_xp_str(doc, "//t:AttachmentId[1]/@Id", "AAMkAtt1=");
    assert_xp_str(doc, "//t:AttachmentId[2]/@Id", "AAMkAtt2=");
    /* RequestAttachmentIdType has no ChangeKey (nor RootItemId). */
    assert_xp_count(doc, "//t:AttachmentId/@*", 2);
    xmlFreeDoc(doc);
    free(xml);

    const struct ews_context imp = {"Exchange2010_SP2", "room721@contoso.com", NULL};
    xml = ews_build_delete_attachments(&imp, ids, 1);
    doc = valid_doc(xml);
    assert_xp_str(doc, "//t:ExchangeImpersonation//t:PrimarySmtpAddress", "room721@contoso.com");
    xmlFreeDoc(doc);
    free(xml);

    assert_null(ews_build_delete_attachments(&ctx_plain, ids, 0));
    assert_null(ews_build_delete_attachments(&ctx_plain, NULL, 1));
    struct item_id bad[] = {{"AAMkAtt1=", NULL}, {NULL, NULL}};
    assert_null(ews_build_delete_attachments(&ctx_plain, bad, 2));
}

/* ---- helpers ---- */

static void test_field_uri_table(void **state)
{
    assert_true(ews_field_uri_is_valid("item:Subject"));
    assert_true(ews_field_uri_is_valid("calendar:Start"));
    assert_true(ews_field_uri_is_valid("meetingRequest:MeetingRequestType"));
    assert_true(ews_field_uri_is_valid("meeting:AssociatedCalendarItemId"));
    assert_true(ews_field_uri_is_valid("message:IsRead"));
    assert_false(ews_field_uri_is_valid("item:subject"));
    assert_false(ews_field_uri_is_valid("calendar:Nope"));
    assert_false(ews_field_uri_is_valid(""));
    assert_false(ews_field_uri_is_valid(NULL));
}

int main(void)
{
    load_schema_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_is_strict),
        cmocka_unit_test(test_header_plain),
        cmocka_unit_test(test_header_impersonation_and_time_zone),
        cmocka_unit_test(test_header_defaults_and_bad_context),
        cmocka_unit_test(test_find_item_inbox),
        cmocka_unit_test(test_find_item_classes_sorted_other_mailbox),
        cmocka_unit_test(test_find_item_calendar_view),
        cmocka_unit_test(test_find_item_bad_args),
        cmocka_unit_test(test_get_item),
        cmocka_unit_test(test_get_item_refs),
        cmocka_unit_test(test_respond_each_kind),
        cmocka_unit_test(test_respond_batch),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_invalid_text_rejected),
        cmocka_unit_test(test_create_meeting_full),
        cmocka_unit_test(test_create_meeting_every_recurrence),
        cmocka_unit_test(test_create_meeting_bad_args),
        cmocka_unit_test(test_update_resource_rewrite),
        cmocka_unit_test(test_update_meeting_changes),
        cmocka_unit_test(test_update_message),
        cmocka_unit_test(test_update_bad_args),
        cmocka_unit_test(test_delete_item),
        cmocka_unit_test(test_cancel_meeting),
        cmocka_unit_test(test_create_meeting_attachments),
        cmocka_unit_test(test_forward),
        cmocka_unit_test(test_delete_attachments),
        cmocka_unit_test(test_field_uri_table),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlSchemaFree(schema);
    xmlCleanupParser();
    return rc;
}
