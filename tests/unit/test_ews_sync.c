/*
 * Unit tests of ews_sync / ews_stream: the requests of SyncFolderItems, streaming
 * notifications and batched UpdateItem validate against Microsoft's schema
 * (ews-envelope-strict.xsd from the shared kit) and say what they should; the parsers and
 * the envelope splitter take hostile input apart safely. test_ews_sync_sim.c runs them
 * against the real simulator. Without the schema kit nothing can be judged (exit 77).
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

#include "ews_stream.h"
#include "ews_sync.h"

/* ---- the schema ---- */

static xmlSchemaPtr kit;
static char kit_errors[2048];

static void note_kit_error(void *unused, xmlErrorPtr e)
{
    (void)unused;
    size_t at = strlen(kit_errors);
    if (e != NULL && e->message != NULL && at + 1 < sizeof(kit_errors))
        snprintf(kit_errors + at, sizeof(kit_errors) - at, "%d: %s", e->line, e->message);
}

static const char *kit_dir(void)
{
    const char *env = getenv("MEETINGD_SCHEMA_DIR");
    return env != NULL && *env != '\0' ? env : "../../../shared/ews-schema";
}

static void need_kit(void)
{
    char xsd[1024];
    struct stat st;
    snprintf(xsd, sizeof(xsd), "%s/ews-envelope-strict.xsd", kit_dir());
    if (stat(xsd, &st) != 0) {
        printf("SKIP: no schema kit at %s\n", xsd);
        exit(77);
    }
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
    kit = pc != NULL ? xmlSchemaParse(pc) : NULL;
    xmlSchemaFreeParserCtxt(pc);
    if (kit == NULL) {
        fprintf(stderr, "cannot compile %s\n", xsd);
        exit(1);
    }
}

/* The envelope must exist and validate; it is freed. */
static void assert_valid_and_free(char *xml)
{
    assert_non_null(xml);
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(kit);
    kit_errors[0] = '\0';
    xmlSchemaSetValidStructuredErrors(vc, note_kit_error, NULL);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(doc);
    if (rc != 0)
        fprintf(stderr, "invalid request: %s\n%s\n", kit_errors, xml);
    assert_int_equal(rc, 0);
    free(xml);
}

static void assert_has(const char *xml, const char *part)
{
    if (strstr(xml, part) == NULL)
        fprintf(stderr, "missing %s in\n%s\n", part, xml);
    assert_non_null(strstr(xml, part));
}

static size_t occurrences(const char *xml, const char *part)
{
    size_t n = 0;
    for (const char *p = strstr(xml, part); p != NULL; p = strstr(p + 1, part))
        n++;
    return n;
}

static const struct ews_context plain = {"Exchange2013_SP1", NULL, NULL};
static const struct ews_context as_room = {"Exchange2010_SP2", "room1@example.com", NULL};

/* ---- builders ---- */

static void test_sync_folder_items_requests(void **state)
{
    (void)state;
    struct ews_sync_folder_items_args a = {
        .folder = {.distinguished_id = "inbox"}, .shape = EWS_SHAPE_ID_ONLY, .max_changes = 512};
    char *xml = ews_build_sync_folder_items(&as_room, &a);
    assert_non_null(xml);
    assert_has(xml, "<m:SyncFolderId><t:DistinguishedFolderId Id=\"inbox\"/></m:SyncFolderId>");
    assert_null(strstr(xml, "SyncState"));
    assert_has(xml, "<t:PrimarySmtpAddress>room1@example.com</t:PrimarySmtpAddress>");
    assert_valid_and_free(xml);

    static const char *const fields[] = {"item:ItemClass", "message:IsRead"};
    struct item_id ignore[] = {{"AAMkAD+/=", "CQAAAA=="}, {"AAMkAE", NULL}};
    a.folder =
        (struct ews_folder_ref){.distinguished_id = "calendar", .mailbox = "room1@example.com"};
    a.shape = EWS_SHAPE_DEFAULT;
    a.additional_fields = fields;
    a.n_additional_fields = 2;
    a.sync_state = "H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvKKnt7=";
    a.ignore = ignore;
    a.n_ignore = 2;
    a.max_changes = 1;
    xml = ews_build_sync_folder_items(&plain, &a);
    assert_non_null(xml);
    assert_has(xml, "<m:SyncState>H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvKKnt7=</m:SyncState>");
    assert_has(xml, "<m:Ignore><t:ItemId Id=\"AAMkAD+/=\" ChangeKey=\"CQAAAA==\"/>");
    assert_has(xml, "<m:MaxChangesReturned>1</m:MaxChangesReturned></m:SyncFolderItems>");
    assert_has(xml, "<t:FieldURI FieldURI=\"message:IsRead\"/>");
    assert_valid_and_free(xml);

    a.folder = (struct ews_folder_ref){.folder_id = "AQMkADkz", .change_key = "AQAAAA=="};
    a.ignore = NULL;
    a.n_ignore = 0;
    assert_valid_and_free(ews_build_sync_folder_items(&plain, &a));
}

static void test_sync_folder_items_refusals(void **state)
{
    (void)state;
    struct ews_sync_folder_items_args ok = {.folder = {.distinguished_id = "inbox"},
                                            .max_changes = 10};
    struct ews_sync_folder_items_args a = ok;
    a.max_changes = 0;
    assert_null(ews_build_sync_folder_items(&plain, &a));
    a.max_changes = 513;
    assert_null(ews_build_sync_folder_items(&plain, &a));
    /* A state (from the server) that is not a base64 token is never written back. */
    a = ok;
    a.sync_state = "abc</m:SyncState><m:Evil/>";
    assert_null(ews_build_sync_folder_items(&plain, &a));
    a.sync_state = "abc\n";
    assert_null(ews_build_sync_folder_items(&plain, &a));
    a = ok;
    a.folder.distinguished_id = "publicfoldersroot";
    assert_null(ews_build_sync_folder_items(&plain, &a));
    a = ok;
    a.folder = (struct ews_folder_ref){.folder_id = "a\"b"};
    assert_null(ews_build_sync_folder_items(&plain, &a));
    a = ok;
    static const char *const bad_field[] = {"item:NoSuchField"};
    a.additional_fields = bad_field;
    a.n_additional_fields = 1;
    assert_null(ews_build_sync_folder_items(&plain, &a));
    a = ok;
    a.folder.mailbox = "room\x01@example.com";
    assert_null(ews_build_sync_folder_items(&plain, &a));
    struct ews_context bad_version = {"Exchange1999", NULL, NULL};
    assert_null(ews_build_sync_folder_items(&bad_version, &ok));
    assert_null(ews_build_sync_folder_items(&plain, NULL));
}

static void test_streaming_requests(void **state)
{
    (void)state;
    struct ews_folder_ref folders[] = {{.distinguished_id = "inbox"},
                                       {.folder_id = "AQMkADkz", .change_key = "AQAAAA=="}};
    char *xml = ews_build_subscribe_streaming(
        &as_room, folders, 2, EWS_EVENT_NEW_MAIL | EWS_EVENT_CREATED | EWS_EVENT_MODIFIED);
    assert_non_null(xml);
    assert_has(xml, "<m:StreamingSubscriptionRequest><t:FolderIds>");
    assert_has(xml, "<t:EventType>NewMailEvent</t:EventType><t:EventType>CreatedEvent"
                    "</t:EventType><t:EventType>ModifiedEvent</t:EventType></t:EventTypes>");
    assert_valid_and_free(xml);
    assert_null(ews_build_subscribe_streaming(&as_room, folders, 0, EWS_EVENT_NEW_MAIL));
    assert_null(ews_build_subscribe_streaming(&as_room, folders, 1, 0));
    assert_null(ews_build_subscribe_streaming(&as_room, folders, 1, EWS_EVENT_STATUS));

    static char idbuf[EWS_STREAMING_MAX_SUBSCRIPTIONS + 1][16];
    const char *ids[EWS_STREAMING_MAX_SUBSCRIPTIONS + 1];
    for (int i = 0; i <= EWS_STREAMING_MAX_SUBSCRIPTIONS; i++) {
        snprintf(idbuf[i], sizeof(idbuf[i]), "HAAAc%03d=", i);
        ids[i] = idbuf[i];
    }
    xml = ews_build_get_streaming_events(&as_room, ids, EWS_STREAMING_MAX_SUBSCRIPTIONS, 30);
    assert_non_null(xml);
    assert_int_equal(occurrences(xml, "<t:SubscriptionId>"), EWS_STREAMING_MAX_SUBSCRIPTIONS);
    assert_has(xml, "<m:ConnectionTimeout>30</m:ConnectionTimeout></m:GetStreamingEvents>");
    assert_valid_and_free(xml);
    assert_valid_and_free(ews_build_get_streaming_events(&plain, ids, 1, 1));
    assert_null(
        ews_build_get_streaming_events(&plain, ids, EWS_STREAMING_MAX_SUBSCRIPTIONS + 1, 30));
    assert_null(ews_build_get_streaming_events(&plain, ids, 1, 0));
    assert_null(ews_build_get_streaming_events(&plain, ids, 1, 31));
    const char *bad[] = {"abc<def"};
    assert_null(ews_build_get_streaming_events(&plain, bad, 1, 1));

    xml = ews_build_unsubscribe(&as_room, "HAAAc001=");
    assert_non_null(xml);
    assert_has(xml, "<m:Unsubscribe><m:SubscriptionId>HAAAc001=</m:SubscriptionId>");
    assert_valid_and_free(xml);
    assert_null(ews_build_unsubscribe(&plain, ""));
    assert_null(ews_build_unsubscribe(&plain, NULL));
}

static void test_update_items_batch(void **state)
{
    (void)state;
    struct ews_item_change read = {.op = EWS_CHANGE_SET, .field = EWS_FIELD_IS_READ, .flag = true};
    struct ews_item_change subject = {
        .op = EWS_CHANGE_SET, .field = EWS_FIELD_SUBJECT, .text = "a <b> & c"};
    struct ews_item_change two[] = {subject, read};
    struct ews_item_update u[] = {
        {.ref = {EWS_REF_ITEM, "AAMkA1", "CQAAAA==", 0}, .changes = &read, .n_changes = 1},
        {.ref = {EWS_REF_ITEM, "AAMkA2", NULL, 0}, .changes = two, .n_changes = 2},
        {.ref = {EWS_REF_ITEM, "AAMkA3", NULL, 0}, .changes = &subject, .n_changes = 1},
    };
    char *xml = ews_build_update_items(&as_room, u, 3, EWS_AUTO_RESOLVE, EWS_UPDATE_NOT_CALENDAR);
    assert_non_null(xml);
    assert_int_equal(occurrences(xml, "<t:ItemChange>"), 3);
    assert_int_equal(occurrences(xml, "<m:ItemChanges>"), 1);
    assert_int_equal(occurrences(xml, "<m:UpdateItem "), 1);
    assert_has(xml, "a &lt;b&gt; &amp; c");
    const char *first = strstr(xml, "AAMkA1"), *third = strstr(xml, "AAMkA3");
    assert_true(first != NULL && third != NULL && first < third);
    assert_valid_and_free(xml);

    char *one = ews_build_update_items(&plain, u, 1, EWS_AUTO_RESOLVE, EWS_UPDATE_NOT_CALENDAR);
    char *single = ews_build_update_item_ref(&plain, &u[0].ref, &read, 1, EWS_AUTO_RESOLVE,
                                             EWS_UPDATE_NOT_CALENDAR);
    assert_string_equal(one, single); /* a batch of one is the single request */
    free(single);
    assert_valid_and_free(one);

    u[1].n_changes = 0; /* one invalid item refuses the batch */
    assert_null(ews_build_update_items(&plain, u, 3, EWS_AUTO_RESOLVE, EWS_UPDATE_NOT_CALENDAR));
    assert_null(ews_build_update_items(&plain, u, 0, EWS_AUTO_RESOLVE, EWS_UPDATE_NOT_CALENDAR));
}

/* ---- parsers on hand-written (hostile) answers ---- */

#define ENV_OPEN                                                                                   \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"                                                   \
    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "                           \
    "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" "                    \
    "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"><s:Body>"
#define ENV_CLOSE "</s:Body></s:Envelope>"
#define STREAM_MSG(inner)                                                                          \
    ENV_OPEN "<m:GetStreamingEventsResponse><m:ResponseMessages>"                                  \
             "<m:GetStreamingEventsResponseMessage ResponseClass=\"Success\">"                     \
             "<m:ResponseCode>NoError</m:ResponseCode>" inner                                      \
             "</m:GetStreamingEventsResponseMessage></m:ResponseMessages>"                         \
             "</m:GetStreamingEventsResponse>" ENV_CLOSE
#define EVENT(name, extra)                                                                         \
    "<t:" name "><t:TimeStamp>2031-05-05T09:00:00Z</t:TimeStamp><t:ItemId Id=\"I1\" "              \
    "ChangeKey=\"C1\"/><t:ParentFolderId Id=\"F1\"/>" extra "</t:" name ">"

static struct ews_stream_envelope *stream_ok(const char *doc)
{
    struct ews_stream_envelope *e = NULL;
    char err[256] = "";
    int rc = ews_parse_stream_envelope(doc, strlen(doc), &e, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "refused: %s\n", err);
    assert_int_equal(rc, 0);
    return e;
}

static void assert_stream_refused(const char *doc)
{
    struct ews_stream_envelope *e = (void *)1;
    char err[256] = "";
    assert_int_equal(ews_parse_stream_envelope(doc, strlen(doc), &e, err, sizeof(err)), -1);
    assert_null(e);
    assert_true(err[0] != '\0');
}

static void test_stream_envelopes(void **state)
{
    (void)state;
    /* Both spellings of Notification; events in order, ids borrowed per notification. */
    struct ews_stream_envelope *e = stream_ok(STREAM_MSG(
        "<m:Notifications><m:Notification><t:SubscriptionId>S1</t:SubscriptionId>" EVENT(
            "CreatedEvent", "")
            EVENT(
                "NewMailEvent",
                "") "</m:Notification>"
                    "<t:Notification><t:SubscriptionId>S2</t:SubscriptionId>" EVENT(
                        "ModifiedEvent",
                        "<t:UnreadCount>3</t:UnreadCount>") "<t:StatusEvent/>"
                                                            "</t:Notification></m:Notifications>"));
    assert_int_equal(e->n_messages, 1);
    struct ews_stream_message *m = &e->messages[0];
    assert_int_equal(m->n_events, 4);
    assert_int_equal(m->events[0].type, EWS_EVENT_CREATED);
    assert_int_equal(m->events[1].type, EWS_EVENT_NEW_MAIL);
    assert_string_equal(m->events[1].subscription_id, "S1");
    assert_string_equal(m->events[1].id.id, "I1");
    assert_string_equal(m->events[1].parent_folder_id.id, "F1");
    assert_int_equal(m->events[0].time_stamp, 1935738000);
    assert_int_equal(m->events[2].type, EWS_EVENT_MODIFIED);
    assert_string_equal(m->events[2].subscription_id, "S2");
    assert_int_equal(m->events[3].type, EWS_EVENT_STATUS);
    assert_int_equal(m->status, EWS_CONNECTION_UNSTATED);
    ews_stream_envelope_free(e);

    e = stream_ok(STREAM_MSG("<m:ConnectionStatus>OK</m:ConnectionStatus>"));
    assert_int_equal(e->messages[0].status, EWS_CONNECTION_OK);
    ews_stream_envelope_free(e);
    e = stream_ok(STREAM_MSG("<m:ConnectionStatus>Closed</m:ConnectionStatus>"));
    assert_int_equal(e->messages[0].status, EWS_CONNECTION_CLOSED);
    ews_stream_envelope_free(e);

    e = stream_ok(ENV_OPEN
                  "<m:GetStreamingEventsResponse><m:ResponseMessages>"
                  "<m:GetStreamingEventsResponseMessage ResponseClass=\"Error\">"
                  "<m:MessageText>gone</m:MessageText>"
                  "<m:ResponseCode>ErrorSubscriptionNotFound</m:ResponseCode>"
                  "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:ErrorSubscriptionIds>"
                  "<t:SubscriptionId>S9</t:SubscriptionId><t:SubscriptionId>S8</t:SubscriptionId>"
                  "</m:ErrorSubscriptionIds></m:GetStreamingEventsResponseMessage>"
                  "</m:ResponseMessages></m:GetStreamingEventsResponse>" ENV_CLOSE);
    m = &e->messages[0];
    assert_int_equal(m->cls, EWS_CLASS_ERROR);
    assert_string_equal(m->code_text, "ErrorSubscriptionNotFound");
    assert_true(ews_stream_code_means_subscription_lost(m->code_text));
    assert_int_equal(m->n_error_subscription_ids, 2);
    assert_string_equal(m->error_subscription_ids[1], "S8");
    ews_stream_envelope_free(e);

    /* Anything half-understood refuses the whole envelope. */
    assert_stream_refused(STREAM_MSG(
        "<m:Notifications><m:Notification><t:SubscriptionId>S1</t:SubscriptionId>"
        "<t:CreatedEvent><t:ItemId Id=\"I1\"/><t:ParentFolderId Id=\"F1\"/></t:CreatedEvent>"
        "</m:Notification></m:Notifications>"));
    assert_stream_refused(
        STREAM_MSG("<m:Notifications><m:Notification><t:SubscriptionId>S1</t:SubscriptionId>" EVENT(
            "CreatedEvent", "<t:Surprise/>") "</m:Notification></m:Notifications>"));
    assert_stream_refused(
        STREAM_MSG("<m:Notifications><m:Notification><t:SubscriptionId>S1</t:SubscriptionId>" EVENT(
            "ExplodedEvent", "") "</m:Notification></m:Notifications>"));
    assert_stream_refused(
        STREAM_MSG("<m:Notifications><m:Notification><t:SubscriptionId>S1</t:SubscriptionId>"
                   "<t:CreatedEvent><t:TimeStamp>yesterday</t:TimeStamp><t:ItemId Id=\"I\"/>"
                   "<t:ParentFolderId Id=\"F\"/></t:CreatedEvent></m:Notification>"
                   "</m:Notifications>"));
    assert_stream_refused(
        STREAM_MSG("<m:Notifications><m:Notification><t:SubscriptionId>S1</t:SubscriptionId>"
                   "</m:Notification></m:Notifications>"));
    assert_stream_refused(STREAM_MSG("<m:ConnectionStatus>Maybe</m:ConnectionStatus>"));
    assert_stream_refused("<!DOCTYPE x [<!ENTITY a \"b\">]>" STREAM_MSG(""));
    assert_stream_refused(ENV_OPEN "<m:FindItemResponse/>" ENV_CLOSE);
}

static void test_subscribe_answers(void **state)
{
    (void)state;
    static const char ok[] =
        ENV_OPEN "<m:SubscribeResponse><m:ResponseMessages><m:SubscribeResponseMessage "
                 "ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode>"
                 "<m:SubscriptionId> JgBibjFw= </m:SubscriptionId></m:SubscribeResponseMessage>"
                 "</m:ResponseMessages></m:SubscribeResponse>" ENV_CLOSE;
    struct ews_subscribe_result r;
    char err[256];
    assert_int_equal(ews_parse_subscribe(ok, strlen(ok), &r, err, sizeof(err)), 0);
    assert_int_equal(r.code, EWS_OK);
    assert_string_equal(r.subscription_id, "JgBibjFw=");
    ews_subscribe_result_clear(&r);

    static const char missing[] = ENV_OPEN
        "<m:SubscribeResponse><m:ResponseMessages><m:SubscribeResponseMessage "
        "ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode>"
        "</m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse>" ENV_CLOSE;
    assert_int_equal(ews_parse_subscribe(missing, strlen(missing), &r, err, sizeof(err)), -1);
    assert_null(r.subscription_id);

    static const char fault[] =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>"
        "<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">"
        "a:ErrorSchemaValidation</faultcode><faultstring>no</faultstring></s:Fault></s:Body>"
        "</s:Envelope>";
    assert_int_equal(ews_parse_subscribe(fault, strlen(fault), &r, err, sizeof(err)), 0);
    assert_true(r.is_fault);
    assert_true(ews_sync_code_means_unsupported(r.code_text));
    ews_subscribe_result_clear(&r);
}

/* ---- the splitter ---- */

static void test_splitter(void **state)
{
    (void)state;
    static const char stream[] =
        "<?xml version=\"1.0\"?>\r\n<a:E xmlns:a=\"u\" q='x>y' r=\"/>\"><!-- </a:E> -->"
        "<b><![CDATA[</a:E>]]></b><c/></a:E>\n"
        "<?xml version=\"1.0\"?><a:E xmlns:a=\"u\"/>"
        "<a:E xmlns:a=\"u\"><d>text &amp; more</d></a:E>";
    static const size_t ends[] = {105, 145, 190};
    /* Byte by byte, and all at once: the same three envelopes. */
    for (size_t piece = 1; piece <= sizeof(stream); piece += sizeof(stream) - 1) {
        struct ews_stream_splitter *s = ews_stream_splitter_new(0);
        size_t got = 0, at = 0;
        for (size_t i = 0; i < sizeof(stream) - 1; i += piece) {
            size_t n = sizeof(stream) - 1 - i < piece ? sizeof(stream) - 1 - i : piece;
            assert_int_equal(ews_stream_splitter_feed(s, stream + i, n), 0);
            const char *env;
            size_t len;
            while (ews_stream_splitter_next(s, &env, &len) == 1) {
                assert_true(got < 3);
                assert_int_equal(at + len, ends[got]);
                assert_memory_equal(env, stream + at, len);
                at += len;
                got++;
            }
        }
        assert_int_equal(got, 3);
        ews_stream_splitter_free(s);
    }

    static const char *const broken[] = {"garbage<a/>", "<!DOCTYPE a><a/>", "</a>", "<a></a>junk",
                                         "<![CDATA[x]]>"};
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        struct ews_stream_splitter *s = ews_stream_splitter_new(0);
        const char *env;
        size_t len;
        int rc = ews_stream_splitter_feed(s, broken[i], strlen(broken[i]));
        while (rc == 0 && (rc = ews_stream_splitter_next(s, &env, &len)) == 1)
            rc = 0; /* an envelope before the broken part: read on */
        assert_int_equal(rc, -1);
        assert_int_equal(ews_stream_splitter_feed(s, "<a/>", 4), -1); /* for good */
        ews_stream_splitter_free(s);
    }

    struct ews_stream_splitter *s = ews_stream_splitter_new(64);
    char big[100];
    memset(big, 'x', sizeof(big));
    assert_int_equal(ews_stream_splitter_feed(s, "<a>", 3), 0);
    assert_int_equal(ews_stream_splitter_feed(s, big, sizeof(big)), -1);
    ews_stream_splitter_free(s);
}

/* ---- per-item outcomes ---- */

static void test_batch_results(void **state)
{
    (void)state;
    static const char doc[] = ENV_OPEN
        "<m:CreateItemResponse><m:ResponseMessages>"
        "<m:CreateItemResponseMessage ResponseClass=\"Success\"><m:ResponseCode>NoError"
        "</m:ResponseCode><m:Items/></m:CreateItemResponseMessage>"
        "<m:CreateItemResponseMessage ResponseClass=\"Error\"><m:MessageText>x</m:MessageText>"
        "<m:ResponseCode>ErrorItemNotFound</m:ResponseCode><m:Items/>"
        "</m:CreateItemResponseMessage>"
        "<m:CreateItemResponseMessage ResponseClass=\"Error\"><m:MessageText>x</m:MessageText>"
        "<m:ResponseCode>ErrorServerBusy</m:ResponseCode><m:MessageXml><t:Value "
        "Name=\"BackOffMilliseconds\">700</t:Value></m:MessageXml><m:Items/>"
        "</m:CreateItemResponseMessage>"
        "<m:CreateItemResponseMessage ResponseClass=\"Warning\"><m:MessageText>x</m:MessageText>"
        "<m:ResponseCode>ErrorBatchProcessingStopped</m:ResponseCode><m:Items/>"
        "</m:CreateItemResponseMessage>"
        "</m:ResponseMessages></m:CreateItemResponse>" ENV_CLOSE;
    struct ews_response *resp = NULL;
    assert_int_equal(ews_parse_response(doc, strlen(doc), "CreateItem", &resp, NULL, 0), 0);
    struct ews_batch_result r[5];
    assert_int_equal(ews_batch_results(resp, 4, r), 1);
    assert_int_equal(r[0].outcome, EWS_BATCH_DONE);
    assert_null(r[0].code_text);
    assert_int_equal(r[1].outcome, EWS_BATCH_FAILED);
    assert_int_equal(r[1].action, EWS_ACTION_ITEM_GONE);
    assert_string_equal(r[1].code_text, "ErrorItemNotFound");
    assert_int_equal(r[2].outcome, EWS_BATCH_RETRY);
    assert_int_equal(r[2].backoff_ms, 700);
    assert_int_equal(r[3].outcome, EWS_BATCH_RETRY);
    /* Five items sent, four answers: none can be matched. */
    assert_int_equal(ews_batch_results(resp, 5, r), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(r[i].outcome, EWS_BATCH_UNKNOWN);
    ews_response_free(resp);

    static const char busy[] =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>"
        "<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">"
        "a:ErrorServerBusy</faultcode><faultstring>busy</faultstring></s:Fault></s:Body>"
        "</s:Envelope>";
    assert_int_equal(ews_parse_response(busy, strlen(busy), "CreateItem", &resp, NULL, 0), 0);
    assert_int_equal(ews_batch_results(resp, 2, r), 0);
    assert_int_equal(r[0].outcome, EWS_BATCH_RETRY);
    assert_int_equal(r[1].outcome, EWS_BATCH_RETRY);
    ews_response_free(resp);
}

int main(void)
{
    need_kit();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_folder_items_requests),
        cmocka_unit_test(test_sync_folder_items_refusals),
        cmocka_unit_test(test_streaming_requests),
        cmocka_unit_test(test_update_items_batch),
        cmocka_unit_test(test_stream_envelopes),
        cmocka_unit_test(test_subscribe_answers),
        cmocka_unit_test(test_splitter),
        cmocka_unit_test(test_batch_results),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    xmlSchemaFree(kit);
    xmlCleanupParser();
    return failed;
}
