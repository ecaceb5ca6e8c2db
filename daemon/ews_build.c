/*
 * ews_build: SOAP request envelopes (see ews_build.h).
 *
 * Every envelope is written with xmlTextWriter, which escapes text and attribute values;
 * user data is never formatted into XML by hand. Arguments are checked before anything is
 * written so that a request Exchange would reject with ErrorSchemaValidation (or worse,
 * misinterpret) is never produced: the builders return NULL instead.
 */
#include "ews_build_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "util.h"

/* ---- FindItem ---- */

char *ews_build_find_item(const struct ews_context *ctx, const struct ews_find_item_args *a)
{
    if (a == NULL || (unsigned)a->shape >= EB_SHAPES || !eb_folder_ok(&a->folder) ||
        !eb_fields_ok(a->additional_fields, a->n_additional_fields) || a->max_entries < 0 ||
        !eb_all_ok(a->item_class_prefixes, a->n_item_class_prefixes, eb_nonempty))
        return NULL;
    switch (a->view) {
    case EWS_VIEW_NONE:
        break;
    case EWS_VIEW_INDEXED:
        if (a->offset < 0)
            return NULL;
        break;
    case EWS_VIEW_CALENDAR:
        /* Exchange rejects restrictions and sort orders on calendar views. */
        if (a->start >= a->end || a->n_item_class_prefixes > 0 || a->sort != EWS_SORT_NONE)
            return NULL;
        break;
    default:
        return NULL;
    }
    if ((unsigned)a->sort > EWS_SORT_RECEIVED_DESCENDING)
        return NULL;

    struct eb_writer w;
    eb_begin(&w, ctx, "FindItem");
    eb_attr(&w, "Traversal", "Shallow");
    eb_el(&w, "m", "ItemShape");
    eb_write_shape(&w, a->shape, a->additional_fields, a->n_additional_fields);
    eb_end(&w);
    if (a->view == EWS_VIEW_INDEXED) {
        eb_el(&w, "m", "IndexedPageItemView");
        if (a->max_entries > 0)
            eb_attr_int(&w, "MaxEntriesReturned", a->max_entries);
        eb_attr_int(&w, "Offset", a->offset);
        eb_attr(&w, "BasePoint", "Beginning");
        eb_end(&w);
    } else if (a->view == EWS_VIEW_CALENDAR) {
        eb_el(&w, "m", "CalendarView");
        if (a->max_entries > 0)
            eb_attr_int(&w, "MaxEntriesReturned", a->max_entries);
        eb_attr_time(&w, "StartDate", a->start);
        eb_attr_time(&w, "EndDate", a->end);
        eb_end(&w);
    }
    if (a->n_item_class_prefixes > 0) {
        eb_el(&w, "m", "Restriction");
        if (a->n_item_class_prefixes > 1)
            eb_el(&w, "t", "Or");
        for (size_t i = 0; i < a->n_item_class_prefixes; i++) {
            eb_el(&w, "t", "Contains");
            eb_attr(&w, "ContainmentMode", "Prefixed");
            eb_attr(&w, "ContainmentComparison", "IgnoreCase");
            eb_el(&w, "t", "FieldURI");
            eb_attr(&w, "FieldURI", "item:ItemClass");
            eb_end(&w);
            eb_el(&w, "t", "Constant");
            eb_attr(&w, "Value", a->item_class_prefixes[i]);
            eb_end(&w);
            eb_end(&w);
        }
        if (a->n_item_class_prefixes > 1)
            eb_end(&w);
        eb_end(&w);
    }
    if (a->sort != EWS_SORT_NONE) {
        eb_el(&w, "m", "SortOrder");
        eb_el(&w, "t", "FieldOrder");
        eb_attr(&w, "Order", a->sort == EWS_SORT_RECEIVED_ASCENDING ? "Ascending" : "Descending");
        eb_el(&w, "t", "FieldURI");
        eb_attr(&w, "FieldURI", "item:DateTimeReceived");
        eb_end(&w);
        eb_end(&w);
        eb_end(&w);
    }
    eb_el(&w, "m", "ParentFolderIds");
    eb_write_folder(&w, &a->folder);
    eb_end(&w);
    return eb_finish(&w);
}

/* ---- GetItem ---- */

char *ews_build_get_item_refs(const struct ews_context *ctx, const struct ews_item_ref *refs,
                              size_t n, enum ews_base_shape shape, const char *const *fields,
                              size_t n_fields)
{
    if (!eb_refs_ok(refs, n) || (unsigned)shape >= EB_SHAPES || !eb_fields_ok(fields, n_fields))
        return NULL;
    struct eb_writer w;
    eb_begin(&w, ctx, "GetItem");
    eb_el(&w, "m", "ItemShape");
    eb_write_shape(&w, shape, fields, n_fields);
    eb_end(&w);
    eb_write_item_ids(&w, refs, n);
    return eb_finish(&w);
}

char *ews_build_get_item(const struct ews_context *ctx, const struct item_id *ids, size_t n,
                         enum ews_base_shape shape, const char *const *fields, size_t n_fields)
{
    struct ews_item_ref *refs = eb_refs_from_ids(ids, n);
    if (refs == NULL)
        return NULL;
    char *out = ews_build_get_item_refs(ctx, refs, n, shape, fields, n_fields);
    free(refs);
    return out;
}

/* ---- folders ---- */

char *ews_build_get_folder(const struct ews_context *ctx, const struct ews_folder_ref *folders,
                           size_t n, enum ews_base_shape shape)
{
    if (folders == NULL || n == 0 || (unsigned)shape >= EB_SHAPES)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!eb_folder_ok(&folders[i]))
            return NULL;
    struct eb_writer w;
    eb_begin(&w, ctx, "GetFolder");
    eb_el(&w, "m", "FolderShape");
    eb_write_shape(&w, shape, NULL, 0);
    eb_end(&w);
    eb_el(&w, "m", "FolderIds");
    for (size_t i = 0; i < n; i++)
        eb_write_folder(&w, &folders[i]);
    eb_end(&w);
    return eb_finish(&w);
}

/* ---- meeting responses ---- */

static const char *const respond_elements[] = {
    [EWS_ACCEPT] = "AcceptItem",
    [EWS_TENTATIVE] = "TentativelyAcceptItem",
    [EWS_DECLINE] = "DeclineItem",
    [EWS_REMOVE] = "RemoveItem",
};

static const char *const dispositions[] = {
    [EWS_SAVE_ONLY] = "SaveOnly",
    [EWS_SEND_ONLY] = "SendOnly",
    [EWS_SEND_AND_SAVE_COPY] = "SendAndSaveCopy",
};

char *ews_build_respond_batch(const struct ews_context *ctx, const struct ews_respond_spec *specs,
                              size_t n, enum ews_disposition disposition)
{
    if (specs == NULL || n == 0 || (unsigned)disposition >= NELEM(dispositions))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned)specs[i].kind >= NELEM(respond_elements) ||
            !eb_item_id_ok(specs[i].reference))
            return NULL;
    struct eb_writer w;
    eb_begin_create_item(&w, ctx, dispositions[disposition]);
    for (size_t i = 0; i < n; i++) {
        const struct ews_respond_spec *s = &specs[i];
        eb_el(&w, "t", respond_elements[s->kind]);
        /* WellKnownResponseObjectType: Body comes before ReferenceItemId. RemoveItem has no
         * use for a body: Exchange deletes the calendar item without sending anything. */
        if (s->body_text != NULL && s->kind != EWS_REMOVE)
            eb_write_body(&w, "Body", s->body_text, false);
        eb_write_item_id(&w, "ReferenceItemId", s->reference);
        eb_end(&w);
    }
    return eb_finish(&w);
}

char *ews_build_respond(const struct ews_context *ctx, enum ews_respond_kind kind,
                        const struct item_id *reference, const char *body_text,
                        enum ews_disposition disposition)
{
    struct ews_respond_spec spec = {kind, reference, body_text};
    return ews_build_respond_batch(ctx, &spec, 1, disposition);
}

/* ---- UpdateItem ---- */

struct field_desc {
    const char *uri;
    const char *element;
    bool calendar_only, message_only, appendable, deletable;
};

static const struct field_desc change_fields[] = {
    [EWS_FIELD_SUBJECT] = {"item:Subject", "Subject", false, false, false, true},
    [EWS_FIELD_BODY] = {"item:Body", "Body", false, false, true, true},
    [EWS_FIELD_SENSITIVITY] = {"item:Sensitivity", "Sensitivity", false, false, false, true},
    [EWS_FIELD_LOCATION] = {"calendar:Location", "Location", true, false, false, true},
    [EWS_FIELD_START] = {"calendar:Start", "Start", true, false, false, false},
    [EWS_FIELD_END] = {"calendar:End", "End", true, false, false, false},
    [EWS_FIELD_IS_ALL_DAY] = {"calendar:IsAllDayEvent", "IsAllDayEvent", true, false, false, false},
    [EWS_FIELD_LEGACY_FREE_BUSY] = {"calendar:LegacyFreeBusyStatus", "LegacyFreeBusyStatus", true,
                                    false, false, false},
    [EWS_FIELD_REQUIRED_ATTENDEES] = {"calendar:RequiredAttendees", "RequiredAttendees", true,
                                      false, true, true},
    [EWS_FIELD_OPTIONAL_ATTENDEES] = {"calendar:OptionalAttendees", "OptionalAttendees", true,
                                      false, true, true},
    [EWS_FIELD_RESOURCES] = {"calendar:Resources", "Resources", true, false, true, true},
    [EWS_FIELD_IS_READ] = {"message:IsRead", "IsRead", false, true, false, false},
};

static const char *const update_send[] = {
    [EWS_UPDATE_NOT_CALENDAR] = NULL,
    [EWS_UPDATE_SEND_TO_NONE] = "SendToNone",
    [EWS_UPDATE_SEND_ONLY_TO_ALL] = "SendOnlyToAll",
    [EWS_UPDATE_SEND_ONLY_TO_CHANGED] = "SendOnlyToChanged",
    [EWS_UPDATE_SEND_TO_ALL_AND_SAVE_COPY] = "SendToAllAndSaveCopy",
    [EWS_UPDATE_SEND_TO_CHANGED_AND_SAVE_COPY] = "SendToChangedAndSaveCopy",
};

static const char *const conflict_names[] = {
    [EWS_NEVER_OVERWRITE] = "NeverOverwrite",
    [EWS_AUTO_RESOLVE] = "AutoResolve",
    [EWS_ALWAYS_OVERWRITE] = "AlwaysOverwrite",
};

static bool change_ok(const struct ews_item_change *c, bool calendar)
{
    if ((unsigned)c->field >= NELEM(change_fields) || (unsigned)c->op > EWS_CHANGE_DELETE)
        return false;
    const struct field_desc *d = &change_fields[c->field];
    if ((d->calendar_only && !calendar) || (d->message_only && calendar))
        return false;
    if (c->op == EWS_CHANGE_DELETE)
        return d->deletable;
    if (c->op == EWS_CHANGE_APPEND && !d->appendable)
        return false;
    switch (c->field) {
    case EWS_FIELD_SUBJECT:
    case EWS_FIELD_BODY:
    case EWS_FIELD_LOCATION:
        return c->text != NULL;
    case EWS_FIELD_SENSITIVITY:
        return eb_index_in(eb_sensitivities, EB_SENSITIVITIES, c->text) >= 0;
    case EWS_FIELD_START:
    case EWS_FIELD_END:
    case EWS_FIELD_IS_ALL_DAY:
    case EWS_FIELD_IS_READ:
        return true;
    case EWS_FIELD_LEGACY_FREE_BUSY:
        return (unsigned)c->free_busy <= FB_NO_DATA;
    case EWS_FIELD_REQUIRED_ATTENDEES:
    case EWS_FIELD_OPTIONAL_ATTENDEES:
    case EWS_FIELD_RESOURCES:
        /* Setting an empty list is spelled DeleteItemField. */
        return c->n_addresses > 0 && eb_addresses_ok(c->addresses, c->n_addresses);
    }
    return false;
}

static void write_change(struct eb_writer *w, const struct ews_item_change *c, bool calendar)
{
    const struct field_desc *d = &change_fields[c->field];
    static const char *const ops[] = {"SetItemField", "AppendToItemField", "DeleteItemField"};
    eb_el(w, "t", ops[c->op]);
    eb_el(w, "t", "FieldURI");
    eb_attr(w, "FieldURI", d->uri);
    eb_end(w);
    if (c->op != EWS_CHANGE_DELETE) {
        /* The item element wrapping the single new value names the item's type. */
        eb_el(w, "t", calendar ? "CalendarItem" : "Message");
        switch (c->field) {
        case EWS_FIELD_SUBJECT:
        case EWS_FIELD_SENSITIVITY:
        case EWS_FIELD_LOCATION:
            eb_leaf(w, d->element, c->text);
            break;
        case EWS_FIELD_BODY:
            eb_write_body(w, "Body", c->text, c->body_is_html);
            break;
        case EWS_FIELD_START:
        case EWS_FIELD_END:
            eb_leaf_time(w, d->element, c->time);
            break;
        case EWS_FIELD_IS_ALL_DAY:
        case EWS_FIELD_IS_READ:
            eb_leaf_bool(w, d->element, c->flag);
            break;
        case EWS_FIELD_LEGACY_FREE_BUSY:
            eb_leaf(w, d->element, item_free_busy_to_string(c->free_busy));
            break;
        case EWS_FIELD_REQUIRED_ATTENDEES:
        case EWS_FIELD_OPTIONAL_ATTENDEES:
        case EWS_FIELD_RESOURCES:
            eb_write_attendees(w, d->element, c->addresses, c->n_addresses);
            break;
        }
        eb_end(w);
    }
    eb_end(w);
}

char *ews_build_update_item_ref(const struct ews_context *ctx, const struct ews_item_ref *ref,
                                const struct ews_item_change *changes, size_t n,
                                enum ews_conflict_resolution conflict, enum ews_update_send send)
{
    if (!eb_ref_ok(ref) || changes == NULL || n == 0 ||
        (unsigned)conflict >= NELEM(conflict_names) || (unsigned)send >= NELEM(update_send))
        return NULL;
    bool calendar = send != EWS_UPDATE_NOT_CALENDAR;
    /* Occurrences and masters only exist for calendar items. */
    if (!calendar && ref->kind != EWS_REF_ITEM)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!change_ok(&changes[i], calendar))
            return NULL;

    struct eb_writer w;
    eb_begin(&w, ctx, "UpdateItem");
    eb_attr(&w, "ConflictResolution", conflict_names[conflict]);
    if (calendar)
        eb_attr(&w, "SendMeetingInvitationsOrCancellations", update_send[send]);
    else
        eb_attr(&w, "MessageDisposition", "SaveOnly"); /* required for message items */
    eb_el(&w, "m", "ItemChanges");
    eb_el(&w, "t", "ItemChange");
    eb_write_ref(&w, ref);
    eb_el(&w, "t", "Updates");
    for (size_t i = 0; i < n; i++)
        write_change(&w, &changes[i], calendar);
    eb_end(&w); /* t:Updates */
    eb_end(&w); /* t:ItemChange */
    eb_end(&w); /* m:ItemChanges */
    return eb_finish(&w);
}

char *ews_build_update_item(const struct ews_context *ctx, const struct item_id *id,
                            const struct ews_item_change *changes, size_t n,
                            enum ews_conflict_resolution conflict, enum ews_update_send send)
{
    if (!eb_item_id_ok(id))
        return NULL;
    struct ews_item_ref ref = {EWS_REF_ITEM, id->id, id->change_key, 0};
    return ews_build_update_item_ref(ctx, &ref, changes, n, conflict, send);
}

/* ---- DeleteItem ---- */

static const char *const delete_types[] = {
    [EWS_HARD_DELETE] = "HardDelete",
    [EWS_SOFT_DELETE] = "SoftDelete",
    [EWS_MOVE_TO_DELETED_ITEMS] = "MoveToDeletedItems",
};

char *ews_build_delete_item_refs(const struct ews_context *ctx, const struct ews_item_ref *refs,
                                 size_t n, enum ews_delete_type type,
                                 enum ews_send_invitations cancellations)
{
    if (!eb_refs_ok(refs, n) || (unsigned)type >= NELEM(delete_types) ||
        (unsigned)cancellations >= NELEM(eb_send_invitations))
        return NULL;
    struct eb_writer w;
    eb_begin(&w, ctx, "DeleteItem");
    eb_attr(&w, "DeleteType", delete_types[type]);
    eb_attr(&w, "SendMeetingCancellations", eb_send_invitations[cancellations]);
    eb_write_item_ids(&w, refs, n);
    return eb_finish(&w);
}

char *ews_build_delete_item(const struct ews_context *ctx, const struct item_id *ids, size_t n,
                            enum ews_delete_type type, enum ews_send_invitations cancellations)
{
    struct ews_item_ref *refs = eb_refs_from_ids(ids, n);
    if (refs == NULL)
        return NULL;
    char *out = ews_build_delete_item_refs(ctx, refs, n, type, cancellations);
    free(refs);
    return out;
}

/* ---- CancelCalendarItem ---- */

char *ews_build_cancel_meeting(const struct ews_context *ctx, const struct item_id *calendar_item,
                               const char *message)
{
    if (!eb_item_id_ok(calendar_item))
        return NULL;
    struct eb_writer w;
    eb_begin_create_item(&w, ctx, "SendAndSaveCopy");
    eb_el(&w, "t", "CancelCalendarItem");
    /* SmartResponseType: ReferenceItemId, then NewBodyContent (Body is ignored here). */
    eb_write_item_id(&w, "ReferenceItemId", calendar_item);
    if (message != NULL)
        eb_write_body(&w, "NewBodyContent", message, false);
    eb_end(&w);
    return eb_finish(&w);
}

/* ---- ForwardItem ---- */

char *ews_build_forward(const struct ews_context *ctx, const struct item_id *reference,
                        const char *const *to, size_t n_to, const char *body_text,
                        enum ews_disposition disposition)
{
    /* A message that is sent needs a recipient (Exchange: ErrorInvalidRecipients). */
    if (!eb_item_id_ok(reference) || (unsigned)disposition >= NELEM(dispositions) ||
        !eb_addresses_ok(to, n_to) || (n_to == 0 && disposition != EWS_SAVE_ONLY))
        return NULL;
    struct eb_writer w;
    eb_begin_create_item(&w, ctx, dispositions[disposition]);
    eb_el(&w, "t", "ForwardItem");
    /* SmartResponseType order: ToRecipients, ReferenceItemId, NewBodyContent. */
    if (n_to > 0) {
        eb_el(&w, "t", "ToRecipients");
        for (size_t i = 0; i < n_to; i++)
            eb_write_mailbox(&w, to[i]);
        eb_end(&w);
    }
    eb_write_item_id(&w, "ReferenceItemId", reference);
    if (body_text != NULL)
        eb_write_body(&w, "NewBodyContent", body_text, false);
    eb_end(&w);
    return eb_finish(&w);
}

/* ---- DeleteAttachment ---- */

char *ews_build_delete_attachments(const struct ews_context *ctx, const struct item_id *ids,
                                   size_t n)
{
    if (ids == NULL || n == 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!eb_item_id_ok(&ids[i]))
            return NULL;
    struct eb_writer w;
    eb_begin(&w, ctx, "DeleteAttachment");
    eb_el(&w, "m", "AttachmentIds");
    for (size_t i = 0; i < n; i++) {
        eb_el(&w, "t", "AttachmentId");
        eb_attr(&w, "Id", ids[i].id);
        eb_end(&w);
    }
    eb_end(&w);
    return eb_finish(&w);
}
