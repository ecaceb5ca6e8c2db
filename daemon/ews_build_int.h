/*
 * ews_build_int: what the parts of ews_build share (not for other modules).
 *
 *   ews_build_xml.c      schema facts, text checks, the envelope writer, pieces every
 *                        request shares (shapes, folders, item ids, attendees, bodies)
 *   ews_build.c          the operations: FindItem, GetItem, responses, UpdateItem,
 *                        DeleteItem, cancellation, ForwardItem, DeleteAttachment, GetFolder
 *   ews_build_meeting.c  CreateItem of a meeting and its recurrence
 *
 * A writer's failure is sticky: a builder writes everything and checks once, in
 * eb_finish().
 */
#ifndef MEETINGD_EWS_BUILD_INT_H
#define MEETINGD_EWS_BUILD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <libxml/xmlwriter.h>

#include "ews_build.h"

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_M "http://schemas.microsoft.com/exchange/services/2006/messages"
#define NS_T "http://schemas.microsoft.com/exchange/services/2006/types"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The writer and a sticky failure flag, so that a sequence of writes needs one check. */
struct eb_writer {
    xmlBufferPtr buf;
    xmlTextWriterPtr tw;
    bool bad;
};

/* Schema values (types.xsd). */
#define EB_SENSITIVITIES 4
#define EB_SHAPES 3
#define FIRST_VERSION_WITH_TIME_ZONE_DEFINITIONS 3 /* Exchange2010 */
extern const char *const eb_sensitivities[EB_SENSITIVITIES];
extern const char *const eb_shape_names[EB_SHAPES];
/* SendMeetingInvitations / SendMeetingCancellations by enum ews_send_invitations. */
extern const char *const eb_send_invitations[3];

/* The index of S in LIST (of N), or -1. */
int eb_index_in(const char *const *list, size_t n, const char *s);
bool eb_nonempty(const char *s);
/* The writer: elements, attributes and leaves; a NULL or unwritable value fails the document. */
void eb_el(struct eb_writer *w, const char *prefix, const char *name);
void eb_end(struct eb_writer *w);
void eb_attr(struct eb_writer *w, const char *name, const char *value);
void eb_leaf(struct eb_writer *w, const char *name, const char *value);
void eb_leaf_bool(struct eb_writer *w, const char *name, bool v);
void eb_leaf_int(struct eb_writer *w, const char *name, int v);
void eb_leaf_time(struct eb_writer *w, const char *name, time_t t);
void eb_attr_time(struct eb_writer *w, const char *name, time_t t);
void eb_attr_int(struct eb_writer *w, const char *name, int v);
int eb_server_version_index(const struct ews_context *ctx);
/* The envelope up to <m:OPERATION>, and its end: the document, or NULL when anything
 * failed. */
void eb_begin(struct eb_writer *w, const struct ews_context *ctx, const char *operation);
void eb_begin_create_item(struct eb_writer *w, const struct ews_context *ctx,
                          const char *disposition);
char *eb_finish(struct eb_writer *w);

/* Checks and writers of the pieces requests share. */
bool eb_all_ok(const char *const *list, size_t n, bool (*ok)(const char *));
bool eb_fields_ok(const char *const *fields, size_t n);
void eb_write_shape(struct eb_writer *w, enum ews_base_shape shape, const char *const *fields,
                    size_t n);
bool eb_folder_ok(const struct ews_folder_ref *f);
void eb_write_mailbox(struct eb_writer *w, const char *address);
void eb_write_folder(struct eb_writer *w, const struct ews_folder_ref *f);
bool eb_item_id_ok(const struct item_id *id);
void eb_write_item_id(struct eb_writer *w, const char *name, const struct item_id *id);
bool eb_ref_ok(const struct ews_item_ref *r);
void eb_write_ref(struct eb_writer *w, const struct ews_item_ref *r);
void eb_write_item_ids(struct eb_writer *w, const struct ews_item_ref *refs, size_t n);
bool eb_refs_ok(const struct ews_item_ref *refs, size_t n);
struct ews_item_ref *eb_refs_from_ids(const struct item_id *ids, size_t n);
bool eb_addresses_ok(const char *const *a, size_t n);
void eb_write_attendees(struct eb_writer *w, const char *list, const char *const *a, size_t n);
void eb_write_body(struct eb_writer *w, const char *name, const char *body, bool html);
bool eb_attachments_ok(const struct ews_file_attachment *a, size_t n);
void eb_write_attachments(struct eb_writer *w, const struct ews_file_attachment *a, size_t n);

#endif
