/*
 * ews_stream: the answers of streaming notifications.
 *
 * Subscribe's SubscriptionId, and GetStreamingEvents: one HTTP response carrying one SOAP
 * envelope after another for as long as the connection lasts (events, ConnectionStatus OK
 * heartbeats, ConnectionStatus Closed at the end), which the splitter cuts into envelopes
 * and ews_parse_stream_envelope() reads.
 *
 * Pure: no I/O. Hardening as ews_parse.h: a document is first accepted by
 * ews_parse_response() (safe libxml2 options, no DOCTYPE, size cap, strict response
 * messages); the elements ews_parse does not read are then taken from the same bytes with
 * the same strictness: any surprise rejects the whole document.
 */
#ifndef MEETINGD_EWS_STREAM_H
#define MEETINGD_EWS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ews_parse.h"
#include "ews_sync.h"

/* The answer to Subscribe. */
struct ews_subscribe_result {
    bool is_fault;         /* a SOAP fault: see code / code_text */
    enum ews_error code;   /* EWS_OK when subscribed */
    char *code_text;       /* ResponseCode (or fault code) as sent; NULL on success */
    unsigned backoff_ms;   /* BackOffMilliseconds, 0 if none */
    char *subscription_id; /* set when code is EWS_OK */
};

/* Parse a Subscribe response (one message). 0 and *out filled (free with
 * ews_subscribe_result_clear()), or -1 with a reason in err for a document that is not a
 * well-formed Subscribe response (a success without a SubscriptionId included). */
int ews_parse_subscribe(const char *body, size_t len, struct ews_subscribe_result *out, char *err,
                        size_t errlen);
void ews_subscribe_result_clear(struct ews_subscribe_result *r);

/* Whether an error code says a subscription is gone (ErrorSubscriptionNotFound,
 * ErrorExpiredSubscription, ErrorSubscriptionUnsubscribed, ErrorInvalidSubscription,
 * ErrorReadEventsFailed): the mailbox resubscribes and syncs. */
bool ews_stream_code_means_subscription_lost(const char *code_text);

/* One event of a notification. */
struct ews_stream_event {
    enum ews_event_type type;
    const char *subscription_id; /* borrowed from the owning ews_stream_message */
    time_t time_stamp;           /* 0 for a StatusEvent */
    bool is_folder;              /* t:FolderId rather than t:ItemId */
    struct item_id id;           /* empty for a StatusEvent */
    struct item_id parent_folder_id;
};

enum ews_connection_status {
    EWS_CONNECTION_UNSTATED, /* no m:ConnectionStatus in this message */
    EWS_CONNECTION_OK,       /* a heartbeat */
    EWS_CONNECTION_CLOSED,   /* the server ends the response after this */
};

/* One GetStreamingEventsResponseMessage. */
struct ews_stream_message {
    enum ews_response_class cls;
    enum ews_error code;
    char *code_text; /* NULL for NoError */
    unsigned backoff_ms;
    enum ews_connection_status status;
    char **error_subscription_ids; /* m:ErrorSubscriptionIds (e.g. with
                                      ErrorSubscriptionNotFound) */
    size_t n_error_subscription_ids;
    char **subscription_ids; /* one per m:Notification, owning the strings events borrow */
    size_t n_subscription_ids;
    struct ews_stream_event *events; /* in document order */
    size_t n_events;
};

/* One envelope of a GetStreamingEvents response. */
struct ews_stream_envelope {
    bool is_fault;
    enum ews_error fault_code;
    char *fault_code_text;
    unsigned fault_backoff_ms;
    struct ews_stream_message *messages;
    size_t n_messages;
};

/* Parse one envelope (as ews_stream_splitter_next() hands it out). 0 and *out (free with
 * ews_stream_envelope_free()), or -1 with a reason: the caller then treats the connection
 * as broken (it resubscribes as needed and syncs; it never trusts a half-read event). The
 * schema says t:Notification, Exchange writes m:Notification: both are accepted. */
int ews_parse_stream_envelope(const char *body, size_t len, struct ews_stream_envelope **out,
                              char *err, size_t errlen);
void ews_stream_envelope_free(struct ews_stream_envelope *e);

/*
 * Splitting the body of a GetStreamingEvents response into envelopes: HTTP delivers the
 * de-chunked bytes in pieces of any size, and an envelope's end is found only by reading
 * its markup. The splitter follows the element nesting (tags, quoted attribute values,
 * comments, processing instructions, CDATA) without building anything and hands out each
 * complete top-level element with what preceded it (the XML declaration). An envelope
 * larger than max_envelope bytes, or bytes that cannot start markup, make it fail for good:
 * the caller drops the connection.
 */
struct ews_stream_splitter;

struct ews_stream_splitter *ews_stream_splitter_new(size_t max_envelope);
void ews_stream_splitter_free(struct ews_stream_splitter *s);
/* Append received bytes. 0, or -1 once the stream is unusable (see above). */
int ews_stream_splitter_feed(struct ews_stream_splitter *s, const char *data, size_t len);
/* The next complete envelope: 1 with *env / *len pointing into the splitter (valid until
 * the next call to feed or next), 0 when none is complete yet, -1 when the stream failed. */
int ews_stream_splitter_next(struct ews_stream_splitter *s, const char **env, size_t *len);

#endif
