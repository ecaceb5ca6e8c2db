/*
 * ews_sync and ews_stream against the real simulator (tests/ewssim, run with --validate):
 * every request is built by the code under test and checked by the simulator against
 * Microsoft's schema, every answer is the simulator's bytes parsed by the code under test.
 * The simulator's counters must show no invalid request or response at the end.
 * Without the schema kit the simulator cannot validate (exit 77).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "ews_build.h"
#include "ews_stream.h"
#include "ews_sync.h"

#define ORGANIZER "organizer@example.com"
#define ROOM "room1@example.com"
#define SERVICE "svc@example.com"
#define SERVICE_PASSWORD "svc-pw"

static const char *schema_kit(void)
{
    const char *env = getenv("MEETINGD_SCHEMA_DIR");
    return env != NULL && *env != '\0' ? env : "../../../shared/ews-schema";
}

/* ---- the simulator process ---- */

struct sim {
    pid_t pid;
    int port;
};

/* Start tests/ewssim with extra_flag (or none) and read its "listening on" line. */
static void sim_start(struct sim *s, const char *extra_flag)
{
    const char *src = getenv("MEETINGD_SOURCE_DIR");
    const char *python = getenv("PYTHON");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/tests/ewssim", src != NULL ? src : "../..");
    int out[2];
    assert_int_equal(pipe(out), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        const char *py = python != NULL && *python != '\0' ? python : "python3";
        execlp(py, py, dir, "--listen", "127.0.0.1:0", "--validate", schema_kit(), "--mailbox",
               ORGANIZER, "--mailbox", ROOM, "--impersonator", SERVICE ":" SERVICE_PASSWORD,
               "--heartbeat-seconds", "0.2", "--streaming-minute-seconds", "1.5",
               extra_flag != NULL ? extra_flag : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[256] = "";
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_int_equal(sscanf(line, "listening on http://127.0.0.1:%d", &s->port), 1);
}

/* ---- HTTP ---- */

struct bytes {
    char *data;
    size_t len;
};

static size_t keep_bytes(char *p, size_t size, size_t n, void *userdata)
{
    struct bytes *b = userdata;
    b->data = realloc(b->data, b->len + size * n + 1);
    assert_non_null(b->data);
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static CURLcode http(const struct sim *s, const char *path, const char *user, const char *body,
                     curl_write_callback sink, void *userdata, long *status)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, userdata);
    if (user != NULL) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD,
                         strcmp(user, SERVICE) == 0 ? SERVICE_PASSWORD : "password");
    }
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

/* POST an EWS request (freeing it) as user; the answer's bytes. */
static struct bytes ews(const struct sim *s, const char *user, char *request)
{
    assert_non_null(request);
    struct bytes b = {NULL, 0};
    long status;
    assert_int_equal(http(s, "/EWS/Exchange.asmx", user, request, keep_bytes, &b, &status),
                     CURLE_OK);
    assert_true(status == 200 || status == 500);
    free(request);
    assert_non_null(b.data);
    return b;
}

static struct ews_response *parsed(struct bytes b, const char *operation)
{
    struct ews_response *r = NULL;
    char err[256] = "";
    int rc = ews_parse_response(b.data, b.len, operation, &r, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "%s: %s\n%s\n", operation, err, b.data);
    assert_int_equal(rc, 0);
    free(b.data);
    return r;
}

/* Stop the simulator, having checked that it saw no invalid request and sent no invalid
 * response. */
static void sim_stop(struct sim *s)
{
    struct bytes stats = {NULL, 0};
    long status;
    assert_int_equal(http(s, "/sim/stats", NULL, NULL, keep_bytes, &stats, &status), CURLE_OK);
    assert_non_null(strstr(stats.data, "\"invalid_requests\": 0,"));
    assert_non_null(strstr(stats.data, "\"invalid_responses\": 0,"));
    assert_non_null(strstr(stats.data, "\"internal_errors\": 0,"));
    free(stats.data);
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
}

/* ---- a streaming connection ---- */

struct stream_log {
    struct ews_stream_splitter *splitter;
    const struct sim *sim;
    bool drop_after_first; /* ask the simulator to drop the connection once one arrived */
    int envelopes, new_mail, error_messages;
    enum ews_connection_status last_status;
    char first_error_id[64];
    char mail_ids[4][128];
};

static size_t on_stream_bytes(char *p, size_t size, size_t n, void *userdata)
{
    struct stream_log *log = userdata;
    assert_int_equal(ews_stream_splitter_feed(log->splitter, p, size * n), 0);
    const char *env;
    size_t len;
    while (ews_stream_splitter_next(log->splitter, &env, &len) == 1) {
        struct ews_stream_envelope *e = NULL;
        char err[256] = "";
        if (ews_parse_stream_envelope(env, len, &e, err, sizeof(err)) != 0)
            fprintf(stderr, "refused: %s\n%.*s\n", err, (int)len, env);
        assert_non_null(e);
        log->envelopes++;
        for (size_t i = 0; i < e->n_messages; i++) {
            const struct ews_stream_message *m = &e->messages[i];
            if (m->status != EWS_CONNECTION_UNSTATED)
                log->last_status = m->status;
            if (m->code != EWS_OK && log->error_messages++ == 0 && m->n_error_subscription_ids > 0)
                snprintf(log->first_error_id, sizeof(log->first_error_id), "%s",
                         m->error_subscription_ids[0]);
            for (size_t k = 0; k < m->n_events; k++)
                if (m->events[k].type == EWS_EVENT_NEW_MAIL && log->new_mail < 4)
                    snprintf(log->mail_ids[log->new_mail++], sizeof(log->mail_ids[0]), "%s",
                             m->events[k].id.id);
        }
        ews_stream_envelope_free(e);
        if (log->drop_after_first) {
            struct bytes ignored = {NULL, 0};
            long status;
            log->drop_after_first = false;
            http(log->sim, "/sim/streaming/drop", NULL, "", keep_bytes, &ignored, &status);
            free(ignored.data);
        }
    }
    return size * n;
}

static CURLcode stream(const struct sim *s, const struct ews_context *ctx, const char *const *ids,
                       size_t n, struct stream_log *log)
{
    char *request = ews_build_get_streaming_events(ctx, ids, n, 1);
    assert_non_null(request);
    log->splitter = ews_stream_splitter_new(0);
    log->sim = s;
    long status;
    CURLcode rc = http(s, "/EWS/Exchange.asmx", SERVICE, request, on_stream_bytes, log, &status);
    assert_int_equal(status, 200);
    free(request);
    ews_stream_splitter_free(log->splitter);
    return rc;
}

/* ---- the scenario ---- */

static void invite(const struct sim *s, const char *subject, time_t start)
{
    static const struct ews_context organizer = {"Exchange2013_SP1", NULL, NULL};
    const char *rooms[] = {ROOM};
    struct ews_meeting_spec m = {.subject = subject,
                                 .start = start,
                                 .end = start + 3600,
                                 .required = rooms,
                                 .n_required = 1,
                                 .send_invitations = EWS_SEND_TO_ALL_AND_SAVE_COPY};
    struct ews_response *r =
        parsed(ews(s, ORGANIZER, ews_build_create_meeting(&organizer, &m)), "CreateItem");
    assert_int_equal(r->messages[0].code, EWS_OK);
    ews_response_free(r);
}

static const struct ews_context as_room = {"Exchange2013_SP1", ROOM, NULL};
static const struct ews_folder_ref inbox = {.distinguished_id = "inbox"};

static struct ews_response *sync_inbox(const struct sim *s, const char *state)
{
    struct ews_sync_folder_items_args a = {
        .folder = inbox, .shape = EWS_SHAPE_DEFAULT, .sync_state = state, .max_changes = 100};
    return parsed(ews(s, SERVICE, ews_build_sync_folder_items(&as_room, &a)), "SyncFolderItems");
}

static char *subscribe(const struct sim *s)
{
    char *request = ews_build_subscribe_streaming(
        &as_room, &inbox, 1, EWS_EVENT_NEW_MAIL | EWS_EVENT_CREATED | EWS_EVENT_MODIFIED);
    struct bytes b = ews(s, SERVICE, request);
    struct ews_subscribe_result sub;
    char err[256] = "";
    assert_int_equal(ews_parse_subscribe(b.data, b.len, &sub, err, sizeof(err)), 0);
    free(b.data);
    assert_int_equal(sub.code, EWS_OK);
    char *sid = sub.subscription_id;
    sub.subscription_id = NULL;
    ews_subscribe_result_clear(&sub);
    return sid;
}

static void test_against_the_simulator(void **state)
{
    (void)state;
    struct sim s;
    sim_start(&s, NULL);
    char *sid = subscribe(&s);

    struct ews_response *r = sync_inbox(&s, NULL);
    assert_int_equal(r->messages[0].code, EWS_OK);
    assert_true(r->messages[0].includes_last_item_in_range);
    assert_int_equal(r->messages[0].n_changes, 0);
    char *state1 = strdup(r->messages[0].sync_state);
    ews_response_free(r);

    time_t start = 1935824400; /* 2031-05-05 */
    invite(&s, "first", start);
    invite(&s, "second", start + 7200);

    /* Events that happened before the connection come first; an unknown id is reported. */
    const char *ids[] = {sid, "AAAAbm90IGEgc3Vic2NyaXB0aW9u"};
    struct stream_log log = {0};
    assert_int_equal(stream(&s, &as_room, ids, 2, &log), CURLE_OK);
    assert_int_equal(log.new_mail, 2);
    assert_int_equal(log.error_messages, 1);
    assert_string_equal(log.first_error_id, ids[1]);
    assert_int_equal(log.last_status, EWS_CONNECTION_CLOSED);

    /* The sync finds exactly what the events announced. */
    r = sync_inbox(&s, state1);
    struct ews_response_message *m = &r->messages[0];
    assert_int_equal(m->n_changes, 2);
    struct item_id requests[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(m->changes[i].kind, EWS_SYNC_CREATE);
        assert_int_equal(m->changes[i].item.kind, ITEM_MEETING_REQUEST);
        assert_string_equal(m->changes[i].item.id.id, log.mail_ids[i]);
        requests[i].id = strdup(m->changes[i].item.id.id);
        requests[i].change_key = NULL;
    }
    char *state2 = strdup(m->sync_state);
    ews_response_free(r);

    /* Batches: the item in the middle does not exist and fails alone. */
    struct item_id bogus = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL};
    struct ews_item_change read = {.op = EWS_CHANGE_SET, .field = EWS_FIELD_IS_READ, .flag = true};
    struct ews_item_update updates[] = {
        {{EWS_REF_ITEM, requests[0].id, NULL, 0}, &read, 1},
        {{EWS_REF_ITEM, bogus.id, NULL, 0}, &read, 1},
        {{EWS_REF_ITEM, requests[1].id, NULL, 0}, &read, 1},
    };
    r = parsed(ews(&s, SERVICE,
                   ews_build_update_items(&as_room, updates, 3, EWS_ALWAYS_OVERWRITE,
                                          EWS_UPDATE_NOT_CALENDAR)),
               "UpdateItem");
    struct ews_batch_result res[3];
    assert_int_equal(ews_batch_results(r, 3, res), 2);
    assert_int_equal(res[0].outcome, EWS_BATCH_DONE);
    assert_non_null(res[0].item);
    assert_non_null(res[0].item->id.change_key);
    assert_int_equal(res[1].outcome, EWS_BATCH_FAILED);
    assert_int_equal(res[2].outcome, EWS_BATCH_DONE);
    ews_response_free(r);

    struct ews_respond_spec answers[] = {{EWS_ACCEPT, &requests[0], NULL},
                                         {EWS_ACCEPT, &bogus, NULL},
                                         {EWS_DECLINE, &requests[1], "No."}};
    r = parsed(
        ews(&s, SERVICE, ews_build_respond_batch(&as_room, answers, 3, EWS_SEND_AND_SAVE_COPY)),
        "CreateItem");
    assert_int_equal(ews_batch_results(r, 3, res), 2);
    assert_int_equal(res[0].outcome, EWS_BATCH_DONE);
    assert_int_equal(res[1].outcome, EWS_BATCH_FAILED);
    assert_int_equal(res[1].action, EWS_ACTION_ITEM_GONE);
    assert_int_equal(res[2].outcome, EWS_BATCH_DONE);
    ews_response_free(r);

    /* Answered requests left the Inbox: two Deletes, then an idle sync finds nothing. */
    r = sync_inbox(&s, state2);
    assert_int_equal(r->messages[0].n_changes, 2);
    assert_int_equal(r->messages[0].changes[0].kind, EWS_SYNC_DELETE);
    assert_int_equal(r->messages[0].changes[1].kind, EWS_SYNC_DELETE);
    char *state3 = strdup(r->messages[0].sync_state);
    ews_response_free(r);
    r = sync_inbox(&s, state3);
    assert_int_equal(r->messages[0].n_changes, 0);
    assert_false(ews_sync_state_is_invalid(&r->messages[0]));
    ews_response_free(r);

    /* A damaged state is refused as such. */
    state3[strlen(state3) / 2] = state3[strlen(state3) / 2] == 'A' ? 'B' : 'A';
    r = sync_inbox(&s, state3);
    assert_true(ews_sync_state_is_invalid(&r->messages[0]));
    ews_response_free(r);

    /* A dropped connection ends without the last chunk: curl says so. */
    invite(&s, "third", start + 14400);
    struct stream_log dropped = {.drop_after_first = true};
    assert_int_not_equal(stream(&s, &as_room, ids, 1, &dropped), CURLE_OK);
    assert_true(dropped.envelopes >= 1);

    /* Unsubscribed: gone for Unsubscribe and for GetStreamingEvents. */
    r = parsed(ews(&s, SERVICE, ews_build_unsubscribe(&as_room, sid)), "Unsubscribe");
    assert_int_equal(r->messages[0].code, EWS_OK);
    ews_response_free(r);
    r = parsed(ews(&s, SERVICE, ews_build_unsubscribe(&as_room, sid)), "Unsubscribe");
    assert_true(ews_stream_code_means_subscription_lost(r->messages[0].response_code_text));
    ews_response_free(r);
    struct stream_log gone = {0};
    assert_int_equal(stream(&s, &as_room, ids, 1, &gone), CURLE_OK);
    assert_int_equal(gone.error_messages, 1);
    assert_string_equal(gone.first_error_id, sid);
    assert_int_equal(gone.new_mail, 0);

    for (int i = 0; i < 2; i++)
        free(requests[i].id);
    free(state1);
    free(state2);
    free(state3);
    free(sid);
    sim_stop(&s);
}

/* A server without streaming, then one without SyncFolderItems: both refusals are
 * recognised as "not offered", the daemon's cue to fall back. */
static void test_fallback_cues(void **state)
{
    (void)state;
    static const char *const flags[] = {"--no-streaming", "--no-sync-folder-items"};
    for (int i = 0; i < 2; i++) {
        struct sim s;
        sim_start(&s, flags[i]);
        if (i == 0) {
            struct bytes b =
                ews(&s, SERVICE,
                    ews_build_subscribe_streaming(&as_room, &inbox, 1, EWS_EVENT_NEW_MAIL));
            struct ews_subscribe_result sub;
            assert_int_equal(ews_parse_subscribe(b.data, b.len, &sub, NULL, 0), 0);
            free(b.data);
            assert_true(sub.is_fault);
            assert_true(ews_sync_code_means_unsupported(sub.code_text));
            ews_subscribe_result_clear(&sub);
        } else {
            struct ews_response *r = sync_inbox(&s, NULL);
            assert_true(r->is_fault);
            assert_true(ews_sync_code_means_unsupported(r->fault_code_text));
            ews_response_free(r);
        }
        sim_stop(&s);
    }
}

int main(void)
{
    char xsd[1024];
    struct stat st;
    snprintf(xsd, sizeof(xsd), "%s/ews-envelope-strict.xsd", schema_kit());
    if (stat(xsd, &st) != 0) {
        printf("SKIP: no schema kit at %s: the simulator cannot validate\n", xsd);
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_the_simulator),
        cmocka_unit_test(test_fallback_cues),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    xmlCleanupParser();
    return failed;
}
